package saxontest

import (
	"os"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// TestRun applies an official rule file to an official sample and to a
// document that breaks it, twice: the second time the compiled rule file
// comes from the cache, and the verdicts are the same.
func TestRun(t *testing.T) {
	sch := testenv.Spec(t, "tdd-1.0/sch/EDM-REQ-S.sch")
	good, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"good.xml": good, "bad.xml": []byte(`<QueryRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`)}
	rules := map[string][]string{sch: {"good.xml", "bad.xml"}}
	for i := range 2 {
		got := Run(t, docs, rules)["EDM-REQ-S.sch"]
		for _, f := range got["good.xml"] {
			if f.Flag == "fatal" || f.Flag == "error" || f.ID == "SAXON-FAILED" {
				t.Errorf("run %d: the official sample fired %+v", i, f)
			}
		}
		if len(got["bad.xml"]) == 0 {
			t.Errorf("run %d: an empty QueryRequest fired nothing", i)
		}
	}
}

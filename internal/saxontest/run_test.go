package saxontest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
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

// TestCompiledAsTheScriptDoes: a rule file compiled by Batch is the same
// stylesheet, byte for byte, as the verifier script schematron.sh makes of
// it, so that both fill one cache and a run here judges as the script does.
func TestCompiledAsTheScriptDoes(t *testing.T) {
	sch := testenv.Spec(t, "tdd-1.0/sch/EDM-REQ-S.sch")
	doc := testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml")
	script := testenv.Verifier(t, "schematron.sh")
	byScript, byBatch := t.TempDir(), t.TempDir()
	cmd := exec.Command(script, sch, doc)
	cmd.Env = append(os.Environ(), "SCHEMATRON_CACHE="+byScript)
	if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("schematron.sh: %v\n%s", err, out)
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCHEMATRON_CACHE", byBatch)
	Run(t, map[string][]byte{"doc.xml": b}, map[string][]string{sch: {"doc.xml"}})
	want, _ := filepath.Glob(filepath.Join(byScript, "*.xsl"))
	if len(want) != 1 {
		t.Fatalf("the script left %d stylesheets", len(want))
	}
	a, err := os.ReadFile(want[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile(filepath.Join(byBatch, filepath.Base(want[0])))
	if err != nil {
		t.Fatalf("Batch compiled no stylesheet under the script's name: %v", err)
	}
	if !bytes.Equal(a, c) {
		t.Errorf("Batch's stylesheet (%d bytes) differs from the script's (%d bytes)", len(c), len(a))
	}
}

package conformance

import (
	"os"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/schematron"
)

// TestValidateWithOfficialFiles: Config.Rules decides which files judge
// what the systems under test send: an official sample passes the embedded
// rules and fails a copy of the official files with one rule altered, with
// that rule's id.
func TestValidateWithOfficialFiles(t *testing.T) {
	root := testenv.OfficialTree(t, testenv.Replace(t, "OOTS-EDM/sch/EDM-REQ-C.sch",
		`test="rim:Value='oots-edm:v1.0'" id="R-EDM-REQ-C001"`, `test="rim:Value='oots-edm:v9.9'" flag="fatal" id="R-EDM-REQ-C001"`))
	cat, err := schematron.NewCatalogue(schematron.Official{Version: string(edm.V1_0), FS: os.DirFS(root), Name: "tdd"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	has := func(rules *schematron.Catalogue) bool {
		_, _, fs := ValidateWith(rules, b)
		for _, f := range fs {
			if f.Rule == "R-EDM-REQ-C001" {
				return true
			}
		}
		return false
	}
	if has(nil) || !has(cat) {
		t.Errorf("R-EDM-REQ-C001: embedded %v, official %v; want false, true", has(nil), has(cat))
	}
	seen := false
	for _, f := range validatePayload(cat, b) {
		seen = seen || f.Rule == "R-EDM-REQ-C001"
	}
	if !seen {
		t.Error("validatePayload did not use the official files")
	}
}

package schematron_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// TestKnownDefect: the official preview-required sample raises a dynamic
// error in R-EDM-ERR-C022 (see Defect); the run reports that assertion as
// a warning and still evaluates the rest of the file.
func TestKnownDefect(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/education-2-error-response-preview-required.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The sample's severity ends in a stray DEL character (see
	// edm/samples_test.go), so that no rule context matches it.
	b = bytes.ReplaceAll(b, []byte("\x7f"), nil)
	doc, err := xmltree.Parse(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := schematron.ForKind("EDM-ERR", "oots-edm:v1.0")
	if err != nil {
		t.Fatal(err)
	}
	var warned bool
	for _, f := range rs.Validate(doc) {
		switch {
		case f.Rule == "R-EDM-ERR-C022" && f.Flag == check.Warning:
			warned = true
		case f.Invalidates():
			t.Errorf("%s %s %s: %s", f.Rule, f.Flag, f.Location, f.Message)
		}
	}
	if !warned {
		t.Error("R-EDM-ERR-C022 not reported as a known defect")
	}

	if _, known := schematron.Defect("R-EDM-ERR-C022"); !known {
		t.Error("R-EDM-ERR-C022 is not a known defect")
	}

	// Without the erratum the whole file is refused, as Saxon refuses it.
	var refused bool
	_, errs := schematron.RunWithoutErrata(rs, doc)
	for _, err := range errs {
		refused = refused || errors.Is(err, schematron.ErrEvaluation)
	}
	if !refused {
		t.Error("without the erratum the defect went unnoticed")
	}
}

package schematron

import (
	"os"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// TestApproximatedVersions: EDM 1.1 and 1.2 messages are judged by the TDD
// 1.0 files with the fixed SpecificationIdentifier set to their own
// version, so that a valid 1.2 request is valid, and the rule still fires
// when the identifier is not the version being judged.
func TestApproximatedVersions(t *testing.T) {
	samples := map[string]string{
		KindEDMRequest:  "birth-1-evidence-request.xml",
		KindEDMResponse: "birth-2-evidence-response.xml",
		KindEDMError:    "education-2-error-response-preview-required.xml",
	}
	ids := map[string]string{KindEDMRequest: "R-EDM-REQ-C001", KindEDMResponse: "R-EDM-RESP-C002", KindEDMError: "R-EDM-ERR-C001"}
	for kind, name := range samples {
		b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/"+name))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"oots-edm:v1.1", "oots-edm:v1.2"} {
			doc, err := xmltree.ParseBytes([]byte(strings.ReplaceAll(string(b), "oots-edm:v1.0", v)), nil)
			if err != nil {
				t.Fatal(err)
			}
			own, err := ForKind(kind, v)
			if err != nil {
				t.Fatal(err)
			}
			if got := firedID(own, doc, ids[kind]); got {
				t.Errorf("%s %s: %s fired on a message of that version", kind, v, ids[kind])
			}
			other := "oots-edm:v1.1"
			if v == other {
				other = "oots-edm:v1.2"
			}
			rs, err := ForKind(kind, other)
			if err != nil {
				t.Fatal(err)
			}
			if !firedID(rs, doc, ids[kind]) {
				t.Errorf("%s: a %s message judged as %s: %s did not fire", kind, v, other, ids[kind])
			}
		}
	}
	e, err := (*Catalogue)(nil).entry(KindEDMRequest, "oots-edm:v1.2")
	if err != nil || !strings.Contains(e.Note, "set to oots-edm:v1.2") {
		t.Errorf("the catalogue entry of 1.2 does not say it is approximated: %+v, %v", e, err)
	}
}

func firedID(rs *RuleSet, doc *xmltree.Document, id string) bool {
	for _, f := range rs.Validate(doc) {
		if f.Rule == id {
			return true
		}
	}
	return false
}

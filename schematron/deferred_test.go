package schematron

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// deferredTDD10 turns the official TDD 1.0 sample response into the deferred
// answer that R-EDM-RESP-S006 describes ("Unavailable for responses that will
// be available at a later time"): status Unavailable, the slot
// ResponseAvailableDateTime (S014, S016), and no evidence, the list being
// replaced by list ("" or an empty one; S007 asks for it only on success).
func deferredTDD10(t testing.TB, list string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-2-evidence-response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, e := range [][2]string{
		{`status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"`, `status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Unavailable"`},
		{`<rim:Slot name="EvidenceProvider">`, `<rim:Slot name="ResponseAvailableDateTime"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2022-05-20T09:30:00Z</rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="EvidenceProvider">`},
	} {
		if strings.Count(s, e[0]) != 1 {
			t.Fatalf("%q is not once in the sample", e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	objects := regexp.MustCompile(`(?s)<rim:RegistryObjectList>.*</rim:RegistryObjectList>`)
	if !objects.MatchString(s) {
		t.Fatal("no RegistryObjectList in the sample")
	}
	return []byte(objects.ReplaceAllLiteralString(s, list))
}

// TestDeferredResponseTDD10: the official TDD 1.0 rules accept a deferred
// response, without the evidence list or with an empty one, in our engine
// and, from the official files themselves, in Saxon: the 1.x deferred
// answer with status Unavailable is one the official rules allow.
func TestDeferredResponseTDD10(t *testing.T) {
	lists := map[string]string{"no list": "", "empty list": "<rim:RegistryObjectList/>"}
	rs, err := ForKind(KindEDMResponse, "oots-edm:v1.0")
	if err != nil {
		t.Fatal(err)
	}
	docDir := filepath.Join(t.TempDir(), "docs")
	if err := os.MkdirAll(docDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name, list := range lists {
		b := deferredTDD10(t, list)
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rs.Validate(doc) {
			t.Logf("%s: %v", name, f)
			if f.Invalidates() {
				t.Errorf("%s: the TDD 1.0 rules refuse the deferred response: %v", name, f)
			}
		}
		n := strings.ReplaceAll(name, " ", "-") + ".xml"
		if err := os.WriteFile(filepath.Join(docDir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if testing.Short() {
		return
	}
	sx := newSaxon(t)
	var schs []string
	for _, f := range []string{"EDM-RESP-S.sch", "EDM-RESP-C.sch"} {
		schs = append(schs, testenv.Spec(t, "tdd-1.0/sch/"+f))
	}
	for base, out := range sx.runAll(t, schs, docDir, names) {
		for _, n := range names {
			if o := out[n]; o.failed || len(o.ids) > 0 {
				t.Errorf("%s: the official %s (Saxon) fires %v (failed %v)", n, base, o.ids, o.failed)
			}
		}
	}
}

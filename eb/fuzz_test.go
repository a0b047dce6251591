package eb

import (
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
)

// FuzzQuery: any query string gets a well-formed answer: a success of the
// query's kind or an EB:ERR of the catalogue, never a panic.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"queryId=" + QueryRequirements + "&procedure-id=R1&country-code=DE",
		"queryId=" + QueryRequirements,
		"queryId=" + QueryEvidenceTypes + "&requirement-id=https://sr.oots.tech.europa.eu/requirements/x&country-code=FR",
		"queryId=" + QueryRequirements + "&startIndex=1&maxResults=1",
		"queryId=x&queryId=y", "country-code=F%00R",
	} {
		f.Add(s, true)
	}
	h, err := NewHandler(Config{Registry: cstest.DemoRegistry(f), Signer: cstest.AnySigner(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string, v2 bool) {
		v := edm.CSv1
		if v2 {
			v = edm.CSv20
		}
		body, code, _, _ := h.answer(h.cfg.Registry.Snapshot(), raw, v)
		if code != "" {
			c, ok := edm.LookupError(code)
			if !ok || c.Kind != edm.KindEBError {
				t.Fatalf("code %q is not an EB error", code)
			}
			return
		}
		m, _, err := edm.ParseBytes(body)
		if err != nil {
			t.Fatalf("answer does not parse: %v", err)
		}
		if k := m.Kind(); k != edm.KindEBRequirements && k != edm.KindEBEvidenceTypes {
			t.Fatalf("answer of kind %s", k)
		}
	})
}

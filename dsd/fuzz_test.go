package dsd

import (
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
)

// FuzzQuery: any query string gets a DSD answer or a DSD:ERR of the
// catalogue, never a panic.
func FuzzQuery(f *testing.F) {
	reg := cstest.DemoRegistry(f)
	etc := reg.Snapshot().AllDataServices()[0].Type.EvidenceTypeClassification
	for _, s := range []string{
		"queryId=" + QueryDataServices + "&evidence-type-classification=" + etc + "&country-code=DE",
		"queryId=" + QueryDataServices + "&evidence-type-classification=" + etc + "&country-code=DE&b07146b6-1468-41a7-a10f-ee2a61429dbc=ApplicantHasBeenResidentInGermany",
		"queryId=" + QueryDataServices + "&evidence-type-classification=" + etc + "&country-code=DE&jurisdiction-admin-l3=02000000&specification=oots-edm:v1.0",
		"queryId=" + QueryDataServices + "&evidence-type-classification=" + etc + "&country-code=DE&startIndex=50", // a page past the end
		"queryId=x", "",
	} {
		f.Add(s, false)
	}
	h, err := NewHandler(Config{Registry: reg, Signer: cstest.AnySigner(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string, v2 bool) {
		v := edm.CSv1
		if v2 {
			v = edm.CSv20
		}
		body, exc, _ := h.answer(h.cfg.Registry.Snapshot(), raw, v)
		if exc != nil {
			c, ok := edm.LookupError(exc.Code)
			if !ok || c.Kind != edm.KindDSDError {
				t.Fatalf("code %q is not a DSD error", exc.Code)
			}
			if _, err := edm.NewServiceError(v, exc).Marshal(); err != nil {
				t.Fatalf("error answer not written: %v", err)
			}
			return
		}
		m, _, err := edm.ParseBytes(body)
		if err != nil || m.Kind() != edm.KindDSDResponse {
			t.Fatalf("answer: %v", err)
		}
	})
}

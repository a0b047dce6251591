package eb_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/internal/cstest"
)

// BenchmarkQuery measures one requirements query answered in process
// without the answer cache: with and without the ES256 signature.
func BenchmarkQuery(b *testing.B) {
	reg := cstest.DemoRegistry(b)
	signer, _ := cstest.Signer(b)
	query := "/eb/rest/search?" + q("queryId", eb.QueryRequirements, "procedure-id", "R1", "country-code", "DE")
	for _, c := range []struct {
		name string
		cfg  eb.Config
	}{
		{"signed", eb.Config{Registry: reg, Signer: signer, CacheFor: -1}},
		{"cached", eb.Config{Registry: reg, Signer: signer}},
	} {
		b.Run(c.name, func(b *testing.B) {
			h, err := eb.NewHandler(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, query, nil)
			req.Header.Set("Accept-Version", "oots-cs:v2.0")
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

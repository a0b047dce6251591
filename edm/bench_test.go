package edm

import (
	"os"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// benchParseMarshal measures Parse followed by Marshal of one sample
// message, reporting MB/s (of input) and documents per second.
func benchParseMarshal(b *testing.B, rel string) {
	data, err := os.ReadFile(testenv.Spec(b, rel))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, _, err := ParseBytes(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkEvidenceRequest: the TDD 1.0 birth certificate request (13 KB,
// with comments).
func BenchmarkEvidenceRequest(b *testing.B) {
	benchParseMarshal(b, "tdd-1.0/xml/edm/birth-1-evidence-request.xml")
}

// BenchmarkEvidenceResponse: the TDD 1.0 birth certificate response (12 KB).
func BenchmarkEvidenceResponse(b *testing.B) {
	benchParseMarshal(b, "tdd-1.0/xml/edm/birth-2-evidence-response.xml")
}

// BenchmarkEvidenceResponse20: the EDM 2.0 response with a registry package.
func BenchmarkEvidenceResponse20(b *testing.B) {
	benchParseMarshal(b, "edm-2.0-oots-france/messages/reponse.xml")
}

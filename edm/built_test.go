package edm

import (
	"testing"

	"github.com/oots-go/oots/check"
)

// TestBuiltRoundTrip: every built message marshals, parses back as its
// kind and version without findings, and marshals to the same bytes.
func TestBuiltRoundTrip(t *testing.T) {
	for kind, m := range built() {
		t.Run(string(kind), func(t *testing.T) {
			out, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, findings, err := ParseBytes(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if back.Kind() != kind || back.Version() != m.Version() {
				t.Errorf("parsed as %s %s, want %s %s", back.Kind(), back.Version(), kind, m.Version())
			}
			if !check.Valid(findings) || len(findings) > 0 {
				t.Errorf("findings on a built message: %v\n%s", findings, out)
			}
			again, err := back.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Errorf("marshal is not stable:\n%s\n%s", out, again)
			}
		})
	}
}

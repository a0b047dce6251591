package edm

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParse: Parse never panics; what it accepts marshals (unless a required
// part is missing) to a document that parses as the same kind and marshals to
// the same bytes again. Seeded with every sample and every built message.
func FuzzParse(f *testing.F) {
	if dir, files := sampleFiles(f); len(files) > 0 {
		for _, name := range files {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) < 16<<10 {
				f.Add(b)
			}
		}
	}
	for _, m := range append(slices.Collect(maps.Values(built())), buildRequestV2Formats()) {
		if b, err := m.Marshal(); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := ParseBytes(b)
		if err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			return
		}
		m2, _, err := ParseBytes(out)
		if err != nil {
			t.Fatalf("marshalled output does not parse: %v\n%s", err, out)
		}
		if m2.Kind() != m.Kind() || m2.Version() != m.Version() {
			t.Fatalf("kind %s %s became %s %s", m.Kind(), m.Version(), m2.Kind(), m2.Version())
		}
		out2, err := m2.Marshal()
		if err != nil {
			t.Fatalf("second marshal: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("marshal is not stable:\n%s\n%s", out, out2)
		}
	})
}

package codelist

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// FuzzParse checks that Parse never panics and that a list it accepts
// answers consistently: every code of Codes is found by Contains, Lookup and
// LookupAll, and the rows of a code are all returned by LookupAll.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(testenv.Spec(f, "tdd-1.0/codelists"), "*", "*.gc"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse(b, "fuzz.gc")
		if err != nil {
			return
		}
		count := make(map[string]int)
		for _, c := range l.Codes() {
			count[c.Value]++
		}
		if len(l.Codes()) != l.Len() {
			t.Fatalf("Codes has %d rows, Len %d", len(l.Codes()), l.Len())
		}
		for v, n := range count {
			if !l.Contains(v) {
				t.Fatalf("Contains(%q) = false", v)
			}
			first, ok := l.Lookup(v)
			all := l.LookupAll(v)
			if !ok || len(all) != n || first.Value != v || all[0].Value != v {
				t.Fatalf("Lookup/LookupAll(%q): %v %d rows, want %d", v, ok, len(all), n)
			}
		}
	})
}

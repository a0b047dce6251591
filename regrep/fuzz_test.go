package regrep

import (
	"bytes"
	"testing"

	"github.com/oots-go/oots/xmltree"
)

// FuzzParse: Parse never panics, and what it reads is written back in a
// form that reads back to the same model (write, parse, write gives the
// same canonical bytes). Seeded with every RegRep sample.
func FuzzParse(f *testing.F) {
	for _, b := range samples(f) {
		if len(b) < 16<<10 { // the big EB catalogue would only slow the fuzzer
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := xmltree.ParseBytes(b, &xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 64})
		if err != nil {
			return
		}
		m, _, err := Parse(doc.Root)
		if err != nil {
			return
		}
		first := m.Element().Canonical()
		doc2, err := xmltree.ParseBytes(first, nil)
		if err != nil {
			t.Fatalf("written form does not parse: %v\n%s", err, first)
		}
		m2, _, err := Parse(doc2.Root)
		if err != nil {
			t.Fatalf("written form is not RegRep: %v", err)
		}
		if second := m2.Element().Canonical(); !bytes.Equal(first, second) {
			t.Fatalf("write is not stable:\n%s\n%s", first, second)
		}
	})
}

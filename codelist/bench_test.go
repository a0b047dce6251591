package codelist

import "testing"

// Contains is called for every code of every message: a map lookup after
// the list's first use.
func BenchmarkContains(b *testing.B) {
	cases := []struct {
		name string
		list *List
		code string
	}{
		{"Procedures/hit", Procedures(), "X6"},
		{"Procedures/miss", Procedures(), "X7"},
		{"Countries/hit", Countries(), "SE"},
		{"NUTS/hit", NUTS(), "SE224"},
		{"NUTS/miss", NUTS(), "SE999"},
		{"Languages/hit", Languages(), "EN"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.list.Contains(c.code) // build the index outside the timing
			b.ReportAllocs()
			for b.Loop() {
				c.list.Contains(c.code)
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	EDMErrorCodes().Contains("")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := EDMErrorCodes().Lookup("EDM:ERR:0004"); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkFirstUse measures building the index of the largest list (NUTS),
// paid once per process on the first lookup.
func BenchmarkFirstUse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		l := &List{fields: NUTS().fields, rows: NUTS().rows}
		l.Contains("SE224")
	}
}

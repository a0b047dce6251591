package regrep_test

import (
	"testing"
	"time"

	"github.com/oots-go/oots/regrep"
)

// FuzzParseDateTime checks that ParseDateTime never panics and that what it
// accepts is stable: the instant, written back as RFC 3339, parses to the
// same instant.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"2026-01-15T09:08:00Z", "2026-01-15T09:08:00.123456789+02:00", "2026-01-15T09:08:00",
		" 2026-01-15T09:08:00Z ", "2026-13-01T00:00:00Z", "", "T", "2026-01-15",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := regrep.ParseDateTime(s)
		if err != nil {
			if !v.IsZero() {
				t.Fatalf("error %v with a non-zero time %v", err, v)
			}
			return
		}
		again, err := regrep.ParseDateTime(v.Format(time.RFC3339Nano))
		if err != nil {
			t.Fatalf("%q → %v does not parse back: %v", s, v, err)
		}
		if !again.Equal(v) {
			t.Fatalf("%q → %v → %v", s, v, again)
		}
	})
}

package csclient

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzFreshness checks the reading of Cache-Control: it never panics, never
// gives a lifetime beyond the TTL, the verdict does not depend on the case
// of ASCII letters nor (without quoted strings) on whether the directives
// come in one field line or one line each, and a no-store directive added
// to any value forbids reuse.
func FuzzFreshness(f *testing.F) {
	for _, s := range []string{"", "max-age=60", "no-store", "No-Cache", `no-cache="Set-Cookie"`, "private, NO-STORE", "no-cache=", " , ,",
		`max-age="90"`, "s-maxage=600, max-age=60", "max-age=99999999999999999999", `foo="a, max-age=9999", max-age=30`, `x="\"", no-store`, `"\"0`} {
		f.Add(s)
	}
	now := time.Date(2026, 7, 29, 9, 1, 50, 0, time.UTC)
	const ttl = time.Hour
	read := func(h http.Header) (time.Duration, bool) {
		d, ok := freshness(h, now, ttl)
		if ok && (d <= 0 || d > ttl) {
			t := h.Values("Cache-Control")
			panic("lifetime out of (0, ttl] for " + strings.Join(t, " | "))
		}
		return d, ok
	}
	f.Fuzz(func(t *testing.T, v string) {
		one := http.Header{"Cache-Control": {v}}
		got, ok := read(one)
		ascii := true
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				ascii = false
			}
		}
		if ascii {
			for _, w := range []string{strings.ToUpper(v), strings.ToLower(v)} {
				if d, ok2 := read(http.Header{"Cache-Control": {w}}); ok2 != ok || d != got {
					t.Fatalf("%q and %q read differently", v, w)
				}
			}
		}
		if !strings.Contains(v, `"`) {
			if d, ok2 := read(http.Header{"Cache-Control": strings.Split(v, ",")}); ok2 != ok || d != got {
				t.Fatalf("%q read differently when split into field lines", v)
			}
		}
		for _, w := range []string{v + ", no-store", "no-store, " + v} {
			if _, ok := read(http.Header{"Cache-Control": {w}}); ok {
				t.Fatalf("%q is reusable", w)
			}
		}
	})
}

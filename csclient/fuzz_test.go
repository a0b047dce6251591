package csclient

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzReusable checks the reading of Cache-Control: it never panics, the
// verdict does not depend on the case of ASCII letters nor on whether the
// directives come in one field line or one line each, and a no-store
// directive added to any value forbids reuse.
func FuzzReusable(f *testing.F) {
	for _, s := range []string{"", "max-age=60", "no-store", "No-Cache", `no-cache="Set-Cookie"`, "private, NO-STORE", "no-cache=", " , ,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		one := http.Header{"Cache-Control": {v}}
		got := reusable(one)
		ascii := true
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				ascii = false
			}
		}
		if ascii {
			for _, w := range []string{strings.ToUpper(v), strings.ToLower(v)} {
				if reusable(http.Header{"Cache-Control": {w}}) != got {
					t.Fatalf("%q and %q read differently", v, w)
				}
			}
		}
		if split := (http.Header{"Cache-Control": strings.Split(v, ",")}); reusable(split) != got {
			t.Fatalf("%q read differently when split into field lines", v)
		}
		for _, w := range []string{v + ", no-store", "no-store, " + v} {
			if reusable(http.Header{"Cache-Control": {w}}) {
				t.Fatalf("%q is reusable", w)
			}
		}
	})
}

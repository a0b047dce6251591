package csdiscovery_test

import (
	"testing"

	"github.com/oots-go/oots/csdiscovery"
)

// FuzzParseDNSSECMode checks that ParseDNSSECMode never panics and that a
// mode it accepts parses back to itself.
func FuzzParseDNSSECMode(f *testing.F) {
	for _, s := range []string{"", "off", "auto", "require", " Require ", "on", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := csdiscovery.ParseDNSSECMode(s)
		if err != nil {
			return
		}
		again, err := csdiscovery.ParseDNSSECMode(string(m))
		if err != nil || again != m {
			t.Fatalf("%q → %q → %q, %v", s, m, again, err)
		}
	})
}

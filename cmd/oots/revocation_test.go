package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
)

func TestRevocationConfig(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("CA", pki.EdDSA, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), pki.CertPEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	path := func(p string) string { return filepath.Join(dir, p) }
	on, err := (&revocationConfig{Anchors: map[string]string{"ca.pem": "require"}}).online(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if on.Policy != trust.RevocationPrefer || on.AnchorPolicies[trust.Fingerprint(ca.Cert)] != trust.RevocationRequire {
		t.Errorf("policy %q, anchors %v", on.Policy, on.AnchorPolicies)
	}
	for _, tc := range []struct {
		cfg   revocationConfig
		field string
	}{
		{revocationConfig{Policy: "maybe"}, "keys.revocation.policy"},
		{revocationConfig{Anchors: map[string]string{"ca.pem": "always"}}, "keys.revocation.anchors[ca.pem]"},
		{revocationConfig{Anchors: map[string]string{"none.pem": "off"}}, "keys.revocation.anchors"},
	} {
		if _, err := tc.cfg.online(path, nil); err == nil || !strings.HasPrefix(err.Error(), tc.field) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.field)
		}
	}
}

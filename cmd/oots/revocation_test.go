package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

func TestRevocationConfig(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("CA", wssec.AS4v20, nil)
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

func TestServeNextKeys(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("CA", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pki.Issue(ca, "AP_FR_01", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteFiles(dir, "next"); err != nil {
		t.Fatal(err)
	}
	path := func(f string) string { return filepath.Join(dir, f) }
	at := time.Now().Add(time.Hour)
	k := &serveNextKeys{SigningKey: "next.sign.key.pem", SigningCertificate: "next.sign.cert.pem", DecryptionKey: "next.enc.key.pem", At: at}
	r, err := k.rollover(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SigningCert.Equal(p.Sign.Cert) || r.DecryptionKey == nil || !r.At.Equal(at) {
		t.Errorf("%+v", r)
	}
	k.At = time.Time{}
	if _, err := k.rollover(path); err == nil || !strings.HasPrefix(err.Error(), "keys.next") {
		t.Errorf("without at: %v", err)
	}
}

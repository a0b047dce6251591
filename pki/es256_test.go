package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"testing"

	"github.com/oots-go/oots/wssec"
)

func TestIssueES256(t *testing.T) {
	ca, err := NewCA("cs test CA", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := IssueES256(ca, "cs signer", nil)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := c.Key.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		t.Fatalf("key %T, want an ECDSA P-256 key", c.Key)
	}
	if err := c.Cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Errorf("certificate not signed by the CA: %v", err)
	}
	if c.Cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		t.Errorf("key usage %v lacks digitalSignature", c.Cert.KeyUsage)
	}
	dir := t.TempDir()
	if err := c.WriteFiles(dir, "cs"); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCredential(dir, "cs")
	if err != nil {
		t.Fatal(err)
	}
	if !back.Key.(*ecdsa.PrivateKey).Equal(k) {
		t.Error("key not read back")
	}
}

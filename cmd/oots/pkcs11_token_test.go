//go:build pkcs11 && cgo

package main

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// TestCommonServicesAndSMPKeysInToken: the Common Services' JAdES key
// (ECDSA P-256) and the SMP's signing key (RSA) are opened from a SoftHSM2
// token by URI, and what they sign verifies.
func TestCommonServicesAndSMPKeysInToken(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("CS CA", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	es, err := pki.IssueES256(ca, "CS signer", nil)
	if err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain.pem")
	if err := os.WriteFile(chain, append(pki.CertPEM(es.Cert), pki.CertPEM(ca.Cert)...), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := loadSigner(softhsmtest.Import(t, es.Key), chain, "")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	body := []byte(`{"ok":true}`)
	if err := jades.Sign(h, body, s.Key, s.Chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := jades.Verify(h, body, jades.VerifyOptions{Trust: trust.NewStore(ca.Cert)}); err != nil {
		t.Fatalf("the JAdES signature of the token's key: %v", err)
	}

	rca, err := pki.NewCA("SMP CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	smpCred, err := pki.Issue(rca, "SMP", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := smpCred.Sign.WriteFiles(dir, "smp"); err != nil {
		t.Fatal(err)
	}
	signer, cert, err := loadSMPCredential(softhsmtest.Import(t, smpCred.Sign.Key), filepath.Join(dir, "smp.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !cert.Equal(smpCred.Sign.Cert) || !smpCred.Sign.Cert.PublicKey.(*rsa.PublicKey).Equal(signer.Public()) {
		t.Fatal("the SMP credential does not match")
	}
}

// TestServeSAMLEncryptionKeyInToken: provider.login.saml.encryptionKey
// takes a PKCS#11 URI; the preview space's SAML login starts with the
// token's RSA key (which decrypts both eIDAS key transports at start-up)
// and publishes its certificate.
func TestServeSAMLEncryptionKeyInToken(t *testing.T) {
	dir := t.TempDir()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, dir, "saml-enc", k)
	a, err := samlLoginWith(t, dir, softhsmtest.Import(t, k), "saml-enc.cert.pem")
	if err != nil {
		t.Fatalf("an encryption key in the token: %v", err)
	}
	publishes(t, a, dir, "saml-enc.cert.pem")
}

package pki

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmlenc"
)

func TestIssueProfiles(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(p), func(t *testing.T) {
			ca, err := NewCA("oots test CA", p, &Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			party, err := Issue(ca, "AP_FR_01", p, &Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			store := trust.NewStore(ca.Cert)
			if _, err := store.Verify(party.Sign.Cert, trust.Signing, now.Add(time.Hour)); err != nil {
				t.Fatalf("signing cert: %v", err)
			}
			purpose := trust.KeyTransport
			if p == wssec.AS4v20 {
				purpose = trust.KeyAgreement
			}
			if _, err := store.Verify(party.Encrypt.Cert, purpose, now.Add(time.Hour)); err != nil {
				t.Fatalf("encryption cert: %v", err)
			}
			switch p {
			case wssec.AS4v115:
				if _, ok := party.Sign.Cert.PublicKey.(*rsa.PublicKey); !ok {
					t.Fatalf("sign key %T", party.Sign.Cert.PublicKey)
				}
			case wssec.AS4v20:
				if _, ok := party.Sign.Cert.PublicKey.(ed25519.PublicKey); !ok {
					t.Fatalf("sign key %T", party.Sign.Cert.PublicKey)
				}
				k, err := xmlenc.CertificateKey(party.Encrypt.Cert)
				if err != nil {
					t.Fatal(err)
				}
				xp, ok := k.(*ecdh.PublicKey)
				if !ok || !xp.Equal(party.Encrypt.Key.(*ecdh.PrivateKey).PublicKey()) {
					t.Fatalf("encryption cert key %T does not match the X25519 key", k)
				}
				if _, err := store.Verify(party.Encrypt.Cert, trust.Signing, now.Add(time.Hour)); err == nil {
					t.Fatal("an X25519 key agreement certificate was accepted for signing")
				}
			}
			// PEM round trip.
			kp, err := KeyPEM(party.Encrypt.Key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseKeyPEM(kp); err != nil {
				t.Fatal(err)
			}
			c, err := ParseCertPEM(CertPEM(party.Encrypt.Cert))
			if err != nil || !c.Equal(party.Encrypt.Cert) {
				t.Fatalf("cert PEM round trip: %v", err)
			}
			if _, err := store.Verify(party.Sign.Cert, trust.Signing, now.Add(3*365*24*time.Hour)); err == nil {
				t.Fatal("expired certificate accepted")
			}
			if _, err := trust.NewStore().Verify(party.Sign.Cert, trust.Signing, now.Add(time.Hour)); err == nil {
				t.Fatal("empty store trusted a certificate")
			}
			_ = x509.KeyUsageCertSign
		})
	}
}

// FuzzParseKeyPEM: private key and certificate PEM input of any shape never
// panics.
func FuzzParseKeyPEM(f *testing.F) {
	_, k, _ := ed25519.GenerateKey(nil)
	b, _ := KeyPEM(k)
	f.Add(b)
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ParseKeyPEM(in)
		ParseCertPEM(in)
	})
}

func TestCRL(t *testing.T) {
	ca, err := NewCA("test CA", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Issue(ca, "AP_A", wssec.AS4v20, nil)
	b, _ := Issue(ca, "AP_B", wssec.AS4v20, nil)
	crl, err := CRL(ca, []*x509.Certificate{a.Sign.Cert}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := trust.NewStore(ca.Cert)
	if err := s.AddPEM(crl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(a.Sign.Cert, trust.Signing, time.Now()); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	if _, err := s.Verify(b.Sign.Cert, trust.Signing, time.Now()); err != nil {
		t.Fatalf("not revoked: %v", err)
	}
	other, _ := NewCA("other CA", wssec.AS4v20, nil)
	if _, err := CRL(other, []*x509.Certificate{a.Sign.Cert}, 1, nil); err == nil {
		t.Fatal("a CA revoked a certificate it did not issue")
	}
}

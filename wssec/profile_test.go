package wssec_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmldsig"
)

// signer hides the concrete type of a key, as a PKCS#11 key does.
type signer struct{ crypto.Signer }

func TestProfileFor(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	epub, ek, _ := ed25519.GenerateKey(rand.Reader)
	xk, _ := ecdh.X25519().GenerateKey(rand.Reader)
	pk, _ := ecdh.P256().GenerateKey(rand.Reader)
	ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tt := range []struct {
		name string
		key  any
		want wssec.Profile
	}{
		{"rsa private", rk, wssec.AS4v115},
		{"rsa public", &rk.PublicKey, wssec.AS4v115},
		{"rsa certificate", &x509.Certificate{PublicKey: &rk.PublicKey}, wssec.AS4v115},
		{"rsa in a token", signer{rk}, wssec.AS4v115},
		{"ed25519 private", ek, wssec.AS4v20},
		{"ed25519 public", epub, wssec.AS4v20},
		{"ed25519 certificate", &x509.Certificate{PublicKey: epub}, wssec.AS4v20},
		{"ed25519 in a token", signer{ek}, wssec.AS4v20},
		{"x25519 private", xk, wssec.AS4v20},
		{"x25519 public", xk.PublicKey(), wssec.AS4v20},
		{"p256 ecdh", pk, ""},
		{"ecdsa", ck, ""},
		{"ecdsa public", &ck.PublicKey, ""},
		{"nil", nil, ""},
		{"nil rsa", (*rsa.PublicKey)(nil), ""},
		{"nil certificate", (*x509.Certificate)(nil), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wssec.ProfileFor(tt.key)
			if got != tt.want {
				t.Errorf("ProfileFor = %q, want %q", got, tt.want)
			}
			if (tt.want == "") != errors.Is(err, wssec.ErrKeyType) {
				t.Errorf("error %v, want ErrKeyType: %v", err, tt.want == "")
			}
		})
	}
}

func TestSignatureMethod(t *testing.T) {
	if m := wssec.AS4v115.SignatureMethod(); m != xmldsig.RSASHA256 {
		t.Errorf("AS4v115: %s", m)
	}
	if m := wssec.AS4v20.SignatureMethod(); m != xmldsig.Ed25519 {
		t.Errorf("AS4v20: %s", m)
	}
	if m := wssec.Profile("none").SignatureMethod(); m != "" {
		t.Errorf("none: %s", m)
	}
}

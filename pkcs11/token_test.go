//go:build pkcs11 && cgo

package pkcs11_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/pkcs11"
)

func TestTokenRSA(t *testing.T) {
	k, d := openRSA(t, "")
	if !k.PublicKey.Equal(d.Public()) {
		t.Fatal("the public key differs from the imported one")
	}
	h := sha256.Sum256([]byte("signed info"))
	sig, err := d.(crypto.Signer).Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, h[:], sig); err != nil {
		t.Fatalf("the token's signature does not verify: %v", err)
	}
	cek := []byte("0123456789abcdef")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, cek, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := d.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA256})
	if err != nil || string(pt) != string(cek) {
		t.Fatalf("OAEP decryption: %q, %v", pt, err)
	}
	if _, err := d.Decrypt(nil, ct, nil); !errors.Is(err, pkcs11.ErrUnsupported) {
		t.Errorf("PKCS #1 v1.5 decryption: %v, want ErrUnsupported", err)
	}
}

func TestTokenEd25519(t *testing.T) {
	pub, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pkcs11.Open(softhsmtest.Import(t, k))
	if err != nil {
		t.Fatal(err)
	}
	s := key.(crypto.Signer)
	if !pub.Equal(s.Public()) {
		t.Fatal("the public key differs from the imported one")
	}
	msg := []byte("canonical signed info")
	sig, err := s.Sign(rand.Reader, msg, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(pub, msg, sig) {
		t.Fatal("the token's Ed25519 signature does not verify")
	}
}

// TestTokenX25519: SoftHSM2 2.6 has no Montgomery keys; the key agreement
// either works or fails with a clear error, at import or at Open.
func TestTokenX25519(t *testing.T) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	uri, err := softhsmtest.ImportErr(t, k)
	if err != nil {
		t.Logf("the token refuses X25519 keys: %v", err)
		if _, err := pkcs11.Open(softhsmtest.URI("no-such-key")); !errors.Is(err, pkcs11.ErrNotFound) {
			t.Errorf("Open of a missing key: %v, want ErrNotFound", err)
		}
		return
	}
	key, err := pkcs11.Open(uri)
	if err != nil {
		if !errors.Is(err, pkcs11.ErrUnsupported) {
			t.Fatalf("Open of an X25519 key: %v, want it to work or ErrUnsupported", err)
		}
		t.Logf("X25519 key agreement unsupported by the token: %v", err)
		return
	}
	a := key.(interface {
		ECDH(*ecdh.PublicKey) ([]byte, error)
	})
	peer, _ := ecdh.X25519().GenerateKey(rand.Reader)
	z1, err := a.ECDH(peer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	z2, _ := peer.ECDH(k.PublicKey())
	if string(z1) != string(z2) {
		t.Fatal("the token's shared secret differs")
	}
}

func TestOpenErrors(t *testing.T) {
	softhsmtest.Import(t, ed25519.NewKeyFromSeed(make([]byte, 32)))
	for uri, want := range map[string]error{
		"pkcs11:object=x":          pkcs11.ErrURI,
		softhsmtest.URI("nothing"): pkcs11.ErrNotFound,
		"pkcs11:token=nope;object=x?module-path=" + softhsmtest.Module: pkcs11.ErrNotFound,
	} {
		if _, err := pkcs11.Open(uri); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", uri, err, want)
		}
	}
}

func TestTokenECDSA(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pkcs11.Open(softhsmtest.Import(t, k))
	if err != nil {
		t.Fatal(err)
	}
	s := key.(crypto.Signer)
	if !k.PublicKey.Equal(s.Public()) {
		t.Fatal("the public key differs from the imported one")
	}
	h := sha256.Sum256([]byte("JAdES signing input"))
	sig, err := s.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
		t.Fatal("the token's ECDSA signature does not verify")
	}
}

// TestTokenRSAHashesAndPSS: RSA PKCS #1 v1.5 and RSASSA-PSS with SHA-256,
// SHA-384 and SHA-512 (the xmldsig-more methods of SAML and eIDAS), the
// PSS salt as long as opts asks (the hash's length, the longest for
// PSSSaltLengthAuto, or a number), verified with exactly that length.
func TestTokenRSAHashesAndPSS(t *testing.T) {
	k, d := openRSA(t, "")
	s := d.(crypto.Signer)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		hh := h.New()
		hh.Write([]byte("ds:SignedInfo"))
		digest := hh.Sum(nil)
		sig, err := s.Sign(rand.Reader, digest, h)
		if err != nil {
			t.Fatalf("PKCS #1 v1.5 with %v: %v", h, err)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, h, digest, sig); err != nil {
			t.Errorf("PKCS #1 v1.5 with %v does not verify: %v", h, err)
		}
		maxSalt := k.Size() - 2 - h.Size()
		for _, c := range []struct{ ask, want int }{{rsa.PSSSaltLengthEqualsHash, h.Size()}, {rsa.PSSSaltLengthAuto, maxSalt}, {20, 20}} {
			sig, err := s.Sign(rand.Reader, digest, &rsa.PSSOptions{Hash: h, SaltLength: c.ask})
			if err != nil {
				t.Fatalf("PSS with %v, salt %d: %v", h, c.ask, err)
			}
			if err := rsa.VerifyPSS(&k.PublicKey, h, digest, sig, &rsa.PSSOptions{Hash: h, SaltLength: c.want}); err != nil {
				t.Errorf("PSS with %v, salt %d: does not verify with a salt of %d: %v", h, c.ask, c.want, err)
			}
		}
	}
	h := sha256.Sum256(nil)
	if _, err := s.Sign(rand.Reader, h[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: k.Size()}); !errors.Is(err, pkcs11.ErrUnsupported) {
		t.Errorf("PSS with a salt longer than the key allows: %v, want ErrUnsupported", err)
	}
}

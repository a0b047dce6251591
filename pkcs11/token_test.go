//go:build pkcs11 && cgo

package pkcs11_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/internal/testenv"
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

// TestTokenOAEPFromOpenSSL: a content-encryption key OpenSSL transports to
// the token's public key with RSA-OAEP, with the digests and MGF1 hashes
// of XML Encryption (rsa-oaep-mgf1p: SHA-1 or SHA-256 with MGF1-SHA-1;
// rsa-oaep: SHA-256 with MGF1-SHA-256), others, and a label, the token
// key decrypts; the same ciphertext read with another MGF1 hash or label
// is an error; a hash the key does not do is refused as ErrUnsupported
// naming it.
func TestTokenOAEPFromOpenSSL(t *testing.T) {
	openssl := testenv.Tool(t, "openssl")
	_, d := openRSA(t, "")
	der, err := x509.MarshalPKIXPublicKey(d.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	names := map[crypto.Hash]string{crypto.SHA1: "sha1", crypto.SHA256: "sha256", crypto.SHA384: "sha384", crypto.SHA512: "sha512"}
	for _, o := range []rsa.OAEPOptions{
		{Hash: crypto.SHA1, MGFHash: crypto.SHA1},
		{Hash: crypto.SHA1}, // MGF1 with the digest's hash
		{Hash: crypto.SHA256, MGFHash: crypto.SHA1},
		{Hash: crypto.SHA256, MGFHash: crypto.SHA256},
		{Hash: crypto.SHA512, MGFHash: crypto.SHA384},
		{Hash: crypto.SHA1, MGFHash: crypto.SHA1, Label: []byte("oots")},
		{Hash: crypto.SHA256, MGFHash: crypto.SHA256, Label: []byte{0, 1, 2}},
	} {
		mgf := o.MGFHash
		if mgf == 0 {
			mgf = o.Hash
		}
		name := names[o.Hash] + "/mgf1-" + names[mgf] + "/label=" + hex.EncodeToString(o.Label)
		cek := make([]byte, 32)
		rand.Read(cek)
		args := []string{"pkeyutl", "-encrypt", "-pubin", "-inkey", pubFile, "-pkeyopt", "rsa_padding_mode:oaep",
			"-pkeyopt", "rsa_oaep_md:" + names[o.Hash], "-pkeyopt", "rsa_mgf1_md:" + names[mgf]}
		if len(o.Label) > 0 {
			args = append(args, "-pkeyopt", "rsa_oaep_label:"+hex.EncodeToString(o.Label))
		}
		cmd := exec.Command(openssl, args...)
		cmd.Stdin = bytes.NewReader(cek)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		ct, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: openssl pkeyutl: %v\n%s", name, err, stderr.Bytes())
		}
		pt, err := d.Decrypt(nil, ct, &o)
		if err != nil || !bytes.Equal(pt, cek) {
			t.Errorf("%s: the token decrypted OpenSSL's ciphertext as %x, %v", name, pt, err)
		}
		other := o
		other.MGFHash = crypto.SHA512
		if pt, err := d.Decrypt(nil, ct, &other); err == nil || errors.Is(err, pkcs11.ErrUnsupported) {
			t.Errorf("%s read with MGF1-SHA-512: %x, %v, want a decryption error", name, pt, err)
		}
		other = o
		other.Label = []byte("another label")
		if pt, err := d.Decrypt(nil, ct, &other); err == nil || errors.Is(err, pkcs11.ErrUnsupported) {
			t.Errorf("%s read with another label: %x, %v, want a decryption error", name, pt, err)
		}
	}
	ct := make([]byte, 256)
	for _, c := range []struct {
		opts crypto.DecrypterOpts
		want string
	}{
		{&rsa.OAEPOptions{Hash: crypto.SHA224}, "SHA-224"},
		{&rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.MD5}, "MD5"},
		{&rsa.OAEPOptions{Hash: crypto.SHA3_256, MGFHash: crypto.SHA1}, "SHA3-256"},
		{nil, "RSA-OAEP"},
		{crypto.SHA256, "RSA-OAEP"},
	} {
		if _, err := d.Decrypt(nil, ct, c.opts); !errors.Is(err, pkcs11.ErrUnsupported) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("decryption with %#v: %v, want ErrUnsupported naming %s", c.opts, err, c.want)
		}
	}
}

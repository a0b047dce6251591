package saml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// testDecrypterWrapper is a test wrapper: an RSA key reached only through
// Public and Decrypt, as a key in a hardware security module is (it is
// not an *rsa.PrivateKey), counting its decryptions. With fail set, every
// decryption fails with it, as a token that does not answer would.
type testDecrypterWrapper struct {
	key   *rsa.PrivateKey
	fail  error
	calls atomic.Int32
}

func (d *testDecrypterWrapper) Public() crypto.PublicKey { return &d.key.PublicKey }

func (d *testDecrypterWrapper) Decrypt(rand io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	d.calls.Add(1)
	if d.fail != nil {
		return nil, d.fail
	}
	return d.key.Decrypt(rand, msg, opts)
}

// withDecrypter returns an Authenticator whose EncryptionKey is w, wrapping
// the test SP's encryption key.
func withDecrypter(t *testing.T, w *testDecrypterWrapper) *Authenticator {
	t.Helper()
	return newTestSP(t, func(c *Config) {
		w.key = spEnc
		c.EncryptionKey = w
	})
}

// TestPysaml2ToDecrypter: an assertion that pysaml2 and xmlsec1 encrypt
// (rsa-oaep-mgf1p) is decrypted by a crypto.Decrypter that is not an
// *rsa.PrivateKey, as a key in a hardware security module is.
func TestPysaml2ToDecrypter(t *testing.T) {
	w := &testDecrypterWrapper{}
	a := withDecrypter(t, w)
	b := begin(t, a, "BE")
	s, err := answer(t, a, b, pysaml2Response{}.write(t, a, b))
	if err != nil {
		t.Fatal(err)
	}
	if s.Person.Identifier != "BE/NL/1234567890" || s.Person.FamilyName != "Janssens" {
		t.Errorf("person %+v", *s.Person)
	}
	if w.calls.Load() != 1 {
		t.Errorf("the key decrypted %d times, want once", w.calls.Load())
	}
}

// TestDecrypterKeyTransports: xmlenc11 rsa-oaep with SHA-256 and MGF1 with
// SHA-256 (what xmlenc writes) reaches a crypto.Decrypter too, and a key
// that fails says why to the operator, while the error is still the
// refused decryption (xmlenc.ErrAuthentication).
func TestDecrypterKeyTransports(t *testing.T) {
	as := xmltree.NewElement(NSAssertion, "saml2", "Assertion")
	as.DeclareNS("saml2", NSAssertion)
	as.SetAttr("", "", "ID", "_a1")

	w := &testDecrypterWrapper{}
	a := withDecrypter(t, w)
	got, err := a.decrypt(encryptAssertion(t, as, xmlenc.AES256GCM))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Is(NSAssertion, "Assertion") || got.SelectAttr("", "ID") != "_a1" || w.calls.Load() != 1 {
		t.Fatalf("decrypted %s with ID %q in %d decryptions", got.Name, got.SelectAttr("", "ID"), w.calls.Load())
	}

	cause := errors.New("the token does not answer")
	a = withDecrypter(t, &testDecrypterWrapper{fail: cause})
	_, err = a.decrypt(encryptAssertion(t, as, xmlenc.AES256GCM))
	if !errors.Is(err, xmlenc.ErrAuthentication) || !errors.Is(err, cause) {
		t.Fatalf("a failing key: %v, want ErrAuthentication with the key's error", err)
	}
}

// TestEncryptionKeyValidate: EncryptionKey is any crypto.Decrypter of an
// RSA key of at least 2048 bits whose certificate is EncryptionCert.
func TestEncryptionKeyValidate(t *testing.T) {
	testKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  crypto.Decrypter
		want string
	}{
		{"an *rsa.PrivateKey", spEnc, ""},
		{"another crypto.Decrypter", &testDecrypterWrapper{key: spEnc}, ""},
		{"a nil *rsa.PrivateKey", (*rsa.PrivateKey)(nil), "EncryptionKey and EncryptionCert are required"},
		{"not RSA", ecdsaDecrypter{}, "is not an RSA key"},
		{"1024 bits", &testDecrypterWrapper{key: small}, "less than 2048 bits"},
		{"not the certificate's", other, "EncryptionCert is not the certificate of EncryptionKey"},
	} {
		cfg := Config{BaseURL: testBase, SigningKey: spSign, SigningCert: spSignC, EncryptionKey: tc.key, EncryptionCert: spEncC,
			Replay: struct{ ReplayCache }{}, Nodes: map[string]Node{"BE": {EntityID: nodeBE.entityID, SSOURL: "https://eidas.be.example/sso", Certificates: []*x509.Certificate{nodeBE.cert}}}}
		err := cfg.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if kerr := cfg.ValidateKeys(); (kerr == nil) != (err == nil) {
			t.Errorf("%s: ValidateKeys %v, Validate %v", tc.name, kerr, err)
		}
	}
	// A signing certificate of another key: the nodes would check our
	// signatures with a key we do not sign with.
	cfg := Config{BaseURL: testBase, SigningKey: spSign, SigningCert: spEncC, EncryptionKey: spEnc, EncryptionCert: spEncC}
	if err := cfg.ValidateKeys(); err == nil || !strings.Contains(err.Error(), "SigningCert is not the certificate of SigningKey") {
		t.Errorf("another key's signing certificate: %v", err)
	}
}

// ecdsaDecrypter is a test wrapper: a crypto.Decrypter whose key is not
// RSA.
type ecdsaDecrypter struct{}

func (ecdsaDecrypter) Public() crypto.PublicKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k.Public()
}

func (ecdsaDecrypter) Decrypt(io.Reader, []byte, crypto.DecrypterOpts) ([]byte, error) {
	return nil, errors.New("not RSA")
}

//go:build pkcs11 && cgo

package saml

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/pkcs11"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// TestEncryptionKeyInToken: the SP's encryption key lives in a SoftHSM2
// token, opened by PKCS#11 URI. An assertion that pysaml2 and xmlsec1
// encrypt to its certificate (rsa-oaep-mgf1p, SHA-1) is decrypted in the
// token, and so is one whose key is transported with xmlenc11 rsa-oaep,
// SHA-256 and MGF1-SHA256 (which SoftHSM2 2.6 leaves to package pkcs11's
// OAEP decoding of its raw RSA).
func TestEncryptionKeyInToken(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := pkcs11.Open(softhsmtest.Import(t, k))
	if err != nil {
		t.Fatal(err)
	}
	dec, ok := tk.(crypto.Decrypter)
	if !ok {
		t.Fatalf("the token's RSA key is a %T, not a crypto.Decrypter", tk)
	}
	cert := selfSigned(t, k, "SP encryption in a token")
	a := newTestSP(t, func(c *Config) { c.EncryptionKey, c.EncryptionCert = dec, cert })

	b := begin(t, a, "BE")
	s, err := answer(t, a, b, pysaml2Response{}.write(t, a, b))
	if err != nil {
		t.Fatalf("pysaml2's assertion, decrypted in the token: %v", err)
	}
	if s.Person.Identifier != "BE/NL/1234567890" || s.Person.FamilyName != "Janssens" {
		t.Errorf("person %+v", *s.Person)
	}

	as := xmltree.NewElement(NSAssertion, "saml2", "Assertion")
	as.DeclareNS("saml2", NSAssertion)
	as.SetAttr("", "", "ID", "_a1")
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, as, xmltree.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ed, err := xmlenc.EncryptElement(rand.Reader, buf.Bytes(), xmlenc.AES128GCM, &k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ea := xmltree.NewElement(NSAssertion, "saml2", "EncryptedAssertion")
	ea.AddChild(ed)
	got, err := a.decrypt(ea)
	if err != nil {
		t.Fatalf("rsa-oaep with MGF1-SHA256, decrypted in the token: %v", err)
	}
	if got.SelectAttr("", "ID") != "_a1" {
		t.Errorf("decrypted the assertion %q", got.SelectAttr("", "ID"))
	}
}

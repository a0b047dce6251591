package saml

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"testing"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// TestKeyTransportMGF1SHA1: an assertion whose key is transported with
// xmlenc11 rsa-oaep and MGF1 with SHA-1 (no xenc11:MGF, or mgf1sha1) is
// decrypted, as one with rsa-oaep-mgf1p (always MGF1-SHA1) is. The key's
// cipher text is the standard library's OAEP, not ours.
func TestKeyTransportMGF1SHA1(t *testing.T) {
	a := newTestSP(t, nil)
	as := xmltree.NewElement(NSAssertion, "saml2", "Assertion")
	as.DeclareNS("saml2", NSAssertion)
	as.SetAttr("", "", "ID", "_a1")
	for _, mgf := range []string{"none", string(xmlenc.MGF1SHA1)} {
		ea := encryptAssertion(t, as, xmlenc.AES256GCM)
		ek := ea.Child(xmlenc.Namespace, "EncryptedData").Child(xmldsig.Namespace, "KeyInfo").Child(xmlenc.Namespace, "EncryptedKey")
		cv := ek.Child(xmlenc.Namespace, "CipherData").Child(xmlenc.Namespace, "CipherValue")
		ct, err := base64.StdEncoding.DecodeString(cv.Text())
		if err != nil {
			t.Fatal(err)
		}
		cek, err := rsa.DecryptOAEP(crypto.SHA256.New(), nil, spEnc, ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ct, err = rsa.EncryptOAEPWithOptions(rand.Reader, &spEnc.PublicKey, cek, &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1}); err != nil {
			t.Fatal(err)
		}
		cv.SetText(base64.StdEncoding.EncodeToString(ct))
		em := ek.Child(xmlenc.Namespace, "EncryptionMethod")
		m := em.Child(xmlenc.Namespace11, "MGF")
		if mgf == "none" {
			em.RemoveChild(m)
		} else {
			m.SetAttr("", "", "Algorithm", mgf)
		}
		got, err := a.decrypt(ea)
		if err != nil {
			t.Fatalf("MGF %s: %v", mgf, err)
		}
		var want, have bytes.Buffer
		xmltree.WriteElement(&want, as, xmltree.WriteOptions{})
		xmltree.WriteElement(&have, got, xmltree.WriteOptions{})
		if !got.Is(NSAssertion, "Assertion") || got.SelectAttr("", "ID") != "_a1" {
			t.Fatalf("MGF %s: decrypted %s, want %s", mgf, have.String(), want.String())
		}
	}
}

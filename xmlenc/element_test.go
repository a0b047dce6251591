package xmlenc_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

var gcmMethods = []xmlenc.Algorithm{xmlenc.AES128GCM, xmlenc.AES192GCM, xmlenc.AES256GCM}

func encryptedElement(tb testing.TB, key *rsa.PrivateKey, plain []byte, m xmlenc.Algorithm) []byte {
	tb.Helper()
	e, err := xmlenc.EncryptElement(rand.Reader, plain, m, &key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, e, xmltree.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncryptedElement round-trips each AES-GCM method and refuses what
// the policy does not list, a tampered cipher text and the wrong key.
func TestEncryptedElement(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a"/>`)
	pol := &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP}}
	for _, m := range gcmMethods {
		doc, err := xmltree.ParseBytes(encryptedElement(t, key, plain, m), nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := xmlenc.ParseEncryptedElement(doc.Root, gcmMethods, pol)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Decrypt(key)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: %q %v", m, got, err)
		}
		if _, err := xmlenc.ParseEncryptedElement(doc.Root, []xmlenc.Algorithm{xmlenc.AES128GCM}, pol); m != xmlenc.AES128GCM && !errors.Is(err, xmlenc.ErrAlgorithm) {
			t.Errorf("%s accepted outside the policy: %v", m, err)
		}
		d.CipherValue[len(d.CipherValue)-1] ^= 1
		if _, err := d.Decrypt(key); !errors.Is(err, xmlenc.ErrAuthentication) {
			t.Errorf("tampered: %v", err)
		}
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	doc, _ := xmltree.ParseBytes(encryptedElement(t, key, plain, xmlenc.AES128GCM), nil)
	d, err := xmlenc.ParseEncryptedElement(doc.Root, gcmMethods, pol)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Decrypt(other); !errors.Is(err, xmlenc.ErrAuthentication) {
		t.Errorf("wrong key: %v", err)
	}
}

// FuzzEncryptedElement: ParseEncryptedElement and Decrypt never panic.
func FuzzEncryptedElement(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encryptedElement(f, key, []byte("<a/>"), xmlenc.AES256GCM))
	pol := &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP, xmlenc.RSAOAEPMGF1P}}
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, err := xmltree.ParseBytes(in, nil)
		if err != nil {
			return
		}
		if d, err := xmlenc.ParseEncryptedElement(doc.Root, gcmMethods, pol); err == nil {
			d.Decrypt(key)
		}
	})
}

// opaqueKey is an RSA key that only its crypto.Decrypter methods reach, as
// a key in a token is.
type opaqueKey struct{ crypto.Decrypter }

// TestMGF1PWithDecrypter: an rsa-oaep-mgf1p key (SHA-1 or SHA-256 digest,
// MGF1 with SHA-1) is decrypted by any crypto.Decrypter of an RSA key, not
// only by an *rsa.PrivateKey: a key in a token decrypts it too. The cipher
// text is the standard library's OAEP, not ours.
func TestMGF1PWithDecrypter(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cek := make([]byte, 32)
	rand.Read(cek)
	pol := &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEPMGF1P}}
	for _, c := range []struct {
		digest string
		hash   crypto.Hash
	}{{"http://www.w3.org/2000/09/xmldsig#sha1", crypto.SHA1}, {"http://www.w3.org/2001/04/xmlenc#sha256", crypto.SHA256}} {
		ct, err := rsa.EncryptOAEPWithOptions(rand.Reader, &key.PublicKey, cek, &rsa.OAEPOptions{Hash: c.hash, MGFHash: crypto.SHA1})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := xmltree.ParseBytes([]byte(`<xenc:EncryptedKey xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`+
			`<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="`+c.digest+`"/></xenc:EncryptionMethod>`+
			`<xenc:CipherData><xenc:CipherValue>`+base64.StdEncoding.EncodeToString(ct)+`</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`), nil)
		if err != nil {
			t.Fatal(err)
		}
		ek, err := xmlenc.ParseEncryptedKey(doc.Root, pol)
		if err != nil {
			t.Fatal(err)
		}
		for _, priv := range []crypto.PrivateKey{key, opaqueKey{key}} {
			got, err := ek.DecryptKey(priv, len(cek))
			if err != nil || !bytes.Equal(got, cek) {
				t.Errorf("%s, %T: %x %v", c.digest, priv, got, err)
			}
		}
		if _, err := ek.DecryptKey(struct{}{}, len(cek)); !errors.Is(err, xmlenc.ErrKey) {
			t.Errorf("no RSA key: %v, want ErrKey", err)
		}
	}
}

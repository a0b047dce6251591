package xmlenc_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
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

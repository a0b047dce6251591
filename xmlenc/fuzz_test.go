package xmlenc_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

const rsaSeed = `<xenc:EncryptedKey xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Id="EK-1"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><xenc11:MGF Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>AAECAw==</xenc:CipherValue></xenc:CipherData><xenc:ReferenceList><xenc:DataReference URI="#ED-1"/></xenc:ReferenceList></xenc:EncryptedKey>`

func x25519Seed(tb testing.TB) ([]byte, *ecdh.PrivateKey) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	cek, _ := xmlenc.NewKey(rand.Reader)
	ek, err := xmlenc.EncryptKeyX25519(rand.Reader, priv.PublicKey(), cek)
	if err != nil {
		tb.Fatal(err)
	}
	ek.DataReferences = []string{"#ED-1"}
	el, err := ek.Element()
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	xmltree.WriteElement(&b, el, xmltree.WriteOptions{})
	return b.Bytes(), priv
}

var allMethods = &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP, xmlenc.KWAES128}, MGFs: []xmlenc.Algorithm{xmlenc.MGF1SHA256, xmlenc.MGF1SHA1}}

// FuzzParseEncryptedKey: the EncryptedKey/EncryptedData parsers and the key
// agreement never panic; refusals are the package's errors.
func FuzzParseEncryptedKey(f *testing.F) {
	seed, priv := x25519Seed(f)
	f.Add(seed)
	f.Add([]byte(rsaSeed))
	f.Add([]byte(strings.Replace(rsaSeed, `<xenc11:MGF Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>`, "", 1)))
	f.Add([]byte(strings.Replace(rsaSeed, "#mgf1sha256", "#mgf1sha1", 1)))
	ed := (&xmlenc.EncryptedData{ID: "ED-1", Type: xmlenc.TypeAttachmentContentOnly, MimeType: "application/pdf", Method: xmlenc.AES128GCM, CipherReference: "cid:a@b"}).Element()
	var b bytes.Buffer
	xmltree.WriteElement(&b, ed, xmltree.WriteOptions{})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := xmltree.ParseBytes(in, &xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000})
		if err != nil {
			return
		}
		if d.Root.Is(xmlenc.Namespace, "EncryptedData") {
			if _, err := xmlenc.ParseEncryptedData(d.Root); err != nil && !errors.Is(err, xmlenc.ErrMalformed) && !errors.Is(err, xmlenc.ErrAlgorithm) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		k, err := xmlenc.ParseEncryptedKey(d.Root, allMethods)
		if err != nil {
			if !errors.Is(err, xmlenc.ErrMalformed) && !errors.Is(err, xmlenc.ErrAlgorithm) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if k.Method == xmlenc.KWAES128 {
			k.Decrypt(priv)
		}
	})
}

// FuzzDecryptGCM: arbitrary ciphertexts are refused with ErrAuthentication
// (or an I/O error), never accepted, never a panic.
func FuzzDecryptGCM(f *testing.F) {
	key := make([]byte, 16)
	var ct bytes.Buffer
	xmlenc.EncryptGCM(&ct, bytes.NewReader([]byte("hello attachment")), key, make([]byte, 12))
	f.Add(ct.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, err := xmlenc.DecryptGCM(io.Discard, bytes.NewReader(in), key)
		if err == nil && !bytes.Equal(in, ct.Bytes()) {
			t.Fatalf("forged ciphertext accepted: %x", in)
		}
	})
}

// Encrypt an attachment for an X25519 recipient (eDelivery AS4 2.0) and
// decrypt it again, streaming.
func Example() {
	recipient, _ := ecdh.X25519().GenerateKey(rand.Reader)

	// Sender: a fresh content key, agreed and wrapped for the recipient.
	cek, _ := xmlenc.NewKey(rand.Reader)
	ek, _ := xmlenc.EncryptKeyFor(rand.Reader, recipient.PublicKey(), cek)
	el, _ := ek.Element()
	iv := make([]byte, xmlenc.GCMNonceSize)
	rand.Read(iv)
	var part bytes.Buffer // IV ‖ ciphertext ‖ tag, the MIME part's content
	xmlenc.EncryptGCM(&part, bytes.NewReader([]byte("evidence.pdf content")), cek, iv)

	// Receiver: parse under the profile's policy, recover the key, decrypt.
	got, err := xmlenc.ParseEncryptedKey(el, &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.KWAES128}})
	if err != nil {
		panic(err)
	}
	key, err := got.Decrypt(recipient)
	if err != nil {
		panic(err)
	}
	var plain bytes.Buffer
	if _, err := xmlenc.DecryptGCM(&plain, &part, key); err != nil {
		panic(err)
	}
	fmt.Println(got.Agreement.Method)
	fmt.Println(plain.String())
	// Output:
	// http://www.w3.org/2021/04/xmldsig-more#x25519
	// evidence.pdf content
}

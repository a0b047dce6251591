package xmldsig_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

var samlPolicy = xmldsig.Policy{
	SignatureMethods: []xmldsig.SignatureMethod{xmldsig.ECDSASHA256, xmldsig.RSAPSSSHA256},
	DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
	Transforms:       []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N},
}

func signedByID(tb testing.TB, key crypto.Signer, m xmldsig.SignatureMethod) *xmltree.Element {
	tb.Helper()
	doc, err := xmltree.ParseBytes([]byte(`<p:Response xmlns:p="urn:example" ID="r1"><p:Issuer>me</p:Issuer><p:Inner ID="i1">data</p:Inner></p:Response>`), nil)
	if err != nil {
		tb.Fatal(err)
	}
	sg := xmldsig.Signer{Key: key, Method: m, Rand: rand.Reader}
	sig, err := sg.SignEnvelopedID(doc.Root, "r1")
	if err != nil {
		tb.Fatal(err)
	}
	doc.Root.InsertChild(1, sig)
	return doc.Root
}

// TestEnvelopedID signs and verifies with ECDSA-SHA256 and RSA-PSS, and
// refuses a signature whose reference names another element than the one
// it envelopes (signature wrapping), a wrong key and an altered element.
func TestEnvelopedID(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		key crypto.Signer
		m   xmldsig.SignatureMethod
	}{{ek, xmldsig.ECDSASHA256}, {rk, xmldsig.RSAPSSSHA256}} {
		root := signedByID(t, tc.key, tc.m)
		pub := func(*xmldsig.Signature) (crypto.PublicKey, error) { return tc.key.Public(), nil }
		got, _, err := xmldsig.VerifyEnvelopedID(root, "ID", &samlPolicy, pub)
		if err != nil {
			t.Fatalf("%s: %v", tc.m, err)
		}
		if got.Child("urn:example", "Inner").Text() != "data" || len(got.ChildrenNamed(xmldsig.Namespace, "Signature")) != 0 {
			t.Errorf("%s: verified content wrong", tc.m)
		}
		// Wrapping: a new root with the signature, the original inside.
		evil := root.Copy()
		evil.SetAttr("", "", "ID", "evil")
		evil.AddChild(root.Copy())
		if _, _, err := xmldsig.VerifyEnvelopedID(evil, "ID", &samlPolicy, pub); !errors.Is(err, xmldsig.ErrMalformed) {
			t.Errorf("%s: wrapped signature: %v", tc.m, err)
		}
		altered := root.Copy()
		altered.Child("urn:example", "Inner").SetText("other")
		if _, _, err := xmldsig.VerifyEnvelopedID(altered, "ID", &samlPolicy, pub); !errors.Is(err, xmldsig.ErrDigest) {
			t.Errorf("%s: altered: %v", tc.m, err)
		}
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if _, _, err := xmldsig.VerifyEnvelopedID(root, "ID", &samlPolicy, func(*xmldsig.Signature) (crypto.PublicKey, error) { return &other.PublicKey, nil }); err == nil {
			t.Errorf("%s: verified with another key", tc.m)
		}
	}
}

package xmldsig_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

const doc = `<r:Root xmlns:r="urn:test" xmlns:u="urn:util"><r:Data u:Id="d1"><r:Value>42</r:Value></r:Data></r:Root>`

var policy = &xmldsig.Policy{
	SignatureMethods: []xmldsig.SignatureMethod{xmldsig.RSASHA256, xmldsig.Ed25519},
	DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
	Transforms:       []xmldsig.Transform{xmldsig.ExcC14N, xmldsig.AttachmentContent},
}

func sign(tb testing.TB, signer *xmldsig.Signer) []byte {
	tb.Helper()
	d, err := xmltree.ParseBytes([]byte(doc), nil)
	if err != nil {
		tb.Fatal(err)
	}
	data := d.Root.Elements()[0]
	ref := xmldsig.Reference{URI: "#d1", Transforms: []xmldsig.Transform{xmldsig.ExcC14N}, DigestMethod: xmldsig.SHA256}
	if ref.DigestValue, err = xmldsig.DigestElement(data, &ref); err != nil {
		tb.Fatal(err)
	}
	att := xmldsig.Reference{URI: "cid:att", Transforms: []xmldsig.Transform{xmldsig.AttachmentContent}, DigestMethod: xmldsig.SHA256}
	if att.DigestValue, err = xmldsig.DigestContent("application/pdf", strings.NewReader("attachment"), &att); err != nil {
		tb.Fatal(err)
	}
	sig, err := signer.Sign([]xmldsig.Reference{ref, att})
	if err != nil {
		tb.Fatal(err)
	}
	d.Root.AddChild(sig)
	return d.Bytes()
}

// verify parses a signed document and checks everything; it returns the
// first failure.
func verify(b []byte, pub any) error {
	d, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		return err
	}
	sig, err := xmldsig.Parse(d.Root.Child(xmldsig.Namespace, "Signature"), policy)
	if err != nil {
		return err
	}
	if err := sig.VerifySignedInfo(pub); err != nil {
		return err
	}
	for i := range sig.References {
		r := &sig.References[i]
		var got []byte
		if r.URI == "#d1" {
			got, err = xmldsig.DigestElement(d.Root.Elements()[0], r)
		} else {
			got, err = xmldsig.DigestContent("application/pdf", strings.NewReader("attachment"), r)
		}
		if err != nil {
			return err
		}
		if err := r.CheckDigest(got); err != nil {
			return err
		}
	}
	return nil
}

func TestSignVerify(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	epub, ek, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name   string
		signer *xmldsig.Signer
		pub    any
		wrong  any
	}{
		{"rsa-sha256", &xmldsig.Signer{Key: rk, Method: xmldsig.RSASHA256}, &rk.PublicKey, epub},
		{"ed25519", &xmldsig.Signer{Key: ek, Method: xmldsig.Ed25519}, epub, &rk.PublicKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := sign(t, tc.signer)
			if err := verify(b, tc.pub); err != nil {
				t.Fatal(err)
			}
			if err := verify(b, tc.wrong); !errors.Is(err, xmldsig.ErrKey) {
				t.Fatalf("wrong key type: %v", err)
			}
			bad := strings.Replace(string(b), "42", "43", 1)
			if err := verify([]byte(bad), tc.pub); !errors.Is(err, xmldsig.ErrDigest) {
				t.Fatalf("tampered data: %v", err)
			}
			bad = strings.Replace(string(b), "#d1", "#d2", 1)
			if err := verify([]byte(bad), tc.pub); !errors.Is(err, xmldsig.ErrSignatureValue) {
				t.Fatalf("tampered SignedInfo: %v", err)
			}
			bad = strings.Replace(string(b), string(xmldsig.SHA256), "http://www.w3.org/2000/09/xmldsig#sha1", 1)
			if err := verify([]byte(bad), tc.pub); !errors.Is(err, xmldsig.ErrAlgorithm) {
				t.Fatalf("sha1 digest: %v", err)
			}
		})
	}
}

// FuzzParse: the ds:Signature parser never panics, and what it accepts
// verifies or fails with one of the package's errors.
func FuzzParse(f *testing.F) {
	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	f.Add(sign(f, &xmldsig.Signer{Key: ek, Method: xmldsig.Ed25519}))
	f.Add([]byte(`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := xmltree.ParseBytes(b, &xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000})
		if err != nil {
			return
		}
		var sigEl *xmltree.Element
		d.Root.Walk(func(e *xmltree.Element) bool {
			if sigEl == nil && e.Is(xmldsig.Namespace, "Signature") {
				sigEl = e
			}
			return sigEl == nil
		})
		sig, err := xmldsig.Parse(sigEl, policy)
		if err != nil {
			if !errors.Is(err, xmldsig.ErrMalformed) && !errors.Is(err, xmldsig.ErrAlgorithm) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		_ = sig.VerifySignedInfo(ek.Public())
		for i := range sig.References {
			r := &sig.References[i]
			if strings.HasPrefix(r.URI, "cid:") {
				xmldsig.DigestContent("text/plain", strings.NewReader("x\r"), r)
			} else {
				xmldsig.DigestElement(d.Root, r)
			}
		}
	})
}

// Sign an element by Id and an attachment by cid:, then verify both.
func Example() {
	d, _ := xmltree.ParseBytes([]byte(`<r:Root xmlns:r="urn:test" xmlns:u="urn:util"><r:Data u:Id="d1">42</r:Data></r:Root>`), nil)
	data := d.Root.Elements()[0]
	ref := xmldsig.Reference{URI: "#d1", Transforms: []xmldsig.Transform{xmldsig.ExcC14N}, DigestMethod: xmldsig.SHA256}
	ref.DigestValue, _ = xmldsig.DigestElement(data, &ref)
	att := xmldsig.Reference{URI: "cid:payload@example", Transforms: []xmldsig.Transform{xmldsig.AttachmentContent}, DigestMethod: xmldsig.SHA256}
	att.DigestValue, _ = xmldsig.DigestContent("application/octet-stream", strings.NewReader("payload bytes"), &att)

	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	sigEl, err := (&xmldsig.Signer{Key: key, Method: xmldsig.Ed25519}).Sign([]xmldsig.Reference{ref, att})
	if err != nil {
		panic(err)
	}
	d.Root.AddChild(sigEl)

	// The verifier parses under a policy, checks the SignatureValue, then
	// each reference against the element or content it has resolved itself.
	sig, err := xmldsig.Parse(sigEl, &xmldsig.Policy{
		SignatureMethods: []xmldsig.SignatureMethod{xmldsig.Ed25519},
		DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
		Transforms:       []xmldsig.Transform{xmldsig.ExcC14N, xmldsig.AttachmentContent},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("signature value:", sig.VerifySignedInfo(pub))
	got, _ := xmldsig.DigestElement(data, &sig.References[0])
	fmt.Println(sig.References[0].URI, sig.References[0].CheckDigest(got))
	got, _ = xmldsig.DigestContent("application/octet-stream", strings.NewReader("tampered bytes"), &sig.References[1])
	fmt.Println(sig.References[1].URI, sig.References[1].CheckDigest(got))
	// Output:
	// signature value: <nil>
	// #d1 <nil>
	// cid:payload@example xmldsig: reference digest does not match: cid:payload@example
}

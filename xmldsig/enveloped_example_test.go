package xmldsig_test

import (
	"crypto"
	"crypto/ed25519"
	"fmt"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// An enveloped signature over a whole document, as SMP answers carry it.
func ExampleSigner_SignEnveloped() {
	pub, key, _ := ed25519.GenerateKey(nil)
	doc, _ := xmltree.ParseBytes([]byte(`<m:Metadata xmlns:m="urn:example"><m:URL>https://ap.example.eu/</m:URL></m:Metadata>`), nil)
	sg := &xmldsig.Signer{Key: key, Method: xmldsig.Ed25519}
	if _, err := sg.SignEnveloped(doc.Root); err != nil {
		fmt.Println(err)
		return
	}
	signed, _ := xmltree.ParseBytes(doc.Bytes(), nil)
	pol := &xmldsig.Policy{
		SignatureMethods: []xmldsig.SignatureMethod{xmldsig.Ed25519},
		DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
		Transforms:       []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N},
	}
	content, _, err := xmldsig.VerifyEnveloped(signed.Root, pol, func(*xmldsig.Signature) (crypto.PublicKey, error) { return pub, nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(content.Canonical()))
	// Output:
	// <m:Metadata xmlns:m="urn:example"><m:URL>https://ap.example.eu/</m:URL></m:Metadata>
}

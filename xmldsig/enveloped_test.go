package xmldsig_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

var envelopedPolicy = &xmldsig.Policy{
	SignatureMethods: []xmldsig.SignatureMethod{xmldsig.RSASHA256, xmldsig.Ed25519},
	DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
	Transforms:       []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N},
}

const envelopedDoc = `<m:Metadata xmlns:m="urn:test:smp" xmlns:x="urn:test:unused"><m:Endpoint>https://ap.example.eu/as4</m:Endpoint><m:Note a="1">tiny</m:Note></m:Metadata>`

func signEnveloped(tb testing.TB, key crypto.Signer) []byte {
	tb.Helper()
	d, err := xmltree.ParseBytes([]byte(envelopedDoc), nil)
	if err != nil {
		tb.Fatal(err)
	}
	sg := &xmldsig.Signer{Key: key, Method: xmldsig.RSASHA256}
	if _, err := sg.SignEnveloped(d.Root); err != nil {
		tb.Fatal(err)
	}
	return d.Bytes()
}

func verifyEnveloped(b []byte, pub crypto.PublicKey) (*xmltree.Element, error) {
	d, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		return nil, err
	}
	content, _, err := xmldsig.VerifyEnveloped(d.Root, envelopedPolicy, func(*xmldsig.Signature) (crypto.PublicKey, error) { return pub, nil })
	return content, err
}

func TestEnveloped(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signed := signEnveloped(t, key)
	content, err := verifyEnveloped(signed, &key.PublicKey)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, signed)
	}
	if got := string(content.Canonical()); got != `<m:Metadata xmlns:m="urn:test:smp"><m:Endpoint>https://ap.example.eu/as4</m:Endpoint><m:Note a="1">tiny</m:Note></m:Metadata>` {
		t.Errorf("verified content: %s", got)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cases := []struct {
		name string
		doc  string
		pub  crypto.PublicKey
		want error
	}{
		{"content changed", strings.Replace(string(signed), "ap.example.eu", "evil.example.eu", 1), &key.PublicKey, xmldsig.ErrDigest},
		{"wrong key", string(signed), &other.PublicKey, xmldsig.ErrSignatureValue},
		{"unsigned", envelopedDoc, &key.PublicKey, xmldsig.ErrMalformed},
		{"signature moved inside", strings.Replace(strings.Replace(string(signed), "<ds:Signature", "<m:Note><ds:Signature", 1), "</ds:Signature>", "</ds:Signature></m:Note>", 1), &key.PublicKey, xmldsig.ErrMalformed},
		{"reference to an id", strings.Replace(string(signed), `URI=""`, `URI="#x"`, 1), &key.PublicKey, xmldsig.ErrMalformed},
		{"no c14n transform", dropC14NTransform(t, signed), &key.PublicKey, xmldsig.ErrAlgorithm},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := verifyEnveloped([]byte(c.doc), c.pub)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	t.Run("two signatures", func(t *testing.T) {
		d, _ := xmltree.ParseBytes(signed, nil)
		d.Root.AddChild(d.Root.Child(xmldsig.Namespace, "Signature").Copy())
		if _, err := verifyEnveloped(d.Bytes(), &key.PublicKey); !errors.Is(err, xmldsig.ErrMalformed) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestEnvelopedXMLSec asks libxmlsec1 to verify our enveloped signature and
// to refuse a tampered copy.
func TestEnvelopedXMLSec(t *testing.T) {
	xmlsec := testenv.Tool(t, "xmlsec1")
	ca, err := pki.NewCA("enveloped test CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	party, err := pki.Issue(ca, "smp", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	signed := signEnveloped(t, party.Sign.Signer())
	dir := t.TempDir()
	cert := filepath.Join(dir, "signer.pem")
	os.WriteFile(cert, pki.CertPEM(party.Sign.Cert), 0o600)
	check := func(doc []byte) (bool, string) {
		f := filepath.Join(dir, "doc.xml")
		os.WriteFile(f, doc, 0o600)
		out, err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", cert, f).CombinedOutput()
		return err == nil, string(out)
	}
	if ok, out := check(signed); !ok {
		t.Fatalf("xmlsec1 rejects our enveloped signature:\n%s\n%s", out, signed)
	}
	if ok, out := check([]byte(strings.Replace(string(signed), "tiny", "huge", 1))); ok {
		t.Fatalf("xmlsec1 accepted a tampered document:\n%s", out)
	}
}

// dropC14NTransform removes the exclusive c14n transform of the reference:
// the transform list is refused before any key is used.
func dropC14NTransform(tb testing.TB, signed []byte) string {
	tb.Helper()
	d, err := xmltree.ParseBytes(signed, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ts := d.Root.Child(xmldsig.Namespace, "Signature").Child(xmldsig.Namespace, "SignedInfo").Child(xmldsig.Namespace, "Reference").Child(xmldsig.Namespace, "Transforms")
	ts.RemoveChild(ts.Elements()[1])
	return string(d.Bytes())
}

// FuzzVerifyEnveloped: whatever the document, VerifyEnveloped refuses it
// without panicking, or returns content whose canonical form is the one that
// was signed.
func FuzzVerifyEnveloped(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	signed := signEnveloped(f, key)
	f.Add(signed)
	f.Add([]byte(envelopedDoc))
	want := `<m:Metadata xmlns:m="urn:test:smp"><m:Endpoint>https://ap.example.eu/as4</m:Endpoint><m:Note a="1">tiny</m:Note></m:Metadata>`
	f.Fuzz(func(t *testing.T, b []byte) {
		content, err := verifyEnveloped(b, &key.PublicKey)
		if err != nil {
			return
		}
		if got := string(content.Canonical()); got != want {
			t.Fatalf("verified content differs from the signed one:\n%s", got)
		}
	})
}

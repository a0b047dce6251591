package xmldsig_test

import (
	"crypto"
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

// inclusivePolicy accepts what phoss-SMP signs with: Canonical XML 1.0 or
// 1.1 for SignedInfo, and a reference with the enveloped-signature
// transform alone (or followed by a canonicalization).
var inclusivePolicy = &xmldsig.Policy{
	SignatureMethods:  []xmldsig.SignatureMethod{xmldsig.RSASHA256},
	DigestMethods:     []xmldsig.DigestMethod{xmldsig.SHA256},
	Transforms:        []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N, xmldsig.C14N10, xmldsig.C14N11},
	Canonicalizations: []xmldsig.Transform{xmldsig.C14N10, xmldsig.C14N11},
}

// inclusiveTemplate is an SMP-like document whose namespaces make
// inclusive and exclusive canonicalization differ: declarations on the
// root that SignedInfo does not use (inclusive c14n renders them on
// SignedInfo), a default namespace, and a declaration on a descendant that
// nothing uses. xmlsec1 fills in the digest and the signature value.
const inclusiveTemplate = `<smp:SignedServiceMetadata xmlns:smp="http://busdox.org/serviceMetadata/publishing/1.0/" xmlns:id="http://busdox.org/transport/identifiers/1.0/" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns="urn:test:default">` +
	`<smp:ServiceMetadata><smp:ServiceInformation xmlns:unused="urn:test:unused"><id:ParticipantIdentifier scheme="iso6523-actorid-upis">0088:5798000000001</id:ParticipantIdentifier>` +
	`<Endpoint transportProfile="bdxr-transport-ebms3-as4-v1p0"><wsa:EndpointReference><wsa:Address>https://ap.example.eu/as4</wsa:Address></wsa:EndpointReference></Endpoint></smp:ServiceInformation></smp:ServiceMetadata>` +
	`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="SIC14N"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
	`<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>TRANSFORM</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
	`<ds:SignatureValue/></ds:Signature></smp:SignedServiceMetadata>`

// TestInclusiveXMLSec: documents signed by libxmlsec1 the ways phoss-SMP
// signs SMP answers (Canonical XML 1.0 or 1.1 for SignedInfo, the
// enveloped-signature transform alone) verify with a policy that lists
// those algorithms, are refused by one that does not, and are refused once
// changed.
func TestInclusiveXMLSec(t *testing.T) {
	xmlsec := testenv.Tool(t, "xmlsec1")
	ca, err := pki.NewCA("inclusive test CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	party, err := pki.Issue(ca, "smp", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPEM, err := pki.KeyPEM(party.Sign.Signer())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	os.WriteFile(keyFile, keyPEM, 0o600)
	pub := party.Sign.Cert.PublicKey.(*rsa.PublicKey)
	const transform = `<ds:Transform Algorithm="ALG"/>`
	for _, c := range []struct {
		name, si, ref string
	}{
		{"phoss-SMP for Peppol and OASIS SMP 1.0: C14N 1.0, enveloped only", string(xmldsig.C14N10), ""},
		{"phoss-SMP for OASIS SMP 2.0: C14N 1.1, enveloped only", string(xmldsig.C14N11), ""},
		{"C14N 1.0 after the enveloped transform", string(xmldsig.C14N10), string(xmldsig.C14N10)},
		{"C14N 1.1 after the enveloped transform, exclusive SignedInfo", string(xmldsig.ExcC14N), string(xmldsig.C14N11)},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmpl := strings.Replace(inclusiveTemplate, "SIC14N", c.si, 1)
			tr := ""
			if c.ref != "" {
				tr = strings.Replace(transform, "ALG", c.ref, 1)
			}
			tmpl = strings.Replace(tmpl, "TRANSFORM", tr, 1)
			in, out := filepath.Join(dir, "tmpl.xml"), filepath.Join(dir, "signed.xml")
			os.WriteFile(in, []byte(tmpl), 0o600)
			if b, err := exec.Command(xmlsec, "--sign", "--privkey-pem", keyFile, "--output", out, in).CombinedOutput(); err != nil {
				t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
			}
			signed, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			verify := func(doc string, pol *xmldsig.Policy) error {
				d, err := xmltree.ParseBytes([]byte(doc), nil)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = xmldsig.VerifyEnveloped(d.Root, pol, func(*xmldsig.Signature) (crypto.PublicKey, error) { return pub, nil })
				return err
			}
			if err := verify(string(signed), inclusivePolicy); err != nil {
				t.Fatalf("xmlsec1's signature does not verify: %v\n%s", err, signed)
			}
			if err := verify(string(signed), envelopedPolicy); !errors.Is(err, xmldsig.ErrAlgorithm) {
				t.Errorf("the exclusive-only policy: %v, want ErrAlgorithm", err)
			}
			changed := strings.Replace(string(signed), "https://ap.example.eu/as4", "https://ap.evil.example/as4", 1)
			if err := verify(changed, inclusivePolicy); !errors.Is(err, xmldsig.ErrDigest) {
				t.Errorf("the changed document: %v, want ErrDigest", err)
			}
			// A namespace declaration SignedInfo does not use, added on the
			// root, changes SignedInfo's inclusive canonical form: the
			// signature value no longer holds.
			moved := strings.Replace(string(signed), `xmlns="urn:test:default"`, `xmlns="urn:test:default" xmlns:extra="urn:test:extra"`, 1)
			if err := verify(moved, inclusivePolicy); err == nil {
				t.Errorf("a namespace added on the root: accepted")
			}
		})
	}
}

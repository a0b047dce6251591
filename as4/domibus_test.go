package as4_test

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// The Security header that Domibus 5 (and Harmony) writes for a signed and
// encrypted user message, per WS-SecurityPolicy file, written down as our
// own assertion from the public Domibus policy files (conf/domibus/policies:
// no sp:IncludeTimestamp; Asymmetric binding, Layout Strict, Basic128GCM
// Sha256MgfSha256; tokens Always (_BST), Never with key identifiers
// (eDeliveryAS4Policy) or RequireIssuerSerialReference (_IS)) and from the
// recorded phase4 message in testdata/foreign, which has the same shape as
// _BST. Domibus lists the Body reference before eb:Messaging's; the order of
// references carries no meaning, so they are compared as a set.
var domibusShapes = map[string][]string{
	"eDeliveryAS4Policy_BST.xml": {
		"wsse:Security mustUnderstand=true",
		"wsse:BinarySecurityToken X509v3 Base64Binary: the recipient's certificate",
		"xenc:EncryptedKey rsa-oaep digest=sha256 mgf=mgf1sha256 key=Reference(X509v3)->BinarySecurityToken(recipient) references=1",
		"xenc:EncryptedData Attachment-Content-Only aes128-gcm key=Reference(EncryptedKey)->EncryptedKey cipher=cid: Attachment-Ciphertext-Transform",
		"wsse:BinarySecurityToken X509v3 Base64Binary: the signer's certificate",
		"ds:Signature c14n=xml-exc-c14n method=rsa-sha256 key=Reference(X509v3)->BinarySecurityToken(signer) references={#Body xml-exc-c14n sha256, #Messaging xml-exc-c14n sha256, cid: Attachment-Content-Signature-Transform sha256}",
	},
	"eDeliveryAS4Policy.xml": {
		"wsse:Security mustUnderstand=true",
		"xenc:EncryptedKey rsa-oaep digest=sha256 mgf=mgf1sha256 key=KeyIdentifier(X509SubjectKeyIdentifier) references=1",
		"xenc:EncryptedData Attachment-Content-Only aes128-gcm key=Reference(EncryptedKey)->EncryptedKey cipher=cid: Attachment-Ciphertext-Transform",
		"ds:Signature c14n=xml-exc-c14n method=rsa-sha256 key=KeyIdentifier(X509SubjectKeyIdentifier) references={#Body xml-exc-c14n sha256, #Messaging xml-exc-c14n sha256, cid: Attachment-Content-Signature-Transform sha256}",
	},
	"eDeliveryAS4Policy_IS.xml": {
		"wsse:Security mustUnderstand=true",
		"xenc:EncryptedKey rsa-oaep digest=sha256 mgf=mgf1sha256 key=X509IssuerSerial references=1",
		"xenc:EncryptedData Attachment-Content-Only aes128-gcm key=Reference(EncryptedKey)->EncryptedKey cipher=cid: Attachment-Ciphertext-Transform",
		"ds:Signature c14n=xml-exc-c14n method=rsa-sha256 key=X509IssuerSerial references={#Body xml-exc-c14n sha256, #Messaging xml-exc-c14n sha256, cid: Attachment-Content-Signature-Transform sha256}",
	},
}

// TestDomibusShape: a message packed on a P-Mode imported from Domibus has
// exactly the Security header Domibus writes under that policy, and it
// unpacks.
func TestDomibusShape(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	f := getFixture(t, wssec.AS4v115)
	for policy, want := range domibusShapes {
		t.Run(policy, func(t *testing.T) {
			x := strings.ReplaceAll(string(b), `<security name="eDeliveryAS4PolicyRSA" profile="rsa"/>`,
				`<security name="eDeliveryAS4PolicyRSA" policy="`+policy+`" profile="rsa"/>`)
			c, err := pmode.ImportDomibus([]byte(x))
			if err != nil {
				t.Fatal(err)
			}
			s := f.senderOf(t, c)
			p, err := s.Pack(&as4.Outbound{Leg: "ootsRequestLeg", Properties: []as4.Property{{Name: "originalSender", Value: "a"}, {Name: "finalRecipient", Value: "b"}},
				Payloads: []as4.Payload{memPayload("", "application/x-ebrs+xml", "<q/>")}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			env, err := as4.ParseEnvelope(bytes.NewReader(p.Envelope), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := shape(env)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the Security header differs from Domibus's (-Domibus +ours):\n%s", diff)
			}
			if !strings.Contains(string(env.Messaging.SelectAttr(as4.NamespaceSOAP12, "mustUnderstand")), "true") {
				t.Error("eb:Messaging is not mustUnderstand=\"true\"")
			}
			r := f.receiverOf(t, c)
			r.PartyCertificates = func(string) ([]*x509.Certificate, error) { return []*x509.Certificate{f.sender.Sign.Cert}, nil }
			req := wire(t, p)
			in, err := r.Unpack(req.Header.Get("Content-Type"), req.Body)
			if err != nil {
				t.Fatalf("our own Domibus-shaped message: %v", err)
			}
			in.Close()
		})
	}
}

// shape describes the Security header of env, a line per child, in the
// vocabulary of domibusShapes.
func shape(env *as4.Envelope) []string {
	const (
		wsse  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
		wsu   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
		ds    = "http://www.w3.org/2000/09/xmldsig#"
		xenc  = "http://www.w3.org/2001/04/xmlenc#"
		xenc1 = "http://www.w3.org/2009/xmlenc11#"
	)
	short := func(uri string) string {
		uri = strings.TrimSuffix(uri, "#")
		if i := strings.LastIndexAny(uri, "#/"); i >= 0 {
			return uri[i+1:]
		}
		return uri
	}
	sec := env.Header.Child(wsse, "Security")
	if sec == nil {
		return []string{"no wsse:Security"}
	}
	ids := map[string]*xmltree.Element{}
	env.Doc.Root.Walk(func(e *xmltree.Element) bool {
		for _, a := range e.Attr {
			if a.Local == "Id" && (a.Space == wsu || a.Space == "") {
				ids[a.Value] = e
			}
		}
		return true
	})
	var signerBST *xmltree.Element
	if sig := sec.Child(ds, "Signature"); sig != nil {
		if str := sig.Child(ds, "KeyInfo").Child(wsse, "SecurityTokenReference"); str != nil {
			if r := str.Child(wsse, "Reference"); r != nil {
				signerBST = ids[strings.TrimPrefix(r.SelectAttr("", "URI"), "#")]
			}
		}
	}
	keyInfo := func(ki *xmltree.Element) string {
		if ki == nil {
			return "none"
		}
		str := ki.Child(wsse, "SecurityTokenReference")
		if str == nil || len(str.Elements()) != 1 {
			return "unknown"
		}
		k := str.Elements()[0]
		switch {
		case k.Is(wsse, "Reference"):
			target := ids[strings.TrimPrefix(k.SelectAttr("", "URI"), "#")]
			vt := short(k.SelectAttr("", "ValueType"))
			if tt := str.SelectAttr("http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd", "TokenType"); tt != "" {
				vt = short(tt)
			}
			name := "nothing"
			if target != nil {
				name = target.Local
				if target.Is(wsse, "BinarySecurityToken") {
					if target == signerBST {
						name += "(signer)"
					} else {
						name += "(recipient)"
					}
				}
			}
			return fmt.Sprintf("Reference(%s)->%s", vt, name)
		case k.Is(wsse, "KeyIdentifier"):
			return "KeyIdentifier(" + short(k.SelectAttr("", "ValueType")) + ")"
		case k.Is(ds, "X509Data") && len(k.Elements()) == 1:
			return k.Elements()[0].Local
		}
		return k.Local
	}
	lines := []string{"wsse:Security mustUnderstand=" + sec.SelectAttr(as4.NamespaceSOAP12, "mustUnderstand")}
	for _, e := range sec.Elements() {
		switch {
		case e.Is(wsu, "Timestamp"):
			lines = append(lines, "wsu:Timestamp")
		case e.Is(wsse, "BinarySecurityToken"):
			who := "the recipient's certificate"
			if e == signerBST {
				who = "the signer's certificate"
			}
			lines = append(lines, fmt.Sprintf("wsse:BinarySecurityToken %s %s: %s", short(e.SelectAttr("", "ValueType")), short(e.SelectAttr("", "EncodingType")), who))
		case e.Is(xenc, "EncryptedKey"):
			m := e.Child(xenc, "EncryptionMethod")
			refs := 0
			if rl := e.Child(xenc, "ReferenceList"); rl != nil {
				refs = len(rl.Elements())
			}
			lines = append(lines, fmt.Sprintf("xenc:EncryptedKey %s digest=%s mgf=%s key=%s references=%d", short(m.SelectAttr("", "Algorithm")),
				short(m.Child(ds, "DigestMethod").SelectAttr("", "Algorithm")), short(m.Child(xenc1, "MGF").SelectAttr("", "Algorithm")),
				keyInfo(e.Child(ds, "KeyInfo")), refs))
		case e.Is(xenc, "EncryptedData"):
			cr := e.Child(xenc, "CipherData").Child(xenc, "CipherReference")
			uri := cr.SelectAttr("", "URI")
			if strings.HasPrefix(uri, "cid:") {
				uri = "cid:"
			}
			lines = append(lines, fmt.Sprintf("xenc:EncryptedData %s %s key=%s cipher=%s %s", short(e.SelectAttr("", "Type")),
				short(e.Child(xenc, "EncryptionMethod").SelectAttr("", "Algorithm")), keyInfo(e.Child(ds, "KeyInfo")), uri,
				short(cr.Child(xenc, "Transforms").Child(ds, "Transform").SelectAttr("", "Algorithm"))))
		case e.Is(ds, "Signature"):
			si := e.Child(ds, "SignedInfo")
			var refs []string
			for _, r := range si.ChildrenNamed(ds, "Reference") {
				uri := r.SelectAttr("", "URI")
				switch t := ids[strings.TrimPrefix(uri, "#")]; {
				case strings.HasPrefix(uri, "cid:"):
					uri = "cid:"
				case t != nil:
					uri = "#" + t.Local
				}
				var ts []string
				for _, tr := range r.Child(ds, "Transforms").ChildrenNamed(ds, "Transform") {
					ts = append(ts, short(tr.SelectAttr("", "Algorithm")))
				}
				refs = append(refs, fmt.Sprintf("%s %s %s", uri, strings.Join(ts, "+"), short(r.Child(ds, "DigestMethod").SelectAttr("", "Algorithm"))))
			}
			slices.Sort(refs)
			lines = append(lines, fmt.Sprintf("ds:Signature c14n=%s method=%s key=%s references={%s}", short(si.Child(ds, "CanonicalizationMethod").SelectAttr("", "Algorithm")),
				short(si.Child(ds, "SignatureMethod").SelectAttr("", "Algorithm")), keyInfo(e.Child(ds, "KeyInfo")), strings.Join(refs, ", ")))
		default:
			lines = append(lines, e.Local)
		}
	}
	return lines
}

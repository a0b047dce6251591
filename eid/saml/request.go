package saml

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// Namespaces of SAML 2.0 and of the eIDAS extensions.
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSEIDAS     = "http://eidas.europa.eu/saml-extensions"
	// NameFormatURI is the NameFormat of every eIDAS attribute.
	NameFormatURI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	// NameIDPersistent is the NameID format asked for.
	NameIDPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
)

// requestedAttr is an eidas:RequestedAttribute.
type requestedAttr struct {
	attr     Attribute
	required bool
}

// requested are the attributes of the AuthnRequest (eIDAS SAML Attribute
// Profile §2): the natural person's minimum data set, the four mandatory
// ones required, and the legal person's, not required (a citizen acting
// for themselves has no company; one acting for a company must give it).
var requested = []requestedAttr{
	{attrPersonIdentifier, true}, {attrFamilyName, true}, {attrFirstName, true}, {attrDateOfBirth, true},
	{attrBirthName, false}, {attrPlaceOfBirth, false}, {attrCurrentAddress, false}, {attrGender, false},
	{attrLegalPersonIdentifier, false}, {attrLegalName, false},
}

// authnRequest builds the unsigned samlp:AuthnRequest (SAML 2.0 Core
// §3.4.1 with the eIDAS SAML Message Format §2.2 extensions).
func (a *Authenticator) authnRequest(id string, n *Node, dest string, now time.Time) *xmltree.Element {
	r := xmltree.NewElement(NSProtocol, "saml2p", "AuthnRequest")
	r.DeclareNS("saml2p", NSProtocol)
	r.DeclareNS("saml2", NSAssertion)
	r.DeclareNS("eidas", NSEIDAS)
	r.SetAttr("", "", "ID", id)
	r.SetAttr("", "", "Version", "2.0")
	r.SetAttr("", "", "IssueInstant", now.UTC().Format(timeFormat))
	r.SetAttr("", "", "Destination", dest)
	// eIDAS requires a fresh authentication each time.
	r.SetAttr("", "", "ForceAuthn", "true")
	r.SetAttr("", "", "IsPassive", "false")
	r.SetAttr("", "", "AssertionConsumerServiceURL", a.acsURL)
	r.SetAttr("", "", "ProtocolBinding", string(POST))
	iss := r.AddElement(NSAssertion, "saml2", "Issuer")
	iss.SetAttr("", "", "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:entity")
	iss.SetText(a.cfg.EntityID)
	ext := r.AddElement(NSProtocol, "saml2p", "Extensions")
	ext.AddElement(NSEIDAS, "eidas", "SPType").SetText(a.cfg.SPType)
	ras := ext.AddElement(NSEIDAS, "eidas", "RequestedAttributes")
	for _, q := range requested {
		e := ras.AddElement(NSEIDAS, "eidas", "RequestedAttribute")
		e.SetAttr("", "", "FriendlyName", q.attr.Friendly)
		e.SetAttr("", "", "Name", q.attr.Name)
		e.SetAttr("", "", "NameFormat", NameFormatURI)
		e.SetAttr("", "", "isRequired", fmt.Sprint(q.required))
	}
	np := r.AddElement(NSProtocol, "saml2p", "NameIDPolicy")
	np.SetAttr("", "", "AllowCreate", "true")
	np.SetAttr("", "", "Format", NameIDPersistent)
	rac := r.AddElement(NSProtocol, "saml2p", "RequestedAuthnContext")
	rac.SetAttr("", "", "Comparison", "minimum")
	rac.AddElement(NSAssertion, "saml2", "AuthnContextClassRef").SetText(string(n.minLoA()))
	return r
}

// timeFormat is xs:dateTime in UTC as SAML writes it (Core §1.3.3).
const timeFormat = "2006-01-02T15:04:05.000Z"

func (n *Node) minLoA() eid.LoA {
	if n.MinLoA == "" {
		return eid.LoASubstantial
	}
	return n.MinLoA
}

// signatureMethod is the method of our signatures, by our key.
func (a *Authenticator) signatureMethod() xmldsig.SignatureMethod {
	if _, ok := a.cfg.SigningKey.Public().(*ecdsa.PublicKey); ok {
		return xmldsig.ECDSASHA256
	}
	return xmldsig.RSAPSSSHA256
}

// sign signs root (a request or our metadata) enveloped, the ds:Signature
// placed after the element after (saml:Issuer) or first.
func (a *Authenticator) sign(root *xmltree.Element, id string, after *xmltree.Element) error {
	sg := xmldsig.Signer{Key: a.cfg.SigningKey, Method: a.signatureMethod(), Rand: a.cfg.Rand}
	sig, err := sg.SignEnvelopedID(root, id)
	if err != nil {
		return err
	}
	at := 0
	for i, c := range root.Children {
		if c == xmltree.Node(after) {
			at = i + 1
		}
	}
	root.InsertChild(at, sig)
	return nil
}

// autoPost is the script of the HTTP-POST binding's page (Bindings §3.5.4)
// that sends its form as soon as the page is read, and autoPostCSP the
// page's Content-Security-Policy: it lets that one inline script run, by
// its hash (CSP Level 3 §8.4), and nothing else load. The application's
// own policy, which send replaces, forbids inline script where it
// follows the usual script-src 'self' (the preview space and the portal
// do): the browser would stay on the page until the citizen pressed its
// button.
const autoPost = "document.forms[0].submit()"

var autoPostCSP = func() string {
	h := sha256.Sum256([]byte(autoPost))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'; base-uri 'none'; frame-ancestors 'none'"
}()

var postTmpl = template.Must(template.New("post").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Continue to your eID</title></head>
<body>
<form method="post" action="{{.Action}}">
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
<input type="hidden" name="RelayState" value="{{.RelayState}}">
<noscript><p>Your browser does not run scripts: press the button to go on.</p></noscript>
<button type="submit">Continue to your eID</button>
</form>
<script>` + autoPost + `</script>
</body></html>`))

// send hands the signed request to the browser by the node's binding.
func (a *Authenticator) send(w http.ResponseWriter, r *http.Request, req *xmltree.Element, n *Node, dest, relay string) error {
	if n.Binding == Redirect {
		// Bindings §3.4.4.1: the request is sent without its XML
		// signature, deflated; the query string is signed instead.
		for _, c := range req.Elements() {
			if c.Is(xmldsig.Namespace, "Signature") {
				req.RemoveChild(c)
			}
		}
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		if err := xmltree.WriteElement(fw, req, xmltree.WriteOptions{}); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		q := "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())) +
			"&RelayState=" + url.QueryEscape(relay) + "&SigAlg=" + url.QueryEscape(string(a.signatureMethod()))
		sig, err := a.signQuery([]byte(q))
		if err != nil {
			return err
		}
		u, err := url.Parse(dest)
		if err != nil {
			return err
		}
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return nil
	}
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, req, xmltree.WriteOptions{}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", autoPostCSP)
	return postTmpl.Execute(w, map[string]string{"Action": dest, "Name": "SAMLRequest",
		"Value": base64.StdEncoding.EncodeToString(buf.Bytes()), "RelayState": relay})
}

// signQuery signs the octets of a Redirect binding's query (Bindings
// §3.4.4.1) with our key: ECDSA values in the r‖s form of XML Signature,
// as the SigAlg URI defines them.
func (a *Authenticator) signQuery(q []byte) ([]byte, error) {
	h := sha256.Sum256(q)
	switch k := a.cfg.SigningKey.Public().(type) {
	case *ecdsa.PublicKey:
		der, err := a.cfg.SigningKey.Sign(a.cfg.Rand, h[:], crypto.SHA256)
		if err != nil {
			return nil, err
		}
		return derToRaw(der, (k.Curve.Params().BitSize+7)/8)
	default:
		return a.cfg.SigningKey.Sign(a.cfg.Rand, h[:], pssOpts)
	}
}

var pssOpts = &rsa.PSSOptions{SaltLength: sha256.Size, Hash: crypto.SHA256}

// derToRaw turns an ASN.1 ECDSA-Sig-Value into r‖s of n octets each.
func derToRaw(der []byte, n int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, fmt.Errorf("saml: ECDSA signature: %w", err)
	}
	out := make([]byte, 2*n)
	sig.R.FillBytes(out[:n])
	sig.S.FillBytes(out[n:])
	return out, nil
}

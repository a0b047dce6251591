package wssec

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// KeyReference is how a wsse:SecurityTokenReference names a certificate
// (WSS X.509 Token Profile 1.1.1 §3.2). The WS-SecurityPolicy files of the
// eDelivery access points choose one per token: Domibus's
// eDeliveryAS4Policy_BST and phase4 send both certificates as
// BinarySecurityTokens; eDeliveryAS4Policy names the recipient's
// certificate by issuer and serial number; _IS names both that way.
type KeyReference string

// Key reference forms.
const (
	// KeyRefBST: the certificate travels as a wsse:BinarySecurityToken of
	// the header, named by a direct wsse:Reference to its wsu:Id
	// (X.509 Token Profile §3.2.1).
	KeyRefBST KeyReference = "bst"
	// KeyRefIssuerSerial: ds:X509Data/ds:X509IssuerSerial (§3.2.3); the
	// receiver must already hold the certificate.
	KeyRefIssuerSerial KeyReference = "issuerSerial"
	// KeyRefSKI: wsse:KeyIdentifier of ValueType X509SubjectKeyIdentifier
	// (§3.2.2); the receiver must already hold the certificate.
	KeyRefSKI KeyReference = "ski"
)

// ValueTypeSKI is the KeyIdentifier ValueType of a subject key identifier
// (X.509 Token Profile 1.1.1 §3.2.2).
const ValueTypeSKI = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier"

// Validate reports a key reference form that is not one of the constants;
// "" is valid and means the default of the field it is in.
func (r KeyReference) Validate() error {
	switch r {
	case "", KeyRefBST, KeyRefIssuerSerial, KeyRefSKI:
		return nil
	}
	return fmt.Errorf("unknown key reference %q (%q, %q or %q)", r, KeyRefBST, KeyRefIssuerSerial, KeyRefSKI)
}

// tokenReference returns the wsse:SecurityTokenReference naming c in the
// form ref, and for KeyRefBST the BinarySecurityToken to put in the header.
func tokenReference(c *x509.Certificate, ref KeyReference, rnd io.Reader) (str, bst *xmltree.Element, err error) {
	str = xmltree.NewElement(NamespaceWSSE, "wsse", "SecurityTokenReference")
	switch ref {
	case KeyRefIssuerSerial:
		xd := str.AddElement(xmldsig.Namespace, xmldsig.Prefix, "X509Data")
		is := xd.AddElement(xmldsig.Namespace, xmldsig.Prefix, "X509IssuerSerial")
		is.AddElement(xmldsig.Namespace, xmldsig.Prefix, "X509IssuerName").SetText(c.Issuer.String())
		is.AddElement(xmldsig.Namespace, xmldsig.Prefix, "X509SerialNumber").SetText(new(big.Int).Set(c.SerialNumber).String())
	case KeyRefSKI:
		ki := str.AddElement(NamespaceWSSE, "wsse", "KeyIdentifier")
		ki.SetAttr("", "", "EncodingType", EncodingBase64)
		ki.SetAttr("", "", "ValueType", ValueTypeSKI)
		ki.SetText(base64.StdEncoding.EncodeToString(subjectKeyID(c)))
	default:
		id, err := newID(rnd, "X509-")
		if err != nil {
			return nil, nil, err
		}
		bst = xmltree.NewElement(NamespaceWSSE, "wsse", "BinarySecurityToken")
		bst.SetAttr("", "", "EncodingType", EncodingBase64)
		bst.SetAttr("", "", "ValueType", ValueTypeX509v3)
		bst.SetAttr(NamespaceWSU, "wsu", "Id", id)
		bst.SetText(base64.StdEncoding.EncodeToString(c.Raw))
		r := str.AddElement(NamespaceWSSE, "wsse", "Reference")
		r.SetAttr("", "", "URI", "#"+id)
		r.SetAttr("", "", "ValueType", ValueTypeX509v3)
	}
	return str, bst, nil
}

// subjectKeyID is the certificate's subject key identifier extension or,
// when it has none, the SHA-1 of its subjectPublicKey bits (RFC 5280
// §4.2.1.2 method 1, as WSS4J computes it).
func subjectKeyID(c *x509.Certificate) []byte {
	if len(c.SubjectKeyId) > 0 {
		return c.SubjectKeyId
	}
	var spki struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	h := sha1.Sum(spki.Key.Bytes)
	return h[:]
}

// resolveTokenReference returns the certificate a SecurityTokenReference
// names: a BinarySecurityToken of the same Security header by direct
// reference, or one of the known certificates by issuer and serial number
// or by subject key identifier. Failures are *Error.
func resolveTokenReference(str *xmltree.Element, sec *xmltree.Element, ids map[string][]*xmltree.Element, known func() []*x509.Certificate) (*x509.Certificate, KeyReference, error) {
	kids := str.Elements()
	if len(kids) != 1 {
		return nil, "", failAuth(fmt.Sprintf("the SecurityTokenReference has %d children (one reference required)", len(kids)), nil)
	}
	k := kids[0]
	switch {
	case k.Is(NamespaceWSSE, "Reference"):
		uri := k.SelectAttr("", "URI")
		if !strings.HasPrefix(uri, "#") || len(ids[uri[1:]]) != 1 {
			return nil, "", failAuth("the SecurityTokenReference "+uri+" names no single element", nil)
		}
		bst := ids[uri[1:]][0]
		if !bst.Is(NamespaceWSSE, "BinarySecurityToken") || bst.Parent() != sec {
			return nil, "", failAuth("the SecurityTokenReference "+uri+" does not name a BinarySecurityToken of this header", nil)
		}
		if bst.SelectAttr("", "ValueType") != ValueTypeX509v3 {
			return nil, "", failPolicy("BinarySecurityToken ValueType "+bst.SelectAttr("", "ValueType"), nil)
		}
		if et := bst.SelectAttr("", "EncodingType"); et != "" && et != EncodingBase64 {
			return nil, "", failPolicy("BinarySecurityToken EncodingType "+et, nil)
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(bst.Text()), ""))
		if err != nil {
			return nil, "", failAuth("BinarySecurityToken is not base64", err)
		}
		cert, err := parsedCerts.parse(der)
		if err != nil {
			return nil, "", failAuth("BinarySecurityToken certificate", err)
		}
		return cert, KeyRefBST, nil
	case k.Is(xmldsig.Namespace, "X509Data"):
		is := k.Elements()
		if len(is) != 1 || !is[0].Is(xmldsig.Namespace, "X509IssuerSerial") {
			return nil, "", failAuth("the SecurityTokenReference's ds:X509Data must hold one ds:X509IssuerSerial", nil)
		}
		name, serial := is[0].Child(xmldsig.Namespace, "X509IssuerName"), is[0].Child(xmldsig.Namespace, "X509SerialNumber")
		if name == nil || serial == nil {
			return nil, "", failAuth("ds:X509IssuerSerial needs X509IssuerName and X509SerialNumber", nil)
		}
		n, ok := new(big.Int).SetString(strings.TrimSpace(serial.Text()), 10)
		if !ok {
			return nil, "", failAuth("ds:X509SerialNumber "+serial.Text()+" is not a decimal integer", nil)
		}
		issuer := normalDN(name.Text())
		for _, c := range candidates(known) {
			if c.SerialNumber.Cmp(n) == 0 && normalDN(c.Issuer.String()) == issuer {
				return c, KeyRefIssuerSerial, nil
			}
		}
		return nil, "", failAuth(fmt.Sprintf("the signature names the certificate %s of %s by issuer and serial number, and it is not the certificate configured for the sending party", n, strings.TrimSpace(name.Text())), nil)
	case k.Is(NamespaceWSSE, "KeyIdentifier"):
		if vt := k.SelectAttr("", "ValueType"); vt != ValueTypeSKI {
			return nil, "", failPolicy("wsse:KeyIdentifier ValueType "+vt+" (only X509SubjectKeyIdentifier)", nil)
		}
		if et := k.SelectAttr("", "EncodingType"); et != "" && et != EncodingBase64 {
			return nil, "", failPolicy("wsse:KeyIdentifier EncodingType "+et, nil)
		}
		ski, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k.Text()))
		if err != nil || len(ski) == 0 {
			return nil, "", failAuth("wsse:KeyIdentifier is not base64", err)
		}
		for _, c := range candidates(known) {
			if bytes.Equal(subjectKeyID(c), ski) {
				return c, KeyRefSKI, nil
			}
		}
		return nil, "", failAuth("the signature names a certificate by subject key identifier "+k.Text()+", and it is not the certificate configured for the sending party", nil)
	}
	return nil, "", failAuth("the SecurityTokenReference holds {"+k.Space+"}"+k.Local+" (a direct reference, X509IssuerSerial or a subject key identifier required)", nil)
}

// candidates calls known when it is set: the list is made only for a
// reference that names a certificate instead of carrying it.
func candidates(known func() []*x509.Certificate) []*x509.Certificate {
	if known == nil {
		return nil
	}
	return known()
}

// normalDN makes two renderings of one distinguished name compare equal:
// Go and Java (RFC 2253) differ in spaces after separators and in the case
// of attribute types.
func normalDN(s string) string {
	var b strings.Builder
	var rdns []string
	esc := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case esc:
			esc = false
			b.WriteRune(r)
			continue
		case r == '\\':
			esc = true
		case r == ',' || r == ';' || r == '+':
			rdns = append(rdns, b.String())
			b.Reset()
			continue
		}
		b.WriteRune(r)
	}
	rdns = append(rdns, b.String())
	for i, rdn := range rdns {
		t, v, _ := strings.Cut(rdn, "=")
		t = strings.ToUpper(strings.TrimSpace(t))
		switch t {
		case "EMAILADDRESS", "E", "OID.1.2.840.113549.1.9.1":
			t = "1.2.840.113549.1.9.1"
		case "S", "ST":
			t = "ST"
		}
		rdns[i] = t + "=" + strings.TrimSpace(v)
	}
	return strings.Join(rdns, ",")
}

// parsedCerts keeps the certificates of recent BinarySecurityTokens: a peer
// sends the same certificate with every message and signal, and parsing it
// costs more than the rest of the token reference. The key is the whole DER
// encoding, so a hit is the same certificate; validation (trust.Store.Verify)
// still runs on every message.
var parsedCerts = certCache{max: 256}

type certCache struct {
	mu  sync.Mutex
	max int
	m   map[string]*x509.Certificate
}

// parse returns the certificate encoded by der. The certificate may be
// shared with other callers and must not be modified.
func (c *certCache) parse(der []byte) (*x509.Certificate, error) {
	c.mu.Lock()
	cert := c.m[string(der)]
	c.mu.Unlock()
	if cert != nil {
		return cert, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]*x509.Certificate)
	}
	c.m[string(der)] = cert
	c.mu.Unlock()
	return cert, nil
}

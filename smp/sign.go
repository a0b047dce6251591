package smp

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// MaxDocument is the default bound on an SMP document's size: service
// metadata with a few endpoints and certificates is a few kilobytes.
const MaxDocument = 1 << 20

// limits screens SMP documents (STYLE.md §13).
func limits(max int64) *xmltree.Limits {
	if max <= 0 {
		max = MaxDocument
	}
	return &xmltree.Limits{MaxBytes: max, MaxDepth: 32, MaxElements: 20000, MaxAttrs: 32}
}

// policy lists the algorithms accepted in SMP signatures: RSA-SHA256 (SMP
// 1.0, Peppol SMP 1.x since 2020) and Ed25519, SHA-256, enveloped
// signature with exclusive c14n (what this package signs with) or with
// Canonical XML 1.0 or 1.1, which phoss-SMP, the SMP most Peppol and
// eDelivery participants are published in, signs with: C14N 1.0 for Peppol
// and SMP 1.0, C14N 1.1 for SMP 2.0, the reference with the
// enveloped-signature transform alone (then C14N 1.0 by XML Signature's
// default).
var policy = &xmldsig.Policy{
	SignatureMethods:  []xmldsig.SignatureMethod{xmldsig.RSASHA256, xmldsig.Ed25519},
	DigestMethods:     []xmldsig.DigestMethod{xmldsig.SHA256},
	Transforms:        []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N, xmldsig.C14N10, xmldsig.C14N11},
	Canonicalizations: []xmldsig.Transform{xmldsig.C14N10, xmldsig.C14N11},
	MaxReferences:     1,
}

// signDocument appends an enveloped signature by key to root, with the
// signing certificate in ds:KeyInfo/ds:X509Data (X509Data with
// X509SubjectName and X509Certificate, as SMP 1.0 asks).
func signDocument(root *xmltree.Element, key crypto.Signer, cert *x509.Certificate) error {
	profile, err := wssec.ProfileFor(key)
	if err != nil {
		return fmt.Errorf("smp: signing key: %w", err)
	}
	method := profile.SignatureMethod()
	data := xmltree.NewElement(xmldsig.Namespace, xmldsig.Prefix, "X509Data")
	data.AddElement(xmldsig.Namespace, xmldsig.Prefix, "X509SubjectName").SetText(cert.Subject.String())
	data.AddElement(xmldsig.Namespace, xmldsig.Prefix, "X509Certificate").SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	sg := &xmldsig.Signer{Key: key, Method: method, KeyInfo: []*xmltree.Element{data}}
	_, err = sg.SignEnveloped(root)
	return err
}

// Errors of reading an SMP answer. Decoding errors also wrap ErrBadDocument.
var (
	// ErrSignature: the signature is missing, malformed, uses an algorithm
	// not accepted, or does not verify.
	ErrSignature = errors.New("smp: SMP signature does not verify")
	// ErrUntrusted: the SMP's signing certificate does not validate against
	// the trust store, or an endpoint certificate is not acceptable.
	ErrUntrusted = errors.New("smp: certificate not trusted")
)

// ParseServiceGroup reads a ServiceGroup document of any flavour.
func ParseServiceGroup(data []byte) (*ServiceGroup, Flavour, error) {
	doc, err := xmltree.ParseBytes(data, limits(int64(len(data))+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	return decodeServiceGroup(doc.Root)
}

// ParseServiceMetadata reads service metadata of any flavour WITHOUT
// verifying its signature: for tools and for reading documents whose
// signature cannot be checked here. A client uses VerifyServiceMetadata.
func ParseServiceMetadata(data []byte) (*ServiceMetadata, Flavour, error) {
	doc, err := xmltree.ParseBytes(data, limits(int64(len(data))+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	return decodeServiceMetadata(doc.Root)
}

// VerifyServiceMetadata reads signed service metadata: the document is
// screened, its enveloped signature verified with the X.509 certificate in
// ds:KeyInfo, that certificate validated for signing against ts at time at,
// and only the verified content decoded. It returns the metadata, its
// flavour and the SMP's certificate. Errors wrap ErrBadDocument,
// ErrSignature or ErrUntrusted.
func VerifyServiceMetadata(data []byte, ts *trust.Store, at time.Time) (*ServiceMetadata, Flavour, *x509.Certificate, error) {
	doc, err := xmltree.ParseBytes(data, limits(int64(len(data))+1))
	if err != nil {
		return nil, "", nil, fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	var signer *x509.Certificate
	key := func(s *xmldsig.Signature) (crypto.PublicKey, error) {
		c, err := keyInfoCertificate(s)
		if err != nil {
			return nil, err
		}
		if ts == nil {
			return nil, fmt.Errorf("%w: no trust store configured for SMP signatures", ErrUntrusted)
		}
		if _, err := ts.Verify(c, trust.Signing, at); err != nil {
			return nil, fmt.Errorf("%w: SMP signing certificate %q: %w", ErrUntrusted, c.Subject, err)
		}
		signer = c
		return c.PublicKey, nil
	}
	content, _, err := xmldsig.VerifyEnveloped(doc.Root, policy, key)
	if err != nil {
		if errors.Is(err, ErrUntrusted) {
			return nil, "", nil, err
		}
		return nil, "", nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	m, f, err := decodeServiceMetadata(content)
	if err != nil {
		return nil, "", nil, err
	}
	return m, f, signer, nil
}

// keyInfoCertificate returns the one X509Certificate of the signature's
// KeyInfo.
func keyInfoCertificate(s *xmldsig.Signature) (*x509.Certificate, error) {
	if s.KeyInfo == nil {
		return nil, fmt.Errorf("%w: the signature has no ds:KeyInfo", ErrSignature)
	}
	var certs []*xmltree.Element
	for _, d := range s.KeyInfo.ChildrenNamed(xmldsig.Namespace, "X509Data") {
		certs = append(certs, d.ChildrenNamed(xmldsig.Namespace, "X509Certificate")...)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%w: ds:KeyInfo has %d X509Certificate elements (one expected)", ErrSignature, len(certs))
	}
	der, err := decodeCert(certs[0].Text())
	if err != nil {
		return nil, fmt.Errorf("%w: ds:X509Certificate: %w", ErrSignature, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: ds:X509Certificate: %w", ErrSignature, err)
	}
	return c, nil
}

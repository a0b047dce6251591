// Package xmldsig implements the parts of W3C XML Signature 1.1
// (https://www.w3.org/TR/xmldsig-core1/) that WS-Security in eDelivery AS4
// uses, over the project's xmltree: detached signatures whose SignedInfo
// carries references to elements by Id (§4.4.3.3 same-document URIs) and to
// SOAP-with-Attachments parts by cid: URI (OASIS WSS SwA Profile 1.1 §5.2,
// Attachment-Content-Signature-Transform), canonicalized with Exclusive XML
// Canonicalization 1.0, digested with SHA-256, signed with RSA-SHA256
// (RFC 6931 §2.3.2, PKCS#1 v1.5) or Ed25519 (RFC 9231 §2.3.6, PureEdDSA);
// and, for the enveloped signatures of SAML (the eIDAS SAML profile),
// ECDSA and RSASSA-PSS with SHA-256, SHA-384 or SHA-512 and digests of the
// same, where a Policy lists them.
//
// The package does not resolve references itself: the caller (wssec) decides
// which element a "#id" names, under its own policy, and passes it to
// Signature.VerifyElement. This keeps the wrapping defence in one place: a
// verifier returns the elements it has verified, and nothing else is used.
//
// Every algorithm is a typed constant; Parse refuses what a Policy does not
// list (an unknown or disallowed algorithm is an error, never a default).
package xmldsig

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/oots-go/oots/xmltree"
)

// Namespace is the XML Signature namespace; Prefix the prefix we write.
const (
	Namespace = "http://www.w3.org/2000/09/xmldsig#"
	Prefix    = "ds"
	// NamespaceExcC14N holds ec:InclusiveNamespaces (exc-c14n §3).
	NamespaceExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
)

// SignatureMethod is a SignatureMethod algorithm URI.
type SignatureMethod string

// DigestMethod is a DigestMethod algorithm URI.
type DigestMethod string

// Transform is a Transform (or CanonicalizationMethod) algorithm URI.
type Transform string

// Algorithms used by the eDelivery AS4 profiles.
const (
	// RSASHA256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6931 §2.3.2).
	RSASHA256 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	// Ed25519 is PureEdDSA over edwards25519 (RFC 9231 §2.3.6).
	Ed25519 SignatureMethod = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519"

	// SHA256 is the SHA-256 digest (XML Encryption 1.0 §5.7.2).
	SHA256 DigestMethod = "http://www.w3.org/2001/04/xmlenc#sha256"
	// SHA384 (RFC 6931 §2.1.3) and SHA512 (XML Encryption 1.0 §5.7.4) are
	// accepted only where a Policy lists them (the eIDAS SAML profile).
	SHA384 DigestMethod = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA512 DigestMethod = "http://www.w3.org/2001/04/xmlenc#sha512"

	// ExcC14N is Exclusive XML Canonicalization 1.0 without comments.
	ExcC14N Transform = xmltree.ExcC14N
	// C14N10 and C14N11 are (inclusive) Canonical XML 1.0 and 1.1 without
	// comments, accepted only where a Policy lists them (the signatures of
	// some SMP implementations: see xmltree.CanonicalizeInclusive for what
	// is implemented of them).
	C14N10 Transform = xmltree.C14N10
	C14N11 Transform = xmltree.C14N11
	// AttachmentContent is the SwA Profile 1.1 Attachment-Content-Signature-
	// Transform: the digest covers the attachment's content (after any
	// Content-Transfer-Encoding is removed, canonicalized by MIME type as
	// ContentDigest describes), not its MIME headers.
	AttachmentContent Transform = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"
)

// Errors. Parse, Verify* and Sign wrap them; callers branch with errors.Is.
var (
	// ErrMalformed: the ds:Signature does not have the structure of §4.
	ErrMalformed = errors.New("malformed signature")
	// ErrAlgorithm: an algorithm not allowed by the policy.
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrSignatureValue: the SignatureValue does not verify with the key.
	ErrSignatureValue = errors.New("signature value does not verify")
	// ErrDigest: a reference's digest does not match its content.
	ErrDigest = errors.New("reference digest does not match")
	// ErrKey: the key does not fit the signature method.
	ErrKey = errors.New("key does not fit the signature method")
)

// Reference is one ds:Reference: what is signed and how.
type Reference struct {
	URI          string      // "#id" or "cid:content-id"
	Transforms   []Transform // in order
	DigestMethod DigestMethod
	DigestValue  []byte
	// InclusivePrefixes is the ec:InclusiveNamespaces PrefixList of an
	// exclusive c14n transform, when present.
	InclusivePrefixes []string
}

// Policy lists the algorithms a verifier accepts.
type Policy struct {
	SignatureMethods []SignatureMethod
	DigestMethods    []DigestMethod
	// Transforms allowed in references (ExcC14N, AttachmentContent).
	Transforms []Transform
	// Canonicalizations are the SignedInfo canonicalization methods
	// accepted besides ExcC14N, which always is: C14N10, C14N11.
	Canonicalizations []Transform
	// MaxReferences bounds the number of references; 0 means 64.
	MaxReferences int
}

// Signature is a parsed ds:Signature element.
type Signature struct {
	Element    *xmltree.Element // the ds:Signature
	SignedInfo *xmltree.Element
	// C14N is SignedInfo's canonicalization method (ExcC14N unless the
	// policy accepts another).
	C14N Transform
	// C14NPrefixes is the InclusiveNamespaces PrefixList of SignedInfo's
	// canonicalization, if any.
	C14NPrefixes []string
	Method       SignatureMethod
	References   []Reference
	Value        []byte
	KeyInfo      *xmltree.Element // nil when absent
}

func malformed(format string, a ...any) error {
	return fmt.Errorf("xmldsig: %w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

func onlyChildren(e *xmltree.Element, names ...string) error {
	for _, c := range e.Elements() {
		if c.Space != Namespace || !slices.Contains(names, c.Local) {
			return malformed("unexpected element %s in ds:%s", c.Name, e.Local)
		}
	}
	return nil
}

func exactlyOne(e *xmltree.Element, local string) (*xmltree.Element, error) {
	cs := e.ChildrenNamed(Namespace, local)
	if len(cs) != 1 {
		return nil, malformed("ds:%s must have exactly one ds:%s, found %d", e.Local, local, len(cs))
	}
	return cs[0], nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

func inclusivePrefixes(t *xmltree.Element) ([]string, error) {
	var out []string
	for _, c := range t.Elements() {
		if !c.Is(NamespaceExcC14N, "InclusiveNamespaces") {
			return nil, malformed("unexpected %s in a canonicalization transform", c.Name)
		}
		out = append(out, strings.Fields(c.SelectAttr("", "PrefixList"))...)
	}
	return out, nil
}

// Parse reads a ds:Signature element, refusing any algorithm the policy does
// not list. It checks structure only: call VerifySignedInfo and then verify
// each reference.
func Parse(sig *xmltree.Element, pol *Policy) (*Signature, error) {
	if sig == nil || !sig.Is(Namespace, "Signature") {
		return nil, malformed("not a ds:Signature element")
	}
	if err := onlyChildren(sig, "SignedInfo", "SignatureValue", "KeyInfo"); err != nil {
		return nil, err
	}
	s := &Signature{Element: sig}
	var err error
	if s.SignedInfo, err = exactlyOne(sig, "SignedInfo"); err != nil {
		return nil, err
	}
	sv, err := exactlyOne(sig, "SignatureValue")
	if err != nil {
		return nil, err
	}
	if s.Value, err = decodeB64(sv.Text()); err != nil || len(s.Value) == 0 {
		return nil, malformed("SignatureValue is not base64")
	}
	if ki := sig.ChildrenNamed(Namespace, "KeyInfo"); len(ki) > 1 {
		return nil, malformed("more than one ds:KeyInfo")
	} else if len(ki) == 1 {
		s.KeyInfo = ki[0]
	}
	si := s.SignedInfo
	if err := onlyChildren(si, "CanonicalizationMethod", "SignatureMethod", "Reference"); err != nil {
		return nil, err
	}
	cm, err := exactlyOne(si, "CanonicalizationMethod")
	if err != nil {
		return nil, err
	}
	switch s.C14N = Transform(cm.SelectAttr("", "Algorithm")); {
	case s.C14N == ExcC14N:
		if s.C14NPrefixes, err = inclusivePrefixes(cm); err != nil {
			return nil, err
		}
	case isC14N(s.C14N) && slices.Contains(pol.Canonicalizations, s.C14N):
		if len(cm.Elements()) != 0 {
			return nil, malformed("canonicalization %s has unexpected parameters", s.C14N)
		}
	case len(pol.Canonicalizations) == 0:
		return nil, fmt.Errorf("xmldsig: %w: canonicalization %q (only exclusive c14n)", ErrAlgorithm, s.C14N)
	default:
		return nil, fmt.Errorf("xmldsig: %w: canonicalization %q (exclusive c14n or one of %q)", ErrAlgorithm, s.C14N, pol.Canonicalizations)
	}
	sm, err := exactlyOne(si, "SignatureMethod")
	if err != nil {
		return nil, err
	}
	s.Method = SignatureMethod(sm.SelectAttr("", "Algorithm"))
	if !slices.Contains(pol.SignatureMethods, s.Method) {
		return nil, fmt.Errorf("xmldsig: %w: signature method %q", ErrAlgorithm, s.Method)
	}
	if len(sm.Elements()) != 0 {
		return nil, malformed("SignatureMethod has parameters (HMACOutputLength is not accepted)")
	}
	max := pol.MaxReferences
	if max == 0 {
		max = 64
	}
	refs := si.ChildrenNamed(Namespace, "Reference")
	if len(refs) == 0 || len(refs) > max {
		return nil, malformed("SignedInfo has %d references (1 to %d allowed)", len(refs), max)
	}
	for _, r := range refs {
		ref, err := parseReference(r, pol)
		if err != nil {
			return nil, err
		}
		s.References = append(s.References, ref)
	}
	return s, nil
}

func parseReference(r *xmltree.Element, pol *Policy) (Reference, error) {
	var ref Reference
	if err := onlyChildren(r, "Transforms", "DigestMethod", "DigestValue"); err != nil {
		return ref, err
	}
	uri, ok := r.AttrValue("", "URI")
	if !ok || (uri == "" && !slices.Contains(pol.Transforms, EnvelopedSignature)) {
		return ref, malformed("a Reference without URI (only #id and cid: references are accepted)")
	}
	ref.URI = uri
	if ts := r.ChildrenNamed(Namespace, "Transforms"); len(ts) > 1 {
		return ref, malformed("Reference %s has more than one Transforms", uri)
	} else if len(ts) == 1 {
		if err := onlyChildren(ts[0], "Transform"); err != nil {
			return ref, err
		}
		for _, t := range ts[0].Elements() {
			alg := Transform(t.SelectAttr("", "Algorithm"))
			if !slices.Contains(pol.Transforms, alg) {
				return ref, fmt.Errorf("xmldsig: %w: transform %q in reference %s", ErrAlgorithm, alg, uri)
			}
			if alg == ExcC14N {
				p, err := inclusivePrefixes(t)
				if err != nil {
					return ref, err
				}
				ref.InclusivePrefixes = p
			} else if len(t.Elements()) != 0 {
				return ref, malformed("transform %s has unexpected parameters", alg)
			}
			ref.Transforms = append(ref.Transforms, alg)
		}
	}
	dm, err := exactlyOne(r, "DigestMethod")
	if err != nil {
		return ref, err
	}
	ref.DigestMethod = DigestMethod(dm.SelectAttr("", "Algorithm"))
	if !slices.Contains(pol.DigestMethods, ref.DigestMethod) {
		return ref, fmt.Errorf("xmldsig: %w: digest method %q in reference %s", ErrAlgorithm, ref.DigestMethod, uri)
	}
	dv, err := exactlyOne(r, "DigestValue")
	if err != nil {
		return ref, err
	}
	h, _ := digestHash(ref.DigestMethod)
	if ref.DigestValue, err = decodeB64(dv.Text()); err != nil || len(ref.DigestValue) != h.Size() {
		return ref, malformed("DigestValue of %s is not a base64 %s value", uri, h)
	}
	return ref, nil
}

// VerifySignedInfo checks the SignatureValue over the canonical SignedInfo
// with pub (an *rsa.PublicKey for RSASHA256, an ed25519.PublicKey for
// Ed25519).
func (s *Signature) VerifySignedInfo(pub crypto.PublicKey) error {
	var c14n []byte
	if s.C14N == C14N10 || s.C14N == C14N11 {
		var b bytes.Buffer
		if err := xmltree.CanonicalizeInclusive(&b, s.SignedInfo); err != nil {
			return fmt.Errorf("xmldsig: %w: %w", ErrAlgorithm, err)
		}
		c14n = b.Bytes()
	} else {
		c14n = canonical(s.SignedInfo, s.C14NPrefixes)
	}
	switch s.Method {
	case RSASHA256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("xmldsig: %w: %T for rsa-sha256", ErrKey, pub)
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("xmldsig: %w: RSA key of %d bits (2048 at least)", ErrKey, k.N.BitLen())
		}
		h := sha256.Sum256(c14n)
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], s.Value) != nil {
			return fmt.Errorf("xmldsig: %w", ErrSignatureValue)
		}
	case Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("xmldsig: %w: %T for eddsa-ed25519", ErrKey, pub)
		}
		if !ed25519.Verify(k, c14n, s.Value) {
			return fmt.Errorf("xmldsig: %w", ErrSignatureValue)
		}
	default:
		// ECDSA and RSASSA-PSS (moreHash names them), or ErrAlgorithm.
		return verifyMore(s.Method, pub, c14n, s.Value)
	}
	return nil
}

func canonical(e *xmltree.Element, prefixes []string) []byte {
	var b bytes.Buffer
	xmltree.Canonicalize(&b, e, prefixes)
	return b.Bytes()
}

// DigestElement returns the digest of el under the reference's transforms,
// which must all be canonicalizations (isC14N); the last one applies, and
// exclusive c14n when there is none. Exclusive c14n takes the reference's
// InclusivePrefixes; Canonical XML 1.0 and 1.1 are
// xmltree.CanonicalizeInclusive. Whether a policy accepts the transforms is
// Parse's business.
func DigestElement(el *xmltree.Element, ref *Reference) ([]byte, error) {
	c14n := ExcC14N
	for _, t := range ref.Transforms {
		if !isC14N(t) {
			return nil, fmt.Errorf("xmldsig: %w: transform %q on an element reference", ErrAlgorithm, t)
		}
		c14n = t
	}
	hash, ok := digestHash(ref.DigestMethod)
	if !ok {
		return nil, fmt.Errorf("xmldsig: %w: digest %q", ErrAlgorithm, ref.DigestMethod)
	}
	h := hash.New()
	var err error
	if c14n == ExcC14N {
		err = xmltree.Canonicalize(h, el, ref.InclusivePrefixes)
	} else {
		err = xmltree.CanonicalizeInclusive(h, el)
	}
	if err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// digestHash returns the hash function of a digest method this package
// implements.
func digestHash(m DigestMethod) (crypto.Hash, bool) {
	switch m {
	case SHA256:
		return crypto.SHA256, true
	case SHA384:
		return crypto.SHA384, true
	case SHA512:
		return crypto.SHA512, true
	}
	return crypto.SHA256, false
}

// isC14N reports a canonicalization this package implements: exclusive
// c14n, Canonical XML 1.0 and 1.1.
func isC14N(t Transform) bool { return t == ExcC14N || t == C14N10 || t == C14N11 }

// CheckDigest compares a computed digest with the reference's DigestValue in
// constant time.
func (ref *Reference) CheckDigest(got []byte) error {
	if subtle.ConstantTimeCompare(got, ref.DigestValue) != 1 {
		return fmt.Errorf("xmldsig: %w: %s", ErrDigest, ref.URI)
	}
	return nil
}

// Signer makes detached signatures.
type Signer struct {
	Key    crypto.Signer
	Method SignatureMethod
	// KeyInfo, if set, is appended to the ds:Signature (e.g. a
	// wsse:SecurityTokenReference to the BinarySecurityToken).
	KeyInfo []*xmltree.Element
	// Rand is used by signature schemes that need randomness (none of
	// PKCS#1 v1.5 and Ed25519 do); may be nil.
	Rand io.Reader
	// Digest is the digest method of the references that SignEnveloped
	// and SignEnvelopedID compute: SHA256 when empty, SHA384 or SHA512.
	Digest DigestMethod
}

// digestMethod returns sg.Digest, SHA256 when empty.
func (sg *Signer) digestMethod() DigestMethod {
	if sg.Digest == "" {
		return SHA256
	}
	return sg.Digest
}

// Sign builds a ds:Signature over refs (whose DigestValue the caller has
// computed with DigestElement/DigestContent). The element uses the prefix
// "ds" and exclusive c14n without an InclusiveNamespaces list.
func (sg *Signer) Sign(refs []Reference) (*xmltree.Element, error) {
	sig := xmltree.NewElement(Namespace, Prefix, "Signature")
	sig.DeclareNS(Prefix, Namespace)
	si := sig.AddElement(Namespace, Prefix, "SignedInfo")
	si.AddElement(Namespace, Prefix, "CanonicalizationMethod").SetAttr("", "", "Algorithm", string(ExcC14N))
	si.AddElement(Namespace, Prefix, "SignatureMethod").SetAttr("", "", "Algorithm", string(sg.Method))
	for _, r := range refs {
		re := si.AddElement(Namespace, Prefix, "Reference")
		re.SetAttr("", "", "URI", r.URI)
		if len(r.Transforms) > 0 {
			ts := re.AddElement(Namespace, Prefix, "Transforms")
			for _, t := range r.Transforms {
				ts.AddElement(Namespace, Prefix, "Transform").SetAttr("", "", "Algorithm", string(t))
			}
		}
		re.AddElement(Namespace, Prefix, "DigestMethod").SetAttr("", "", "Algorithm", string(r.DigestMethod))
		re.AddElement(Namespace, Prefix, "DigestValue").SetText(base64.StdEncoding.EncodeToString(r.DigestValue))
	}
	c14n := canonical(si, nil)
	var value []byte
	var err error
	switch sg.Method {
	case RSASHA256:
		if _, ok := sg.Key.Public().(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("xmldsig: %w: %T for rsa-sha256", ErrKey, sg.Key.Public())
		}
		h := sha256.Sum256(c14n)
		value, err = sg.Key.Sign(sg.Rand, h[:], crypto.SHA256)
	case Ed25519:
		if _, ok := sg.Key.Public().(ed25519.PublicKey); !ok {
			return nil, fmt.Errorf("xmldsig: %w: %T for eddsa-ed25519", ErrKey, sg.Key.Public())
		}
		value, err = sg.Key.Sign(sg.Rand, c14n, crypto.Hash(0))
	default:
		if _, _, ok := moreHash(sg.Method); !ok {
			return nil, fmt.Errorf("xmldsig: %w: %q", ErrAlgorithm, sg.Method)
		}
		value, err = signMore(sg, c14n)
	}
	if err != nil {
		return nil, fmt.Errorf("xmldsig: signing: %w", err)
	}
	sig.AddElement(Namespace, Prefix, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	if len(sg.KeyInfo) > 0 {
		ki := sig.AddElement(Namespace, Prefix, "KeyInfo")
		for _, k := range sg.KeyInfo {
			ki.AddChild(k)
		}
	}
	return sig, nil
}

package xmldsig

import (
	"crypto"
	"fmt"
	"slices"

	"github.com/oots-go/oots/xmltree"
)

// EnvelopedSignature is the enveloped-signature transform (XML Signature 1.1
// §6.6.4): the digest covers the document without the ds:Signature element
// that contains the transform. SMP responses are signed this way (OASIS SMP
// 1.0 and 2.0, Peppol SMP 1.x).
const EnvelopedSignature Transform = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

// envelopedTransforms are the transforms of an enveloped reference, in
// order: remove the signature, then exclusive c14n. An enveloped reference
// without an explicit c14n transform would be canonicalized with inclusive
// C14N 1.0 (§4.4.3.2), which this package does not implement.
var envelopedTransforms = []Transform{EnvelopedSignature, ExcC14N}

// SignEnveloped signs the whole document of root with an enveloped
// signature: one Reference with URI "" and the transforms
// enveloped-signature and exclusive c14n, digest SHA-256 (or Signer.Digest). The ds:Signature
// is appended as the last child of root and returned.
func (sg *Signer) SignEnveloped(root *xmltree.Element) (*xmltree.Element, error) {
	if root == nil {
		return nil, malformed("no element to sign")
	}
	if len(root.ChildrenNamed(Namespace, "Signature")) != 0 {
		return nil, malformed("%s already has a ds:Signature", root.Name)
	}
	ref := Reference{URI: "", Transforms: envelopedTransforms, DigestMethod: sg.digestMethod()}
	var err error
	if ref.DigestValue, err = DigestElement(root, &Reference{Transforms: []Transform{ExcC14N}, DigestMethod: ref.DigestMethod}); err != nil {
		return nil, err
	}
	sig, err := sg.Sign([]Reference{ref})
	if err != nil {
		return nil, err
	}
	root.AddChild(sig)
	return sig, nil
}

// VerifyEnveloped verifies the enveloped signature of the document whose
// root is root: exactly one ds:Signature, a child of root, with exactly one
// Reference (URI "", transforms enveloped-signature then exclusive c14n);
// the policy must list EnvelopedSignature and ExcC14N. A policy that also
// lists C14N10 or C14N11 accepts that canonicalization after the
// enveloped-signature transform, and with C14N10 the enveloped-signature
// transform alone, the content then canonicalized with C14N 1.0. key returns the
// public key to check the signature with (typically from the certificate in
// ds:KeyInfo, after the caller has validated it); its error is returned
// wrapped.
//
// It returns a copy of root without the ds:Signature — the content that was
// verified, which is all the caller may use (STYLE.md §12) — and the parsed
// signature. Errors wrap ErrMalformed (no signature, several, one elsewhere
// than under root, a reference to something else), ErrAlgorithm, ErrDigest
// and ErrSignatureValue.
func VerifyEnveloped(root *xmltree.Element, pol *Policy, key func(*Signature) (crypto.PublicKey, error)) (*xmltree.Element, *Signature, error) {
	if root == nil {
		return nil, nil, malformed("no document")
	}
	var sigs []*xmltree.Element
	root.Walk(func(e *xmltree.Element) bool {
		if e.Is(Namespace, "Signature") {
			sigs = append(sigs, e)
			return false
		}
		return true
	})
	if len(sigs) == 0 {
		return nil, nil, malformed("%s is not signed (no ds:Signature)", root.Name)
	}
	if len(sigs) > 1 {
		return nil, nil, malformed("%d ds:Signature elements (one enveloped signature expected)", len(sigs))
	}
	if sigs[0].Parent() != root {
		return nil, nil, malformed("the ds:Signature is at %s, not a child of the document element", sigs[0].Path())
	}
	s, err := Parse(sigs[0], pol)
	if err != nil {
		return nil, nil, err
	}
	if len(s.References) != 1 {
		return nil, nil, malformed("an enveloped signature has %d references (one expected)", len(s.References))
	}
	ref := s.References[0]
	if ref.URI != "" {
		return nil, nil, malformed("the reference URI is %q (\"\" expected: the whole document)", ref.URI)
	}
	// The content's canonicalization: the transform after the enveloped
	// one, or inclusive C14N 1.0 when there is none (XML Signature 1.1
	// §4.4.3.2: a node-set is turned into octets that way).
	c14n := C14N10
	switch {
	case len(ref.Transforms) == 2 && ref.Transforms[0] == EnvelopedSignature:
		c14n = ref.Transforms[1]
	case len(ref.Transforms) == 1 && ref.Transforms[0] == EnvelopedSignature && slices.Contains(pol.Transforms, C14N10):
	default:
		return nil, nil, fmt.Errorf("xmldsig: %w: transforms %q (enveloped-signature, then a canonicalization the policy lists, expected)", ErrAlgorithm, ref.Transforms)
	}
	if !isC14N(c14n) {
		return nil, nil, fmt.Errorf("xmldsig: %w: transforms %q (enveloped-signature, then a canonicalization, expected)", ErrAlgorithm, ref.Transforms)
	}
	pub, err := key(s)
	if err != nil {
		return nil, nil, fmt.Errorf("xmldsig: signature key: %w", err)
	}
	if err := s.VerifySignedInfo(pub); err != nil {
		return nil, nil, err
	}
	content := root.Copy()
	for _, c := range content.Elements() {
		if c.Is(Namespace, "Signature") {
			content.RemoveChild(c)
		}
	}
	got, err := DigestElement(content, &Reference{Transforms: []Transform{c14n}, DigestMethod: ref.DigestMethod, InclusivePrefixes: ref.InclusivePrefixes})
	if err != nil {
		return nil, nil, err
	}
	if ref.CheckDigest(got) != nil {
		return nil, nil, fmt.Errorf("xmldsig: %w: the signed document (reference URI \"\") has changed", ErrDigest)
	}
	return content, s, nil
}

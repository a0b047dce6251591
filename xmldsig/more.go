package xmldsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/oots-go/oots/xmltree"
)

// Signature methods of the eIDAS SAML profile (eIDAS Cryptographic
// Requirements for the Interoperability Framework §3.2): ECDSA and
// RSASSA-PSS, with SHA-256, SHA-384 or SHA-512 (eIDAS-Node signs with
// RSASSA-PSS and SHA-512 where configured so).
const (
	// ECDSASHA256 is ECDSA with SHA-256 (RFC 6931 §2.3.6); the
	// SignatureValue is r and s, each left-padded to the curve's size
	// and concatenated (XML Signature 1.1 §6.4.3), not ASN.1.
	ECDSASHA256 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	// ECDSASHA384 and ECDSASHA512: the same with SHA-384 and SHA-512.
	ECDSASHA384 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	ECDSASHA512 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
	// RSAPSSSHA256 is RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a salt
	// of 32 octets (RFC 6931 §2.3.10, RFC 9231 §2.3.10).
	RSAPSSSHA256 SignatureMethod = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
	// RSAPSSSHA384 and RSAPSSSHA512: the same with SHA-384 (salt of 48
	// octets) and SHA-512 (64 octets): the salt is as long as the hash.
	RSAPSSSHA384 SignatureMethod = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
	RSAPSSSHA512 SignatureMethod = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
)

// moreHash returns whether m is an ECDSA method (or else RSASSA-PSS) and
// its hash function, or false when m is not one of them.
func moreHash(m SignatureMethod) (ecdsaMethod bool, h crypto.Hash, ok bool) {
	switch m {
	case ECDSASHA256:
		return true, crypto.SHA256, true
	case ECDSASHA384:
		return true, crypto.SHA384, true
	case ECDSASHA512:
		return true, crypto.SHA512, true
	case RSAPSSSHA256:
		return false, crypto.SHA256, true
	case RSAPSSSHA384:
		return false, crypto.SHA384, true
	case RSAPSSSHA512:
		return false, crypto.SHA512, true
	}
	return false, 0, false
}

// digest hashes data with h.
func digest(h crypto.Hash, data []byte) []byte {
	w := h.New()
	w.Write(data)
	return w.Sum(nil)
}

// verifyMore verifies the ECDSA and RSA-PSS methods.
func verifyMore(m SignatureMethod, pub crypto.PublicKey, c14n, value []byte) error {
	isECDSA, hash, ok := moreHash(m)
	if !ok {
		return fmt.Errorf("xmldsig: %w: %q", ErrAlgorithm, m)
	}
	h := digest(hash, c14n)
	if isECDSA {
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("xmldsig: %w: %T for %s", ErrKey, pub, m)
		}
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return fmt.Errorf("xmldsig: %w: ECDSA curve %s", ErrKey, k.Curve.Params().Name)
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*n {
			return fmt.Errorf("xmldsig: %w: ECDSA value of %d octets (%d expected)", ErrSignatureValue, len(value), 2*n)
		}
		r, s := new(big.Int).SetBytes(value[:n]), new(big.Int).SetBytes(value[n:])
		if !ecdsa.Verify(k, h, r, s) {
			return fmt.Errorf("xmldsig: %w", ErrSignatureValue)
		}
		return nil
	}
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("xmldsig: %w: %T for %s", ErrKey, pub, m)
	}
	if k.N.BitLen() < 2048 {
		return fmt.Errorf("xmldsig: %w: RSA key of %d bits (2048 at least)", ErrKey, k.N.BitLen())
	}
	if rsa.VerifyPSS(k, hash, h, value, &rsa.PSSOptions{SaltLength: hash.Size(), Hash: hash}) != nil {
		return fmt.Errorf("xmldsig: %w", ErrSignatureValue)
	}
	return nil
}

// signMore signs with the ECDSA and RSA-PSS methods.
func signMore(sg *Signer, c14n []byte) ([]byte, error) {
	isECDSA, hash, ok := moreHash(sg.Method)
	if !ok {
		return nil, fmt.Errorf("xmldsig: %w: %q", ErrAlgorithm, sg.Method)
	}
	h := digest(hash, c14n)
	if isECDSA {
		k, ok := sg.Key.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("xmldsig: %w: %T for %s", ErrKey, sg.Key.Public(), sg.Method)
		}
		der, err := sg.Key.Sign(sg.Rand, h, hash)
		if err != nil {
			return nil, err
		}
		return rawECDSA(der, (k.Curve.Params().BitSize+7)/8)
	}
	if _, ok := sg.Key.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("xmldsig: %w: %T for %s", ErrKey, sg.Key.Public(), sg.Method)
	}
	return sg.Key.Sign(sg.Rand, h, &rsa.PSSOptions{SaltLength: hash.Size(), Hash: hash})
}

// rawECDSA turns an ASN.1 ECDSA-Sig-Value into r‖s of n octets each.
func rawECDSA(der []byte, n int) ([]byte, error) {
	// SEQUENCE { INTEGER r, INTEGER s }, as crypto/ecdsa writes it.
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, fmt.Errorf("xmldsig: ECDSA signature: %w", err)
	}
	out := make([]byte, 2*n)
	sig.R.FillBytes(out[:n])
	sig.S.FillBytes(out[n:])
	return out, nil
}

// SignEnvelopedID returns an enveloped signature of root whose one
// Reference names root by its identifier ("#" + id; SAML 2.0 Core §5.4.2:
// the signed element carries an ID attribute and the reference names it),
// with the transforms enveloped-signature and exclusive c14n and the
// signer's digest (SHA-256 unless Signer.Digest says otherwise). The signature is not attached: the caller inserts it where the
// schema of root wants it (for SAML, after saml:Issuer).
func (sg *Signer) SignEnvelopedID(root *xmltree.Element, id string) (*xmltree.Element, error) {
	if root == nil || id == "" {
		return nil, malformed("no element or no identifier to sign")
	}
	if len(root.ChildrenNamed(Namespace, "Signature")) != 0 {
		return nil, malformed("%s already has a ds:Signature", root.Name)
	}
	ref := Reference{URI: "#" + id, Transforms: envelopedTransforms, DigestMethod: sg.digestMethod()}
	var err error
	if ref.DigestValue, err = DigestElement(root, &Reference{Transforms: []Transform{ExcC14N}, DigestMethod: ref.DigestMethod}); err != nil {
		return nil, err
	}
	return sg.Sign([]Reference{ref})
}

// VerifyEnvelopedID verifies the enveloped signature of root as SAML signs
// its messages and assertions (SAML 2.0 Core §5.4): exactly one ds:Signature
// among root's children (signatures deeper in root, such as an assertion's
// in a response, are content), with exactly one Reference whose URI is "#"
// followed by the value of root's attribute idAttr, and the transforms
// enveloped-signature then exclusive c14n. A reference to any other element,
// even one inside root, is refused: that is the defence against signature
// wrapping, together with using only what is returned.
//
// It returns a copy of root without its ds:Signature, the content that was
// verified, and the parsed signature. Errors wrap ErrMalformed, ErrAlgorithm,
// ErrKey, ErrDigest and ErrSignatureValue.
func VerifyEnvelopedID(root *xmltree.Element, idAttr string, pol *Policy, key func(*Signature) (crypto.PublicKey, error)) (*xmltree.Element, *Signature, error) {
	if root == nil {
		return nil, nil, malformed("no element")
	}
	id := root.SelectAttr("", idAttr)
	if id == "" {
		return nil, nil, malformed("%s has no %s attribute", root.Name, idAttr)
	}
	sigs := root.ChildrenNamed(Namespace, "Signature")
	if len(sigs) == 0 {
		return nil, nil, malformed("%s is not signed (no ds:Signature child)", root.Name)
	}
	if len(sigs) > 1 {
		return nil, nil, malformed("%s has %d ds:Signature children (one expected)", root.Name, len(sigs))
	}
	s, err := Parse(sigs[0], pol)
	if err != nil {
		return nil, nil, err
	}
	if len(s.References) != 1 {
		return nil, nil, malformed("an enveloped signature has %d references (one expected)", len(s.References))
	}
	ref := s.References[0]
	if ref.URI != "#"+id {
		return nil, nil, malformed("the reference URI is %q, not the signed element's own %q", ref.URI, "#"+id)
	}
	if len(ref.Transforms) != 2 || ref.Transforms[0] != EnvelopedSignature || ref.Transforms[1] != ExcC14N {
		return nil, nil, fmt.Errorf("xmldsig: %w: transforms %q (enveloped-signature then exclusive c14n expected)", ErrAlgorithm, ref.Transforms)
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
	got, err := DigestElement(content, &Reference{Transforms: []Transform{ExcC14N}, DigestMethod: ref.DigestMethod, InclusivePrefixes: ref.InclusivePrefixes})
	if err != nil {
		return nil, nil, err
	}
	if ref.CheckDigest(got) != nil {
		return nil, nil, fmt.Errorf("xmldsig: %w: the signed element %s has changed", ErrDigest, ref.URI)
	}
	return content, s, nil
}

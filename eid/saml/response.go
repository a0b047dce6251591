package saml

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// check names one check of a response. Every check is on in production;
// the package's tests turn one off at a time to show that the attack it
// stops then succeeds.
type check int

const (
	checkResponseSigned check = iota + 1
	checkAssertionSigned
	checkSignatureRef // the reference names the signed element itself
	checkNodeKey      // the key is the login's node's, not any trusted node's
	checkAlgorithms   // the eIDAS signature algorithms only
	checkIssuer
	checkDestination
	checkInResponseTo
	checkRecipient
	checkAudience
	checkTime
	checkReplay
	checkLoA
	checkEncryption // a plain assertion is refused
	checkOneAssertion
	checkStrictText
)

// checkSet is the set of checks turned off; nil in production.
type checkSet map[check]bool

func (s checkSet) off(c check) bool { return s[c] }

// signaturePolicy is what the eIDAS Cryptographic Requirements (§3.2)
// allow: ECDSA and RSASSA-PSS with SHA-256, SHA-384 or SHA-512, exclusive
// c14n, SHA-256, SHA-384 or SHA-512 digests (eIDAS-Node signs with
// RSASSA-PSS and SHA-512 where configured so). RSA PKCS#1 v1.5 is refused.
var signaturePolicy = xmldsig.Policy{
	SignatureMethods: []xmldsig.SignatureMethod{xmldsig.ECDSASHA256, xmldsig.ECDSASHA384, xmldsig.ECDSASHA512, xmldsig.RSAPSSSHA256, xmldsig.RSAPSSSHA384, xmldsig.RSAPSSSHA512},
	DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256, xmldsig.SHA384, xmldsig.SHA512},
	Transforms:       []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N},
	MaxReferences:    1,
}

// anyPolicy is the policy with checkAlgorithms off: every method xmldsig
// implements.
var anyPolicy = xmldsig.Policy{
	SignatureMethods: append([]xmldsig.SignatureMethod{xmldsig.RSASHA256, xmldsig.Ed25519}, signaturePolicy.SignatureMethods...),
	DigestMethods:    signaturePolicy.DigestMethods,
	Transforms:       []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N},
	MaxReferences:    1,
}

// The encryption eIDAS allows (Cryptographic Requirements §3.3, §3.4):
// AES-GCM for the assertion, RSA-OAEP for its key. The mask generation of
// xmlenc11 rsa-oaep may be MGF1 with SHA-1 (named, or no xenc11:MGF, XML
// Encryption 1.1 §5.5.2), as rsa-oaep-mgf1p's always is; its digest SHA-1
// (named, or no ds:DigestMethod, the same section), as rsa-oaep-mgf1p's
// may be, SHA-256, or the stronger SHA-384 and SHA-512.
var (
	dataMethods = []xmlenc.Algorithm{xmlenc.AES128GCM, xmlenc.AES192GCM, xmlenc.AES256GCM}
	keyPolicy   = xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP, xmlenc.RSAOAEPMGF1P}, MGFs: []xmlenc.Algorithm{xmlenc.MGF1SHA256, xmlenc.MGF1SHA1},
		Digests: []xmlenc.Algorithm{xmlenc.SHA256, xmlenc.SHA1, xmlenc.SHA384, xmlenc.SHA512}}
)

// Status is a SAML status that is not Success (SAML 2.0 Core §3.2.2.2),
// with the node's message; errors.Is(err, ErrCancelled) tells a user who
// cancelled.
type Status struct {
	Code, SubCode, Message string
}

func (s *Status) Error() string {
	m := fmt.Sprintf("the eIDAS node answered %s", strings.TrimPrefix(s.Code, "urn:oasis:names:tc:SAML:2.0:status:"))
	if s.SubCode != "" {
		m += " / " + strings.TrimPrefix(s.SubCode, "urn:oasis:names:tc:SAML:2.0:status:")
	}
	if s.Message != "" {
		m += ": " + s.Message
	}
	return m
}

// Is makes a RequestDenied or AuthnFailed status match ErrCancelled and a
// NoAuthnContext match eid.ErrLoA.
func (s *Status) Is(target error) bool {
	switch target {
	case ErrCancelled:
		return s.SubCode == statusPrefix+"RequestDenied" || s.SubCode == statusPrefix+"AuthnFailed"
	case eid.ErrLoA:
		return s.SubCode == statusPrefix+"NoAuthnContext"
	}
	return false
}

const statusPrefix = "urn:oasis:names:tc:SAML:2.0:status:"

// ErrCancelled: the user cancelled the login or the authentication failed
// at the node.
var ErrCancelled = errors.New("the login was cancelled or failed at the eIDAS node")

// verification is the context of one response: the login it answers and
// the node that should have sent it.
type verification struct {
	login *login
	node  *Node
	certs []*x509.Certificate // the node's signing certificates
	now   time.Time
}

// verify runs the checks of a response, in the order of the SAML 2.0
// Profiles §4.1.4.2–§4.1.4.5 and the eIDAS SAML Message Format §3, and
// returns the subject. Only elements returned by a signature verification
// are read after it.
func (a *Authenticator) verify(ctx context.Context, raw string, v *verification) (*eid.Subject, error) {
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(raw), ""))
	if err != nil {
		return nil, fmt.Errorf("SAMLResponse is not base64: %w", err)
	}
	if int64(len(b)) > a.cfg.MaxResponse {
		return nil, fmt.Errorf("SAMLResponse of %d octets (at most %d)", len(b), a.cfg.MaxResponse)
	}
	doc, err := xmltree.ParseBytes(b, &xmltree.Limits{MaxBytes: a.cfg.MaxResponse, MaxDepth: 64, MaxElements: 10000, MaxAttrs: 64})
	if err != nil {
		return nil, fmt.Errorf("SAMLResponse: %w", err)
	}
	root := doc.Root
	if !root.Is(NSProtocol, "Response") || root.SelectAttr("", "Version") != "2.0" {
		return nil, fmt.Errorf("SAMLResponse is a %s, not a SAML 2.0 samlp:Response", root.Name)
	}

	// Core §5.4, eIDAS: the response is signed by the node.
	resp, err := a.verified(root, v, checkResponseSigned)
	if err != nil {
		return nil, fmt.Errorf("response signature: %w", err)
	}
	if err := a.checkIssuerOf(resp, v); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	// Profiles §4.1.4.3: Destination is our assertion consumer service.
	if !a.checks.off(checkDestination) && resp.SelectAttr("", "Destination") != a.acsURL {
		return nil, fmt.Errorf("response Destination %q is not our %q", resp.SelectAttr("", "Destination"), a.acsURL)
	}
	if !a.checks.off(checkInResponseTo) && resp.SelectAttr("", "InResponseTo") != v.login.requestID {
		return nil, fmt.Errorf("response InResponseTo %q is not the request of this login", resp.SelectAttr("", "InResponseTo"))
	}
	if err := status(resp); err != nil {
		return nil, err
	}

	// Exactly one assertion, encrypted (eIDAS SAML Message Format §3.2).
	encs := resp.ChildrenNamed(NSAssertion, "EncryptedAssertion")
	plains := resp.ChildrenNamed(NSAssertion, "Assertion")
	if !a.checks.off(checkOneAssertion) && len(encs)+len(plains) != 1 {
		return nil, fmt.Errorf("the response has %d assertions (one expected)", len(encs)+len(plains))
	}
	var as *xmltree.Element
	switch {
	case len(encs) > 0:
		if as, err = a.decrypt(encs[0]); err != nil {
			return nil, fmt.Errorf("encrypted assertion: %w", err)
		}
	case len(plains) > 0:
		if !a.cfg.AllowUnencrypted && !a.checks.off(checkEncryption) {
			return nil, errors.New("the assertion is not encrypted (eIDAS requires it encrypted)")
		}
		as = plains[0]
	default:
		return nil, errors.New("the response has no assertion")
	}
	if as, err = a.verified(as, v, checkAssertionSigned); err != nil {
		return nil, fmt.Errorf("assertion signature: %w", err)
	}
	return a.assertion(ctx, as, v)
}

// verified verifies the enveloped signature of e with the node's key and
// returns what was verified (a copy of e without its signature). With
// checkResponseSigned or checkAssertionSigned (which) off, an unsigned e
// is returned as it is; with checkSignatureRef off, the reference is
// resolved by ID anywhere under e, the way signature wrapping succeeds.
func (a *Authenticator) verified(e *xmltree.Element, v *verification, which check) (*xmltree.Element, error) {
	if a.checks.off(which) && len(e.ChildrenNamed(xmldsig.Namespace, "Signature")) == 0 {
		return e, nil
	}
	pol := &signaturePolicy
	if a.checks.off(checkAlgorithms) {
		pol = &anyPolicy
	}
	certs := v.certs
	if a.checks.off(checkNodeKey) {
		// Without the check: the key of whichever trusted node the
		// message names.
		if iss := e.Child(NSAssertion, "Issuer"); iss != nil {
			for cc, n := range a.cfg.Nodes {
				if n.EntityID == strings.TrimSpace(iss.Text()) {
					certs, _ = a.nodeCerts(context.Background(), cc)
				}
			}
		}
	}
	var verr error
	for _, c := range certs {
		pub := c.PublicKey
		key := func(*xmldsig.Signature) (crypto.PublicKey, error) { return pub, nil }
		var out *xmltree.Element
		if a.checks.off(checkSignatureRef) {
			out, verr = verifyByIDAnywhere(e, pol, key)
		} else {
			out, _, verr = xmldsig.VerifyEnvelopedID(e, "ID", pol, key)
		}
		if verr == nil {
			return out, nil
		}
		if !errors.Is(verr, xmldsig.ErrSignatureValue) && !errors.Is(verr, xmldsig.ErrKey) {
			break
		}
	}
	if verr == nil {
		verr = errors.New("the node has no signing certificate")
	}
	return nil, verr
}

// verifyByIDAnywhere is the verification of a library vulnerable to
// signature wrapping: the reference is looked up by ID anywhere under e,
// that element is verified, and e (not the verified element) is returned.
// Only the package's tests reach it, through checkSignatureRef.
func verifyByIDAnywhere(e *xmltree.Element, pol *xmldsig.Policy, key func(*xmldsig.Signature) (crypto.PublicKey, error)) (*xmltree.Element, error) {
	var sig *xmltree.Element
	e.Walk(func(x *xmltree.Element) bool {
		if sig == nil && x.Is(xmldsig.Namespace, "Signature") {
			sig = x
		}
		return sig == nil
	})
	if sig == nil {
		return nil, errors.New("not signed")
	}
	s, err := xmldsig.Parse(sig, pol)
	if err != nil {
		return nil, err
	}
	var target *xmltree.Element
	e.Root().Walk(func(x *xmltree.Element) bool {
		if target == nil && "#"+x.SelectAttr("", "ID") == s.References[0].URI {
			target = x
		}
		return target == nil
	})
	if target == nil {
		return nil, errors.New("reference not found")
	}
	if _, _, err := xmldsig.VerifyEnvelopedID(target, "ID", pol, key); err != nil {
		return nil, err
	}
	out := e.Copy()
	for _, c := range out.Elements() {
		if c.Is(xmldsig.Namespace, "Signature") {
			out.RemoveChild(c)
		}
	}
	return out, nil
}

// checkIssuerOf checks the saml:Issuer of a verified response or assertion:
// the entity ID of the node the login went to.
func (a *Authenticator) checkIssuerOf(e *xmltree.Element, v *verification) error {
	if a.checks.off(checkIssuer) {
		return nil
	}
	iss := e.ChildrenNamed(NSAssertion, "Issuer")
	if len(iss) != 1 {
		return fmt.Errorf("%d saml:Issuer (one expected)", len(iss))
	}
	got, err := a.text(iss[0])
	if err != nil {
		return err
	}
	if got != v.node.EntityID {
		return fmt.Errorf("issued by %q, not by the node of %s (%q)", got, v.login.country, v.node.EntityID)
	}
	if f, ok := iss[0].AttrValue("", "Format"); ok && f != "urn:oasis:names:tc:SAML:2.0:nameid-format:entity" {
		return fmt.Errorf("saml:Issuer Format %q is not entity", f)
	}
	return nil
}

// status returns nil for Success and a *Status otherwise.
func status(resp *xmltree.Element) error {
	st := resp.Child(NSProtocol, "Status")
	if st == nil {
		return errors.New("the response has no samlp:Status")
	}
	sc := st.Child(NSProtocol, "StatusCode")
	if sc == nil {
		return errors.New("the response has no samlp:StatusCode")
	}
	s := &Status{Code: sc.SelectAttr("", "Value")}
	if sub := sc.Child(NSProtocol, "StatusCode"); sub != nil {
		s.SubCode = sub.SelectAttr("", "Value")
	}
	if m := st.Child(NSProtocol, "StatusMessage"); m != nil {
		s.Message = truncate(strings.TrimSpace(m.Text()), 200)
	}
	if s.Code == statusPrefix+"Success" {
		return nil
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// keyCause is Config.EncryptionKey keeping the error of its Decrypt:
// xmlenc reports only that the key transport did not decrypt, and the
// operator needs the cause when the key is in a token (a session closed,
// a PIN refused, a token that does not answer).
type keyCause struct {
	crypto.Decrypter
	err error
}

var _ crypto.Decrypter = (*keyCause)(nil)

func (k *keyCause) Decrypt(rand io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	out, err := k.Decrypter.Decrypt(rand, msg, opts)
	k.err = err
	return out, err
}

// decrypt returns the assertion inside a saml:EncryptedAssertion (Core
// §2.3.4): AES-GCM under a key transported with RSA-OAEP to our key
// (Config.EncryptionKey, which may be in a token).
func (a *Authenticator) decrypt(ea *xmltree.Element) (*xmltree.Element, error) {
	eds := ea.ChildrenNamed(xmlenc.Namespace, "EncryptedData")
	if len(eds) != 1 {
		return nil, fmt.Errorf("%d xenc:EncryptedData (one expected)", len(eds))
	}
	ed := eds[0]
	// A node may put the EncryptedKey beside the EncryptedData (Core
	// §2.3.4) rather than in its KeyInfo; move it in.
	if ed.Child(xmldsig.Namespace, "KeyInfo") == nil || len(ed.Child(xmldsig.Namespace, "KeyInfo").ChildrenNamed(xmlenc.Namespace, "EncryptedKey")) == 0 {
		if eks := ea.ChildrenNamed(xmlenc.Namespace, "EncryptedKey"); len(eks) == 1 {
			ed = ed.Copy()
			ki := ed.Child(xmldsig.Namespace, "KeyInfo")
			if ki == nil {
				ki = ed.AddElement(xmldsig.Namespace, "ds", "KeyInfo")
			}
			ki.AddChild(eks[0].Copy())
		}
	}
	d, err := xmlenc.ParseEncryptedElement(ed, dataMethods, &keyPolicy)
	if err != nil {
		return nil, err
	}
	key := &keyCause{Decrypter: a.cfg.EncryptionKey}
	plain, err := d.Decrypt(key)
	if err != nil {
		if key.err != nil {
			return nil, fmt.Errorf("%w (the key: %w)", err, key.err)
		}
		return nil, err
	}
	// The plain text is an element that may use the namespaces declared
	// around the EncryptedData (XML Encryption §4.3.3): parse it inside
	// them.
	var wrap strings.Builder
	wrap.WriteString("<w")
	for _, ns := range ed.InScope() {
		if ns.Prefix == "" {
			fmt.Fprintf(&wrap, ` xmlns="%s"`, xmlAttrEscape(ns.URI))
		} else {
			fmt.Fprintf(&wrap, ` xmlns:%s="%s"`, ns.Prefix, xmlAttrEscape(ns.URI))
		}
	}
	wrap.WriteString(">")
	wrap.Write(plain)
	wrap.WriteString("</w>")
	doc, err := xmltree.ParseBytes([]byte(wrap.String()), &xmltree.Limits{MaxBytes: a.cfg.MaxResponse + 4096, MaxDepth: 64, MaxElements: 10000, MaxAttrs: 64})
	if err != nil {
		return nil, fmt.Errorf("decrypted assertion: %w", err)
	}
	els := doc.Root.Elements()
	if len(els) != 1 || !els[0].Is(NSAssertion, "Assertion") {
		return nil, errors.New("the decrypted content is not one saml:Assertion")
	}
	return els[0], nil
}

func xmlAttrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(s)
}

// assertion checks a verified assertion (Profiles §4.1.4.2, eIDAS SAML
// Message Format §3.2) and maps it to the subject.
func (a *Authenticator) assertion(ctx context.Context, as *xmltree.Element, v *verification) (*eid.Subject, error) {
	if err := a.checkIssuerOf(as, v); err != nil {
		return nil, fmt.Errorf("assertion: %w", err)
	}
	id := as.SelectAttr("", "ID")
	if id == "" {
		return nil, errors.New("assertion without ID")
	}
	skew := a.cfg.Skew
	// Subject: a NameID and one bearer SubjectConfirmation whose data name
	// our ACS, this request and a time not passed.
	sub := as.Child(NSAssertion, "Subject")
	if sub == nil {
		return nil, errors.New("assertion without saml:Subject")
	}
	nid := sub.Child(NSAssertion, "NameID")
	if nid == nil {
		return nil, errors.New("assertion without saml:NameID")
	}
	// The NameID is not used (the PersonIdentifier attribute is the
	// identifier), but it is read as strictly as the attributes.
	if _, err := a.text(nid); err != nil {
		return nil, fmt.Errorf("NameID: %w", err)
	}
	var bearer *xmltree.Element
	for _, sc := range sub.ChildrenNamed(NSAssertion, "SubjectConfirmation") {
		if sc.SelectAttr("", "Method") == "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
			bearer = sc.Child(NSAssertion, "SubjectConfirmationData")
		}
	}
	if bearer == nil {
		return nil, errors.New("assertion without a bearer SubjectConfirmationData")
	}
	if !a.checks.off(checkRecipient) && bearer.SelectAttr("", "Recipient") != a.acsURL {
		return nil, fmt.Errorf("SubjectConfirmationData Recipient %q is not our %q", bearer.SelectAttr("", "Recipient"), a.acsURL)
	}
	if !a.checks.off(checkInResponseTo) && bearer.SelectAttr("", "InResponseTo") != v.login.requestID {
		return nil, fmt.Errorf("SubjectConfirmationData InResponseTo %q is not the request of this login", bearer.SelectAttr("", "InResponseTo"))
	}
	noa, err := parseTime(bearer, "NotOnOrAfter", true)
	if err != nil {
		return nil, fmt.Errorf("SubjectConfirmationData: %w", err)
	}
	if !a.checks.off(checkTime) && !v.now.Add(-skew).Before(noa) {
		return nil, fmt.Errorf("the assertion expired at %s", noa.Format(time.RFC3339))
	}
	expires := noa
	// Conditions: the validity window and our audience.
	cond := as.Child(NSAssertion, "Conditions")
	if cond == nil {
		return nil, errors.New("assertion without saml:Conditions")
	}
	nb, err := parseTime(cond, "NotBefore", false)
	if err != nil {
		return nil, fmt.Errorf("saml:Conditions: %w", err)
	}
	cnoa, err := parseTime(cond, "NotOnOrAfter", false)
	if err != nil {
		return nil, fmt.Errorf("saml:Conditions: %w", err)
	}
	if !a.checks.off(checkTime) {
		if !nb.IsZero() && v.now.Add(skew).Before(nb) {
			return nil, fmt.Errorf("the assertion is not valid before %s", nb.Format(time.RFC3339))
		}
		if !cnoa.IsZero() && !v.now.Add(-skew).Before(cnoa) {
			return nil, fmt.Errorf("the assertion expired at %s", cnoa.Format(time.RFC3339))
		}
	}
	if !cnoa.IsZero() && cnoa.Before(expires) {
		expires = cnoa
	}
	if !a.checks.off(checkAudience) {
		ok := false
		for _, ar := range cond.ChildrenNamed(NSAssertion, "AudienceRestriction") {
			ok = false
			for _, au := range ar.ChildrenNamed(NSAssertion, "Audience") {
				if t, err := a.text(au); err == nil && t == a.cfg.EntityID {
					ok = true
				}
			}
			if !ok {
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("the assertion is not for us (audience %q)", a.cfg.EntityID)
		}
	}
	// The level of assurance (eIDAS SAML Message Format §3.2:
	// AuthnContextClassRef).
	st := as.Child(NSAssertion, "AuthnStatement")
	if st == nil {
		return nil, errors.New("assertion without saml:AuthnStatement")
	}
	var loa eid.LoA
	if ac := st.Child(NSAssertion, "AuthnContext"); ac != nil {
		if ref := ac.Child(NSAssertion, "AuthnContextClassRef"); ref != nil {
			t, err := a.text(ref)
			if err != nil {
				return nil, fmt.Errorf("AuthnContextClassRef: %w", err)
			}
			loa = eid.LoA(t)
		}
	}
	if !a.checks.off(checkLoA) && (loa.Code() == "" || !loa.AtLeast(v.node.minLoA())) {
		return nil, fmt.Errorf("%w: %q, %s asked", eid.ErrLoA, loa, v.node.minLoA().Code())
	}
	authTime := v.now
	if t, err := parseTime(st, "AuthnInstant", false); err == nil && !t.IsZero() {
		authTime = t
	}
	attrs, err := a.attributes(as)
	if err != nil {
		return nil, err
	}
	np, lp, err := subject(attrs, v.login.country)
	if err != nil {
		return nil, err
	}
	// SAML 2.0 Profiles §4.1.4.5: each assertion is used once, recorded
	// until it expires.
	if !a.checks.off(checkReplay) {
		if err := a.cfg.Replay.Use(ctx, v.node.EntityID+" "+id, expires.Add(skew)); err != nil {
			return nil, fmt.Errorf("assertion %s: %w", id, err)
		}
	}
	return &eid.Subject{Person: np, Company: lp, LoA: loa, Issuer: v.node.EntityID, Country: v.login.country, AuthTime: authTime}, nil
}

// parseTime reads an xs:dateTime attribute; required says whether it must
// be there.
func parseTime(e *xmltree.Element, attr string, required bool) (time.Time, error) {
	s, ok := e.AttrValue("", attr)
	if !ok {
		if required {
			return time.Time{}, fmt.Errorf("no %s", attr)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an xs:dateTime", attr, s)
	}
	return t, nil
}

package wssec

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"time"

	"github.com/oots-go/oots/internal/spill"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// algorithms of a profile (eDelivery AS4 1.15 §"Message Signing" and
// §"Message Encryption"; eDelivery AS4 2.0 common usage profile).
type algorithms struct {
	signature xmldsig.SignatureMethod
	keyMethod xmlenc.Algorithm // RSAOAEP or KWAES128
}

func (p Profile) algorithms() (algorithms, error) {
	switch p {
	case AS4v115:
		return algorithms{xmldsig.RSASHA256, xmlenc.RSAOAEP}, nil
	case AS4v20:
		return algorithms{xmldsig.Ed25519, xmlenc.KWAES128}, nil
	}
	return algorithms{}, fmt.Errorf("unknown security profile %q (%q or %q)", p, AS4v115, AS4v20)
}

// Validate reports a misconfiguration, naming the field.
func (c *SignConfig) Validate() error {
	if c == nil {
		return errors.New("wssec: no SignConfig")
	}
	alg, err := c.Profile.algorithms()
	if err != nil {
		return fmt.Errorf("wssec: Profile: %w", err)
	}
	if c.SigningKey == nil || c.SigningCert == nil {
		return errors.New("wssec: SigningKey and SigningCert are required")
	}
	switch alg.signature {
	case xmldsig.RSASHA256:
		k, ok := c.SigningKey.Public().(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("wssec: SigningKey: %T, profile %s signs with RSA", c.SigningKey.Public(), c.Profile)
		}
		if !k.Equal(c.SigningCert.PublicKey) {
			return errors.New("wssec: SigningCert does not hold the public key of SigningKey")
		}
	case xmldsig.Ed25519:
		k, ok := c.SigningKey.Public().(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("wssec: SigningKey: %T, profile %s signs with Ed25519", c.SigningKey.Public(), c.Profile)
		}
		if !k.Equal(c.SigningCert.PublicKey) {
			return errors.New("wssec: SigningCert does not hold the public key of SigningKey")
		}
	}
	if c.RecipientCert != nil {
		if _, err := recipientKey(c.RecipientCert, alg); err != nil {
			return fmt.Errorf("wssec: RecipientCert: %w", err)
		}
	}
	if err := c.Timestamp.Validate(); err != nil {
		return fmt.Errorf("wssec: Timestamp: %w", err)
	}
	if err := c.SignatureKeyRef.Validate(); err != nil {
		return fmt.Errorf("wssec: SignatureKeyRef: %w", err)
	}
	if err := c.EncryptionKeyRef.Validate(); err != nil {
		return fmt.Errorf("wssec: EncryptionKeyRef: %w", err)
	}
	return nil
}

func recipientKey(c *x509.Certificate, alg algorithms) (any, error) {
	k, err := xmlenc.CertificateKey(c)
	if err != nil {
		return nil, err
	}
	switch alg.keyMethod {
	case xmlenc.RSAOAEP:
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
	case xmlenc.KWAES128:
		if xk, ok := k.(*ecdh.PublicKey); ok && xk.Curve() == ecdh.X25519() {
			return xk, nil
		}
	}
	return nil, fmt.Errorf("key %T does not fit %s", k, alg.keyMethod)
}

func (c *SignConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Secure adds the wsse:Security header to env (a SOAP 1.2 envelope whose
// eb:Messaging and Body carry wsu:Id attributes, or Secure adds them), signs
// eb:Messaging, the Body, the Timestamp (when cfg.Timestamp sends one) and
// every part, then encrypts every
// part when cfg.RecipientCert is set. It returns the parts to send: encrypted
// ones are new parts backed by files in cfg.TempDir with Content-Type
// application/octet-stream (call their Remove when sent); unencrypted ones
// are the parts given.
//
// The steps follow WS-Security 1.1.1 §8 and the SwA profile §5: digest each
// attachment's content, sign (ds:Signature with a SecurityTokenReference to
// the BinarySecurityToken), then encrypt each attachment with a fresh
// AES-128-GCM content key transported (RSA-OAEP) or agreed (X25519) for the
// recipient.
//
// On error no temporary file is left behind and env has no Security header.
func Secure(env *xmltree.Document, parts []Part, cfg *SignConfig) ([]Part, error) {
	return secure(env, parts, cfg)
}

func secure(env *xmltree.Document, parts []Part, cfg *SignConfig) (_ []Part, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	alg, _ := cfg.Profile.algorithms()
	rnd := defaultRand(cfg.Rand)
	ev, err := locate(env)
	if err != nil {
		return nil, fmt.Errorf("wssec: %w", err)
	}
	if len(ev.header.ChildrenNamed(NamespaceWSSE, "Security")) != 0 {
		return nil, errors.New("wssec: the envelope already has a wsse:Security header")
	}
	soapPrefix := ev.root.Prefix
	if soapPrefix == "" {
		soapPrefix = "S12"
	}

	// 1. wsu:Id on what is signed.
	msgID, err := wsuID(ev.messaging, rnd, "_")
	if err != nil {
		return nil, err
	}
	bodyID, err := wsuID(ev.body, rnd, "_")
	if err != nil {
		return nil, err
	}

	sec := ev.header.AddElement(NamespaceWSSE, "wsse", "Security")
	defer func() {
		if err != nil {
			ev.header.RemoveChild(sec)
		}
	}()
	sec.DeclareNS("wsse", NamespaceWSSE)
	sec.DeclareNS("wsu", NamespaceWSU)
	sec.SetAttr(NamespaceSOAP12, soapPrefix, "mustUnderstand", "true")

	// 2. Timestamp (WSS 1.1.1 §10), when the policy has one.
	now := cfg.now().UTC()
	var ts *xmltree.Element
	var tsID string
	if cfg.Timestamp.sent() {
		ts = sec.AddElement(NamespaceWSU, "wsu", "Timestamp")
		if tsID, err = newID(rnd, "TS-"); err != nil {
			return nil, err
		}
		ts.SetAttr(NamespaceWSU, "wsu", "Id", tsID)
		ts.AddElement(NamespaceWSU, "wsu", "Created").SetText(now.Format("2006-01-02T15:04:05.000Z"))
		ttl := cfg.TimestampTTL
		if ttl == 0 {
			ttl = 5 * time.Minute
		}
		if ttl > 0 {
			ts.AddElement(NamespaceWSU, "wsu", "Expires").SetText(now.Add(ttl).Format("2006-01-02T15:04:05.000Z"))
		}
	}

	// 3. The signing certificate: a BinarySecurityToken (X.509 Token
	// Profile §3.1), or a reference the receiver resolves.
	sigRef := cfg.SignatureKeyRef
	if sigRef == "" {
		sigRef = KeyRefBST
	}
	str, bst, err := tokenReference(cfg.SigningCert, sigRef, rnd)
	if err != nil {
		return nil, err
	}

	// 4. References: eb:Messaging, Body, Timestamp, then every part.
	var refs []xmldsig.Reference
	signedEls := []struct {
		id string
		el *xmltree.Element
	}{{msgID, ev.messaging}, {bodyID, ev.body}}
	if ts != nil {
		signedEls = append(signedEls, struct {
			id string
			el *xmltree.Element
		}{tsID, ts})
	}
	for _, t := range signedEls {
		r := xmldsig.Reference{URI: "#" + t.id, Transforms: []xmldsig.Transform{xmldsig.ExcC14N}, DigestMethod: xmldsig.SHA256}
		if r.DigestValue, err = xmldsig.DigestElement(t.el, &r); err != nil {
			return nil, fmt.Errorf("wssec: %w", err)
		}
		refs = append(refs, r)
	}
	seen := map[string]bool{}
	for i := range parts {
		p := &parts[i]
		if p.ContentID == "" || p.Open == nil {
			return nil, fmt.Errorf("wssec: part %d has no Content-ID or no content", i+1)
		}
		if seen[p.ContentID] {
			return nil, fmt.Errorf("wssec: two parts with Content-ID %q", p.ContentID)
		}
		seen[p.ContentID] = true
		r := xmldsig.Reference{URI: "cid:" + p.ContentID, Transforms: []xmldsig.Transform{xmldsig.AttachmentContent}, DigestMethod: xmldsig.SHA256}
		rc, err := p.Open()
		if err != nil {
			return nil, fmt.Errorf("wssec: part %s: %w", p.ContentID, err)
		}
		r.DigestValue, err = xmldsig.DigestContent(p.Header.Get("Content-Type"), rc, &r)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("wssec: %w", err)
		}
		refs = append(refs, r)
	}

	// 5. Encrypt the parts (sign then encrypt: the digests above are of the
	// plaintext), SwA profile §5.3.
	out := parts
	if cfg.RecipientCert != nil {
		var ek *xmltree.Element
		var eds []*xmltree.Element
		var rbst *xmltree.Element
		out, rbst, ek, eds, err = encryptParts(parts, cfg, alg, rnd)
		if err != nil {
			return nil, err
		}
		if rbst != nil {
			sec.AddChild(rbst)
		}
		sec.AddChild(ek)
		for _, ed := range eds {
			sec.AddChild(ed)
		}
	}

	// 6. Signature, with the SecurityTokenReference of step 3 (X.509 Token
	// Profile §3.2), after the signing certificate's BinarySecurityToken:
	// the order Domibus and WSS4J write (recipient token, EncryptedKey,
	// EncryptedData, signing token, Signature), every token before its use.
	if bst != nil {
		sec.AddChild(bst)
	}
	signer := &xmldsig.Signer{Key: cfg.SigningKey, Method: alg.signature, KeyInfo: []*xmltree.Element{str}, Rand: rnd}
	sig, err := signer.Sign(refs)
	if err != nil {
		removeAll(out, parts)
		return nil, fmt.Errorf("wssec: %w", err)
	}
	sec.AddChild(sig)
	return out, nil
}

func removeAll(out, in []Part) {
	for i := range out {
		if out[i].Remove != nil && (i >= len(in) || in[i].Remove == nil) {
			out[i].Remove()
		}
	}
}

// encryptParts encrypts every part under one content key and returns the
// encrypted parts, the BinarySecurityToken of the recipient's certificate
// (EncryptionKeyRef bst; else nil), the EncryptedKey and the EncryptedData
// elements.
func encryptParts(parts []Part, cfg *SignConfig, alg algorithms, rnd io.Reader) ([]Part, *xmltree.Element, *xmltree.Element, []*xmltree.Element, error) {
	pub, _ := recipientKey(cfg.RecipientCert, alg)
	cek, err := xmlenc.NewKey(rnd)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ref := cfg.EncryptionKeyRef
	if ref == "" {
		ref = KeyRefIssuerSerial
	}
	str, bst, err := tokenReference(cfg.RecipientCert, ref, rnd)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var ek *xmlenc.EncryptedKey
	switch k := pub.(type) {
	case *rsa.PublicKey:
		ek, err = xmlenc.EncryptKeyRSA(rnd, k, cek)
		if err == nil {
			ek.KeyInfo = []*xmltree.Element{str}
		}
	case *ecdh.PublicKey:
		ek, err = xmlenc.EncryptKeyX25519(rnd, k, cek)
		if err == nil {
			ek.Agreement.RecipientKeyInfo = []*xmltree.Element{str}
		}
	}
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("wssec: %w", err)
	}
	if ek.ID, err = newID(rnd, "EK-"); err != nil {
		return nil, nil, nil, nil, err
	}
	out := make([]Part, 0, len(parts))
	var eds []*xmltree.Element
	fail := func(err error) ([]Part, *xmltree.Element, *xmltree.Element, []*xmltree.Element, error) {
		removeAll(out, nil)
		return nil, nil, nil, nil, err
	}
	for _, p := range parts {
		edID, err := newID(rnd, "ED-")
		if err != nil {
			return fail(err)
		}
		iv := make([]byte, xmlenc.GCMNonceSize)
		if _, err := io.ReadFull(rnd, iv); err != nil {
			return fail(err)
		}
		sp := &spill.Writer{Dir: cfg.TempDir, Pattern: "oots-enc-*"}
		rc, err := p.Open()
		if err == nil {
			_, err = xmlenc.EncryptGCM(sp, rc, cek, iv)
			rc.Close()
		}
		var open func() (io.ReadCloser, error)
		var remove func() error
		if err == nil {
			open, remove, err = sp.Finish()
		} else {
			sp.Discard()
		}
		if err != nil {
			return fail(fmt.Errorf("wssec: encrypting part %s: %w", p.ContentID, err))
		}
		h := textproto.MIMEHeader{}
		for k, v := range p.Header {
			h[k] = append([]string(nil), v...)
		}
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-ID", "<"+p.ContentID+">")
		out = append(out, Part{
			ContentID: p.ContentID, Header: h,
			Open: open, Remove: remove,
		})
		ekRef := xmltree.NewElement(NamespaceWSSE, "wsse", "SecurityTokenReference")
		ekRef.SetAttr(NamespaceWSSE11, "wsse11", "TokenType", TokenTypeEncryptedKey)
		ekRef.AddElement(NamespaceWSSE, "wsse", "Reference").SetAttr("", "", "URI", "#"+ek.ID)
		ed := &xmlenc.EncryptedData{
			ID: edID, Type: xmlenc.TypeAttachmentContentOnly, MimeType: p.Header.Get("Content-Type"),
			Method: xmlenc.AES128GCM, CipherReference: "cid:" + p.ContentID, KeyInfo: []*xmltree.Element{ekRef},
		}
		eds = append(eds, ed.Element())
		ek.DataReferences = append(ek.DataReferences, "#"+edID)
	}
	eke, err := ek.Element()
	if err != nil {
		return fail(fmt.Errorf("wssec: %w", err))
	}
	return out, bst, eke, eds, nil
}

// SignSignal signs a signal message (Receipt or Error): a Security header with
// BinarySecurityToken (or the SignatureKeyRef form), a Timestamp when the
// policy has one, and a signature over eb:Messaging, the Body and the
// Timestamp; no attachments, no encryption (cfg.RecipientCert is ignored).
func SignSignal(env *xmltree.Document, cfg *SignConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	c := *cfg
	c.RecipientCert = nil
	_, err := Secure(env, nil, &c)
	return err
}

package wssec

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/internal/spill"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

func failAuth(detail string, err error) *Error {
	return &Error{Code: CodeFailedAuthentication, Detail: detail, Err: err}
}
func failDecrypt(detail string, err error) *Error {
	return &Error{Code: CodeFailedDecryption, Detail: detail, Err: err}
}
func failPolicy(detail string, err error) *Error {
	return &Error{Code: CodePolicyNoncompliance, Detail: detail, Err: err}
}

// Validate reports a misconfiguration, naming the field.
func (c *VerifyConfig) Validate() error {
	if c == nil {
		return errors.New("wssec: no VerifyConfig")
	}
	alg, err := c.Profile.algorithms()
	if err != nil {
		return fmt.Errorf("wssec: Profile: %w", err)
	}
	if c.RequireSignature && c.Trust == nil {
		return errors.New("wssec: Trust is required when RequireSignature is set")
	}
	if c.NextDecryptionKey != nil && c.DecryptionKey == nil {
		return errors.New("wssec: NextDecryptionKey is set without DecryptionKey")
	}
	for _, k := range []struct {
		field string
		key   crypto.PrivateKey
	}{{"DecryptionKey", c.DecryptionKey}, {"NextDecryptionKey", c.NextDecryptionKey}} {
		if k.key == nil {
			continue
		}
		switch alg.keyMethod {
		case xmlenc.RSAOAEP:
			if d, ok := k.key.(crypto.Decrypter); !ok || !isRSA(d.Public()) {
				return fmt.Errorf("wssec: %s: %T, profile %s needs an RSA key (*rsa.PrivateKey or a crypto.Decrypter)", k.field, k.key, c.Profile)
			}
		case xmlenc.KWAES128:
			if x, ok := k.key.(xmlenc.KeyAgreer); !ok || !isX25519(x.Public()) {
				return fmt.Errorf("wssec: %s: %T, profile %s needs an X25519 key (*ecdh.PrivateKey or an xmlenc.KeyAgreer)", k.field, k.key, c.Profile)
			}
		}
	}
	if c.DecryptionKey == nil && c.RequireEncryption {
		return errors.New("wssec: DecryptionKey is required when RequireEncryption is set")
	}
	if err := c.Timestamp.Validate(); err != nil {
		return fmt.Errorf("wssec: Timestamp: %w", err)
	}
	return nil
}

// knownCertificates are the certificates a KeyInfo may name by issuer and
// serial or subject key identifier: Certificates, then the trust store's
// (a trust store of partners' certificates, as Domibus's truststore, holds
// them as anchors).
func (c *VerifyConfig) knownCertificates() []*x509.Certificate {
	out := slices.Clip(c.Certificates)
	if c.Trust != nil {
		out = append(out, c.Trust.Anchors()...)
	}
	return out
}

func (c *VerifyConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Process verifies, then decrypts, the WS-Security header of env and its
// parts under cfg's policy, and returns only what was verified.
//
// The steps (WS-Security 1.1.1 §8-9, SwA profile §5, eDelivery AS4 profile):
//
//  1. structure: one Envelope/Header/Body, one eb:Messaging (a Header
//     child), one wsse:Security, one ds:Signature (in it), no duplicate Ids;
//  2. signature: algorithms of the profile only; the key from the
//     BinarySecurityToken the KeyInfo names, validated against cfg.Trust;
//     the SignatureValue;
//  3. references: eb:Messaging, the Body and the Timestamp (when present;
//     required only by TimestampRequired) must be signed (by Id, at their
//     place), every part by cid:, nothing else; a cid: URI (a reference's,
//     and an EncryptedData's CipherReference) names the part whose
//     Content-ID is its content-id as written or, when no part has that
//     one, percent-decoded, its scheme in any case ("CID:") (RFC 2392;
//     swa.ResolveCID);
//  4. Timestamp: Created not in the future, Expires not past (with
//     MaxClockSkew);
//  5. decryption of every encrypted part (AES-128-GCM, tag verified before
//     any plaintext is returned), then the attachment digests.
//
// Failures are *Error with the ebMS3 code: EBMS:0101 for a signature, key,
// certificate, timestamp or wrapping failure; EBMS:0102 when a part cannot
// be decrypted; EBMS:0103 when the message does not meet the policy (missing
// signature or encryption, an algorithm the profile does not use, unsigned
// parts). Parts given to Process must give the same bytes on every Open.
//
// A message without wsse:Security is accepted only when cfg requires neither
// signature nor encryption; its Result then holds the message as received,
// unverified, with no SignerCert.
//
// The elements of a Result are those of env, detached (xmltree's Detach):
// after Process succeeds, env no longer holds them, and they lead nowhere
// else in the message.
func Process(env *xmltree.Document, parts []Part, cfg *VerifyConfig) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &processing{cfg: cfg, parts: parts}
	p.alg, _ = cfg.Profile.algorithms()
	if res, err := p.structure(env); res != nil || err != nil {
		return res, err
	}
	if err := p.signature(); err != nil {
		return nil, err
	}
	if err := p.references(); err != nil {
		return nil, err
	}
	if p.ts != nil {
		if err := checkTimestamp(p.ts, p.now, cfg.MaxClockSkew); err != nil {
			return nil, err
		}
	}
	return p.decrypt()
}

// processing is what the steps of one Process find, for the steps after
// them.
type processing struct {
	cfg   *VerifyConfig
	alg   algorithms
	parts []Part

	// 1. structure
	ev    *envelope
	sec   *xmltree.Element              // the wsse:Security header
	ids   map[string][]*xmltree.Element // the envelope's elements by Id
	sigEl *xmltree.Element              // the ds:Signature
	// 2. signature
	sig  *xmldsig.Signature
	cert *x509.Certificate // the signer's, validated
	now  time.Time
	// 3. references
	ts       *xmltree.Element              // the signed wsu:Timestamp, if any
	cidRefs  map[string]*xmldsig.Reference // the cid: references by the Content-ID of the part each names
	cidOrder []string                      // those Content-IDs in signature order
	byCID    map[string]*Part              // the parts by Content-ID, each signed
}

// structure is step 1. A message without wsse:Security that the policy
// lets through is returned as it is (a Result and no error); otherwise
// structure finds the header and its one signature.
func (p *processing) structure(env *xmltree.Document) (*Result, error) {
	ev, err := locate(env)
	if err != nil {
		return nil, failAuth("message structure", err)
	}
	p.ev = ev
	secs := ev.header.ChildrenNamed(NamespaceWSSE, "Security")
	sv := surveyOf(env.Root)
	if sv.securities != len(secs) || len(secs) > 1 {
		return nil, failAuth("more than one wsse:Security header, or one outside the SOAP Header", nil)
	}
	if len(secs) == 0 {
		if p.cfg.RequireSignature || p.cfg.RequireEncryption {
			return nil, failPolicy("the message has no wsse:Security header", nil)
		}
		return &Result{Messaging: detach(ev.messaging), Body: detach(ev.body), Parts: p.parts}, nil
	}
	p.sec, p.ids = secs[0], sv.ids
	for id, els := range p.ids {
		if len(els) > 1 {
			return nil, failAuth(fmt.Sprintf("the Id %q is carried by %d elements", id, len(els)), nil)
		}
	}
	sigEls := p.sec.ChildrenNamed(xmldsig.Namespace, "Signature")
	if sv.signatures > 1 {
		return nil, failAuth(fmt.Sprintf("%d ds:Signature elements (at most one)", sv.signatures), nil)
	}
	if sv.signatures != len(sigEls) {
		return nil, failAuth("the ds:Signature is not a child of wsse:Security", nil)
	}
	if len(sigEls) == 0 {
		if p.cfg.RequireSignature {
			return nil, failPolicy("the message is not signed", nil)
		}
		return nil, failPolicy("a wsse:Security header without signature is not supported", nil)
	}
	if p.cfg.Trust == nil {
		return nil, failAuth("no trust store configured to validate the signer", nil)
	}
	p.sigEl = sigEls[0]
	return nil, nil
}

// signature is step 2: the profile's algorithms, the signer's certificate
// validated, the SignatureValue.
func (p *processing) signature() error {
	pol := &xmldsig.Policy{
		SignatureMethods: []xmldsig.SignatureMethod{p.alg.signature},
		DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
		Transforms:       []xmldsig.Transform{xmldsig.ExcC14N, xmldsig.AttachmentContent},
	}
	sig, err := xmldsig.Parse(p.sigEl, pol)
	if err != nil {
		if errors.Is(err, xmldsig.ErrAlgorithm) {
			return failPolicy("signature algorithms", err)
		}
		return failAuth("signature structure", err)
	}
	p.sig, p.now = sig, p.cfg.now()
	cert, err := signerCert(sig, p.sec, p.ids, p.cfg.knownCertificates)
	if err != nil {
		return err
	}
	if err := keyFits(cert.PublicKey, p.alg); err != nil {
		return failPolicy("signing certificate", err)
	}
	if _, err := p.cfg.Trust.Verify(cert, trust.Signing, p.now); err != nil {
		return failAuth("signing certificate", err)
	}
	if err := sig.VerifySignedInfo(cert.PublicKey); err != nil {
		return failAuth("signature value", err)
	}
	p.cert = cert
	return nil
}

// references is step 3: exactly the Messaging, the Body and the Timestamp
// signed by Id (each digest checked), and every part, and nothing else, by
// cid: (the digests are checked in step 5, where the parts are read).
func (p *processing) references() error {
	tss := p.sec.ChildrenNamed(NamespaceWSU, "Timestamp")
	if len(tss) > 1 {
		return failPolicy(fmt.Sprintf("%d wsu:Timestamp in wsse:Security (at most one)", len(tss)), nil)
	}
	if len(tss) == 0 && p.cfg.Timestamp == TimestampRequired {
		return failPolicy("no wsu:Timestamp in wsse:Security, and the policy requires one", nil)
	}
	want := map[*xmltree.Element]string{p.ev.messaging: "eb:Messaging", p.ev.body: "the SOAP Body"}
	if len(tss) == 1 {
		p.ts = tss[0]
		want[p.ts] = "the Timestamp"
	}
	signed := map[*xmltree.Element]bool{}
	var cids []*xmldsig.Reference
	for i := range p.sig.References {
		r := &p.sig.References[i]
		switch {
		case strings.HasPrefix(r.URI, "#"):
			els := p.ids[r.URI[1:]]
			if len(els) != 1 {
				return failAuth("reference "+r.URI+" does not name exactly one element", nil)
			}
			el := els[0]
			if _, ok := want[el]; !ok {
				return failPolicy("reference "+r.URI+" names "+el.Path()+", which the profile does not sign", nil)
			}
			if signed[el] {
				return failAuth("two references to "+r.URI, nil)
			}
			d, err := xmldsig.DigestElement(el, r)
			if err != nil {
				return failPolicy("reference "+r.URI, err)
			}
			if err := r.CheckDigest(d); err != nil {
				return failAuth("reference "+r.URI, err)
			}
			signed[el] = true
		case isCID(r.URI):
			cids = append(cids, r)
		default:
			return failPolicy("reference "+r.URI+" is neither #id nor cid:", nil)
		}
	}
	for el, what := range want {
		if !signed[el] {
			return failPolicy(what+" is not signed", nil)
		}
	}
	p.byCID = map[string]*Part{}
	for i := range p.parts {
		part := &p.parts[i]
		if part.Open == nil {
			return fmt.Errorf("wssec: part %q has no content (Open is nil)", part.ContentID)
		}
		if p.byCID[part.ContentID] != nil {
			return failAuth("two parts with Content-ID "+part.ContentID, nil)
		}
		p.byCID[part.ContentID] = part
	}
	// A cid: reference names the part with its content-id as written, or
	// else percent-decoded (RFC 2392; swa.ResolveCID).
	p.cidRefs = map[string]*xmldsig.Reference{}
	var missing string
	for _, r := range cids {
		id, err := swa.ResolveCID(r.URI, func(id string) bool { return p.byCID[id] != nil })
		if err != nil {
			return failAuth("ds:Reference "+err.Error(), nil)
		}
		if id == "" {
			if missing == "" {
				missing = r.URI
			}
			continue
		}
		if prev := p.cidRefs[id]; prev != nil {
			if prev.URI == r.URI {
				return failAuth("two references to "+r.URI, nil)
			}
			return failAuth("two references to the part "+id+": "+prev.URI+" and "+r.URI, nil)
		}
		p.cidRefs[id] = r
		p.cidOrder = append(p.cidOrder, id)
	}
	for _, part := range p.parts {
		if p.cidRefs[part.ContentID] == nil {
			return failPolicy("part "+part.ContentID+" is not signed", nil)
		}
	}
	if missing != "" {
		return failAuth("signed part "+missing+" is missing from the message", nil)
	}
	return nil
}

// isCID reports whether u is a cid: URL, its scheme in any case (RFC 3986
// §3.1).
func isCID(u string) bool {
	_, ok := swa.CutCID(u)
	return ok
}

// decrypt is step 5: each encrypted part decrypted (its tag verified before
// any plaintext is returned), then every part's digest checked; the Result
// holds what was verified, detached from the envelope.
func (p *processing) decrypt() (*Result, error) {
	res := &Result{SignerCert: p.cert}
	for _, r := range p.sig.References {
		ref := Reference{URI: r.URI, DigestMethod: string(r.DigestMethod), DigestValue: r.DigestValue}
		for _, t := range r.Transforms {
			ref.Transforms = append(ref.Transforms, string(t))
		}
		res.SignedInfoReferences = append(res.SignedInfoReferences, ref)
	}
	encrypted, err := decryptionPlan(p.sec, p.ids, p.byCID, p.cfg, p.alg)
	if err != nil {
		return nil, err
	}
	if p.cfg.RequireEncryption {
		for _, part := range p.parts {
			if encrypted[part.ContentID] == nil {
				return nil, failPolicy("part "+part.ContentID+" is not encrypted", nil)
			}
		}
	}
	ok := false
	defer func() {
		if !ok {
			res.Close()
		}
	}()
	for _, id := range p.cidOrder {
		part, ref := p.byCID[id], p.cidRefs[id]
		var out Part
		var digest []byte
		if e := encrypted[id]; e != nil {
			cd, err := xmldsig.NewContentDigest(e.data.MimeType, ref)
			if err != nil {
				return nil, failPolicy("reference "+ref.URI, err)
			}
			out, err = decryptPart(part, e, p.cfg.TempDir, cd)
			if err != nil {
				return nil, err
			}
			name := out.Remove
			res.cleanup = append(res.cleanup, func() { name() })
			if digest, err = cd.Sum(); err != nil {
				return nil, failAuth("attachment "+id, err)
			}
		} else {
			rc, err := part.Open()
			if err != nil {
				return nil, failAuth("reading part "+id, err)
			}
			digest, err = xmldsig.DigestContent(part.Header.Get("Content-Type"), rc, ref)
			rc.Close()
			if errors.Is(err, xmldsig.ErrAlgorithm) {
				return nil, failPolicy("reference "+ref.URI, err)
			} else if err != nil {
				return nil, failAuth("attachment "+id, err)
			}
			out = *part
		}
		if err := ref.CheckDigest(digest); err != nil {
			return nil, failAuth("attachment "+id, err)
		}
		res.Parts = append(res.Parts, out)
	}
	res.Messaging, res.Body, res.Signature = detach(p.ev.messaging), detach(p.ev.body), detach(p.sig.Element)
	ok = true
	return res, nil
}

// detach takes e out of the envelope for a Result, keeping the namespaces
// it inherits: what was verified, without a way up to the rest of the
// message.
func detach(e *xmltree.Element) *xmltree.Element {
	e.Detach()
	return e
}

func keyFits(pub crypto.PublicKey, alg algorithms) error {
	switch alg.signature {
	case xmldsig.RSASHA256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("key %T, the profile signs with RSA", pub)
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits (2048 at least)", k.N.BitLen())
		}
	case xmldsig.Ed25519:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return fmt.Errorf("key %T, the profile signs with Ed25519", pub)
		}
	}
	return nil
}

// signerCert follows ds:KeyInfo/wsse:SecurityTokenReference to the signing
// certificate: a BinarySecurityToken of the same Security header, or one of
// the known certificates named by issuer and serial or by subject key
// identifier.
func signerCert(sig *xmldsig.Signature, sec *xmltree.Element, ids map[string][]*xmltree.Element, known func() []*x509.Certificate) (*x509.Certificate, error) {
	if sig.KeyInfo == nil {
		return nil, failAuth("the signature has no KeyInfo", nil)
	}
	kis := sig.KeyInfo.Elements()
	if len(kis) != 1 || !kis[0].Is(NamespaceWSSE, "SecurityTokenReference") {
		return nil, failAuth("the signature's KeyInfo must be one wsse:SecurityTokenReference", nil)
	}
	cert, _, err := resolveTokenReference(kis[0], sec, ids, known)
	return cert, err
}

func parseTime(e *xmltree.Element) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(e.Text()))
}

func checkTimestamp(ts *xmltree.Element, now time.Time, skew time.Duration) error {
	if skew == 0 {
		skew = 2 * time.Minute
	}
	cs := ts.ChildrenNamed(NamespaceWSU, "Created")
	es := ts.ChildrenNamed(NamespaceWSU, "Expires")
	if len(cs) != 1 || len(es) > 1 {
		return failAuth("the Timestamp needs one Created and at most one Expires", nil)
	}
	created, err := parseTime(cs[0])
	if err != nil {
		return failAuth("Timestamp/Created", err)
	}
	if created.After(now.Add(skew)) {
		return failAuth("Timestamp/Created "+created.UTC().Format(time.RFC3339)+" is in the future", nil)
	}
	if len(es) == 1 {
		expires, err := parseTime(es[0])
		if err != nil {
			return failAuth("Timestamp/Expires", err)
		}
		if now.Add(-skew).After(expires) {
			return failAuth("the message expired at "+expires.UTC().Format(time.RFC3339)+" (replayed or delayed)", nil)
		}
	}
	return nil
}

type encryptedPart struct {
	data *xmlenc.EncryptedData
	key  []byte
}

// decryptionPlan parses the EncryptedKey and EncryptedData elements of the
// header, recovers the content key and maps each encrypted Content-ID to it.
func decryptionPlan(sec *xmltree.Element, ids map[string][]*xmltree.Element, byCID map[string]*Part, cfg *VerifyConfig, alg algorithms) (map[string]*encryptedPart, error) {
	out := map[string]*encryptedPart{}
	eks := sec.ChildrenNamed(xmlenc.Namespace, "EncryptedKey")
	eds := sec.ChildrenNamed(xmlenc.Namespace, "EncryptedData")
	var total int
	sec.Root().Walk(func(x *xmltree.Element) bool {
		if x.Space == xmlenc.Namespace && (x.Local == "EncryptedKey" || x.Local == "EncryptedData") {
			total++
		}
		return true
	})
	if total != len(eks)+len(eds) {
		return nil, failPolicy("encrypted elements outside wsse:Security (only attachments are encrypted)", nil)
	}
	if len(eks) == 0 && len(eds) == 0 {
		return out, nil
	}
	if len(eks) != 1 {
		return nil, failPolicy(fmt.Sprintf("%d xenc:EncryptedKey (one required)", len(eks)), nil)
	}
	if cfg.DecryptionKey == nil {
		return nil, failDecrypt("the message is encrypted and no DecryptionKey is configured", nil)
	}
	ek, err := xmlenc.ParseEncryptedKey(eks[0], &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{alg.keyMethod}})
	if err != nil {
		if errors.Is(err, xmlenc.ErrAlgorithm) {
			return nil, failPolicy("key encryption algorithms", err)
		}
		return nil, failDecrypt("EncryptedKey", err)
	}
	cek, err := ek.Decrypt(cfg.DecryptionKey)
	if err != nil && cfg.NextDecryptionKey != nil {
		// A partner that already encrypts for our next certificate.
		var nerr error
		if cek, nerr = ek.Decrypt(cfg.NextDecryptionKey); nerr == nil {
			err = nil
		}
	}
	if err != nil {
		// Say which certificate the sender encrypted for, when it names
		// one that travels in the message and is not ours (a partner with
		// a stale copy of our certificate).
		if c := recipientToken(ek, sec, ids); c != nil && !samePublicKey(c, cfg.DecryptionKey) &&
			(cfg.NextDecryptionKey == nil || !samePublicKey(c, cfg.NextDecryptionKey)) {
			return nil, failDecrypt(fmt.Sprintf("the message is encrypted for the certificate %q (serial %s), not for this access point's key",
				c.Subject.String(), c.SerialNumber), err)
		}
		return nil, failDecrypt("content key", err)
	}
	listed := map[string]bool{}
	for _, u := range ek.DataReferences {
		listed[u] = true
	}
	for _, e := range eds {
		d, err := xmlenc.ParseEncryptedData(e)
		if err != nil {
			if errors.Is(err, xmlenc.ErrAlgorithm) {
				return nil, failPolicy("data encryption", err)
			}
			return nil, failDecrypt("EncryptedData", err)
		}
		if !listed["#"+d.ID] {
			return nil, failDecrypt("EncryptedData "+d.ID+" is not in the EncryptedKey's ReferenceList", nil)
		}
		id, err := swa.ResolveCID(d.CipherReference, func(id string) bool { return byCID[id] != nil })
		if err != nil {
			return nil, failDecrypt("EncryptedData "+d.ID+" CipherReference "+err.Error(), nil)
		}
		if id == "" {
			return nil, failDecrypt("EncryptedData "+d.ID+" names a missing part "+d.CipherReference, nil)
		}
		if out[id] != nil {
			return nil, failDecrypt("two EncryptedData for "+d.CipherReference, nil)
		}
		out[id] = &encryptedPart{data: d, key: cek}
	}
	return out, nil
}

// decryptPart decrypts p into a temporary file, feeding the plaintext to the
// attachment digest as it goes; the file is kept only when the GCM tag
// verifies.
func decryptPart(p *Part, e *encryptedPart, dir string, digest io.Writer) (Part, error) {
	rc, err := p.Open()
	if err != nil {
		return Part{}, failDecrypt("reading part "+p.ContentID, err)
	}
	defer rc.Close()
	sp := &spill.Writer{Dir: dir, Pattern: "oots-dec-*"}
	_, err = xmlenc.DecryptGCM(io.MultiWriter(sp, digest), rc, e.key)
	var open func() (io.ReadCloser, error)
	var remove func() error
	if err == nil {
		open, remove, err = sp.Finish()
	} else {
		sp.Discard()
	}
	if err != nil {
		return Part{}, failDecrypt("part "+p.ContentID, err)
	}
	hd := textproto.MIMEHeader{}
	for k, v := range p.Header {
		hd[k] = append([]string(nil), v...)
	}
	if e.data.MimeType != "" {
		hd.Set("Content-Type", e.data.MimeType)
	} else {
		hd.Del("Content-Type")
	}
	return Part{
		ContentID: p.ContentID, Header: hd,
		Open: open, Remove: remove,
	}, nil
}

// VerifySignal verifies a signed signal message (Receipt or Error); the
// Result has no Parts. The signature is required whatever cfg says.
func VerifySignal(env *xmltree.Document, cfg *VerifyConfig) (*Result, error) {
	if cfg == nil {
		return nil, errors.New("wssec: no VerifyConfig")
	}
	c := *cfg
	c.RequireSignature = true
	c.RequireEncryption = false
	return Process(env, nil, &c)
}

// recipientToken returns the certificate the EncryptedKey names by a direct
// reference to a BinarySecurityToken of the header (nil for other forms).
func recipientToken(ek *xmlenc.EncryptedKey, sec *xmltree.Element, ids map[string][]*xmltree.Element) *x509.Certificate {
	kis := ek.KeyInfo
	if ek.Agreement != nil {
		kis = ek.Agreement.RecipientKeyInfo
	}
	for _, k := range kis {
		if !k.Is(NamespaceWSSE, "SecurityTokenReference") {
			continue
		}
		if c, ref, err := resolveTokenReference(k, sec, ids, nil); err == nil && ref == KeyRefBST {
			return c
		}
	}
	return nil
}

// samePublicKey reports whether c holds the public half of key.
func samePublicKey(c *x509.Certificate, key crypto.PrivateKey) bool {
	type public interface{ Public() crypto.PublicKey }
	k, ok := key.(public)
	if !ok {
		return false
	}
	ck, err := xmlenc.CertificateKey(c)
	if err != nil {
		return false
	}
	type equal interface{ Equal(crypto.PublicKey) bool }
	e, ok := ck.(equal)
	return ok && e.Equal(k.Public())
}

func isRSA(k crypto.PublicKey) bool { _, ok := k.(*rsa.PublicKey); return ok }

func isX25519(k crypto.PublicKey) bool {
	p, ok := k.(*ecdh.PublicKey)
	return ok && p.Curve() == ecdh.X25519()
}

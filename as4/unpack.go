package as4

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// Receiver unpacks incoming AS4 messages. Its fields are the receiver's
// configuration.
type Receiver struct {
	PMode *pmode.Config
	// DecryptionKey is the receiver's *rsa.PrivateKey (1.15) or X25519
	// *ecdh.PrivateKey (2.0).
	DecryptionKey crypto.PrivateKey
	// NextDecryptionKey, when set, is also tried (the key of the next
	// certificate during a rollover, wssec.VerifyConfig.NextDecryptionKey).
	NextDecryptionKey crypto.PrivateKey
	// Trust validates the senders' signing certificates.
	Trust *trust.Store
	// PartyCertificates gives the certificates configured for a sending
	// party: the verified signer of a user message must be one of them,
	// or, when none is configured, carry the party's name or identifier as
	// its common name (CheckSigner). They also resolve signatures that name
	// their certificate by issuer and serial number or subject key
	// identifier. nil: every party is bound by name.
	PartyCertificates PartyCertificates
	// Bind, when set, replaces CheckSigner as the binding of a verified
	// signer to the eb:From party (a stricter policy: certificate policy
	// OIDs, a subject pattern). It returns an *Error to refuse.
	Bind func(from *pmode.Party, signer *x509.Certificate) error
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// MaxDecompressed bounds a decompressed payload on a leg without
	// payload.maxSize; default DefaultMaxDecompressed. MaxRatio bounds the
	// compression ratio of a payload past its first megabyte; default
	// DefaultMaxRatio; negative: not checked. Both fail the payload's
	// reads with EBMS:0303 DecompressionFailure.
	MaxDecompressed int64
	MaxRatio        int64
	// MaxClockSkew is the tolerance on the WS-Security Timestamp; default
	// that of wssec.
	MaxClockSkew time.Duration
	// TempDir holds spilled attachments and decrypted content.
	TempDir string
	// Limits bound the MIME package; nil takes the defaults of swa.
	Limits *swa.Limits
	// EnvelopeLimits bound the SOAP envelope of the package (size, depth,
	// elements, attributes); nil takes DefaultEnvelopeLimits().
	EnvelopeLimits *xmltree.Limits
	// Rand and Domain generate the MessageIds of receipts and errors;
	// defaults crypto/rand.Reader and "oots".
	Rand   io.Reader
	Domain string

	// SigningKey and SigningCert sign the receipts and errors Serve
	// answers with (receipts on legs with non-repudiation; errors always
	// when a key is set).
	SigningKey  crypto.Signer
	SigningCert *x509.Certificate
	// MaxBodySize bounds the HTTP body Serve reads; default
	// DefaultMaxBodySize.
	MaxBodySize int64
	// Reply, when set, sees every answer of Serve before it is written.
	Reply func(*Reply)
}

// Inbound is a received user message after verification: everything in it
// was verified (when the leg signs) and checked against the P-Mode.
type Inbound struct {
	// UserMessage is the verified header.
	UserMessage *UserMessage
	// Leg is the P-Mode leg the message was checked against.
	Leg *pmode.Leg
	// Payloads are the verified, decrypted payloads in eb:PayloadInfo order.
	// Open returns the decompressed content; a decompression failure
	// surfaces from Read as an *Error EBMS:0303 DecompressionFailure, and
	// content beyond the leg's payload.maxSize as EBMS:0303 (decompressed)
	// or EBMS:0010 (as received).
	Payloads []Payload
	// Security is the result of WS-Security processing; nil for a leg
	// without security. Its SignedInfoReferences feed the receipt.
	Security *wssec.Result

	msg *swa.Message
}

// Close removes the temporary files of the message.
func (in *Inbound) Close() error {
	if in == nil {
		return nil
	}
	if in.Security != nil {
		in.Security.Close()
	}
	if in.msg != nil {
		return in.msg.Close()
	}
	return nil
}

// Unpack runs the AS4 receive steps on the body of an HTTP POST with the
// given Content-Type, in the order of the specifications:
//
//  1. read the MIME package (ebMS3 Core §5.1; EBMS:0007 on failure);
//  2. parse the SOAP 1.2 envelope and find eb:Messaging (EBMS:0009); a
//     header block marked mustUnderstand other than eb:Messaging and
//     wsse:Security is a *NotUnderstoodError (SOAP 1.2 Part 1 §5.2.3);
//  3. find the P-Mode leg from the (not yet verified) service and action,
//     for its security policy (ebMS3 Core §4; EBMS:0010);
//  4. verify the signature and decrypt the attachments (WS-Security via
//     wssec.Process; EBMS:0101, 0102, 0103) — from here on, only the verified
//     eb:Messaging and the verified parts are used;
//  5. parse the verified eb:UserMessage (EBMS:0009), check it against the
//     leg (CheckUserMessage) and bind its signer to its eb:From party
//     (CheckSigner; EBMS:0101);
//  6. match every eb:PartInfo with one verified attachment: its cid: href
//     names the Content-ID as written or, when no attachment has that one,
//     percent-decoded (RFC 2392; swa.ResolveCID). EBMS:0011 for a reference
//     to a part that is not there or with a malformed percent escape,
//     EBMS:0003 for an attachment no PartInfo describes or two PartInfo
//     naming one attachment. Then decompress per the AS4 compression feature
//     (AS4 profile, "AS4 Compression"; EBMS:0303).
//
// Every error is an *Error; when the message header could be read,
// Error.RefToMessageInError is its MessageId. Duplicate detection (which
// needs a message store) is not done here. The caller must Close the result.
func (r *Receiver) Unpack(contentType string, body io.Reader) (*Inbound, error) {
	in, err := r.unpack(contentType, body)
	if err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

func (r *Receiver) unpack(contentType string, body io.Reader) (*Inbound, error) {
	in := &Inbound{}
	if r.PMode == nil {
		return in, Errorf(ProcessingModeMismatch, "no P-Mode configuration")
	}

	// 1. MIME package.
	lim := swa.Limits{}
	if r.Limits != nil {
		lim = *r.Limits
	}
	if lim.TempDir == "" {
		lim.TempDir = r.TempDir
	}
	msg, err := swa.Read(body, contentType, &lim)
	if err != nil {
		return in, wrapErr(MimeInconsistency, err, "%s", mimeDetail(err))
	}
	in.msg = msg

	// 2. SOAP envelope.
	env, err := ParseEnvelope(bytes.NewReader(msg.Envelope), r.EnvelopeLimits)
	if err != nil {
		return in, err
	}

	// SOAP 1.2 Part 1 §5.2.3: a header block this node must understand
	// and does not is a MustUnderstand fault before anything else.
	if err := checkMustUnderstand(env.Header); err != nil {
		return in, err
	}

	// 3. The leg, from the unverified header: it only selects the policy;
	// the verified header is checked against it in step 5.
	claimed, err := ParseMessaging(env.Messaging)
	if err != nil {
		return in, err
	}
	if claimed.UserMessage == nil {
		return in, Errorf(InvalidHeader, "eb:Messaging has no eb:UserMessage (signals are read with ReadSignal)")
	}
	ref := claimed.UserMessage.MessageInfo.MessageID
	leg, err := findLeg(r.PMode, claimed.UserMessage)
	if err != nil {
		return in, withRef(err, ref)
	}
	in.Leg = leg

	// 4. WS-Security: verify, then decrypt; keep only what was verified.
	parts := make([]wssec.Part, len(msg.Parts))
	for i, p := range msg.Parts {
		parts[i] = wssec.Part{ContentID: p.ContentID, Header: p.Header, Open: p.Open}
	}
	messaging, body12 := env.Messaging, env.Body
	var claimedParty *pmode.Party
	var claimedCerts []*x509.Certificate
	if leg.Security.Profile != pmode.ProfileNone {
		// The claimed sender's certificates resolve a KeyInfo that names
		// one instead of carrying it; the binding of the verified sender
		// to its signer is checked in step 5.
		claimedParty, _ = partyOf(r.PMode, claimed.UserMessage.PartyInfo.From.PartyIDs)
		if claimedCerts, err = certificatesOf(r.PartyCertificates, claimedParty); err != nil {
			return in, withRef(err, ref)
		}
		res, err := wssec.Process(env.Doc, parts, &wssec.VerifyConfig{
			Certificates:      claimedCerts,
			Profile:           leg.Security.Profile,
			RequireSignature:  leg.Security.Sign,
			RequireEncryption: leg.Security.Encrypt,
			Trust:             r.Trust,
			DecryptionKey:     r.DecryptionKey,
			NextDecryptionKey: r.NextDecryptionKey,
			Now:               r.Now,
			MaxClockSkew:      r.MaxClockSkew,
			TempDir:           r.TempDir,
			Timestamp:         wssec.TimestampPolicy(leg.Security.Timestamp),
		})
		if err != nil {
			return in, withRef(securityError(err), ref)
		}
		in.Security = res
		messaging, body12, parts = res.Messaging, res.Body, res.Parts
	} else if hasSecurityHeader(env.Header) {
		return in, withRef(Errorf(PolicyNoncompliance, "leg %s has no security, but the message carries a wsse:Security header", leg.Name), ref)
	}

	// 5. The verified user message, against the leg.
	m, err := ParseMessaging(messaging)
	if err != nil {
		return in, withRef(err, ref)
	}
	um := m.UserMessage
	if um == nil {
		return in, withRef(Errorf(InvalidHeader, "verified eb:Messaging has no eb:UserMessage"), ref)
	}
	ref = um.MessageInfo.MessageID
	if err := CheckUserMessage(um, r.PMode, leg); err != nil {
		return in, withRef(err, ref)
	}
	// The signer must be the party the verified eb:From names (Domibus's
	// sender trust validation): a certificate of the trust store speaks
	// for its own party only.
	if in.Security != nil && in.Security.SignerCert != nil {
		from, ok := partyOf(r.PMode, um.PartyInfo.From.PartyIDs)
		if !ok {
			return in, withRef(Errorf(ProcessingModeMismatch, "eb:From names no party of the P-Mode"), ref)
		}
		certs := claimedCerts // the signed header names the party it claimed
		if from != claimedParty {
			if certs, err = certificatesOf(r.PartyCertificates, from); err != nil {
				return in, withRef(err, ref)
			}
		}
		if err := bind(r.Bind, from, certs, in.Security.SignerCert); err != nil {
			return in, withRef(err, ref)
		}
	}
	if r.PMode.Self != "" {
		to, _ := r.PMode.PartyByID(pmode.PartyID{Type: um.PartyInfo.To.PartyIDs[0].Type, Value: um.PartyInfo.To.PartyIDs[0].Value})
		if to == nil || to.Name != r.PMode.Self {
			return in, withRef(Errorf(ProcessingModeMismatch, "eb:To names another party than this access point (%s)", r.PMode.Self), ref)
		}
	}
	if body12 != nil && len(body12.Elements()) > 0 {
		return in, withRef(Errorf(ValueInconsistent, "the SOAP Body is not empty: AS4 payloads travel only as attachments"), ref)
	}
	in.UserMessage = um

	// 6. Payloads: one verified attachment per PartInfo, decompressed.
	byID := map[string]wssec.Part{}
	for _, p := range parts {
		byID[p.ContentID] = p
	}
	used := map[string]string{} // the href that names each attachment
	for _, pi := range um.PayloadInfo {
		// The href names the attachment with its content-id as written,
		// or else percent-decoded (RFC 2392).
		id, err := swa.ResolveCID(pi.Href, func(id string) bool { _, ok := byID[id]; return ok })
		if err != nil {
			return in, withRef(Errorf(ExternalPayloadError, "eb:PartInfo %v", err), ref)
		}
		p, ok := byID[id]
		if !ok {
			return in, withRef(Errorf(ExternalPayloadError, "eb:PartInfo %s: no such attachment", pi.Href), ref)
		}
		if prev, ok := used[id]; ok {
			return in, withRef(Errorf(ValueInconsistent, "eb:PartInfo %s and %s name the same attachment %q", prev, pi.Href, id), ref)
		}
		used[id] = pi.Href
		pl := Payload{ContentID: id, Properties: pi.Properties}
		pl.MimeType, _ = pi.Property(PropMimeType)
		pl.CharacterSet, _ = pi.Property(PropCharacterSet)
		pl.Open = p.Open
		if max := leg.Payload.MaxSize; max > 0 {
			open := p.Open
			pl.Open = func() (io.ReadCloser, error) {
				rc, err := open()
				if err != nil {
					return nil, err
				}
				return &limitedPart{ReadCloser: rc, max: max, ref: ref, id: id}, nil
			}
		}
		if ct, ok := pi.Property(PropCompressionType); ok && ct == GzipMediaType {
			open, limit, ratio := p.Open, leg.Payload.MaxSize, r.MaxRatio
			if limit <= 0 {
				limit = r.MaxDecompressed
				if limit <= 0 {
					limit = DefaultMaxDecompressed
				}
			}
			switch {
			case ratio == 0:
				ratio = DefaultMaxRatio
			case ratio < 0:
				ratio = 0 // not checked
			}
			pl.Open = func() (io.ReadCloser, error) {
				rc, err := open()
				if err != nil {
					return nil, err
				}
				zr, err := DecompressBounded(rc, limit, ratio)
				if err != nil {
					rc.Close()
					return nil, withRef(err, ref)
				}
				return closeBoth{zr, rc}, nil
			}
		}
		in.Payloads = append(in.Payloads, pl)
	}
	for _, p := range parts {
		if _, ok := used[p.ContentID]; !ok {
			return in, withRef(Errorf(ValueInconsistent, "attachment %q is not described by any eb:PartInfo", p.ContentID), ref)
		}
	}
	return in, nil
}

// findLeg returns the one leg of c for the message's service and action.
func findLeg(c *pmode.Config, um *UserMessage) (*pmode.Leg, error) {
	ci := um.CollaborationInfo
	legs := c.LegsFor(pmode.Service{Value: ci.Service.Value, Type: ci.Service.Type}, ci.Action)
	switch len(legs) {
	case 0:
		return nil, Errorf(ProcessingModeMismatch, "no P-Mode leg for eb:Service %q (type %q) and eb:Action %q", ci.Service.Value, ci.Service.Type, ci.Action)
	case 1:
		return legs[0], nil
	}
	// Several legs share service and action: the parties decide.
	for _, l := range legs {
		if CheckUserMessage(um, c, l) == nil {
			return l, nil
		}
	}
	return legs[0], nil
}

func hasSecurityHeader(h *xmltree.Element) bool {
	for _, e := range h.Elements() {
		if isSecurityHeader(e) {
			return true
		}
	}
	return false
}

// isSecurityHeader reports whether e is a wsse:Security header block
// (WS-Security 1.0 or 1.1 namespace).
func isSecurityHeader(e *xmltree.Element) bool {
	return e.Local == "Security" && (e.Space == wssec.NamespaceWSSE || e.Space == wssec.NamespaceWSSE11)
}

// securityError maps a wssec failure to the EBMS error it carries.
func securityError(err error) *Error {
	var we *wssec.Error
	if errors.As(err, &we) {
		code := Code(we.Code)
		if _, ok := Catalogue(code); !ok {
			code = PolicyNoncompliance
		}
		return &Error{Code: code, Detail: we.Detail, Err: err}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return wrapErr(PolicyNoncompliance, err, "WS-Security processing")
}

// withRef sets RefToMessageInError on an *Error (or wraps err as EBMS:0004).
func withRef(err error, ref string) error {
	e := AsError(err)
	if e.RefToMessageInError == "" {
		e.RefToMessageInError = ref
	}
	return e
}

// limitedPart fails with EBMS:0010 once a payload exceeds the leg's
// payload.maxSize.
type limitedPart struct {
	io.ReadCloser
	n, max  int64
	ref, id string
}

func (l *limitedPart) Read(p []byte) (int, error) {
	n, err := l.ReadCloser.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, withRef(Errorf(ProcessingModeMismatch, "payload %s is larger than the %d bytes the leg allows", l.id, l.max), l.ref)
	}
	return n, err
}

type closeBoth struct {
	io.ReadCloser
	inner io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if err2 := c.inner.Close(); err == nil {
		err = err2
	}
	return err
}

// mimeDetail is the eb:ErrorDetail of a MIME package that swa.Read refused:
// what is wrong with it, for the sender to see, but not the cause of a
// failure to store an attachment on this node (a local file name).
func mimeDetail(err error) string {
	var se *swa.Error
	if !errors.As(err, &se) {
		return "reading the MIME package"
	}
	var pe *fs.PathError
	if se.Err == nil || errors.As(se.Err, &pe) {
		return se.Detail
	}
	return se.Detail + ": " + se.Err.Error()
}

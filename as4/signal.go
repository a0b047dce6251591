package as4

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"time"

	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/internal/exact"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// NewReceipt returns the eb:Messaging of an AS4 receipt for um (AS4 profile
// receipts, ebMS3 Core §5.2.3.3): a SignalMessage whose RefToMessageId is um's
// MessageId and whose eb:Receipt carries ebbp:NonRepudiationInformation with
// one MessagePartNRInformation per reference of the verified signature
// (wssec.Result.SignedInfoReferences). With no references (an unsigned leg)
// the receipt carries a copy of the eb:UserMessage instead.
func NewReceipt(um *UserMessage, refs []wssec.Reference, messageID string, now time.Time) *Messaging {
	rc := &Receipt{}
	for _, r := range refs {
		rc.NonRepudiation = append(rc.NonRepudiation, Reference{
			URI: r.URI, Transforms: append([]string(nil), r.Transforms...),
			DigestMethod: r.DigestMethod, DigestValue: append([]byte(nil), r.DigestValue...),
		})
	}
	if len(refs) == 0 {
		rc.Other = []*xmltree.Element{(&Messaging{UserMessage: um}).Element().Child(NamespaceEB, "UserMessage")}
	}
	return &Messaging{SignalMessages: []*SignalMessage{{
		MessageInfo: MessageInfo{Timestamp: now.UTC().Truncate(time.Millisecond), MessageID: messageID, RefToMessageID: um.MessageInfo.MessageID},
		Receipt:     rc,
	}}}
}

// NewErrorSignal returns the eb:Messaging of an ebMS Error signal reporting
// errs (ebMS3 Core §6.2). Its RefToMessageId is the RefToMessageInError of
// the first error, when all errors refer to the same message.
func NewErrorSignal(errs []*Error, messageID string, now time.Time) *Messaging {
	sm := &SignalMessage{MessageInfo: MessageInfo{Timestamp: now.UTC().Truncate(time.Millisecond), MessageID: messageID}}
	ref := ""
	for i, e := range errs {
		if i == 0 {
			ref = e.RefToMessageInError
		} else if e.RefToMessageInError != ref {
			ref = ""
		}
		c := *e
		c.Err = nil
		sm.Errors = append(sm.Errors, &c)
	}
	sm.MessageInfo.RefToMessageID = ref
	return &Messaging{SignalMessages: []*SignalMessage{sm}}
}

// Receipt returns the receipt for a message Unpack accepted, with its own
// generated MessageId.
func (r *Receiver) Receipt(in *Inbound) (*Messaging, error) {
	id, err := uuid.New(r.rand())
	if err != nil {
		return nil, err
	}
	var refs []wssec.Reference
	if in.Security != nil {
		refs = in.Security.SignedInfoReferences
	}
	return NewReceipt(in.UserMessage, refs, id+"@"+r.domain(), r.now()), nil
}

// ErrorSignal returns the Error signal reporting err (as AsError maps it).
func (r *Receiver) ErrorSignal(err error) (*Messaging, error) {
	id, gerr := uuid.New(r.rand())
	if gerr != nil {
		return nil, gerr
	}
	return NewErrorSignal([]*Error{AsError(err)}, id+"@"+r.domain(), r.now()), nil
}

func (r *Receiver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Receiver) rand() io.Reader {
	if r.Rand != nil {
		return r.Rand
	}
	return rand.Reader
}

func (r *Receiver) domain() string {
	if r.Domain != "" {
		return r.Domain
	}
	return "oots"
}

// SignSignal puts a signal in a SOAP envelope and signs it (wssec.SignSignal:
// BinarySecurityToken, Timestamp, signature over eb:Messaging and the Body;
// AS4 profile, receipts and errors are signed when non-repudiation is
// on). cfg nil leaves the envelope unsigned. It returns the envelope bytes,
// sent as application/soap+xml.
func SignSignal(m *Messaging, cfg *wssec.SignConfig) ([]byte, error) {
	env := NewEnvelope(m)
	if cfg != nil {
		if err := wssec.SignSignal(env, cfg); err != nil {
			return nil, fmt.Errorf("as4: signing the signal: %w", err)
		}
	}
	return exact.Write(func(w io.Writer) error {
		return xmltree.Write(w, env, xmltree.WriteOptions{Declaration: true})
	})
}

// ReadSignal reads a signal message (the HTTP response to a user message).
// With cfg, the signature is verified (wssec.VerifySignal) and only the
// verified eb:Messaging is used; cfg nil accepts an unsigned signal. It
// returns the signal, or an *Error (EBMS:0301 MissingReceipt for an empty
// response).
func ReadSignal(contentType string, body io.Reader, cfg *wssec.VerifyConfig) (*SignalMessage, error) {
	sig, _, err := readSignal(contentType, body, cfg)
	return sig, err
}

// readSignal is ReadSignal that also returns the verified signing
// certificate (nil when cfg is nil).
func readSignal(contentType string, body io.Reader, cfg *wssec.VerifyConfig) (*SignalMessage, *x509.Certificate, error) {
	msg, err := swa.Read(body, contentType, nil)
	if err != nil {
		return nil, nil, AsError(err)
	}
	defer msg.Close()
	if len(bytes.TrimSpace(msg.Envelope)) == 0 {
		return nil, nil, Errorf(MissingReceipt, "the response carries no signal")
	}
	if len(msg.Parts) > 0 {
		return nil, nil, Errorf(MimeInconsistency, "a signal message has no attachments")
	}
	env, err := ParseEnvelope(bytes.NewReader(msg.Envelope), nil)
	if err != nil {
		return nil, nil, err
	}
	messaging := env.Messaging
	var signer *x509.Certificate
	if cfg != nil {
		res, err := wssec.VerifySignal(env.Doc, cfg)
		if err != nil {
			return nil, nil, securityError(err)
		}
		messaging, signer = res.Messaging, res.SignerCert
	}
	m, err := ParseMessaging(messaging)
	if err != nil {
		return nil, nil, err
	}
	if m.UserMessage != nil || len(m.SignalMessages) != 1 {
		return nil, nil, Errorf(InvalidHeader, "expected exactly one eb:SignalMessage")
	}
	return m.SignalMessages[0], signer, nil
}

// CheckReceipt checks that sig is a valid receipt for the packed message p
// (AS4 profile, reception awareness): an Error signal is returned as
// its first *Error; a receipt must refer to p's MessageId and, when p was
// signed, carry exactly the references of p's signature with the same
// digests (non-repudiation of receipt). Failures are EBMS:0302
// InvalidReceipt.
func CheckReceipt(p *Packed, sig *SignalMessage) error {
	if len(sig.Errors) > 0 {
		return sig.Errors[0]
	}
	if sig.Receipt == nil {
		return Errorf(InvalidReceipt, "signal is neither a receipt nor an error")
	}
	if sig.MessageInfo.RefToMessageID != p.UserMessage.MessageInfo.MessageID {
		return Errorf(InvalidReceipt, "receipt refers to %q, not to %q", sig.MessageInfo.RefToMessageID, p.UserMessage.MessageInfo.MessageID)
	}
	sent, err := p.sentReferences()
	if err != nil {
		return err
	}
	if len(sent) == 0 {
		return nil
	}
	got := map[string]Reference{}
	for _, r := range sig.Receipt.NonRepudiation {
		got[r.URI] = r
	}
	if len(got) != len(sent) {
		return Errorf(InvalidReceipt, "receipt has %d NRR references, the message signed %d", len(got), len(sent))
	}
	for _, s := range sent {
		r, ok := got[s.URI]
		if !ok {
			return Errorf(InvalidReceipt, "receipt has no NRR reference for %s", s.URI)
		}
		if r.DigestMethod != s.DigestMethod || !bytes.Equal(r.DigestValue, s.DigestValue) {
			return Errorf(InvalidReceipt, "NRR digest of %s differs from the one signed", s.URI)
		}
	}
	return nil
}

// sentReferences returns the ds:Reference elements of the signature of the
// envelope p sent: those Pack read from the tree it serialized, as long as
// p.Envelope is still that serialization, or else those of p.Envelope
// parsed again.
func (p *Packed) sentReferences() ([]Reference, error) {
	if p.sent.env != nil && len(p.Envelope) == len(p.sent.env) && &p.Envelope[0] == &p.sent.env[0] {
		return p.sent.refs, p.sent.err
	}
	lim := DefaultEnvelopeLimits()
	doc, err := xmltree.ParseBytes(p.Envelope, &lim)
	if err != nil {
		return nil, fmt.Errorf("as4: re-reading the sent envelope: %w", err)
	}
	return signedReferences(doc.Root)
}

// sentRefs are the signed references of a packed envelope, read from the
// tree before it was serialized to env.
type sentRefs struct {
	env  []byte
	refs []Reference
	err  error
}

// signedReferences reads the ds:Reference elements of the signature in the
// envelope root.
func signedReferences(root *xmltree.Element) ([]Reference, error) {
	var refs []Reference
	var perr error
	root.Walk(func(e *xmltree.Element) bool {
		if e.Is(NamespaceDS, "SignedInfo") {
			for _, r := range e.ChildrenNamed(NamespaceDS, "Reference") {
				ref, err := parseDSReference(r)
				if err != nil {
					perr = err
				}
				refs = append(refs, ref)
			}
			return false
		}
		return true
	})
	return refs, perr
}

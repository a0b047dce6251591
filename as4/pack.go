package as4

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"sync"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/internal/exact"
	"github.com/oots-go/oots/internal/spill"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// Payload is one payload of a user message. On the wire it is one MIME
// attachment described by one eb:PartInfo.
type Payload struct {
	// ContentID is the Content-ID, without "cid:" or angle brackets. Pack
	// generates one ("<uuid>@<domain>") when it is empty.
	ContentID string
	// MimeType is the media type of the (uncompressed) content, sent as the
	// MimeType part property (AS4 profile, "AS4 Compression"), e.g. application/x-ebrs+xml.
	MimeType string
	// CharacterSet is the optional CharacterSet part property.
	CharacterSet string
	// Properties are further part properties; MimeType, CharacterSet and
	// CompressionType are set from the fields above.
	Properties []Property
	// Open returns the content. It may be called more than once (signing
	// and encryption read an uncompressed payload separately; compression
	// reads it once), and must give the same bytes each time. Unpack's
	// payloads may be opened as often as needed until Inbound.Close.
	Open func() (io.ReadCloser, error)
}

// Outbound is a user message to send over a P-Mode leg.
type Outbound struct {
	Leg string
	// From and To name the parties (pmode.Config.Parties). Default: From is
	// the configuration's Self when it may initiate the leg, else the leg's
	// first initiator; To is the leg's first responder other than From (or
	// the first responder).
	From, To string
	// MessageID, ConversationID: generated ("<uuid>@<domain>", "<uuid>")
	// when empty.
	MessageID      string
	ConversationID string
	RefToMessageID string
	// Properties are the eb:MessageProperties; they must fit the leg's
	// property set.
	Properties []Property
	Payloads   []Payload
}

// Sender packs user messages, posts them and checks their receipts (Send,
// or its steps Pack, Post and Check). Its fields are the sender's
// configuration; Now, Rand, TempDir and Client have defaults.
type Sender struct {
	PMode *pmode.Config
	// SigningKey and SigningCert sign messages (required unless the leg's
	// security profile is none).
	SigningKey  crypto.Signer
	SigningCert *x509.Certificate
	// PeerCert is the receiver's encryption certificate (RSA for 1.15,
	// X25519 for 2.0), required when the leg encrypts.
	PeerCert *x509.Certificate
	// Domain is the right-hand side of generated message ids; default "oots".
	Domain string
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Rand is the source of identifiers, boundaries and keys; default
	// crypto/rand.Reader.
	Rand io.Reader
	// TempDir holds compressed and encrypted payloads; default os.TempDir().
	TempDir string
	// Client posts messages (Send, Post); default a client with a 60 s
	// timeout.
	Client *http.Client
	// Trust validates the certificates of signed receipts and errors
	// (Check, on legs with non-repudiation).
	Trust *trust.Store
	// PartyCertificates gives the certificates configured for the
	// receiving party: a signal must be signed by one of them, or, when
	// none is configured, by a certificate whose common name is the
	// party's name or identifier (CheckSigner).
	PartyCertificates PartyCertificates
	// Bind, when set, replaces CheckSigner as the binding of a signal's
	// signer to the receiving party.
	Bind func(to *pmode.Party, signer *x509.Certificate) error
	// TimestampTTL is the lifetime of the WS-Security Timestamp (sent when
	// the leg's security.timestamp is optional or required); zero takes
	// the default of wssec.
	TimestampTTL time.Duration
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

func (s *Sender) domain() string {
	if s.Domain != "" {
		return s.Domain
	}
	return "oots"
}

// Packed is a packed user message: the secured SOAP envelope and the
// attachments as they go on the wire, ready to be written as the body of an
// HTTP POST. Close removes its temporary files.
type Packed struct {
	// UserMessage is the header that was sent.
	UserMessage *UserMessage
	// Leg is the P-Mode leg used.
	Leg *pmode.Leg
	// Endpoint is the receiving party's URL from the P-Mode ("" if none).
	Endpoint string
	// Envelope is the SOAP envelope as sent (signed when the leg signs).
	Envelope []byte
	// Parts are the attachments as sent (compressed, encrypted).
	Parts []swa.Part

	mw    *swa.Writer
	clean []func()
	sent  sentRefs // the signed references of Envelope, for CheckReceipt
}

// ContentType returns the Content-Type header of the HTTP request.
func (p *Packed) ContentType() string { return p.mw.ContentType() }

// WriteBody writes the MIME package (streaming the attachments).
func (p *Packed) WriteBody(w io.Writer) error { return p.mw.Write(w, p.Envelope, p.Parts) }

// Close removes the temporary files of p.
func (p *Packed) Close() error {
	for _, f := range p.clean {
		f()
	}
	p.clean = nil
	return nil
}

// BodySize returns the length of the MIME package (file-backed
// attachments are not read for it).
func (p *Packed) BodySize() (int64, error) { return p.mw.Size(p.Envelope, p.Parts) }

// WriteRequest writes the exact HTTP/1.1 request an access point POSTs to
// the receiving party's endpoint (or to endpoint when not empty): request
// line, Host, Content-Type, Content-Length, MIME-Version, then the MIME body.
func (p *Packed) WriteRequest(w io.Writer, endpoint string) error {
	if endpoint == "" {
		endpoint = p.Endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("as4: endpoint %q is not an absolute URL", endpoint)
	}
	n, err := p.BodySize()
	if err != nil {
		return fmt.Errorf("as4: sizing the message: %w", err)
	}
	bw := requestWriters.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		requestWriters.Put(bw)
	}()
	fmt.Fprintf(bw, "POST %s HTTP/1.1\r\n", u.RequestURI())
	fmt.Fprintf(bw, "Host: %s\r\n", u.Host)
	fmt.Fprintf(bw, "Content-Type: %s\r\n", p.ContentType())
	fmt.Fprintf(bw, "Content-Length: %d\r\n", n)
	fmt.Fprintf(bw, "MIME-Version: 1.0\r\n")
	fmt.Fprintf(bw, "User-Agent: oots-as4\r\n\r\n")
	if err := p.WriteBody(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// memoryBody is the size up to which Request sends a package from memory
// (the size up to which Pack keeps a payload in memory too).
const memoryBody = spill.Threshold

// requestWriters recycles the 64 KiB output buffers of WriteRequest.
var requestWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// Request returns an HTTP request that sends the package to endpoint (or
// the P-Mode endpoint when empty). A package of up to memoryBody bytes is
// written into memory first; a larger one is streamed, a goroutine writing
// the body as it is read: send the request or close its Body.
func (p *Packed) Request(endpoint string) (*http.Request, error) {
	if endpoint == "" {
		endpoint = p.Endpoint
	}
	n, err := p.BodySize()
	if err != nil {
		return nil, err
	}
	var req *http.Request
	if n <= memoryBody {
		// A small package is written out first and sent from memory: one
		// write to the connection instead of a goroutine and a pipe whose
		// every piece is a write of its own. NewRequest sets GetBody.
		body := bytes.NewBuffer(make([]byte, 0, n))
		if err := p.WriteBody(body); err != nil {
			return nil, err
		}
		if req, err = http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body.Bytes())); err != nil {
			return nil, fmt.Errorf("as4: %w", err)
		}
	} else {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(p.WriteBody(pw)) }()
		if req, err = http.NewRequest(http.MethodPost, endpoint, pr); err != nil {
			pr.Close()
			return nil, fmt.Errorf("as4: %w", err)
		}
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", p.ContentType())
	req.Header.Set("MIME-Version", "1.0")
	return req, nil
}

// Pack runs the AS4 send steps for msg, in the order of the specifications:
//
//  1. resolve the P-Mode leg and the parties (ebMS3 Core §4, Appendix D);
//  2. build the eb:UserMessage (ebMS3 Core §5.2.2) and check it against the
//     leg, as the receiver will (CheckUserMessage);
//  3. compress every payload with gzip (AS4 profile, "AS4 Compression");
//  4. sign eb:Messaging, the Body and every attachment, then encrypt the
//     attachments (WS-Security via wssec.Secure; eDelivery AS4 profile);
//  5. package the envelope and the attachments as MIME multipart/related
//     (ebMS3 Core §5.1, SOAP with Attachments) — Packed.WriteRequest and
//     Packed.Request then give the HTTP POST.
//
// Errors are *Error (configuration errors of the sender use EBMS:0004 Other
// or EBMS:0010 ProcessingModeMismatch and name the field).
func (s *Sender) Pack(msg *Outbound) (*Packed, error) {
	p := &Packed{}
	ok := false
	defer func() {
		if !ok {
			p.Close()
		}
	}()

	// 1. P-Mode leg and parties.
	if s.PMode == nil {
		return nil, Errorf(ProcessingModeMismatch, "no P-Mode configuration")
	}
	leg, err := s.PMode.Leg(msg.Leg)
	if err != nil {
		return nil, wrapErr(ProcessingModeMismatch, err, "resolving the leg")
	}
	p.Leg = leg
	from, to, err := ResolveParties(s.PMode, leg, msg.From, msg.To)
	if err != nil {
		return nil, err
	}
	p.Endpoint = to.Endpoint

	// 2. The user message.
	um, err := s.userMessage(msg, leg, from, to)
	if err != nil {
		return nil, err
	}
	p.UserMessage = um

	// 3. Payloads, compressed when the leg says so.
	parts, err := s.payloadParts(msg, um, leg, p)
	if err != nil {
		return nil, err
	}
	env := NewEnvelope(&Messaging{UserMessage: um})

	// 4. WS-Security: sign, then encrypt.
	if leg.Security.Profile != pmode.ProfileNone {
		if parts, err = s.secure(env, parts, leg); err != nil {
			return nil, err
		}
	}

	// 5. MIME package.
	if p.Envelope, err = exact.Write(func(w io.Writer) error {
		return xmltree.Write(w, env, xmltree.WriteOptions{Declaration: true})
	}); err != nil {
		return nil, fmt.Errorf("as4: writing the envelope: %w", err)
	}
	if len(p.Envelope) > 0 {
		p.sent.env = p.Envelope
		p.sent.refs, p.sent.err = signedReferences(env.Root)
	}
	for _, wp := range parts {
		if wp.Remove != nil {
			remove := wp.Remove
			p.clean = append(p.clean, func() { remove() })
		}
		p.Parts = append(p.Parts, swa.Part{ContentID: wp.ContentID, Header: wp.Header, Open: wp.Open})
	}
	if p.mw, err = swa.NewWriter(s.rand()); err != nil {
		return nil, err
	}
	ok = true
	return p, nil
}

// userMessage is the eb:UserMessage of msg on leg, from and to the
// parties given, with its message and conversation ids made up where msg
// has none, and its PayloadInfo; it is checked against the P-Mode.
func (s *Sender) userMessage(msg *Outbound, leg *pmode.Leg, from, to *pmode.Party) (*UserMessage, error) {
	um := &UserMessage{
		MPC: leg.MPC,
		MessageInfo: MessageInfo{
			Timestamp:      s.now().UTC().Truncate(time.Millisecond),
			MessageID:      msg.MessageID,
			RefToMessageID: msg.RefToMessageID,
		},
		PartyInfo: PartyInfo{
			From: Party{PartyIDs: partyIDs(from), Role: leg.Initiator.Role},
			To:   Party{PartyIDs: partyIDs(to), Role: leg.Responder.Role},
		},
		CollaborationInfo: CollaborationInfo{
			Service:        Service{Value: leg.Service.Value, Type: leg.Service.Type},
			Action:         leg.Action,
			ConversationID: msg.ConversationID,
		},
		MessageProperties: append([]Property(nil), msg.Properties...),
	}
	if leg.Agreement != nil {
		um.CollaborationInfo.AgreementRef = &AgreementRef{Value: leg.Agreement.Value, Type: leg.Agreement.Type}
	}
	var err error
	if um.MessageInfo.MessageID == "" {
		if um.MessageInfo.MessageID, err = uuid.New(s.rand()); err != nil {
			return nil, err
		}
		um.MessageInfo.MessageID += "@" + s.domain()
	}
	if um.CollaborationInfo.ConversationID == "" {
		if um.CollaborationInfo.ConversationID, err = uuid.New(s.rand()); err != nil {
			return nil, err
		}
	}
	if len(um.MessageProperties) == 0 {
		um.MessageProperties = nil
	}
	for i, pl := range msg.Payloads {
		if pl.Open == nil || pl.MimeType == "" {
			return nil, Errorf(ValueInconsistent, "payload %d: content and MimeType are required", i)
		}
		id := pl.ContentID
		if id == "" {
			u, err := uuid.New(s.rand())
			if err != nil {
				return nil, err
			}
			id = u + "@" + s.domain()
		}
		props := []Property{{Name: PropMimeType, Value: pl.MimeType}}
		if pl.CharacterSet != "" {
			props = append(props, Property{Name: PropCharacterSet, Value: pl.CharacterSet})
		}
		if leg.Payload.Compress {
			props = append(props, Property{Name: PropCompressionType, Value: GzipMediaType})
		}
		for _, pp := range pl.Properties {
			switch pp.Name {
			case PropMimeType, PropCharacterSet, PropCompressionType:
			default:
				props = append(props, pp)
			}
		}
		um.PayloadInfo = append(um.PayloadInfo, PartInfo{Href: "cid:" + id, Properties: props})
	}
	if err := CheckUserMessage(um, s.PMode, leg); err != nil {
		return nil, err
	}
	return um, nil
}

// payloadParts returns msg's payloads as the parts to secure, under the
// Content-IDs of um's PayloadInfo, compressed when leg says so (the
// compressed form is spooled, its removal left to p: signing and
// encryption each read it).
func (s *Sender) payloadParts(msg *Outbound, um *UserMessage, leg *pmode.Leg, p *Packed) ([]wssec.Part, error) {
	var parts []wssec.Part
	for i, pl := range msg.Payloads {
		id := um.PayloadInfo[i].ContentID()
		ct, open := pl.MimeType, pl.Open
		if leg.Payload.Compress {
			ct = GzipMediaType
			f, cleanup, err := spoolCompressed(pl.Open, s.TempDir)
			if err != nil {
				return nil, wrapErr(Other, err, "compressing payload %s", id)
			}
			p.clean = append(p.clean, cleanup)
			open = f
		}
		parts = append(parts, wssec.Part{ContentID: id, Header: textproto.MIMEHeader{"Content-Type": {ct}}, Open: open})
	}
	return parts, nil
}

// secure signs env and parts, then encrypts the parts, as leg's security
// says, and returns the parts as they are to be sent.
func (s *Sender) secure(env *xmltree.Document, parts []wssec.Part, leg *pmode.Leg) ([]wssec.Part, error) {
	cfg := &wssec.SignConfig{
		Profile:      leg.Security.Profile,
		SigningKey:   s.SigningKey,
		SigningCert:  s.SigningCert,
		Now:          s.Now,
		Rand:         s.Rand,
		TempDir:      s.TempDir,
		TimestampTTL: s.TimestampTTL,
		Timestamp:    wssec.TimestampPolicy(leg.Security.Timestamp),

		SignatureKeyRef:  wssec.KeyReference(leg.Security.SignatureKeyReference),
		EncryptionKeyRef: wssec.KeyReference(leg.Security.EncryptionKeyReference),
	}
	if s.SigningKey == nil || s.SigningCert == nil {
		return nil, Errorf(Other, "leg %s signs: the sender needs a signing key and certificate", leg.Name)
	}
	if leg.Security.Encrypt {
		if s.PeerCert == nil {
			return nil, Errorf(Other, "leg %s encrypts: the sender needs the receiver's encryption certificate", leg.Name)
		}
		cfg.RecipientCert = s.PeerCert
	}
	secured, err := wssec.Secure(env, parts, cfg)
	if err != nil {
		return nil, fmt.Errorf("as4: securing the message: %w", err)
	}
	return secured, nil
}

// ResolveParties returns the sending and receiving parties of a message on
// leg, with the defaults of Outbound.From and Outbound.To for empty names.
// A party that may not take its side of the leg is EBMS:0010.
func ResolveParties(c *pmode.Config, leg *pmode.Leg, fromName, toName string) (from, to *pmode.Party, err error) {
	has := func(list []string, n string) bool {
		for _, x := range list {
			if x == n {
				return true
			}
		}
		return false
	}
	if fromName == "" {
		if c.Self != "" && has(leg.Initiator.Parties, c.Self) {
			fromName = c.Self
		} else if len(leg.Initiator.Parties) > 0 {
			fromName = leg.Initiator.Parties[0]
		}
	}
	if !has(leg.Initiator.Parties, fromName) {
		return nil, nil, Errorf(ProcessingModeMismatch, "party %q is not an initiator of leg %s", fromName, leg.Name)
	}
	if toName == "" {
		for _, n := range leg.Responder.Parties {
			if n != fromName {
				toName = n
				break
			}
		}
		if toName == "" && len(leg.Responder.Parties) > 0 {
			toName = leg.Responder.Parties[0]
		}
	}
	if !has(leg.Responder.Parties, toName) {
		return nil, nil, Errorf(ProcessingModeMismatch, "party %q is not a responder of leg %s", toName, leg.Name)
	}
	if from, err = c.Party(fromName); err != nil {
		return nil, nil, wrapErr(ProcessingModeMismatch, err, "eb:From")
	}
	if to, err = c.Party(toName); err != nil {
		return nil, nil, wrapErr(ProcessingModeMismatch, err, "eb:To")
	}
	return from, to, nil
}

func partyIDs(p *pmode.Party) []PartyID {
	out := make([]PartyID, len(p.IDs))
	for i, id := range p.IDs {
		out[i] = PartyID{Type: id.Type, Value: id.Value}
	}
	return out
}

// spoolCompressed compresses the content of open with gzip (as Compress
// does, in this goroutine) into a spool, and returns a function that opens
// the compressed copy as often as needed.
func spoolCompressed(open func() (io.ReadCloser, error), dir string) (reopen func() (io.ReadCloser, error), cleanup func(), err error) {
	rc, err := open()
	if err != nil {
		return nil, func() {}, err
	}
	defer rc.Close()
	sp := &spill.Writer{Dir: dir, Pattern: "oots-as4-*"}
	if err := compressTo(sp, rc); err != nil {
		sp.Discard()
		return nil, func() {}, err
	}
	reopen, remove, err := sp.Finish()
	if err != nil {
		return nil, func() {}, err
	}
	return reopen, func() { remove() }, nil
}

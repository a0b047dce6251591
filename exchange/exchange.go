// Package exchange is the binding of the OOTS evidence exchange onto the
// access point (SPEC.md §4.1, §1.2 "Correlation"): how an evidence request,
// response or error becomes an ap.Submission (P-Mode leg, ebMS action,
// conversation, the message properties originalSender, finalRecipient and,
// for EDM 2.0, SpecificationId and ExchangeId; the RegRep document as the
// first payload and the evidence files as further payloads), and how a
// received message becomes an EDM message again.
//
// Incoming checks the consistency that TDD 2.0 asks of a receiver: the
// action matches the document's kind, SpecificationId equals the
// document's SpecificationIdentifier, every cid: reference of an evidence
// response names a payload; a document with a structural finding that
// invalidates it (fatal or error) is refused. A failure wraps an *edm.Error
// carrying the EDM error code that the provider answers with (EDM:ERR:0003
// for a malformed request).
package exchange

import (
	"errors"
	"fmt"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/edm"
)

// The ebMS actions of the evidence exchange (SPEC.md §2.2–§2.4).
const (
	ActionRequest  = "ExecuteQueryRequest"
	ActionResponse = "ExecuteQueryResponse"
	ActionError    = "ExceptionResponse"
)

// The ebMS message properties of OOTS.
const (
	PropOriginalSender = "originalSender"
	PropFinalRecipient = "finalRecipient"
	PropSpecification  = "SpecificationId"
	PropExchangeID     = "ExchangeId"
)

// Legs names the P-Mode legs of the three actions.
type Legs struct {
	Request, Response, Error string
}

// DefaultLegs returns the leg names of the P-Modes that oots generates
// (package demonet, oots pki).
func DefaultLegs() Legs {
	return Legs{Request: "oots-request", Response: "oots-response", Error: "oots-error"}
}

func (l Legs) leg(action string) string {
	switch action {
	case ActionRequest:
		return l.Request
	case ActionResponse:
		return l.Response
	}
	return l.Error
}

// Attachment is an evidence file carried as an AS4 payload and referenced
// from the response by "cid:" + ContentID.
type Attachment struct {
	ContentID string
	MimeType  string
	Data      []byte
	// Href, on a received response (Incoming), is the RepositoryItemRef
	// that named the payload, as written (the cid: scheme in any case,
	// the content-id perhaps percent-encoded): a reader of the response
	// finds an evidence object's file by it without resolving it again.
	// A message to send ignores it.
	Href string
}

// Message is one message of the evidence exchange with its ebMS context.
type Message struct {
	// To is the receiving P-Mode party (outgoing only); From the sending
	// party (incoming only, as the access point names it).
	To, From string
	// ConversationID is eb:ConversationId: one user journey (one
	// procedure). ExchangeID is the 2.0 ExchangeId property: one request
	// and its answer; the request after a preview repeats it.
	ConversationID string
	ExchangeID     string
	// MessageID is eb:MessageId (incoming only); RefToMessageID points an
	// answer to its request.
	MessageID      string
	RefToMessageID string
	// OriginalSender (C1) and FinalRecipient (C4): the identifiers of the
	// evidence requester and provider, with their schemes.
	OriginalSender edm.Identifier
	FinalRecipient edm.Identifier

	// Exactly one of Request, Response and Error.
	Request  *edm.QueryRequest
	Response *edm.QueryResponse
	Error    *edm.ErrorResponse
	// Attachments are the evidence files of a response.
	Attachments []Attachment
	// Document is the RegRep document as sent or received.
	Document []byte
}

// Action returns the ebMS action of the message's document.
func (m *Message) Action() string {
	switch {
	case m.Request != nil:
		return ActionRequest
	case m.Response != nil:
		return ActionResponse
	}
	return ActionError
}

// Version returns the EDM version of the message's document.
func (m *Message) Version() edm.Version {
	switch {
	case m.Request != nil:
		return m.Request.Version()
	case m.Response != nil:
		return m.Response.Version()
	case m.Error != nil:
		return m.Error.Version()
	}
	return ""
}

func (m *Message) document() (edm.Message, error) {
	n := 0
	var d edm.Message
	if m.Request != nil {
		n, d = n+1, m.Request
	}
	if m.Response != nil {
		n, d = n+1, m.Response
	}
	if m.Error != nil {
		n, d = n+1, m.Error
	}
	if n != 1 {
		return nil, fmt.Errorf("exchange: a message holds exactly one of Request, Response and Error, not %d", n)
	}
	return d, nil
}

// Submission returns the access point submission of an outgoing message:
// its document marshalled (Message.Document is set), the leg of its action,
// the OOTS properties, and the attachments. clientKey makes the submission
// idempotent (ap.Submission.ClientKey).
func (m *Message) Submission(legs Legs, clientKey string) (*ap.Submission, error) {
	d, err := m.document()
	if err != nil {
		return nil, err
	}
	doc, err := d.Marshal()
	if err != nil {
		return nil, err
	}
	m.Document = doc
	if m.To == "" {
		return nil, errors.New("exchange: no receiving party (To)")
	}
	if m.OriginalSender.Value == "" || m.FinalRecipient.Value == "" {
		return nil, errors.New("exchange: originalSender and finalRecipient are required")
	}
	props := []ap.Property{
		{Name: PropOriginalSender, Type: m.OriginalSender.SchemeID, Value: m.OriginalSender.Value},
		{Name: PropFinalRecipient, Type: m.FinalRecipient.SchemeID, Value: m.FinalRecipient.Value},
	}
	if v := d.Version(); v == edm.V2_0 {
		if m.ExchangeID == "" {
			return nil, errors.New("exchange: EDM 2.0 needs an ExchangeId")
		}
		props = append(props, ap.Property{Name: PropSpecification, Value: string(v)}, ap.Property{Name: PropExchangeID, Value: m.ExchangeID})
	}
	s := &ap.Submission{ClientKey: clientKey, Leg: legs.leg(m.Action()), To: m.To, ConversationID: m.ConversationID,
		RefToMessageID: m.RefToMessageID, Properties: props,
		Payloads: []ap.Payload{{ContentID: "regrep@oots", MimeType: as4.OOTSRegRepPayload, Data: doc}}}
	for _, a := range m.Attachments {
		if a.ContentID == "" || a.MimeType == "" {
			return nil, errors.New("exchange: an attachment needs a content id and a MIME type")
		}
		s.Payloads = append(s.Payloads, ap.Payload{ContentID: a.ContentID, MimeType: a.MimeType, Data: a.Data})
	}
	return s, nil
}

// invalid is the failure of a received message that is not a valid OOTS
// exchange message: EDM:ERR:0003, the code the provider answers a malformed
// request with.
func invalid(format string, args ...any) error {
	return reject(edm.Errorf(edm.EDMErr0003, format, args...))
}

// reject puts the package's context around a failure of Incoming.
func reject(e *edm.Error) error { return fmt.Errorf("exchange: %w", e) }

// Incoming reads a received message: its first payload is parsed as the
// EDM document, which must be of the kind the action announces; the
// properties and the attachments are checked against it. The returned
// error wraps an *edm.Error that names what is wrong (errors.As): the code
// the receiver answers with when it can answer (a request), the detail, and
// the structural findings of the document when it is malformed. A message that cannot be
// understood at all still yields a Message with the ebMS context filled in,
// so that the caller can answer it.
func Incoming(rm *ap.ReceivedMessage) (*Message, error) {
	m := &Message{From: rm.From, ConversationID: rm.ConversationID, MessageID: rm.MessageID, RefToMessageID: rm.RefToMessageID}
	var spec string
	for _, p := range rm.Properties {
		switch p.Name {
		case PropOriginalSender:
			m.OriginalSender = edm.SchemeID(p.Type, p.Value)
		case PropFinalRecipient:
			m.FinalRecipient = edm.SchemeID(p.Type, p.Value)
		case PropExchangeID:
			m.ExchangeID = p.Value
		case PropSpecification:
			spec = p.Value
		}
	}
	if len(rm.Payloads) == 0 {
		return m, invalid("the message has no payload")
	}
	m.Document = rm.Payloads[0].Data
	doc, findings, err := edm.ParseBytes(m.Document)
	if err != nil {
		e := edm.Errorf(edm.EDMErr0003, "the first payload is not an OOTS document: %w", err)
		e.Findings = findings
		return m, reject(e)
	}
	for _, f := range findings {
		if f.Invalidates() {
			e := edm.NewError(edm.EDMErr0003, f.Rule+": "+f.Message)
			e.Findings = findings
			return m, reject(e)
		}
	}
	switch d := doc.(type) {
	case *edm.QueryRequest:
		m.Request = d
	case *edm.QueryResponse:
		m.Response = d
	case *edm.ErrorResponse:
		if d.Kind() == edm.KindEvidenceError {
			m.Error = d
		}
	}
	if m.Request == nil && m.Response == nil && m.Error == nil {
		return m, invalid("the document is a %s, not an evidence request, response or error", doc.Kind())
	}
	if m.Action() != rm.Action {
		return m, invalid("the ebMS action %q does not match the document, a %s", rm.Action, doc.Kind())
	}
	if v := m.Version(); spec != "" && spec != string(v) || v == edm.V2_0 && spec == "" {
		return m, invalid("ebMS property SpecificationId %q does not match SpecificationIdentifier %q", spec, v)
	}
	if m.Version() == edm.V2_0 && m.ExchangeID == "" {
		return m, invalid("EDM 2.0 message without the ExchangeId property")
	}
	parts := map[string]ap.Payload{}
	for _, p := range rm.Payloads[1:] {
		parts[p.ContentID] = p
	}
	has := func(id string) bool { _, ok := parts[id]; return ok }
	for _, href := range m.hrefs() {
		// The scheme in any case, the content-id as written or
		// percent-decoded, as AS4 resolves its own cid: references.
		// ResolveCID returns "" when no payload matches: a payload
		// without a content-id is named by no reference.
		cid, err := swa.ResolveCID(href, has)
		p, found := parts[cid]
		if err != nil || cid == "" || !found {
			return m, invalid("the response refers to %q, which is not a payload of the message", href)
		}
		m.Attachments = append(m.Attachments, Attachment{ContentID: cid, MimeType: p.MimeType, Data: p.Data, Href: href})
	}
	return m, nil
}

// hrefs lists the repository item references of a response, in order.
func (m *Message) hrefs() []string {
	if m.Response == nil {
		return nil
	}
	var out []string
	add := func(e *edm.EvidenceObject) {
		if e.RepositoryItemRef != nil {
			out = append(out, e.RepositoryItemRef.Href)
		}
	}
	for _, e := range m.Response.Evidence {
		add(e)
	}
	for _, p := range m.Response.Packages {
		for _, e := range p.Evidence {
			add(e)
		}
	}
	return out
}

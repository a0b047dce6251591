package ap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// Header describes a received user message to the backend.
type Header struct {
	MessageID      string            `json:"messageId"`
	Timestamp      time.Time         `json:"timestamp"`
	RefToMessageID string            `json:"refToMessageId,omitempty"`
	ConversationID string            `json:"conversationId"`
	Leg            string            `json:"leg"`
	From           string            `json:"from"` // party name of the P-Mode
	To             string            `json:"to"`
	FromPartyIDs   []as4.PartyID     `json:"fromPartyIds"`
	ToPartyIDs     []as4.PartyID     `json:"toPartyIds"`
	Service        as4.Service       `json:"service"`
	Action         string            `json:"action"`
	AgreementRef   *as4.AgreementRef `json:"agreementRef,omitempty"`
	Properties     []Property        `json:"properties"`
	Signer         string            `json:"signer,omitempty"` // subject of the verified signing certificate
}

// Property is a message or part property.
type Property struct {
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

// Payload is one payload, its content base64 in JSON.
type Payload struct {
	ContentID    string     `json:"contentId,omitempty"`
	MimeType     string     `json:"mimeType"`
	CharacterSet string     `json:"characterSet,omitempty"`
	Properties   []Property `json:"properties,omitempty"`
	Data         []byte     `json:"data"`
}

// ReceivedMessage is a received message as the backend API returns it and
// the webhook receives it.
type ReceivedMessage struct {
	Header
	Received time.Time  `json:"received"`
	Acked    *time.Time `json:"acknowledged,omitempty"`
	Payloads []Payload  `json:"payloads"`
	// Purged: the payloads were removed by retention.
	Purged bool `json:"purged,omitempty"`
}

const soapContentType = "application/soap+xml; charset=UTF-8"

// ServeAS4 is the AS4 receiving endpoint (POST): see the package
// documentation for the steps.
func (n *Node) ServeAS4(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.ContentLength > n.cfg.MaxBodySize {
		n.reject(w, r, as4.Errorf(as4.MimeInconsistency, "the message is %d bytes, more than the %d this access point accepts", r.ContentLength, n.cfg.MaxBodySize), http.StatusRequestEntityTooLarge, "", "")
		return
	}
	body := &boundedBody{r: http.MaxBytesReader(w, r.Body, n.cfg.MaxBodySize)}
	in, err := n.receiver.Unpack(r.Header.Get("Content-Type"), body)
	if err != nil && n.cfg.Fault == FaultAcceptBadSignature && as4.AsError(err).Code == as4.FailedAuthentication {
		w.WriteHeader(http.StatusOK) // deliberate defect: see Faults
		return
	}
	if err != nil {
		status := http.StatusInternalServerError
		if body.tooLarge != nil {
			status = http.StatusRequestEntityTooLarge
			e := as4.Errorf(as4.MimeInconsistency, "the message is larger than the %d bytes this access point accepts", n.cfg.MaxBodySize)
			e.Err = body.tooLarge
			err = e
		}
		n.reject(w, r, err, status, "", "")
		return
	}
	defer in.Close()
	um := in.UserMessage
	from, to, err := n.parties(um)
	if err != nil {
		n.reject(w, r, err, http.StatusInternalServerError, "", in.Leg.Name)
		return
	}
	msg, err := readInbound(in, from, to)
	if err != nil {
		n.reject(w, r, err, http.StatusInternalServerError, from, in.Leg.Name)
		return
	}
	header, _ := json.Marshal(msg.Header)
	payloads, _ := json.Marshal(msg.Payloads)
	delivery := store.DeliveryNone
	if n.cfg.Webhook != nil || n.cfg.Backend != nil {
		delivery = store.DeliveryPending
	}
	// Every message is stored under its id, so a repeated id is never
	// delivered twice, even on a leg without duplicateDetection.
	duplicate, err := n.cfg.Store.Receive(r.Context(), &store.Inbound{MessageID: um.MessageInfo.MessageID, Partner: from, Leg: in.Leg.Name,
		Header: header, Body: payloads, Received: n.cfg.Now(), Delivery: delivery})
	if err == nil && duplicate && n.cfg.Fault == FaultNoDedup {
		// Deliberate defect (see Faults): the repeated message is stored
		// again under another key, so that the backend sees it twice.
		_, err = n.cfg.Store.Receive(r.Context(), &store.Inbound{MessageID: um.MessageInfo.MessageID + "#" + n.cfg.Now().Format("150405.000000000"), Partner: from, Leg: in.Leg.Name,
			Header: header, Body: payloads, Received: n.cfg.Now(), Delivery: delivery})
		duplicate = false
	}
	if err != nil {
		// Not the partner's fault: no signal, HTTP 503, the sender retries.
		n.log.Error("storing a received message failed", slog.String(logMessageID, um.MessageInfo.MessageID), slog.String(logError, err.Error()))
		n.metrics.received.inc(from, in.Leg.Name, "store_error")
		http.Error(w, "the access point cannot store the message now; retry later", http.StatusServiceUnavailable)
		return
	}
	result := "accepted"
	if duplicate {
		result = "duplicate"
	} else if n.cfg.Webhook != nil || n.cfg.Backend != nil {
		signal(n.pushWake)
	}
	n.metrics.received.inc(from, in.Leg.Name, result)
	n.metrics.receiveSeconds.observe(time.Since(start).Seconds(), from, in.Leg.Name)
	n.log.Info("message received", slog.String(logMessageID, um.MessageInfo.MessageID), slog.String(logPartner, from),
		slog.String(logLeg, in.Leg.Name), slog.String(logState, result))
	if in.Leg.Reliability.Receipt != pmode.ReceiptResponse {
		w.WriteHeader(http.StatusOK)
		return
	}
	receipt, err := n.receiver.Receipt(in)
	if err != nil {
		n.log.Error("making a receipt failed", slog.String(logMessageID, um.MessageInfo.MessageID), slog.String(logError, err.Error()))
		http.Error(w, "receipt failed", http.StatusInternalServerError)
		return
	}
	signer := n.signalSigner(in.Leg)
	switch n.cfg.Fault { // deliberate defects: see Faults
	case FaultUnsignedReceipt:
		signer = nil
	case FaultWrongReceiptRef:
		receipt.SignalMessages[0].MessageInfo.RefToMessageID = "wrong-" + receipt.SignalMessages[0].MessageInfo.RefToMessageID
	}
	b, err := as4.SignSignal(receipt, signer)
	if err != nil {
		n.log.Error("signing a receipt failed", slog.String(logMessageID, um.MessageInfo.MessageID), slog.String(logError, err.Error()))
		http.Error(w, "receipt failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", soapContentType)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// boundedBody remembers that the body went beyond its limit, whatever the
// MIME reader made of the error.
type boundedBody struct {
	r        io.Reader
	tooLarge error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.tooLarge = err
	}
	return n, err
}

// parties returns the P-Mode names of the sending and receiving parties and
// checks that the message is addressed to this access point (EBMS:0010).
func (n *Node) parties(um *as4.UserMessage) (from, to string, err error) {
	name := func(p as4.Party) string {
		for _, id := range p.PartyIDs {
			if party, ok := n.cfg.PMode.PartyByID(pmode.PartyID{Type: id.Type, Value: id.Value}); ok {
				return party.Name
			}
		}
		return ""
	}
	from, to = name(um.PartyInfo.From), name(um.PartyInfo.To)
	if to != n.cfg.PMode.Self {
		e := as4.Errorf(as4.ProcessingModeMismatch, "eb:To is party %q, and this access point is %q", to, n.cfg.PMode.Self)
		e.RefToMessageInError = um.MessageInfo.MessageID
		e.Err = errNotSelf
		return from, to, e
	}
	return from, to, nil
}

// readInbound reads the verified payloads (decompressed, within the leg's
// limits) into the message for the backend.
func readInbound(in *as4.Inbound, from, to string) (*ReceivedMessage, error) {
	um := in.UserMessage
	m := &ReceivedMessage{Header: Header{
		MessageID: um.MessageInfo.MessageID, Timestamp: um.MessageInfo.Timestamp, RefToMessageID: um.MessageInfo.RefToMessageID,
		ConversationID: um.CollaborationInfo.ConversationID, Leg: in.Leg.Name, From: from, To: to,
		FromPartyIDs: um.PartyInfo.From.PartyIDs, ToPartyIDs: um.PartyInfo.To.PartyIDs,
		Service: um.CollaborationInfo.Service, Action: um.CollaborationInfo.Action, AgreementRef: um.CollaborationInfo.AgreementRef,
		Properties: props(um.MessageProperties),
	}, Payloads: []Payload{}}
	if in.Security != nil && in.Security.SignerCert != nil {
		m.Signer = in.Security.SignerCert.Subject.String()
	}
	for _, p := range in.Payloads {
		rc, err := p.Open()
		if err != nil {
			return nil, withRef(err, um)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, withRef(err, um)
		}
		m.Payloads = append(m.Payloads, Payload{ContentID: p.ContentID, MimeType: p.MimeType, CharacterSet: p.CharacterSet,
			Properties: props(p.Properties), Data: data})
	}
	return m, nil
}

func withRef(err error, um *as4.UserMessage) error {
	e := as4.AsError(err)
	if e.RefToMessageInError == "" {
		e.RefToMessageInError = um.MessageInfo.MessageID
	}
	return e
}

func props(ps []as4.Property) []Property {
	out := []Property{}
	for _, p := range ps {
		out = append(out, Property{p.Name, p.Type, p.Value})
	}
	return out
}

// signalSigner returns the signing configuration of receipts and errors on
// leg (nil: unsigned, for a leg without non-repudiation or security).
func (n *Node) signalSigner(leg *pmode.Leg) *wssec.SignConfig {
	if n.cfg.SigningKey == nil || (leg != nil && (leg.Security.Profile == pmode.ProfileNone || !leg.Reliability.NonRepudiation)) {
		return nil
	}
	return &wssec.SignConfig{Profile: n.cfg.profile(), SigningKey: n.cfg.SigningKey, SigningCert: n.cfg.SigningCert, Now: n.cfg.Now, Rand: n.cfg.Rand}
}

// reject answers a refused message with an ebMS Error signal (signed with
// the node's key when it has one) and logs the precise cause.
func (n *Node) reject(w http.ResponseWriter, r *http.Request, err error, status int, partner, leg string) {
	e := as4.AsError(err)
	if partner == "" {
		partner = "unknown"
	}
	n.metrics.received.inc(partner, leg, "rejected_"+string(e.Code))
	n.log.Warn("message refused", slog.String(logCode, string(e.Code)), slog.String(logMessageID, e.RefToMessageInError),
		slog.String(logRemote, r.RemoteAddr), slog.String(logError, e.Error()))
	// Read (and discard) what is left of the body, bounded, so that the
	// client sees the answer rather than a reset.
	io.CopyN(io.Discard, r.Body, 1<<20)
	m, serr := n.receiver.ErrorSignal(e)
	if serr != nil {
		http.Error(w, string(e.Code), status)
		return
	}
	signer := n.signalSigner(nil)
	if n.cfg.Fault == FaultErrorUnsigned {
		signer = nil // deliberate defect: see Faults
	}
	b, serr := as4.SignSignal(m, signer)
	if serr != nil {
		http.Error(w, fmt.Sprintf("%s %s", e.Code, e.Kind().ShortDescription), status)
		return
	}
	w.Header().Set("Content-Type", soapContentType)
	w.WriteHeader(status)
	w.Write(b)
}

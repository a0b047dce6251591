package ap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/fault"
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
	// NRR holds the digests of the parts the message's verified signature
	// covered: those the node's signed receipt repeats (its non-repudiation
	// information), for the receiver's exchange log.
	NRR []Digest `json:"nrr,omitempty"`
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
	// PayloadID, in a submission instead of Data, names a payload
	// uploaded before (POST /api/v1/payloads, Node.Upload): large content
	// then never travels in JSON nor sits in memory.
	PayloadID string `json:"payloadId,omitempty"`
	// Size is the length of a received payload (not sent in a
	// submission).
	Size int64 `json:"size,omitempty"`
	// Open, on a received message handed to a Backend, reads the content
	// from its file: Data holds it in memory only up to InlinePayload
	// bytes.
	Open func() (io.ReadCloser, error) `json:"-"`
}

// InlinePayload is the largest payload a Backend receives in
// Payload.Data; a larger one has only Open (its file), so that memory does
// not grow with the size of what partners send.
const InlinePayload = 16 << 20

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

// ServeAS4 is the AS4 receiving endpoint (POST): as4.Receiver.Serve with
// the node's store as its Accept; see the package documentation for the
// steps.
func (n *Node) ServeAS4(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The message is read and stored under one P-Mode, the receiver's,
	// whatever a reload meanwhile makes the node's.
	rcv := n.receiverNow()
	rcv.Serve(w, r, func(ctx context.Context, in *as4.Inbound) error { return n.accept(ctx, rcv.PMode, in, start) })
}

// accept stores a verified message for the backend: every message is
// stored under its id, so a repeated id is never delivered twice, even on
// a leg without duplicateDetection. A store that fails answers HTTP 503
// (the sender retries).
func (n *Node) accept(ctx context.Context, pm *pmode.Config, in *as4.Inbound, start time.Time) error {
	um := in.UserMessage
	from, to, err := parties(pm, um)
	if err != nil {
		return err
	}
	header, _ := json.Marshal(headerOf(in, from, to))
	// The payloads stream to files of the payload directory, synced before
	// the message is stored with their names (see payloads.go).
	stored, files, err := n.savePayloads(in)
	if err != nil {
		return withRef(err, um)
	}
	payloads, _ := json.Marshal(stored)
	delivery := apstore.DeliveryNone
	if n.cfg.Webhook != nil || n.cfg.Backend != nil {
		delivery = apstore.DeliveryPending
	}
	duplicate, err := n.cfg.Store.Receive(ctx, &apstore.Inbound{MessageID: um.MessageInfo.MessageID, Partner: from, Leg: in.Leg.Name,
		Header: header, Body: payloads, Files: files, Received: n.cfg.Now(), Delivery: delivery})
	if err != nil || duplicate {
		// Not stored: the files are nobody's.
		n.removePayloadFiles(files)
	}
	if err == nil && duplicate && n.cfg.Fault.Is(fault.NoDedup) {
		// Deliberate defect (see Config.Fault): the repeated message is stored
		// again under another key, so that the backend sees it twice.
		stored, files, err = n.savePayloads(in)
		if err != nil {
			return withRef(err, um)
		}
		payloads, _ = json.Marshal(stored)
		_, err = n.cfg.Store.Receive(ctx, &apstore.Inbound{MessageID: um.MessageInfo.MessageID + "#" + n.cfg.Now().Format("150405.000000000"), Partner: from, Leg: in.Leg.Name,
			Header: header, Body: payloads, Files: files, Received: n.cfg.Now(), Delivery: delivery})
		duplicate = false
	}
	if errors.Is(err, apstore.ErrOtherPartner) {
		// Duplicate elimination keys on (partner, eb:MessageId): the id of
		// another partner's message is refused, never taken for a duplicate.
		e := as4.Errorf(as4.Other, "eb:MessageId %s was used by another party's message", um.MessageInfo.MessageID)
		e.Err = err
		return e
	}
	if err != nil {
		// Not the partner's fault: no signal, HTTP 503, the sender retries.
		n.quiet.fail(n.log, "store-received", "storing a received message failed", err, slog.String(logMessageID, um.MessageInfo.MessageID))
		n.metrics.received.WithLabelValues(from, in.Leg.Name, "store_error").Inc()
		return fmt.Errorf("%w: %w", as4.ErrRetryLater, err)
	}
	n.quiet.ok(n.log, "store-received", "storing received messages works again")
	result := "accepted"
	if duplicate {
		result = "duplicate"
	} else if n.cfg.Webhook != nil || n.cfg.Backend != nil {
		signal(n.pushWake)
	}
	n.metrics.received.WithLabelValues(from, in.Leg.Name, result).Inc()
	n.metrics.receiveSeconds.WithLabelValues(from, in.Leg.Name).Observe(time.Since(start).Seconds())
	n.log.Info("message received", slog.String(logMessageID, um.MessageInfo.MessageID), slog.String(logPartner, from),
		slog.String(logLeg, in.Leg.Name), slog.String(logState, result))
	if !duplicate && n.cfg.Judge != nil {
		var data [][]byte
		if in.Security != nil && in.Security.Messaging != nil {
			// The verified eb:Messaging header (EDM-ebMS.sch judges it).
			data = append(data, in.Security.Messaging.Canonical())
		}
		for _, sp := range stored {
			data = append(data, sp.Data)
		}
		n.judgeLater("received", um.MessageInfo.MessageID, from, data)
	}
	return nil
}

// reply sees every answer of the AS4 endpoint: a refusal is logged with
// its precise cause and counted; the deliberate defects of Config.Fault
// change the answer here.
func (n *Node) reply(rp *as4.Reply) {
	if rp.Err != nil && rp.Status != http.StatusServiceUnavailable {
		partner, leg := "unknown", ""
		if rp.Leg != nil {
			leg = rp.Leg.Name
		}
		n.metrics.received.WithLabelValues(partner, leg, "rejected_"+string(rp.Err.Code)).Inc()
		n.log.Warn("message refused", slog.String(logCode, string(rp.Err.Code)), slog.String(logMessageID, rp.Err.RefToMessageInError),
			slog.String(logRemote, rp.Remote), slog.String(logError, rp.Err.Error()))
	}
	if n.cfg.Fault.None() {
		return
	}
	switch n.cfg.Fault.Name() { // deliberate defects: see Config.Fault
	case fault.AcceptBadSignature:
		if rp.Err != nil && rp.Err.Code == as4.FailedAuthentication {
			rp.Status, rp.Signal, rp.Err, rp.Fault = http.StatusOK, nil, nil, nil
		}
	case fault.UnsignedReceipt:
		if rp.Err == nil {
			rp.Sign = false
		}
	case fault.WrongReceiptRef:
		if rp.Err == nil && rp.Signal != nil {
			mi := &rp.Signal.SignalMessages[0].MessageInfo
			mi.RefToMessageID = "wrong-" + mi.RefToMessageID
		}
	case fault.ErrorUnsigned:
		if rp.Err != nil {
			rp.Sign = false
		}
	}
}

// parties returns the P-Mode names of the sending and receiving parties and
// checks that the message is addressed to this access point (EBMS:0010).
func parties(pm *pmode.Config, um *as4.UserMessage) (from, to string, err error) {
	name := func(p as4.Party) string {
		for _, id := range p.PartyIDs {
			if party, ok := pm.PartyByID(pmode.PartyID{Type: id.Type, Value: id.Value}); ok {
				return party.Name
			}
		}
		return ""
	}
	from, to = name(um.PartyInfo.From), name(um.PartyInfo.To)
	if to != pm.Self {
		e := as4.Errorf(as4.ProcessingModeMismatch, "eb:To is party %q, and this access point is %q", to, pm.Self)
		e.RefToMessageInError = um.MessageInfo.MessageID
		e.Err = errNotSelf
		return from, to, e
	}
	return from, to, nil
}

// headerOf is the description of a verified message for the backend.
func headerOf(in *as4.Inbound, from, to string) Header {
	um := in.UserMessage
	h := Header{
		MessageID: um.MessageInfo.MessageID, Timestamp: um.MessageInfo.Timestamp, RefToMessageID: um.MessageInfo.RefToMessageID,
		ConversationID: um.CollaborationInfo.ConversationID, Leg: in.Leg.Name, From: from, To: to,
		FromPartyIDs: um.PartyInfo.From.PartyIDs, ToPartyIDs: um.PartyInfo.To.PartyIDs,
		Service: um.CollaborationInfo.Service, Action: um.CollaborationInfo.Action, AgreementRef: um.CollaborationInfo.AgreementRef,
		Properties: props(um.MessageProperties),
	}
	if in.Security != nil && in.Security.SignerCert != nil {
		h.Signer = in.Security.SignerCert.Subject.String()
	}
	if in.Security != nil && in.Leg.Reliability.NonRepudiation {
		h.NRR = digestsOf(in.Security.SignedInfoReferences)
	}
	return h
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

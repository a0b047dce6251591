package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/exchange"
)

// AS4Peer is an EDMNode reached over AS4: the kit is the partner access
// point of the AS4Target (its credentials and P-Mode), posts the evidence
// requests to the node's AS4 endpoint and checks the receipts, and receives
// the node's messages at its own AS4 endpoint (AS4Target.Listen), unpacked
// under the security policy of their leg (signed and encrypted) and answered
// with signed receipts; a message of an action on another leg than the
// action's is received as an error. The legs of the three actions are
// Legs.
type AS4Peer struct {
	t        *AS4Target
	legs     exchange.Legs
	client   *http.Client
	now      func() time.Time
	receiver *as4.Receiver
	ln       net.Listener
	srv      *http.Server

	mu       sync.Mutex
	received []peerMessage
	seen     map[string]bool // eb:MessageIds received, for duplicate elimination
	headers  map[string]*ap.Header
	wake     chan struct{}
}

// maxHeaders bounds the headers an AS4Peer keeps for Header.
const maxHeaders = 10000

// Header returns the eb:Messaging of a message the peer received from the
// node (nil when none has that id), for the cross-validation of a message
// against its ebMS header.
func (p *AS4Peer) Header(messageID string) *ap.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.headers[messageID]
}

type peerMessage struct {
	m   *exchange.Message
	err error
}

// NewAS4Peer starts the kit's AS4 endpoint on t.Listen. Close stops it.
// legs zero means exchange.DefaultLegs(); client nil a client with a 20 s
// timeout.
func NewAS4Peer(t *AS4Target, legs exchange.Legs, client *http.Client) (*AS4Peer, error) {
	cfg := &Config{AS4: t}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if t.Listen == "" {
		return nil, fmt.Errorf("%w: AS4.Listen is required to receive the answers", ErrConfig)
	}
	cfg.defaults()
	if legs == (exchange.Legs{}) {
		legs = exchange.DefaultLegs()
	}
	if client == nil {
		client = cfg.Client
	}
	p := &AS4Peer{t: t, legs: legs, client: client, now: cfg.Now, wake: make(chan struct{}, 1), seen: map[string]bool{}, headers: map[string]*ap.Header{},
		receiver: &as4.Receiver{PMode: t.PMode, DecryptionKey: t.DecryptionKey, Trust: t.Trust, Domain: "conformance.oots",
			SigningKey: t.SigningKey, SigningCert: t.SigningCert, PartyCertificates: t.partyCertificates}}
	ln, err := net.Listen("tcp", t.Listen)
	if err != nil {
		return nil, fmt.Errorf("conformance: the kit's AS4 endpoint: %w", err)
	}
	p.ln = ln
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serveAS4), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Addr is the address the kit's AS4 endpoint listens on.
func (p *AS4Peer) Addr() string { return p.ln.Addr().String() }

// Close stops the kit's AS4 endpoint.
func (p *AS4Peer) Close() error { return p.srv.Close() }

// Send packs m as the kit's access point would (the leg of its action,
// the OOTS properties, the attachments), posts it to the node and checks
// the node's receipt. It returns the eb:MessageId.
func (p *AS4Peer) Send(ctx context.Context, m *exchange.Message) (string, error) {
	sub, err := m.Submission(p.legs, "")
	if err != nil {
		return "", err
	}
	sub.To = p.t.Node
	out := sub.Outbound(p.t.PMode.Self)
	s := &as4.Sender{PMode: p.t.PMode, SigningKey: p.t.SigningKey, SigningCert: p.t.SigningCert, PeerCert: p.t.NodeEncryptionCert,
		Now: p.now, Domain: "conformance.oots", Client: p.client, Trust: p.t.Trust, PartyCertificates: p.t.partyCertificates}
	d, err := s.Send(ctx, out, p.t.Endpoint)
	var id string
	if d != nil {
		id = d.MessageID
	}
	switch {
	case errors.Is(err, as4.ErrRefused):
		return id, fmt.Errorf("the node refused %s: %w", id, err)
	case err != nil && d != nil && d.Answer != nil:
		return id, fmt.Errorf("the node's answer to %s (HTTP %d) is no valid receipt: %w", id, d.Answer.Status, err)
	case err != nil:
		return id, err
	}
	return id, nil
}

// Next returns the next message the node sent in the conversation.
func (p *AS4Peer) Next(ctx context.Context, conversationID string) (*exchange.Message, error) {
	for {
		p.mu.Lock()
		for i, r := range p.received {
			if r.m != nil && r.m.ConversationID == conversationID {
				p.received = append(p.received[:i], p.received[i+1:]...)
				p.mu.Unlock()
				return r.m, r.err
			}
		}
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-p.wake:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serveAS4 receives the node's messages: verified and decrypted under the
// kit's P-Mode, read as exchange messages, answered with a signed receipt.
func (p *AS4Peer) serveAS4(w http.ResponseWriter, r *http.Request) {
	p.receiver.Serve(w, r, p.accept)
}

// accept records a message of the node as an exchange message.
func (p *AS4Peer) accept(_ context.Context, in *as4.Inbound) error {
	um := in.UserMessage
	rm := &ap.ReceivedMessage{Header: ap.Header{MessageID: um.MessageInfo.MessageID, Timestamp: um.MessageInfo.Timestamp,
		RefToMessageID: um.MessageInfo.RefToMessageID, ConversationID: um.CollaborationInfo.ConversationID, Leg: in.Leg.Name,
		From: p.t.Node, To: p.t.PMode.Self, Service: um.CollaborationInfo.Service, Action: um.CollaborationInfo.Action},
		Received: p.now(), Payloads: []ap.Payload{}}
	for _, pr := range um.MessageProperties {
		rm.Properties = append(rm.Properties, ap.Property{Name: pr.Name, Type: pr.Type, Value: pr.Value})
	}
	for _, pl := range in.Payloads {
		rc, err := pl.Open()
		var data []byte
		if err == nil {
			data, err = io.ReadAll(rc)
			rc.Close()
		}
		if err != nil {
			return err
		}
		rm.Payloads = append(rm.Payloads, ap.Payload{ContentID: pl.ContentID, MimeType: pl.MimeType, CharacterSet: pl.CharacterSet, Data: data})
	}
	m, err := exchange.Incoming(rm)
	if m == nil && err != nil {
		m = &exchange.Message{ConversationID: rm.ConversationID, MessageID: rm.MessageID}
	}
	if err != nil {
		err = fmt.Errorf("the node's message %s is not a valid exchange message: %w", rm.MessageID, err)
	} else if want := p.leg(m.Action()); rm.Leg != want {
		err = fmt.Errorf("the node's message %s (%s) arrived on leg %s, not on %s", rm.MessageID, m.Action(), rm.Leg, want)
	}
	p.mu.Lock()
	if !p.seen[rm.MessageID] {
		p.seen[rm.MessageID] = true
		if len(p.headers) < maxHeaders {
			h := rm.Header
			p.headers[rm.MessageID] = &h
		}
		p.received = append(p.received, peerMessage{m, err})
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// leg is the P-Mode leg of an action (Legs).
func (p *AS4Peer) leg(action string) string {
	switch action {
	case exchange.ActionRequest:
		return p.legs.Request
	case exchange.ActionResponse:
		return p.legs.Response
	}
	return p.legs.Error
}

var _ EDMNode = (*AS4Peer)(nil)

package lcm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/edm"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// AP sends the requests: the Member State's access point.
	AP Sender
	// To is the Common Services party of the P-Mode (cs-lcm-projectathon…).
	// Required.
	To string
	// Legs are the LCM legs; zero: DefaultLegs().
	Legs Legs
	// Properties are the message properties of a request (originalSender
	// and finalRecipient where the leg requires them).
	Properties []ap.Property
	// Timeout bounds the wait for the answer; 0: DefaultTimeout.
	Timeout time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
}

// Client is the Member State side: it submits LCM requests over AS4 and
// reads the answers, which the node's backend hands to Deliver.
type Client struct {
	cfg ClientConfig

	mu      sync.Mutex
	pending map[string]chan answer // by LCM request id
}

type answer struct {
	m    *ap.ReceivedMessage
	body []byte
}

// NewClient returns a Client.
//
// Errors: a sentence naming the missing field.
func NewClient(cfg ClientConfig) (*Client, error) {
	switch {
	case cfg.AP == nil:
		return nil, errors.New("lcm: ClientConfig.AP is required")
	case cfg.To == "":
		return nil, errors.New("lcm: ClientConfig.To is required: the Common Services party")
	}
	if cfg.Legs == (Legs{}) {
		cfg.Legs = DefaultLegs()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, pending: map[string]chan answer{}}, nil
}

// Result is the outcome of one LCM request.
type Result struct {
	// MessageID is the request's eb:MessageId; AnswerID the answer's.
	MessageID, AnswerID string
	// Delivered: the Common Services access point returned a signed
	// receipt of the request, which the access point verified (its NRR
	// digests name what was signed) before it marked it delivered.
	Delivered bool
	// Response is the answer: LCM-SUC, or LCM-ERR with its code.
	Response *edm.RegistryResponse
	// Leg is the leg the answer came on.
	Leg string
}

// Refused returns the LCM error of an answer of failure, nil for success.
func (r *Result) Refused() *edm.Exception {
	if len(r.Response.Exceptions) > 0 {
		return r.Response.Exceptions[0]
	}
	return nil
}

// ErrNoAnswer is returned by Submit when no answer came in time, or the
// access point gave up sending the request.
var ErrNoAnswer = errors.New("lcm: no answer from the Common Services")

// Submit sends one LCM request document (lcm:SubmitObjectsRequest or
// lcm:RemoveObjectsRequest, with its id) to the Common Services party and
// waits for the answer. A refused request is a Result whose Refused is set,
// not an error.
//
// Errors: the access point's error when the request cannot be queued;
// ErrNoAnswer; an error when the answer is not a RegistryResponse about the
// request.
func (c *Client) Submit(ctx context.Context, request []byte) (*Result, error) {
	id := requestID(request)
	if id == "" {
		return nil, errors.New("lcm: the request has no id")
	}
	ch := make(chan answer, 1)
	c.mu.Lock()
	if _, busy := c.pending[id]; busy {
		c.mu.Unlock()
		return nil, fmt.Errorf("lcm: request %s is already waiting for its answer", id)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	st, _, err := c.cfg.AP.Submit(ctx, &ap.Submission{Leg: c.cfg.Legs.Request, To: c.cfg.To, Properties: c.cfg.Properties,
		Payloads: []ap.Payload{{MimeType: MimeType, Data: request}}})
	if err != nil {
		return nil, fmt.Errorf("lcm: submitting the request: %w", err)
	}
	res := &Result{MessageID: st.MessageID}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for res.Response == nil || !res.Delivered {
		select {
		case a := <-ch:
			if a.m.RefToMessageID != "" && a.m.RefToMessageID != st.MessageID {
				return nil, fmt.Errorf("lcm: the answer %s refers to %s, not to the request %s", a.m.MessageID, a.m.RefToMessageID, st.MessageID)
			}
			msg, _, err := edm.ParseBytes(a.body)
			if err != nil {
				return nil, fmt.Errorf("lcm: reading the answer %s: %w", a.m.MessageID, err)
			}
			rr, ok := msg.(*edm.RegistryResponse)
			if !ok {
				return nil, fmt.Errorf("lcm: the answer %s is a %s, not a RegistryResponse", a.m.MessageID, msg.Kind())
			}
			res.Response, res.AnswerID, res.Leg = rr, a.m.MessageID, a.m.Leg
		case <-tick.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: request %s (message %s): %w", ErrNoAnswer, id, st.MessageID, ctx.Err())
		}
		if !res.Delivered {
			s, err := c.cfg.AP.Status(ctx, st.MessageID)
			if err == nil {
				res.Delivered = s.State == apstore.OutDelivered
				if s.State == apstore.OutFailed {
					return nil, fmt.Errorf("%w: the access point gave up sending request %s: %s", ErrNoAnswer, id, s.LastError)
				}
			}
		}
	}
	return res, nil
}

// Deliver takes an answer of the Common Services that the access point
// received (Is tells LCM messages apart) to the Submit waiting for it.
//
// Errors: ErrNotLCM for a message of another action; an error for an
// answer no Submit waits for (the node keeps it in its inbox).
func (c *Client) Deliver(_ context.Context, m *ap.ReceivedMessage) error {
	if m.Service.Value != Service || (m.Action != ActionResponse && m.Action != ActionError) {
		return fmt.Errorf("%w: service %q action %q", ErrNotLCM, m.Service.Value, m.Action)
	}
	body, err := payload(m, 16<<20)
	if err != nil {
		return fmt.Errorf("lcm: answer %s: %w", m.MessageID, err)
	}
	msg, _, err := edm.ParseBytes(body)
	if err != nil {
		return fmt.Errorf("lcm: answer %s: %w", m.MessageID, err)
	}
	rr, ok := msg.(*edm.RegistryResponse)
	if !ok {
		return fmt.Errorf("lcm: answer %s is a %s", m.MessageID, msg.Kind())
	}
	c.mu.Lock()
	ch := c.pending[rr.RequestID]
	c.mu.Unlock()
	if ch == nil {
		c.cfg.Logger.Info("LCM answer for no pending request", "messageId", m.MessageID, "requestId", rr.RequestID)
		return nil
	}
	select {
	case ch <- answer{m: m, body: body}:
	default:
	}
	return nil
}

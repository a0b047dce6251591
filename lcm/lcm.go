// Package lcm carries the LCM requests of the OOTS Common Services over
// eDelivery AS4, as the Commission's Common Services receive them
// (SPEC.md §3.5, §4.1; the Projectathon P-Modes): a Member State's access
// point submits an lcm:SubmitObjectsRequest (or lcm:RemoveObjectsRequest)
// to a Common Services party (cs-lcm-projectathon, cs-lcm-sandbox, or the
// demo's) on the leg lcmRequestLeg — Service LifecycleManager (type
// urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0), Action
// SubmitObjectsRequest — and the Common Services answer with a second
// one-way push: the rs:RegistryResponse of success on lcmResponseLeg
// (Action SubmitObjectsResponse) or of failure, with its LCM:ERR code, on
// lcmErrorLeg (Action ExceptionResponse), with eb:RefToMessageId naming the
// request.
//
//	Member State AP                      Common Services AP
//	  Client.Submit ── lcmRequestLeg ──▶  Server.Deliver
//	                ◀── signed Receipt ──   (csregistry.SubmitXMLAs:
//	                                         authority, versions, integrity)
//	  Client.Deliver ◀─ lcmResponseLeg ──   LCM-SUC
//	                 ◀─ lcmErrorLeg ─────   LCM-ERR (LCM:ERR:0001…0003)
//	                ── signed Receipt ──▶
//
// Both sides run on the access point of package ap (its P-Mode, security,
// reliability, receipts and retries); Server and Client are ap.Backend
// parts that the node's backend hands LCM messages to (Is tells them
// apart). The Server answers a request from a party it does not know with
// LCM:ERR:0001 and applies the request as csregistry.Submitter of the
// Member State the party speaks for (Config.Parties), so a party changes
// only its own Member State's objects.
//
// Not implemented: the LCM legs of the 2.0 P-Modes are taken as the
// Projectathon ones show them; TDD 3.6's addressing of the LCM party by
// dynamic discovery is not (the Common Services party is static in the
// P-Mode).
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package lcm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/xmltree"
)

// The LCM collaboration of the OOTS P-Modes.
const (
	Service        = as4.OOTSLifecycle   // LifecycleManager
	ServiceType    = as4.OOTSServiceType // urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0
	ActionSubmit   = "SubmitObjectsRequest"
	ActionResponse = "SubmitObjectsResponse"
	ActionError    = "ExceptionResponse"
	// MimeType is the MIME type of the RegRep payload.
	MimeType = "application/x-ebrs+xml"
)

// Legs names the P-Mode legs of the LCM exchange.
type Legs struct{ Request, Response, Error string }

// DefaultLegs returns the leg names of the Projectathon P-Modes.
func DefaultLegs() Legs {
	return Legs{Request: "lcmRequestLeg", Response: "lcmResponseLeg", Error: "lcmErrorLeg"}
}

// PModeLegs returns the three LCM legs made from template (its parties,
// security, reliability, properties…), with the LCM service and actions
// and the names of legs.
func PModeLegs(template pmode.Leg, legs Legs) []pmode.Leg {
	out := make([]pmode.Leg, 3)
	for i, l := range [][2]string{{legs.Request, ActionSubmit}, {legs.Response, ActionResponse}, {legs.Error, ActionError}} {
		leg := template
		leg.Name, leg.Action = l[0], l[1]
		leg.Service = pmode.Service{Value: Service, Type: ServiceType}
		out[i] = leg
	}
	return out
}

// Is tells whether a received message is of the LCM service.
func Is(m *ap.ReceivedMessage) bool { return m.Service.Value == Service }

// Sender is what the LCM parts need of an access point (ap.Node).
type Sender interface {
	Submit(ctx context.Context, s *ap.Submission) (*ap.Status, bool, error)
	Status(ctx context.Context, id string) (*ap.Status, error)
}

var _ Sender = (*ap.Node)(nil)

// ErrNotLCM is returned by Deliver for a message of another service or
// action, or without the RegRep payload.
var ErrNotLCM = errors.New("lcm: not an LCM message")

// payload returns the RegRep payload of m, at most max bytes.
func payload(m *ap.ReceivedMessage, max int64) ([]byte, error) {
	for _, p := range m.Payloads {
		if p.MimeType != MimeType && len(m.Payloads) > 1 {
			continue
		}
		if p.Data != nil && int64(len(p.Data)) >= p.Size {
			if int64(len(p.Data)) > max {
				return nil, fmt.Errorf("payload larger than %d bytes", max)
			}
			return p.Data, nil
		}
		if p.Open == nil {
			return p.Data, nil
		}
		rc, err := p.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, max+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > max {
			return nil, fmt.Errorf("payload larger than %d bytes", max)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: no %s payload", ErrNotLCM, MimeType)
}

// swap returns the message properties of an answer: originalSender and
// finalRecipient exchanged, the others kept.
func swap(ps []ap.Property) []ap.Property {
	out := make([]ap.Property, 0, len(ps))
	for _, p := range ps {
		switch p.Name {
		case "originalSender":
			p.Name = "finalRecipient"
		case "finalRecipient":
			p.Name = "originalSender"
		}
		out = append(out, p)
	}
	return out
}

// ServerConfig configures a Server.
type ServerConfig struct {
	// Registry receives the requests.
	Registry *csregistry.Registry
	// AP sends the answers.
	AP Sender
	// Parties maps each P-Mode party that may submit to the Member State
	// (ISO 3166-1 alpha-2) whose objects it changes. A party not listed
	// is answered LCM:ERR:0001. Required.
	Parties map[string]string
	// Legs are the LCM legs; zero: DefaultLegs().
	Legs Legs
	// MaxRequest bounds a request's payload; 0: csregistry.MaxRequest.
	MaxRequest int64
	// Logger receives the precise cause of every refused request; nil
	// discards.
	Logger *slog.Logger
}

// Server is the Common Services side: an ap.Backend for the LCM requests
// the access point receives.
type Server struct{ cfg ServerConfig }

// NewServer returns a Server.
//
// Errors: a sentence naming the missing field.
func NewServer(cfg ServerConfig) (*Server, error) {
	switch {
	case cfg.Registry == nil:
		return nil, errors.New("lcm: ServerConfig.Registry is required")
	case cfg.AP == nil:
		return nil, errors.New("lcm: ServerConfig.AP is required")
	case len(cfg.Parties) == 0:
		return nil, errors.New("lcm: ServerConfig.Parties is empty: no party could submit")
	}
	if cfg.Legs == (Legs{}) {
		cfg.Legs = DefaultLegs()
	}
	if cfg.MaxRequest <= 0 {
		cfg.MaxRequest = csregistry.MaxRequest
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg}, nil
}

// Deliver applies one LCM request and queues its answer to the sender: on
// the response leg for success, on the error leg with the LCM:ERR code
// otherwise. The answer's submission is keyed on the request's message id,
// so a request delivered again is answered once.
//
// Errors: ErrNotLCM for a message that is not an LCM request (nothing is
// answered); csregistry.ErrStore when the registry could not store the
// change, and the access point's error when the answer cannot be queued
// (in both cases the node delivers the request again).
func (s *Server) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	if m.Service.Value != Service || m.Action != ActionSubmit {
		return fmt.Errorf("%w: service %q action %q", ErrNotLCM, m.Service.Value, m.Action)
	}
	log := s.cfg.Logger.With("messageId", m.MessageID, "party", m.From)
	var resp *edm.RegistryResponse
	cc, ok := s.cfg.Parties[m.From]
	body, err := payload(m, s.cfg.MaxRequest)
	switch {
	case !ok:
		e := edm.NewError(edm.LCMErr0001, "party "+m.From+" may not submit to the registry")
		resp, err = edm.NewRegistryResponse(requestID(body), e.Exception()), e
	case err != nil:
		e := &edm.Error{Code: edm.LCMErr0001, Detail: "the request cannot be read", Err: err}
		resp, err = edm.NewRegistryResponse("", e.Exception()), e
	default:
		resp, err = s.cfg.Registry.SubmitXMLAs(ctx, csregistry.Submitter{Party: m.From, Country: cc}, body)
		if errors.Is(err, csregistry.ErrStore) {
			// Nothing was applied, for a reason of ours: the access point
			// delivers the request again later rather than answer it.
			log.Error("LCM request not stored", "cause", err)
			return fmt.Errorf("lcm: %w", err)
		}
	}
	leg := s.cfg.Legs.Response
	if err != nil {
		leg = s.cfg.Legs.Error
		log.Info("LCM request refused", "cause", err)
	} else {
		log.Info("LCM request applied", "requestId", resp.RequestID)
	}
	out, err := resp.Marshal()
	if err != nil {
		return fmt.Errorf("lcm: writing the answer: %w", err)
	}
	_, _, err = s.cfg.AP.Submit(ctx, &ap.Submission{
		ClientKey: "lcm-answer:" + m.MessageID, Leg: leg, To: m.From,
		ConversationID: m.ConversationID, RefToMessageID: m.MessageID, Properties: swap(m.Properties),
		Payloads: []ap.Payload{{MimeType: MimeType, Data: out}},
	})
	if err != nil {
		return fmt.Errorf("lcm: queueing the answer: %w", err)
	}
	return nil
}

// requestID returns the id attribute of a request document, "" when it
// cannot be read.
func requestID(body []byte) string {
	doc, err := xmltree.ParseBytes(body, ptr(edm.Limits()))
	if err != nil {
		return ""
	}
	id, _ := doc.Root.AttrValue("", "id")
	return id
}

func ptr[T any](v T) *T { return &v }

// DefaultTimeout is how long Client.Submit waits for the answer by
// default.
const DefaultTimeout = 2 * time.Minute

package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
)

// EDMNode is a node under test at the level of the evidence exchange, as
// its partner Member State sees it: the kit plays the evidence requester
// (C1/C2) of another Member State and the node answers as the evidence
// provider's side (C3/C4). An implementation carries the messages over the
// node's public interfaces, typically AS4 through the kit's own access
// point.
type EDMNode interface {
	// Send delivers one message of the kit to the node and returns its
	// eb:MessageId.
	Send(ctx context.Context, m *exchange.Message) (messageID string, err error)
	// Next returns the next message the node sent to the kit in the
	// conversation, waiting until one arrives or ctx ends. Document holds
	// the RegRep document as received, for validation.
	Next(ctx context.Context, conversationID string) (*exchange.Message, error)
}

// Decision is what the user does at the preview space.
type Decision string

// The decisions of a preview scenario.
const (
	// Approve: the user approves the exchange of the evidence.
	Approve Decision = "approve"
	// Refuse: the user refuses it.
	Refuse Decision = "refuse"
	// LogInOnly: the user logs in and decides nothing (TC09: another
	// person than the subject, who must not see the evidence).
	LogInOnly Decision = "none"
)

// PreviewUser plays the user at the evidence provider's preview space
// (TC06–TC09): it logs in at the PreviewLocation of an EDM:ERR:0002 answer
// as the person whose identifier is as (an eIDAS identifier such as
// "DE/FR/3f8a2c61d9", or a company's), and records the decision, returning
// when it is recorded. With LogInOnly it returns once logged in, with an
// error if the evidence was shown.
type PreviewUser interface {
	Decide(ctx context.Context, previewLocation, as string, d Decision) error
}

// Expect is the answer a scenario expects to its (last) request.
type Expect struct {
	// Code is the EDM error code of an expected error response ("" for an
	// evidence response).
	Code edm.ErrorCode
	// Attachments lists MIME types the evidence response must carry, each
	// at least once (TC10: the human-readable version, e.g.
	// application/pdf).
	Attachments []string
}

// Scenario is one evidence exchange scenario (a Projectathon test case).
type Scenario struct {
	// ID (TC01…TC10) and Name say what is tested.
	ID, Name string
	// Requests are the first requests of the scenario, each in its own
	// exchange of one conversation (two for the cases with two evidence
	// providers); the kit fills in ConversationID, ExchangeID.
	Requests []*exchange.Message
	// Preview: each first request must be answered EDM:ERR:0002 with a
	// PreviewLocation; the kit lets the PreviewUser log in as PreviewAs
	// (default: the subject of the request) and decide (Decision, default
	// Refuse), then sends the request again with the PreviewLocation (and,
	// in 2.0, ReturnLocation).
	Preview   bool
	Decision  Decision
	PreviewAs string
	// ReturnLocation is the requester's return URL of a 2.0 second
	// request.
	ReturnLocation string
	// Want is the expected final answer to each request.
	Want Expect
	// Timeout bounds the wait for each answer; default that of the target.
	Timeout time.Duration
}

// EDMTarget is the node under test at the evidence exchange level.
type EDMTarget struct {
	// Name describes the node in the report.
	Name string
	Node EDMNode
	// User plays the user at preview spaces; required by scenarios with
	// Preview.
	User      PreviewUser
	Scenarios []Scenario
	// Timeout bounds the wait for one answer; default 10 s.
	Timeout time.Duration
}

// edmKit runs the edm suite.
type edmKit struct {
	cfg *Config
	t   *EDMTarget
}

func (k *edmKit) cases(run func(Suite, string, string, func(context.Context, *Case))) {
	for i := range k.t.Scenarios {
		sc := &k.t.Scenarios[i]
		run(SuiteEDM, sc.ID, sc.Name, func(ctx context.Context, c *Case) { k.scenario(ctx, c, sc) })
	}
}

func (k *edmKit) scenario(ctx context.Context, c *Case, sc *Scenario) {
	timeout := sc.Timeout
	if timeout == 0 {
		timeout = k.t.Timeout
	}
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	if len(sc.Requests) == 0 {
		c.fail("the scenario has no request")
		return
	}
	if sc.Preview && k.t.User == nil {
		c.skip("the scenario needs a preview user and none is configured")
		return
	}
	conversation, ok := newUUID(c, k.cfg.Rand)
	if !ok {
		return
	}
	for i, tmpl := range sc.Requests {
		if tmpl.Request == nil {
			c.fail("request %d of the scenario has no evidence request", i+1)
			return
		}
		m := *tmpl
		q := *tmpl.Request
		m.Request, m.ConversationID = &q, conversation
		if q.Specification.Is2() {
			if m.ExchangeID, ok = newUUID(c, k.cfg.Rand); !ok {
				return
			}
		}
		id, ok := newUUID(c, k.cfg.Rand)
		if !ok {
			return
		}
		q.ID = uuid.URNPrefix + id
		q.IssueDateTime = k.cfg.Now().UTC().Format("2006-01-02T15:04:05Z")
		answer, ok := k.exchange(ctx, c, &m, timeout)
		if !ok {
			return
		}
		if sc.Preview {
			loc, ok := previewLocation(c, answer)
			if !ok {
				return
			}
			first, between := m, answer
			d, as := sc.Decision, sc.PreviewAs
			if d == "" {
				d = Refuse
			}
			if as == "" {
				as = subjectID(&q)
			}
			c.sent("the preview user logs in as %s at %s and decides: %s", as, loc, d)
			if err := k.t.User.Decide(ctx, loc, as, d); err != nil {
				c.fail("the preview at %s: %v", loc, err)
				return
			}
			second := m
			q2 := q
			id2, ok := newUUID(c, k.cfg.Rand)
			if !ok {
				return
			}
			q2.ID = uuid.URNPrefix + id2
			q2.PreviewLocation = loc
			if q2.Specification.Is2() {
				q2.ReturnLocation = sc.ReturnLocation
			}
			second.Request = &q2
			if answer, ok = k.exchange(ctx, c, &second, timeout); !ok {
				return
			}
			k.cfg.pairs.add(&Pair{Kind: PairPreview, Case: c.ID, Request: &first, Answer: between, Second: &second})
		}
		k.expect(c, answer, sc.Want)
	}
}

// exchange sends one request and returns its answer after the checks every
// answer must pass: it refers to the request, stays in the conversation
// (and exchange), swaps originalSender and finalRecipient, and is a valid
// EDM message.
func (k *edmKit) exchange(ctx context.Context, c *Case, m *exchange.Message, timeout time.Duration) (*exchange.Message, bool) {
	id, err := k.t.Node.Send(ctx, m)
	m.MessageID = id
	c.sent("eb:MessageId %s, conversation %s, exchange %s, from %s to %s\n%s", id, m.ConversationID, m.ExchangeID,
		m.OriginalSender.Value, m.FinalRecipient.Value, m.Document)
	if err != nil {
		c.fail("sending the request: %v", err)
		return nil, false
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	a, err := k.t.Node.Next(wctx, m.ConversationID)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			c.fail("no answer to %s within %s", id, timeout)
		} else {
			c.fail("receiving the answer to %s: %v", id, err)
		}
		return nil, false
	}
	c.got("eb:MessageId %s, refers to %s, conversation %s, exchange %s, from %s to %s, %d attachment(s)\n%s", a.MessageID, a.RefToMessageID,
		a.ConversationID, a.ExchangeID, a.OriginalSender.Value, a.FinalRecipient.Value, len(a.Attachments), a.Document)
	kind, version, findings := ValidateWith(k.cfg.Rules, a.Document)
	c.validated(fmt.Sprintf("the answer (%s %s)", kind, version), findings)
	if a.RefToMessageID != id {
		c.fail("the answer refers to eb:MessageId %q, not to the request %s", a.RefToMessageID, id)
	}
	if m.ExchangeID != "" && a.ExchangeID != m.ExchangeID {
		c.fail("the answer has ExchangeId %q, the request %q", a.ExchangeID, m.ExchangeID)
	}
	if a.OriginalSender.Value != m.FinalRecipient.Value || a.FinalRecipient.Value != m.OriginalSender.Value {
		c.fail("the answer goes from %q to %q: originalSender and finalRecipient of the request (%q, %q) are not swapped",
			a.OriginalSender.Value, a.FinalRecipient.Value, m.OriginalSender.Value, m.FinalRecipient.Value)
	}
	switch {
	case a.Response != nil && a.Response.RequestID != m.Request.ID:
		c.fail("the response's RequestID %q is not the request's id %s", a.Response.RequestID, m.Request.ID)
	case a.Error != nil && a.Error.RequestID != m.Request.ID:
		c.fail("the error response's RequestID %q is not the request's id %s", a.Error.RequestID, m.Request.ID)
	case a.Response == nil && a.Error == nil:
		c.fail("the answer is neither an evidence response nor an error response")
		return nil, false
	}
	k.cfg.pairs.answered(c.ID, m, a, headersOf(k.t.Node))
	return a, true
}

// subjectID is the identifier of the subject of a request: the natural
// person's, else the legal person's.
func subjectID(q *edm.QueryRequest) string {
	switch {
	case q.NaturalPerson != nil && q.NaturalPerson.Identifier != nil:
		return q.NaturalPerson.Identifier.Value
	case q.LegalPerson != nil && q.LegalPerson.LegalPersonIdentifier != nil:
		return q.LegalPerson.LegalPersonIdentifier.Value
	}
	return ""
}

func firstException(a *exchange.Message) *edm.Exception {
	if a.Error == nil || len(a.Error.Exceptions) == 0 {
		return nil
	}
	return a.Error.Exceptions[0]
}

func previewLocation(c *Case, a *exchange.Message) (string, bool) {
	x := firstException(a)
	if x == nil || x.Code != edm.EDMErr0002 || x.PreviewLocation == "" {
		c.fail("expected EDM:ERR:0002 with a PreviewLocation, got %s", describe(a))
		return "", false
	}
	if !strings.HasPrefix(x.PreviewLocation, "https://") {
		c.fail("the PreviewLocation %q is not an https URL", x.PreviewLocation)
	}
	return x.PreviewLocation, true
}

func describe(a *exchange.Message) string {
	if x := firstException(a); x != nil {
		return fmt.Sprintf("%s (%s)", x.Code, x.Detail)
	}
	if a.Response != nil {
		return "an evidence response"
	}
	return "no answer"
}

func (k *edmKit) expect(c *Case, a *exchange.Message, want Expect) {
	if want.Code != "" {
		if x := firstException(a); x == nil || x.Code != want.Code {
			c.fail("expected %s, got %s", want.Code, describe(a))
		}
		return
	}
	if a.Response == nil {
		c.fail("expected an evidence response, got %s", describe(a))
		return
	}
	for _, mt := range want.Attachments {
		found := false
		for _, at := range a.Attachments {
			found = found || at.MimeType == mt
		}
		if !found {
			c.fail("the evidence response carries no %s attachment", mt)
		}
	}
}

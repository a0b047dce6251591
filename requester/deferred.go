package requester

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
)

// Deferred responses (SPEC.md §2.3, slot ResponseAvailableDateTime): the
// provider holds the evidence but can only send it from a later time
// (handling, payment, digitisation). The requirement waits in StepDeferred
// with Exchange.AvailableAt; at that time Sweep sends a new evidence request
// for the same evidence by itself: same content, a new id (a name-based
// UUID of the exchange and the deferral's number, so that a repeated sweep
// rebuilds the same message, which the access point recognises by its
// client key), in 2.0 the same ExchangeId, in the same conversation. Its
// answer is handled as the answer to a first request (evidence, preview,
// error, or another deferral). The schedule is the journey's next_check in
// the database: it survives a restart.
//
// Bounds (Config.MaxDeferral, Config.MaxDeferrals): a time further than
// MaxDeferral ahead, or more than MaxDeferrals deferrals of one exchange in
// a row, fail the requirement (CodeDeferredTooLong, CodeDeferredTooOften);
// a time already past is asked again at the next sweep (and counts as a
// deferral). The journey's Deadline is moved to leave a whole exchange
// (T1+T2+T3) after the time.

// Failure codes of deferred responses.
const (
	// CodeDeferredTooLong: the provider would have the evidence only
	// later than Config.MaxDeferral from now.
	CodeDeferredTooLong = "requester:deferred-too-long"
	// CodeDeferredTooOften: the provider deferred the evidence more than
	// Config.MaxDeferrals times in a row.
	CodeDeferredTooOften = "requester:deferred-too-often"
	// CodeBadDeferral: the ResponseAvailableDateTime is no xsd:dateTime.
	CodeBadDeferral = "requester:bad-deferral"
)

// Events of deferred responses (journal).
const (
	EventDeferred = "response.deferred" // the provider answered ResponseAvailableDateTime
	EventAskAgain = "request.resent"    // the request sent again at that time
)

// Defaults of the bounds on deferred responses.
const (
	DefaultMaxDeferral  = 30 * 24 * time.Hour
	DefaultMaxDeferrals = 3
)

// deferred applies a deferred response to requirement i of j.
func (c *Connector) deferred(j *journeyState, i int, r *edm.QueryResponse) (event, detail string, err error) {
	pub := j.Journey.Requirements[i]
	now := c.cfg.Now().UTC()
	fail := func(code edm.ErrorCode, msg, detail string) (string, string, error) {
		pub.Step, pub.Exchange.Error = StepFailed, failureOf(&edm.Error{Code: code, Message: msg, Detail: detail})
		j.settle()
		return journal.EventError, string(code), nil
	}
	at, err := r.AvailableAt()
	if err != nil {
		return fail(CodeBadDeferral, "The provider's answer says the evidence will be available later but not when", err.Error())
	}
	at = at.UTC()
	n := pub.Exchange.Deferrals + 1
	switch {
	case n > c.cfg.MaxDeferrals:
		return fail(CodeDeferredTooOften, "The provider deferred the evidence too often",
			fmt.Sprintf("deferred %d times in a row, the last time until %s; the connector allows %d", n, at.Format(time.RFC3339), c.cfg.MaxDeferrals))
	case at.After(now.Add(c.cfg.MaxDeferral)):
		return fail(CodeDeferredTooLong, "The provider will only have the evidence too late",
			fmt.Sprintf("available at %s, more than %s from now", at.Format(time.RFC3339), c.cfg.MaxDeferral))
	}
	detail = "available at " + at.Format(time.RFC3339)
	if at.Before(now) {
		detail += " (already past: asked again at once)"
		at = now
	}
	pub.Step = StepDeferred
	pub.Exchange.AvailableAt = &at
	pub.Exchange.Deferrals = n
	pub.Exchange.PreviewURL = ""
	pub.Exchange.Deadline = at
	if end := at.Add(c.cfg.T1 + c.cfg.T2 + c.cfg.T3 + 2*Slack); j.Journey.Deadline.Before(end) {
		j.Journey.Deadline = end
	}
	return EventDeferred, detail, nil
}

// askAgain sends the request of a deferred requirement again (its time has
// come): a new first request for the same evidence.
func (c *Connector) askAgain(ctx context.Context, j *journeyState, i int) (requestRow, error) {
	pub, st := j.Journey.Requirements[i], j.Reqs[i]
	exchangeID := ""
	if edm.Version(pub.Exchange.Version).Is2() {
		exchangeID = pub.Exchange.ID
	}
	out, err := c.build(j, i, uuid.Name(requestNS, "deferred-request:"+j.Journey.ID+":"+pub.Exchange.ID+":"+strconv.Itoa(pub.Exchange.Deferrals)).String(), exchangeID, "", "")
	if err != nil {
		return requestRow{}, err
	}
	reqID := out.msg.Request.ID
	key := "requester:" + reqID
	// Named before it is handed over (a MessageNamer), the request is
	// journaled first, once however often the sweep's transaction runs:
	// its answer and its receipt follow it.
	// Refused, it is asked again at the next sweep, and journaled again.
	named := c.messageIDFor(key)
	s, err := c.handOver(ctx, j, i, out, key, named, "the request asked again", func() {
		c.journalOnce(ctx, c.entry(j, i, EventAskAgain, named, "deferral "+strconv.Itoa(pub.Exchange.Deferrals)))
	})
	if err != nil {
		return requestRow{}, fmt.Errorf("%w: sending the request again: %w", ErrUnavailable, err)
	}
	now := c.cfg.Now().UTC()
	st.First = &sent{ID: reqID, MessageID: s.MessageID, ClientKey: key, At: now}
	st.Second, st.PreviewLocation = nil, ""
	pub.Step = StepWaiting
	pub.Exchange.RequestID = reqID
	pub.Exchange.Version = string(out.version)
	pub.Exchange.Previewed = false
	pub.Exchange.Sent = now
	pub.Exchange.Deadline = now.Add(c.cfg.T1 + Slack)
	return requestRow{RequestID: reqID, MessageID: s.MessageID, Index: i}, nil
}

package provider

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
)

// Deferral is a data service's answer "the evidence exists but is not ready
// yet": the connector answers the request with a QueryResponse whose slot
// ResponseAvailableDateTime is AvailableAt and that carries no evidence
// (SPEC.md §2.3). The requester asks again, with a new request, from
// AvailableAt on; the data service then answers with the documents (or
// defers again).
//
// The testing subgroup's guidance is followed: a deferral is for evidence
// that exists and needs handling, payment or digitisation before it can be
// sent, and the subject must be identified (the match names its register
// key). A register in maintenance or unavailable is an error of the data
// service (EDM:ERR:0008), never a deferral.
type Deferral struct {
	// AvailableAt is when the evidence can be asked for again; it must be
	// in the future when the connector answers.
	AvailableAt time.Time `json:"availableAt"`
	// Reason is why the evidence is not ready (journalled and logged; the
	// EDM has no slot for it).
	Reason DeferralReason `json:"reason"`
}

// DeferralReason is why an evidence is deferred.
type DeferralReason string

// The reasons a data service may defer an evidence.
const (
	DeferHandling     DeferralReason = "handling"     // a clerk must prepare or sign it
	DeferPayment      DeferralReason = "payment"      // a fee must be paid first
	DeferDigitisation DeferralReason = "digitisation" // it exists on paper only
)

func (r DeferralReason) valid() bool {
	switch r {
	case DeferHandling, DeferPayment, DeferDigitisation:
		return true
	}
	return false
}

// errBadDeferral: the data service deferred an evidence in a way the
// connector cannot answer (no time, an unknown reason, documents with it):
// the data service's defect, answered EDM:ERR:0008.
var errBadDeferral = errors.New("provider: data service answer: bad deferral")

// check is the rule of a data service's answer: a deferral names a time and
// one of the reasons, and comes without documents.
func (d *Deferral) check() error {
	switch {
	case d.AvailableAt.IsZero():
		return fmt.Errorf("%w: no availableAt", errBadDeferral)
	case !d.Reason.valid():
		return fmt.Errorf("%w: reason %q is not handling, payment or digitisation", errBadDeferral, d.Reason)
	}
	return nil
}

// deferred answers a request whose evidence the data service deferred: the
// evidence response with ResponseAvailableDateTime and no evidence, without
// a preview (there is nothing to see yet). A deferral to a time that is not
// in the future is the data service's defect and is answered EDM:ERR:0008:
// a requester would only ask again at once.
func (c *Connector) deferred(m *exchange.Message, auth *Authority, d *Deferral, now time.Time) (*answer, error) {
	req := m.Request
	if !d.AvailableAt.After(now) {
		c.log.Error("data service deferral refused", logProvider, auth.Agent.Identifier.Value, logMsg, m.MessageID,
			logErr, fmt.Sprintf("availableAt %s is not after now", d.AvailableAt.UTC().Format(time.RFC3339)))
		return c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0008, "the evidence provider's register could not say when the evidence will be available"), now)
	}
	id, err := uuid.New(c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	resp := edm.NewDeferredResponse(req, id, now, d.AvailableAt)
	ep := auth.Agent
	ep.Classification = "EP"
	resp.EvidenceProvider = []edm.Agent{ep}
	c.log.Info("evidence deferred", logMsg, m.MessageID, logConv, m.ConversationID, "reason", string(d.Reason), "available_at", resp.ResponseAvailableDateTime)
	a := c.reply(m, resp)
	a.rec.Outcome = OutcomeDeferred + string(d.Reason) + " " + resp.ResponseAvailableDateTime
	return a, nil
}

// OutcomeDeferred begins the journal outcome of a deferred answer, followed
// by the reason and ResponseAvailableDateTime ("deferred:payment
// 2026-08-07T09:30:00.000Z").
const OutcomeDeferred = "deferred:"

// Pending makes an evidence of a Records register not ready for a while:
// from the first query for it on, the register answers a Deferral until
// For has passed, then the documents. It is how the demo shows deferred
// responses; it is safe for concurrent use and shared by copies of its
// record.
type Pending struct {
	Reason DeferralReason
	For    time.Duration

	mu    sync.Mutex
	since time.Time
}

// deferral returns the deferral in force at now, or nil when the evidence
// is ready.
func (p *Pending) deferral(now time.Time) *Deferral {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.since.IsZero() {
		p.since = now
	}
	at := p.since.Add(p.For)
	if !now.Before(at) {
		return nil
	}
	return &Deferral{AvailableAt: at, Reason: p.Reason}
}

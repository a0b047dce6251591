package conformance

import (
	"context"
	"fmt"
	"sync"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/exchange"
)

// pairLog collects the message pairs of a run for the cross-validation.
type pairLog struct {
	on    bool
	mu    sync.Mutex
	pairs []*Pair
}

// maxPairs bounds what a run keeps: far more than the suites exchange.
const maxPairs = 1000

func (l *pairLog) add(p *Pair) {
	if l == nil || !l.on {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pairs) < maxPairs {
		l.pairs = append(l.pairs, p)
	}
}

func (l *pairLog) all() []*Pair {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Pair(nil), l.pairs...)
}

// answered records a request and its answer (response or error pair) and
// the header pair of each message whose eb:Messaging the kit received.
func (l *pairLog) answered(caseID string, req, answer *exchange.Message, headers headerSource) {
	kind := PairResponse
	if answer.Response == nil {
		kind = PairError
	}
	l.add(&Pair{Kind: kind, Case: caseID, Request: req, Answer: answer})
	l.headerOf(caseID, req, headers)
	l.headerOf(caseID, answer, headers)
}

// headerOf records the header pair of m when its eb:Messaging is known
// (a message the kit received).
func (l *pairLog) headerOf(caseID string, m *exchange.Message, headers headerSource) {
	if headers == nil || m == nil || m.MessageID == "" {
		return
	}
	if h := headers.Header(m.MessageID); h != nil {
		l.add(&Pair{Kind: PairHeader, Case: caseID, Request: m, Header: h})
	}
}

// headerSource gives the eb:Messaging of a message the kit received
// (AS4Peer.Header).
type headerSource interface {
	Header(messageID string) *ap.Header
}

// headersOf returns n's headers when it keeps them.
func headersOf(n any) headerSource {
	h, _ := n.(headerSource)
	return h
}

// crossValidationCases adds a case per pair: the checks of its kind, failed
// when one does not hold.
func crossValidationCases(pairs []*Pair, run func(Suite, string, string, func(context.Context, *Case))) {
	if len(pairs) == 0 {
		run(SuiteCrossValidation, "XV", "cross-validation of the message pairs of the run", func(_ context.Context, c *Case) {
			c.skip("no message pair was exchanged: the cross-validation needs the edm or the edm-requester suite")
		})
		return
	}
	seq := map[string]int{}
	for _, p := range pairs {
		seq[p.Case]++
		id := fmt.Sprintf("XV-%s-%d", p.Case, seq[p.Case])
		run(SuiteCrossValidation, id, fmt.Sprintf("%s of case %s: %s", p.Kind, p.Case, describePair(p)), func(_ context.Context, c *Case) {
			for _, r := range CrossValidate(p) {
				if r.Problem != "" {
					c.fail("%s (%s): %s", r.ID, r.Text, r.Problem)
				} else {
					c.got("%s holds: %s", r.ID, r.Text)
				}
			}
		})
	}
}

func describePair(p *Pair) string {
	id := func(m *exchange.Message) string {
		if m == nil {
			return "?"
		}
		if m.MessageID != "" {
			return m.MessageID
		}
		return "(no eb:MessageId)"
	}
	switch p.Kind {
	case PairHeader:
		return id(p.Request)
	case PairPreview:
		return id(p.Second) + " after " + id(p.Request)
	}
	return id(p.Answer) + " to " + id(p.Request)
}

// Package nodewire is the in-process wiring of a national node: the
// access point's backend (ap.Config.Backend) that hands each received
// message to the component it is for, the partners' signed receipts to the
// audit journal and the access point's send failures to the requester.
// `oots serve` uses it; it is composition, not a supported API.
package nodewire

import (
	"context"
	"fmt"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/lcm"
)

// Dispatch is the in-process backend of a node's access point: evidence
// requests (exchange.ActionRequest, service as4.OOTSQueryManager) go to Provider, evidence responses and
// errors (exchange.ActionResponse, exchange.ActionError) to Requester, LCM
// answers (lcm.Is) to LCM. An ebMS test message, a message for a component
// that is nil, or of any other service, goes to Other when it is set (an
// ebMS test message never does); otherwise Deliver answers ap.ErrNotForBackend, so
// that the access point pushes it to its webhook, or, without one, keeps
// it in its inbox (GET /api/v1/inbox) for a backend that pulls.
//
// Send failures go the same way: those of evidence requests (a leg of the
// action exchange.ActionRequest, Actions) to Failed, those of the
// provider's answers (exchange.ActionResponse, exchange.ActionError)
// nowhere when Provider is set, any other (and those, when Failed or
// Provider is not set: another backend sent them) to the webhook
// (ap.ErrNotForBackend).
//
// The fields are read at each delivery: they may be set after the access
// point is made (the connectors need the node as their sender), but before
// its Run starts.
type Dispatch struct {
	Provider, Requester, LCM ap.Backend
	// Other, when set, receives the messages no component takes.
	Other ap.Backend
	// Failed is told of the evidence requests (exchange.ActionRequest) the
	// access point gave up on (requester.Connector.ReportSendFailure); nil passes
	// them to the webhook (ap.ErrNotForBackend).
	Failed func(ctx context.Context, f *ap.SendFailure) error
	// Journal records the partners' signed receipts (non-repudiation);
	// nil records nothing.
	Journal *journal.Journal
	// Actions gives the eb:Action of each P-Mode leg (by name), by which a
	// send failure is known as the connectors' (a node may send one
	// action on several legs, one per group of partners); nil means the
	// legs of exchange.DefaultLegs().
	Actions map[string]string
}

// defaultActions are the actions of the legs of exchange.DefaultLegs().
var defaultActions = func() map[string]string {
	l := exchange.DefaultLegs()
	return map[string]string{l.Request: exchange.ActionRequest, l.Response: exchange.ActionResponse, l.Error: exchange.ActionError}
}()

// LegActions returns the eb:Action of each leg of pm of the evidence
// exchange's service (as4.OOTSQueryManager), for Dispatch.Actions: the
// legs of other services (LCM's ExceptionResponse, another RegRep
// service's ExecuteQueryRequest) are not the connectors'.
func LegActions(pm *pmode.Config) map[string]string {
	out := make(map[string]string, len(pm.Legs))
	for _, l := range pm.Legs {
		if l.Service.Value == as4.OOTSQueryManager {
			out[l.Name] = l.Action
		}
	}
	return out
}

var (
	_ ap.Backend        = (*Dispatch)(nil)
	_ ap.ReceiptBackend = (*Dispatch)(nil)
	_ ap.FailureBackend = (*Dispatch)(nil)
)

// Deliver routes a received message (see Dispatch).
func (d *Dispatch) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	if m.Service.Value == as4.TestService && m.Action == as4.TestAction {
		// An ebMS test message (ebMS 3.0 Core §5.2.2.9) is no
		// component's: it goes where a node without the components
		// sends it, so adding them changes nothing for it.
		return fmt.Errorf("ebMS test message %s: %w", m.MessageID, ap.ErrNotForBackend)
	}
	var to ap.Backend
	switch {
	case lcm.Is(m):
		to = d.LCM
	case m.Service.Value != as4.OOTSQueryManager:
		// Another service's, whatever its action's name.
	case m.Action == exchange.ActionRequest:
		to = d.Provider
	case m.Action == exchange.ActionResponse || m.Action == exchange.ActionError:
		to = d.Requester
	}
	if to == nil {
		to = d.Other
	}
	if to == nil {
		return fmt.Errorf("%s message %s: %w", m.Action, m.MessageID, ap.ErrNotForBackend)
	}
	return to.Deliver(ctx, m)
}

// Receipted makes Dispatch an ap.ReceiptBackend: the journal records each
// partner's signed receipt with its digests (exchange.ReceiptRecord), so
// that an evidence's entries lead to the receipts of its request and
// response. The access point hands a receipt over at least once: one
// journaled before is not journaled again (journal.AppendReceipt).
func (d *Dispatch) Receipted(ctx context.Context, r *ap.Receipt) error {
	if d.Journal == nil {
		return nil
	}
	_, _, err := d.Journal.AppendReceipt(ctx, exchange.ReceiptRecord(r))
	return err
}

// SendFailed makes Dispatch an ap.FailureBackend: the access point reports
// each message it gave up on at least once, also after a restart; the
// requester fails the exchange at once instead of at its timeout.
func (d *Dispatch) SendFailed(ctx context.Context, f *ap.SendFailure) error {
	actions := d.Actions
	if actions == nil {
		actions = defaultActions
	}
	switch actions[f.Leg] {
	case exchange.ActionRequest:
		if d.Failed != nil {
			return d.Failed(ctx, f)
		}
	case exchange.ActionResponse, exchange.ActionError:
		if d.Provider != nil {
			// The provider's answers: no component follows them up.
			return nil
		}
	}
	// Not a component's message: the webhook's backend sent it.
	return fmt.Errorf("message %s on leg %s: %w", f.MessageID, f.Leg, ap.ErrNotForBackend)
}

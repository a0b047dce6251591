package nodewire

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/store"
)

// recorder is a backend that records the actions it was given.
type recorder struct{ got []string }

func (r *recorder) Deliver(_ context.Context, m *ap.ReceivedMessage) error {
	r.got = append(r.got, m.Action)
	return nil
}

func message(service, action string) *ap.ReceivedMessage {
	m := &ap.ReceivedMessage{}
	m.Service = as4.Service{Value: service}
	m.Action = action
	return m
}

// TestDispatchRoutes: requests go to the provider, responses and errors to
// the requester, LCM answers to LCM; what no component takes goes to
// Other, or to the access point's webhook (ap.ErrNotForBackend), as test
// messages always do.
func TestDispatchRoutes(t *testing.T) {
	ctx := context.Background()
	prov, req, lcmB, other := &recorder{}, &recorder{}, &recorder{}, &recorder{}
	d := &Dispatch{Provider: prov, Requester: req, LCM: lcmB, Other: other}
	for _, m := range []*ap.ReceivedMessage{
		message("QueryManager", exchange.ActionRequest), message("QueryManager", exchange.ActionResponse),
		message("QueryManager", exchange.ActionError), message(lcm.Service, "x"), message("urn:other", "Other"),
	} {
		if err := d.Deliver(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if len(prov.got) != 1 || prov.got[0] != exchange.ActionRequest {
		t.Errorf("provider got %v", prov.got)
	}
	if len(req.got) != 2 || req.got[0] != exchange.ActionResponse || req.got[1] != exchange.ActionError {
		t.Errorf("requester got %v", req.got)
	}
	if len(lcmB.got) != 1 || len(other.got) != 1 || other.got[0] != "Other" {
		t.Errorf("lcm got %v, other %v", lcmB.got, other.got)
	}
	// Without a requester, its messages go to Other; without Other they
	// are passed to the access point's webhook (or left in its inbox).
	d = &Dispatch{Provider: prov, Other: other}
	if err := d.Deliver(ctx, message("QueryManager", exchange.ActionResponse)); err != nil || len(other.got) != 2 {
		t.Errorf("response without a requester: %v, other got %v", err, other.got)
	}
	// Another service's message is not the connectors', whatever its
	// action's name.
	if err := (&Dispatch{Provider: prov}).Deliver(ctx, message("urn:other", exchange.ActionRequest)); !errors.Is(err, ap.ErrNotForBackend) || len(prov.got) != 1 {
		t.Errorf("another service's ExecuteQueryRequest: %v, provider got %v", err, prov.got)
	}
	for _, m := range []*ap.ReceivedMessage{message("QueryManager", exchange.ActionRequest), message("urn:other", "Other")} {
		if err := (&Dispatch{}).Deliver(ctx, m); !errors.Is(err, ap.ErrNotForBackend) {
			t.Errorf("%s without a component or Other: %v, want ap.ErrNotForBackend", m.Action, err)
		}
	}
	// An ebMS test message goes where it would without the components.
	if err := d.Deliver(ctx, message(as4.TestService, as4.TestAction)); !errors.Is(err, ap.ErrNotForBackend) || len(other.got) != 2 {
		t.Errorf("a test message: %v, other got %v; want it passed to the webhook", err, other.got)
	}
}

// TestDispatchReceiptsAndFailures: a partner's receipt is journaled once
// with its digests; a send failure goes to Failed.
func TestDispatchReceiptsAndFailures(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j, err := journal.Open(ctx, db, journal.Config{Key: make([]byte, 32), Node: "AP_FR_01"})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	d := &Dispatch{Journal: j, Provider: &recorder{}, Failed: func(_ context.Context, f *ap.SendFailure) error {
		failed = append(failed, f.MessageID)
		return errors.New("later")
	}}
	r := &ap.Receipt{MessageID: "m1@oots", ConversationID: "urn:uuid:c1", Partner: "AP_DE_01", ReceiptID: "r1@oots",
		NRR: []ap.Digest{{URI: "cid:regrep@oots", Method: "http://www.w3.org/2001/04/xmlenc#sha256", Value: []byte("0123456789abcdef0123456789abcdef")}}}
	// Handed over twice (the access point does so at least once), it is
	// journaled once.
	for range 2 {
		if err := d.Receipted(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := j.Export(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Count(s, `"`+journal.EventReceipt+`"`) != 1 || !strings.Contains(s, "r1@oots") || !strings.Contains(s, "cid:regrep@oots=sha256:") {
		t.Errorf("journal: %s", s)
	}
	legs := exchange.DefaultLegs()
	if err := d.SendFailed(ctx, &ap.SendFailure{MessageID: "m2@oots", Leg: legs.Request}); err == nil || errors.Is(err, ap.ErrNotForBackend) || len(failed) != 1 {
		t.Errorf("send failure of a request: %v, Failed saw %v", err, failed)
	}
	// The provider's answers are followed by no component; any other
	// leg's failure is passed to the webhook.
	for _, leg := range []string{legs.Response, legs.Error} {
		if err := d.SendFailed(ctx, &ap.SendFailure{MessageID: "m3@oots", Leg: leg}); err != nil || len(failed) != 1 {
			t.Errorf("send failure on %s: %v, Failed saw %v", leg, err, failed)
		}
	}
	if err := d.SendFailed(ctx, &ap.SendFailure{MessageID: "m4@oots", Leg: "otherServiceLeg"}); !errors.Is(err, ap.ErrNotForBackend) || len(failed) != 1 {
		t.Errorf("send failure of another service: %v, Failed saw %v", err, failed)
	}
	// The legs of the node's P-Mode, by their action: two request legs
	// (one per group of partners) are both the requester's.
	qm := pmode.Service{Value: as4.OOTSQueryManager, Type: as4.OOTSServiceType}
	legs2 := []pmode.Leg{{Name: "req", Service: qm, Action: exchange.ActionRequest}, {Name: "req-2.0", Service: qm, Action: exchange.ActionRequest},
		{Name: "resp", Service: qm, Action: exchange.ActionResponse}, {Name: "notice", Service: pmode.Service{Value: "urn:other"}, Action: "Notify"},
		{Name: "otherQuery", Service: pmode.Service{Value: "urn:other"}, Action: exchange.ActionRequest}}
	d.Actions = LegActions(&pmode.Config{Legs: append(legs2, lcm.PModeLegs(pmode.Leg{}, lcm.DefaultLegs())...)})
	for i, leg := range []string{"req", "req-2.0"} {
		if err := d.SendFailed(ctx, &ap.SendFailure{MessageID: "m5@oots", Leg: leg}); len(failed) != 2+i {
			t.Errorf("send failure on the request leg %s: %v, Failed saw %v", leg, err, failed)
		}
	}
	// Another service's legs, whatever their actions' names (LCM's
	// ExceptionResponse, another RegRep service's ExecuteQueryRequest),
	// and a leg the P-Mode does not have, are the webhook's.
	others := []string{"notice", "otherQuery", legs.Request}
	for _, l := range lcm.PModeLegs(pmode.Leg{}, lcm.DefaultLegs()) {
		others = append(others, l.Name)
	}
	for _, leg := range others {
		if err := d.SendFailed(ctx, &ap.SendFailure{MessageID: "m6@oots", Leg: leg}); !errors.Is(err, ap.ErrNotForBackend) || len(failed) != 3 {
			t.Errorf("send failure on %s, not a leg of the exchange: %v, Failed saw %v", leg, err, failed)
		}
	}
	// Without a journal nothing is recorded; without Failed or Provider,
	// the failures of their legs are another backend's (the webhook's).
	if err := (&Dispatch{}).Receipted(ctx, r); err != nil {
		t.Error(err)
	}
	for _, leg := range []string{legs.Request, legs.Response, legs.Error} {
		if err := (&Dispatch{}).SendFailed(ctx, &ap.SendFailure{Leg: leg}); !errors.Is(err, ap.ErrNotForBackend) {
			t.Errorf("send failure on %s with no component: %v, want ap.ErrNotForBackend", leg, err)
		}
	}
}

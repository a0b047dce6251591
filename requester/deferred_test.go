package requester_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/requester"
)

// deferred answers that the evidence will be available at at
// (ResponseAvailableDateTime, no evidence).
func (p *remoteProvider) deferred(t testing.TB, sub *ap.Submission, req *exchange.Message, at time.Time) *ap.ReceivedMessage {
	r := edm.NewDeferredResponse(req.Request, p.uuid(), p.time(), at)
	r.EvidenceProvider = []edm.Agent{p.agent(req.Request, "EP")}
	return p.answer(t, sub, req, &exchange.Message{Response: r})
}

func sweep(t testing.TB, c *requester.Connector) {
	t.Helper()
	if err := c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
}

// testDeferred: a deferred answer keeps the requirement open (StepDeferred,
// AvailableAt); the journey's deadline moves beyond the time; nothing is
// sent before it, also after a restart; at the time the connector sends a
// new request for the same evidence by itself (new id, same conversation
// and, in 2.0, the same ExchangeId); its evidence completes the journey.
func testDeferred(t *testing.T, f *fixture, svc requester.Service) {
	var p remoteProvider // one provider: its answers' eb:MessageIds differ
	for _, tc := range []struct{ procedure, country string }{{"R1", "FR"}, {"T2", "FI"}} {
		j := must[*requester.Journey](t)(svc.Start(ctx, start(tc.procedure, tc.country, person())))
		j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
		sub, req := f.sender.last(t)
		at := f.clock.Now().Add(2 * time.Hour).Truncate(time.Millisecond)
		deliver(t, f.conn, p.deferred(t, sub, req, at))
		j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
		r := wantStep(t, j, 0, requester.StepDeferred)
		if r.Exchange.AvailableAt == nil || !r.Exchange.AvailableAt.Equal(at) || r.Exchange.Deferrals != 1 || j.State != requester.JourneyOpen {
			t.Fatalf("exchange %+v, journey %s", r.Exchange, j.State)
		}
		if min := at.Add(requester.DefaultT1 + requester.DefaultT2 + requester.DefaultT3); j.Deadline.Before(min) {
			t.Errorf("journey deadline %v before %v", j.Deadline, min)
		}
		sent := f.sender.count()
		f.clock.Add(time.Hour)
		sweep(t, f.conn)
		f.conn = f.connector() // a restart: the schedule is in the database
		f.clock.Add(time.Hour - time.Second)
		sweep(t, f.conn)
		if n := f.sender.count(); n != sent {
			t.Fatalf("%d messages sent before the time", n-sent)
		}
		f.clock.Add(time.Second)
		sweep(t, f.conn)
		if n := f.sender.count(); n != sent+1 {
			t.Fatalf("%d messages sent at the time, want 1", n-sent)
		}
		sub2, req2 := f.sender.last(t)
		q, q2 := req.Request, req2.Request
		if q2.ID == q.ID || req2.ConversationID != j.ID || req2.ExchangeID != req.ExchangeID || q2.PreviewLocation != "" || !q2.ExplicitRequestGiven ||
			q2.EvidenceRequest.EvidenceTypeClassification != q.EvidenceRequest.EvidenceTypeClassification || q2.Version() != q.Version() {
			t.Errorf("request again: id %s (first %s), conversation %s, ExchangeId %q (first %q), PreviewLocation %q",
				q2.ID, q.ID, req2.ConversationID, req2.ExchangeID, req.ExchangeID, q2.PreviewLocation)
		}
		j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
		r = wantStep(t, j, 0, requester.StepWaiting)
		if r.Exchange.RequestID != q2.ID {
			t.Errorf("exchange request %s, want %s", r.Exchange.RequestID, q2.ID)
		}
		sweep(t, f.conn)
		if n := f.sender.count(); n != sent+1 {
			t.Errorf("asked again %d times", n-sent)
		}
		// A late answer to the first request changes nothing.
		deliver(t, f.conn, p.evidence(t, sub, req, []byte("stale")))
		wantStep(t, must[*requester.Journey](t)(svc.Get(ctx, j.ID)), 0, requester.StepWaiting)
		deliver(t, f.conn, p.evidence(t, sub2, req2, []byte("ready")))
		j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
		wantStep(t, j, 0, requester.StepDone)
		ev := journalEvents(t, f, j.ID)
		for _, want := range []string{requester.EventDeferred, requester.EventAskAgain} {
			if !slices.Contains(ev, want) {
				t.Errorf("journal %v lacks %s", ev, want)
			}
		}
		// Asked again once, naming the message that asked.
		es, err := f.journal.List(ctx, journal.Filter{Conversation: j.ID})
		if err != nil {
			t.Fatal(err)
		}
		var again []string
		for _, e := range es {
			if e.Event == requester.EventAskAgain {
				again = append(again, e.MessageID)
			}
		}
		if len(again) != 1 || again[0] != sub2.MessageID {
			t.Errorf("%s entries name %q, want the request sent again, %s, once", requester.EventAskAgain, again, sub2.MessageID)
		}
	}
}

// TestDeferredBounds: a time too far ahead or too many deferrals in a row
// fail the requirement; a time already past is asked again at once.
func TestDeferredBounds(t *testing.T) {
	cs := commonServices(t)
	begin := func(t *testing.T, f *fixture) (string, *ap.Submission, *exchange.Message) {
		j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
		must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
		sub, req := f.sender.last(t)
		return j.ID, sub, req
	}
	t.Run("too far", func(t *testing.T) {
		f := newFixture(t, sqliteDSN(t), cs, func(c *requester.Config) { c.MaxDeferral = 7 * 24 * time.Hour })
		id, sub, req := begin(t, f)
		var p remoteProvider
		deliver(t, f.conn, p.deferred(t, sub, req, f.clock.Now().Add(8*24*time.Hour)))
		j := must[*requester.Journey](t)(f.conn.Get(ctx, id))
		if r := wantStep(t, j, 0, requester.StepFailed); r.Exchange.Error.Code != requester.CodeDeferredTooLong || j.State != requester.JourneyFailed {
			t.Errorf("failure %+v", r.Exchange.Error)
		}
	})
	t.Run("too often", func(t *testing.T) {
		f := newFixture(t, sqliteDSN(t), cs, func(c *requester.Config) { c.MaxDeferrals = 2 })
		id, sub, req := begin(t, f)
		var p remoteProvider
		for i := 0; i < 2; i++ {
			deliver(t, f.conn, p.deferred(t, sub, req, f.clock.Now().Add(time.Minute)))
			wantStep(t, must[*requester.Journey](t)(f.conn.Get(ctx, id)), 0, requester.StepDeferred)
			f.clock.Add(time.Minute)
			sweep(t, f.conn)
			sub, req = f.sender.last(t)
		}
		deliver(t, f.conn, p.deferred(t, sub, req, f.clock.Now().Add(time.Minute)))
		r := wantStep(t, must[*requester.Journey](t)(f.conn.Get(ctx, id)), 0, requester.StepFailed)
		if r.Exchange.Error.Code != requester.CodeDeferredTooOften {
			t.Errorf("failure %+v", r.Exchange.Error)
		}
		if f.sender.count() != 3 {
			t.Errorf("%d requests sent, want 3", f.sender.count())
		}
	})
	t.Run("not sent again", func(t *testing.T) {
		// The access point refuses the request asked again every time:
		// tried at each sweep, and the requirement fails at the
		// journey's deadline, not never.
		f := newFixture(t, sqliteDSN(t), cs, nil)
		id, sub, req := begin(t, f)
		var p remoteProvider
		deliver(t, f.conn, p.deferred(t, sub, req, f.clock.Now().Add(time.Hour)))
		f.sender.fail = errors.New("no such partner any more")
		f.clock.Add(time.Hour)
		sweep(t, f.conn)
		wantStep(t, must[*requester.Journey](t)(f.conn.Get(ctx, id)), 0, requester.StepDeferred)
		j := must[*requester.Journey](t)(f.conn.Get(ctx, id))
		f.clock.Add(j.Deadline.Sub(f.clock.Now()) + time.Minute)
		sweep(t, f.conn)
		j = must[*requester.Journey](t)(f.conn.Get(ctx, id))
		if r := wantStep(t, j, 0, requester.StepFailed); r.Exchange.Error.Code != requester.CodeTimeout || j.State != requester.JourneyFailed {
			t.Errorf("failure %+v, journey %s", r.Exchange.Error, j.State)
		}
		if f.sender.count() != 1 {
			t.Errorf("%d requests sent, want the first only", f.sender.count())
		}
	})
	t.Run("past", func(t *testing.T) {
		f := newFixture(t, sqliteDSN(t), cs, nil)
		id, sub, req := begin(t, f)
		var p remoteProvider
		deliver(t, f.conn, p.deferred(t, sub, req, f.clock.Now().Add(-time.Hour)))
		r := wantStep(t, must[*requester.Journey](t)(f.conn.Get(ctx, id)), 0, requester.StepDeferred)
		if !r.Exchange.AvailableAt.Equal(f.clock.Now()) {
			t.Errorf("available at %v, want now", r.Exchange.AvailableAt)
		}
		sweep(t, f.conn)
		wantStep(t, must[*requester.Journey](t)(f.conn.Get(ctx, id)), 0, requester.StepWaiting)
		if f.sender.count() != 2 {
			t.Errorf("%d requests sent, want 2", f.sender.count())
		}
	})
}

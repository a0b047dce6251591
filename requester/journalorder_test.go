package requester_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/requester"
)

// TestJournalRequestBeforeItsAnswer: the partner's answer to an evidence
// request can reach the connector before the access point's Submit returns
// (the recording sender delivers it from inside Submit, as the fastest
// partner would). The journal still has the request first: the connector
// names the message and journals it before handing it over.
func TestJournalRequestBeforeItsAnswer(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	var p remoteProvider
	f.sender.taken = func(sub *ap.Submission) {
		_, req := f.sender.last(t)
		deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/7"))
		f.sender.taken = nil // the second request is not answered here
	}
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, r.ID, yes))
	ev := journalEvents(t, f, j.ID)
	sent, preview := slices.Index(ev, journal.EventRequestSent), slices.Index(ev, requester.EventPreviewRequired)
	if sent < 0 || preview < 0 || sent > preview {
		t.Fatalf("journal %v: the request must come before the answer to it", ev)
	}
	first, _ := f.sender.last(t)
	es, err := f.journal.List(ctx, journal.Filter{Conversation: j.ID})
	if err != nil {
		t.Fatal(err)
	}
	if e := es[sent]; e.MessageID == "" || e.MessageID != f.sender.subs[0].MessageID {
		t.Errorf("request.sent names %q; the access point sent %q (then %q)", e.MessageID, f.sender.subs[0].MessageID, first.MessageID)
	}
}

// TestJournalRequestNotTaken: a request journaled before the hand-over
// that the access point then refuses is followed by an error entry naming
// the same message, and the requirement is back at the explicit request.
func TestJournalRequestNotTaken(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	f.sender.fail = errors.New("queue full")
	if _, err := f.conn.Request(ctx, j.ID, r.ID, yes); !errors.Is(err, requester.ErrUnavailable) {
		t.Fatalf("Request = %v, want ErrUnavailable", err)
	}
	es, err := f.journal.List(ctx, journal.Filter{Conversation: j.ID})
	if err != nil {
		t.Fatal(err)
	}
	var sent *journal.Entry
	for _, e := range es {
		switch e.Event {
		case journal.EventRequestSent:
			sent = e
		case journal.EventError:
			if sent == nil || e.MessageID != sent.MessageID {
				t.Errorf("error entry %+v, after request.sent %+v", e, sent)
			}
			return
		}
	}
	t.Errorf("journal %v: no error entry after the request the access point refused", journalEvents(t, f, j.ID))
}

// TestJournalSecondRequestBeforeItsReceipt: the request after the preview
// is sent while the answer asking for the preview is processed; the
// partner's receipt of it may be journaled (by the access point's receipt
// hand-off) before that processing ends. The journal still has the answer,
// then the second request, then its receipt.
func TestJournalSecondRequestBeforeItsReceipt(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	var p remoteProvider
	var n int
	var second string
	f.sender.taken = func(sub *ap.Submission) {
		n++
		switch n {
		case 1:
			_, req := f.sender.last(t)
			deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/8"))
		case 2:
			second = sub.MessageID
			if _, _, err := f.journal.AppendReceipt(ctx, journal.Record{Event: journal.EventReceipt, Conversation: sub.ConversationID,
				MessageID: sub.MessageID, Receipt: "rcpt-2@fr.example", Outcome: journal.OutcomeOK}); err != nil {
				t.Error(err)
			}
		}
	}
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, r.ID, yes))
	if n != 2 || second == "" {
		t.Fatalf("%d submissions, want the first request and the one after the preview", n)
	}
	es, err := f.journal.List(ctx, journal.Filter{Conversation: j.ID})
	if err != nil {
		t.Fatal(err)
	}
	at := func(event, message string) int {
		return slices.IndexFunc(es, func(e *journal.Entry) bool { return e.Event == event && (message == "" || e.MessageID == message) })
	}
	preview, sent, receipt := at(requester.EventPreviewRequired, ""), at(journal.EventRequestSent, second), at(journal.EventReceipt, second)
	if preview < 0 || sent < 0 || receipt < 0 || !(preview < sent && sent < receipt) {
		t.Errorf("journal %v: want the preview answer (%d), then the second request (%d), then its receipt (%d)", journalEvents(t, f, j.ID), preview, sent, receipt)
	}
	// Each step once.
	for _, ev := range []string{requester.EventPreviewRequired, journal.EventRequestSent} {
		var k int
		for _, e := range es {
			if e.Event == ev {
				k++
			}
		}
		if want := map[string]int{requester.EventPreviewRequired: 1, journal.EventRequestSent: 2}[ev]; k != want {
			t.Errorf("%d %s entries, want %d", k, ev, want)
		}
	}
}

// plainSender is a test wrapper: an access point that cannot name a
// message before it is submitted (no MessageNamer).
type plainSender struct{ s *recordingSender }

func (p plainSender) Submit(ctx context.Context, sub *ap.Submission) (*ap.Status, bool, error) {
	return p.s.Submit(ctx, sub)
}

// TestJournalRequestUnnamed: with an access point that names its messages
// itself, the request is submitted without a name and journaled, under the
// name the access point gave it, once the access point took it.
func TestJournalRequestUnnamed(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	f.cfg.Sender = plainSender{f.sender}
	f.conn = f.connector()
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, r.ID, yes))
	sub, _ := f.sender.last(t)
	if !strings.HasPrefix(sub.MessageID, "msg-") {
		t.Fatalf("the request was submitted as %q, want the access point's name", sub.MessageID)
	}
	es, err := f.journal.List(ctx, journal.Filter{Conversation: j.ID})
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, e := range es {
		if e.Event == journal.EventRequestSent {
			sent = append(sent, e.MessageID)
		}
	}
	if len(sent) != 1 || sent[0] != sub.MessageID {
		t.Errorf("request.sent entries %q, want one naming %s", sent, sub.MessageID)
	}
}

// TestJournalSecondRequestNotTaken: the request after a preview, journaled
// before the hand-over, that the access point refuses is followed by an
// error entry naming it; when the answer is delivered again and the
// request goes, it is journaled again, after the error.
func TestJournalSecondRequestNotTaken(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, r.ID, yes))
	sub, req := f.sender.last(t)
	var p remoteProvider
	answer := p.preview(t, sub, req, "https://preview.fr.example/p/9")
	f.sender.fail = errors.New("queue full")
	if err := f.conn.Deliver(ctx, answer); !errors.Is(err, requester.ErrUnavailable) {
		t.Fatalf("Deliver = %v, want ErrUnavailable (delivered again)", err)
	}
	f.sender.fail = nil
	deliver(t, f.conn, answer)
	second, _ := f.sender.last(t)
	es, err := f.journal.List(ctx, journal.Filter{Conversation: j.ID})
	if err != nil {
		t.Fatal(err)
	}
	var about []string // the second request's entries, in order
	var previews int
	for _, e := range es {
		if e.MessageID == second.MessageID && e.Event != journal.EventRequestID {
			about = append(about, e.Event)
		}
		if e.Event == requester.EventPreviewRequired {
			previews++
		}
	}
	want := []string{journal.EventRequestSent, journal.EventError, journal.EventRequestSent}
	if !slices.Equal(about, want) || previews != 1 {
		t.Errorf("the second request's entries %q, want %q; %d preview answers, want 1 (journal %v)", about, want, previews, journalEvents(t, f, j.ID))
	}
}

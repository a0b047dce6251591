package provider_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/provider"
)

// pend makes the birth certificates of the demo user local pending for d
// on the register's clock.
func (e *env) pend(local string, reason provider.DeferralReason, d time.Duration) {
	e.t.Helper()
	e.records.Now = e.clock.Now
	birth := e.authority(berlin).EvidenceTypes[0].Classification
	for i := range e.records.People {
		p := &e.records.People[i]
		if strings.HasSuffix(p.Person.Identifier, "/"+local) {
			p.Pending = map[string]*provider.Pending{birth: {Reason: reason, For: d}}
			return
		}
	}
	e.t.Fatalf("no record of %s", local)
}

// TestDeferred: evidence the data service defers is answered with
// ResponseAvailableDateTime and no evidence, in 1.x and 2.0, passing the
// official rules of its version (env.answers); a new request after that
// time takes the ordinary path (here the preview).
func TestDeferred(t *testing.T) {
	for _, v := range []edm.Version{edm.V1_0, edm.V2_0} {
		t.Run(string(v), func(t *testing.T) {
			e := newEnv(t, "", nil)
			e.pend(anna, provider.DeferPayment, time.Hour)
			want := e.clock.Now().Add(time.Hour)
			xid := ""
			if v.Is2() {
				xid = "x" // the same exchange throughout (ExchangeId)
			}
			q := e.request(v, berlin, user(t, anna))
			e.deliver(e.message(q, "c", xid))
			as := e.answers(0)
			if len(as) != 1 || as[0].Response == nil {
				t.Fatalf("answers %+v", as)
			}
			r := as[0].Response
			if !r.Deferred() || len(as[0].Attachments) != 0 {
				t.Fatalf("not a deferred response: %+v", r)
			}
			if at, err := r.AvailableAt(); err != nil || !at.Equal(want) {
				t.Errorf("available at %v (%v), want %v", at, err, want)
			}
			if r.RequestID != q.ID || len(r.EvidenceProvider) != 1 || r.EvidenceProvider[0].Classification != "EP" {
				t.Errorf("response %+v", r)
			}
			if !e.journal.has("response.sent", provider.OutcomeDeferred+"payment "+r.ResponseAvailableDateTime) {
				t.Errorf("journal: %+v", e.journal)
			}

			// Before the time the register still defers.
			e.clock.add(30 * time.Minute)
			q2 := e.request(v, berlin, user(t, anna))
			e.deliver(e.message(q2, "c", xid))
			if a := e.answers(1)[0]; a.Response == nil || !a.Response.Deferred() {
				t.Fatalf("asked again early: %+v", a)
			}
			// From then on, the ordinary answer.
			e.clock.add(30 * time.Minute)
			e.first(e.request(v, berlin, user(t, anna)), "c", xid)
		})
	}
}

// staticDS answers every query with one result.
type staticDS struct{ res *provider.Result }

func (s staticDS) Find(context.Context, provider.Query) (*provider.Result, error) { return s.res, nil }

// TestDeferredRefused: a deferral to a time that has passed, or with
// documents, or without a known reason, is the data service's defect: no
// deferred response goes out.
func TestDeferredRefused(t *testing.T) {
	for name, m := range map[string]provider.Match{
		"past":      {Subject: "p", Deferred: &provider.Deferral{AvailableAt: time.Now().Add(-time.Hour), Reason: provider.DeferHandling}},
		"documents": {Subject: "p", Documents: []provider.Document{{ID: "d", Format: "application/pdf", Content: []byte("%PDF")}}, Deferred: &provider.Deferral{AvailableAt: time.Now().Add(time.Hour), Reason: provider.DeferHandling}},
		"reason":    {Subject: "p", Deferred: &provider.Deferral{AvailableAt: time.Now().Add(time.Hour), Reason: "maintenance"}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, "", func(c *provider.Config) {
				for i := range c.Providers {
					c.Providers[i].DataService = staticDS{&provider.Result{Matches: []provider.Match{m}}}
				}
			})
			q := e.request(edm.V1_0, berlin, user(t, anna))
			e.deliver(e.message(q, "c", ""))
			a := e.answers(0)[0]
			if a.Error == nil {
				t.Fatalf("answered %+v", a.Response)
			}
			if c := a.Error.Exceptions[0].Code; c != "EDM:ERR:0008" {
				t.Errorf("answered %s, want EDM:ERR:0008 (%s)", c, a.Error.Exceptions[0].Detail)
			}
		})
	}
}

// TestParseDeferral: the HTTP data service contract's deferral.
func TestParseDeferral(t *testing.T) {
	r, err := provider.ParseResult([]byte(`{"matches":[{"subject":"person-17","documents":[],
		"deferred":{"availableAt":"2026-08-07T09:30:00Z","reason":"digitisation"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Matches[0].Deferred
	if d == nil || d.Reason != provider.DeferDigitisation || !d.AvailableAt.Equal(time.Date(2026, 8, 7, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("deferral %+v", d)
	}
	for _, bad := range []string{
		`{"matches":[{"subject":"p","deferred":{"availableAt":"2026-08-07T09:30:00Z","reason":"maintenance"}}]}`,
		`{"matches":[{"subject":"p","deferred":{"reason":"payment"}}]}`,
		`{"matches":[{"subject":"p","deferred":{"availableAt":"tomorrow","reason":"payment"}}]}`,
	} {
		if _, err := provider.ParseResult([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := provider.ParseResult([]byte(`{"matches":[{"subject":"p","deferred":{"availableAt":"2026-08-07T09:30:00Z","reason":"payment","x":1}}]}`)); err == nil {
		t.Error("accepted an unknown field of a deferral")
	}
}

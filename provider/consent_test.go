package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/provider"
)

func withConsent(c *provider.Config) {
	c.Consent = provider.ConsentPolicy{Enabled: true, Validity: 30 * 24 * time.Hour}
}

// backgroundRequest is a request marked as a background request.
func backgroundRequest(e *env, v edm.Version) *edm.QueryRequest {
	q := e.request(v, berlin, user(e.t, anna))
	q.NaturalPerson.SectorSpecificAttribute = append(q.NaturalPerson.SectorSpecificAttribute, provider.BackgroundAttribute())
	return q
}

// answerOf delivers a request in a new conversation and returns the answer.
func answerOf(e *env, q *edm.QueryRequest, conv string) *edm.Exception {
	e.t.Helper()
	n := len(e.send.all())
	xid := ""
	if q.Version().Is2() {
		xid = newUUID()
	}
	e.deliver(e.message(q, conv, xid))
	as := e.answers(n)
	if len(as) != 1 {
		e.t.Fatalf("%d answers", len(as))
	}
	if as[0].Response != nil {
		return nil
	}
	return exceptionOf(e.t, as[0])
}

// TestConsent: a background request without consent takes the preview;
// the user approves and consents there; the next background request (a
// new conversation) is answered with the evidence at once, a plain request
// still takes the preview; the user sees the consent and the evidence sent
// at /consents and withdraws the consent; the next background request
// takes the preview again; so does one after the consent expired.
func TestConsent(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { consentSuite(t, func() string { return "" }) })
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		consentSuite(t, func() string { return srv.NewDatabase(t) })
	})
}

func consentSuite(t *testing.T, dsn func() string) {
	for _, v := range []edm.Version{edm.V1_0, edm.V2_0} {
		t.Run(string(v), func(t *testing.T) {
			e := newEnv(t, dsn(), withConsent)
			u := user(t, anna)
			q := backgroundRequest(e, v)
			conv := "c1"
			xid := ""
			if v.Is2() {
				xid = newUUID()
			}
			link := e.first(q, conv, xid)
			if !e.journal.has(provider.EventConsentNone) {
				t.Error("background request without consent not journalled")
			}
			b := e.browser()
			p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
			if !strings.Contains(p.body, `name="consent" value="yes"`) || !strings.Contains(p.body, "Mairie de Paris") || !strings.Contains(p.body, "/consents") {
				t.Fatalf("no consent offered:\n%s", p.body)
			}
			csrf := csrfRE.FindStringSubmatch(p.body)[1]
			b.post("/preview/"+tokenOf(t, link)+"/decide", url.Values{"csrf": {csrf}, "decision": {"approve"}, "consent": {"yes"}})
			if !e.journal.has(provider.EventConsentGiven) {
				t.Fatal("consent not journalled")
			}
			e.deliver(e.message(second(q, link), conv, xid))

			// Background: evidence at once.
			if exc := answerOf(e, backgroundRequest(e, v), "c2"); exc != nil {
				t.Fatalf("background request with consent: %s %s", exc.Code, exc.Detail)
			}
			if !e.journal.has(provider.EventConsentUsed) {
				t.Error("use of the consent not journalled")
			}
			// Not marked: the preview.
			if exc := answerOf(e, e.request(v, berlin, u), "c3"); exc == nil || exc.Code != "EDM:ERR:0002" {
				t.Errorf("plain request: %v", exc)
			}
			// Another subject: the preview.
			other := e.request(v, berlin, user(t, juergen))
			other.NaturalPerson.SectorSpecificAttribute = append(other.NaturalPerson.SectorSpecificAttribute, provider.BackgroundAttribute())
			if exc := answerOf(e, other, "c4"); exc == nil || exc.Code != "EDM:ERR:0002" {
				t.Errorf("background request about someone else: %v", exc)
			}

			// The user's page: consent and the evidence sent.
			acc := e.browser()
			p = acc.get("/consents")
			if p.status != http.StatusOK || !strings.Contains(p.body, `href="/consents/login`) {
				t.Fatalf("consents page before login: %d\n%s", p.status, p.body)
			}
			e.idp.as(subject(u, eid.LoASubstantial))
			p = acc.get("/consents/login")
			if p.status != http.StatusOK || !strings.Contains(p.body, "Mairie de Paris") || !strings.Contains(p.body, "valid") ||
				strings.Count(p.body, "<tr><td>") != 3 || !strings.Contains(p.body, "your consent urn:uuid:") || !strings.Contains(p.body, "your approval at the preview") {
				t.Fatalf("consents page: %d\n%s", p.status, p.body)
			}
			j := acc.get("/consents?format=json")
			var export struct {
				Consents    []provider.Consent
				Disclosures []provider.Disclosure
			}
			if err := json.Unmarshal([]byte(j.body), &export); err != nil || len(export.Consents) != 1 || len(export.Disclosures) != 2 {
				t.Fatalf("export %v %+v", err, export)
			}
			for _, d := range export.Disclosures {
				if want := map[string]string{"c1": "", "c2": export.Consents[0].ID}[d.Conversation]; d.ConsentID != want {
					t.Errorf("disclosure in %s relied on %q, want %q", d.Conversation, d.ConsentID, want)
				}
			}
			// Someone else's page shows nothing of it.
			other2 := e.browser()
			e.idp.as(subject(user(t, juergen), eid.LoASubstantial))
			if p := other2.get("/consents/login"); strings.Contains(p.body, "Mairie de Paris") {
				t.Error("consents shown to another person")
			}
			// Withdraw (CSRF needed).
			if p := acc.post("/consents/withdraw", url.Values{"consent": {export.Consents[0].ID}}); p.status != http.StatusForbidden {
				t.Errorf("withdraw without CSRF: %d", p.status)
			}
			csrf = csrfRE.FindStringSubmatch(acc.get("/consents").body)[1]
			p = acc.post("/consents/withdraw", url.Values{"csrf": {csrf}, "consent": {export.Consents[0].ID}})
			if p.status != http.StatusOK || !strings.Contains(p.body, "withdrawn") {
				t.Errorf("after withdrawal: %d\n%s", p.status, p.body)
			}
			if exc := answerOf(e, backgroundRequest(e, v), "c5"); exc == nil || exc.Code != "EDM:ERR:0002" {
				t.Errorf("background request after withdrawal: %v", exc)
			}
			if !e.journal.has(provider.EventConsentWithdrawn) {
				t.Error("withdrawal not journalled")
			}
		})
	}
}

// TestConsentExpires: a consent past its validity is not relied on.
func TestConsentExpires(t *testing.T) {
	e := newEnv(t, "", withConsent)
	u := user(t, anna)
	q := backgroundRequest(e, edm.V1_0)
	link := e.first(q, "c1", "")
	b := e.browser()
	p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
	b.post("/preview/"+tokenOf(t, link)+"/decide", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "decision": {"approve"}, "consent": {"yes"}})
	e.deliver(e.message(second(q, link), "c1", ""))
	if exc := answerOf(e, backgroundRequest(e, edm.V1_0), "c2"); exc != nil {
		t.Fatalf("with consent: %s", exc.Code)
	}
	e.clock.add(31 * 24 * time.Hour)
	if exc := answerOf(e, backgroundRequest(e, edm.V1_0), "c3"); exc == nil || exc.Code != "EDM:ERR:0002" {
		t.Errorf("after expiry: %v", exc)
	}
	ks, err := e.conn.Consents(context.Background(), "DE/"+anna)
	if err != nil || len(ks) != 1 || ks[0].Valid(e.clock.Now()) {
		t.Errorf("consents %v %+v", err, ks)
	}
}

// TestConsentOff: a provider without the consent feature (a standard
// node) offers no consent and answers a background request with the
// preview.
func TestConsentOff(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	link := e.first(backgroundRequest(e, edm.V2_0), "c1", newUUID())
	p := e.browser().loginAndSee(e, link, subject(u, eid.LoAHigh))
	if strings.Contains(p.body, `name="consent"`) {
		t.Error("consent offered by a provider without the feature")
	}
}

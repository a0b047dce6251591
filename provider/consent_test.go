package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/store"
)

func withConsent(c *provider.Config) {
	c.Consent = provider.ConsentPolicy{Enabled: true, Validity: 30 * 24 * time.Hour}
}

// backgroundRequest is a request marked as a background request.
func backgroundRequest(e *env, v edm.Version) *edm.QueryRequest {
	q := e.request(v, berlin, user(e.t, anna))
	q.NaturalPerson.SectorSpecificAttribute = append(q.NaturalPerson.SectorSpecificAttribute, exchange.BackgroundAttribute())
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
			b.post("/preview/"+tokenOf(t, link)+"/decide", url.Values{"csrf": {csrf}, "decision": {"approve"}, "consent": {"yes"}, "procedure": {"R1"}})
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
			other.NaturalPerson.SectorSpecificAttribute = append(other.NaturalPerson.SectorSpecificAttribute, exchange.BackgroundAttribute())
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
				strings.Count(p.body, "<tr><td>") != 3 || !strings.Contains(p.body, "your consent (Valid until ") || strings.Contains(p.body, "your consent urn:uuid:") || strings.Contains(p.body, "(DE-ER-") || !strings.Contains(p.body, "your approval at the preview") {
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
			// The first click asks for a confirmation and withdraws nothing.
			p = acc.post("/consents/withdraw", url.Values{"csrf": {csrf}, "consent": {export.Consents[0].ID}})
			if p.status != http.StatusOK || !strings.Contains(p.body, "Withdraw your consent?") || !strings.Contains(p.body, `name="confirm" value="yes"`) {
				t.Errorf("confirmation: %d\n%s", p.status, p.body)
			}
			if p := acc.get("/consents"); strings.Contains(p.body, "withdrawn on") {
				t.Error("withdrawn before the confirmation")
			}
			p = acc.post("/consents/withdraw", url.Values{"csrf": {csrf}, "consent": {export.Consents[0].ID}, "confirm": {"yes"}})
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
	b.post("/preview/"+tokenOf(t, link)+"/decide", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "decision": {"approve"}, "consent": {"yes"}, "procedure": {"R1"}})
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

// backgroundFor is a background request of the French portal for the demo
// user local, for procedure.
func backgroundFor(e *env, v edm.Version, local, procedure string) *edm.QueryRequest {
	q := e.request(v, berlin, user(e.t, local))
	q.Procedure = procedure
	q.NaturalPerson.SectorSpecificAttribute = append(q.NaturalPerson.SectorSpecificAttribute, exchange.BackgroundAttribute())
	return q
}

// TestConsentProcedures: the consent form lists the procedures the
// provider names for the evidence type (the birth record: R1 and T2), the
// current one ticked; a consent without any procedure is refused with the
// reason and the form again, one for a procedure not offered is refused;
// a background request is answered under the consent only for a procedure
// the user chose; the consents page and its export show the chosen set.
func TestConsentProcedures(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { consentProceduresSuite(t, "") })
	t.Run("postgres", func(t *testing.T) { consentProceduresSuite(t, pgtest.Start(t).NewDatabase(t)) })
}

func consentProceduresSuite(t *testing.T, dsn string) {
	e := newEnv(t, dsn, withConsent)
	give := func(local, conv string, procs ...string) {
		t.Helper()
		q := backgroundFor(e, edm.V1_0, local, "R1")
		link := e.first(q, conv, "")
		b := e.browser()
		p := b.loginAndSee(e, link, subject(user(t, local), eid.LoAHigh))
		for _, want := range []string{
			`<input type="checkbox" id="procedure-R1" name="procedure" value="R1" checked>`,
			`<input type="checkbox" id="procedure-T2" name="procedure" value="T2">`,
			`<label for="procedure-T2">Submitting an initial application for admission to public tertiary education institution <span class="code">(T2)</span></label>`,
		} {
			if !strings.Contains(p.body, want) {
				t.Fatalf("the consent form lacks %s:\n%s", want, p.body)
			}
		}
		if strings.Contains(p.body, `value="S1"`) || strings.Contains(p.body, `value="X1"`) {
			t.Errorf("the consent form offers a procedure the birth record does not serve:\n%s", p.body)
		}
		token, csrf := tokenOf(t, link), csrfRE.FindStringSubmatch(p.body)[1]
		// No procedure: refused, the form again, nothing decided.
		r := b.post("/preview/"+token+"/decide", url.Values{"csrf": {csrf}, "decision": {"approve"}, "consent": {"yes"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `role="alert">Tick at least one procedure`) ||
			strings.Contains(r.body, `value="R1" checked`) || !strings.Contains(r.body, `name="consent" value="yes" checked`) {
			t.Errorf("consent without a procedure: %d\n%s", r.status, r.body)
		}
		// A procedure not offered: refused.
		if r := b.post("/preview/"+token+"/decide", url.Values{"csrf": {csrf}, "decision": {"approve"}, "consent": {"yes"}, "procedure": {"R1", "X1"}}); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, `role="alert">A procedure ticked for the consent is not one offered`) {
			t.Errorf("consent for a procedure not offered: %d\n%s", r.status, r.body)
		}
		if ks, err := e.conn.Consents(context.Background(), "DE/"+local); err != nil || len(ks) != 0 {
			t.Fatalf("a refused consent was recorded: %v %+v", err, ks)
		}
		r = b.post("/preview/"+token+"/decide", url.Values{"csrf": {csrf}, "decision": {"approve"}, "consent": {"yes"}, "procedure": procs})
		if r.status != http.StatusOK {
			t.Fatalf("approval with consent: %d\n%s", r.status, r.body)
		}
		e.deliver(e.message(second(q, link), conv, ""))
	}
	give(anna, "c1", "T2", "R1")
	give(anna2, "c2", "R1")

	for _, c := range []struct {
		local, procedure string
		preview          bool
	}{
		{anna, "R1", false}, {anna, "T2", false}, {anna, "S1", true},
		{anna2, "R1", false}, {anna2, "T2", true},
	} {
		exc := answerOf(e, backgroundFor(e, edm.V1_0, c.local, c.procedure), "c-"+c.local+"-"+c.procedure)
		if got := exc != nil; got != c.preview || exc != nil && exc.Code != "EDM:ERR:0002" {
			t.Errorf("background request of %s for %s: exception %v, want a preview %v", c.local, c.procedure, exc, c.preview)
		}
	}
	ks, err := e.conn.Consents(context.Background(), "DE/"+anna)
	if err != nil || len(ks) != 1 || strings.Join(ks[0].Procedures, " ") != "R1 T2" || ks[0].Procedure != "R1" {
		t.Fatalf("consents %v %+v", err, ks)
	}
	acc := e.browser()
	e.idp.as(subject(user(t, anna), eid.LoASubstantial))
	if p := acc.get("/consents/login"); !strings.Contains(p.body, `<td data-label="Procedures"><ul class="names"><li>Requesting a birth certificate</li>`+
		`<li>Submitting an initial application for admission to public tertiary education institution</li></ul><span class="code">Codes: R1, T2</span></td>`) {
		t.Errorf("the consents page does not name the procedures:\n%s", p.body)
	}
	var export struct{ Consents []provider.Consent }
	if err := json.Unmarshal([]byte(acc.get("/consents?format=json").body), &export); err != nil || len(export.Consents) != 1 ||
		strings.Join(export.Consents[0].Procedures, " ") != "R1 T2" {
		t.Errorf("export %v %+v", err, export)
	}
}

// TestConsentMigration: a database with a consent given before consents
// named their procedures opens, and the consent covers the procedure it
// was given in, no other.
func TestConsentMigration(t *testing.T) {
	for _, c := range []struct{ name, dialect string }{{"sqlite", "sqlite"}, {"postgres", "postgres"}} {
		t.Run(c.name, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "old.db")
			if c.dialect == "postgres" {
				dsn = pgtest.Start(t).NewDatabase(t)
			}
			ctx := context.Background()
			migs, err := store.LoadMigrations(os.DirFS("."), "migrations/"+c.dialect)
			if err != nil || len(migs) < 3 || migs[1].Version != 2 {
				t.Fatalf("migrations %v %d", err, len(migs))
			}
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx, provider.Component, migs[:2]); err != nil {
				t.Fatal(err)
			}
			probe := newEnv(t, "", withConsent)
			q := backgroundFor(probe, edm.V1_0, anna, "R1")
			now := time.Now()
			if _, err := db.SQL().ExecContext(ctx, db.Rebind(`INSERT INTO provider_consents (id, provider, subject, subject_key, requester, requester_name,
				procedure, evidence_type, evidence_title, granted, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				"urn:uuid:"+newUUID(), berlin, "DE/"+anna, "person:"+anna, q.EvidenceRequester[0].Identifier.Value, "Mairie de Paris", "R1",
				q.EvidenceRequest.EvidenceTypeClassification, "Certificate of birth", now.UnixMilli(), now.Add(24*time.Hour).UnixMilli()); err != nil {
				t.Fatal(err)
			}
			db.Close()

			e := newEnv(t, dsn, withConsent)
			if exc := answerOf(e, backgroundFor(e, edm.V1_0, anna, "R1"), "c1"); exc != nil {
				t.Errorf("R1 under the old consent: %s %s", exc.Code, exc.Detail)
			}
			if exc := answerOf(e, backgroundFor(e, edm.V1_0, anna, "T2"), "c2"); exc == nil || exc.Code != "EDM:ERR:0002" {
				t.Errorf("T2 under the old consent (given for R1): %v", exc)
			}
			ks, err := e.conn.Consents(ctx, "DE/"+anna)
			if err != nil || len(ks) != 1 || strings.Join(ks[0].Procedures, " ") != "R1" {
				t.Errorf("consents %v %+v", err, ks)
			}
		})
	}
}

// TestDecisionForm: the preview asks for the decision in one form: one
// fieldset for the decision, the consent offered as its optional part
// (a fieldset inside the same form, with the procedures inside it), one
// primary action (approve and send) and one secondary (do not send); no
// second form, no second pair of buttons. Without a consent offered the
// form has no consent part.
func TestDecisionForm(t *testing.T) {
	for _, offered := range []bool{true, false} {
		edit := withConsent
		if !offered {
			edit = nil
		}
		e := newEnv(t, "", edit)
		link := e.first(backgroundRequest(e, edm.V2_0), "conv-form", newUUID())
		p := e.browser().loginAndSee(e, link, subject(user(t, anna), eid.LoAHigh))
		if n := strings.Count(p.body, "<form"); n != 1 {
			t.Fatalf("consent offered %v: %d forms on the preview, want one:\n%s", offered, n, p.body)
		}
		form := p.body[strings.Index(p.body, "<form"):strings.Index(p.body, "</form>")]
		if n := strings.Count(form, `type="submit"`); n != 2 {
			t.Errorf("consent offered %v: %d submit buttons, want two", offered, n)
		}
		approve := strings.Index(form, `<button class="approve" type="submit" name="decision" value="approve">Approve and send the evidence</button>`)
		refuse := strings.Index(form, `<button class="secondary refuse" type="submit" name="decision" value="refuse">Do not send the evidence</button>`)
		if approve < 0 || refuse < approve {
			t.Errorf("consent offered %v: not one primary action to approve and send, then one secondary not to send:\n%s", offered, form)
		}
		consent := strings.Index(form, `<fieldset class="consent">`+"\n"+`<legend>Optional: later exchanges without this preview</legend>`)
		if got := consent >= 0; got != offered {
			t.Errorf("consent offered %v: an optional consent part %v:\n%s", offered, got, form)
		}
		if !offered {
			continue
		}
		decision := strings.Index(form, "<fieldset>\n<legend><h2>Your decision</h2></legend>")
		for _, part := range []string{`name="consent" value="yes"`, `name="procedure" value="R1"`} {
			if i := strings.Index(form, part); decision < 0 || i < consent || consent < decision || i > approve {
				t.Errorf("%s is not inside the consent part of the decision, before the actions:\n%s", part, form)
			}
		}
	}
}

package portal

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/store"
)

// TestFullJourney walks a citizen through procedure T2 (two requirements)
// with evidence from Germany: login, evidence type, provider, the DSD's
// question, the explicit request (first without the box), waiting, preview
// and return, evidence, a failure and continuing without it, submission.
func TestFullJourney(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnvDB(t, "FR", db, nil)
		e.auth.as(person("1234", "Max", "Mustermann"))
		b := e.browser()

		home := b.get("/")
		wantStatus(t, home, http.StatusOK)
		mustContain(t, home, `<html lang="en">`, "Complete a procedure online", "Log in and start", `href="/?lang=fr"`)

		p := b.start("T2", "DE")
		wantStatus(t, p, http.StatusOK)
		jid := journeyID(t, p)
		mustContain(t, p, "Submitting an initial application for admission to public tertiary education institution", "Logged in as", "Max Mustermann", "Germany",
			"Which evidence do you want to provide?", "Abitur certificate")

		if len(e.svc.starts) != 1 {
			t.Fatalf("%d starts", len(e.svc.starts))
		}
		st := e.svc.starts[0]
		if st.ReturnURL != e.srv.URL+"/return" || st.Procedure != "T2" || st.Country != "DE" ||
			st.Subject.Person.Identifier != "DE/FR/1234" || st.Subject.Company != nil {
			t.Errorf("StartRequest = %+v", st)
		}

		// Requirement 0: evidence type, then provider (two of them).
		p = b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		mustContain(t, p, "Choose one of the evidence types.")
		p = b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma},
			"evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
		wantStatus(t, p, http.StatusOK)
		mustContain(t, p, "Which authority should provide the evidence?", "Kultusministerium Hamburg", "application/pdf, application/xml")
		p = b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "provider": {"DE-EP-T2"}})
		wantStatus(t, p, http.StatusOK)
		mustContain(t, p, "I request the evidence “Abitur certificate” to be obtained from Kultusministerium Berlin in Germany.")

		// Requirement 1: the DSD asks whether the user resided in Germany.
		mustContain(t, p, "Have you ever resided in Germany?", `<option value="true">`)
		p = b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"maybe"}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		mustContain(t, p, "Answer the question: Have you ever resided in Germany?")
		p = b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"true"}})
		wantStatus(t, p, http.StatusOK)
		if got := e.svc.choices[len(e.svc.choices)-1].Answers["DE-RESIDED"]; got != "true" {
			t.Errorf("answer sent = %q", got)
		}
		mustContain(t, p, "I request the evidence “Birth certificate” to be obtained from Registry office DE in Germany.")

		// The explicit request: without the box nothing is sent.
		p = b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		mustContain(t, p, "tick the box", "Nothing has been sent", `role="alert" id="r0-error"`,
			`name="explicit" value="yes" aria-invalid="true" aria-describedby="r0-error"`)
		if n := e.svc.requestCount(); n != 0 {
			t.Fatalf("%d requests sent without the explicit request", n)
		}
		p = b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}, "explicit": {"yes"}})
		wantStatus(t, p, http.StatusOK)
		if n := e.svc.requestCount(); n != 1 {
			t.Fatalf("%d requests sent", n)
		}
		mustContain(t, p, `data-poll="/journeys/`+jid+`/status"`, `<script src="/static/journey.js" defer></script>`,
			"Waiting for the evidence", "We are waiting for an answer", "Check again")
		mustNotContain(t, p, `http-equiv="refresh"`)

		// Preview: a plain link to the provider's preview space.
		e.svc.preview(jid, 0, "https://preview.de.example/space?req=1&x=2")
		p = b.get("/journeys/" + jid)
		mustContain(t, p, `href="https://preview.de.example/space?req=1&amp;x=2&amp;lang=en"`, "Go to the preview at Kultusministerium Berlin")
		mustNotContain(t, p, `http-equiv="refresh"`)

		// Back from the preview through the ReturnURL the connector extended.
		e.svc.returned(jid, 0)
		p = b.get("/return?journey=" + url.QueryEscape(jid) + "&requirement=0")
		wantStatus(t, p, http.StatusOK)
		if p.url.Path != "/journeys/"+jid+"/return" {
			t.Errorf("return went to %s", p.url)
		}
		mustContain(t, p, "Welcome back. We are waiting for the authority", `data-poll="/journeys/`+jid+`/status?returned=1"`)

		// The evidence arrives.
		pdf := []byte("%PDF-1.7 diploma")
		evID := e.svc.deliver(jid, 0, "Abitur certificate of Max Mustermann", pdf)
		p = b.get("/journeys/" + jid + "/return")
		mustContain(t, p, "Evidence received", "Abitur certificate of Max Mustermann", "application/pdf", "Registry office", "2026-11-01",
			`href="/journeys/`+jid+`/evidence/`+evID+`"`)
		f := b.get("/journeys/" + jid + "/evidence/" + evID)
		wantStatus(t, f, http.StatusOK)
		if f.body != string(pdf) || f.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("evidence file: %q %q", f.header.Get("Content-Type"), f.body)
		}
		if cd := f.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") {
			t.Errorf("Content-Disposition = %q", cd)
		}
		wantStatus(t, b.get("/journeys/"+jid+"/evidence/nope"), http.StatusNotFound)

		// Not ready to submit yet.
		mustNotContain(t, p, "Check and submit the procedure")
		b.get("/journeys/" + jid)
		wantStatus(t, b.post("/journeys/"+jid+"/submit", nil), http.StatusConflict)

		// Requirement 1 fails: no evidence found. The connector ends the
		// journey there: trying again starts a new journey; or the user goes
		// on without.
		b.get("/journeys/" + jid)
		b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
		e.svc.fail(jid, 1, "EDM:ERR:0004", "No birth record for this person")
		p = b.get("/journeys/" + jid)
		mustContain(t, p, "The authority has no evidence about you.", "Check that you chose the right country",
			`<summary>Details for support</summary>`, "<code>EDM:ERR:0004</code>", "No birth record for this person",
			"Try again", "Continue without this evidence", "Some evidence could not be obtained")
		mustNotContain(t, p, "We are waiting", "Welcome back")
		mustNotContain(t, p, "Check and submit the procedure")
		p = b.post("/journeys/"+jid+"/retry", nil)
		wantStatus(t, p, http.StatusOK)
		if again := journeyID(t, p); again == jid || len(e.svc.starts) != 2 || e.svc.starts[1].Procedure != "T2" || e.svc.starts[1].Country != "DE" {
			t.Fatalf("try again: journey %s, starts %+v", again, e.svc.starts)
		}
		mustContain(t, p, "Which evidence do you want to provide?")
		p = b.get("/journeys/" + jid)
		p = b.post("/journeys/"+jid+"/skip", url.Values{"requirement": {reqBirth}})
		wantStatus(t, p, http.StatusOK)
		mustContain(t, p, "You continue without this evidence", "Check and submit the procedure")

		// Summary and submission.
		p = b.get("/journeys/" + jid + "/submit")
		wantStatus(t, p, http.StatusOK)
		mustContain(t, p, "Check your procedure", "Max Mustermann", "1990-04-12", "Abitur certificate of Max Mustermann",
			"You continue without this evidence", "Submit the procedure")
		p = b.post("/journeys/"+jid+"/submit", nil)
		wantStatus(t, p, http.StatusOK)
		m := regexp.MustCompile(`<strong class="ref">(FR-2026-[0-9A-Z]{5}-[0-9A-Z]{5})</strong>`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no reference number:\n%s", p.body)
		}
		ref := m[1]
		mustContain(t, p, "Procedure submitted", "Proof of secondary education: Abitur certificate of Max Mustermann",
			"Proof of birth: not provided (you continued without it)")

		// Stored, once.
		var n int
		var owner string
		if err := e.db.SQL().QueryRow(e.db.Rebind(`SELECT count(*), max(owner) FROM portal_submissions WHERE journey_id = ?`), jid).Scan(&n, &owner); err != nil {
			t.Fatal(err)
		}
		if n != 1 || owner != "person:DE/FR/1234" {
			t.Errorf("stored submissions: %d, owner %q", n, owner)
		}
		b.get("/journeys/" + jid)
		p = b.post("/journeys/"+jid+"/submit", nil)
		mustContain(t, p, ref)
		p = b.get("/journeys/" + jid + "/submit")
		if p.url.Path != "/submissions/"+ref {
			t.Errorf("summary after submission went to %s", p.url)
		}
		p = b.get("/")
		mustContain(t, p, "Your procedures", `href="/journeys/`+jid+`"`)

		sub, err := e.portal.Submission(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		want := []Item{{Requirement: "Proof of secondary education", Evidence: []string{"Abitur certificate of Max Mustermann"}},
			{Requirement: "Proof of birth", Without: true}}
		if sub.JourneyID != jid || sub.Procedure != "T2" || sub.Country != "DE" || sub.Applicant != "Max Mustermann" ||
			fmt.Sprint(sub.Items) != fmt.Sprint(want) {
			t.Errorf("stored submission %+v", sub)
		}
		if _, err := e.portal.Submission(context.Background(), "FR-2026-NOPE0-NOPE0"); !errors.Is(err, ErrNoSubmission) {
			t.Errorf("unknown reference: %v", err)
		}
	})
}

// TestOtherUsersJourney: a journey, its evidence and its submission are
// shown only to the user who started it; to anyone else they do not exist.
func TestOtherUsersJourney(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnvDB(t, "DE", db, nil)
		e.auth.as(person("alice", "Alice", "A"))
		alice := e.browser()
		p := alice.start("R1", "FR")
		jid := journeyID(t, p)
		alice.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
		ev := e.svc.deliver(jid, 0, "Acte de naissance", []byte("%PDF alice"))
		alice.get("/journeys/" + jid)
		p = alice.post("/journeys/"+jid+"/submit", nil)
		ref := regexp.MustCompile(`DE-2026-[0-9A-Z]{5}-[0-9A-Z]{5}`).FindString(p.body)
		if ref == "" {
			t.Fatalf("no reference:\n%s", p.body)
		}

		e.auth.as(person("bob", "Bob", "B"))
		bob := e.browser()
		bob.start("S1", "FR")
		for _, path := range []string{"/journeys/" + jid, "/journeys/" + jid + "/return", "/journeys/" + jid + "/evidence/" + ev,
			"/journeys/" + jid + "/submit", "/submissions/" + ref, "/journeys/unknown"} {
			p := bob.get(path)
			wantStatus(t, p, http.StatusNotFound)
			mustNotContain(t, p, "Acte de naissance", "Alice")
		}
		bob.get("/")
		wantStatus(t, bob.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}}), http.StatusNotFound)
		wantStatus(t, bob.post("/journeys/"+jid+"/skip", url.Values{"requirement": {reqBirth}}), http.StatusNotFound)

		// The same person acting for a company is another user.
		e.auth.as(representative("alice"))
		rep := e.browser()
		rep.start("X1", "FR")
		wantStatus(t, rep.get("/journeys/"+jid), http.StatusNotFound)

		// Someone not logged in is asked to log in.
		anon := e.browser()
		p = anon.get("/journeys/" + jid)
		wantStatus(t, p, http.StatusUnauthorized)
		mustContain(t, p, "Please log in", `action="/login"`, `name="return" value="/journeys/`+jid+`"`)
		mustNotContain(t, p, "Acte de naissance")
		// Logging in there as the owner comes back to the journey.
		e.auth.as(person("alice", "Alice", "A"))
		p = anon.post("/login", url.Values{"return": {"/journeys/" + jid}})
		wantStatus(t, p, http.StatusOK)
		if p.url.Path != "/journeys/"+jid {
			t.Errorf("after login: %s", p.url)
		}

		// Alice still sees hers.
		wantStatus(t, alice.get("/journeys/"+jid), http.StatusOK)
		wantStatus(t, alice.get("/submissions/"+ref), http.StatusOK)
	})
}

// TestCSRF: a POST without the session's token is refused and changes
// nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t, "FR", nil)
	e.auth.as(person("1", "Max", "M"))
	b := e.browser()
	p := b.start("R1", "DE")
	jid := journeyID(t, p)
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"false"}})

	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"missing on request", "/journeys/" + jid + "/request", url.Values{"csrf": {""}, "requirement": {reqBirth}, "explicit": {"yes"}}},
		{"wrong on request", "/journeys/" + jid + "/request", url.Values{"csrf": {"forged"}, "requirement": {reqBirth}, "explicit": {"yes"}}},
		{"missing on start", "/start", url.Values{"csrf": {""}, "procedure": {"S1"}, "country": {"DE"}}},
		{"missing on logout", "/logout", url.Values{"csrf": {""}}},
		{"missing on submit", "/journeys/" + jid + "/submit", url.Values{"csrf": {""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post(tc.path, tc.form)
			wantStatus(t, p, http.StatusForbidden)
			mustContain(t, p, "This form has expired or did not come from this site.")
		})
	}
	if n := e.svc.requestCount(); n != 0 {
		t.Errorf("%d requests sent by forged forms", n)
	}
	if len(e.svc.starts) != 1 {
		t.Errorf("%d journeys started", len(e.svc.starts))
	}
	// A fresh browser (no session at all) is refused too.
	fresh := e.browser()
	wantStatus(t, fresh.post("/start", url.Values{"csrf": {"x"}, "procedure": {"R1"}, "country": {"DE"}}), http.StatusForbidden)
	// The session is still valid.
	wantStatus(t, b.get("/journeys/"+jid), http.StatusOK)
}

// TestLanguages: English and the portal's language, chosen by
// Accept-Language, by ?lang= (remembered), with a switch on every page.
func TestLanguages(t *testing.T) {
	for _, tc := range []struct {
		country, lang, home, switchName string
	}{
		{"DE", "de", "Ein Verfahren online erledigen", "Deutsch"},
		{"FR", "fr", "Effectuer une démarche en ligne", "Français"},
		{"FI", "fi", "Hoida asia verkossa", "Suomi"},
		{"SE", "sv", "Genomför ett förfarande på nätet", "Svenska"},
	} {
		t.Run(tc.country, func(t *testing.T) {
			e := newEnv(t, tc.country, nil)
			b := e.browser()
			b.lang = tc.lang + "-" + tc.country + ",en;q=0.5"
			p := b.get("/")
			mustContain(t, p, `<html lang="`+tc.lang+`">`, tc.home, `href="/?lang=en"`, `lang="en" hreflang="en">English</a>`)
			mustNotContain(t, p, "??")
			if p.header.Get("Content-Language") != tc.lang {
				t.Errorf("Content-Language = %q", p.header.Get("Content-Language"))
			}
			// Switch to English: remembered for the next pages.
			p = b.get("/?lang=en")
			mustContain(t, p, `<html lang="en">`, "Complete a procedure online", `href="/?lang=`+tc.lang+`"`, ">"+tc.switchName+"</a>")
			p = b.get("/")
			mustContain(t, p, `<html lang="en">`)

			// A whole journey renders in the local language.
			e.auth.as(person("7", "Max", "M"))
			b.get("/?lang=" + tc.lang)
			p = b.start("T2", "DE")
			jid := journeyID(t, p)
			mustContain(t, p, `<html lang="`+tc.lang+`">`, html.EscapeString(translate(tc.lang, "chooseEvidenceType")))
			mustNotContain(t, p, "??")
			b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"true"}})
			p = b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}})
			mustContain(t, p, html.EscapeString(translate(tc.lang, "errConsent")))
			b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
			e.svc.fail(jid, 1, "EDM:ERR:0001", "")
			p = b.get("/journeys/" + jid)
			mustContain(t, p, html.EscapeString(translate(tc.lang, "why_identity")), html.EscapeString(translate(tc.lang, "next_identity")))
			mustNotContain(t, p, "??")
		})
	}
	// An unsupported language falls back to English.
	e := newEnv(t, "DE", nil)
	b := e.browser()
	b.lang = "it,es;q=0.8"
	mustContain(t, b.get("/"), `<html lang="en">`)
	mustContain(t, b.get("/?lang=it"), `<html lang="en">`)
	// Every portal offers the five languages, whatever its country.
	mustContain(t, b.get("/?lang=fi"), `<html lang="fi">`, `hreflang="sv">Svenska</a>`, `hreflang="fr">Français</a>`)
}

// TestCatalogueComplete: every text exists in every language and takes as
// many arguments in each.
func TestCatalogueComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[sdv]`)
	for key, e := range catalogue {
		n := len(verbs.FindAllString(e["en"], -1))
		for _, l := range catalogueLanguages {
			if strings.TrimSpace(e[l]) == "" {
				t.Errorf("%s: no %s text", key, l)
			}
			if got := len(verbs.FindAllString(e[l], -1)); got != n {
				t.Errorf("%s/%s: %d arguments, English has %d", key, l, got, n)
			}
		}
	}
	for _, step := range []string{requester.StepChooseEvidenceType, requester.StepAnswerQuestions, requester.StepChooseProvider,
		requester.StepExplicitRequest, requester.StepWaiting, requester.StepPreview, requester.StepDone, requester.StepFailed} {
		if _, ok := catalogue["step_"+step]; !ok {
			t.Errorf("no text for step %s", step)
		}
	}
	for _, st := range []string{requester.JourneyOpen, requester.JourneyComplete, requester.JourneyFailed} {
		if _, ok := catalogue["state_"+st]; !ok {
			t.Errorf("no text for journey state %s", st)
		}
	}
}

// TestFailureReasons: each way an exchange fails has its own words and
// next step, and the words never carry the EDM error code.
func TestFailureReasons(t *testing.T) {
	for _, tc := range []struct {
		code, detail string
		previewed    bool
		want         string
	}{
		{"EDM:ERR:0001", "", true, "could not confirm that this evidence is about you"},
		{"EDM:ERR:0002", "", true, "You chose not to share this evidence"},
		{"EDM:ERR:0008", "the user did not approve the exchange of the evidence", true, "You chose not to share this evidence"},
		{"EDM:ERR:0008", "the user did not approve the exchange of the evidence", false, "technical problem"},
		{"EDM:ERR:0008", "the register could not be queried", true, "technical problem"},
		{"EDM:ERR:0003", "", false, "technical problem"},
		{"EDM:ERR:0004", "", false, "has no evidence about you"},
		{"EDM:ERR:0005", "", true, "The time for this exchange ran out"},
		{"EDM:ERR:0007", "", false, "technical problem"},
		{"timeout", "", false, "The time for this exchange ran out"},
		{requester.CodeEmptyResponse, "", false, "without any evidence"},
		{requester.CodeDeferredTooLong, "", false, "within a reasonable time"},
		{"delivery-failed", "", false, "The evidence could not be obtained."},
	} {
		x := &requester.Exchange{Previewed: tc.previewed, Error: &requester.Failure{Code: edm.ErrorCode(tc.code), Message: "Problem", Detail: tc.detail}}
		o := outcome(x)
		for _, l := range catalogueLanguages {
			why, next := outcomeTexts(&request{lang: l}, o)
			if strings.Contains(why+next, "??") || strings.Contains(why+next, "EDM:") {
				t.Errorf("%s/%s: %q %q", tc.code, l, why, next)
			}
			if l == "en" && !strings.Contains(why, tc.want) {
				t.Errorf("%s (%s): %q, want %q in it", tc.code, tc.detail, why, tc.want)
			}
		}
	}
}

// TestBlockedAfterFailure: when one requirement fails before another was
// requested, the other can no longer be chosen (the connector ends the
// journey); the user may go on without both and submit.
func TestBlockedAfterFailure(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnvDB(t, "FI", db, nil)
		e.auth.as(person("b", "Matti", "M"))
		b := e.browser()
		jid := journeyID(t, b.start("T2", "DE"))
		b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"false"}})
		b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
		e.svc.fail(jid, 1, "EDM:ERR:0004", "No record")
		p := b.get("/journeys/" + jid)
		mustContain(t, p, html.EscapeString(translate("en", "why_notfound")), "can no longer be requested here")
		mustNotContain(t, p, "Which evidence do you want to provide?")

		// A choice posted anyway (an old tab) is refused by the connector.
		p = b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma},
			"evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		mustContain(t, p, "This step has changed in the meantime")

		b.post("/journeys/"+jid+"/skip", url.Values{"requirement": {reqDiploma}})
		p = b.post("/journeys/"+jid+"/skip", url.Values{"requirement": {reqBirth}})
		mustContain(t, p, "Check and submit the procedure")
		b.get("/journeys/" + jid + "/submit")
		b.post("/journeys/"+jid+"/submit", nil)
		var n int
		if err := e.db.SQL().QueryRow(e.db.Rebind(`SELECT count(*) FROM portal_submissions WHERE journey_id = ?`), jid).Scan(&n); err != nil || n != 1 {
			t.Fatalf("submissions: %d %v", n, err)
		}
	})
}

// TestCompanyProcedure: X1 needs a user acting for a company.
func TestCompanyProcedure(t *testing.T) {
	e := newEnv(t, "SE", nil)
	e.auth.as(person("p1", "Sven", "S"))
	b := e.browser()
	p := b.start("X1", "DE")
	wantStatus(t, p, http.StatusForbidden)
	mustContain(t, p, "This procedure is for companies. Log in as the representative of a company")
	if len(e.svc.starts) != 0 {
		t.Fatalf("journey started without a company")
	}
	// Log in again as a representative: the journey starts for the company.
	mustContain(t, p, `name="resume" value="1"`)
	e.auth.as(representative("p1"))
	p = b.post("/login", url.Values{"resume": {"1"}})
	wantStatus(t, p, http.StatusOK)
	journeyID(t, p)
	mustContain(t, p, "Muster GmbH", "Proof of company registration")
	if st := e.svc.starts[0]; st.Subject.Company == nil || st.Subject.Company.LegalName != "Muster GmbH" {
		t.Errorf("StartRequest subject = %+v", st.Subject)
	}
}

// TestLogin: the state is bound to the browser that began the login, a
// failed login says so, and logging in gives a new session.
func TestLogin(t *testing.T) {
	e := newEnv(t, "FR", nil)
	e.auth.as(person("9", "Max", "M"))

	// A callback carried into another browser is refused.
	victim := e.browser()
	victim.get("/")
	victim.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := url.Values{"csrf": {csrfOf(t, victim.last)}}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := victim.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/login" {
		t.Fatalf("POST /login went to %q", loc)
	}
	resp, err = victim.c.Get(e.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, e.srv.URL+"/login/callback?code=") {
		t.Fatalf("login went to %q", callback)
	}
	attacker := e.browser()
	attacker.get("/")
	attacker.post("/login", nil) // the attacker's own login state
	p := attacker.get(strings.TrimPrefix(callback, e.srv.URL))
	wantStatus(t, p, http.StatusBadRequest)
	mustContain(t, p, "This login was not started in this browser")

	// A callback without a login begun.
	wantStatus(t, e.browser().get("/login/callback?code=x"), http.StatusBadRequest)

	// A cancelled login.
	e.auth.as(nil)
	b := e.browser()
	p = b.start("R1", "DE")
	wantStatus(t, p, http.StatusUnauthorized)
	mustContain(t, p, "The login did not succeed.")

	// The session token changes at login.
	e.auth.as(person("9", "Max", "M"))
	b = e.browser()
	b.get("/")
	before := sessionCookie(t, b)
	b.post("/login", nil)
	after := sessionCookie(t, b)
	if before == "" || after == "" || before == after {
		t.Errorf("session token before login %q, after %q", before, after)
	}
	// Logout ends the session and says so.
	p = b.post("/logout", nil)
	mustNotContain(t, p, "Logged in as")
	mustContain(t, p, "<h1>You are logged out</h1>", `role="status"`)
}

func sessionCookie(t *testing.T, b *browser) string {
	t.Helper()
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == cookieSession {
			return c.Value
		}
	}
	return ""
}

// TestCookies: HttpOnly, SameSite=Lax, and Secure with the __Host- prefix
// on https.
func TestCookies(t *testing.T) {
	e := newEnv(t, "FR", nil)
	resp, err := http.Get(e.srv.URL + "/?lang=fr")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	names := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		names[c.Name] = c
	}
	for _, n := range []string{cookieSession, cookieLang} {
		c := names[n]
		if c == nil {
			t.Fatalf("no cookie %s", n)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
			t.Errorf("cookie %s: %+v", n, c)
		}
	}

	tls := newEnv(t, "FR", func(c *Config) { c.BaseURL = "https://portal.example" })
	resp, err = http.Get(tls.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no HSTS with an https BaseURL")
	}
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == cookieSessionSecure {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("secure cookie: %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("no %s cookie with an https BaseURL", cookieSessionSecure)
	}
}

// TestRestart: sessions and journeys live in the database, so a new
// portal on the same database knows the user and their journey.
func TestRestart(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnvDB(t, "FR", db, nil)
		e.auth.as(person("r", "Max", "M"))
		b := e.browser()
		jid := journeyID(t, b.start("R1", "DE"))

		p2, err := New(e.cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.serve(p2.Handler())
		p := b.get("/journeys/" + jid)
		wantStatus(t, p, http.StatusOK)
		mustContain(t, p, "Max M", "Have you ever resided in Germany?")
	})
}

// TestStartErrors: wrong choices on the home page and a connector that
// cannot start the journey.
func TestStartErrors(t *testing.T) {
	e := newEnv(t, "FR", func(c *Config) {
		c.Procedures = append(demoProcedures(t), Procedure{Code: "Z9", Titles: map[string]string{"en": "Unknown to the Evidence Broker"}})
	})
	e.auth.as(person("s", "Max", "M"))
	b := e.browser()
	b.get("/")
	p := b.post("/start", url.Values{"procedure": {"Q7"}, "country": {"DE"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	mustContain(t, p, "Choose one of the procedures in the list.")
	p = b.post("/start", url.Values{"procedure": {"R1"}, "country": {"IT"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	mustContain(t, p, "Choose one of the countries in the list.")
	p = b.post("/start", url.Values{"procedure": {"Z9"}, "country": {"DE"}})
	wantStatus(t, p, http.StatusNotFound)
	mustContain(t, p, "No evidence for this procedure can be obtained from the chosen country.")
	e.svc.mu.Lock()
	e.svc.down = true
	e.svc.mu.Unlock()
	b.get("/")
	p = b.post("/start", url.Values{"procedure": {"R1"}, "country": {"DE"}})
	wantStatus(t, p, http.StatusBadGateway)
	mustContain(t, p, "The procedure could not be started")
}

// TestStaticAndNotFound: the style sheet is served, unknown pages are 404.
func TestStaticAndNotFound(t *testing.T) {
	e := newEnv(t, "FR", nil)
	resp, err := http.Get(e.srv.URL + "/static/portal.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("portal.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	b := e.browser()
	wantStatus(t, b.get("/static/"), http.StatusNotFound)
	wantStatus(t, b.get("/nowhere"), http.StatusNotFound)
	wantStatus(t, b.get("/return?journey="), http.StatusNotFound)
}

// TestConfigValidate names the wrong field.
func TestConfigValidate(t *testing.T) {
	e := newEnv(t, "FR", nil)
	good := e.cfg
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"country", func(c *Config) { c.Country = "XX" }, "Country"},
		{"name", func(c *Config) { c.Name = " " }, "Name"},
		{"base url", func(c *Config) { c.BaseURL = "portal.example" }, "BaseURL"},
		{"base url slash", func(c *Config) { c.BaseURL = "https://portal.example/" }, "slash"},
		{"service", func(c *Config) { c.Service = nil }, "Service"},
		{"authenticator", func(c *Config) { c.Authenticator = nil }, "Authenticator"},
		{"db", func(c *Config) { c.DB = nil }, "DB"},
		{"countries", func(c *Config) { c.Countries = nil }, "Countries"},
		{"country code", func(c *Config) { c.Countries = []string{"de"} }, "Countries"},
		{"procedures", func(c *Config) { c.Procedures = nil }, "Procedures"},
		{"procedure title", func(c *Config) { c.Procedures = []Procedure{{Code: "R1"}} }, "English title"},
		{"procedure twice", func(c *Config) { c.Procedures = append(demoProcedures(t), demoProcedures(t)[0]) }, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want ErrConfig naming %s", err, tc.want)
			}
			if _, err := New(c); err == nil {
				t.Errorf("New accepted it")
			}
		})
	}
	if err := good.Validate(); err != nil {
		t.Errorf("good config: %v", err)
	}
}

// TestPageChecker: the checker used on every page finds what it should.
func TestPageChecker(t *testing.T) {
	ok := `<!DOCTYPE html><html lang="en"><body><a href="#main">skip</a><main id="main"><h1>T</h1>
<form><label for="a">A</label><input id="a" name="a"><input type="hidden" name="h">
<label>B <input name="b"></label><select aria-label="C"><option selected>x</option></select></form></main></body></html>`
	if f := pageFindings(ok); len(f) != 0 {
		t.Errorf("good page: %v", f)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"unlabelled", `<html lang="en"><a href="#main">s</a><main id="main"><h1>T</h1><input id="x" name="x"></main></html>`, "no label"},
		{"no lang", `<html><a href="#main">s</a><main id="main"><h1>T</h1></main></html>`, "lang"},
		{"heading skip", `<html lang="en"><a href="#main">s</a><main id="main"><h1>T</h1><h3>x</h3></main></html>`, "skips"},
		{"script", `<html lang="en"><a href="#main">s</a><main id="main"><h1>T</h1><script>x()</script></main></html>`, "script"},
		{"duplicate id", `<html lang="en"><a href="#main">s</a><main id="main"><h1 id="main">T</h1></main></html>`, "duplicate"},
	} {
		f := pageFindings(tc.body)
		if !strings.Contains(strings.Join(f, ";"), tc.want) {
			t.Errorf("%s: findings %v, want %q", tc.name, f, tc.want)
		}
	}
}

// TestSessionStoreExpiry: an expired session is not found.
func TestSessionStoreExpiry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnvDB(t, "FR", db, nil)
		s := e.portal.sessions
		ctx := context.Background()
		now := testClock()()
		sess, err := s.newSession(ctx, strings.NewReader(strings.Repeat("k", 64)), now, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.get(ctx, sess.token, now)
		if err != nil || got == nil {
			t.Fatalf("live session: %v %v", got, err)
		}
		got, err = s.get(ctx, sess.token, now.Add(time.Second))
		if err != nil || got != nil {
			t.Fatalf("expired session: %v %v", got, err)
		}
	})
}

// FuzzPageChecker: the test's own HTML reader does not hang or panic on
// any input (it reads every page of the tests).
func FuzzPageChecker(f *testing.F) {
	f.Add(`<html lang="en"><main id="main"><h1>x</h1></main></html>`)
	f.Fuzz(func(t *testing.T, s string) { pageFindings(s) })
}

// FuzzLocalPath: the page to go back to after a login is always a path of
// the portal, never another site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/journeys/1", "//evil.example/x", "/\\evil.example", "https://evil.example", "/a?b=c#d", "", "/%2F%2Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := localPath(s)
		if p == "" {
			return
		}
		u, err := url.Parse(p)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
			t.Fatalf("localPath(%q) = %q (%v)", s, p, err)
		}
	})
}

// TestLocalPath: the return path after a login (with the fuzzer's finding
// "/0%", a path that does not parse, as a regression case).
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/journeys/1": "/journeys/1", "/a?b=c": "/a?b=c",
		"//evil.example": "", "/\\evil.example": "", "https://evil.example/": "", "journeys": "", "": "", "/0%": "",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestErrorTitleAndFooter: an error page says "Error:" in its title; every
// page links to the accessibility statement, the privacy notice and the
// contact, on the page /about, in the user's language.
func TestErrorTitleAndFooter(t *testing.T) {
	e := newEnv(t, "DE", nil)
	b := e.browser()
	p := b.get("/no-such-page")
	wantStatus(t, p, http.StatusNotFound)
	mustContain(t, p, "<title>Error: ", `href="/about#accessibility"`, `href="/about#privacy"`, `href="/about#contact"`)
	p = b.get("/?lang=de")
	mustContain(t, p, "Erklärung zur Barrierefreiheit", "Datenschutzhinweis")
	mustNotContain(t, p, "<title>Fehler")
	p = b.get("/about")
	wantStatus(t, p, http.StatusOK)
	mustContain(t, p, `id="accessibility"`, `id="privacy"`, `id="contact"`, "WCAG")
	checkPage(t, "/about", p.body)
}

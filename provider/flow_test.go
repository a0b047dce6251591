package provider_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
)

const berlin = "DE-EP-BERLIN1"

// first delivers a first request and returns the preview link.
func (e *env) first(q *edm.QueryRequest, conv, xid string) (link string) {
	e.t.Helper()
	n := len(e.send.all())
	rm := e.message(q, conv, xid)
	e.deliver(rm)
	as := e.answers(n)
	if len(as) != 1 {
		e.t.Fatalf("%d answers to the first request", len(as))
	}
	a := as[0]
	exc := exceptionOf(e.t, a)
	if exc.Code != "EDM:ERR:0002" || exc.Severity != edm.SeverityPreviewRequired || !strings.HasPrefix(exc.PreviewLocation, "https://") {
		e.t.Fatalf("first answer: %s %s %q (%s)", exc.Code, exc.Severity, exc.PreviewLocation, exc.Detail)
	}
	if a.RefToMessageID != rm.MessageID || a.ConversationID != conv || a.ExchangeID != xid || a.To != "AP-FR" ||
		a.OriginalSender.Value != q.EvidenceProvider.Identifier.Value || a.FinalRecipient.Value != q.EvidenceRequester[0].Identifier.Value {
		e.t.Errorf("ebMS context of the answer: to %s, conversation %s, exchange %s, ref %s, from %s to %s", a.To, a.ConversationID, a.ExchangeID,
			a.RefToMessageID, a.OriginalSender.Value, a.FinalRecipient.Value)
	}
	if (exc.PreviewMethod == "GET") == q.Version().Is2() {
		e.t.Errorf("PreviewMethod %q in %s", exc.PreviewMethod, q.Version())
	}
	return exc.PreviewLocation
}

// second is the request after the preview.
func second(q *edm.QueryRequest, link string) *edm.QueryRequest {
	r := *q
	r.ID = "urn:uuid:" + newUUID()
	r.PreviewLocation = link
	if q.Version().Is2() {
		r.ReturnLocation = "https://portal.example.fr/return/1"
	}
	return &r
}

// evidenceOf checks an evidence response and returns its attachments.
func evidenceOf(t *testing.T, m *exchange.Message, req *edm.QueryRequest) []exchange.Attachment {
	t.Helper()
	if m.Response == nil {
		t.Fatalf("not an evidence response: %+v", m.Error.Exceptions[0])
	}
	if m.Response.RequestID != req.ID {
		t.Errorf("requestId %s, want %s", m.Response.RequestID, req.ID)
	}
	var objs []*edm.EvidenceObject
	if req.Version().Is2() {
		for _, p := range m.Response.Packages {
			objs = append(objs, p.Evidence...)
		}
		if len(objs) == 0 || objs[0].Role() != edm.RoleMainEvidence {
			t.Errorf("2.0 package without MainEvidence")
		}
	} else {
		objs = m.Response.Evidence
	}
	if len(objs) == 0 || len(m.Attachments) != len(objs) {
		t.Fatalf("%d evidence objects, %d attachments", len(objs), len(m.Attachments))
	}
	md := objs[0].Metadata
	if md.IsAbout == nil || md.IsAbout.NaturalPerson == nil || md.IsAbout.NaturalPerson.FamilyName != req.NaturalPerson.FamilyName ||
		md.IssuingAuthority == nil || md.IsConformantTo == nil || md.IsConformantTo.EvidenceTypeClassification != req.EvidenceRequest.EvidenceTypeClassification ||
		md.IssuingDate == "" || len(md.Distribution) != 1 || md.Distribution[0].Format != "application/pdf" || len(md.Distribution[0].Language) != 1 {
		t.Errorf("evidence metadata: %+v", md)
	}
	if a := m.Attachments[0]; a.MimeType != "application/pdf" || !bytes.HasPrefix(a.Data, []byte("%PDF-1.4")) {
		t.Errorf("attachment %s %q…", a.MimeType, a.Data[:min(len(a.Data), 10)])
	}
	return m.Attachments
}

// TestFlow is the whole provider flow, EDM 1.0 and 2.0, on SQLite and
// PostgreSQL: first request → EDM:ERR:0002 with an https PreviewLocation;
// the user logs in, sees the evidence, approves; the second request gets
// the evidence with its PDF. In 1.0 the second request comes before the
// decision, in 2.0 after it.
func TestFlow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { flowSuite(t, "") })
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		flowSuite(t, srv.NewDatabase(t))
	})
}

func flowSuite(t *testing.T, dsn string) {
	t.Run("1.0", func(t *testing.T) {
		e := newEnv(t, dsn, nil)
		u := user(t, anna)
		q := e.request(edm.V1_0, berlin, u)
		link := e.first(q, "conv-1", "")
		q2 := second(q, link)
		n := len(e.send.all())
		e.deliver(e.message(q2, "conv-1", ""))
		if got := len(e.send.all()); got != n {
			t.Fatalf("the second request was answered before the user decided")
		}
		b := e.browser()
		b.get(link + "?returnurl=https%3A%2F%2Fportal.example.fr%2Fback%2F1")
		p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
		if p.status != http.StatusOK || !strings.Contains(p.body, `type="application/pdf"`) || !strings.Contains(p.body, "Müller") {
			t.Fatalf("preview page %d:\n%s", p.status, p.body)
		}
		for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options"} {
			if p.hdr.Get(h) == "" {
				t.Errorf("preview page without %s", h)
			}
		}
		if p.hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", p.hdr.Get("Cache-Control"))
		}
		token := tokenOf(t, link)
		f := b.get("/preview/" + token + "/file/1")
		if f.status != 200 || f.hdr.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(f.hdr.Get("Content-Disposition"), "inline") ||
			f.hdr.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(f.body, "%PDF-1.4") {
			t.Errorf("file: %d %v", f.status, f.hdr)
		}
		d := b.decide(token, p, "approve")
		if d.status != http.StatusSeeOther || d.hdr.Get("Location") != "https://portal.example.fr/back/1" {
			t.Errorf("after the decision: %d %q", d.status, d.hdr.Get("Location"))
		}
		as := e.answers(n)
		if len(as) != 1 {
			t.Fatalf("%d answers after the decision", len(as))
		}
		atts := evidenceOf(t, as[0], q2)
		if atts[0].Data == nil || string(atts[0].Data) != f.body {
			t.Errorf("the evidence sent is not the one shown")
		}
		if as[0].RefToMessageID == "" || as[0].ConversationID != "conv-1" {
			t.Errorf("context %+v", as[0])
		}
		// The link is spent.
		if again := b.get(link); again.status != http.StatusGone || strings.Contains(again.body, "application/pdf") {
			t.Errorf("replayed link: %d", again.status)
		}
		for _, ev := range [][2]string{{journal.EventRequestReceived, ""}, {journal.EventResponseSent, "EDM:ERR:0002"}, {journal.EventPreviewShown, ""},
			{journal.EventPreviewApproved, ""}, {journal.EventResponseSent, journal.OutcomeOK}} {
			if !e.journal.has(ev[0], ev[1:]...) {
				t.Errorf("journal has no %s %s", ev[0], ev[1])
			}
		}
		for _, r := range e.journal.recs {
			if r.Conversation != "conv-1" || r.Provider != berlin || r.Procedure != "R1" || r.Requester != "FR-ER-1" || r.EvidenceType == "" {
				t.Errorf("journal record %+v", r)
			}
		}
	})
	t.Run("2.0", func(t *testing.T) {
		e := newEnv(t, dsn, nil)
		u := user(t, anna)
		q := e.request(edm.V2_0, berlin, u)
		xid := newUUID()
		link := e.first(q, "conv-2", xid)
		b := e.browser()
		p := b.loginAndSee(e, link, subject(u, eid.LoASubstantial))
		d := b.decide(tokenOf(t, link), p, "approve")
		// The second request has not arrived: no return address yet.
		if d.status != http.StatusOK || !strings.Contains(d.body, "recorded") {
			t.Errorf("decision page %d\n%s", d.status, d.body)
		}
		n := len(e.send.all())
		q2 := second(q, link)
		e.deliver(e.message(q2, "conv-2", xid))
		as := e.answers(n)
		if len(as) != 1 {
			t.Fatalf("%d answers", len(as))
		}
		evidenceOf(t, as[0], q2)
		if as[0].ExchangeID != xid {
			t.Errorf("ExchangeId %q", as[0].ExchangeID)
		}
	})
	t.Run("restart", func(t *testing.T) {
		e := newEnv(t, dsn, nil)
		u := user(t, anna)
		q := e.request(edm.V1_0, berlin, u)
		link := e.first(q, "conv-3", "")
		e.restart()
		b := e.browser()
		p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
		e.restart()
		b.decide(tokenOf(t, link), p, "approve")
		e.restart()
		n := len(e.send.all())
		q2 := second(q, link)
		e.deliver(e.message(q2, "conv-3", ""))
		as := e.answers(n)
		if len(as) != 1 {
			t.Fatalf("%d answers", len(as))
		}
		evidenceOf(t, as[0], q2)
	})
}

// TestRefusal: the user refuses; the second request gets EDM:ERR:0008 with
// severity Error in 1.x and 2.0 (R-EDM-ERR-C015 keeps EDM:ERR:0002 for the
// preview request).
func TestRefusal(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	link := e.first(q, "c", "")
	b := e.browser()
	p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
	d := b.decide(tokenOf(t, link), p, "refuse")
	if d.status != http.StatusOK || !strings.Contains(d.body, "You refused") {
		t.Errorf("refusal page: %d\n%s", d.status, d.body)
	}
	n := len(e.send.all())
	e.deliver(e.message(second(q, link), "c", ""))
	as := e.answers(n)
	exc := exceptionOf(t, as[0])
	if exc.Code != "EDM:ERR:0008" || exc.Severity != edm.SeverityError || !strings.Contains(exc.Detail, "did not approve") {
		t.Errorf("refusal answer: %s %s %s", exc.Code, exc.Severity, exc.Detail)
	}
	// In 2.0 too, and the answer passes the 2.0 rules.
	q = e.request(edm.V2_0, berlin, u)
	xid := newUUID()
	link = e.first(q, "c2", xid)
	b = e.browser()
	b.decide(tokenOf(t, link), b.loginAndSee(e, link, subject(u, eid.LoAHigh)), "refuse")
	n = len(e.send.all())
	e.deliver(e.message(second(q, link), "c2", xid))
	exc = exceptionOf(t, e.answers(n)[0])
	if exc.Code != "EDM:ERR:0008" || exc.Severity != edm.SeverityError || !strings.Contains(exc.Detail, "did not approve") {
		t.Errorf("2.0 refusal answer: %s %s %s", exc.Code, exc.Severity, exc.Detail)
	}
}

// TestWrongUser: someone else logs in with the link: nothing shown, the
// exchange is answered EDM:ERR:0001, the link is spent.
func TestWrongUser(t *testing.T) {
	e := newEnv(t, "", nil)
	q := e.request(edm.V1_0, berlin, user(t, anna))
	link := e.first(q, "c", "")
	n := len(e.send.all())
	e.deliver(e.message(second(q, link), "c", ""))
	b := e.browser()
	// Anna's namesake (same names and birth date, other identifier).
	p := b.loginAndSee(e, link, subject(user(t, anna2), eid.LoAHigh))
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "This evidence is not about you") || strings.Contains(p.body, "application/pdf") {
		t.Errorf("wrong user page %d\n%s", p.status, p.body)
	}
	as := e.answers(n)
	if len(as) != 1 || exceptionOf(t, as[0]).Code != "EDM:ERR:0001" {
		t.Fatalf("answers %v", as)
	}
	if !e.journal.has(provider.EventWrongUser, "EDM:ERR:0001") {
		t.Error("not journalled")
	}
	// The real subject cannot use the link any more either.
	b2 := e.browser()
	if g := b2.get(link); g.status != http.StatusGone {
		t.Errorf("after a wrong user: %d", g.status)
	}
	if g := b.get("/preview/" + tokenOf(t, link) + "/file/1"); g.status != http.StatusGone || strings.HasPrefix(g.body, "%PDF") {
		t.Errorf("file after a wrong user: %d", g.status)
	}
}

// TestLinks: unknown, malformed and replayed links show nothing; a login
// answer without the browser's state is refused; documents need the
// viewer's cookie; the decision needs the CSRF token.
func TestLinks(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	link := e.first(q, "c", "")
	token := tokenOf(t, link)
	b := e.browser()
	for _, path := range []string{"/preview/AAAAAAAAAAAAAAAAAAAAAA", "/preview/short", "/preview/" + token + "x"} {
		if p := b.get(path); p.status != http.StatusNotFound || !strings.Contains(p.body, "Unknown preview link") {
			t.Errorf("%s: %d", path, p.status)
		}
	}
	// Before the login the start page says who asks, from which
	// country, for which procedure and which evidence, without
	// identifiers.
	startPage := b.get(link)
	ask := startPage.body[strings.Index(startPage.body, `<dl class="ask">`)+1:]
	ask = ask[:strings.Index(ask, "</dl>")]
	for _, want := range []string{"Asked by", "For the procedure", "Evidence asked for"} {
		if !strings.Contains(ask, want) {
			t.Errorf("the start page does not say %q:\n%s", want, startPage.body)
		}
	}
	t.Logf("start page: %s", ask)
	if strings.Contains(ask, "urn:") || strings.Contains(ask, "http") {
		t.Errorf("identifiers on the start page: %s", ask)
	}
	// The error page says so in its title and is no dead end: ways
	// onward, and the footer's accessibility statement, privacy notice
	// and contact, on a page that exists.
	unknown := b.get("/preview/short")
	for _, want := range []string{"<title>Error: Unknown preview link", "What you can do", `href="/consents"`,
		`href="/about#accessibility"`, `href="/about#privacy"`, `href="/about#contact"`} {
		if !strings.Contains(unknown.body, want) {
			t.Errorf("the unknown link page lacks %q", want)
		}
	}
	if a := b.get("/about?lang=sv"); a.status != http.StatusOK || !strings.Contains(a.body, `id="contact"`) || !strings.Contains(a.body, "Tillgänglighetsredogörelse") {
		t.Errorf("/about: %d", a.status)
	}
	b.get("/about?lang=en")
	if p := b.get("/preview/" + token + "/file/1"); p.status == http.StatusOK {
		t.Error("document served without login")
	}
	// A callback replayed into a browser that did not start the login.
	e.idp.as(subject(u, eid.LoAHigh))
	other := e.browser()
	other.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	start := other.get("/preview/" + token + "/login")
	cb := start.hdr.Get("Location")
	if cb == "" {
		t.Fatalf("login did not redirect: %d", start.status)
	}
	if p := b.get(cb); p.status != http.StatusBadRequest {
		t.Errorf("callback replayed into another browser: %d", p.status)
	}
	p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
	if p.status != http.StatusOK {
		t.Fatal(p.status)
	}
	if d := b.post("/preview/"+token+"/decide", map[string][]string{"csrf": {"forged"}, "decision": {"approve"}}); d.status != http.StatusForbidden {
		t.Errorf("forged CSRF: %d", d.status)
	}
	if other.get("/preview/"+token+"/file/1").status == http.StatusOK {
		t.Error("document served to another browser")
	}
	// Language switch.
	if de := b.get("/preview/" + token + "?lang=de"); !strings.Contains(de.body, `lang="de"`) || !strings.Contains(de.body, "Ihr Nachweis") {
		t.Errorf("German page:\n%s", de.body)
	}
	if fr := b.get("/preview/" + token + "?lang=fr"); !strings.Contains(fr.body, "Votre preuve") {
		t.Error("French page")
	}
	// The language chosen is remembered for the next pages.
	if fr := b.get("/preview/" + token); !strings.Contains(fr.body, "Votre preuve") {
		t.Error("the language chosen is not remembered")
	}
	b.get("/preview/" + token + "?lang=en")
	b.decide(token, p, "approve")
	if g := b.get(link); g.status != http.StatusGone || !strings.Contains(g.body, "can no longer be used") {
		t.Errorf("replayed link: %d", g.status)
	}
}

// TestLowLoA: a login below the provider's level shows nothing and does not
// end the session.
func TestLowLoA(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	link := e.first(e.request(edm.V1_0, berlin, u), "c", "")
	b := e.browser()
	if p := b.loginAndSee(e, link, subject(u, eid.LoALow)); p.status != http.StatusForbidden || strings.Contains(p.body, "application/pdf") {
		t.Errorf("low LoA: %d", p.status)
	}
	if p := b.loginAndSee(e, link, subject(u, eid.LoAHigh)); p.status != http.StatusOK {
		t.Errorf("then a good login: %d", p.status)
	}
}

// TestTamperedReturn: a 1.x returnurl outside ReturnAllow is not followed;
// the decision still counts.
func TestTamperedReturn(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	link := e.first(q, "c", "")
	b := e.browser()
	b.get(link + "?returnurl=" + "https%3A%2F%2Fportal.example.fr.evil.example%2Fsteal")
	p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
	d := b.decide(tokenOf(t, link), p, "approve")
	if d.status != http.StatusOK || d.hdr.Get("Location") != "" || !strings.Contains(d.body, "not one this service may send you to") {
		t.Errorf("tampered return: %d %q\n%s", d.status, d.hdr.Get("Location"), d.body)
	}
	n := len(e.send.all())
	q2 := second(q, link)
	e.deliver(e.message(q2, "c", ""))
	evidenceOf(t, e.answers(n)[0], q2)
}

// TestCompany: X1 evidence about a company, seen by its representative.
func TestCompany(t *testing.T) {
	e := newEnv(t, "", nil)
	j := user(t, juergen)
	var x1 provider.Authority
	for _, a := range e.auths {
		if a.Agent.Identifier.Value == "DE-EP-X1" {
			x1 = a
		}
	}
	q := e.request(edm.V1_0, "DE-EP-X1", j)
	q.Procedure = "X1"
	q.EvidenceRequest.EvidenceTypeClassification = x1.EvidenceTypes[0].Classification
	c := j.Represents[0].Identified(country, "FR")
	q.LegalPerson = &edm.LegalPerson{LevelOfAssurance: "High", LegalPersonIdentifier: &edm.Identifier{SchemeID: "eidas", Value: c.Identifier}, LegalName: c.LegalName}
	rep := q.NaturalPerson
	q.NaturalPerson, q.AuthorizedRepresentative = nil, rep
	link := e.first(q, "c", "")
	b := e.browser()
	s := subject(j, eid.LoAHigh)
	sc := *s
	cc := j.Represents[0].Identified(country, country)
	sc.Company = &cc
	p := b.loginAndSee(e, link, &sc)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Weiß Maschinenbau GmbH") {
		t.Fatalf("company preview %d\n%s", p.status, p.body)
	}
	b.decide(tokenOf(t, link), p, "approve")
	n := len(e.send.all())
	e.deliver(e.message(second(q, link), "c", ""))
	as := e.answers(n)
	if len(as) != 1 || as[0].Response == nil || len(as[0].Attachments) != 1 {
		t.Fatalf("company evidence: %+v", as)
	}
	if lp := as[0].Response.Evidence[0].Metadata.IsAbout.LegalPerson; lp == nil || lp.LegalName != c.LegalName {
		t.Errorf("IsAbout %+v", as[0].Response.Evidence[0].Metadata.IsAbout)
	}
}

// TestCompanyWrongUser: the person without the company login sees nothing.
func TestCompanyWrongUser(t *testing.T) {
	e := newEnv(t, "", nil)
	j := user(t, juergen)
	q := e.request(edm.V1_0, "DE-EP-X1", j)
	q.Procedure = "X1"
	q.EvidenceRequest.EvidenceTypeClassification = e.authority("DE-EP-X1").EvidenceTypes[0].Classification
	c := j.Represents[0].Identified(country, "FR")
	q.LegalPerson = &edm.LegalPerson{LevelOfAssurance: "High", LegalPersonIdentifier: &edm.Identifier{SchemeID: "eidas", Value: c.Identifier}, LegalName: c.LegalName}
	q.NaturalPerson, q.AuthorizedRepresentative = nil, q.NaturalPerson
	link := e.first(q, "c", "")
	if p := e.browser().loginAndSee(e, link, subject(j, eid.LoAHigh)); p.status != http.StatusForbidden {
		t.Errorf("person without company login: %d", p.status)
	}
}

// TestRefusedRequests: each check of the request is answered with its EDM
// error, and a detail that names no personal data.
func TestRefusedRequests(t *testing.T) {
	e := newEnv(t, "", nil)
	anna := user(t, anna)
	tests := []struct {
		name   string
		modify func(q *edm.QueryRequest)
		code   string
	}{
		{"unknown person", func(q *edm.QueryRequest) {
			q.NaturalPerson.Identifier.Value = "DE/FR/0000000000"
			q.NaturalPerson.FamilyName = "Nobody"
		}, "EDM:ERR:0004"},
		{"ambiguous person", func(q *edm.QueryRequest) {
			// A foreign eID: the register matches on names and birth date,
			// which two Anna Müllers share.
			q.NaturalPerson.Identifier.Value = "SE/FR/197001011234"
		}, "EDM:ERR:0004"},
		{"no explicit request", func(q *edm.QueryRequest) { q.ExplicitRequestGiven = false }, "EDM:ERR:0003"},
		{"unknown provider", func(q *edm.QueryRequest) { q.EvidenceProvider.Identifier.Value = "DE-EP-NOWHERE" }, "EDM:ERR:0006"},
		{"evidence type not served", func(q *edm.QueryRequest) {
			q.EvidenceRequest.EvidenceTypeClassification = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/" + newUUID()
		}, "EDM:ERR:0004"},
		{"unsupported format", func(q *edm.QueryRequest) { q.EvidenceRequest.DistributedAs[0].Format = "application/json" }, "EDM:ERR:0007"},
		{"level of assurance too low", func(q *edm.QueryRequest) { q.NaturalPerson.LevelOfAssurance = "Low" }, "EDM:ERR:0001"},
		{"no preview possible", func(q *edm.QueryRequest) { q.PossibilityForPreview = false }, "EDM:ERR:0007"},
		{"unknown preview location", func(q *edm.QueryRequest) { q.PreviewLocation = e.srv.URL + "/preview/AAAAAAAAAAAAAAAAAAAAAA" }, "EDM:ERR:0003"},
		{"foreign preview location", func(q *edm.QueryRequest) {
			q.PreviewLocation = "https://elsewhere.example/preview/AAAAAAAAAAAAAAAAAAAAAA"
		}, "EDM:ERR:0003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := e.request(edm.V1_0, berlin, anna)
			tt.modify(q)
			rm := e.message(q, "c-"+tt.name, "")
			if tt.name == "unknown provider" {
				rm = e.message(q, "c", "")
			}
			n := len(e.send.all())
			e.deliver(rm)
			as := e.answers(n)
			if len(as) != 1 {
				t.Fatalf("%d answers", len(as))
			}
			exc := exceptionOf(t, as[0])
			if string(exc.Code) != tt.code || exc.Severity != edm.SeverityError {
				t.Errorf("%s %s (%s), want %s", exc.Code, exc.Severity, exc.Detail, tt.code)
			}
			for _, personal := range []string{"Müller", "Anna", "1985-03-14", "3f8a2c61d9"} {
				if strings.Contains(exc.Detail, personal) {
					t.Errorf("detail leaks %q: %s", personal, exc.Detail)
				}
			}
		})
	}
}

// TestMalformed: a request that breaks the exchange binding is answered
// EDM:ERR:0003; a payload that is no request at all cannot be answered
// and is dropped (recorded).
func TestMalformed(t *testing.T) {
	e := newEnv(t, "", nil)
	q := e.request(edm.V1_0, berlin, user(t, anna))
	rm := e.message(q, "c", "")
	// SpecificationId does not match the document's version.
	rm.Properties = append(rm.Properties, ap.Property{Name: exchange.PropSpecification, Value: "oots-edm:v2.0"})
	n := len(e.send.all())
	e.deliver(rm)
	as := e.answers(n)
	if len(as) != 1 || exceptionOf(t, as[0]).Code != "EDM:ERR:0003" {
		t.Fatalf("mismatched SpecificationId: %v", as)
	}
	junk := e.message(q, "c", "")
	junk.Payloads[0].Data = []byte("<not-oots/>")
	e.deliver(junk)
	if len(e.send.all()) != n+1 {
		t.Error("junk was answered")
	}
	if !e.journal.has(journal.EventError) {
		t.Error("junk not journalled")
	}
}

// TestSecondRequestMismatch: the request after the preview must repeat the
// first.
func TestSecondRequestMismatch(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	tests := []struct {
		name string
		v    edm.Version
		mod  func(q *edm.QueryRequest, conv, xid *string)
	}{
		{"other conversation", edm.V1_0, func(q *edm.QueryRequest, conv, xid *string) { *conv = "other" }},
		{"other subject", edm.V1_0, func(q *edm.QueryRequest, conv, xid *string) { q.NaturalPerson.Identifier.Value = "DE/FR/b71e04f5a2" }},
		{"other ExchangeId", edm.V2_0, func(q *edm.QueryRequest, conv, xid *string) { *xid = newUUID() }},
		{"http ReturnLocation", edm.V2_0, func(q *edm.QueryRequest, conv, xid *string) { q.ReturnLocation = "http://portal.example.fr/x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := e.request(tt.v, berlin, u)
			conv, xid := "c-"+tt.name, ""
			if tt.v.Is2() {
				xid = newUUID()
			}
			link := e.first(q, conv, xid)
			q2 := second(q, link)
			tt.mod(q2, &conv, &xid)
			n := len(e.send.all())
			e.deliver(e.message(q2, conv, xid))
			as := e.answers(n)
			if len(as) != 1 || exceptionOf(t, as[0]).Code != "EDM:ERR:0003" {
				t.Fatalf("answers: %d", len(as))
			}
		})
	}
}

// TestTimeouts: deadlines count from the ebMS Timestamp.
func TestTimeouts(t *testing.T) {
	u := user(t, anna)
	t.Run("late first request", func(t *testing.T) {
		e := newEnv(t, "", nil)
		rm := e.message(e.request(edm.V1_0, berlin, u), "c", "")
		rm.Timestamp = e.clock.Now().Add(-6 * time.Minute)
		e.deliver(rm)
		if exc := exceptionOf(t, e.answers(0)[0]); exc.Code != "EDM:ERR:0005" {
			t.Errorf("%s", exc.Code)
		}
	})
	t.Run("user never comes", func(t *testing.T) {
		e := newEnv(t, "", nil)
		q := e.request(edm.V1_0, berlin, u)
		link := e.first(q, "c", "")
		n := len(e.send.all())
		e.deliver(e.message(second(q, link), "c", ""))
		e.clock.add(21 * time.Minute)
		if err := e.conn.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		as := e.answers(n)
		if len(as) != 1 || exceptionOf(t, as[0]).Code != "EDM:ERR:0005" {
			t.Fatalf("answers %d", len(as))
		}
		if g := e.browser().get(link); g.status != http.StatusGone {
			t.Errorf("expired link: %d", g.status)
		}
	})
	t.Run("user too slow", func(t *testing.T) {
		e := newEnv(t, "", nil)
		q := e.request(edm.V1_0, berlin, u)
		link := e.first(q, "c", "")
		b := e.browser()
		p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
		e.clock.add(41 * time.Minute)
		if d := b.decide(tokenOf(t, link), p, "approve"); d.status != http.StatusGone {
			t.Errorf("late decision: %d", d.status)
		}
		n := len(e.send.all())
		e.deliver(e.message(second(q, link), "c", ""))
		if exc := exceptionOf(t, e.answers(n)[0]); exc.Code != "EDM:ERR:0005" {
			t.Errorf("%s", exc.Code)
		}
	})
}

// TestDuplicateDelivery: the same message delivered twice is processed
// once; an answer the access point did not take is handed over again on
// the retry.
func TestDuplicateDelivery(t *testing.T) {
	e := newEnv(t, "", nil)
	q := e.request(edm.V1_0, berlin, user(t, anna))
	rm := e.message(q, "c", "")
	e.send.fail = errors.New("access point down")
	if err := e.conn.Deliver(context.Background(), rm); err == nil {
		t.Fatal("no error while the access point is down")
	}
	e.send.fail = nil
	e.deliver(rm)
	e.deliver(rm)
	if n := len(e.send.all()); n != 1 {
		t.Fatalf("%d answers to one message", n)
	}
	if !e.journal.has(provider.EventDuplicate) {
		t.Error("duplicate not journalled")
	}
	var sessions int
	if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM provider_sessions`).Scan(&sessions); err != nil || sessions != 1 {
		t.Errorf("%d sessions (%v)", sessions, err)
	}
}

// TestWithoutPreview: a provider that needs no preview answers the first
// request with the evidence.
func TestWithoutPreview(t *testing.T) {
	e := newEnv(t, "", func(c *provider.Config) {
		for i := range c.Providers {
			c.Providers[i].WithoutPreview = true
		}
	})
	q := e.request(edm.V2_0, berlin, user(t, anna))
	e.deliver(e.message(q, "c", newUUID()))
	evidenceOf(t, e.answers(0)[0], q)
}

// TestPurged: once answered, the evidence is gone from the session and the
// queue.
func TestPurged(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	link := e.first(q, "c", "")
	b := e.browser()
	b.decide(tokenOf(t, link), b.loginAndSee(e, link, subject(u, eid.LoAHigh)), "approve")
	e.deliver(e.message(second(q, link), "c", ""))
	var docs []byte
	if err := e.db.SQL().QueryRow(`SELECT documents FROM provider_sessions`).Scan(&docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 0 {
		t.Errorf("documents kept after the answer: %d bytes", len(docs))
	}
	var queued int
	e.db.SQL().QueryRow(`SELECT COUNT(*) FROM provider_outbox`).Scan(&queued)
	if queued != 0 {
		t.Errorf("%d answers still queued", queued)
	}
}

// newJournaledEnv is newEnv with the real journal (package journal) in the
// node's database.
func newJournaledEnv(t *testing.T) (*env, *journal.Journal) {
	var j *journal.Journal
	e := newEnv(t, "", func(c *provider.Config) {
		var err error
		j, err = journal.Open(context.Background(), c.DB, journal.Config{Key: bytes.Repeat([]byte{7}, 32), Node: "de-1"})
		if err != nil {
			t.Fatal(err)
		}
		c.Journal = j
	})
	return e, j
}

// TestJournal: the records the connector writes are accepted by the real
// journal (package journal), chained in the node's database.
func TestJournal(t *testing.T) {
	e, j := newJournaledEnv(t)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	link := e.first(q, "c", "")
	b := e.browser()
	b.decide(tokenOf(t, link), b.loginAndSee(e, link, subject(u, eid.LoAHigh)), "refuse")
	e.deliver(e.message(second(q, link), "c", ""))
	entries, err := j.List(context.Background(), journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, en := range entries {
		events = append(events, en.Event+"/"+en.Outcome)
	}
	want := "request.received/ response.sent/EDM:ERR:0002 preview.shown/ preview.refused/ request.received/ request.id/ response.sent/EDM:ERR:0008"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("journal:\n got %s\nwant %s", got, want)
	}
	// The request after the preview and its answer are in the exchange
	// of the first request (1.x: its id); the request.id entry leads
	// from the second request's id to it.
	for _, en := range entries {
		if want := q.ID; en.Event == journal.EventRequestID {
			if en.Exchange == q.ID || en.MessageID != entries[4].MessageID {
				t.Errorf("request.id entry %+v: want the second request's id and message", en)
			}
		} else if en.Exchange != want {
			t.Errorf("%s entry in exchange %q, want the first request's %q", en.Event, en.Exchange, want)
		}
	}
	for _, id := range []string{q.ID, entries[5].Exchange} {
		if ev, err := j.Evidence(context.Background(), id); err != nil || len(ev) != len(entries) {
			t.Errorf("Evidence(%s): %d entries, %v; want all %d", id, len(ev), err, len(entries))
		}
	}
	if n, err := j.Verify(context.Background()); err != nil || n != len(entries) {
		t.Errorf("verify: %d %v", n, err)
	}
}

// TestJournalPartnerText: a partner's eb:ConversationId that the journal
// cannot store as it is (a line break, which XML text allows; 5,000
// bytes) does not keep the exchange out of the journal: it is journaled
// with the value's fingerprint.
func TestJournalPartnerText(t *testing.T) {
	e, j := newJournaledEnv(t)
	ctx := context.Background()
	for _, conv := range []string{"conv-ok", "conv\nline2", strings.Repeat("c", 5000)} {
		q := e.request(edm.V1_0, berlin, user(t, anna))
		n := len(e.send.all())
		h0, _, _ := j.Head(ctx)
		e.deliver(e.message(q, conv, ""))
		if as := e.answers(n); len(as) != 1 {
			t.Fatalf("ConversationId %.20q: %d answers", conv, len(as))
		}
		h1, _, _ := j.Head(ctx)
		entries, err := j.List(ctx, journal.Filter{After: h0})
		if err != nil {
			t.Fatal(err)
		}
		want := conv
		if conv != "conv-ok" {
			want = journal.Fingerprint(conv)
		}
		if h1-h0 != 2 || len(entries) != 2 || entries[0].Conversation != want || entries[1].Conversation != want {
			t.Errorf("ConversationId %.20q (%d bytes): %d entries journaled, want the request and the answer with %.30q", conv, len(conv), h1-h0, want)
		}
	}
	if _, err := j.Verify(ctx); err != nil {
		t.Error(err)
	}
}

// TestRun: the sweeper runs until its context ends and expires a preview
// the user never opened.
func TestRun(t *testing.T) {
	e := newEnv(t, "", func(c *provider.Config) { c.SweepEvery = 10 * time.Millisecond })
	q := e.request(edm.V1_0, berlin, user(t, anna))
	link := e.first(q, "c", "")
	e.deliver(e.message(second(q, link), "c", ""))
	n := len(e.send.all())
	e.clock.add(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.conn.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.send.all()) == n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	as := e.answers(n)
	if len(as) != 1 || exceptionOf(t, as[0]).Code != "EDM:ERR:0005" {
		t.Fatalf("%d answers after the sweep", len(as))
	}
	if !e.journal.has(journal.EventTimeout, "EDM:ERR:0005") {
		t.Error("timeout not journalled")
	}
}

// TestStructured: a request for the XML distribution of the birth
// certificate: the preview shows its content as a table and links the
// document (sandboxed); the response carries the XML.
func TestStructured(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	q.EvidenceRequest.DistributedAs = []edm.Distribution{{Format: "application/xml", ConformsTo: "https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0"}}
	link := e.first(q, "c", "")
	b := e.browser()
	p := b.loginAndSee(e, link, subject(u, eid.LoAHigh))
	if strings.Contains(p.body, "<object") || !strings.Contains(p.body, `<th scope="row">Family name</th><td>Müller</td>`) {
		t.Errorf("structured preview:\n%s", p.body)
	}
	// The format in words; the MIME type and the distribution's URI only
	// under the technical details.
	plain := regexp.MustCompile(`(?s)<details class="tech">.*?</details>`).ReplaceAllString(p.body, "")
	if !strings.Contains(plain, "<dd>Structured data (XML)</dd>") || strings.Contains(plain, "/distributions/") || strings.Contains(plain, "application/xml") ||
		!strings.Contains(p.body, "/distributions/certificate-of-birth") {
		t.Errorf("jargon outside the technical details:\n%s", plain)
	}
	f := b.get("/preview/" + tokenOf(t, link) + "/file/1")
	if f.hdr.Get("Content-Type") != "application/xml" || !strings.Contains(f.hdr.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(f.body, "<CertificateOfBirth") {
		t.Errorf("XML document: %v", f.hdr)
	}
	b.decide(tokenOf(t, link), p, "approve")
	n := len(e.send.all())
	q2 := second(q, link)
	e.deliver(e.message(q2, "c", ""))
	as := e.answers(n)
	if len(as) != 1 || as[0].Response == nil || len(as[0].Attachments) != 1 || as[0].Attachments[0].MimeType != "application/xml" {
		t.Fatalf("answers %+v", as)
	}
	if d := as[0].Response.Evidence[0].Metadata.Distribution[0]; d.ConformsTo != q.EvidenceRequest.DistributedAs[0].ConformsTo {
		t.Errorf("distribution %+v", d)
	}
}

// TestRequestWithoutRequester: a request without the EvidenceRequester slot
// cannot be answered (an EDM error must repeat it): it is dropped and
// journalled, not retried for ever (found by FuzzDeliver).
func TestRequestWithoutRequester(t *testing.T) {
	e := newEnv(t, "", nil)
	rm := e.message(e.request(edm.V1_0, berlin, user(t, anna)), "c", "")
	doc := string(rm.Payloads[0].Data)
	start := strings.Index(doc, `<rim:Slot name="EvidenceRequester">`)
	end := strings.Index(doc[start:], "</rim:Slot>") + start + len("</rim:Slot>")
	if start < 0 || end < start {
		t.Fatal("no EvidenceRequester slot")
	}
	rm.Payloads[0].Data = []byte(doc[:start] + doc[end:])
	if err := e.conn.Deliver(context.Background(), rm); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if n := len(e.send.all()); n != 0 {
		t.Errorf("%d answers", n)
	}
	if !e.journal.has(journal.EventError) {
		t.Error("not journalled")
	}
}

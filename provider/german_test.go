package provider_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/provider"
)

// englishLeft returns the English texts of the preview space's catalogue
// and of package ui found in page although it is in lang.
func englishLeft(page, lang string) []string {
	var pairs [][2]string
	for k, en := range provider.Messages["en"] {
		pairs = append(pairs, [2]string{en, provider.Messages[lang][k]})
	}
	return ui.EnglishLeft(ui.VisibleText(page), append(pairs, ui.Pairs(lang)...))
}

// TestGermanJourney: a German user (a browser asking for German, no lang=
// parameter) sees German on every page of the preview space and of the
// consents, with no English text of the catalogue left: the start page,
// the evidence with the consent offered, the decision, the consents before
// and after the login, the confirmation of a withdrawal and the
// withdrawal, a link used, an unknown link and the information page.
func TestGermanJourney(t *testing.T) {
	e := newEnv(t, "", withConsent)
	u := user(t, anna)
	b := e.browser()
	b.lang = "de-DE,de;q=0.9,en;q=0.5"
	seen := func(where string, p *page) {
		t.Helper()
		if !strings.Contains(p.body, `<html lang="de">`) {
			t.Errorf("%s: not in German (HTTP %d)", where, p.status)
		}
		if left := englishLeft(p.body, "de"); len(left) > 0 {
			t.Errorf("%s: English left: %q", where, left)
		}
	}
	q := backgroundRequest(e, edm.V2_0)
	link := e.first(q, "conv-de", newUUID())
	token := tokenOf(t, link)
	seen("start", b.get(link))
	e.idp.as(subject(u, eid.LoAHigh))
	p := b.get("/preview/" + token + "/login")
	seen("evidence", p)
	if !strings.Contains(p.body, `name="consent"`) {
		t.Fatal("no consent offered")
	}
	seen("refused form", b.post("/preview/"+token+"/decide", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "decision": {"approve"}, "consent": {"yes"}}))
	seen("decision", b.post("/preview/"+token+"/decide", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "decision": {"approve"}, "consent": {"yes"}, "procedure": {"R1"}}))
	seen("used link", b.get(link))
	seen("unknown link", b.get("/preview/short"))
	seen("information", b.get(ui.InfoPath))

	acc := e.browser()
	acc.lang = b.lang
	seen("consents before the login", acc.get("/consents"))
	e.idp.as(subject(u, eid.LoASubstantial))
	p = acc.get("/consents/login")
	seen("consents", p)
	m := regexpConsent.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no consent to withdraw:\n%s", p.body)
	}
	csrf := csrfRE.FindStringSubmatch(p.body)[1]
	seen("withdrawal", acc.post("/consents/withdraw", url.Values{"csrf": {csrf}, "consent": {m[1]}}))
	w := acc.post("/consents/withdraw", url.Values{"csrf": {csrf}, "consent": {m[1]}, "confirm": {"yes"}})
	if w.status != http.StatusOK {
		t.Errorf("withdrawn: HTTP %d", w.status)
	}
	seen("withdrawn", w)

	// The comparison finds English where there is some.
	if left := englishLeft(acc.get("/consents?lang=en").body, "de"); len(left) == 0 {
		t.Error("no English found on the English consents page")
	}
}

var regexpConsent = regexp.MustCompile(`name="consent" value="([^"]+)"><input type="hidden" name="lang"`)

// TestProcedureNames: the start page names the procedure in the page's
// language from Config.ProcedureNames (here the demo data set's names),
// where the code list Procedures has only English.
func TestProcedureNames(t *testing.T) {
	names, err := demo.ProcedureNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "", func(c *provider.Config) { c.ProcedureNames = names })
	link := e.first(e.request(edm.V2_0, berlin, user(t, anna)), "conv-names", newUUID())
	b := e.browser()
	for lang, want := range map[string]string{"de": names["R1"]["de"], "fi": names["R1"]["fi"], "en": "Requesting a birth certificate"} {
		if p := b.get(link + "?lang=" + lang); !strings.Contains(p.body, "<dd>"+html.EscapeString(want)+"</dd>") {
			t.Errorf("%s: the procedure is not named %q", lang, want)
		}
	}
}

// TestConsentsProcedureNames: the consents page, its table of evidence
// sent and the confirmation of a withdrawal name the procedures in the
// page's language (Config.ProcedureNames), their codes only after the
// names.
func TestConsentsProcedureNames(t *testing.T) {
	names, err := demo.ProcedureNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "", func(c *provider.Config) { withConsent(c); c.ProcedureNames = names })
	u := user(t, anna)
	b := e.browser()
	b.lang = "de"
	q := backgroundRequest(e, edm.V2_0)
	xid := newUUID()
	link := e.first(q, "conv-names", xid)
	e.idp.as(subject(u, eid.LoAHigh))
	p := b.get("/preview/" + tokenOf(t, link) + "/login")
	if r := b.post("/preview/"+tokenOf(t, link)+"/decide", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "decision": {"approve"},
		"consent": {"yes"}, "procedure": {"R1"}}); r.status != http.StatusOK {
		t.Fatalf("approval: HTTP %d", r.status)
	}
	e.deliver(e.message(second(q, link), "conv-names", xid))

	acc := e.browser()
	acc.lang = "de"
	e.idp.as(subject(u, eid.LoASubstantial))
	p = acc.get("/consents/login")
	r1 := html.EscapeString(names["R1"]["de"])
	for _, want := range []string{
		`<td data-label="Verfahren">` + r1 + `<span class="code">Kennung: R1</span></td>`,
	} {
		if n := strings.Count(p.body, want); n != 2 {
			t.Errorf("the consents page shows %q %d times, want twice (the consent, the evidence sent):\n%s", want, n, p.body)
		}
	}
	m := regexpConsent.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no consent to withdraw:\n%s", p.body)
	}
	w := acc.post("/consents/withdraw", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "consent": {m[1]}})
	if want := `<dd>` + r1 + `<span class="code">Kennung: R1</span></dd>`; !strings.Contains(w.body, want) {
		t.Errorf("the confirmation of the withdrawal lacks %q:\n%s", want, w.body)
	}
}

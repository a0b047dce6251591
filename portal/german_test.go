package portal

import (
	"net/url"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/ui"
)

// visibleText is the text of a page as a reader gets it (package ui).
func visibleText(body string) string { return ui.VisibleText(body) }

// englishLeft returns the English catalogue texts (of the portal and of
// package ui) that appear in text although the page is in lang.
func englishLeft(text, lang string) []string {
	var pairs [][2]string
	for _, e := range catalogue {
		pairs = append(pairs, [2]string{e["en"], e[lang]})
	}
	return ui.EnglishLeft(text, append(pairs, ui.Pairs(lang)...))
}

// TestGermanJourney: a German user's journey shows German on every page
// of the portal, with no English text of the catalogue left: the start,
// each step, waiting, the preview link (which carries lang=de to the
// preview space), the evidence, a failure, the summary, the data-use view,
// the information page and the confirmation of the logout.
func TestGermanJourney(t *testing.T) {
	e := newEnv(t, "FR", nil)
	e.auth.as(person("1234", "Max", "Mustermann"))
	b := e.browser()
	b.lang = "de-DE,de;q=0.9,en;q=0.5"
	seen := func(where string, p page) {
		t.Helper()
		if !strings.Contains(p.body, `<html lang="de">`) {
			t.Errorf("%s: not in German", where)
		}
		if left := englishLeft(visibleText(p.body), "de"); len(left) > 0 {
			t.Errorf("%s: English left: %q", where, left)
		}
	}
	seen("home", b.get("/"))
	p := b.start("T2", "DE")
	jid := journeyID(t, p)
	seen("choose evidence", p)
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma},
		"evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
	seen("choose provider", b.get("/journeys/"+jid))
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "provider": {"DE-EP-T2"}})
	seen("explicit request", b.get("/journeys/"+jid))
	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}, "explicit": {"yes"}})
	seen("waiting", b.get("/journeys/"+jid))
	e.svc.preview(jid, 0, "https://preview.de.example/space?req=1")
	p = b.get("/journeys/" + jid)
	seen("preview link", p)
	mustContain(t, p, `href="https://preview.de.example/space?req=1&amp;lang=de"`)
	e.svc.returned(jid, 0)
	seen("back from the preview", b.get("/journeys/"+jid+"/return"))
	e.svc.deliver(jid, 0, "Abiturzeugnis", []byte("%PDF-1.7"))
	seen("evidence", b.get("/journeys/"+jid))
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"true"}})
	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	e.svc.fail(jid, 1, "EDM:ERR:0004", "No record")
	seen("failure", b.get("/journeys/"+jid))
	seen("data use", b.get("/my-data"))
	seen("information", b.get("/about"))
	seen("not found", b.get("/nothing-here"))
	seen("logged out", b.post("/logout", nil))

	// The comparison finds English where there is some.
	if left := englishLeft(visibleText(b.get("/?lang=en").body), "de"); len(left) == 0 {
		t.Error("no English found on the English home page")
	}
}

package portal

import (
	"net/url"
	"testing"

	"github.com/oots-go/oots/internal/webdriver"
)

// TestAxeEveryLanguage: the portal's pages pass axe-core with no serious or
// critical violation, at 1280 and at 375 CSS pixels, in the five
// languages, and none is wider than the window (tables reflow): the start
// page, a journey with received evidence and a failed requirement, the
// information page, the data-use view, an error page and the confirmation
// of a logout.
func TestAxeEveryLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, "DE", nil)
	who := person("4711", "Erika", "Mustermann")
	e.auth.as(who)
	// The journey is driven to its states over HTTP; the browser, logged
	// in as the same person, looks at it.
	h := e.browser()
	jid := journeyID(t, h.start("T2", "DE"))
	h.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma},
		"evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
	h.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "provider": {"DE-EP-T2"}})
	h.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}, "explicit": {"yes"}})
	e.svc.deliver(jid, 0, "Abiturzeugnis von Erika Mustermann", []byte("%PDF-1.7"))
	h.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"true"}})
	h.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	e.svc.fail(jid, 1, "EDM:ERR:0004", "No record")

	b := webdriver.Start(t)
	e.auth.as(who)
	b.Get(e.srv.URL + "/login?return=" + url.QueryEscape("/journeys/"+jid))
	for _, lang := range catalogueLanguages {
		for _, width := range []int{1280, 375} {
			b.SetWindowSize(width, 900)
			for _, path := range []string{"/", "/journeys/" + jid, "/my-data", "/about", "/nothing-here", LoggedOutPath} {
				b.Get(e.srv.URL + path + "?lang=" + lang)
				b.Find("h1")
				for _, v := range b.AxeSerious() {
					t.Errorf("%s %s (%d px): %s", lang, path, width, v)
				}
				if b.WiderThanWindow() {
					t.Errorf("%s %s (%d px): the page is wider than the window", lang, path, width)
				}
			}
		}
	}
}

package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/internal/webdriver"
)

// axePage runs axe-core on the page the browser shows, at 1280 and at 375
// CSS pixels, and reports the serious and critical violations and a page
// wider than the window (a table that does not reflow).
// PROVIDER_SCREENSHOTS=dir keeps a screenshot of each page at each width.
func axePage(t *testing.T, b *webdriver.Browser, where string) {
	t.Helper()
	for _, width := range []int{1280, 375} {
		b.SetWindowSize(width, 900)
		b.Find("h1")
		if dir := os.Getenv("PROVIDER_SCREENSHOTS"); dir != "" {
			name := strings.NewReplacer("/", "", " ", "-").Replace(where)
			b.Screenshot(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)))
		}
		for _, v := range b.AxeSerious() {
			t.Errorf("%s (%d px): %s", where, width, v)
		}
		if b.WiderThanWindow() {
			t.Errorf("%s (%d px): the page is wider than the window", where, width)
		}
	}
}

// TestAxeEveryLanguage: the pages of the preview space and of the consents
// pass axe-core with no serious or critical violation, at 1280 and at 375
// CSS pixels, in the five languages: the start page before the login, the
// evidence with the consent offered, the decision recorded, an unknown
// preview link, the information page, the consents page before and after
// the login, and the confirmation of a withdrawal.
func TestAxeEveryLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, "", withConsent)
	u := user(t, anna)
	b := webdriver.StartWith(t, webdriver.Options{AcceptInsecureCerts: true})
	for i, l := range ui.Languages() {
		lang := l.Code
		// A new background request for each language: the decision
		// spends the link.
		link := e.first(backgroundRequest(e, edm.V2_0), fmt.Sprintf("conv-%d", i), newUUID())
		token := tokenOf(t, link)
		e.idp.as(subject(u, eid.LoAHigh))

		b.Get(link + "?lang=" + lang)
		if got := b.Find("html").Attr("lang"); got != lang {
			t.Fatalf("%s: the start page is in %q", lang, got)
		}
		axePage(t, b, lang+" start")
		b.Find(`a[href^="/preview/` + token + `/login"]`).Click()
		b.Find(`input[name="consent"]`)
		axePage(t, b, lang+" evidence")
		b.Find(`input[name="consent"]`).Click()
		b.Find(`button[value="approve"]`).Click()
		b.Find(`[role="status"]`)
		axePage(t, b, lang+" decision recorded")

		for _, path := range []string{"/preview/short", ui.InfoPath, "/consents"} {
			b.Get(e.srv.URL + path)
			axePage(t, b, lang+" "+path)
		}
		b.Find(`a[href^="/consents/login"]`).Click()
		b.Find("table")
		axePage(t, b, lang+" consents")
		b.Find(`form[action="/consents/withdraw"] button`).Click()
		b.Find(`input[name="confirm"]`)
		axePage(t, b, lang+" withdrawal")
		if !strings.Contains(b.URL(), "/consents") {
			t.Errorf("%s: the withdrawal is at %s", lang, b.URL())
		}
		// Withdrawn: the next background request takes the preview again.
		b.Find(`input[name="confirm"] ~ button`).Click()
		b.Find(`[role="status"]`)
		axePage(t, b, lang+" withdrawn")
		b.DeleteCookies() // the next language starts without a login
	}
}

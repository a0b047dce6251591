package idp

import (
	"testing"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/internal/webdriver"
)

// TestAxeEveryLanguage: the identity provider's pages pass axe-core with no
// serious or critical violation, at 1280 and at 375 CSS pixels, in the five
// page languages, and none is wider than the window: the country choice,
// the login page, the login page with an error summary, the error page of
// an unknown service and the information page.
func TestAxeEveryLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	b := webdriver.Start(t)
	n := newNet(t, netOptions{countries: []string{"DE", "FI"}})
	check := func(where string) {
		t.Helper()
		for _, width := range []int{1280, 375} {
			b.SetWindowSize(width, 900)
			b.Find("h1")
			for _, v := range b.AxeSerious() {
				t.Errorf("%s (%d px): %s", where, width, v)
			}
			if b.WiderThanWindow() {
				t.Errorf("%s (%d px): the page is wider than the window", where, width)
			}
		}
	}
	for _, l := range ui.Languages() {
		lang := l.Code
		b.Get(n.app.URL + "/login?lang=" + lang)
		check(lang + " country choice")
		b.Find(`a[href*="eid=DE"]`).Click()
		b.Find(`input[name="pin"]`)
		if got := b.Find("html").Attr("lang"); got != lang {
			t.Errorf("%s: the login page is in %q", lang, got)
		}
		check(lang + " login")
		b.Find(`label[for="account"]`).Click()
		b.Find("#pin").SendKeys("0000")
		b.Find(`button[value="login"]`).Click()
		b.Find(".error-summary")
		check(lang + " login refused")
		b.Get(n.issuers["DE"] + PathAuthorize + "?client_id=nobody&lang=" + lang)
		b.Find(`[role="alert"]`)
		check(lang + " unknown service")
		b.Get(n.issuers["DE"] + ui.InfoPath + "?lang=" + lang)
		check(lang + " information")
	}
}

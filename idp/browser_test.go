package idp

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/webdriver"
)

// TestBrowser drives a whole login in headless Chromium: the country
// choice, a refused PIN, the corrected login, with the accessibility
// checks of each page.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	b := webdriver.Start(t)
	// Pages and the waits for them get 15 s, not the default 5: Chromium
	// is slow on a loaded machine.
	b.Timeout = 15 * time.Second
	n := newNet(t, netOptions{countries: []string{"DE", "FI"}})
	a11y := func(page string) {
		t.Helper()
		if faults := b.CheckA11y(); len(faults) > 0 {
			t.Errorf("%s: accessibility faults: %q", page, faults)
		}
	}

	b.Get(n.app.URL + "/login?lang=fi")
	if h := b.Find("h1").Text(); h != "Valitse maa, joka on myöntänyt eID:si" {
		t.Errorf("country choice heading %q", h)
	}
	a11y("country choice")
	b.Find(`a[href*="eid=FI"]`).Click()

	b.Find(`input[name="pin"]`)
	if lang := b.Find("html").Attr("lang"); lang != "fi" {
		t.Errorf("login page lang %q, want fi (forwarded)", lang)
	}
	a11y("login page")
	// The page's style sheet is applied: the security policy admits it.
	var border string
	b.Execute(`return getComputedStyle(document.querySelector('.demo')).borderLeftWidth`, &border)
	if border != "6px" {
		t.Errorf("style sheet not applied (border %q)", border)
	}
	b.Find(`label[for="account-3"]`).Click() // Matti Häkkinen for Häkkinen Oy
	b.Find(`label[for="loa-2"]`).Click()     // High
	b.Find("#pin").SendKeys("0000")
	b.Find(`button[value="login"]`).Click()

	alert := b.Find(`[role="alert"]`).Text()
	if !strings.Contains(alert, "PIN-koodi on väärä") {
		t.Errorf("alert %q, want the wrong PIN in Finnish", alert)
	}
	a11y("login page with an error")
	var checked bool
	b.Execute(`return document.getElementById('account-3').checked`, &checked)
	if !checked {
		t.Error("the chosen account is lost after the error")
	}
	if os.Getenv("IDP_SCREENSHOT") != "" {
		b.Screenshot(os.Getenv("IDP_SCREENSHOT"))
	}
	b.Find("#pin").SendKeys("3456")
	b.Find(`button[value="login"]`).Click()

	b.WaitFor(func() bool { return strings.Contains(b.URL(), "/callback") }, b.Timeout)
	src := b.PageSource()
	for _, want := range []string{`"identifier":"FI/FR/99900140N"`, `"identifier":"FI/FR/FI27348154"`, `"loa":"http://eidas.europa.eu/LoA/high"`} {
		if !strings.Contains(src, want) {
			t.Errorf("callback page lacks %s:\n%s", want, src)
		}
	}
}

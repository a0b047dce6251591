package provider_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/internal/webdriver"
)

// TestLocalTime: the preview space serves the shared time script from its
// own origin, its policy allows that script and no inline one, and with
// script the time evidence was sent (the consents page) is shown in the
// reader's time zone (the browser's, here Europe/Helsinki) and language,
// the UTC time kept as the element's title; without script the page says
// the time in UTC.
func TestLocalTime(t *testing.T) {
	e := newEnv(t, "", withoutPreview)
	u := user(t, anna)
	h := e.browser()
	js := h.get(ui.TimeScriptPath)
	if js.status != http.StatusOK || !strings.HasPrefix(js.hdr.Get("Content-Type"), "text/javascript") || js.body != ui.TimeScript() {
		t.Fatalf("%s: HTTP %d %q", ui.TimeScriptPath, js.status, js.hdr.Get("Content-Type"))
	}
	start := h.get("/consents?lang=de")
	if !strings.Contains(start.body, `<script src="`+ui.TimeScriptPath+`" defer></script>`) {
		t.Errorf("the page does not load %s", ui.TimeScriptPath)
	}
	csp := start.hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy %q: script only from the service itself", csp)
	}
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}

	b := webdriver.StartWith(t, webdriver.Options{AcceptInsecureCerts: true})
	if err := b.SetTimeZone("Europe/Helsinki"); err != nil {
		t.Skipf("the browser cannot be given a time zone: %v", err)
	}
	// Evidence sent (here without a preview), then the consents page.
	e.deliver(e.message(e.request(edm.V2_0, berlin, u), "conv-time", newUUID()))
	if as := e.answers(0); len(as) != 1 || as[0].Response == nil {
		t.Fatalf("answers %+v", as)
	}
	e.idp.as(subject(u, eid.LoASubstantial))
	b.Get(e.srv.URL + "/consents?lang=de")
	b.Find(`a[href^="/consents/login"]`).Click()

	b.CheckLocalTime(t, "Europe/Helsinki", ui.TimeLayout)
}

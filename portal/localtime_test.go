package portal

import (
	"net/url"
	"testing"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/internal/webdriver"
)

// TestLocalTime: with script, the times of a page are shown in the
// reader's time zone (the browser's, here Europe/Helsinki) and language,
// the UTC time kept as the element's title; without script the page says
// the time in UTC.
func TestLocalTime(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, "DE", nil)
	who := person("4711", "Erika", "Mustermann")
	e.auth.as(who)
	h := e.browser()
	h.start("T2", "DE")
	home := h.get("/?lang=de")
	mustContain(t, home, `<time datetime="`, ` UTC</time>`)

	b := webdriver.Start(t)
	if err := b.SetTimeZone("Europe/Helsinki"); err != nil {
		t.Skipf("the browser cannot be given a time zone: %v", err)
	}
	e.auth.as(who)
	b.Get(e.srv.URL + "/login?return=" + url.QueryEscape("/"))
	b.Find("h1")
	b.Get(e.srv.URL + "/?lang=de")
	b.CheckLocalTime(t, "Europe/Helsinki", ui.TimeLayout)
}

package portal

import (
	"net/url"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Helsinki wherever the test runs

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
	if err := b.Command("POST", "/goog/cdp/execute", map[string]any{"cmd": "Emulation.setTimezoneOverride",
		"params": map[string]any{"timezoneId": "Europe/Helsinki"}}, nil); err != nil {
		t.Skipf("the browser cannot be given a time zone: %v", err)
	}
	e.auth.as(who)
	b.Get(e.srv.URL + "/login?return=" + url.QueryEscape("/"))
	b.Find("h1")
	b.Get(e.srv.URL + "/?lang=de")
	el := b.Find(`time[datetime]`)
	at, err := time.Parse(time.RFC3339, el.Attr("datetime"))
	if err != nil {
		t.Fatal(err)
	}
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	want := at.In(helsinki).Format("15:04")
	got := b.WaitForText(`time[data-local]`, want, webdriver.DefaultTimeout)
	// In German words (the month's name), in the reader's zone, not UTC.
	if strings.Contains(got, "UTC") || strings.Contains(got, at.Format("2006-01-02")) {
		t.Errorf("local time %q", got)
	}
	if title := b.Find(`time[data-local]`).Attr("title"); title != at.UTC().Format(ui.TimeLayout) {
		t.Errorf("title %q, want the UTC time", title)
	}
}

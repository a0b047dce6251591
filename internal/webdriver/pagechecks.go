package webdriver

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // any IANA zone wherever the tests run
)

// SetTimeZone has the browser run in the IANA time zone zone (Chromium's
// Emulation.setTimezoneOverride).
func (b *Browser) SetTimeZone(zone string) error {
	return b.Command("POST", "/goog/cdp/execute", map[string]any{"cmd": "Emulation.setTimezoneOverride",
		"params": map[string]any{"timezoneId": zone}}, nil)
}

// CheckLocalTime checks the first time of the current page, a
// <time datetime> element that a script rewrites (data-local): it comes to
// show the hour in zone (the browser's, SetTimeZone), not "UTC" nor the
// ISO date, and keeps the UTC time, formatted with utcLayout, as its title.
func (b *Browser) CheckLocalTime(t testing.TB, zone, utcLayout string) {
	t.Helper()
	el := b.Find(`time[datetime]`)
	at, err := time.Parse(time.RFC3339, el.Attr("datetime"))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	want := at.In(loc).Format("15:04")
	got := b.WaitForText(`time[data-local]`, want, DefaultTimeout)
	// In the page's words (the month's name), in the reader's zone, not UTC.
	if strings.Contains(got, "UTC") || strings.Contains(got, at.Format("2006-01-02")) {
		t.Errorf("local time %q", got)
	}
	if title := b.Find(`time[data-local]`).Attr("title"); title != at.UTC().Format(utcLayout) {
		t.Errorf("title %q, want the UTC time", title)
	}
}

// WiderThanWindow reports whether the page scrolls sideways: wider than
// the window by more than a pixel.
func (b *Browser) WiderThanWindow() bool {
	var wide bool
	b.Execute(`return document.documentElement.scrollWidth > window.innerWidth + 1`, &wide)
	return wide
}

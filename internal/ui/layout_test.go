package ui

import (
	"html/template"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFragments: the shared fragments render the skip link, the authority
// with its country, the language switch (the current language marked, the
// others linked with their language), the footer links and the error
// summary, each in the page's language; an empty summary renders nothing.
func TestFragments(t *testing.T) {
	page := template.Must(template.Must(template.New("p").Parse(Fragments)).Parse(
		`{{template "ui.skip" .C}}{{template "ui.brand" .C}}{{template "ui.langs" .C}}{{template "ui.errors" .S}}{{template "ui.footer" .C}}`))
	c := Chrome{Lang: "de", Site: "Standesamt Berlin I", Country: CountryName("de", "DE"), Footer: Footer("de"), Note: "Demo",
		Switch: Switch("de", func(code string) string { return "/x?lang=" + code })}
	var b strings.Builder
	if err := page.Execute(&b, map[string]any{"C": c, "S": ErrorSummary{Lang: "de", Intro: "Bitte korrigieren.", Errors: []FieldError{{"pin", "Die PIN ist falsch."}}}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`<a class="skip" href="#main">Zum Hauptinhalt springen</a>`,
		`Standesamt Berlin I <span class="country">Deutschland</span>`,
		`<nav aria-label="Sprache">`,
		`<span aria-current="true" lang="de">Deutsch</span>`,
		`<a href="/x?lang=fi" lang="fi" hreflang="fi">Suomi</a>`,
		`<h2 id="error-summary-title">Es gibt ein Problem</h2>`,
		`<li><a href="#pin">Die PIN ist falsch.</a></li>`,
		`<p>Bitte korrigieren.</p>`,
		`<a href="/about#privacy">Datenschutzhinweis</a>`,
		`<p>Demo</p>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, `href="/x?lang=de"`) {
		t.Error("the current language is a link")
	}
	b.Reset()
	if err := page.ExecuteTemplate(&b, "ui.errors", ErrorSummary{Lang: "en"}); err != nil || b.Len() != 0 {
		t.Errorf("empty summary: %q %v", b.String(), err)
	}
}

// TestSecurity: the headers of the pages.
func TestSecurity(t *testing.T) {
	h := http.Header{}
	Security{CSP: "default-src 'self'", HSTS: true, NoStore: true}.Set(h)
	for k, v := range map[string]string{"Content-Security-Policy": "default-src 'self'", "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		"Strict-Transport-Security": "max-age=31536000"} {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	h = http.Header{}
	Security{CSP: "x", Referrer: "same-origin", FrameSameOrigin: true}.Set(h)
	if h.Get("X-Frame-Options") != "SAMEORIGIN" || h.Get("Referrer-Policy") != "same-origin" || h.Get("Strict-Transport-Security") != "" || h.Get("Cache-Control") != "" {
		t.Errorf("headers %v", h)
	}
}

// TestCSS: the shared sheet carries the parts every service relies on.
func TestCSS(t *testing.T) {
	for _, sel := range []string{"header.site", ".langs", ".skip:focus", ".footer-links", ".error-summary", "table.reflow", "@media print"} {
		if !strings.Contains(CSS(), sel) {
			t.Errorf("the shared style sheet has no %s", sel)
		}
	}
}

// TestEnglishLeft: English found in a German page is reported, up to the
// first argument; short words and texts the same in both are not.
func TestEnglishLeft(t *testing.T) {
	page := `<html><head><style>p{}</style></head><body><p>Fehler: x</p><footer>Privacy&nbsp;notice</footer>` +
		`<p>Über diesen Dienst</p><p>Contact</p><!-- Accessibility statement --></body></html>`
	text := VisibleText(page)
	if text != "Fehler: x Privacy notice Über diesen Dienst Contact" {
		t.Errorf("VisibleText = %q", text)
	}
	got := EnglishLeft(text, Pairs("de"))
	if len(got) != 1 || got[0] != "Privacy notice" {
		t.Errorf("EnglishLeft = %q", got)
	}
	if got := EnglishLeft(VisibleText(page), Pairs("en")); len(got) != 0 {
		t.Errorf("English page: %q", got)
	}
}

// TestTime: a time is written in UTC, labelled, with its RFC 3339 value
// for the script.
func TestTime(t *testing.T) {
	at := time.Date(2026, 12, 5, 17, 30, 0, 0, time.FixedZone("CET", 3600))
	if got := string(Time(at)); got != `<time datetime="2026-12-05T16:30:00Z">2026-12-05 16:30 UTC</time>` {
		t.Errorf("Time = %s", got)
	}
}

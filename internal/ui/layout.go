package ui

import (
	_ "embed" // the shared style sheet
	"net/http"
)

// CSS returns the shared style sheet of the citizen-facing pages; each
// service serves it at StylePath (ServeStyle) and adds a sheet of its own
// after it.
func CSS() string { return css }

//go:embed ui.css
var css string

// StylePath is the path, on every service, of the shared style sheet.
const StylePath = "/ui.css"

// ServeStyle answers GET StylePath with CSS.
func ServeStyle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(css))
}

// Chrome is what the shared parts of a page show around its content: the
// skip link, the header with the authority (and its country) and the
// language switch, the footer. Its texts are in Lang.
type Chrome struct {
	Lang string
	// Site is the name of the authority or service that shows the page,
	// SiteURL where its name leads ("" for no link), and Country the
	// name of its country in Lang ("" when not shown).
	Site, SiteURL, Country string
	// Switch is the language switch (Switch builds it).
	Switch []Choice
	// Footer are the footer links (Footer builds them), Note a line
	// below them ("" for none).
	Footer []Link
	Note   string
}

// T returns the shared text of key in the chrome's language.
func (c Chrome) T(key string, args ...any) string { return Text(c.Lang, key, args...) }

// Choice is an entry of the language switch.
type Choice struct {
	Code, Name, URL string
	Current         bool
}

// Switch returns the language switch to every page language, current
// marked; href gives the address of the page in a language.
func Switch(current string, href func(code string) string) []Choice {
	out := make([]Choice, 0, len(languages))
	for _, l := range languages {
		out = append(out, Choice{Code: l.Code, Name: l.Name, URL: href(l.Code), Current: l.Code == current})
	}
	return out
}

// FieldError is an entry of the error summary: the id of the field in
// error and what is wrong, in words that say how to put it right.
type FieldError struct {
	Field, Text string
}

// ErrorSummary is the error summary at the top of a refused form (WCAG
// 2.2 success criterion 3.3.1): a heading and a link to each field in
// error. Its texts are in Lang.
type ErrorSummary struct {
	Lang   string
	Intro  string // a sentence below the heading ("" for none)
	Errors []FieldError
}

// T returns the shared text of key in the summary's language.
func (s ErrorSummary) T(key string, args ...any) string { return Text(s.Lang, key, args...) }

// Fragments are the shared template fragments; a service parses them into
// its page templates (template.Must(t.Parse(ui.Fragments))) and calls them
// with a Chrome (ui.skip, ui.brand, ui.langs, ui.footer), an ErrorSummary
// (ui.errors), Steps (ui.steps, nothing when Steps.Current is zero) or the
// []Section of the information page (ui.sections):
//
//	{{template "ui.skip" .Chrome}}
//	<header class="site"><div class="wrap bar">{{template "ui.brand" .Chrome}}{{template "ui.langs" .Chrome}}</div></header>
//	<main id="main" tabindex="-1"><div class="wrap">…</div></main>
//	{{template "ui.footer" .Chrome}}
const Fragments = `{{define "ui.skip"}}<a class="skip" href="#main">{{.T "skip"}}</a>{{end}}
{{- define "ui.brand"}}<p class="authority">{{if .SiteURL}}<a href="{{.SiteURL}}">{{.Site}}</a>{{else}}{{.Site}}{{end}}
{{- if .Country}} <span class="country">{{.Country}}</span>{{end}}</p>{{end}}
{{- define "ui.langs"}}<nav aria-label="{{.T "languageNav"}}">
<ul class="langs">
{{- range .Switch}}
<li>{{if .Current}}<span aria-current="true" lang="{{.Code}}">{{.Name}}</span>{{else}}<a href="{{.URL}}" lang="{{.Code}}" hreflang="{{.Code}}">{{.Name}}</a>{{end}}</li>
{{- end}}
</ul>
</nav>{{end}}
{{- define "ui.footer"}}<footer class="site"><div class="wrap">
<ul class="footer-links">
{{- range .Footer}}
<li><a href="{{.URL}}">{{.Label}}</a></li>
{{- end}}
</ul>
{{- if .Note}}
<p>{{.Note}}</p>
{{- end}}
</div></footer>{{end}}
{{- define "ui.sections"}}{{range .}}
<section id="{{.ID}}" aria-labelledby="{{.ID}}-h">
<h2 id="{{.ID}}-h">{{.Heading}}</h2>
{{- range .Paragraphs}}
<p>{{.}}</p>
{{- end}}
</section>
{{- end}}{{end}}
{{- define "ui.steps"}}{{if .Current}}<nav class="steps" aria-label="{{.T "stepsNav"}}">
<ol>
{{- range .Items}}
<li{{if .Current}} aria-current="step"{{else if .Done}} class="done"{{end}}>{{if .Done}}<span class="vh">{{$.T "stepDone"}} </span>{{end}}{{.Label}}</li>
{{- end}}
</ol>
</nav>{{end}}{{end}}
{{- define "ui.errors"}}{{if .Errors}}<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">{{.T "problem"}}</h2>
{{- if .Intro}}
<p>{{.Intro}}</p>
{{- end}}
<ul>
{{- range .Errors}}
<li><a href="#{{.Field}}">{{.Text}}</a></li>
{{- end}}
</ul>
</div>{{end}}{{end}}
`

// Security are the security headers of a service's pages.
type Security struct {
	// CSP is the Content-Security-Policy.
	CSP string
	// Referrer is the Referrer-Policy; "no-referrer" when empty (a page
	// whose URL holds a secret must not leak it).
	Referrer string
	// FrameSameOrigin lets the service frame its own pages (the preview
	// space shows a PDF in an object); otherwise no framing at all.
	FrameSameOrigin bool
	// HSTS: the service is public on https, so a browser must never
	// reach it in clear again.
	HSTS bool
	// NoStore: the pages carry personal data and are not cached.
	NoStore bool
}

// Set sets the headers on h.
func (s Security) Set(h http.Header) {
	if s.HSTS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.Set("Content-Security-Policy", s.CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	if s.FrameSameOrigin {
		h.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		h.Set("X-Frame-Options", "DENY")
	}
	ref := s.Referrer
	if ref == "" {
		ref = "no-referrer"
	}
	h.Set("Referrer-Policy", ref)
	if s.NoStore {
		h.Set("Cache-Control", "no-store")
	}
}

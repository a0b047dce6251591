package portal

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/store"
)

//go:embed migrations templates static
var files embed.FS

// Component is the name of the portal's migrations in the node's database
// (package store): its tables are prefixed portal_.
const Component = "portal"

// DefaultSessionLifetime is how long a browser session lasts when
// Config.SessionLifetime is zero: long enough for a journey with several
// previews (SPEC.md §1.2 timeouts: (T1+T2+T3) per requirement).
const DefaultSessionLifetime = 8 * time.Hour

// Procedure is a procedure the portal offers.
type Procedure struct {
	// Code is the code of the OOTS Procedures code list (R1, S1, T2, X1…),
	// as sent to the Evidence Broker.
	Code string
	// Titles is the title by language (ISO 639-1, lower case); "en" is
	// required.
	Titles map[string]string
	// Company: the procedure is about a company, so the user must act for
	// one (eid.Subject.Company).
	Company bool
	// Form, when set, is the procedure's application form, pre-filled
	// from the structured evidence of the journey (GET
	// /journeys/{id}/form).
	Form *Form
	// AssociatedDocuments are the documents the procedure wants with each
	// evidence besides the main one ("Annex", "HumanReadableVersion",
	// "Translation": requester.StartRequest.AssociatedDocuments), asked
	// of providers that speak EDM 2.0; none by default.
	AssociatedDocuments []string
}

// Title returns the procedure's title in lang, else in English.
func (p Procedure) Title(lang string) string {
	if t := p.Titles[lang]; t != "" {
		return t
	}
	return p.Titles["en"]
}

// DemoProcedures returns the procedures of the demo data set (package
// csregistry): R1 birth certificate, S1 residence, T2 tertiary education
// (two requirements) and X1 business registration (about a company),
// titled by titles (code → language → title): the data set's own titles
// (demo.ProcedureTitles), so that the portal, the preview space and the
// Common Services name a procedure alike.
//
// R1 and T2 have an application form pre-filled from the structured
// evidence (the birth record; the diploma and the birth record). S1 asks a
// provider that speaks EDM 2.0 for the annexes of the certificate of
// residence and its translations into the user's language.
func DemoProcedures(titles map[string]map[string]string) []Procedure {
	forms := demoForms()
	ps := []Procedure{
		{Code: "R1"},
		{Code: "S1", AssociatedDocuments: []string{edm.RoleAnnex, edm.RoleTranslation}},
		{Code: "T2"},
		{Code: "X1", Company: true},
	}
	for i := range ps {
		ps[i].Titles = titles[ps[i].Code]
		ps[i].Form = forms[ps[i].Code]
	}
	return ps
}

// Config configures a Portal. Country, Name, BaseURL, Service,
// Authenticator, Procedures, Countries and DB are required.
type Config struct {
	// Country is the Member State of the portal (ISO 3166-1 alpha-2), one
	// the pages have a language for (DE, AT: de; FR, BE, LU: fr; FI: fi;
	// SE: sv). Every page is offered in English, German, French, Finnish
	// and Swedish whatever the country.
	Country string
	// Name is the name of the competent authority, shown on every page.
	Name string
	// BaseURL is the public URL of the portal, without a trailing slash
	// (https outside tests: the requester connector accepts only an https
	// ReturnURL, and with https the cookies are Secure). It builds the
	// ReturnURL of journeys (BaseURL/return, to which the connector
	// appends the journey and requirement) and the eID callback
	// (BaseURL/login/callback).
	BaseURL string
	// Service is the requester connector.
	Service requester.Service
	// Authenticator logs users in (SPEC.md §1.2 step 1).
	Authenticator eid.Authenticator
	// Procedures are the procedures offered (at least one); the demo's are
	// DemoProcedures.
	Procedures []Procedure
	// Countries are the Member States whose evidence can be asked for
	// (ISO 3166-1 alpha-2).
	Countries []string
	// DB keeps sessions, journeys and submissions (tables portal_*).
	DB *store.DB
	// PreferStructured: for a procedure with a Form, the evidence is
	// requested in a structured format (application/xml, else
	// application/json) when the chosen provider offers one, so that the
	// form can be pre-filled; otherwise in the connector's default format.
	PreferStructured bool
	// SessionLifetime is how long a session lasts after it began;
	// DefaultSessionLifetime when zero.
	SessionLifetime time.Duration
	// Logger receives the portal's log; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); Rand the source of session
	// tokens, states and reference numbers (crypto/rand.Reader when nil).
	Now  func() time.Time
	Rand io.Reader
}

// Errors of Validate.
var (
	// ErrConfig is wrapped by every error of Config.Validate.
	ErrConfig = errors.New("portal: invalid configuration")
)

// localLanguage is the language of the country of a portal.
var localLanguage = map[string]string{
	"DE": "de", "AT": "de",
	"FR": "fr", "BE": "fr", "LU": "fr",
	"FI": "fi",
	"SE": "sv",
}

// Validate checks the configuration and names the first wrong field.
func (c *Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
	}
	if _, ok := localLanguage[c.Country]; !ok {
		return bad("Country %q is not a country the portal has pages for (DE, AT, FR, BE, LU, FI, SE)", c.Country)
	}
	if strings.TrimSpace(c.Name) == "" {
		return bad("Name (the authority's name) is empty")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return bad("BaseURL %q is not an absolute http(s) URL without query", c.BaseURL)
	}
	if strings.HasSuffix(c.BaseURL, "/") {
		return bad("BaseURL %q ends with a slash", c.BaseURL)
	}
	if c.Service == nil {
		return bad("Service (the requester connector) is nil")
	}
	if c.Authenticator == nil {
		return bad("Authenticator is nil")
	}
	if c.DB == nil {
		return bad("DB is nil")
	}
	if len(c.Countries) == 0 {
		return bad("Countries (of the evidence) is empty")
	}
	for _, cc := range c.Countries {
		if len(cc) != 2 || strings.ToUpper(cc) != cc {
			return bad("Countries: %q is not an ISO 3166-1 alpha-2 code in upper case", cc)
		}
	}
	if len(c.Procedures) == 0 {
		return bad("Procedures is empty")
	}
	seen := map[string]bool{}
	for i, p := range c.Procedures {
		if p.Code == "" {
			return bad("Procedures[%d] has no Code", i)
		}
		if seen[p.Code] {
			return bad("Procedures: code %s appears twice", p.Code)
		}
		seen[p.Code] = true
		if p.Titles["en"] == "" {
			return bad("Procedures[%d] (%s) has no English title", i, p.Code)
		}
		if p.Form != nil {
			if err := p.Form.validate(p.Code); err != nil {
				return bad("%v", err)
			}
		}
		if err := validAssociated(p.AssociatedDocuments); err != nil {
			return bad("Procedures[%d] (%s): AssociatedDocuments: %v", i, p.Code, err)
		}
	}
	if c.SessionLifetime < 0 {
		return bad("SessionLifetime is negative")
	}
	return nil
}

// Portal is the procedure portal. It is safe for concurrent use.
type Portal struct {
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	rand       io.Reader
	langs      []string // "en" and the local language
	procedures map[string]Procedure
	pages      map[string]map[string]*template.Template // lang → page → template
	sessions   *sessionStore
	css        []byte
	js         []byte
	secure     bool // BaseURL is https: cookies are Secure
}

// New checks cfg, applies the portal's migrations to cfg.DB and returns the
// portal.
func New(cfg Config) (*Portal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Portal{
		cfg:        cfg,
		log:        cfg.Logger,
		now:        cfg.Now,
		rand:       cfg.Rand,
		langs:      catalogueLanguages,
		procedures: map[string]Procedure{},
		secure:     strings.HasPrefix(cfg.BaseURL, "https:"),
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	if p.cfg.SessionLifetime == 0 {
		p.cfg.SessionLifetime = DefaultSessionLifetime
	}
	for _, pr := range cfg.Procedures {
		p.procedures[pr.Code] = pr
	}
	if err := p.parseTemplates(); err != nil {
		return nil, err
	}
	css, err := fs.ReadFile(files, "static/portal.css")
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	p.css = css
	if p.js, err = fs.ReadFile(files, "static/journey.js"); err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	if err := cfg.DB.MigrateFS(context.Background(), Component, files); err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	p.sessions = &sessionStore{db: cfg.DB}
	return p, nil
}

// Handler returns the portal's web site:
//
//	GET  /                                 home: choose procedure and country
//	POST /start                            start (logs in first when needed)
//	POST /login, GET /login                eID login (SPEC.md §1.2 step 1): Authenticator.Begin
//	GET  /login/callback                   Authenticator.Finish
//	POST /logout, GET /logged-out         logout, and its confirmation
//	GET  /journeys/{id}                    the journey and the step of each requirement
//	GET  /return?journey=…&requirement=…   the ReturnURL: on to the return page
//	GET  /journeys/{id}/return             back from the provider's preview
//	GET  /journeys/{id}/status[?returned=1] what changed, as JSON, for the journey page's script
//	POST /journeys/{id}/choose             evidence type, answers, provider
//	POST /journeys/{id}/request            the explicit request
//	POST /journeys/{id}/skip               go on without a failed requirement
//	POST /journeys/{id}/retry              start anew after a failure (a new journey)
//	GET  /journeys/{id}/evidence/{eid}     an evidence file
//	GET, POST /journeys/{id}/submit        summary and submission (step 7)
//	GET, POST /journeys/{id}/form          the application form pre-filled from the evidence, and its submission
//	GET  /submissions/{ref}                confirmation with the reference number
//	GET  /my-data[?format=json|html]       every exchange about the logged-in user, and its export
//	GET  /about                            accessibility statement, privacy notice, contact (package ui)
//	GET  /ui.css, /static/portal.css      the shared style sheet (package ui), the portal's own
//	GET  /static/journey.js, /ui-time.js  the journey page's live status; times in the reader's time zone (package ui)
func (p *Portal) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/portal.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(p.css)
	})
	mux.HandleFunc("GET "+ui.StylePath, ui.ServeStyle)
	mux.HandleFunc("GET "+ui.TimeScriptPath, ui.ServeTimeScript)
	mux.HandleFunc("GET /static/journey.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(p.js)
	})
	mux.HandleFunc("GET /{$}", p.page(p.home))
	mux.HandleFunc("GET "+ui.InfoPath, p.page(p.about))
	mux.HandleFunc("POST /start", p.form(p.start))
	mux.HandleFunc("POST /login", p.form(p.login))
	mux.HandleFunc("GET /login", p.page(p.loginPage))
	mux.HandleFunc("GET "+CallbackPath, p.page(p.callback))
	mux.HandleFunc("POST /logout", p.form(p.logout))
	mux.HandleFunc("GET "+LoggedOutPath, p.page(p.loggedOut))
	mux.HandleFunc("GET /return", p.page(p.back))
	mux.HandleFunc("GET /journeys/{id}", p.page(p.journey))
	mux.HandleFunc("GET /journeys/{id}/return", p.page(p.journeyReturn))
	mux.HandleFunc("GET /journeys/{id}/status", p.page(p.status))
	mux.HandleFunc("POST /journeys/{id}/choose", p.form(p.choose))
	mux.HandleFunc("POST /journeys/{id}/request", p.form(p.request))
	mux.HandleFunc("POST /journeys/{id}/skip", p.form(p.skip))
	mux.HandleFunc("POST /journeys/{id}/retry", p.form(p.retry))
	mux.HandleFunc("GET /journeys/{id}/evidence/{eid}", p.page(p.evidence))
	mux.HandleFunc("GET /journeys/{id}/submit", p.page(p.summary))
	mux.HandleFunc("POST /journeys/{id}/submit", p.form(p.submit))
	mux.HandleFunc("GET /my-data", p.page(p.dataUse))
	mux.HandleFunc("GET /journeys/{id}/form", p.page(p.formPage))
	mux.HandleFunc("POST /journeys/{id}/form", p.form(p.submitForm))
	mux.HandleFunc("GET /submissions/{ref}", p.page(p.submission))
	mux.HandleFunc("/", p.page(func(rq *request) error { return errNotFound }))
	return p.securityHeaders(mux)
}

// ErrNoSubmission is returned by Submission for an unknown reference.
var ErrNoSubmission = errors.New("portal: no such submission")

// Submission returns a submitted procedure by its reference number (for
// the authority's back office and the tests; the pages show a submission
// only to its user).
func (p *Portal) Submission(ctx context.Context, reference string) (*Submission, error) {
	sub, _, err := p.sessions.submission(ctx, "reference", reference)
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoSubmission, reference)
	}
	return sub, nil
}

// securityHeaders sets the headers every answer carries: a content security
// policy that allows only the portal's own resources (the one script is a
// file of the portal's: no inline script, no eval),
// and HSTS when the portal is public on https. (No form-action: the login
// form is answered with a redirect to the identity provider, which
// form-action would block.)
func (p *Portal) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ui.Security{CSP: "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
			Referrer: "same-origin", HSTS: p.secure}.Set(w.Header())
		next.ServeHTTP(w, r)
	})
}

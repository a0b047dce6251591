package portal

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/store"
)

// env is a portal on a loopback HTTP server with its doubles.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	portal *Portal
	svc    *serviceDouble
	auth   *authDouble
	db     *store.DB
	cfg    Config
	h      atomic.Pointer[http.Handler]
}

// serve makes the server answer with h (a portal restarted on the same
// database).
func (e *env) serve(h http.Handler) { e.h.Store(&h) }

func testClock() func() time.Time {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	return func() time.Time { return t0 }
}

// newEnv starts a portal of country (FR unless set) with a SQLite database
// in the test's directory; edit may change the configuration.
func newEnv(t *testing.T, country string, edit func(*Config)) *env {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvDB(t, country, db, edit)
}

// forEachDB runs f on a SQLite database and on a PostgreSQL one (skipped
// without PostgreSQL, see package pgtest).
func forEachDB(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "portal.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Start(t).NewDatabase(t)
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f(t, db)
	})
}

func newEnvDB(t *testing.T, country string, db *store.DB, edit func(*Config)) *env {
	t.Helper()
	e := &env{t: t, svc: newServiceDouble(testClock()), auth: newAuthDouble(), db: db}
	e.serve(http.NotFoundHandler())
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*e.h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	if country == "" {
		country = "FR"
	}
	e.cfg = Config{
		Country: country, Name: "Agence des démarches", BaseURL: e.srv.URL,
		Service: e.svc, Authenticator: e.auth, Procedures: demoProcedures(t), Countries: []string{"DE", "FR", "FI", "SE"}, DB: db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if edit != nil {
		edit(&e.cfg)
	}
	p, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.portal = p
	e.serve(p.Handler())
	return e
}

// browser is a user's browser: a client with a cookie jar that checks
// every HTML page it gets (checkPage).
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	last string // body of the last HTML page
	url  *url.URL
	lang string // Accept-Language
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

type page struct {
	status int
	body   string
	url    *url.URL
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{status: resp.StatusCode, body: string(body), url: resp.Request.URL, header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		b.last, b.url = p.body, p.url
		checkPage(b.t, p.url.String(), p.body)
		checkSecurityHeaders(b.t, resp.Header)
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form; the CSRF token of the last page is added unless
// the form has one (an empty csrf value sends none).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", csrfOf(b.t, b.last))
	} else if form.Get("csrf") == "" {
		form.Del("csrf")
	}
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs the browser in as s (through the home page's log-in-and-start
// form when proc is set, else the plain login form of a message page).
func (b *browser) start(proc, country string) page {
	b.t.Helper()
	b.get("/")
	return b.post("/start", url.Values{"procedure": {proc}, "country": {country}})
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", body)
	}
	return m[1]
}

var journeyRE = regexp.MustCompile(`^/journeys/([^/]+)$`)

// journeyID returns the journey of a journey page's URL.
func journeyID(t testing.TB, p page) string {
	t.Helper()
	m := journeyRE.FindStringSubmatch(p.url.Path)
	if m == nil {
		t.Fatalf("not a journey page: %s (status %d)\n%s", p.url, p.status, p.body)
	}
	return m[1]
}

func mustContain(t testing.TB, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: page does not contain %q:\n%s", p.url, w, p.body)
		}
	}
}

func mustNotContain(t testing.TB, p page, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(p.body, w) {
			t.Errorf("%s: page contains %q", p.url, w)
		}
	}
}

func wantStatus(t testing.TB, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d:\n%s", p.url, p.status, status, p.body)
	}
}

func checkSecurityHeaders(t testing.TB, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no X-Content-Type-Options: nosniff")
	}
}

// checkPage checks what every page must have for accessibility (WCAG 2.1
// AA): a lang on <html>, a skip link to #main, exactly one h1 and headings
// that skip no level, a label for every form control (a <label for=id>, an
// enclosing <label>, or aria-label), unique ids, and no script but the journey page's file.
func checkPage(t testing.TB, where, body string) {
	t.Helper()
	for _, f := range pageFindings(body) {
		t.Errorf("%s: %s", where, f)
	}
}

// pageFindings returns what is wrong with an HTML page (see checkPage).
func pageFindings(body string) []string {
	var findings []string
	bad := func(s string) { findings = append(findings, s) }
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	type control struct{ tag, id, aria string }
	var (
		controls   []control
		labelFor   = map[string]bool{}
		ids        = map[string]bool{}
		labelDepth int
		lastLevel  int
		h1s        int
		htmlLang   bool
		skip       bool
		mainID     bool
	)
	attr := func(se xml.StartElement, name string) (string, bool) {
		for _, a := range se.Attr {
			if strings.EqualFold(a.Name.Local, name) {
				return a.Value, true
			}
		}
		return "", false
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			bad("HTML does not parse: " + err.Error())
			break
		}
		switch x := tok.(type) {
		case xml.StartElement:
			tag := strings.ToLower(x.Name.Local)
			if id, ok := attr(x, "id"); ok {
				if ids[id] {
					bad("duplicate id " + id)
				}
				ids[id] = true
			}
			switch tag {
			case "html":
				if l, _ := attr(x, "lang"); l != "" {
					htmlLang = true
				}
			case "script":
				// Only the journey page's script and the time script,
				// from files of the portal: the content security policy
				// allows no other.
				if src, _ := attr(x, "src"); src != "/static/journey.js" && src != ui.TimeScriptPath {
					bad("a <script> element other than /static/journey.js and " + ui.TimeScriptPath)
				}
			case "main":
				if id, _ := attr(x, "id"); id == "main" {
					mainID = true
				}
			case "a":
				if h, _ := attr(x, "href"); h == "#main" {
					skip = true
				}
			case "label":
				labelDepth++
				if f, ok := attr(x, "for"); ok {
					labelFor[f] = true
				}
			case "input", "select", "textarea":
				typ, _ := attr(x, "type")
				if tag == "input" && (typ == "hidden" || typ == "submit" || typ == "button") {
					break
				}
				id, _ := attr(x, "id")
				aria, _ := attr(x, "aria-label")
				if labelDepth > 0 {
					aria = "(enclosing label)"
				}
				controls = append(controls, control{tag, id, aria})
			case "h1", "h2", "h3", "h4", "h5", "h6":
				level := int(tag[1] - '0')
				if level == 1 {
					h1s++
				}
				if level > lastLevel+1 {
					bad("heading " + tag + " skips a level")
				}
				lastLevel = level
			}
			for _, a := range x.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					bad("an event handler attribute " + a.Name.Local)
				}
			}
		case xml.EndElement:
			if strings.ToLower(x.Name.Local) == "label" {
				labelDepth--
			}
		}
	}
	for _, c := range controls {
		if c.aria == "" && (c.id == "" || !labelFor[c.id]) {
			bad("<" + c.tag + " id=\"" + c.id + "\"> has no label")
		}
	}
	if !htmlLang {
		bad("<html> has no lang attribute")
	}
	if !skip || !mainID {
		bad("no skip link to <main id=\"main\">")
	}
	if h1s != 1 {
		bad("not exactly one h1")
	}
	return findings
}

// demoTitles are the titles of the demo procedures in the demo data set,
// read once.
var demoTitles = sync.OnceValues(func() (map[string]map[string]string, error) {
	return demo.ProcedureTitles(context.Background())
})

// demoProcedures are the demo procedures under the data set's titles.
func demoProcedures(t testing.TB) []Procedure {
	t.Helper()
	titles, err := demoTitles()
	if err != nil {
		t.Fatal(err)
	}
	return DemoProcedures(titles)
}

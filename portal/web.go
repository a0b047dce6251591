package portal

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/oots-go/oots/internal/ui"
)

// Cookie names. With an https BaseURL the session cookie takes the
// __Host- prefix, which browsers accept only Secure, for the whole host.
const (
	cookieSession       = "portal_session"
	cookieSessionSecure = "__Host-portal_session"
	cookieLang          = "portal_lang"
)

// maxForm limits the body of a POST.
const maxForm = 64 << 10

// errNotFound answers 404; it is also the answer to a journey of another
// user, which must not be told apart from one that does not exist.
var errNotFound = errors.New("portal: not found")

// userError is an answer with a status and a message for the user (a
// catalogue key); the page is the message page unless the handler renders
// its own.
type userError struct {
	status int
	key    string
	args   []any
	login  bool // offer to log in
	resume bool // … and to go on with the pending procedure after it
	// returnTo is the page to come back to after the login.
	returnTo string
}

func (e *userError) Error() string { return fmt.Sprintf("portal: %d %s", e.status, e.key) }

// request is one HTTP request with the portal's view of it.
type request struct {
	p    *Portal
	w    http.ResponseWriter
	r    *http.Request
	lang string
	sess *session
}

func (rq *request) t(key string, args ...any) string { return translate(rq.lang, key, args...) }

// page wraps a GET handler: language, session (created when missing, so
// that its forms carry a CSRF token), errors.
func (p *Portal) page(h func(*request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := &request{p: p, w: w, r: r}
		rq.lang = p.language(w, r)
		sess, err := p.loadSession(r)
		if err == nil && sess == nil {
			sess, err = p.startSession(w, r)
		}
		if err != nil {
			p.fail(rq, err)
			return
		}
		rq.sess = sess
		if err := h(rq); err != nil {
			p.fail(rq, err)
		}
	}
}

// form wraps a POST handler: the form is read (within maxForm) and its
// CSRF token checked against the session's before the handler runs.
func (p *Portal) form(h func(*request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := &request{p: p, w: w, r: r}
		rq.lang = p.language(w, r)
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			p.fail(rq, &userError{status: http.StatusBadRequest, key: "errForm"})
			return
		}
		sess, err := p.loadSession(r)
		if err != nil {
			p.fail(rq, err)
			return
		}
		rq.sess = sess
		token := r.PostForm.Get("csrf")
		if sess == nil || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
			p.log.Warn("portal: form without a valid CSRF token", logPath, r.URL.Path, logSession, sess != nil)
			p.fail(rq, &userError{status: http.StatusForbidden, key: "errCSRF"})
			return
		}
		if err := h(rq); err != nil {
			p.fail(rq, err)
		}
	}
}

func (p *Portal) cookieName() string {
	if p.secure {
		return cookieSessionSecure
	}
	return cookieSession
}

func (p *Portal) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(p.cookieName())
	if err != nil {
		return nil, nil
	}
	return p.sessions.get(r.Context(), c.Value, p.now())
}

// startSession creates a session and sets its cookie.
func (p *Portal) startSession(w http.ResponseWriter, r *http.Request) (*session, error) {
	sess, err := p.sessions.newSession(r.Context(), p.rand, p.now(), p.cfg.SessionLifetime)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: p.cookieName(), Value: sess.token, Path: "/", Expires: sess.Expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure || r.TLS != nil,
	})
	return sess, nil
}

// language chooses the language of the answer: ?lang= (remembered in a
// cookie), the cookie, Accept-Language, English.
func (p *Portal) language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); p.supported(l) {
		http.SetCookie(w, &http.Cookie{
			Name: cookieLang, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure || r.TLS != nil,
		})
		return l
	}
	if c, err := r.Cookie(cookieLang); err == nil && p.supported(c.Value) {
		return c.Value
	}
	for _, l := range ui.ParseAcceptLanguage(r.Header.Get("Accept-Language")) {
		if p.supported(l) {
			return l
		}
	}
	return "en"
}

func (p *Portal) supported(l string) bool {
	for _, s := range p.langs {
		if s == l {
			return true
		}
	}
	return false
}

// langLink is an entry of the language switch.
type langLink struct {
	Code, Name, URL string
	Current         bool
}

// view is what every page template gets.
type view struct {
	Lang    string
	Title   string
	Portal  string
	Langs   []langLink
	User    string
	Company string
	CSRF    string
	Error   string
	// Footer are the links of the footer (accessibility statement,
	// privacy notice, contact: package ui).
	Footer []ui.Link
	// Script is the path of the page's script (a file of /static, as the
	// content security policy allows no inline script), or "".
	Script string
	Data   any
	// Step is the page's step of the journey (0: a page outside it).
	Step ui.Step
}

// Steps is the page's step indicator (package ui).
func (v view) Steps() ui.Steps { return ui.Steps{Lang: v.Lang, Current: v.Step} }

// pageStep is the step of the journey a page shows: the journey page
// where its requirements stand, the application form and the summary the
// submission, the submitted page past the last step.
func pageStep(page string, data any) ui.Step {
	switch page {
	case "journey":
		if d, ok := data.(*journeyData); ok {
			return d.Step
		}
	case "form", "summary":
		return ui.StepSubmit
	case "submitted":
		return ui.StepsDone
	}
	return 0
}

// Chrome is what the shared layout (package ui) shows around the page:
// the portal's name linking home, the language switch and the footer.
func (v view) Chrome() ui.Chrome {
	c := ui.Chrome{Lang: v.Lang, Site: v.Portal, SiteURL: "/", Footer: v.Footer, Note: translate(v.Lang, "footer")}
	for _, l := range v.Langs {
		c.Switch = append(c.Switch, ui.Choice{Code: l.Code, Name: l.Name, URL: l.URL, Current: l.Current})
	}
	return c
}

// view builds what every page template gets.
func (p *Portal) view(rq *request, title string, data any, errMsg string) view {
	v := view{Lang: rq.lang, Title: title, Portal: p.cfg.Name, Error: errMsg, Data: data, Footer: ui.Footer(rq.lang)}
	// The switch keeps the page (a POST's answer, or the one-time login
	// callback, switches on the home page).
	for _, l := range p.langs {
		q := rq.r.URL.Query()
		q.Set("lang", l)
		u := url.URL{Path: rq.r.URL.Path, RawQuery: q.Encode()}
		if rq.r.Method != http.MethodGet || rq.r.URL.Path == CallbackPath {
			u.Path = "/"
			u.RawQuery = url.Values{"lang": {l}}.Encode()
		}
		v.Langs = append(v.Langs, langLink{Code: l, Name: languageNames[l], URL: u.String(), Current: l == rq.lang})
	}
	if s := rq.sess; s != nil {
		v.CSRF = s.CSRF
		if s.Subject != nil && s.Subject.Person != nil {
			v.User = s.Subject.Person.GivenName + " " + s.Subject.Person.FamilyName
			if s.Subject.Company != nil {
				v.Company = s.Subject.Company.LegalName
			}
		}
	}
	return v
}

// fragment renders the template name of page (a part of it the page's
// script replaces) with data.
func (p *Portal) fragment(rq *request, page, name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := p.pages[rq.lang][page].ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("portal: rendering %s of %s: %w", name, page, err)
	}
	return buf.String(), nil
}

// render writes page with status.
func (p *Portal) render(rq *request, status int, page, title string, data any, errMsg string, script string) {
	v := p.view(rq, title, data, errMsg)
	v.Script = script
	v.Step = pageStep(page, data)
	if status >= 400 {
		// The title says that it is an error (WCAG 2.4.2).
		v.Title = ui.ErrorTitle(rq.lang, title)
	}
	t := p.pages[rq.lang][page]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		p.log.Error("portal: rendering page", logPage, page, logErr, err)
		http.Error(rq.w, "internal error", http.StatusInternalServerError)
		return
	}
	h := rq.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", rq.lang)
	rq.w.WriteHeader(status)
	rq.w.Write(buf.Bytes())
}

// messageData is the content of the message page.
type messageData struct {
	Heading  string
	Text     string
	Next     string // what the user can do next ("" for none)
	Status   bool   // Text is news (role=status), not a problem (role=alert)
	Login    bool
	Resume   bool
	ReturnTo string
}

// message renders the message page.
func (p *Portal) message(rq *request, status int, heading, text string, login, resume bool, returnTo string) {
	p.render(rq, status, "message", heading, messageData{Heading: heading, Text: text, Login: login, Resume: resume, ReturnTo: returnTo}, "", "")
}

// fail answers a handler's error: a userError with its message, errNotFound
// with 404, anything else with 500 (the cause goes to the log only).
func (p *Portal) fail(rq *request, err error) {
	var ue *userError
	switch {
	case errors.As(err, &ue):
		p.message(rq, ue.status, rq.t("errHeading"), rq.t(ue.key, ue.args...), ue.login, ue.resume, ue.returnTo)
	case errors.Is(err, errNotFound):
		p.message(rq, http.StatusNotFound, rq.t("notFoundHeading"), rq.t("notFoundText"), false, false, "")
	default:
		p.log.Error("portal: request failed", logPath, rq.r.URL.Path, logErr, err)
		p.message(rq, http.StatusInternalServerError, rq.t("errHeading"), rq.t("errInternal"), false, false, "")
	}
}

// redirect answers a POST with 303 See Other (POST-redirect-GET).
func (rq *request) redirect(path string) error {
	http.Redirect(rq.w, rq.r, path, http.StatusSeeOther)
	return nil
}

// parseTemplates parses every page once per language, with the language's
// translation functions.
func (p *Portal) parseTemplates() error {
	p.pages = map[string]map[string]*template.Template{}
	for _, l := range p.langs {
		l := l
		funcs := template.FuncMap{
			"t":    func(key string, args ...any) string { return translate(l, key, args...) },
			"pair": func(a, b any) []any { return []any{a, b} },
		}
		p.pages[l] = map[string]*template.Template{}
		for _, page := range []string{"home", "journey", "summary", "submitted", "message", "form", "datause", "about"} {
			t, err := template.Must(template.New(page).Funcs(funcs).Parse(ui.Fragments)).ParseFS(files, "templates/layout.html", "templates/"+page+".html")
			if err != nil {
				return fmt.Errorf("portal: parsing template %s: %w", page, err)
			}
			p.pages[l][page] = t
		}
	}
	return nil
}

package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
)

// Paths of the provider's endpoints, below its Issuer URL.
const (
	PathAuthorize = "/authorize"
	PathToken     = "/token"
	PathJWKS      = "/.well-known/jwks.json"
	PathLogout    = "/logout"
)

// codeLife is how long an authorization code can be exchanged.
const codeLife = 60 * time.Second

// maxForm bounds the body of a form post.
const maxForm = 64 << 10

// csrfCookie holds the login form's CSRF token (double-submit: the form
// carries the same value).
const csrfCookie = "idp_csrf"

// Keys of log attributes.
const (
	logClient  = "client_id"
	logReason  = "reason"
	logSubject = "subject"
	logCountry = "country"
	logError   = "error"
	// logRemembered: the login was not asked again (single sign-on).
	logRemembered = "remembered"
)

// Registration is a relying party registered at a provider.
type Registration struct {
	// Name is shown on the login page ("You are logging in to: …");
	// default the client id.
	Name string
	// RedirectURIs are the redirect_uri values the relying party may use,
	// each an absolute http(s) URL compared exactly, character for
	// character (OAuth 2.0 Security BCP, RFC 9700 §4.1.3: no prefix or
	// pattern matching, which lets an attacker choose a path under the
	// registered one).
	RedirectURIs []string
	// Country is the relying party's country (ISO 3166-1 alpha-2), the
	// second part of the identifiers it receives.
	Country string
}

// Config configures a Provider.
type Config struct {
	// Country is the country whose eIDs the provider vouches for (ISO
	// 3166-1 alpha-2, upper case).
	Country string
	// Issuer is the provider's base URL, without a trailing slash: the iss
	// of its assertions and the prefix of its endpoints.
	Issuer string
	// Key signs the assertions (ES256, so a P-256 key).
	Key *ecdsa.PrivateKey
	// Clients are the registered relying parties by client id.
	Clients map[string]Registration
	// Users are the test users (the demo network's are those of package
	// internal/demo, demo.Users). Required; each must be of Country.
	Users []User
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Rand is the source of codes, CSRF tokens and signatures; default
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger records logins and refusals; default slog.Default().
	Logger *slog.Logger
	// Session is how long the provider remembers a login in the browser
	// (single sign-on): a login request from the same browser within
	// this time after the login is answered without asking again, so
	// that a citizen logged in at the portal is not asked again at the
	// preview space. Zero: every login asks. At most MaxSession.
	Session time.Duration
}

// MaxSession bounds Config.Session: a login is never remembered longer.
const MaxSession = 8 * time.Hour

// Validate reports the first field of c that is missing or wrong.
func (c *Config) Validate() error {
	if len(c.Country) != 2 || strings.ToUpper(c.Country) != c.Country {
		return fmt.Errorf("idp: Country %q is not an upper-case ISO 3166-1 alpha-2 code", c.Country)
	}
	if err := checkBaseURL(c.Issuer); err != nil {
		return fmt.Errorf("idp: Issuer: %w", err)
	}
	if c.Key == nil {
		return errors.New("idp: Key is missing")
	}
	if c.Key.Curve != elliptic.P256() {
		return errors.New("idp: Key is not a P-256 key (ES256)")
	}
	if len(c.Clients) == 0 {
		return errors.New("idp: Clients is empty: no relying party could log users in")
	}
	for id, r := range c.Clients {
		if id == "" {
			return errors.New("idp: Clients has an empty client id")
		}
		if len(r.Country) != 2 || strings.ToUpper(r.Country) != r.Country {
			return fmt.Errorf("idp: Clients[%q].Country %q is not an upper-case ISO 3166-1 alpha-2 code", id, r.Country)
		}
		if len(r.RedirectURIs) == 0 {
			return fmt.Errorf("idp: Clients[%q].RedirectURIs is empty", id)
		}
		for _, p := range r.RedirectURIs {
			if err := checkRedirectURI(p); err != nil {
				return fmt.Errorf("idp: Clients[%q].RedirectURIs: %w", id, err)
			}
		}
	}
	if c.Session < 0 || c.Session > MaxSession {
		return fmt.Errorf("idp: Session %s is not between 0 and %s", c.Session, MaxSession)
	}
	users := c.Users
	if len(users) == 0 {
		return errors.New("idp: Users is empty: nobody could log in")
	}
	seen := map[string]bool{}
	for _, u := range users {
		switch {
		case u.Local == "":
			return fmt.Errorf("idp: Users: %s has no Local identifier", u.Name())
		case seen[u.Local]:
			return fmt.Errorf("idp: Users: identifier %q is used twice", u.Local)
		case u.Country != c.Country:
			return fmt.Errorf("idp: Users: %s is of country %q, not %s", u.Local, u.Country, c.Country)
		case u.PIN == "":
			return fmt.Errorf("idp: Users: %s has no PIN", u.Local)
		case u.LoA.Code() == "":
			return fmt.Errorf("idp: Users: %s has the unknown level of assurance %q", u.Local, u.LoA)
		case u.Person.FamilyName == "" || u.Person.GivenName == "" || u.Person.DateOfBirth == "":
			return fmt.Errorf("idp: Users: %s lacks a mandatory attribute (family name, given name, date of birth)", u.Local)
		}
		seen[u.Local] = true
		for _, co := range u.Represents {
			if co.Local == "" || co.LegalPerson.LegalName == "" {
				return fmt.Errorf("idp: Users: %s represents a company without Local identifier or legal name", u.Local)
			}
		}
	}
	return nil
}

// checkBaseURL checks an absolute http(s) URL without query, fragment or
// trailing slash.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") {
		return fmt.Errorf("%q has a query, a fragment or a trailing slash", s)
	}
	return nil
}

// checkRedirectURI checks an absolute http(s) URL without fragment.
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("%q has a fragment", s)
	}
	return nil
}

// Provider is a demo identity provider of one country: an http.Handler
// serving the login page, the token endpoint and its public key. It keeps
// its codes in memory.
type Provider struct {
	cfg   Config
	users map[string]*User
	order []*User
	kid   string
	langs []string
	base  string // the path of Issuer, before the endpoints' paths

	mu       sync.Mutex
	codes    map[string]*grant
	sessions map[string]*ssoSession // by the hash of the session cookie
}

// grant is what an authorization code stands for.
type grant struct {
	client      string
	redirectURI string
	subject     eid.Subject
	expires     time.Time
	used        bool
}

// New returns the provider of cfg, after cfg.Validate.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Provider{cfg: cfg, users: map[string]*User{}, codes: map[string]*grant{}, sessions: map[string]*ssoSession{},
		kid: keyID(&cfg.Key.PublicKey), langs: allLanguages}
	if u, err := url.Parse(cfg.Issuer); err == nil {
		p.base = u.Path
	}
	for i := range cfg.Users {
		u := &cfg.Users[i]
		p.users[u.Local] = u
		p.order = append(p.order, u)
	}
	return p, nil
}

// PublicKey returns the key that verifies the provider's assertions.
func (p *Provider) PublicKey() *ecdsa.PublicKey { return &p.cfg.Key.PublicKey }

// ServeHTTP serves GET and POST PathAuthorize, POST PathToken and GET
// PathJWKS below the path of the Issuer URL; the provider can be mounted
// there with or without http.StripPrefix.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(p.cfg.Issuer, "https://") {
		// Served over https: a browser must never reach it in clear again.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	path := r.URL.Path
	if p.base != "" {
		path = strings.TrimPrefix(path, p.base)
	}
	switch {
	case path == PathAuthorize && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		p.authorizePage(w, r)
	case path == PathAuthorize && r.Method == http.MethodPost:
		p.authorize(w, r)
	case path == PathToken && r.Method == http.MethodPost:
		p.token(w, r)
	case path == PathJWKS && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		p.jwks(w)
	case path == ui.InfoPath && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		p.aboutPage(w, r)
	case path == PathLogout && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		p.logout(w, r)
	case path == PathAuthorize || path == PathToken || path == PathJWKS:
		w.Header().Set("Allow", map[string]string{PathAuthorize: "GET, HEAD, POST", PathToken: "POST", PathJWKS: "GET, HEAD"}[path])
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// loginRequest is the relying party's request, checked.
type loginRequest struct {
	clientID    string
	reg         Registration
	redirectURI string
	state       string
}

// checkRequest checks client_id, redirect_uri and state; the error is the
// key of the message the user sees.
func (p *Provider) checkRequest(v url.Values) (*loginRequest, string) {
	id := v.Get("client_id")
	reg, ok := p.cfg.Clients[id]
	if !ok {
		return nil, "errClient"
	}
	ru := v.Get("redirect_uri")
	if !redirectAllowed(ru, reg.RedirectURIs) {
		return nil, "errRedirect"
	}
	st := v.Get("state")
	if st == "" {
		return nil, "errState"
	}
	return &loginRequest{clientID: id, reg: reg, redirectURI: ru, state: st}, ""
}

// redirectAllowed reports whether ru is an allowed redirect URI: a valid
// absolute URL that starts with one of prefixes at a boundary.
func redirectAllowed(ru string, registered []string) bool {
	if checkRedirectURI(ru) != nil {
		return false
	}
	return slices.Contains(registered, ru)
}

// account is an entry of the login page: a person, or a person acting for
// a company.
type account struct {
	Value, Label, Details string
	Checked               bool
}

type level struct {
	Value, Label string
	Checked      bool
}

type fieldError struct{ Field, Text string }

type loginPage struct {
	page
	Client, Action, CSRF, ClientID, RedirectURI, State string
	Accounts                                           []account
	Levels                                             []level
	Errors                                             []fieldError
	AccountError, LoAError, PINError                   string
}

// Summary is the error summary of the form (package ui).
func (lp loginPage) Summary() ui.ErrorSummary {
	s := ui.ErrorSummary{Lang: string(lp.L)}
	for _, e := range lp.Errors {
		s.Errors = append(s.Errors, ui.FieldError{Field: e.Field, Text: e.Text})
	}
	return s
}

type aboutPage struct {
	page
	Sections []ui.Section
}

// aboutPage serves the page the footer links lead to (package ui): the
// accessibility statement, the privacy notice and the contact.
func (p *Provider) aboutPage(w http.ResponseWriter, r *http.Request) {
	l := p.locale(r, r.URL.Query().Get("lang"))
	title, sections := ui.Info(string(l), p.site(l))
	pg := aboutPage{page: page{L: l, Title: title, Site: p.site(l), Footer: footerLinks(l, p.base),
		Languages: languageLinks(url.URL{Path: p.base + ui.InfoPath}, string(l))}, Sections: sections}
	if err := writePage(w, http.StatusOK, "about", pg); err != nil {
		p.cfg.Logger.Error("idp: write page", logError, err)
	}
}

type errorPage struct {
	page
	Message string
}

func (p *Provider) locale(r *http.Request, lang string) locale {
	return locale(pickLanguage(r, lang, p.langs))
}

func (p *Provider) site(l locale) string { return l.T("idpName", l.Country(p.cfg.Country)) }

// errorPage answers a request that cannot lead back to the relying party:
// never a redirect.
func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, status int, l locale, key, reason string) {
	p.cfg.Logger.Warn("idp: login refused", logClient, r.FormValue("client_id"), logReason, reason)
	self := url.URL{Path: p.base + PathAuthorize}
	if r.Method == http.MethodGet {
		self.RawQuery = r.URL.RawQuery
	}
	pg := errorPage{page: page{L: l, Title: l.T("errTitle"), Site: p.site(l), Languages: languageLinks(self, string(l)), Footer: footerLinks(l, p.base)},
		Message: l.T(key)}
	if err := writePage(w, status, "error", pg); err != nil {
		p.cfg.Logger.Error("idp: write page", logError, err)
	}
}

// authorizePage serves the login page (GET /authorize).
func (p *Provider) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l := p.locale(r, q.Get("lang"))
	req, key := p.checkRequest(q)
	if req == nil {
		p.errorPage(w, r, http.StatusBadRequest, l, key, key)
		return
	}
	token, err := p.csrfToken(w, r)
	if err != nil {
		p.cfg.Logger.Error("idp: csrf token", logError, err)
		http.Error(w, "cannot make a form token", http.StatusInternalServerError)
		return
	}
	if ss := p.session(r); ss != nil && q.Get("prompt") != "login" {
		p.issue(w, r, req, ss.user, ss.company, ss.loa, ss.authTime, true)
		return
	}
	p.renderLogin(w, r, http.StatusOK, l, req, token, url.Values{}, nil)
}

// csrfToken returns the browser's CSRF token, setting a new one when it
// has none.
func (p *Provider) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value, nil
	}
	t, err := p.random()
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: t, Path: p.base + PathAuthorize, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	return t, nil
}

func (p *Provider) random() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(p.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("read random octets: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// renderLogin writes the login page, with the user's previous choices and
// errors when the form was refused.
func (p *Provider) renderLogin(w http.ResponseWriter, r *http.Request, status int, l locale, req *loginRequest, csrf string, form url.Values, errs []fieldError) {
	self := url.URL{Path: p.base + PathAuthorize, RawQuery: url.Values{"client_id": {req.clientID},
		"redirect_uri": {req.redirectURI}, "state": {req.state}}.Encode()}
	name := req.reg.Name
	if name == "" {
		name = req.clientID
	}
	pg := loginPage{
		page:   page{L: l, Title: l.T("title"), Site: p.site(l), Languages: languageLinks(self, string(l)), Footer: footerLinks(l, p.base)},
		Client: name, Action: p.base + PathAuthorize, CSRF: csrf,
		ClientID: req.clientID, RedirectURI: req.redirectURI, State: req.state, Errors: errs,
	}
	for _, e := range errs {
		switch e.Field {
		case "account":
			pg.AccountError = e.Text
		case "loa":
			pg.LoAError = e.Text
		case "pin":
			pg.PINError = e.Text
		}
	}
	chosen := form.Get("account")
	for _, u := range p.order {
		born := l.T("person", u.Name(), u.Person.DateOfBirth, u.Person.PlaceOfBirth)
		details := l.T("details", l.LoA(u.LoA), u.Local, u.PIN)
		v := u.Local
		pg.Accounts = append(pg.Accounts, account{Value: v, Label: born, Details: details, Checked: v == chosen})
		for _, co := range u.Represents {
			v := u.Local + "|" + co.Local
			pg.Accounts = append(pg.Accounts, account{Value: v, Label: l.T("forCompany", u.Name(), co.LegalPerson.LegalName),
				Details: details, Checked: v == chosen})
		}
	}
	loa := form.Get("loa")
	if loa == "" {
		loa = "Substantial"
	}
	for _, a := range []eid.LoA{eid.LoALow, eid.LoASubstantial, eid.LoAHigh} {
		pg.Levels = append(pg.Levels, level{Value: a.Code(), Label: l.LoA(a), Checked: a.Code() == loa})
	}
	if err := writePage(w, status, "login", pg); err != nil {
		p.cfg.Logger.Error("idp: write page", logError, err)
	}
}

// authorize handles the login form (POST /authorize): on success it
// redirects to redirect_uri with a single-use code and the state.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, p.locale(r, ""), "errCSRF", "unreadable form: "+err.Error())
		return
	}
	f := r.PostForm
	l := p.locale(r, f.Get("lang"))
	req, key := p.checkRequest(f)
	if req == nil {
		p.errorPage(w, r, http.StatusBadRequest, l, key, key)
		return
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 || subtle.ConstantTimeCompare([]byte(c.Value), []byte(f.Get("csrf"))) != 1 {
		p.errorPage(w, r, http.StatusForbidden, l, "errCSRF", "CSRF token missing or different from the cookie")
		return
	}
	if f.Get("action") == "cancel" {
		p.cfg.Logger.Info("idp: login cancelled", logClient, req.clientID)
		http.Redirect(w, r, withParams(req.redirectURI, url.Values{"error": {"access_denied"}, "state": {req.state}}), http.StatusSeeOther)
		return
	}

	var errs []fieldError
	localID, companyID, _ := strings.Cut(f.Get("account"), "|")
	u := p.users[localID]
	var company *Company
	if u != nil && companyID != "" {
		for i := range u.Represents {
			if u.Represents[i].Local == companyID {
				company = &u.Represents[i]
			}
		}
	}
	loa, okLoA := eid.ParseLoA(f.Get("loa"))
	switch {
	case u == nil || (companyID != "" && company == nil):
		errs = append(errs, fieldError{"account", l.T("errChoose")})
	case !okLoA:
		errs = append(errs, fieldError{"loa", l.T("errLoAChoose")})
	case !u.LoA.AtLeast(loa):
		errs = append(errs, fieldError{"loa", l.T("errLoA", u.Name(), l.LoA(u.LoA))})
	case subtle.ConstantTimeCompare([]byte(u.PIN), []byte(f.Get("pin"))) != 1:
		errs = append(errs, fieldError{"pin", l.T("errPIN")})
	}
	if errs != nil {
		p.cfg.Logger.Info("idp: login form refused", logClient, req.clientID, logReason, errs[0].Field)
		p.renderLogin(w, r, http.StatusBadRequest, l, req, c.Value, f, errs)
		return
	}

	now := p.cfg.Now().UTC().Truncate(time.Second)
	if err := p.remember(w, r, u, company, loa, now); err != nil {
		p.cfg.Logger.Error("idp: session", logError, err)
		http.Error(w, "cannot make a session", http.StatusInternalServerError)
		return
	}
	p.issue(w, r, req, u, company, loa, now, false)
}

// issue sends the browser back to the relying party with a single-use
// code for the subject u (acting for company, when not nil), logged in
// at level loa at authTime; remembered says that the login was not asked
// again (single sign-on).
func (p *Provider) issue(w http.ResponseWriter, r *http.Request, req *loginRequest, u *User, company *Company, loa eid.LoA, authTime time.Time, remembered bool) {
	now := p.cfg.Now()
	person := u.Identified(req.reg.Country)
	s := eid.Subject{Person: &person, LoA: loa, Issuer: p.cfg.Issuer, Country: p.cfg.Country, AuthTime: authTime}
	if company != nil {
		lp := company.Identified(p.cfg.Country, req.reg.Country)
		s.Company = &lp
	}
	code, err := p.random()
	if err != nil {
		p.cfg.Logger.Error("idp: code", logError, err)
		http.Error(w, "cannot make a code", http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	for k, g := range p.codes {
		if now.After(g.expires) {
			delete(p.codes, k)
		}
	}
	p.codes[code] = &grant{client: req.clientID, redirectURI: req.redirectURI, subject: s, expires: now.Add(codeLife)}
	p.mu.Unlock()
	p.cfg.Logger.Info("idp: login", logClient, req.clientID, logSubject, person.Identifier, logCountry, req.reg.Country, logRemembered, remembered)
	http.Redirect(w, r, withParams(req.redirectURI, url.Values{"code": {code}, "state": {req.state}}), http.StatusSeeOther)
}

// withParams appends parameters to a URL, keeping its own query as it is.
func withParams(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
		if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
			sep = ""
		}
	}
	return u + sep + v.Encode()
}

// tokenError is the JSON error of the token endpoint (the shape of RFC 6749
// §5.2).
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// TokenResponse is the answer of the token endpoint.
type TokenResponse struct {
	// Assertion is the signed subject: a JWS compact serialisation
	// (ES256) of the claims iss, sub, aud, iat, exp and eid (the
	// eid.Subject).
	Assertion string `json:"assertion"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// token exchanges a code for an assertion (POST /token, back channel).
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_request", "unreadable form: " + err.Error()})
		return
	}
	f := r.PostForm
	client, code, ru := f.Get("client_id"), f.Get("code"), f.Get("redirect_uri")
	if client == "" || code == "" || ru == "" {
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_request", "client_id, code and redirect_uri are required"})
		return
	}
	if _, ok := p.cfg.Clients[client]; !ok {
		writeJSON(w, http.StatusUnauthorized, tokenError{"invalid_client", fmt.Sprintf("client %q is not registered", client)})
		return
	}
	now := p.cfg.Now()
	p.mu.Lock()
	g := p.codes[code]
	var refusal string
	switch {
	case g == nil:
		refusal = "unknown code"
	case g.used:
		refusal = "code already used"
	case now.After(g.expires):
		refusal = "code expired"
	case g.client != client:
		refusal = "code was issued to another client"
	case g.redirectURI != ru:
		refusal = "redirect_uri differs from the one of the login"
	}
	if g != nil {
		g.used = true // a code presented once is spent, whatever the outcome
	}
	p.mu.Unlock()
	if refusal != "" {
		p.cfg.Logger.Warn("idp: token refused", logClient, client, logReason, refusal)
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_grant", refusal})
		return
	}
	c := &claims{Issuer: p.cfg.Issuer, Subject: g.subject.Person.Identifier, Audience: client,
		IssuedAt: now.Unix(), Expiry: now.Add(assertionLife).Unix(), EID: &g.subject}
	a, err := signAssertion(c, p.cfg.Key, p.kid, p.cfg.Rand)
	if err != nil {
		p.cfg.Logger.Error("idp: sign assertion", logError, err)
		writeJSON(w, http.StatusInternalServerError, tokenError{"server_error", "cannot sign the assertion"})
		return
	}
	writeJSON(w, http.StatusOK, TokenResponse{Assertion: a})
}

// jwks serves the provider's public key as a JWK set.
func (p *Provider) jwks(w http.ResponseWriter) {
	k, err := publicJWK(p.PublicKey(), p.kid)
	if err != nil {
		p.cfg.Logger.Error("idp: jwks", logError, err)
		writeJSON(w, http.StatusInternalServerError, tokenError{"server_error", "cannot encode the key"})
		return
	}
	writeJSON(w, http.StatusOK, jwkSet{Keys: []jwk{k}})
}

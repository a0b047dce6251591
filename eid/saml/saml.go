package saml

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/oots-go/oots/eid"
)

// ErrLogin is the error of every failed login at Finish; the wrapped errors
// say why (eid.ErrNoIdentifier, eid.ErrLoA, ErrCancelled, a *Status, or a
// failed check of the response).
var ErrLogin = errors.New("eIDAS login failed")

// ParamCountry is the query parameter of the application's login route that
// names the country of the user's eID, as for the demo identity provider.
const ParamCountry = "eid"

// CookieName is the cookie that binds a begun login to the browser.
const CookieName = "oots_saml"

// Authenticator is an eIDAS SAML 2.0 service provider; it implements
// eid.Authenticator. Its Handler must serve ACSPath and MetadataPath.
type Authenticator struct {
	cfg    Config
	acsURL string
	client *http.Client
	checks checkSet // nil: every check on

	mu   sync.Mutex
	meta map[string]*nodeMetadata
}

var _ eid.OwningAuthenticator = (*Authenticator)(nil)

// login is the login a response answers, as its checks need it.
type login struct {
	country   string
	requestID string
	expires   time.Time
}

// New returns an Authenticator with the defaults of cfg after
// cfg.Validate. It does not call the nodes: metadata is fetched at the
// first login of each.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.EntityID == "" {
		cfg.EntityID = cfg.BaseURL + MetadataPath
	}
	if cfg.SPType == "" {
		cfg.SPType = "public"
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
	}
	if cfg.LoginTTL == 0 {
		cfg.LoginTTL = DefaultLoginTTL
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxResponse == 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	if cfg.MetadataRefresh == 0 {
		cfg.MetadataRefresh = DefaultMetadataRefresh
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
	if cfg.Pending == nil {
		cfg.Pending = newMemoryPending()
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		c = &cp
		if c.Timeout == 0 {
			c.Timeout = 10 * time.Second
		}
	}
	return &Authenticator{cfg: cfg, acsURL: cfg.BaseURL + ACSPath, client: c,
		meta: map[string]*nodeMetadata{}}, nil
}

// EntityID returns our entity ID.
func (a *Authenticator) EntityID() string { return a.cfg.EntityID }

// Begin starts a login (eIDAS SAML Message Format §2): it chooses the node
// (the request's eid parameter, or the only one; otherwise a page of the
// countries), binds the login to the browser with a cookie, and sends the
// browser to the node with a signed AuthnRequest by the node's binding.
func (a *Authenticator) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	cb, err := eid.CallbackURL(r, a.cfg.BaseURL, callback)
	if err != nil {
		a.cfg.Logger.Error("saml: begin login", logError, err)
		http.Error(w, "the login is misconfigured: "+err.Error(), http.StatusInternalServerError)
		return
	}
	cc, n, ok := eid.Country(r, ParamCountry, a.cfg.Nodes)
	if !ok {
		a.choosePage(w, r)
		return
	}
	md, err := a.nodeMeta(r.Context(), cc)
	if err != nil {
		a.cfg.Logger.Error("saml: node metadata", "country", cc, logError, err)
		http.Error(w, "the eIDAS node of "+cc+" cannot be reached; try again later", http.StatusBadGateway)
		return
	}
	browser, err := a.binding(r).Bind(w, r)
	if err != nil {
		a.cfg.Logger.Error("saml: begin login", logError, err)
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	relay, err := a.random()
	if err != nil {
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	reqID, err := a.random()
	if err != nil {
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	reqID = "_" + reqID // xs:ID must not begin with a digit
	now := a.cfg.Now()
	l := PendingLogin{Country: cc, AppState: state, Callback: cb, RequestID: reqID, Browser: browser, Expires: now.Add(a.cfg.LoginTTL)}
	if err := a.cfg.Pending.Hold(r.Context(), relay, l, a.cfg.MaxPending, now); errors.Is(err, ErrTooManyLogins) {
		a.cfg.Logger.Warn("saml: too many logins pending", "max", a.cfg.MaxPending)
		http.Error(w, "too many logins are under way; try again in a few minutes", http.StatusServiceUnavailable)
		return
	} else if err != nil {
		a.cfg.Logger.Error("saml: begin login", logError, err)
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	n.SSOURL, n.Binding = md.ssoURL, md.binding
	req := a.authnRequest(reqID, &n, n.SSOURL, a.cfg.Now())
	if err := a.sign(req, reqID, req.Child(NSAssertion, "Issuer")); err != nil {
		a.cfg.Logger.Error("saml: sign request", logError, err)
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	if err := a.send(w, r, req, &n, n.SSOURL, relay); err != nil {
		a.cfg.Logger.Error("saml: send request", logError, err)
	}
}

// Handler serves our assertion consumer service (ACSPath) and our
// metadata (MetadataPath) and hands every other request to next: the
// application wraps its own handler with it.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ACSPath, a.acs)
	mux.HandleFunc("GET "+MetadataPath, a.metadataHandler)
	mux.Handle("/", next)
	return mux
}

// acs is the assertion consumer service (SAML 2.0 Profiles §4.1.4, HTTP-POST
// binding): it verifies the response of the login named by RelayState,
// keeps the outcome in the login, and sends the browser to the
// application's callback with a GET, where Finish reads it. (The POST comes
// from the node's site; the application's SameSite cookies are sent only on
// the GET that follows.)
func (a *Authenticator) acs(w http.ResponseWriter, r *http.Request) {
	// Base64 (4/3) and the form encoding of its +, / and = (3 octets
	// each) stay well under twice the decoded bound.
	r.Body = http.MaxBytesReader(w, r.Body, 2*a.cfg.MaxResponse+4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the answer of the eIDAS node is too large or malformed", http.StatusBadRequest)
		return
	}
	relay := r.PostForm.Get("RelayState")
	l, err := a.cfg.Pending.Answer(r.Context(), relay)
	if err != nil && !errors.Is(err, ErrNoLogin) {
		a.cfg.Logger.Error("saml: pending logins", logError, err)
		http.Error(w, "the answer of the eIDAS node cannot be processed now; start the login again", http.StatusInternalServerError)
		return
	}
	if err != nil {
		a.cfg.Logger.Warn("saml: login refused", logError, "unknown, finished or missing RelayState")
		http.Error(w, "This answer of the eIDAS node belongs to no login under way (it was used already, took too long, or was not asked for). Start the login again.", http.StatusBadRequest)
		return
	}
	now := a.cfg.Now()
	var s *eid.Subject
	err = errors.New("the login took too long")
	if now.Before(l.Expires) {
		err = nil
		certs, cerr := a.nodeCerts(r.Context(), l.Country)
		if cerr != nil {
			err = cerr
		} else {
			n := a.cfg.Nodes[l.Country]
			v := &verification{login: &login{country: l.Country, requestID: l.RequestID, expires: l.Expires}, node: &n, certs: certs, now: now}
			s, err = a.verify(r.Context(), r.PostForm.Get("SAMLResponse"), v)
		}
	}
	if err := a.cfg.Pending.Settle(r.Context(), relay, Outcome{Subject: s, Err: err}); err != nil {
		a.cfg.Logger.Error("saml: pending logins", logError, err)
		http.Error(w, "the answer of the eIDAS node cannot be processed now; start the login again", http.StatusInternalServerError)
		return
	}
	u, _ := url.Parse(l.Callback)
	q := u.Query()
	q.Set("state", relay)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// Finish ends a login on the application's callback: the login named by
// the state parameter must have been answered at the assertion consumer
// service, in this browser. It returns the subject the verified assertion
// gave, or the reason the answer was refused, wrapping ErrLogin.
func (a *Authenticator) Finish(r *http.Request) (*eid.Subject, string, error) {
	relay := r.URL.Query().Get("state")
	l, o, err := a.cfg.Pending.Take(r.Context(), relay)
	if errors.Is(err, ErrNoLogin) {
		return nil, "", a.fail(errors.New("the state is unknown, used already, or the eIDAS node has not answered"))
	}
	if err != nil {
		return nil, "", a.fail(err)
	}
	if !a.binding(r).Same(r, l.Browser) {
		return nil, l.AppState, a.fail(errors.New("the login was begun in another browser"))
	}
	if o.Err != nil {
		return nil, l.AppState, a.fail(fmt.Errorf("the node of %s: %w", l.Country, o.Err))
	}
	return o.Subject, l.AppState, nil
}

// Owns reports whether r is the callback of a login this authenticator
// began and has not finished (eid.Owner), without consuming it.
func (a *Authenticator) Owns(r *http.Request) bool {
	s := r.URL.Query().Get("state")
	if s == "" {
		return false
	}
	ok, err := a.cfg.Pending.Has(r.Context(), s)
	if err != nil {
		a.cfg.Logger.Error("saml: pending logins", logError, err)
	}
	return ok
}

// Pending returns the number of logins begun and not finished (with
// SQLPending, on every instance); 0 when the store cannot count them.
func (a *Authenticator) Pending() int {
	n, err := a.cfg.Pending.Count(context.Background())
	if err != nil {
		a.cfg.Logger.Error("saml: pending logins", logError, err)
	}
	return n
}

// binding is the cookie that ties a login to the browser that began it.
func (a *Authenticator) binding(r *http.Request) eid.BrowserBinding {
	return eid.BrowserBinding{Cookie: CookieName, TTL: a.cfg.LoginTTL, Secure: strings.HasPrefix(a.cfg.BaseURL, "https:"), Rand: a.cfg.Rand}
}

func (a *Authenticator) random() (string, error) { return eid.RandomToken(a.cfg.Rand) }

func (a *Authenticator) choosePage(w http.ResponseWriter, r *http.Request) {
	var codes []string
	for cc := range a.cfg.Nodes {
		codes = append(codes, cc)
	}
	if err := eid.ChooseCountry(w, r, ParamCountry, codes); err != nil {
		a.cfg.Logger.Error("saml: write page", logError, err)
	}
}

func (a *Authenticator) fail(err error) error {
	err = fmt.Errorf("%w: %w", ErrLogin, err)
	a.cfg.Logger.Warn("saml: login refused", logError, err)
	return err
}

const logError = "error"

package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/oots-go/oots/eid"
)

// ErrLogin is the error of every failed login at Finish; the wrapped errors
// say why (ErrNoIdentifier, ErrLoA, ErrAttributes, or a verification
// failure of the ID token).
var ErrLogin = errors.New("eID login failed")

// ParamCountry is the query parameter of the application's login route that
// names the country of the user's eID, as for the demo identity provider.
const ParamCountry = "eid"

// CookieName is the cookie that binds a begun login to the browser, unless
// Config.Cookie names another: Finish accepts a callback only from the
// browser that began the login.
const CookieName = "oots_oidc"

// signingAlgs are the ID token signature algorithms accepted (RFC 7518
// §3.1, asymmetric only): "none" and the HMAC family are refused.
var signingAlgs = []string{
	gooidc.RS256, gooidc.RS384, gooidc.RS512,
	gooidc.ES256, gooidc.ES384, gooidc.ES512,
	gooidc.PS256, gooidc.PS384, gooidc.PS512, gooidc.EdDSA,
}

// Authenticator is an OpenID Connect relying party; it implements
// eid.Authenticator.
type Authenticator struct {
	cfg    Config
	client *http.Client

	mu  sync.Mutex
	rps map[string]*relyingParty
}

var _ eid.OwningAuthenticator = (*Authenticator)(nil)

// relyingParty is what discovery gave of one provider.
type relyingParty struct {
	op       *gooidc.Provider
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
	// issParam: the provider's discovery document says it puts iss in
	// every authorization response (RFC 9207 §3).
	issParam bool
}

// New returns the authenticator of cfg after cfg.Validate. It does not call
// the providers: discovery happens at the first login of each.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newAuthenticator(cfg), nil
}

// newAuthenticator applies the defaults of a valid cfg.
func newAuthenticator(cfg Config) *Authenticator {
	if cfg.MaxResponse == 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.LoginTTL == 0 {
		cfg.LoginTTL = DefaultLoginTTL
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
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
	if cfg.Cookie == "" {
		cfg.Cookie = CookieName
	}
	if cfg.Pending == nil {
		cfg.Pending = newMemoryPending()
	}
	c := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		c = &cp
		if c.Timeout == 0 {
			c.Timeout = defaultTimeout
		}
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = limitTransport{rt: rt, max: cfg.MaxResponse}
	return &Authenticator{cfg: cfg, client: c, rps: map[string]*relyingParty{}}
}

// Begin starts a login (OpenID Connect Core §3.1.2.1): it chooses the
// provider (the request's eid parameter, or the only one; otherwise a page
// of the countries), discovers it, binds the login to the browser with a
// cookie and redirects to the authorization endpoint with a fresh state,
// nonce and PKCE S256 challenge (RFC 7636 §4.2) and the acr_values at or
// above the minimum level.
func (a *Authenticator) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	cc, p, ok := eid.Country(r, ParamCountry, a.cfg.Providers)
	if !ok {
		a.choosePage(w, r)
		return
	}
	a.begin(w, r, cc, p, state, callback)
}

// begin is Begin once the provider is chosen: key is its key in
// Config.Providers.
func (a *Authenticator) begin(w http.ResponseWriter, r *http.Request, key string, p Provider, state, callback string) {
	cb, err := eid.CallbackURL(r, a.cfg.BaseURL, callback)
	if err != nil {
		a.cfg.Logger.Error("oidc: begin login", logError, err)
		http.Error(w, "the login is misconfigured: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rp, err := a.discover(r.Context(), key)
	if err != nil {
		a.cfg.Logger.Error("oidc: discovery", "provider", key, logError, err)
		http.Error(w, "the identity provider of "+key+" cannot be reached; try again later", http.StatusBadGateway)
		return
	}
	browser, err := a.binding(r).Bind(w, r)
	if err != nil {
		a.cfg.Logger.Error("oidc: begin login", logError, err)
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	now := a.cfg.Now()
	l := &PendingLogin{Provider: key, AppState: state, RedirectURI: cb, Browser: browser, Expires: now.Add(a.cfg.LoginTTL)}
	var ours string
	for _, dst := range []*string{&ours, &l.Nonce, &l.CodeVerifier} {
		if *dst, err = a.random(); err != nil {
			a.cfg.Logger.Error("oidc: begin login", logError, err)
			http.Error(w, "cannot begin the login", http.StatusInternalServerError)
			return
		}
	}
	if err := a.cfg.Pending.Hold(r.Context(), ours, *l, a.cfg.MaxPending, now); errors.Is(err, ErrTooManyLogins) {
		a.cfg.Logger.Warn("oidc: too many logins pending", "max", a.cfg.MaxPending)
		http.Error(w, "too many logins are under way; try again in a few minutes", http.StatusServiceUnavailable)
		return
	} else if err != nil {
		a.cfg.Logger.Error("oidc: begin login", logError, err)
		http.Error(w, "cannot begin the login", http.StatusInternalServerError)
		return
	}
	oc := rp.oauth
	oc.RedirectURL = cb
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(l.CodeVerifier), gooidc.Nonce(l.Nonce)}
	if a.cfg.Reauthenticate {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
	}
	if v := p.acrValues(); len(v) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", strings.Join(v, " ")))
	}
	http.Redirect(w, r, oc.AuthCodeURL(ours, opts...), http.StatusSeeOther)
}

// Finish ends a login (OpenID Connect Core §3.1.2.5–§3.1.3.7): the state
// must be one Begin gave, not yet used, not expired, begun in this
// browser; the answer's iss, when sent or announced by the provider, must
// name the provider (RFC 9207); the code is exchanged with the PKCE
// verifier; the ID token's signature (the provider's JWKS, fetched again
// once for an unknown key), iss, aud, exp and iat (with Config.Skew) and
// nonce are checked; its acr is mapped to a level of assurance not below
// the minimum, and its claims to the minimum data set. Errors wrap
// ErrLogin; the application's state is returned with them when the login
// was found.
func (a *Authenticator) Finish(r *http.Request) (*eid.Subject, string, error) {
	l, v, err := a.callback(r)
	if err != nil {
		if l == nil {
			return nil, "", err
		}
		return nil, l.AppState, err
	}
	p := a.cfg.Providers[l.Provider]
	np, loa, err := person(v.claims, &p, l.Provider, a.cfg.Country)
	if err != nil {
		return nil, l.AppState, a.fail(err)
	}
	return &eid.Subject{Person: np, LoA: loa, Issuer: p.Issuer, Country: l.Provider, AuthTime: v.authTime}, l.AppState, nil
}

// callback runs the checks of Finish up to the verified ID token; its
// errors wrap ErrLogin, and the login is returned with them once it was
// found.
func (a *Authenticator) callback(r *http.Request) (*PendingLogin, *verified, error) {
	q := r.URL.Query()
	taken, err := a.cfg.Pending.Take(r.Context(), q.Get("state"))
	if errors.Is(err, ErrNoLogin) {
		return nil, nil, a.fail(errors.New("the state is unknown, used already, or expired"))
	}
	if err != nil {
		return nil, nil, a.fail(err)
	}
	l := &taken
	if !a.cfg.Now().Before(l.Expires) {
		return l, nil, a.fail(errors.New("the login took too long"))
	}
	if !a.binding(r).Same(r, l.Browser) {
		return l, nil, a.fail(errors.New("the login was begun in another browser"))
	}
	rp, err := a.discover(r.Context(), l.Provider)
	if err != nil {
		return l, nil, a.fail(err)
	}
	// RFC 9207 §2.4: an iss in the answer must be the issuer the login
	// was sent to (a defence against mix-up between providers), and a
	// provider that announces iss in its discovery document must send it.
	switch {
	case q.Has("iss") && q.Get("iss") != a.cfg.Providers[l.Provider].Issuer:
		return l, nil, a.fail(fmt.Errorf("the answer comes from %q, not from the identity provider of %s", q.Get("iss"), l.Provider))
	case !q.Has("iss") && rp.issParam:
		return l, nil, a.fail(fmt.Errorf("the answer has no iss parameter, which the identity provider of %s announces that it sends (RFC 9207)", l.Provider))
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return l, nil, a.fail(fmt.Errorf("the user cancelled the login at the identity provider of %s", l.Provider))
		}
		return l, nil, a.fail(fmt.Errorf("the identity provider of %s answered %q: %.200s", l.Provider, e, q.Get("error_description")))
	}
	code := q.Get("code")
	if code == "" {
		return l, nil, a.fail(errors.New("the callback has no code"))
	}
	v, err := a.redeem(r.Context(), rp, l, code)
	if err != nil {
		return l, nil, a.fail(err)
	}
	return l, v, nil
}

// verified is what an ID token that passed every check gives.
type verified struct {
	subject  string
	claims   rawClaims // the payload, with the userinfo's claims when asked
	authTime time.Time
}

// redeem exchanges the code and verifies the ID token.
func (a *Authenticator) redeem(ctx context.Context, rp *relyingParty, l *PendingLogin, code string) (*verified, error) {
	p := a.cfg.Providers[l.Provider]
	ctx = gooidc.ClientContext(ctx, a.client)
	oc := rp.oauth
	oc.RedirectURL = l.RedirectURI
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(l.CodeVerifier))
	if err != nil {
		return nil, fmt.Errorf("token endpoint: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token endpoint gave no id_token")
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	// Core §3.1.3.7 (4, 5): with several audiences, azp names us.
	var azp struct {
		AZP string `json:"azp"`
	}
	if err := idt.Claims(&azp); err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	if (len(idt.Audience) > 1 || azp.AZP != "") && azp.AZP != p.ClientID {
		return nil, fmt.Errorf("ID token: authorized party %q is not us", azp.AZP)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return nil, errors.New("ID token: the nonce is not the one of this login")
	}
	now := a.cfg.Now()
	if idt.IssuedAt.After(now.Add(a.cfg.Skew)) {
		return nil, fmt.Errorf("ID token: issued in the future (%v)", idt.IssuedAt)
	}
	var payload rawClaims
	if err := idt.Claims(&payload); err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	if p.UserInfo {
		if payload, err = userInfo(ctx, rp.op, tok, idt.Subject, payload); err != nil {
			return nil, err
		}
	}
	var at struct {
		AuthTime int64 `json:"auth_time"`
	}
	_ = idt.Claims(&at)
	authTime := now
	if at.AuthTime > 0 {
		authTime = time.Unix(at.AuthTime, 0)
	}
	return &verified{subject: idt.Subject, claims: payload, authTime: authTime}, nil
}

// userInfo adds to the ID token's claims (idClaims) those of the userinfo
// endpoint (OpenID Connect Core §5.3) that the ID token lacks; the
// userinfo's sub must be the ID token's (§5.3.2). A signed userinfo is
// verified with the provider's JWKS; an encrypted one is not supported.
func userInfo(ctx context.Context, op *gooidc.Provider, tok *oauth2.Token, sub string, idClaims []byte) ([]byte, error) {
	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	if ui.Subject != sub {
		return nil, fmt.Errorf("userinfo: sub %q is not the ID token's %q", ui.Subject, sub)
	}
	var merged, fromID map[string]json.RawMessage
	if err := ui.Claims(&merged); err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	if err := json.Unmarshal(idClaims, &fromID); err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	for k, v := range fromID {
		merged[k] = v
	}
	return json.Marshal(merged)
}

// rawClaims keeps the token's payload as it is.
type rawClaims []byte

func (c *rawClaims) UnmarshalJSON(b []byte) error { *c = append((*c)[:0], b...); return nil }

// discover returns the provider of country cc, fetching its discovery
// document the first time (OpenID Connect Discovery §4; go-oidc checks that
// it names the configured issuer).
func (a *Authenticator) discover(ctx context.Context, cc string) (*relyingParty, error) {
	a.mu.Lock()
	rp := a.rps[cc]
	a.mu.Unlock()
	if rp != nil {
		return rp, nil
	}
	p := a.cfg.Providers[cc]
	// The key set keeps only the HTTP client of this context, not its
	// deadline: it outlives the request.
	op, err := gooidc.NewProvider(gooidc.ClientContext(ctx, a.client), p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", p.Issuer, err)
	}
	scopes := []string{gooidc.ScopeOpenID}
	if len(p.Scopes) == 0 {
		scopes = append(scopes, "profile")
	}
	for _, s := range p.Scopes {
		if s != gooidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	// RFC 9207 §3: a provider that sends iss in its authorization
	// responses says so; anything but true is read as not saying it.
	var announced struct {
		ISS any `json:"authorization_response_iss_parameter_supported"`
	}
	if err := op.Claims(&announced); err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", p.Issuer, err)
	}
	skew := a.cfg.Skew
	rp = &relyingParty{
		issParam: announced.ISS == true,
		op:       op,
		oauth:    oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: op.Endpoint(), Scopes: scopes},
		verifier: op.Verifier(&gooidc.Config{
			ClientID:             p.ClientID,
			SupportedSigningAlgs: signingAlgs,
			// exp is checked against a clock set back by the
			// tolerated skew.
			Now: func() time.Time { return a.cfg.Now().Add(-skew) },
		}),
	}
	a.mu.Lock()
	a.rps[cc] = rp
	a.mu.Unlock()
	return rp, nil
}

// Pending returns the number of logins begun and not finished (expired ones
// included until they are swept; with SQLPending, on every instance); 0
// when the store cannot count them.
func (a *Authenticator) Pending() int {
	n, err := a.cfg.Pending.Count(context.Background())
	if err != nil {
		a.cfg.Logger.Error("oidc: pending logins", logError, err)
	}
	return n
}

// binding is the cookie that ties a login to the browser that began it.
func (a *Authenticator) binding(r *http.Request) eid.BrowserBinding {
	return eid.BrowserBinding{Cookie: a.cfg.Cookie, TTL: a.cfg.LoginTTL, Secure: eid.Origin(r, a.cfg.BaseURL).Scheme == "https", Rand: a.cfg.Rand}
}

func (a *Authenticator) random() (string, error) { return eid.RandomToken(a.cfg.Rand) }

func (a *Authenticator) choosePage(w http.ResponseWriter, r *http.Request) {
	var codes []string
	for cc := range a.cfg.Providers {
		codes = append(codes, cc)
	}
	if err := eid.ChooseCountry(w, r, ParamCountry, codes); err != nil {
		a.cfg.Logger.Error("oidc: write page", logError, err)
	}
}

func (a *Authenticator) fail(err error) error {
	err = fmt.Errorf("%w: %w", ErrLogin, err)
	a.cfg.Logger.Warn("oidc: login refused", logError, err)
	return err
}

const logError = "error"

// limitTransport cuts every answer at max octets: reading beyond is an
// error, so that a provider cannot make us hold an unbounded document.
type limitTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: answer of %d octets, more than %d", r.URL.Redacted(), resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// errTooLarge is the read error of an answer beyond the bound.
var errTooLarge = errors.New("oidc: the provider's answer is too large")

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Owns reports whether r is the callback of a login this authenticator
// began and has not finished (eid.Owner), without consuming it.
func (a *Authenticator) Owns(r *http.Request) bool {
	s := r.URL.Query().Get("state")
	if s == "" {
		return false
	}
	ok, err := a.cfg.Pending.Has(r.Context(), s)
	if err != nil {
		a.cfg.Logger.Error("oidc: pending logins", logError, err)
	}
	return ok
}

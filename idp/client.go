package idp

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
)

// ErrLogin is the error of every failed login at Client.Finish; the wrapped
// text says why.
var ErrLogin = errors.New("eID login failed")

// ParamCountry is the query parameter of the application's login route that
// names the country of the user's eID (Client.Begin).
const ParamCountry = "eid"

// maxTokenResponse bounds the token endpoint's answer.
const maxTokenResponse = 64 << 10

// Trusted is an identity provider a Client accepts.
type Trusted struct {
	// Issuer is the provider's base URL (its Config.Issuer).
	Issuer string
	// Key verifies its assertions; when nil, the client fetches the key
	// from Issuer + PathJWKS at the first login and keeps it.
	Key *ecdsa.PublicKey
}

// ClientConfig configures a Client.
type ClientConfig struct {
	// ClientID is the relying party's id registered at every provider.
	ClientID string
	// Providers are the accepted identity providers by country (ISO 3166-1
	// alpha-2, upper case).
	Providers map[string]Trusted
	// Name is the application's name, shown on the country choice page;
	// optional.
	Name string
	// BaseURL is the application's external base URL (scheme and host, as
	// browsers reach it), used to make a relative callback absolute and to
	// find the redirect_uri again in Finish; default the scheme and Host
	// of the request.
	BaseURL string
	// HTTPClient calls the token and JWKS endpoints; default a client with
	// a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock that assertions are checked against; default
	// time.Now.
	Now func() time.Time
	// Logger records refused logins; default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first field of c that is missing or wrong.
func (c *ClientConfig) Validate() error {
	if c.ClientID == "" {
		return errors.New("idp: ClientConfig.ClientID is empty")
	}
	if len(c.Providers) == 0 {
		return errors.New("idp: ClientConfig.Providers is empty")
	}
	for cc, t := range c.Providers {
		if len(cc) != 2 || strings.ToUpper(cc) != cc {
			return fmt.Errorf("idp: ClientConfig.Providers: %q is not an upper-case ISO 3166-1 alpha-2 code", cc)
		}
		if err := checkBaseURL(t.Issuer); err != nil {
			return fmt.Errorf("idp: ClientConfig.Providers[%s].Issuer: %w", cc, err)
		}
	}
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			return fmt.Errorf("idp: ClientConfig.BaseURL: %w", err)
		}
		if u, _ := url.Parse(c.BaseURL); u.Path != "" {
			return fmt.Errorf("idp: ClientConfig.BaseURL %q has a path; give only scheme and host", c.BaseURL)
		}
	}
	return nil
}

// Client logs users in at the demo identity providers for a relying party
// (a portal, a preview space). It implements eid.Authenticator.
type Client struct {
	cfg ClientConfig

	mu   sync.Mutex
	keys map[string]*ecdsa.PublicKey // fetched keys by country
}

var _ eid.Authenticator = (*Client)(nil)

// NewClient returns the client of cfg, after cfg.Validate.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Client{cfg: cfg, keys: map[string]*ecdsa.PublicKey{}}, nil
}

// Begin starts a login: a redirect to the identity provider of the
// country named by the request's eid parameter, or of the only configured
// provider; otherwise a page "Choose the country that issued your eID"
// whose links are the request's URL with eid=CC, so that the application's
// login route calls Begin again. The state sent to the provider is
// CC + "." + state, which tells Finish which provider answers.
func (c *Client) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	cb, err := eid.CallbackURL(r, c.cfg.BaseURL, callback)
	if err != nil {
		c.cfg.Logger.Error("idp: begin login", logError, err)
		http.Error(w, "the login is misconfigured: "+err.Error(), http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	cc := strings.ToUpper(q.Get(ParamCountry))
	if cc == "" && len(c.cfg.Providers) == 1 {
		for k := range c.cfg.Providers {
			cc = k
		}
	}
	if cc == "" {
		c.choosePage(w, r, http.StatusOK, "")
		return
	}
	t, ok := c.cfg.Providers[cc]
	if !ok {
		c.choosePage(w, r, http.StatusBadRequest, q.Get(ParamCountry))
		return
	}
	v := url.Values{"client_id": {c.cfg.ClientID}, "redirect_uri": {cb}, "state": {cc + "." + state}}
	if l := q.Get("lang"); l != "" {
		v.Set("lang", l)
	}
	http.Redirect(w, r, t.Issuer+PathAuthorize+"?"+v.Encode(), http.StatusSeeOther)
}

// allLanguages are the languages of the pages (package ui).
var allLanguages = func() []string {
	var ls []string
	for _, l := range ui.Languages() {
		ls = append(ls, l.Code)
	}
	return ls
}()

type countryLink struct{ Code, Name, URL string }

type choosePage struct {
	page
	Message   string
	Countries []countryLink
}

// choosePage writes the country choice; unknown is the country asked for
// that has no provider.
func (c *Client) choosePage(w http.ResponseWriter, r *http.Request, status int, unknown string) {
	l := locale(pickLanguage(r, r.URL.Query().Get("lang"), allLanguages))
	self := browserURL(r)
	q := self.Query()
	q.Del(ParamCountry)
	self.RawQuery = q.Encode()
	pg := choosePage{page: page{L: l, Title: l.T("chooseTitle"), Site: c.cfg.Name, Languages: languageLinks(self, string(l)), Footer: ui.Footer(string(l))}}
	if unknown != "" {
		pg.Message = l.T("errCountry", unknown)
	}
	for cc := range c.cfg.Providers {
		u := self
		q := u.Query()
		q.Set(ParamCountry, cc)
		u.RawQuery = q.Encode()
		pg.Countries = append(pg.Countries, countryLink{Code: cc, Name: l.Country(cc), URL: u.RequestURI()})
	}
	sort.Slice(pg.Countries, func(i, j int) bool { return pg.Countries[i].Name < pg.Countries[j].Name })
	if err := writePage(w, status, "choose", pg); err != nil {
		c.cfg.Logger.Error("idp: write page", logError, err)
	}
}

// Finish reads the identity provider's answer on the callback request,
// exchanges the code at the provider's token endpoint, verifies the
// assertion (ES256 signature with the provider's key, iss, aud, iat, exp,
// the subject's country) and returns the subject and the state given to
// Begin. Errors wrap ErrLogin; the state is returned with them when it
// could be read, so that the application can clear what it bound to it.
func (c *Client) Finish(r *http.Request) (*eid.Subject, string, error) {
	q := r.URL.Query()
	cc, state, ok := strings.Cut(q.Get("state"), ".")
	if !ok {
		return nil, "", c.fail(fmt.Errorf("state %q does not name the identity provider", q.Get("state")))
	}
	t, ok := c.cfg.Providers[cc]
	if !ok {
		return nil, state, c.fail(fmt.Errorf("state names %q, which is not an accepted identity provider", cc))
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, state, c.fail(fmt.Errorf("the user cancelled the login at the identity provider of %s", cc))
		}
		return nil, state, c.fail(fmt.Errorf("the identity provider of %s answered %q", cc, e))
	}
	code := q.Get("code")
	if code == "" {
		return nil, state, c.fail(errors.New("the callback has no code"))
	}
	q.Del("code")
	q.Del("state")
	cb := *eid.Origin(r, c.cfg.BaseURL)
	b := browserURL(r)
	cb.Path, cb.RawPath, cb.RawQuery = b.Path, b.RawPath, q.Encode()

	assertion, err := c.exchange(r, t, code, cb.String())
	if err != nil {
		return nil, state, c.fail(err)
	}
	key, err := c.key(r, cc, t)
	if err != nil {
		return nil, state, c.fail(err)
	}
	s, err := verifyAssertion(assertion, verifyOptions{Key: key, Issuer: t.Issuer, Audience: c.cfg.ClientID, Country: cc, Now: c.cfg.Now()})
	if err != nil {
		return nil, state, c.fail(err)
	}
	return s, state, nil
}

// browserURL returns the path and query of r as the browser sent them:
// from the request line, which http.StripPrefix leaves alone.
func browserURL(r *http.Request) url.URL {
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			return url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
		}
	}
	return url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
}

func (c *Client) fail(err error) error {
	err = fmt.Errorf("%w: %w", ErrLogin, err)
	c.cfg.Logger.Warn("idp: login refused", logError, err)
	return err
}

// exchange calls the token endpoint.
func (c *Client) exchange(r *http.Request, t Trusted, code, redirectURI string) (string, error) {
	form := url.Values{"client_id": {c.cfg.ClientID}, "code": {code}, "redirect_uri": {redirectURI}}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, t.Issuer+PathToken, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", fmt.Errorf("token endpoint: read answer: %w", err)
	}
	if len(body) > maxTokenResponse {
		return "", fmt.Errorf("token endpoint: answer longer than %d octets", maxTokenResponse)
	}
	if resp.StatusCode != http.StatusOK {
		var e tokenError
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return "", fmt.Errorf("token endpoint refused the code: %s: %s", e.Error, e.Description)
		}
		return "", fmt.Errorf("token endpoint answered HTTP %d", resp.StatusCode)
	}
	var tr TokenResponse
	if err := strictJSON(body, &tr); err != nil || tr.Assertion == "" {
		return "", fmt.Errorf("token endpoint: answer is not {\"assertion\": …}")
	}
	return tr.Assertion, nil
}

// key returns the verification key of the provider of country cc.
func (c *Client) key(r *http.Request, cc string, t Trusted) (*ecdsa.PublicKey, error) {
	if t.Key != nil {
		return t.Key, nil
	}
	c.mu.Lock()
	k := c.keys[cc]
	c.mu.Unlock()
	if k != nil {
		return k, nil
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, t.Issuer+PathJWKS, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS request: %w", err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("JWKS of %s: %w", cc, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS of %s: HTTP %d", cc, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, fmt.Errorf("JWKS of %s: %w", cc, err)
	}
	k, err = parseJWKS(body, "")
	if err != nil {
		return nil, fmt.Errorf("JWKS of %s: %w", cc, err)
	}
	c.mu.Lock()
	c.keys[cc] = k
	c.mu.Unlock()
	return k, nil
}

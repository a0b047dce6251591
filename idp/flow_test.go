package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var quiet = slog.New(slog.DiscardHandler)

// testNet is identity providers and a relying party application over real
// HTTP on loopback, and a browser with a cookie jar.
type testNet struct {
	t         testing.TB
	idpClock  *clock // the providers' clock
	appClock  *clock // the client's clock
	idps      map[string]*httptest.Server
	issuers   map[string]string
	providers map[string]*Provider
	app       *httptest.Server
	client    *Client
	browser   *http.Client
	state     string // the application's state given to Begin
	prefix    string // netOptions.appPrefix
}

type netOptions struct {
	countries []string // identity providers; default DE
	fetchKeys bool     // the client fetches the keys (JWKS)
	clientKey *ecdsa.PublicKey
	mounted   bool          // the providers share one server, each under /idp/<cc>
	appPrefix string        // the application is under this path, behind http.StripPrefix
	session   time.Duration // Config.Session of the providers
}

const testClientID = "portal-fr"

func newNet(t testing.TB, o netOptions) *testNet {
	t.Helper()
	if o.countries == nil {
		o.countries = []string{"DE"}
	}
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	n := &testNet{t: t, idpClock: &clock{t: start}, appClock: &clock{t: start.Add(2 * time.Second)},
		idps: map[string]*httptest.Server{}, issuers: map[string]string{}, providers: map[string]*Provider{}, state: "journey.42/ü ok", prefix: o.appPrefix}

	var appHandler http.Handler
	n.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { appHandler.ServeHTTP(w, r) }))
	t.Cleanup(n.app.Close)

	trusted := map[string]Trusted{}
	shared := http.NewServeMux()
	var sharedSrv *httptest.Server
	if o.mounted {
		sharedSrv = httptest.NewServer(shared)
		t.Cleanup(sharedSrv.Close)
	}
	for i, cc := range o.countries {
		var h http.Handler
		srv, issuer := sharedSrv, ""
		if o.mounted {
			// Mounted with and without http.StripPrefix.
			prefix := "/idp/" + strings.ToLower(cc)
			issuer = sharedSrv.URL + prefix
			hf := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })
			if i%2 == 0 {
				shared.Handle(prefix+"/", http.StripPrefix(prefix, hf))
			} else {
				shared.Handle(prefix+"/", hf)
			}
		} else {
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
			t.Cleanup(srv.Close)
			issuer = srv.URL
		}
		p, err := New(Config{Country: cc, Issuer: issuer, Key: newKey(t), Users: demoUsers(t, cc),
			Clients: map[string]Registration{
				testClientID: {Name: "Portail des démarches", RedirectURIs: []string{n.app.URL + o.appPrefix + "/callback"}, Country: "FR"},
				"other":      {RedirectURIs: []string{"https://other.example/cb"}, Country: "SE"},
			},
			Now: n.idpClock.Now, Logger: quiet, Session: o.session})
		if err != nil {
			t.Fatal(err)
		}
		h = p
		n.idps[cc], n.issuers[cc], n.providers[cc] = srv, issuer, p
		tr := Trusted{Issuer: issuer, Key: p.PublicKey()}
		if o.fetchKeys {
			tr.Key = nil
		}
		if o.clientKey != nil {
			tr.Key = o.clientKey
		}
		trusted[cc] = tr
	}
	c, err := NewClient(ClientConfig{ClientID: testClientID, Providers: trusted, Name: "Demo portal",
		Now: n.appClock.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n.client = c
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { c.Begin(w, r, n.state, o.appPrefix+"/callback") })
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		s, st, err := c.Finish(r)
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": err.Error(), "state": st, "errLogin": errors.Is(err, ErrLogin)})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": s, "state": st})
	})
	appHandler = mux
	if o.appPrefix != "" {
		outer := http.NewServeMux()
		outer.Handle(o.appPrefix+"/", http.StripPrefix(o.appPrefix, mux))
		appHandler = outer
	}

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	n.browser = &http.Client{Jar: jar}
	return n
}

// get fetches a URL with the browser.
func (n *testNet) get(u string, header ...string) (*http.Response, string) {
	n.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return n.do(req)
}

func (n *testNet) do(req *http.Request) (*http.Response, string) {
	n.t.Helper()
	resp, err := n.browser.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatal(err)
	}
	return resp, string(b)
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// form returns the hidden fields of the login page.
func form(t testing.TB, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("csrf") == "" {
		t.Fatalf("login page has no CSRF field:\n%s", page)
	}
	return v
}

// submit posts the login form of page (served at pageURL) with the choices.
func (n *testNet) submit(pageURL *url.URL, page string, choices map[string]string) (*http.Response, string) {
	n.t.Helper()
	v := form(n.t, page)
	for k, c := range choices {
		v.Set(k, c)
	}
	u := *pageURL
	u.RawQuery = ""
	req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(v.Encode()))
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return n.do(req)
}

// loginPage starts a login at the application and returns the provider's
// login page.
func (n *testNet) loginPage(query string) (*http.Response, string) {
	n.t.Helper()
	resp, body := n.get(n.app.URL + n.prefix + "/login" + query)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="pin"`) {
		n.t.Fatalf("GET /login%s: HTTP %d, not the login page:\n%s", query, resp.StatusCode, body)
	}
	return resp, body
}

type callbackResult struct {
	Subject  *eid.Subject `json:"subject"`
	State    string       `json:"state"`
	Error    string       `json:"error"`
	ErrLogin bool         `json:"errLogin"`
}

func decodeCallback(t testing.TB, resp *http.Response, body string) callbackResult {
	t.Helper()
	if !strings.HasSuffix(resp.Request.URL.Path, "/callback") {
		t.Fatalf("browser ended at %s (HTTP %d), not at the callback:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	var r callbackResult
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("callback answer %q: %v", body, err)
	}
	return r
}

// login runs a whole login and returns the application's callback result.
func (n *testNet) login(query string, choices map[string]string) callbackResult {
	n.t.Helper()
	resp, page := n.loginPage(query)
	resp, body := n.submit(resp.Request.URL, page, choices)
	return decodeCallback(n.t, resp, body)
}

func TestLoginPerson(t *testing.T) {
	n := newNet(t, netOptions{})
	r := n.login("", map[string]string{"account": "3f8a2c61d9", "loa": "High", "pin": "1234"})
	if r.Error != "" {
		t.Fatalf("login failed: %s", r.Error)
	}
	if r.State != n.state {
		t.Errorf("state = %q, want %q unchanged", r.State, n.state)
	}
	want := eid.Subject{
		Person: &eid.NaturalPerson{Identifier: "DE/FR/3f8a2c61d9", FamilyName: "Müller", GivenName: "Anna",
			DateOfBirth: "1985-03-14", PlaceOfBirth: "München", CurrentAddress: "Lindenstraße 12, 10969 Berlin", Gender: "Female"},
		LoA: eid.LoAHigh, Issuer: n.issuers["DE"], Country: "DE", AuthTime: n.idpClock.Now(),
	}
	got := *r.Subject
	if *got.Person != *want.Person || got.Company != nil || got.LoA != want.LoA || got.Issuer != want.Issuer ||
		got.Country != want.Country || !got.AuthTime.Equal(want.AuthTime) {
		t.Errorf("subject =\n%+v %+v\nwant\n%+v %+v", got, got.Person, want, want.Person)
	}
}

func TestLoginForCompany(t *testing.T) {
	n := newNet(t, netOptions{})
	r := n.login("", map[string]string{"account": "5c29d8e310|DE348213907", "loa": "Substantial", "pin": "3456"})
	if r.Error != "" {
		t.Fatalf("login failed: %s", r.Error)
	}
	s := r.Subject
	if s.Person.Identifier != "DE/FR/5c29d8e310" || s.Person.FamilyName != "Weiß" {
		t.Errorf("person = %+v, want Jürgen Weiß DE/FR/5c29d8e310", s.Person)
	}
	if s.Company == nil || s.Company.Identifier != "DE/FR/DE348213907" || s.Company.LegalName != "Weiß Maschinenbau GmbH" ||
		s.Company.VATRegistration != "DE285739461" {
		t.Errorf("company = %+v, want Weiß Maschinenbau GmbH DE/FR/DE348213907", s.Company)
	}
	if s.LoA != eid.LoASubstantial {
		t.Errorf("LoA = %s, want the chosen substantial", s.LoA)
	}
}

// TestLoginFormRefused: a refused form stays at the provider, answers 400
// and announces the error in text, in the page's language.
func TestLoginFormRefused(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		choices map[string]string
		field   string
		text    string
	}{
		{"wrong PIN", "", map[string]string{"account": "3f8a2c61d9", "loa": "High", "pin": "9999"}, "pin",
			"The PIN is wrong. Enter the PIN shown with the chosen person."},
		{"wrong PIN in German", "?lang=de", map[string]string{"account": "3f8a2c61d9", "loa": "Low", "pin": "2345"}, "pin",
			"Die PIN ist falsch."},
		{"empty PIN", "", map[string]string{"account": "3f8a2c61d9", "loa": "Low", "pin": ""}, "pin", "The PIN is wrong."},
		{"level above the eID", "", map[string]string{"account": "e0947b6cf8", "loa": "High", "pin": "4567"}, "loa",
			"The eID of Zeynep Öztürk reaches level Low at most. Choose a lower level."},
		{"no level", "", map[string]string{"account": "e0947b6cf8", "loa": "", "pin": "4567"}, "loa", "Choose a level of assurance."},
		{"no person", "", map[string]string{"loa": "Low", "pin": "4567"}, "account", "Choose who you are."},
		{"unknown person", "", map[string]string{"account": "nobody", "loa": "Low", "pin": "4567"}, "account", "Choose who you are."},
		{"company the person does not represent", "", map[string]string{"account": "3f8a2c61d9|DE348213907", "loa": "Low", "pin": "1234"},
			"account", "Choose who you are."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNet(t, netOptions{})
			resp, page := n.loginPage(tt.query)
			resp, body := n.submit(resp.Request.URL, page, tt.choices)
			if resp.StatusCode != http.StatusBadRequest || resp.Request.URL.Host != n.idps["DE"].Listener.Addr().String() {
				t.Fatalf("HTTP %d at %s, want 400 at the provider", resp.StatusCode, resp.Request.URL)
			}
			if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, html.EscapeString(tt.text)) {
				t.Errorf("page does not announce %q:\n%s", tt.text, body)
			}
			if !strings.Contains(body, `<a href="#`+tt.field+`">`) || !strings.Contains(body, `id="`+tt.field+`-error"`) {
				t.Errorf("the error is not tied to the field %q", tt.field)
			}
			checkAccessible(t, body)
			// The form can be sent again after the error.
			if form(t, body).Get("csrf") == "" {
				t.Error("no CSRF token on the page after the error")
			}
		})
	}
}

// TestLoginAfterError: the user corrects the PIN and logs in.
func TestLoginAfterError(t *testing.T) {
	n := newNet(t, netOptions{})
	resp, page := n.loginPage("")
	resp, page = n.submit(resp.Request.URL, page, map[string]string{"account": "b71e04f5a2", "loa": "Low", "pin": "1"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("HTTP %d, want 400", resp.StatusCode)
	}
	if !strings.Contains(page, `value="b71e04f5a2" checked`) {
		t.Error("the chosen person is not kept after the error")
	}
	resp, body := n.submit(resp.Request.URL, page, map[string]string{"account": "b71e04f5a2", "loa": "Low", "pin": "2345"})
	r := decodeCallback(t, resp, body)
	if r.Error != "" || r.Subject.Person.Identifier != "DE/FR/b71e04f5a2" || r.Subject.LoA != eid.LoALow {
		t.Fatalf("result = %+v", r)
	}
}

// TestAuthorizeRefused: a request that cannot be trusted to lead back to
// the relying party gets an error page, never a redirect.
func TestAuthorizeRefused(t *testing.T) {
	n := newNet(t, netOptions{})
	cb := n.app.URL + "/callback"
	tests := []struct {
		name   string
		params url.Values
		text   string
	}{
		{"unknown client", url.Values{"client_id": {"intruder"}, "redirect_uri": {cb}, "state": {"s"}},
			"The service that sent you here is not known to this identity provider."},
		{"no client", url.Values{"redirect_uri": {cb}, "state": {"s"}}, "not known to this identity provider"},
		{"redirect to another host", url.Values{"client_id": {testClientID}, "redirect_uri": {"https://evil.example/callback"}, "state": {"s"}},
			"The return address given by the service is not registered for it."},
		{"redirect continuing the prefix", url.Values{"client_id": {testClientID}, "redirect_uri": {cb + ".evil.example/x"}, "state": {"s"}},
			"not registered"},
		{"redirect continuing the path", url.Values{"client_id": {testClientID}, "redirect_uri": {cb + "-other"}, "state": {"s"}},
			"not registered"},
		{"redirect of another client", url.Values{"client_id": {testClientID}, "redirect_uri": {"https://other.example/cb"}, "state": {"s"}},
			"not registered"},
		{"relative redirect", url.Values{"client_id": {testClientID}, "redirect_uri": {"/callback"}, "state": {"s"}}, "not registered"},
		{"redirect with a fragment", url.Values{"client_id": {testClientID}, "redirect_uri": {cb + "#x"}, "state": {"s"}}, "not registered"},
		{"redirect with user info", url.Values{"client_id": {testClientID}, "redirect_uri": {strings.Replace(cb, "://", "://u@", 1)}, "state": {"s"}},
			"not registered"},
		{"no state", url.Values{"client_id": {testClientID}, "redirect_uri": {cb}}, "did not send the state"},
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				var resp *http.Response
				var err error
				if method == http.MethodGet {
					resp, err = noFollow.Get(n.issuers["DE"] + PathAuthorize + "?" + tt.params.Encode())
				} else {
					v := url.Values{"account": {"3f8a2c61d9"}, "loa": {"Low"}, "pin": {"1234"}}
					for k, x := range tt.params {
						v[k] = x
					}
					resp, err = noFollow.PostForm(n.issuers["DE"]+PathAuthorize, v)
				}
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
					t.Errorf("%s: HTTP %d Location %q, want 400 without redirect", method, resp.StatusCode, resp.Header.Get("Location"))
				}
				if !strings.Contains(string(b), tt.text) {
					t.Errorf("%s: page lacks %q:\n%s", method, tt.text, b)
				}
				checkAccessible(t, string(b))
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	n := newNet(t, netOptions{})
	resp, page := n.loginPage("")
	v := form(t, page)
	v.Set("account", "3f8a2c61d9")
	v.Set("loa", "Low")
	v.Set("pin", "1234")
	target := n.issuers["DE"] + PathAuthorize
	_ = resp

	// Another browser (no cookie) posts the same form.
	other, err := http.PostForm(target, v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(other.Body)
	other.Body.Close()
	if other.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "The form has expired or was not sent from this page.") {
		t.Errorf("post without the cookie: HTTP %d\n%s", other.StatusCode, b)
	}
	// The right browser with a wrong token.
	w := url.Values{}
	for k, x := range v {
		w[k] = x
	}
	w.Set("csrf", strings.Repeat("A", 43))
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(w.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r2, _ := n.do(req)
	if r2.StatusCode != http.StatusForbidden {
		t.Errorf("post with a wrong token: HTTP %d, want 403", r2.StatusCode)
	}
	// The cookie's attributes.
	resp, _ = n.get(n.issuers["DE"] + PathAuthorize + "?" + url.Values{"client_id": {testClientID},
		"redirect_uri": {n.app.URL + "/callback"}, "state": {"s"}}.Encode())
	_ = resp
	fresh, err := http.Get(n.issuers["DE"] + PathAuthorize + "?" + url.Values{"client_id": {testClientID},
		"redirect_uri": {n.app.URL + "/callback"}, "state": {"s"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	fresh.Body.Close()
	cs := fresh.Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("CSRF cookie = %+v, want one HttpOnly SameSite=Lax cookie", cs)
	}
}

// codeURL logs in and returns the callback URL with the code, without
// following it.
func (n *testNet) codeURL(choices map[string]string) *url.URL {
	n.t.Helper()
	resp, page := n.loginPage("")
	n.browser.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { n.browser.CheckRedirect = nil }()
	resp, _ = n.submit(resp.Request.URL, page, choices)
	if resp.StatusCode != http.StatusSeeOther {
		n.t.Fatalf("HTTP %d, want 303 to the callback", resp.StatusCode)
	}
	u, err := resp.Location()
	if err != nil {
		n.t.Fatal(err)
	}
	return u
}

var anna = map[string]string{"account": "3f8a2c61d9", "loa": "Substantial", "pin": "1234"}

func TestCodeReuse(t *testing.T) {
	n := newNet(t, netOptions{})
	u := n.codeURL(anna)
	resp, body := n.get(u.String())
	if r := decodeCallback(t, resp, body); r.Error != "" {
		t.Fatalf("first use: %s", r.Error)
	}
	resp, body = n.get(u.String())
	r := decodeCallback(t, resp, body)
	if !r.ErrLogin || !strings.Contains(r.Error, "code already used") || r.State != n.state {
		t.Errorf("second use = %+v, want ErrLogin 'code already used' with the state", r)
	}

	// At the token endpoint: the first assertion stays valid after the
	// second attempt.
	u = n.codeURL(anna)
	tok := url.Values{"client_id": {testClientID}, "code": {u.Query().Get("code")}, "redirect_uri": {n.app.URL + "/callback"}}
	first := postToken(t, n.issuers["DE"], tok)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange: HTTP %d %s", first.status, first.body)
	}
	second := postToken(t, n.issuers["DE"], tok)
	if second.status != http.StatusBadRequest || !strings.Contains(second.body, `"invalid_grant"`) {
		t.Errorf("second exchange: HTTP %d %s, want 400 invalid_grant", second.status, second.body)
	}
	if _, err := verifyAssertion(first.assertion, n.verifyOptions("DE")); err != nil {
		t.Errorf("first assertion after the reuse: %v", err)
	}
}

func (n *testNet) verifyOptions(cc string) verifyOptions {
	return verifyOptions{Key: n.providers[cc].PublicKey(), Issuer: n.issuers[cc], Audience: testClientID, Country: cc, Now: n.appClock.Now()}
}

type tokenResult struct {
	status    int
	body      string
	assertion string
}

func postToken(t testing.TB, issuer string, v url.Values) tokenResult {
	t.Helper()
	resp, err := http.PostForm(issuer+PathToken, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := tokenResult{status: resp.StatusCode, body: string(b)}
	var tr TokenResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatalf("token answer %s: %v", b, err)
		}
		r.assertion = tr.Assertion
	}
	return r
}

func TestTokenRefused(t *testing.T) {
	n := newNet(t, netOptions{})
	cb := n.app.URL + "/callback"
	tests := []struct {
		name   string
		params func(code string) url.Values
		status int
		want   string
	}{
		{"unknown code", func(string) url.Values {
			return url.Values{"client_id": {testClientID}, "code": {"nope"}, "redirect_uri": {cb}}
		}, 400, "unknown code"},
		{"other client", func(c string) url.Values {
			return url.Values{"client_id": {"other"}, "code": {c}, "redirect_uri": {cb}}
		}, 400, "another client"},
		{"unregistered client", func(c string) url.Values {
			return url.Values{"client_id": {"intruder"}, "code": {c}, "redirect_uri": {cb}}
		}, 401, "invalid_client"},
		{"other redirect_uri", func(c string) url.Values {
			return url.Values{"client_id": {testClientID}, "code": {c}, "redirect_uri": {cb + "/x"}}
		}, 400, "redirect_uri differs"},
		{"missing code", func(string) url.Values {
			return url.Values{"client_id": {testClientID}, "redirect_uri": {cb}}
		}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := n.codeURL(anna).Query().Get("code")
			r := postToken(t, n.issuers["DE"], tt.params(code))
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Errorf("HTTP %d %s, want %d %q", r.status, r.body, tt.status, tt.want)
			}
		})
	}
}

func TestCodeExpired(t *testing.T) {
	n := newNet(t, netOptions{})
	u := n.codeURL(anna)
	n.idpClock.Add(61 * time.Second)
	resp, body := n.get(u.String())
	r := decodeCallback(t, resp, body)
	if !r.ErrLogin || !strings.Contains(r.Error, "code expired") {
		t.Errorf("result = %+v, want ErrLogin 'code expired'", r)
	}
}

// TestExpiredAssertion: the provider's clock is an hour behind, so its
// assertion expired before the client sees it.
func TestExpiredAssertion(t *testing.T) {
	n := newNet(t, netOptions{})
	n.idpClock.Add(-time.Hour)
	r := n.login("", anna)
	if !r.ErrLogin || !strings.Contains(r.Error, "assertion expired") || r.State != n.state {
		t.Errorf("result = %+v, want ErrLogin 'assertion expired' with the state", r)
	}
}

// TestWrongKey: the client trusts another key than the provider's.
func TestWrongKey(t *testing.T) {
	n := newNet(t, netOptions{clientKey: &newKey(t).PublicKey})
	r := n.login("", anna)
	if !r.ErrLogin || !strings.Contains(r.Error, "signature does not verify") {
		t.Errorf("result = %+v, want ErrLogin about the signature", r)
	}
}

func TestJWKSFetched(t *testing.T) {
	n := newNet(t, netOptions{fetchKeys: true})
	for i := range 2 { // the second login uses the kept key
		if r := n.login("", anna); r.Error != "" {
			t.Fatalf("login %d: %s", i, r.Error)
		}
	}
}

// TestMounted: providers under a path of a shared server, with and without
// http.StripPrefix, and the application under a path behind
// http.StripPrefix.
func TestMounted(t *testing.T) {
	n := newNet(t, netOptions{countries: []string{"DE", "SE"}, mounted: true, fetchKeys: true, appPrefix: "/portal"})
	_, body := n.get(n.app.URL + "/portal/login")
	if !strings.Contains(body, `href="/portal/login?eid=SE"`) {
		t.Errorf("the country links lose the application's path:\n%s", body)
	}
	r := n.login("?eid=SE", map[string]string{"account": "196507083910|5592140635", "loa": "High", "pin": "4567"})
	if r.Error != "" || r.Subject.Company.Identifier != "SE/FR/5592140635" || r.Subject.Issuer != n.issuers["SE"] {
		t.Fatalf("SE: %+v", r)
	}
	if r := n.login("?eid=DE", anna); r.Error != "" || r.Subject.Issuer != n.issuers["DE"] {
		t.Fatalf("DE: %+v", r)
	}
}

func TestCancel(t *testing.T) {
	n := newNet(t, netOptions{})
	resp, page := n.loginPage("")
	resp, body := n.submit(resp.Request.URL, page, map[string]string{"action": "cancel"})
	r := decodeCallback(t, resp, body)
	if !r.ErrLogin || !strings.Contains(r.Error, "cancelled") || r.State != n.state {
		t.Errorf("result = %+v, want ErrLogin 'cancelled' with the state", r)
	}
}

func TestChooseCountry(t *testing.T) {
	n := newNet(t, netOptions{countries: []string{"DE", "FR", "FI"}})
	resp, body := n.get(n.app.URL + "/login?next=%2Fapply")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Choose the country that issued your eID</h1>") {
		t.Fatalf("HTTP %d, not the country choice:\n%s", resp.StatusCode, body)
	}
	checkAccessible(t, body)
	for _, cc := range []string{"DE", "FR", "FI"} {
		if !strings.Contains(body, `href="/login?eid=`+cc+`&amp;next=%2Fapply"`) {
			t.Errorf("no link for %s keeping the request's parameters:\n%s", cc, body)
		}
	}
	// The French provider, reached through its link.
	r := n.login("?eid=FR&next=%2Fapply", map[string]string{"account": "0c85d27e3b|823456781", "loa": "High", "pin": "4567"})
	if r.Error != "" {
		t.Fatalf("login: %s", r.Error)
	}
	if r.Subject.Country != "FR" || r.Subject.Person.Identifier != "FR/FR/0c85d27e3b" || r.Subject.Company.Identifier != "FR/FR/823456781" {
		t.Errorf("subject = %+v %+v %+v", r.Subject, r.Subject.Person, r.Subject.Company)
	}

	resp, body = n.get(n.app.URL+"/login?eid=xx", "Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<html lang="de">`) ||
		!strings.Contains(body, "Wählen Sie das Land, das Ihre eID ausgestellt hat") || !strings.Contains(body, `Für &#34;xx&#34; ist kein Identitätsdienst verfügbar.`) {
		t.Errorf("unknown country: HTTP %d\n%s", resp.StatusCode, body)
	}
}

// TestFinishRefused: callbacks that are not a provider's answer.
func TestFinishRefused(t *testing.T) {
	n := newNet(t, netOptions{})
	tests := []struct {
		name, query, want, state string
	}{
		{"no state", "?code=x", "does not name the identity provider", ""},
		{"unknown provider", "?code=x&state=SE.abc", "not an accepted identity provider", "abc"},
		{"no code", "?state=DE.abc", "no code", "abc"},
		{"provider error", "?state=DE.abc&error=server_error", `answered "server_error"`, "abc"},
		{"forged code", "?state=DE.abc&code=forged", "unknown code", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := n.get(n.app.URL + "/callback" + tt.query)
			r := decodeCallback(t, resp, body)
			if !r.ErrLogin || !strings.Contains(r.Error, tt.want) || r.State != tt.state {
				t.Errorf("result = %+v, want ErrLogin %q state %q", r, tt.want, tt.state)
			}
		})
	}
}

// TestLanguages: every provider's pages are offered in the five page
// languages (package ui), whatever its country; the language is the lang
// parameter, else the best of Accept-Language, else English.
func TestLanguages(t *testing.T) {
	n := newNet(t, netOptions{countries: []string{"FI", "DE"}})
	tests := []struct {
		cc, query, accept, lang, text string
	}{
		{"FI", "", "fi", "fi", "Kirjaudu sisään eID:lläsi"},
		{"FI", "", "sv-FI, fi;q=0.5", "sv", "Logga in med din e-legitimation"},
		{"FI", "&lang=en", "fi", "en", "Log in with your eID"},
		{"DE", "", "fi", "fi", "Kirjaudu sisään eID:lläsi"},
		{"DE", "", "it", "en", "Log in with your eID"},
		{"DE", "", "", "en", "Log in with your eID"},
		{"DE", "&lang=fr", "de", "fr", "Connexion avec votre eID"},
		{"DE", "&lang=de", "", "de", "Mit Ihrer eID anmelden"},
	}
	for _, tt := range tests {
		t.Run(tt.cc+tt.query+tt.accept, func(t *testing.T) {
			resp, body := n.get(n.app.URL+"/login?eid="+tt.cc+tt.query, "Accept-Language", tt.accept)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<html lang="`+tt.lang+`">`) || !strings.Contains(body, tt.text) {
				t.Errorf("HTTP %d, want lang %s and %q:\n%s", resp.StatusCode, tt.lang, tt.text, body)
			}
			checkAccessible(t, body)
			if !strings.Contains(body, `hreflang=`) {
				t.Error("no language switch")
			}
		})
	}
}

var (
	inputRe = regexp.MustCompile(`<input ([^>]*)>`)
	idRe    = regexp.MustCompile(`\bid="([^"]+)"`)
	typeRe  = regexp.MustCompile(`\btype="([^"]+)"`)
	hRe     = regexp.MustCompile(`<h([1-6])[ >]`)
)

// checkAccessible checks what a test can: the page's language, a skip link
// to main, one h1 and no skipped heading level, and a label for every
// visible input.
func checkAccessible(t testing.TB, page string) {
	t.Helper()
	if !regexp.MustCompile(`<html lang="[a-z]{2}">`).MatchString(page) {
		t.Error("no lang attribute on <html>")
	}
	if !strings.Contains(page, `<a class="skip" href="#main">`) || !strings.Contains(page, `<main id="main">`) {
		t.Error("no skip link to the main content")
	}
	prev := 0
	for i, m := range hRe.FindAllStringSubmatch(page, -1) {
		l := int(m[1][0] - '0')
		if (i == 0 && l != 1) || l > prev+1 {
			t.Errorf("heading h%d after h%d", l, prev)
		}
		prev = l
	}
	for _, m := range inputRe.FindAllStringSubmatch(page, -1) {
		if ty := typeRe.FindStringSubmatch(m[1]); ty != nil && ty[1] == "hidden" {
			continue
		}
		id := idRe.FindStringSubmatch(m[1])
		if id == nil || !strings.Contains(page, `<label for="`+id[1]+`">`) {
			t.Errorf("input without label: %s", m[0])
		}
	}
}

// TestCodeRace: of many simultaneous exchanges of one code, exactly one
// gets an assertion.
func TestCodeRace(t *testing.T) {
	n := newNet(t, netOptions{})
	code := n.codeURL(anna).Query().Get("code")
	tok := url.Values{"client_id": {testClientID}, "code": {code}, "redirect_uri": {n.app.URL + "/callback"}}
	var wg sync.WaitGroup
	results := make([]int, 8)
	for i := range results {
		wg.Go(func() {
			resp, err := http.PostForm(n.issuers["DE"]+PathToken, tok)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			results[i] = resp.StatusCode
		})
	}
	wg.Wait()
	ok := 0
	for _, s := range results {
		if s == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("statuses %v: %d successes, want 1", results, ok)
	}
}

func TestEndpoints(t *testing.T) {
	n := newNet(t, netOptions{})
	base := n.issuers["DE"]
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, PathToken, http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, PathAuthorize, http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodPost, PathJWKS, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodGet, "/other", http.StatusNotFound, ""},
		{http.MethodGet, PathJWKS, http.StatusOK, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: HTTP %d Allow %q, want %d %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.status, tt.allow)
		}
		if tt.path == PathJWKS && tt.status == http.StatusOK {
			k, err := parseJWKS(b, "")
			if err != nil || !k.Equal(n.providers["DE"].PublicKey()) {
				t.Errorf("JWKS %s: %v", b, err)
			}
		}
	}
	// Every page forbids scripts and framing.
	resp, page := n.loginPage("")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	// The policy admits the page's own style sheet by its hash.
	_, css, _ := strings.Cut(page, "<style>")
	css, _, _ = strings.Cut(css, "</style>")
	sum := sha256.Sum256([]byte(css))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "style-src "+h) {
		t.Errorf("Content-Security-Policy %q does not admit the style sheet %s", csp, h)
	}
}

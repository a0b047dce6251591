package oidc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/internal/oidcop"
)

// app is a relying-party web application: /login calls Begin with a fixed
// application state, /cb calls Finish and records the outcome.
type app struct {
	srv  *httptest.Server
	auth *oidc.Authenticator

	mu      sync.Mutex
	subject *eid.Subject
	state   string
	err     error
}

const appState = "application-state"

func newApp(tb testing.TB, listener net.Listener) *app {
	tb.Helper()
	a := &app{}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		a.auth.Begin(w, r, appState, "/cb")
	})
	mux.HandleFunc("/cb", func(w http.ResponseWriter, r *http.Request) {
		s, st, err := a.auth.Finish(r)
		a.mu.Lock()
		a.subject, a.state, a.err = s, st, err
		a.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "welcome "+s.Person.GivenName)
	})
	a.srv = httptest.NewUnstartedServer(mux)
	if listener != nil {
		a.srv.Listener.Close()
		a.srv.Listener = listener
	}
	a.srv.Start()
	tb.Cleanup(a.srv.Close)
	return a
}

func (a *app) outcome() (*eid.Subject, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, st, err := a.subject, a.state, a.err
	a.subject, a.state, a.err = nil, "", nil
	return s, st, err
}

// browser is a cookie-jar HTTP client.
func browser(tb testing.TB) *http.Client { return oidcop.Browser(tb) }

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// logIn drives the code flow: the application's /login, the provider's
// login form, back to the application's callback. It returns the final
// answer's status.
func logIn(tb testing.TB, c *http.Client, a *app, login, acr string) int {
	tb.Helper()
	resp, _ := oidcop.LogIn(tb, c, a.srv.URL+"/login", login, acr)
	return resp.StatusCode
}

// standardConfig is the configuration of the provider as France's would be
// (acr eidas1…3), with the eIDAS identifier in the claim eidas_id.
func standardConfig(issuer string) oidc.Config {
	claims := oidc.StandardClaims()
	claims.Identifier = "eidas_id"
	claims.PlaceOfBirth = "birthplace"
	return oidc.Config{
		Country: "DE",
		Providers: map[string]oidc.Provider{"FR": {
			Issuer: issuer, ClientID: oidcop.ClientID, ClientSecret: oidcop.ClientSecret,
			Claims: &claims,
			ACR:    map[string]eid.LoA{"eidas1": eid.LoALow, "eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh},
		}},
	}
}

// TestRealProvider logs in through oidc-provider, a certified OpenID
// provider, over HTTP: discovery, code flow with PKCE, ID token
// verification, claim mapping, then the refusals the provider can be made
// to cause (acr too low, no eIDAS identifier), a key rotation, and the
// provider's own refusal of a code without its PKCE verifier.
func TestRealProvider(t *testing.T) {
	oidcop.Module(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + l.Addr().String() + "/cb"
	port := oidcop.FreePort(t)
	o := oidcop.Start(t, port, oidcop.RSAKey(t, "key-1"), redirect)

	a := newApp(t, l)
	a.auth, err = oidc.New(standardConfig(o.Issuer))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("login", func(t *testing.T) {
		if st := logIn(t, browser(t), a, "marie", "eidas2"); st != http.StatusOK {
			_, _, err := a.outcome()
			t.Fatalf("HTTP %d: %v", st, err)
		}
		s, state, err := a.outcome()
		if err != nil {
			t.Fatal(err)
		}
		if state != appState {
			t.Errorf("state %q, want %q", state, appState)
		}
		want := eid.NaturalPerson{Identifier: "FR/DE/1234567890", FamilyName: "Dupont", GivenName: "Marie",
			DateOfBirth: "1985-04-12", Gender: "Female", PlaceOfBirth: "Lyon"}
		if *s.Person != want {
			t.Errorf("person %+v, want %+v", *s.Person, want)
		}
		if s.LoA != eid.LoASubstantial || s.Country != "FR" || s.Issuer != o.Issuer {
			t.Errorf("subject %+v", s)
		}
		if a.auth.Pending() != 0 {
			t.Errorf("%d logins still pending", a.auth.Pending())
		}
	})
	t.Run("acr below the minimum", func(t *testing.T) {
		if st := logIn(t, browser(t), a, "marie", "eidas1"); st == http.StatusOK {
			t.Fatal("a login at eidas1 (low) was accepted with substantial as the minimum")
		}
		if _, _, err := a.outcome(); !errors.Is(err, oidc.ErrLoA) {
			t.Fatalf("error %v, want ErrLoA", err)
		}
	})
	t.Run("no eIDAS identifier, refuse", func(t *testing.T) {
		if st := logIn(t, browser(t), a, "jean", "eidas3"); st == http.StatusOK {
			t.Fatal("a login without an eIDAS identifier was accepted")
		}
		if _, _, err := a.outcome(); !errors.Is(err, oidc.ErrNoIdentifier) {
			t.Fatalf("error %v, want ErrNoIdentifier", err)
		}
	})
	t.Run("no eIDAS identifier, derive", func(t *testing.T) {
		cfg := standardConfig(o.Issuer)
		p := cfg.Providers["FR"]
		p.Identifier = oidc.Derive
		cfg.Providers["FR"] = p
		derive, err := oidc.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		saved := a.auth
		a.auth = derive
		defer func() { a.auth = saved }()
		if st := logIn(t, browser(t), a, "jean", "eidas3"); st != http.StatusOK {
			_, _, err := a.outcome()
			t.Fatalf("HTTP %d: %v", st, err)
		}
		s, _, err := a.outcome()
		if err != nil {
			t.Fatal(err)
		}
		if s.Person.Identifier != "FR/DE/jean" || s.LoA != eid.LoAHigh {
			t.Errorf("identifier %q, LoA %s; want FR/DE/jean, high", s.Person.Identifier, s.LoA)
		}
	})
	parent := t
	t.Run("key rotation", func(t *testing.T) {
		o.Stop()
		// Started for the parent test: the next subtest uses it too.
		oidcop.Start(parent, port, oidcop.RSAKey(t, "key-2"), redirect)
		if st := logIn(t, browser(t), a, "marie", "eidas3"); st != http.StatusOK {
			_, _, err := a.outcome()
			t.Fatalf("after the provider changed its key: HTTP %d: %v", st, err)
		}
		if _, _, err := a.outcome(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("claims at the userinfo endpoint", func(t *testing.T) {
		conform := oidcop.Start(t, oidcop.FreePort(t), oidcop.RSAKey(t, "key-u"), redirect, func(c *oidcop.Config) { c.Conform = true })
		saved := a.auth
		defer func() { a.auth = saved }()
		cfg := standardConfig(conform.Issuer)
		if a.auth, err = oidc.New(cfg); err != nil {
			t.Fatal(err)
		}
		if st := logIn(t, browser(t), a, "marie", "eidas2"); st == http.StatusOK {
			t.Fatal("a login whose ID token has no identity was accepted")
		}
		if _, _, err := a.outcome(); !errors.Is(err, oidc.ErrAttributes) {
			t.Fatalf("error %v, want ErrAttributes", err)
		}
		p := cfg.Providers["FR"]
		p.UserInfo = true
		cfg.Providers["FR"] = p
		if a.auth, err = oidc.New(cfg); err != nil {
			t.Fatal(err)
		}
		if st := logIn(t, browser(t), a, "marie", "eidas2"); st != http.StatusOK {
			_, _, err := a.outcome()
			t.Fatalf("HTTP %d: %v", st, err)
		}
		s, _, err := a.outcome()
		if err != nil {
			t.Fatal(err)
		}
		if s.Person.Identifier != "FR/DE/1234567890" || s.Person.FamilyName != "Dupont" || s.Person.DateOfBirth != "1985-04-12" {
			t.Errorf("person %+v", *s.Person)
		}
	})
	t.Run("the provider requires the PKCE verifier", func(t *testing.T) {
		// The code of a login, redeemed without code_verifier: the
		// provider must refuse it, which is why Finish sends it.
		c := browser(t)
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), a.srv.URL+"/cb") {
				return http.ErrUseLastResponse
			}
			return nil
		}
		resp, err := c.Get(a.srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := formAction.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no login form: %.300s", page)
		}
		action, _ := resp.Request.URL.Parse(string(m[1]))
		resp, err = c.PostForm(action.String(), url.Values{"login": {"marie"}, "password": {"pw"}, "acr": {"eidas2"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("no redirect to the callback: HTTP %d", resp.StatusCode)
		}
		code := loc.Query().Get("code")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://127.0.0.1:"+fmt.Sprint(port)+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(oidcop.ClientID, oidcop.ClientSecret)
		tr, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr.Body)
		tr.Body.Close()
		if tr.StatusCode == http.StatusOK || !strings.Contains(string(body), "invalid_grant") {
			t.Fatalf("a code without its verifier: HTTP %d %s", tr.StatusCode, body)
		}
	})
}

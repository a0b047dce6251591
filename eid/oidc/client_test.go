package oidc_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/internal/oidcop"
)

const clientCookie = "staff_oidc"

// clientEnv is a fake provider and a Client trusting it, with a cookie of
// its own.
func clientEnv(tb testing.TB) (*negativeEnv, *oidc.Client) {
	tb.Helper()
	e := newNegativeEnv(tb, nil)
	c, err := oidc.NewClient(oidc.Provider{Issuer: e.f.srv.URL, ClientID: "oots-portal"}, oidc.Config{Cookie: clientCookie})
	if err != nil {
		tb.Fatal(err)
	}
	return e, c
}

// beginClient begins a login at c and returns it as the provider sees it.
func beginClient(tb testing.TB, c *oidc.Client) attempt {
	tb.Helper()
	w := httptest.NewRecorder()
	c.Begin(w, httptest.NewRequest(http.MethodGet, appURL+"/staff/login", nil), appState, "/staff/cb")
	if w.Code != http.StatusSeeOther {
		tb.Fatalf("Begin: HTTP %d %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	q := loc.Query()
	at := attempt{state: q.Get("state"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), redirect: loc}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == clientCookie {
			at.cookie = ck
		}
	}
	if at.cookie == nil {
		tb.Fatalf("Begin set no cookie %s: %v", clientCookie, w.Result().Cookies())
	}
	return at
}

func finishClient(c *oidc.Client, state, code string, cookie *http.Cookie) (*oidc.Identity, string, error) {
	r := httptest.NewRequest(http.MethodGet, appURL+"/staff/cb?"+url.Values{"state": {state}, "code": {code}}.Encode(), nil)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return c.Finish(r)
}

// TestClient covers the Client: a login gives the verified claims without
// acr or the minimum data set, and the checks it shares with Authenticator
// refuse what they refuse there.
func TestClient(t *testing.T) {
	e, c := clientEnv(t)
	staffClaims := func(at attempt) map[string]any {
		now := time.Now()
		return map[string]any{"iss": e.f.srv.URL, "aud": "oots-portal", "sub": "u-17", "nonce": at.nonce,
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "groups": []string{"oots-operators"}}
	}
	t.Run("accepted", func(t *testing.T) {
		at := beginClient(t, c)
		if at.method != "S256" || at.redirect.Query().Has("acr_values") {
			t.Errorf("authorization request %s: want PKCE S256 and no acr_values", at.redirect)
		}
		id, st, err := finishClient(c, at.state, e.f.issue(at.challenge, sign(t, e.key, staffClaims(at))), at.cookie)
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Groups []string `json:"groups"`
		}
		if err := json.Unmarshal(id.Claims, &claims); err != nil {
			t.Fatal(err)
		}
		if st != appState || id.Subject != "u-17" || id.Issuer != e.f.srv.URL || len(claims.Groups) != 1 || claims.Groups[0] != "oots-operators" {
			t.Fatalf("identity %+v, claims %s, state %q", id, id.Claims, st)
		}
		if c.Pending() != 0 {
			t.Errorf("%d logins pending", c.Pending())
		}
	})
	for _, tc := range []struct {
		name string
		run  func(at attempt) (string, string, *http.Cookie) // state, code, cookie
	}{
		{"nonce mismatch", func(at attempt) (string, string, *http.Cookie) {
			cl := staffClaims(at)
			cl["nonce"] = "another"
			return at.state, e.f.issue(at.challenge, sign(t, e.key, cl)), at.cookie
		}},
		{"wrong audience", func(at attempt) (string, string, *http.Cookie) {
			cl := staffClaims(at)
			cl["aud"] = "another-client"
			return at.state, e.f.issue(at.challenge, sign(t, e.key, cl)), at.cookie
		}},
		{"unknown state", func(at attempt) (string, string, *http.Cookie) {
			return at.state + "x", e.f.issue(at.challenge, sign(t, e.key, staffClaims(at))), at.cookie
		}},
		{"without the binding cookie", func(at attempt) (string, string, *http.Cookie) {
			return at.state, e.f.issue(at.challenge, sign(t, e.key, staffClaims(at))), nil
		}},
		{"the binding cookie under the default name", func(at attempt) (string, string, *http.Cookie) {
			ck := *at.cookie
			ck.Name = oidc.CookieName
			return at.state, e.f.issue(at.challenge, sign(t, e.key, staffClaims(at))), &ck
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, code, cookie := tc.run(beginClient(t, c))
			if id, _, err := finishClient(c, state, code, cookie); err == nil || !errors.Is(err, oidc.ErrLogin) {
				t.Fatalf("identity %+v, error %v; want a refusal wrapping ErrLogin", id, err)
			}
		})
	}
}

// TestNewClientValidate: NewClient names the field it refuses.
func TestNewClientValidate(t *testing.T) {
	good := oidc.Provider{Issuer: "https://sso.example", ClientID: "console"}
	for _, tc := range []struct {
		name  string
		p     oidc.Provider
		cfg   oidc.Config
		field string
	}{
		{"issuer over http", oidc.Provider{Issuer: "http://sso.example", ClientID: "console"}, oidc.Config{}, "Provider.Issuer"},
		{"no client id", oidc.Provider{Issuer: "https://sso.example"}, oidc.Config{}, "Provider.ClientID"},
		{"providers given", good, oidc.Config{Providers: map[string]oidc.Provider{"FR": good}}, "Config.Providers"},
		{"cookie name", good, oidc.Config{Cookie: "a;b"}, "Config.Cookie"},
		{"skew", good, oidc.Config{Skew: time.Hour}, "Config.Skew"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oidc.NewClient(tc.p, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	if _, err := oidc.NewClient(oidc.Provider{Issuer: "http://127.0.0.1:9", ClientID: oidcop.ClientID}, oidc.Config{}); err != nil {
		t.Fatalf("a loopback issuer: %v", err)
	}
}

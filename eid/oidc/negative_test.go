package oidc_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/internal/oidcop"
)

// fakeOP is a minimal OpenID provider whose ID tokens the test writes,
// to make the tokens no real provider issues. Its token endpoint checks the
// PKCE verifier (RFC 7636 §4.6) against the challenge of the code.
type fakeOP struct {
	srv *httptest.Server

	mu         sync.Mutex
	keys       []jose.JSONWebKey // published (public parts)
	jwksFetch  int
	jwksPad    int // octets of padding added to the JWKS answer
	codes      map[string]fakeCode
	verifiers  []string // code_verifier of each token request
	nextCodeID int
	userinfo   map[string]any // the userinfo endpoint's answer
}

type fakeCode struct {
	challenge string
	token     string
}

func newFakeOP(tb testing.TB) *fakeOP {
	tb.Helper()
	f := &fakeOP{codes: map[string]fakeCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/authorize",
			"token_endpoint": f.srv.URL + "/token", "jwks_uri": f.srv.URL + "/jwks", "userinfo_endpoint": f.srv.URL + "/userinfo",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.jwksFetch++
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: f.keys})
		if f.jwksPad > 0 {
			b = append(b[:len(b)-1], []byte(`,"pad":"`+strings.Repeat("x", f.jwksPad)+`"}`)...)
		}
		w.Write(b)
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer at" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(f.userinfo)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		v := r.PostForm.Get("code_verifier")
		f.verifiers = append(f.verifiers, v)
		c, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(v))
		if !ok || v == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": c.token})
	})
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.srv.Close)
	return f
}

// publish sets the published keys to the public parts of keys.
func (f *fakeOP) publish(keys ...jose.JSONWebKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = nil
	for _, k := range keys {
		f.keys = append(f.keys, k.Public())
	}
}

func (f *fakeOP) fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksFetch
}

// issue makes a code for the login whose PKCE challenge is given, redeemed
// for the ID token tok.
func (f *fakeOP) issue(challenge, tok string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextCodeID++
	code := fmt.Sprintf("code-%d", f.nextCodeID)
	f.codes[code] = fakeCode{challenge: challenge, token: tok}
	return code
}

// sign returns the compact JWS of claims signed with key.
func sign(tb testing.TB, key jose.JSONWebKey, claims map[string]any) string {
	tb.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// attempt is a login begun at the Authenticator, as the provider sees it.
type attempt struct {
	state, nonce, challenge, method string
	cookie                          *http.Cookie
	redirect                        *url.URL
}

const appURL = "http://app.example"

func begin(tb testing.TB, a *oidc.Authenticator, cookie *http.Cookie) attempt {
	tb.Helper()
	r := httptest.NewRequest(http.MethodGet, appURL+"/login", nil)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	a.Begin(w, r, appState, "/cb")
	if w.Code != http.StatusSeeOther {
		tb.Fatalf("Begin: HTTP %d %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	q := loc.Query()
	at := attempt{state: q.Get("state"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), cookie: cookie, redirect: loc}
	for _, c := range w.Result().Cookies() {
		if c.Name == oidc.CookieName {
			at.cookie = c
		}
	}
	return at
}

// finish calls Finish on the callback of state with code, from the browser
// holding cookie.
func finish(a *oidc.Authenticator, state, code string, cookie *http.Cookie) (*eid.Subject, string, error) {
	r := httptest.NewRequest(http.MethodGet, appURL+"/cb?"+url.Values{"state": {state}, "code": {code}}.Encode(), nil)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return a.Finish(r)
}

// negativeEnv is a fake provider, its signing key, and an Authenticator
// trusting it.
type negativeEnv struct {
	f    *fakeOP
	key  jose.JSONWebKey
	auth *oidc.Authenticator
}

func newNegativeEnv(tb testing.TB, edit func(*oidc.Config)) *negativeEnv {
	tb.Helper()
	f := newFakeOP(tb)
	key := oidcop.RSAKey(tb, "k1")
	f.publish(key)
	cfg := standardConfig(f.srv.URL)
	p := cfg.Providers["FR"]
	p.ClientSecret = ""
	cfg.Providers["FR"] = p
	if edit != nil {
		edit(&cfg)
	}
	a, err := oidc.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return &negativeEnv{f: f, key: key, auth: a}
}

// claims are good claims of the login at for the fake provider.
func (e *negativeEnv) claims(at attempt) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": e.f.srv.URL, "aud": "oots-portal", "sub": "s1", "nonce": at.nonce, "acr": "eidas2",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"family_name": "Dupont", "given_name": "Marie", "birthdate": "1985-04-12", "eidas_id": "FR/DE/42",
	}
}

// run begins a login, lets the provider answer with the token that tok
// makes of the good claims, and finishes it.
func (e *negativeEnv) run(tb testing.TB, tok func(at attempt, c map[string]any) string) (*eid.Subject, error) {
	tb.Helper()
	at := begin(tb, e.auth, nil)
	code := e.f.issue(at.challenge, tok(at, e.claims(at)))
	s, state, err := finish(e.auth, at.state, code, at.cookie)
	if state != appState {
		tb.Errorf("state %q returned, want %q", state, appState)
	}
	return s, err
}

// TestNegative is the suite of refused logins: each case fails when the
// check it names is removed. The first case shows that the same login,
// unaltered, succeeds.
func TestNegative(t *testing.T) {
	type edit func(at attempt, c map[string]any)
	cases := []struct {
		name string
		edit edit
		is   error // a sentinel the error must wrap, besides ErrLogin
	}{
		{"accepted as is", nil, nil},
		{"wrong issuer", func(at attempt, c map[string]any) { c["iss"] = "https://evil.example" }, nil},
		{"wrong audience", func(at attempt, c map[string]any) { c["aud"] = "another-client" }, nil},
		{"expired beyond the skew", func(at attempt, c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }, nil},
		{"issued in the future beyond the skew", func(at attempt, c map[string]any) { c["iat"] = time.Now().Add(3 * time.Minute).Unix() }, nil},
		{"another audience besides us, no azp", func(at attempt, c map[string]any) { c["aud"] = []string{"oots-portal", "another-client"} }, nil},
		{"azp of another client", func(at attempt, c map[string]any) {
			c["aud"], c["azp"] = []string{"oots-portal", "another-client"}, "another-client"
		}, nil},
		{"nonce mismatch", func(at attempt, c map[string]any) { c["nonce"] = "another-nonce" }, nil},
		{"no nonce", func(at attempt, c map[string]any) { delete(c, "nonce") }, nil},
		{"acr below the minimum", func(at attempt, c map[string]any) { c["acr"] = "eidas1" }, oidc.ErrLoA},
		{"acr unknown", func(at attempt, c map[string]any) { c["acr"] = "eidas9" }, oidc.ErrLoA},
		{"no acr", func(at attempt, c map[string]any) { delete(c, "acr") }, oidc.ErrLoA},
		{"no eIDAS identifier", func(at attempt, c map[string]any) { delete(c, "eidas_id") }, oidc.ErrNoIdentifier},
		{"identifier of another country", func(at attempt, c map[string]any) { c["eidas_id"] = "IT/DE/42" }, oidc.ErrAttributes},
		{"no date of birth", func(at attempt, c map[string]any) { delete(c, "birthdate") }, oidc.ErrAttributes},
	}
	e := newNegativeEnv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := e.run(t, func(at attempt, c map[string]any) string {
				if tc.edit != nil {
					tc.edit(at, c)
				}
				return sign(t, e.key, c)
			})
			if tc.edit == nil {
				if err != nil || s.Person.Identifier != "FR/DE/42" || s.LoA != eid.LoASubstantial {
					t.Fatalf("the unaltered login: %+v, %v", s, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", s.Person)
			}
			if !errors.Is(err, oidc.ErrLogin) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("error %v, want ErrLogin wrapping %v", err, tc.is)
			}
		})
	}
	t.Run("expired within the skew", func(t *testing.T) {
		_, err := e.run(t, func(at attempt, c map[string]any) string {
			c["exp"] = time.Now().Add(-30 * time.Second).Unix()
			return sign(t, e.key, c)
		})
		if err != nil {
			t.Fatalf("a token expired 30 s ago with a skew of 1 min: %v", err)
		}
	})
}

// TestNegativeSignature covers the token's signature: another key under
// the published kid, alg none, an unknown kid (the key set is fetched again
// once, then the token refused), and a rotation the provider published.
func TestNegativeSignature(t *testing.T) {
	e := newNegativeEnv(t, nil)
	t.Run("bad signature", func(t *testing.T) {
		other := oidcop.RSAKey(t, "k1") // same kid, other key
		if _, err := e.run(t, func(at attempt, c map[string]any) string { return sign(t, other, c) }); err == nil {
			t.Fatal("a token signed by another key was accepted")
		}
	})
	t.Run("tampered payload", func(t *testing.T) {
		_, err := e.run(t, func(at attempt, c map[string]any) string {
			tok := strings.Split(sign(t, e.key, c), ".")
			c["eidas_id"] = "FR/DE/someone-else"
			b, _ := json.Marshal(c)
			tok[1] = base64.RawURLEncoding.EncodeToString(b)
			return strings.Join(tok, ".")
		})
		if err == nil {
			t.Fatal("a token whose payload was changed after signing was accepted")
		}
	})
	t.Run("alg none", func(t *testing.T) {
		_, err := e.run(t, func(at attempt, c map[string]any) string {
			h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "k1"})
			b, _ := json.Marshal(c)
			return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(b) + "."
		})
		if err == nil {
			t.Fatal("an unsigned token (alg none) was accepted")
		}
	})
	t.Run("unknown kid after rotation", func(t *testing.T) {
		if _, err := e.run(t, func(at attempt, c map[string]any) string { return sign(t, e.key, c) }); err != nil {
			t.Fatal(err) // the key set is now cached
		}
		before := e.f.fetches()
		unknown := oidcop.RSAKey(t, "k-unpublished")
		if _, err := e.run(t, func(at attempt, c map[string]any) string { return sign(t, unknown, c) }); err == nil {
			t.Fatal("a token signed with a key the provider does not publish was accepted")
		}
		if n := e.f.fetches() - before; n != 1 {
			t.Errorf("the key set was fetched %d times for the unknown kid, want once", n)
		}
	})
	t.Run("rotation published", func(t *testing.T) {
		next := oidcop.RSAKey(t, "k2")
		e.f.publish(e.key, next)
		if _, err := e.run(t, func(at attempt, c map[string]any) string { return sign(t, next, c) }); err != nil {
			t.Fatalf("a token signed with the provider's new key: %v", err)
		}
	})
}

// TestNegativeState covers the state, the browser binding, replays and
// PKCE.
func TestNegativeState(t *testing.T) {
	e := newNegativeEnv(t, nil)
	good := func(at attempt) string { return e.f.issue(at.challenge, sign(t, e.key, e.claims(at))) }

	t.Run("PKCE S256", func(t *testing.T) {
		at := begin(t, e.auth, nil)
		if at.method != "S256" || len(at.challenge) != 43 {
			t.Fatalf("code_challenge %q, method %q; want a S256 challenge", at.challenge, at.method)
		}
		if got := at.redirect.Query().Get("acr_values"); got != "eidas2 eidas3" {
			t.Errorf("acr_values %q, want the values at or above substantial, \"eidas2 eidas3\"", got)
		}
		if _, _, err := finish(e.auth, at.state, good(at), at.cookie); err != nil {
			t.Fatal(err)
		}
		e.f.mu.Lock()
		v := e.f.verifiers[len(e.f.verifiers)-1]
		e.f.mu.Unlock()
		sum := sha256.Sum256([]byte(v))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != at.challenge {
			t.Fatalf("the token request's code_verifier %q is not the challenge's", v)
		}
	})
	t.Run("reauthentication", func(t *testing.T) {
		if p := begin(t, e.auth, nil).redirect.Query(); p.Has("prompt") {
			t.Errorf("prompt=%s without Config.Reauthenticate", p.Get("prompt"))
		}
		re := newNegativeEnv(t, func(c *oidc.Config) { c.Reauthenticate = true })
		if p := begin(t, re.auth, nil).redirect.Query().Get("prompt"); p != "login" {
			t.Errorf("prompt %q with Config.Reauthenticate, want login", p)
		}
	})
	t.Run("code of another login (missing PKCE verifier)", func(t *testing.T) {
		// A code stolen from the victim's login, injected into the
		// attacker's own: the verifier Finish sends is the attacker's
		// login's, which the victim's challenge refuses.
		victim := begin(t, e.auth, nil)
		attacker := begin(t, e.auth, nil)
		code := e.f.issue(victim.challenge, sign(t, e.key, e.claims(attacker)))
		if _, _, err := finish(e.auth, attacker.state, code, attacker.cookie); err == nil {
			t.Fatal("a code issued for another login's PKCE challenge was accepted")
		}
	})
	t.Run("state mismatch", func(t *testing.T) {
		at := begin(t, e.auth, nil)
		if _, _, err := finish(e.auth, at.state+"x", good(at), at.cookie); err == nil {
			t.Fatal("an unknown state was accepted")
		}
		if _, _, err := finish(e.auth, "", good(at), at.cookie); err == nil {
			t.Fatal("an empty state was accepted")
		}
	})
	t.Run("state replay", func(t *testing.T) {
		at := begin(t, e.auth, nil)
		if _, _, err := finish(e.auth, at.state, good(at), at.cookie); err != nil {
			t.Fatal(err)
		}
		if _, _, err := finish(e.auth, at.state, good(at), at.cookie); err == nil {
			t.Fatal("a state was accepted twice")
		}
	})
	t.Run("nonce replay", func(t *testing.T) {
		first := begin(t, e.auth, nil)
		tok := sign(t, e.key, e.claims(first))
		if _, _, err := finish(e.auth, first.state, e.f.issue(first.challenge, tok), first.cookie); err != nil {
			t.Fatal(err)
		}
		// The same ID token, replayed into a second login.
		second := begin(t, e.auth, first.cookie)
		if _, _, err := finish(e.auth, second.state, e.f.issue(second.challenge, tok), second.cookie); err == nil {
			t.Fatal("an ID token was accepted in a second login")
		}
	})
	t.Run("another browser", func(t *testing.T) {
		at := begin(t, e.auth, nil)
		other := begin(t, e.auth, nil)
		if _, _, err := finish(e.auth, at.state, good(at), other.cookie); err == nil {
			t.Fatal("a callback from another browser was accepted")
		}
		at = begin(t, e.auth, nil)
		if _, _, err := finish(e.auth, at.state, good(at), nil); err == nil {
			t.Fatal("a callback without the binding cookie was accepted")
		}
	})
	t.Run("the browser keeps its binding", func(t *testing.T) {
		a1 := begin(t, e.auth, nil)
		a2 := begin(t, e.auth, a1.cookie) // a second tab
		if a2.cookie.Value != a1.cookie.Value {
			t.Fatal("a second login in the same browser replaced its cookie")
		}
		if a2.cookie.MaxAge <= 0 {
			t.Fatal("the cookie was not set again for the second login: it may expire before it ends")
		}
		for _, at := range []attempt{a2, a1} {
			if _, _, err := finish(e.auth, at.state, good(at), at.cookie); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("answer of another issuer (RFC 9207)", func(t *testing.T) {
		at := begin(t, e.auth, nil)
		r := httptest.NewRequest(http.MethodGet, appURL+"/cb?"+url.Values{"state": {at.state}, "code": {good(at)}, "iss": {"https://evil.example"}}.Encode(), nil)
		r.AddCookie(at.cookie)
		if _, _, err := e.auth.Finish(r); err == nil {
			t.Fatal("an answer naming another issuer was accepted")
		}
		at = begin(t, e.auth, nil)
		r = httptest.NewRequest(http.MethodGet, appURL+"/cb?"+url.Values{"state": {at.state}, "code": {good(at)}, "iss": {e.f.srv.URL}}.Encode(), nil)
		r.AddCookie(at.cookie)
		if _, _, err := e.auth.Finish(r); err != nil {
			t.Fatalf("an answer naming its issuer: %v", err)
		}
	})
	t.Run("the provider refused", func(t *testing.T) {
		at := begin(t, e.auth, nil)
		r := httptest.NewRequest(http.MethodGet, appURL+"/cb?"+url.Values{"state": {at.state}, "error": {"access_denied"}}.Encode(), nil)
		r.AddCookie(at.cookie)
		if _, st, err := e.auth.Finish(r); err == nil || st != appState {
			t.Fatalf("state %q, error %v", st, err)
		}
	})
}

// TestBounds covers the bounds on by default or configured: pending
// logins, the lifetime of a login, the size of a provider's answers.
func TestBounds(t *testing.T) {
	t.Run("pending logins", func(t *testing.T) {
		e := newNegativeEnv(t, func(c *oidc.Config) { c.MaxPending = 2 })
		begin(t, e.auth, nil)
		begin(t, e.auth, nil)
		w := httptest.NewRecorder()
		e.auth.Begin(w, httptest.NewRequest(http.MethodGet, appURL+"/login", nil), appState, "/cb")
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("a third pending login with MaxPending 2: HTTP %d", w.Code)
		}
	})
	t.Run("login lifetime", func(t *testing.T) {
		now := time.Now()
		e := newNegativeEnv(t, func(c *oidc.Config) { c.Now = func() time.Time { return now } })
		at := begin(t, e.auth, nil)
		now = now.Add(oidc.DefaultLoginTTL + time.Second)
		c := e.claims(at)
		c["iat"], c["exp"] = now.Unix(), now.Add(5*time.Minute).Unix() // a good token at the time of Finish
		if _, _, err := finish(e.auth, at.state, e.f.issue(at.challenge, sign(t, e.key, c)), at.cookie); err == nil {
			t.Fatal("a login finished after its lifetime was accepted")
		}
	})
	t.Run("answer size", func(t *testing.T) {
		e := newNegativeEnv(t, func(c *oidc.Config) { c.MaxResponse = 4096 })
		e.f.jwksPad = 8192
		if _, err := e.run(t, func(at attempt, c map[string]any) string { return sign(t, e.key, c) }); err == nil {
			t.Fatal("a key set larger than MaxResponse was read")
		}
	})
}

// TestUserInfo covers the claims read at the userinfo endpoint: they fill
// what the ID token lacks only under the ID token's sub.
func TestUserInfo(t *testing.T) {
	e := newNegativeEnv(t, func(c *oidc.Config) {
		p := c.Providers["FR"]
		p.UserInfo = true
		c.Providers["FR"] = p
	})
	idOnly := func(at attempt, c map[string]any) string {
		for _, k := range []string{"family_name", "given_name", "birthdate", "eidas_id"} {
			delete(c, k)
		}
		return sign(t, e.key, c)
	}
	set := func(sub string) {
		e.f.mu.Lock()
		e.f.userinfo = map[string]any{"sub": sub, "family_name": "Dupont", "given_name": "Marie", "birthdate": "1985-04-12",
			"eidas_id": "FR/DE/42", "acr": "eidas3"}
		e.f.mu.Unlock()
	}
	set("s1")
	s, err := e.run(t, idOnly)
	if err != nil {
		t.Fatal(err)
	}
	if s.Person.FamilyName != "Dupont" || s.Person.Identifier != "FR/DE/42" {
		t.Errorf("person %+v", *s.Person)
	}
	if s.LoA != eid.LoASubstantial {
		t.Errorf("LoA %s: the acr must come from the ID token, not from the userinfo", s.LoA)
	}
	set("someone-else")
	if _, err := e.run(t, idOnly); err == nil {
		t.Fatal("the userinfo of another sub was accepted")
	}
}

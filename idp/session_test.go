package idp

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// remembered starts a login at the application and returns the callback
// result when the provider answered without asking, or nil when it showed
// its login page.
func (n *testNet) remembered() *callbackResult {
	n.t.Helper()
	resp, body := n.get(n.app.URL + "/login")
	if strings.Contains(body, `name="pin"`) {
		return nil
	}
	r := decodeCallback(n.t, resp, body)
	return &r
}

var zeynep = map[string]string{"account": "e0947b6cf8", "loa": "Low", "pin": "4567"}

// TestSingleSignOn: with Config.Session a second login from the same
// browser is answered without asking, with the first login's subject,
// level and time; never for another browser, never after the session's
// time, never after a logout, and a new login replaces the remembered one
// (never another user's). Without Config.Session every login asks.
func TestSingleSignOn(t *testing.T) {
	n := newNet(t, netOptions{session: 30 * time.Minute})
	first := n.login("", anna)
	if first.Subject == nil {
		t.Fatalf("first login: %s", first.Error)
	}
	n.idpClock.Add(10 * time.Minute)
	n.appClock.Add(10 * time.Minute)
	again := n.remembered()
	if again == nil {
		t.Fatal("the second login asked again")
	}
	if again.Subject == nil || again.Subject.Person.Identifier != first.Subject.Person.Identifier ||
		again.Subject.LoA != first.Subject.LoA || !again.Subject.AuthTime.Equal(first.Subject.AuthTime) {
		t.Errorf("remembered login %+v, want the first %+v", again.Subject, first.Subject)
	}
	for _, c := range n.browser.Jar.Cookies(mustURL(t, n.issuers["DE"]+PathAuthorize)) {
		if strings.HasPrefix(c.Name, "idp_session_") && len(c.Value) < 32 {
			t.Errorf("session cookie %q", c.Value)
		}
	}

	// Another browser is asked.
	jar, _ := cookiejar.New(nil)
	other := &testNet{t: t, app: n.app, browser: &http.Client{Jar: jar}}
	if other.remembered() != nil {
		t.Error("another browser was not asked")
	}

	// After the session's time: asked.
	n.idpClock.Add(21 * time.Minute)
	n.appClock.Add(21 * time.Minute)
	if n.remembered() != nil {
		t.Error("not asked after the session's time")
	}

	// A new login replaces the remembered one: another user is never
	// answered with the first one's login.
	second := n.login("", zeynep)
	if r := n.remembered(); r == nil || r.Subject.Person.Identifier != second.Subject.Person.Identifier || r.Subject.Person.Identifier == first.Subject.Person.Identifier {
		t.Errorf("after a login as another person: %+v", r)
	}

	// Logout: a confirmation, and the next login asks.
	resp, body := n.get(n.issuers["DE"]+PathLogout, "Accept-Language", "fr")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Vous êtes déconnecté") || !strings.Contains(body, `role="status"`) {
		t.Errorf("logout: HTTP %d\n%s", resp.StatusCode, body)
	}
	checkAccessible(t, body)
	if n.remembered() != nil {
		t.Error("not asked after the logout")
	}

	// Without Config.Session every login asks.
	plain := newNet(t, netOptions{})
	plain.login("", anna)
	if plain.remembered() != nil {
		t.Error("a login was remembered without Config.Session")
	}
}

// TestSessionBounded: Config.Session is at most MaxSession.
func TestSessionBounded(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, MaxSession + time.Second} {
		c := Config{Country: "DE", Issuer: "https://idp.example", Key: newKey(t),
			Clients: map[string]Registration{"c": {RedirectURIs: []string{"https://a.example/cb"}, Country: "FR"}}, Session: d}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Session") {
			t.Errorf("Session %s: %v", d, err)
		}
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSessionCookiePerProvider: two providers on one host (browsers keep
// cookies apart by host, not port) name their session cookies apart, so a
// login at one does not end the single sign-on of the other.
func TestSessionCookiePerProvider(t *testing.T) {
	a := &Provider{cfg: Config{Issuer: "http://127.0.0.1:8001/idp"}}
	b := &Provider{cfg: Config{Issuer: "http://127.0.0.1:8002/idp"}}
	if a.sessionCookie() == b.sessionCookie() {
		t.Fatalf("both providers use the cookie %q", a.sessionCookie())
	}
	if a.sessionCookie() != (&Provider{cfg: Config{Issuer: a.cfg.Issuer}}).sessionCookie() {
		t.Error("the cookie's name changes for one issuer")
	}
}

// TestSessionsBounded: with maxSessions logins remembered, a further login
// still succeeds but is not remembered, so the next one asks again.
func TestSessionsBounded(t *testing.T) {
	n := newNet(t, netOptions{session: 30 * time.Minute})
	p := n.providers["DE"]
	p.mu.Lock()
	if p.sessions == nil {
		p.sessions = map[string]*ssoSession{}
	}
	for i := len(p.sessions); i < maxSessions; i++ {
		p.sessions[fmt.Sprint("other-", i)] = &ssoSession{expires: n.idpClock.Now().Add(time.Hour)}
	}
	p.mu.Unlock()
	if first := n.login("", anna); first.Subject == nil {
		t.Fatalf("login: %s", first.Error)
	}
	if n.remembered() != nil {
		t.Error("a login beyond the bound was remembered")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sessions) > maxSessions {
		t.Errorf("%d sessions, bound %d", len(p.sessions), maxSessions)
	}
}

package console_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/internal/oidcop"
	"github.com/oots-go/oots/store"
)

// resendingNode is a console.Node that records the messages resent.
type resendingNode struct {
	noNode
	mu     sync.Mutex
	resent []string
}

func (n *resendingNode) Resend(_ context.Context, id string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.resent = append(n.resent, id)
	return nil
}

// staff are the provider's staff accounts: olivia is an operator by her
// group, nina has no group the console maps, ada is in both the
// operators' and the administrators' groups.
func staff(c *oidcop.Config) {
	c.Accounts = map[string]oidcop.Account{
		"olivia": {Password: "pw", Claims: map[string]any{"preferred_username": "olivia", "email": "olivia@example.org", "email_verified": true,
			"groups": []string{"staff", "oots-operators"}}},
		"nina": {Password: "pw", Claims: map[string]any{"preferred_username": "nina", "groups": []string{"staff"}}},
		"ada":  {Password: "pw", Claims: map[string]any{"preferred_username": "ada", "groups": []string{"oots-operators", "oots-admins"}}},
	}
	c.RedirectPrefix = "http://127.0.0.1:"
}

// oidcConsole is a console on db whose staff log in through the provider
// at issuer, served on a listener of its own; edit may change its OIDC
// configuration.
func oidcConsole(t *testing.T, db *store.DB, node console.Node, issuer string, edit func(*console.OIDC)) (*console.Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	o := &console.OIDC{Name: "Example SSO", Issuer: issuer, ClientID: oidcop.ClientID, ClientSecret: oidcop.ClientSecret,
		RedirectURL: base + "/console/oidc/callback", Operators: []string{"oots-operators"},
		Administrators: []string{"oots-admins"}, Auditors: []string{"oots-auditors"}}
	if edit != nil {
		edit(o)
	}
	srv, err := console.New(context.Background(), console.Config{DB: db, Node: node, PMode: &pmode.Config{Self: "AP_FR_01"}, OIDC: o,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = l
	hs.Start()
	t.Cleanup(hs.Close)
	return srv, base
}

func tempDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var refreshRE = regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`)

// oidcLogIn logs login in at the console of base through the provider,
// from the login page's link, and returns the browser and the last answer.
func oidcLogIn(t *testing.T, base, login string) (*http.Client, int, string) {
	t.Helper()
	c := oidcop.Browser(t)
	page := readPage(t, c.Jar, base+"/console/login?next="+url.QueryEscape("/console/partners"))
	m := regexp.MustCompile(`<a class="button" id="oidc-login" href="([^"]+)">Log in with Example SSO</a>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to the provider on the login page:\n%s", page)
	}
	resp, body := oidcop.LogIn(t, c, base+strings.ReplaceAll(m[1], "&amp;", "&"), login, "eidas2")
	return c, resp.StatusCode, string(body)
}

// auditHas reports whether the audit trail has an entry of actor, role
// and action whose outcome begins with outcome.
func auditHas(t *testing.T, srv *console.Server, actor string, role console.Role, action, outcome string) bool {
	t.Helper()
	list, err := srv.Audit().List(context.Background(), console.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.Actor == actor && e.Role == role && e.Action == action && strings.HasPrefix(e.Outcome, outcome) {
			return true
		}
	}
	return false
}

// TestOIDCLogin logs staff in through oidc-provider, a certified OpenID
// provider: an operator by her group gets an operator's session, which
// does what operators do and is refused what they may not; a user whose
// groups map to no role, a callback of unknown state and one from another
// browser are refused and audited.
func TestOIDCLogin(t *testing.T) {
	oidcop.Module(t)
	o := oidcop.Start(t, 0, oidcop.RSAKey(t, "k1"), "http://unused.example/cb", staff)
	db := tempDB(t)
	node := &resendingNode{}
	srv, base := oidcConsole(t, db, node, o.Issuer, nil)

	t.Run("operator", func(t *testing.T) {
		c, status, body := oidcLogIn(t, base, "olivia")
		m := refreshRE.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil || m[1] != "/console/partners" {
			t.Fatalf("HTTP %d, want the page that moves on to /console/partners:\n%s", status, body)
		}
		page := readPage(t, c.Jar, base+"/console/messages")
		if !strings.Contains(page, `<span class="who">oidc:olivia (operator)</span>`) {
			t.Fatalf("the messages page does not show olivia as an operator:\n%s", page)
		}
		csrf := csrfOf(t, c.Jar, base)
		post := func(path string) int {
			req := mustReq(t, "POST", base+path, url.Values{"csrf": {csrf}}.Encode())
			return do(t, c.Jar, req)
		}
		if st := post("/console/messages/out/m-1/resend"); st != http.StatusSeeOther || len(node.resent) != 1 {
			t.Errorf("resend by an operator: HTTP %d, resent %v", st, node.resent)
		}
		if st := post("/console/reload"); st != http.StatusForbidden {
			t.Errorf("reload, an administrator's action, by an operator: HTTP %d", st)
		}
		if st := getStatus(t, c.Jar, base+"/console/audit"); st != http.StatusForbidden {
			t.Errorf("the audit trail for an operator: HTTP %d", st)
		}
		req := mustReq(t, "POST", base+"/console/messages/out/m-1/resend", url.Values{"csrf": {"forged"}}.Encode())
		if st := do(t, c.Jar, req); st != http.StatusForbidden {
			t.Errorf("a POST with a wrong CSRF token: HTTP %d", st)
		}
		if !auditHas(t, srv, "oidc:olivia", console.Operator, "login", "ok (oidc, sub olivia)") ||
			!auditHas(t, srv, "oidc:olivia", console.Operator, "message.resend", "ok") {
			t.Error("the audit trail lacks olivia's login or resend")
		}
		// The session of an OpenID Connect login is refused by a
		// console that no longer takes such logins.
		plain, err := console.New(context.Background(), console.Config{DB: db, Node: node, PMode: &pmode.Config{Self: "AP_FR_01"},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(plain.Handler())
		defer hs.Close()
		u, _ := url.Parse(base)
		req = mustReq(t, "GET", hs.URL+"/console/messages", "")
		for _, ck := range c.Jar.Cookies(u) {
			req.AddCookie(ck)
		}
		if st := do(t, nil, req); st != http.StatusSeeOther {
			t.Errorf("an OpenID Connect session at a console without OIDC: HTTP %d, want the login page", st)
		}
	})

	// A local account of the provider's user's name stays another
	// account: its role, its sessions (MaxSessions logins of the
	// provider's olivia do not end the local olivia's) and its name in
	// the audit trail.
	t.Run("local account of the same name", func(t *testing.T) {
		if err := srv.Accounts().Add(context.Background(), "olivia", console.Administrator, password("olivia")); err != nil {
			t.Fatal(err)
		}
		local := loginHTTP(t, base, "olivia")
		for range console.MaxSessions {
			if _, status, _ := oidcLogIn(t, base, "olivia"); status != http.StatusOK {
				t.Fatalf("olivia through the provider: HTTP %d", status)
			}
		}
		if page := readPage(t, local, base+"/console/messages"); !strings.Contains(page, `<span class="who">olivia (administrator)</span>`) {
			t.Errorf("the local olivia's session after the provider's olivia logged in %d times:\n%s", console.MaxSessions, page)
		}
		if !auditHas(t, srv, "olivia", console.Administrator, "login", "ok") {
			t.Error("the audit trail lacks the local olivia's login")
		}
	})
	t.Run("highest role wins", func(t *testing.T) {
		c, status, _ := oidcLogIn(t, base, "ada")
		if status != http.StatusOK {
			t.Fatalf("HTTP %d", status)
		}
		if page := readPage(t, c.Jar, base+"/console/messages"); !strings.Contains(page, "ada (administrator)") {
			t.Fatalf("ada, in the operators' and administrators' groups, is not an administrator:\n%s", page)
		}
	})
	t.Run("no role", func(t *testing.T) {
		c, status, body := oidcLogIn(t, base, "nina")
		if status != http.StatusForbidden || !strings.Contains(body, "gives no role on this console") {
			t.Fatalf("HTTP %d:\n%s", status, body)
		}
		if st := getStatus(t, c.Jar, base+"/console/messages"); st != http.StatusSeeOther {
			t.Errorf("after a refused login, the messages page: HTTP %d, want the login page", st)
		}
		if !auditHas(t, srv, "oidc:nina", "", "login", "denied (oidc): no role") {
			t.Error("the refusal is not in the audit trail")
		}
	})
	t.Run("not in the allowed list", func(t *testing.T) {
		_, allowBase := oidcConsole(t, db, node, o.Issuer, func(c *console.OIDC) { c.Allow = []string{"ada", "nina@example.org"} })
		if _, status, _ := oidcLogIn(t, allowBase, "olivia"); status != http.StatusForbidden {
			t.Fatalf("olivia, not in the allowed list: HTTP %d", status)
		}
		if _, status, _ := oidcLogIn(t, allowBase, "ada"); status != http.StatusOK {
			t.Fatalf("ada, in the allowed list: HTTP %d", status)
		}
	})
	t.Run("unknown state", func(t *testing.T) {
		callbackRefused(t, srv, oidcop.Browser(t), base+"/console/oidc/callback?state=forged&code=forged", "the state is unknown")
	})
	t.Run("another browser", func(t *testing.T) {
		// The victim's callback, carried to another browser (login
		// CSRF, or a stolen code): the state is bound to the browser
		// that began the login.
		c := oidcop.Browser(t)
		var callback string
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), base+"/console/oidc/callback") {
				callback = req.URL.String()
				return http.ErrUseLastResponse
			}
			return nil
		}
		oidcop.LogIn(t, c, base+"/console/oidc/login", "olivia", "eidas2")
		if callback == "" {
			t.Fatal("the provider did not redirect to the callback")
		}
		callbackRefused(t, srv, oidcop.Browser(t), callback, "the login was begun in another browser")
	})
}

// callbackRefused opens the callback u in the browser c and wants it
// refused (HTTP 401) and the refusal, whose reason begins with why, in the
// audit trail.
func callbackRefused(t *testing.T, srv *console.Server, c *http.Client, u, why string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the callback %s: HTTP %d, want 401", u, resp.StatusCode)
	}
	if !auditHas(t, srv, "(oidc)", "", "login", "failed: eID login failed: "+why) {
		t.Error("the refusal is not in the audit trail")
	}
}

// TestOIDCPasswordLoginDisabled: with DisablePasswordLogin the login page
// has no password form and a posted password is refused, even the right
// one; without it both ways are offered.
func TestOIDCPasswordLoginDisabled(t *testing.T) {
	db := tempDB(t)
	for _, disabled := range []bool{false, true} {
		srv, base := oidcConsole(t, db, noNode{}, "https://sso.example", func(o *console.OIDC) { o.DisablePasswordLogin = disabled })
		if !disabled {
			if err := srv.Accounts().Add(context.Background(), "lena", console.Operator, password("lena")); err != nil {
				t.Fatal(err)
			}
		}
		page := readPage(t, nil, base+"/console/login")
		if !strings.Contains(page, "Log in with Example SSO") || strings.Contains(page, `type="password"`) != !disabled {
			t.Errorf("disabled %v: login page\n%s", disabled, page)
		}
		req := mustReq(t, "POST", base+"/console/login", url.Values{"name": {"lena"}, "password": {password("lena")}}.Encode())
		want := http.StatusSeeOther
		if disabled {
			want = http.StatusForbidden
		}
		if st := do(t, nil, req); st != want {
			t.Errorf("disabled %v: password login HTTP %d, want %d", disabled, st, want)
		}
	}
}

// TestOIDCConfig: a wrong OIDC configuration is refused at start, naming
// the field.
func TestOIDCConfig(t *testing.T) {
	db := tempDB(t)
	good := func() *console.OIDC {
		return &console.OIDC{Issuer: "https://sso.example", ClientID: "console", RedirectURL: "https://admin.example/console/oidc/callback",
			Operators: []string{"ops"}}
	}
	for _, tc := range []struct {
		field string
		edit  func(*console.OIDC)
	}{
		{"OIDC.Issuer", func(o *console.OIDC) { o.Issuer = "" }},
		{"Issuer", func(o *console.OIDC) { o.Issuer = "http://sso.example" }},
		{"OIDC.ClientID", func(o *console.OIDC) { o.ClientID = "" }},
		{"OIDC.RedirectURL", func(o *console.OIDC) { o.RedirectURL = "https://admin.example/callback" }},
		{"OIDC.RedirectURL", func(o *console.OIDC) { o.RedirectURL = "/console/oidc/callback" }},
		{"OIDC.Administrators, Operators and Auditors", func(o *console.OIDC) { o.Operators = nil }},
		{"Allow", func(o *console.OIDC) { o.Allow = []string{""} }},
	} {
		o := good()
		tc.edit(o)
		_, err := console.New(context.Background(), console.Config{DB: db, Node: noNode{}, PMode: &pmode.Config{}, OIDC: o})
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: error %v, want one naming %s", o, err, tc.field)
		}
	}
	if _, err := console.New(context.Background(), console.Config{DB: db, Node: noNode{}, PMode: &pmode.Config{}, OIDC: good()}); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
}

var _ console.Node = (*resendingNode)(nil)

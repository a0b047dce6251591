package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// The console's security checks, on SQLite and PostgreSQL: each case
// fails without the check it names.
func TestSQLite(t *testing.T) { runSuite(t, nil, &suiteState{}) }

func TestPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	srv := pgtest.Start(t)
	dsns := map[string]string{}
	st := &suiteState{}
	runSuite(t, func(name string) string { dsns[name] = srv.NewDatabase(t); return dsns[name] }, st)
	// A second node of FR's cluster: its own connections to the shared
	// database, its own console, the same sessions and messages.
	t.Run("Cluster", func(t *testing.T) {
		ctx := context.Background()
		db, err := store.Open(ctx, dsns["AP_FR_01"])
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ids, err := db.SearchOutbound(ctx, store.Search{Partner: "AP_DE_01"})
		if err != nil || len(ids) == 0 {
			t.Fatalf("the cluster's messages: %v %v", ids, err)
		}
		other, err := console.New(ctx, console.Config{DB: db, Node: st.peer, PMode: st.peer.cfg.PMode})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(other.Handler())
		defer hs.Close()
		// The session of a login at the first node opens the second's.
		for _, u := range []string{"/console/messages", "/console/messages/out/" + url.PathEscape(ids[0].ID)} {
			body := readPage(t, st.jar, hs.URL+u)
			if !strings.Contains(body, ids[0].ID) {
				t.Errorf("the second node's %s lacks %s", u, ids[0].ID)
			}
		}
	})
}

// suiteState is what runSuite leaves for later cases: FR's node and a
// session of its console.
type suiteState struct {
	peer *peer
	jar  http.CookieJar
}

func runSuite(t *testing.T, dsn func(string) string, state *suiteState) {
	peers := network(t, dsn)
	state.peer = peers["AP_FR_01"]
	fr := peers["AP_FR_01"]
	srv, base := consoleFor(t, fr)
	ctx := context.Background()
	t.Run("LockOut", func(t *testing.T) {
		acc := srv.Accounts()
		if err := acc.Add(ctx, "lena", console.Operator, password("lena")); err != nil {
			t.Fatal(err)
		}
		if err := acc.Add(ctx, "lena", console.Operator, password("lena")); !errors.Is(err, console.ErrAccountExists) {
			t.Errorf("second add: %v", err)
		}
		if err := acc.Add(ctx, "short", console.Operator, "abc"); !errors.Is(err, console.ErrWeakPassword) {
			t.Errorf("short password: %v", err)
		}
		if err := acc.Add(ctx, "x", "root", password("x")); !errors.Is(err, console.ErrUnknownRole) {
			t.Errorf("unknown role: %v", err)
		}
		if role, err := acc.Authenticate(ctx, "lena", password("lena")); err != nil || role != console.Operator {
			t.Fatalf("right password: %v %v", role, err)
		}
		if _, err := acc.Authenticate(ctx, "nobody", password("lena")); !errors.Is(err, console.ErrBadCredentials) {
			t.Errorf("no such account: %v", err)
		}
		for i := 1; i < console.MaxFailures; i++ {
			if _, err := acc.Authenticate(ctx, "lena", "wrong-password-123"); !errors.Is(err, console.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, err := acc.Authenticate(ctx, "lena", "wrong-password-123"); !errors.Is(err, console.ErrLocked) {
			t.Fatalf("failure %d: %v", console.MaxFailures, err)
		}
		// Locked: the right password does not open it either.
		if _, err := acc.Authenticate(ctx, "lena", password("lena")); !errors.Is(err, console.ErrLocked) {
			t.Errorf("right password while locked: %v", err)
		}
	})
	t.Run("LoginFailureAlert", func(t *testing.T) {
		// lena is locked (LockOut); five logins with a name that is no
		// account fail on the form.
		for range 5 {
			req := mustReq(t, "POST", base+"/console/login", url.Values{"name": {"no-such-account"}, "password": {"wrong-password-123"}}.Encode())
			if code := do(t, nil, req); code != http.StatusUnauthorized {
				t.Fatalf("login: HTTP %d", code)
			}
		}
		got := alertsOf(t, console.AlertLoginFailures, srv)
		if len(got) != 2 || !strings.HasPrefix(got["lena"], "account lena is locked until ") ||
			!strings.HasPrefix(got[console.UnknownAccounts], "5 failed login(s) with names that are no account") {
			t.Errorf("alerts: %q", got)
		}
	})
	t.Run("SessionAndCSRF", func(t *testing.T) {
		c := loginHTTP(t, base, "olga")
		// No cookie: no page.
		resp, err := http.DefaultTransport.RoundTrip(mustReq(t, "GET", base+"/console/messages", ""))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login") {
			t.Errorf("no session: HTTP %d to %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		page := getPage(t, c, base+"/console/messages")
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
		csrf := csrfOf(t, c, base)
		// A POST from another site (its Origin), even with the token.
		req := mustReq(t, "POST", base+"/console/logout", url.Values{"csrf": {csrf}}.Encode())
		req.Header.Set("Origin", "https://evil.example")
		if code := do(t, c, req); code != http.StatusForbidden {
			t.Errorf("foreign origin: HTTP %d", code)
		}
		// A POST with a wrong token.
		if code := do(t, c, mustReq(t, "POST", base+"/console/logout", url.Values{"csrf": {"forged"}}.Encode())); code != http.StatusForbidden {
			t.Errorf("wrong token: HTTP %d", code)
		}
		// A login from another site.
		req = mustReq(t, "POST", base+"/console/login", url.Values{"name": {"olga"}, "password": {password("olga")}}.Encode())
		req.Header.Set("Origin", "https://evil.example")
		if code := do(t, nil, req); code != http.StatusForbidden {
			t.Errorf("login from a foreign origin: HTTP %d", code)
		}
		// Sessions per account are bounded: the oldest ends.
		first := loginHTTP(t, base, "adam")
		for range console.MaxSessions {
			loginHTTP(t, base, "adam")
		}
		if code := getStatus(t, first, base+"/console/messages"); code != http.StatusSeeOther {
			t.Errorf("the oldest of %d sessions: HTTP %d", console.MaxSessions+1, code)
		}
		// The redirect after login stays on the console.
		loginHTTPNext(t, base, "adam", "//evil.example/x")
	})
	t.Run("AuditChain", func(t *testing.T) {
		a := srv.Audit()
		if _, err := a.Record(ctx, console.AuditEntry{Actor: "test", Action: "probe", Target: "x", Outcome: "ok", Remote: "127.0.0.1:1"}); err != nil {
			t.Fatal(err)
		}
		n, err := a.Verify(ctx)
		if err != nil || n == 0 {
			t.Fatalf("Verify = %d, %v", n, err)
		}
		// An entry changed in the database breaks the chain there.
		db := fr.db
		if _, err := db.SQL().ExecContext(ctx, db.Rebind("UPDATE console_audit SET outcome = 'denied' WHERE seq = ?"), n); err != nil {
			t.Fatal(err)
		}
		var te *console.TamperError
		if _, err := a.Verify(ctx); !errors.As(err, &te) || te.Seq != n {
			t.Errorf("after a change: %v", err)
		}
		db.SQL().ExecContext(ctx, db.Rebind("UPDATE console_audit SET outcome = 'ok' WHERE seq = ?"), n)
		if _, err := a.Verify(ctx); err != nil {
			t.Errorf("restored: %v", err)
		}
		// A removed last entry: the head names it.
		if _, err := db.SQL().ExecContext(ctx, db.Rebind("DELETE FROM console_audit WHERE seq = ?"), n); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx); !errors.As(err, &te) {
			t.Errorf("after a removal: %v", err)
		}
	})
	t.Run("Journal", func(t *testing.T) {
		op, aud := loginHTTP(t, base, "olga"), loginHTTP(t, base, "aude")
		body := readPage(t, op, base+"/console/journal?conversation=conv-1")
		if strings.Count(body, "<td>request.sent</td>")+strings.Count(body, "<td>response.received</td>") != 2 || strings.Contains(body, "conv-2") ||
			!strings.Contains(body, "Hash chain verified: 3 entries") {
			t.Errorf("by conversation: %s", body)
		}
		if body := readPage(t, op, base+"/console/journal?exchange=ex-2"); !strings.Contains(body, "conv-2") || strings.Contains(body, ">conv-1<") {
			t.Errorf("by exchange: %s", body)
		}
		// Only auditors and administrators search by person.
		if resp := getStatus(t, op, base+"/console/journal?person=Dupont"); resp != http.StatusForbidden {
			t.Errorf("operator's search by person: HTTP %d", resp)
		}
		body = readPage(t, aud, base+"/console/journal?person=dupont")
		if !strings.Contains(body, "Marie Dupont (FR/DE/123456)") || strings.Contains(body, "Kowalski") {
			t.Errorf("by person: %s", body)
		}
		list, _ := srv.Audit().List(ctx, console.AuditFilter{Action: "journal.search_person"})
		if len(list) != 2 || strings.Contains(list[0].Target+list[1].Target, "Dupont") {
			t.Errorf("audit of the person searches: %+v", list)
		}
	})
	t.Run("Search", func(t *testing.T) {
		st, _, err := fr.Submit(ctx, submission("q-search"))
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, fr, st.MessageID, 20*time.Second)
		c := loginHTTP(t, base, "adam")
		state.jar = c
		body := readPage(t, c, base+"/console/messages?partner=AP_DE_01&id="+url.QueryEscape(st.MessageID))
		if !strings.Contains(body, st.MessageID) {
			t.Errorf("search by id: %s", body)
		}
		o, _ := fr.db.Outbound(ctx, st.MessageID)
		var conv struct {
			ConversationID string `json:"conversationId"`
		}
		json.Unmarshal(o.Body, &conv)
		body = readPage(t, c, base+"/console/messages?conversation="+url.QueryEscape(conv.ConversationID))
		if conv.ConversationID == "" || !strings.Contains(body, st.MessageID) || strings.Count(body, "/console/messages/out/") != 1 {
			t.Errorf("search by conversation %q: %s", conv.ConversationID, body)
		}
		body = readPage(t, c, base+"/console/messages?from=yesterday")
		if !strings.Contains(body, "is not a time") {
			t.Errorf("a bad time: %s", body)
		}
		body = readPage(t, c, base+"/console/messages/out/"+st.MessageID)
		if !strings.Contains(body, "ExecuteQueryRequest") || !strings.Contains(body, "request@oots.eu") {
			t.Errorf("message page lacks its header or payload: %s", body)
		}
	})
}

func mustReq(t *testing.T, method, u, form string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, jar http.CookieJar, req *http.Request) int {
	t.Helper()
	resp, err := noRedirect(jar).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func loginHTTP(t *testing.T, base, name string) http.CookieJar {
	return loginHTTPNext(t, base, name, "/console/messages")
}

func loginHTTPNext(t *testing.T, base, name, next string) http.CookieJar {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	req := mustReq(t, "POST", base+"/console/login", url.Values{"name": {name}, "password": {password(name)}, "next": {next}}.Encode())
	resp, err := noRedirect(jar).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/") {
		t.Fatalf("login %s: HTTP %d to %q", name, resp.StatusCode, loc)
	}
	return jar
}

func getStatus(t *testing.T, jar http.CookieJar, u string) int {
	t.Helper()
	resp, err := noRedirect(jar).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getPage(t *testing.T, jar http.CookieJar, u string) *http.Response {
	t.Helper()
	resp, err := noRedirect(jar).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return resp
}

func readPage(t *testing.T, jar http.CookieJar, u string) string {
	t.Helper()
	resp, err := noRedirect(jar).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, jar http.CookieJar, base string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(readPage(t, jar, base+"/console/messages"))
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	return m[1]
}

package console_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/store"
)

// TestAlertLoginFailures: failed logins on the console's login form raise
// login_failures alerts for the account that was locked, for the names
// that are no account, and for all names together; naming the accounts
// and their counts but neither a password nor a name that is no account
// (here one looks like a password typed into the name field). They are on
// the alerts page, in the metric, and sent by webhook and e-mail once,
// although their counts grow; once the window and the lock have passed,
// they clear.
func TestAlertLoginFailures(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // unix ms; the handlers read it on the server's goroutines
	clock.Store(start.UnixMilli())
	now := func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := console.New(ctx, console.Config{DB: db, Node: noNode{}, PMode: &pmode.Config{Self: "AP_FR_01"}, Now: now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]console.Role{"lena": console.Operator, "adam": console.Administrator} {
		if err := srv.Accounts().Add(ctx, name, role, password(name)); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	const wrong, typed = "wrong-password-5813", "Typed-As-Name-7731"
	fail := func(name, pw string) {
		t.Helper()
		req := mustReq(t, "POST", hs.URL+"/console/login", url.Values{"name": {name}, "password": {pw}}.Encode())
		if code := do(t, nil, req); code != http.StatusUnauthorized {
			t.Fatalf("login %s: HTTP %d", name, code)
		}
	}
	admin := loginHTTP(t, hs.URL, "adam")

	for range console.MaxFailures - 1 {
		fail("lena", wrong)
	}
	if got := alertsOf(t, console.AlertLoginFailures, srv); len(got) != 0 {
		t.Errorf("below the threshold: %q", got)
	}
	fail("lena", wrong) // the fifth: locked
	for range 5 {
		fail(typed, wrong)
	}
	want := map[string]string{
		"lena":                  "5 failed login(s) of account lena in the last 15m0s; it is locked until 2026-03-01T12:15:00Z after 5 wrong passwords in a row",
		console.UnknownAccounts: "5 failed login(s) with names that are no account in the last 15m0s (the names are in the audit trail)",
		console.AllAccounts:     "10 failed login(s) in the last 15m0s: (unknown accounts) 5, lena 5",
	}
	if diff := cmp.Diff(want, alertsOf(t, console.AlertLoginFailures, srv)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	noSecret := func(what, s string) {
		t.Helper()
		if strings.Contains(s, wrong) || strings.Contains(s, typed) {
			t.Errorf("%s shows a password or a name that is no account:\n%s", what, s)
		}
	}

	page := readPage(t, admin, hs.URL+"/console/alerts")
	for _, s := range []string{`<tr class="alert-login_failures">`, "5 failed login(s) of account lena", console.UnknownAccounts, "10 failed login(s)"} {
		if !strings.Contains(page, s) {
			t.Errorf("the alerts page lacks %q:\n%s", s, page)
		}
	}
	noSecret("the alerts page", page)

	reg := prometheus.NewRegistry()
	reg.MustRegister(srv.Collector())
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, s := range []string{`oots_console_alerts{kind="login_failures",subject="lena"} 1`, `oots_console_alerts{kind="login_failures",subject="(unknown accounts)"} 1`,
		`oots_console_alerts{kind="login_failures",subject="(all accounts)"} 1`} {
		if !strings.Contains(rec.Body.String(), s) {
			t.Errorf("the metrics lack %s:\n%s", s, rec.Body.String())
		}
	}
	noSecret("the metrics", rec.Body.String())

	// Sent once, although a further failed login changes the counts.
	n := notify(t, srv, 20*time.Millisecond, true)
	n.wait(t, 1)
	fail("lena", wrong)
	if d := alertsOf(t, console.AlertLoginFailures, srv)["lena"]; !strings.HasPrefix(d, "6 failed login(s)") {
		t.Errorf("after one more: %q", d)
	}
	time.Sleep(200 * time.Millisecond) // rounds with the new counts: nothing new to send
	n.stop()
	posts, mails := n.sent(), n.mails
	var sent []console.Alert
	if len(posts) != 1 || json.Unmarshal([]byte(posts[0]), &sent) != nil || len(sent) != 3 {
		t.Errorf("webhook posts: %q", posts)
	}
	if m := mails.all(); len(m) != 1 || !strings.Contains(m[0], "login_failures lena: 5 failed login(s)") {
		t.Errorf("mails: %q", m)
	}
	for _, s := range append(posts, mails.all()...) {
		noSecret("a notification", s)
	}

	// With a window of a minute, two minutes on: lena is still locked.
	clock.Store(start.Add(2 * time.Minute).UnixMilli())
	short, err := console.New(ctx, console.Config{DB: db, Node: noNode{}, PMode: &pmode.Config{Self: "AP_FR_01"}, Now: now, Logger: quiet,
		LoginFailures: console.LoginAlert{Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"lena": "account lena is locked until 2026-03-01T12:15:00Z after 5 wrong passwords in a row"}
	if diff := cmp.Diff(want, alertsOf(t, console.AlertLoginFailures, short)); diff != "" {
		t.Errorf("locked, the failures out of the window (-want +got):\n%s", diff)
	}

	// The window and the lock over: no alert.
	clock.Store(start.Add(console.LockFor + time.Second).UnixMilli())
	if got := alertsOf(t, console.AlertLoginFailures, srv); len(got) != 0 {
		t.Errorf("after the window: %q", got)
	}
	if page := readPage(t, admin, hs.URL+"/console/alerts"); !strings.Contains(page, `id="no-alerts"`) {
		t.Errorf("the alerts page after the window:\n%s", page)
	}
}

// alertsOf returns the details of s's alerts of a kind by subject.
func alertsOf(t *testing.T, kind string, s *console.Server) map[string]string {
	t.Helper()
	list, err := s.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range list {
		if a.Kind == kind {
			got[a.Subject] = a.Detail
		}
	}
	return got
}

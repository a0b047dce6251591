package oidc_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/internal/oidcop"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// cluster is two instances of one relying party on one database behind a
// load balancer that sends each path where route says (default a), logging
// in at oidc-provider.
type cluster struct {
	a, b  *oidc.Authenticator
	url   string
	mu    sync.Mutex
	now   time.Time
	route map[string]*oidc.Authenticator
}

func (c *cluster) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cluster) set(f func()) {
	c.mu.Lock()
	f()
	c.mu.Unlock()
}

func startCluster(t *testing.T, dsn string, mod func(*oidc.Config)) *cluster {
	oidcop.Module(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := oidcop.Start(t, oidcop.FreePort(t), oidcop.RSAKey(t, "key-1"), "http://"+l.Addr().String()+"/cb")
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &cluster{now: time.Now(), route: map[string]*oidc.Authenticator{}}
	for _, dst := range []**oidc.Authenticator{&c.a, &c.b} {
		ps, err := oidc.NewSQLPending(context.Background(), db, "portal")
		if err != nil {
			t.Fatal(err)
		}
		cfg := standardConfig(o.Issuer)
		cfg.Pending, cfg.Now = ps, c.clock
		if mod != nil {
			mod(&cfg)
		}
		if *dst, err = oidc.New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		a := c.route[r.URL.Path]
		c.mu.Unlock()
		if a == nil {
			a = c.a
		}
		switch r.URL.Path {
		case "/login":
			a.Begin(w, r, appState, "/cb")
		case "/cb":
			s, st, err := a.Finish(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			io.WriteString(w, st+" "+s.Person.Identifier)
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// callback logs in at the provider from a login begun at /login and
// returns the browser and the callback it was sent to, not yet followed.
func (c *cluster) callback(t *testing.T) (*http.Client, string) {
	br := oidcop.Browser(t)
	br.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/cb" && strings.HasPrefix(r.URL.String(), c.url) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, body := oidcop.LogIn(t, br, c.url+"/login", "marie", "eidas2")
	cb := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || !strings.Contains(cb, "state=") {
		t.Fatalf("no redirect to the callback: HTTP %d %s %.300s", resp.StatusCode, cb, body)
	}
	return br, cb
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestClusterSQLite and TestClusterPostgreSQL: with SQLPending, a login
// begun on one instance ends on the other, once.
func TestClusterSQLite(t *testing.T) {
	clusterSuite(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "oots.db") })
}

func TestClusterPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	srv := pgtest.Start(t)
	clusterSuite(t, func(t *testing.T) string { return srv.NewDatabase(t) })
}

func clusterSuite(t *testing.T, dsn func(*testing.T) string) {
	t.Run("begun on A and finished on B once", func(t *testing.T) {
		c := startCluster(t, dsn(t), nil)
		br, cb := c.callback(t)
		c.set(func() { c.route["/cb"] = c.b })
		if st, body := get(t, br, cb); st != http.StatusOK || body != appState+" FR/DE/1234567890" {
			t.Fatalf("callback on B: HTTP %d %s", st, body)
		}
		c.set(func() { c.route["/cb"] = c.a })
		if st, body := get(t, br, cb); st != http.StatusUnauthorized || !strings.Contains(body, "unknown, used already") {
			t.Errorf("the callback again, on A: HTTP %d %s", st, body)
		}
		if n := c.a.Pending() + c.b.Pending(); n != 0 {
			t.Errorf("%d logins pending after Finish", n)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c := startCluster(t, dsn(t), func(cfg *oidc.Config) { cfg.LoginTTL = time.Minute })
		br, cb := c.callback(t)
		c.set(func() { c.route["/cb"] = c.b; c.now = c.now.Add(2 * time.Minute) })
		if st, body := get(t, br, cb); st != http.StatusUnauthorized || !strings.Contains(body, "took too long") {
			t.Errorf("HTTP %d %s", st, body)
		}
	})
	t.Run("MaxPending across instances", func(t *testing.T) {
		c := startCluster(t, dsn(t), func(cfg *oidc.Config) { cfg.MaxPending = 1 })
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if st, body := get(t, noFollow, c.url+"/login?eid=FR"); st != http.StatusSeeOther {
			t.Fatalf("first login on A: HTTP %d %s", st, body)
		}
		c.set(func() { c.route["/login"] = c.b })
		if st, body := get(t, noFollow, c.url+"/login?eid=FR"); st != http.StatusServiceUnavailable {
			t.Errorf("second login on B: HTTP %d %s", st, body)
		}
		if n := c.b.Pending(); n != 1 {
			t.Errorf("B counts %d logins pending, want 1", n)
		}
	})
}

package saml

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/internal/samlidp"
	"github.com/oots-go/oots/store"
)

// sqliteDSN and postgresDSN give the database of one test; postgresDSN
// skips the test without PostgreSQL (unless OOTS_REQUIRE_VERIFIERS=1).
func sqliteDSN(t *testing.T) string { return filepath.Join(t.TempDir(), "oots.db") }

func postgresDSN(t *testing.T) string {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	return pgtest.Start(t).NewDatabase(t)
}

func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqlInstances returns the stores of two instances of one service
// provider on one database.
func sqlInstances(dsn func(*testing.T) string) func(*testing.T) (PendingStore, PendingStore) {
	return func(t *testing.T) (PendingStore, PendingStore) {
		db := openDB(t, dsn(t))
		a, err := NewSQLPending(context.Background(), db, "portal")
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewSQLPending(context.Background(), db, "portal")
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// TestPendingStore runs one suite against every PendingStore: the memory
// of one process (both "instances" are the same store) and the database.
func TestPendingStore(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		pendingSuite(t, func(*testing.T) (PendingStore, PendingStore) { m := newMemoryPending(); return m, m })
	})
	t.Run("SQLite", func(t *testing.T) { pendingSuite(t, sqlInstances(sqliteDSN)) })
	t.Run("PostgreSQL", func(t *testing.T) { pendingSuite(t, sqlInstances(postgresDSN)) })
}

func pendingSuite(t *testing.T, open func(*testing.T) (PendingStore, PendingStore)) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := PendingLogin{Country: "BE", AppState: "app", Callback: "https://portal.example/cb", RequestID: "_r1", Expires: t0.Add(10 * time.Minute)}
	l.Browser[0], l.Browser[31] = 7, 9

	t.Run("one login across instances", func(t *testing.T) {
		a, b := open(t)
		if err := a.Hold(ctx, "relay1", l, 10, t0); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.Has(ctx, "relay1"); !ok || err != nil {
			t.Errorf("Has on the other instance: %v %v", ok, err)
		}
		if _, _, err := b.Take(ctx, "relay1"); !errors.Is(err, ErrNoLogin) {
			t.Errorf("Take before the answer: %v", err)
		}
		got, err := b.Answer(ctx, "relay1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Expires.Equal(l.Expires) {
			t.Errorf("expires %v, want %v", got.Expires, l.Expires)
		}
		got.Expires = l.Expires
		if got != l {
			t.Errorf("answered %+v, want %+v", got, l)
		}
		if _, err := a.Answer(ctx, "relay1"); !errors.Is(err, ErrNoLogin) {
			t.Errorf("second answer: %v", err)
		}
		s := &eid.Subject{Person: &eid.NaturalPerson{Identifier: "BE/NL/1", FamilyName: "Janssens"}, LoA: eid.LoAHigh, Country: "BE", AuthTime: t0.Truncate(time.Second)}
		if err := b.Settle(ctx, "relay1", Outcome{Subject: s}); err != nil {
			t.Fatal(err)
		}
		got, o, err := a.Take(ctx, "relay1")
		if err != nil || o.Err != nil {
			t.Fatal(err, o.Err)
		}
		if got.AppState != "app" || got.Browser != l.Browser || o.Subject.Person.Identifier != "BE/NL/1" || o.Subject.LoA != eid.LoAHigh || !o.Subject.AuthTime.Equal(s.AuthTime) {
			t.Errorf("taken %+v %+v", got, o.Subject)
		}
		if _, _, err := b.Take(ctx, "relay1"); !errors.Is(err, ErrNoLogin) {
			t.Errorf("second take: %v", err)
		}
		if ok, _ := a.Has(ctx, "relay1"); ok {
			t.Error("the login is still there after Take")
		}
		if _, err := a.Answer(ctx, ""); !errors.Is(err, ErrNoLogin) {
			t.Errorf("empty RelayState: %v", err)
		}
	})

	t.Run("refusal", func(t *testing.T) {
		a, b := open(t)
		if err := a.Hold(ctx, "relay2", l, 10, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Answer(ctx, "relay2"); err != nil {
			t.Fatal(err)
		}
		st := &Status{Code: statusPrefix + "Responder", SubCode: statusPrefix + "NoAuthnContext", Message: "too low"}
		if err := b.Settle(ctx, "relay2", Outcome{Err: fmt.Errorf("check: %w", st)}); err != nil {
			t.Fatal(err)
		}
		_, o, err := a.Take(ctx, "relay2")
		if err != nil {
			t.Fatal(err)
		}
		var got *Status
		if o.Subject != nil || !errors.Is(o.Err, eid.ErrLoA) || errors.Is(o.Err, ErrCancelled) || !errors.As(o.Err, &got) || *got != *st ||
			o.Err.Error() != "check: "+st.Error() {
			t.Errorf("outcome %v (%#v)", o.Err, o.Err)
		}
	})

	t.Run("MaxPending and expiry", func(t *testing.T) {
		a, b := open(t)
		for i, s := range []PendingStore{a, b} {
			if err := s.Hold(ctx, fmt.Sprint("max", i), l, 2, t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Hold(ctx, "max3", l, 2, t0); !errors.Is(err, ErrTooManyLogins) {
			t.Errorf("third login: %v", err)
		}
		if err := a.Hold(ctx, "max3", l, 2, t0); !errors.Is(err, ErrTooManyLogins) {
			t.Errorf("third login on the other instance: %v", err)
		}
		if n, err := a.Count(ctx); n != 2 || err != nil {
			t.Errorf("Count %d %v", n, err)
		}
		// Once expired, they make room.
		if err := b.Hold(ctx, "max3", l, 2, l.Expires); err != nil {
			t.Errorf("after expiry: %v", err)
		}
		if n, _ := a.Count(ctx); n != 1 {
			t.Errorf("Count %d after the purge, want 1", n)
		}
	})
}

// TestSQLPendingKeepsApplicationsApart: the portal's and the preview
// space's service providers share the database but not their logins.
func TestSQLPendingKeepsApplicationsApart(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqliteDSN(t))
	portal, err := NewSQLPending(ctx, db, "portal")
	if err != nil {
		t.Fatal(err)
	}
	preview, err := NewSQLPending(ctx, db, "preview")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := portal.Hold(ctx, "r", PendingLogin{Expires: now.Add(time.Minute)}, 1, now); err != nil {
		t.Fatal(err)
	}
	if ok, _ := preview.Has(ctx, "r"); ok {
		t.Error("the preview space sees the portal's login")
	}
	if _, err := preview.Answer(ctx, "r"); !errors.Is(err, ErrNoLogin) {
		t.Errorf("the preview space answers the portal's login: %v", err)
	}
	if err := preview.Hold(ctx, "r2", PendingLogin{Expires: now.Add(time.Minute)}, 1, now); err != nil {
		t.Errorf("the portal's login counts against the preview space's MaxPending: %v", err)
	}
	if _, err := NewSQLPending(ctx, db, ""); err == nil {
		t.Error("an empty name accepted")
	}
}

// cluster is two instances of one service provider on one database behind
// a load balancer that sends each path where route says, all logging in
// through the pysaml2 identity provider.
type cluster struct {
	a, b  *Authenticator
	srv   *httptest.Server
	idp   *samlidp.IdP
	mu    sync.Mutex
	now   time.Time
	route map[string]*Authenticator // by path; default a
}

func (c *cluster) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cluster) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// to sends path to instance i from now on.
func (c *cluster) to(path string, i *Authenticator) {
	c.mu.Lock()
	c.route[path] = i
	c.mu.Unlock()
}

func startCluster(t *testing.T, dsn string, mod func(*Config)) *cluster {
	if testing.Short() {
		t.Skip("starts a Python identity provider")
	}
	idp := samlidp.New(t)
	testKeys(t)
	c := &cluster{idp: idp, now: time.Now(), route: map[string]*Authenticator{}}
	handlers := map[*Authenticator]http.Handler{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		i := c.route[r.URL.Path]
		c.mu.Unlock()
		if i == nil {
			i = c.a
		}
		handlers[i].ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	db := openDB(t, dsn)
	for _, dst := range []**Authenticator{&c.a, &c.b} {
		ctx := context.Background()
		rc, err := NewSQLReplay(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := NewSQLPending(ctx, db, "portal")
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{BaseURL: c.srv.URL, Country: "NL", SigningKey: spSign, SigningCert: spSignC, EncryptionKey: spEnc, EncryptionCert: spEncC,
			Replay: rc, Pending: ps, Now: c.clock, Nodes: map[string]Node{"BE": {EntityID: idp.EntityID, MetadataURL: idp.EntityID, Anchor: idp.Cert}}}
		if mod != nil {
			mod(&cfg)
		}
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		handlers[a] = a.Handler(testApp(a))
		*dst = a
	}
	md, err := c.a.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp.Start(t, md)
	return c
}

// answer goes through the journey up to the node's answer, with a browser
// that does not follow redirects: Begin, the identity provider's login
// form, its auto-posted response. It returns the browser and the form to
// post to our ACS.
func (c *cluster) answer(t *testing.T) (*http.Client, string, map[string][]string) {
	jar, _ := cookiejar.New(nil)
	br := &http.Client{Jar: jar}
	page := read(t)(br.Get(c.srv.URL + "/login?eid=BE"))
	action, v := form(t, page)
	page = read(t)(br.PostForm(action, v))
	action, v = form(t, page)
	v.Set("user", "marie")
	v.Set("password", "pw")
	page = read(t)(br.PostForm(action, v))
	action, v = form(t, page)
	if v.Get("SAMLResponse") == "" {
		t.Fatalf("the identity provider gave no SAMLResponse: %.1000s", page)
	}
	br.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return br, action, v
}

// TestClusterSQLite and TestClusterPostgreSQL: with SQLPending, a login
// begun on one instance is answered and finished on the other, once.
func TestClusterSQLite(t *testing.T)     { clusterSuite(t, sqliteDSN) }
func TestClusterPostgreSQL(t *testing.T) { clusterSuite(t, postgresDSN) }

func clusterSuite(t *testing.T, dsn func(*testing.T) string) {
	t.Run("answered on B then finished on A", func(t *testing.T) {
		c := startCluster(t, dsn(t), nil)
		c.to(ACSPath, c.b)
		br, action, v := c.answer(t)
		res, err := br.PostForm(action, v)
		readBody(t, res, err)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("ACS on B: HTTP %d", res.StatusCode)
		}
		callback := res.Header.Get("Location")
		// The same answer posted again, to A: refused before anything
		// else, and the login keeps its outcome.
		c.to(ACSPath, c.a)
		res, err = br.PostForm(action, v)
		if body := readBody(t, res, err); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "belongs to no login under way") {
			t.Errorf("second ACS POST on A: HTTP %d %.300s", res.StatusCode, body)
		}
		res, err = br.Get(callback)
		body := readBody(t, res, err)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "BE/NL/1234567890") {
			t.Fatalf("callback on A: HTTP %d %s", res.StatusCode, body)
		}
		c.to("/login/callback", c.b)
		res, err = br.Get(callback)
		if body := readBody(t, res, err); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "unknown, used already") {
			t.Errorf("the callback again, on B: HTTP %d %.300s", res.StatusCode, body)
		}
		if n := c.a.Pending() + c.b.Pending(); n != 0 {
			t.Errorf("%d logins pending after Finish", n)
		}
	})
	t.Run("answered and finished on B", func(t *testing.T) {
		c := startCluster(t, dsn(t), nil)
		c.to(ACSPath, c.b)
		c.to("/login/callback", c.b)
		br, action, v := c.answer(t)
		br.CheckRedirect = nil
		res, err := br.PostForm(action, v)
		if body := readBody(t, res, err); res.StatusCode != http.StatusOK || !strings.Contains(body, "BE/NL/1234567890") {
			t.Fatalf("HTTP %d %s", res.StatusCode, body)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c := startCluster(t, dsn(t), func(cfg *Config) { cfg.LoginTTL = time.Minute })
		c.to(ACSPath, c.b)
		br, action, v := c.answer(t)
		c.advance(2 * time.Minute)
		br.CheckRedirect = nil
		res, err := br.PostForm(action, v)
		if body := readBody(t, res, err); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "took too long") {
			t.Errorf("HTTP %d %.300s", res.StatusCode, body)
		}
	})
	t.Run("MaxPending across instances", func(t *testing.T) {
		c := startCluster(t, dsn(t), func(cfg *Config) { cfg.MaxPending = 1 })
		res, err := http.Get(c.srv.URL + "/login?eid=BE")
		if body := readBody(t, res, err); res.StatusCode != http.StatusOK {
			t.Fatalf("first login on A: HTTP %d %.300s", res.StatusCode, body)
		}
		c.to("/login", c.b)
		res, err = http.Get(c.srv.URL + "/login?eid=BE")
		if body := readBody(t, res, err); res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("second login on B: HTTP %d %.300s", res.StatusCode, body)
		}
		if n := c.b.Pending(); n != 1 {
			t.Errorf("B counts %d logins pending, want 1", n)
		}
	})
}

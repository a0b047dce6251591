package oidc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// TestPendingStore runs one suite against every PendingStore: the memory
// of one process (both "instances" are the same store) and the database,
// SQLite and PostgreSQL (two instances on one database).
func TestPendingStore(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		pendingSuite(t, func(*testing.T) (PendingStore, PendingStore) { m := newMemoryPending(); return m, m })
	})
	sqlInstances := func(dsn func(*testing.T) string) func(*testing.T) (PendingStore, PendingStore) {
		return func(t *testing.T) (PendingStore, PendingStore) {
			db, err := store.Open(context.Background(), dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			a, err := NewSQLPending(context.Background(), db, "portal")
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewSQLPending(context.Background(), db, "portal")
			if err != nil {
				t.Fatal(err)
			}
			if other, err := NewSQLPending(context.Background(), db, "console"); err != nil {
				t.Fatal(err)
			} else if err := other.Hold(context.Background(), "s1", PendingLogin{Expires: time.Now().Add(time.Hour)}, 1, time.Now()); err != nil {
				t.Fatal(err) // another application's login, which the suite must not see
			}
			return a, b
		}
	}
	t.Run("SQLite", func(t *testing.T) {
		pendingSuite(t, sqlInstances(func(t *testing.T) string { return filepath.Join(t.TempDir(), "oots.db") }))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		if testing.Short() {
			t.Skip("starts PostgreSQL")
		}
		srv := pgtest.Start(t)
		pendingSuite(t, sqlInstances(func(t *testing.T) string { return srv.NewDatabase(t) }))
	})
}

func pendingSuite(t *testing.T, open func(*testing.T) (PendingStore, PendingStore)) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := PendingLogin{Provider: "FR", AppState: "app", RedirectURI: "https://portal.example/cb", Nonce: "n", CodeVerifier: "v", Expires: t0.Add(10 * time.Minute)}
	l.Browser[0], l.Browser[31] = 7, 9

	t.Run("taken once across instances", func(t *testing.T) {
		a, b := open(t)
		if err := a.Hold(ctx, "s1", l, 10, t0); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.Has(ctx, "s1"); !ok || err != nil {
			t.Errorf("Has on the other instance: %v %v", ok, err)
		}
		got, err := b.Take(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Expires.Equal(l.Expires) {
			t.Errorf("expires %v, want %v", got.Expires, l.Expires)
		}
		got.Expires = l.Expires
		if got != l {
			t.Errorf("taken %+v, want %+v", got, l)
		}
		if _, err := a.Take(ctx, "s1"); !errors.Is(err, ErrNoLogin) {
			t.Errorf("second take: %v", err)
		}
		if ok, _ := a.Has(ctx, "s1"); ok {
			t.Error("the login is still there after Take")
		}
		if _, err := a.Take(ctx, ""); !errors.Is(err, ErrNoLogin) {
			t.Errorf("empty state: %v", err)
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
		if n, err := b.Count(ctx); n != 2 || err != nil {
			t.Errorf("Count %d %v", n, err)
		}
		if err := b.Hold(ctx, "max3", l, 2, l.Expires); err != nil {
			t.Errorf("after expiry: %v", err)
		}
		if n, _ := a.Count(ctx); n != 1 {
			t.Errorf("Count %d after the purge, want 1", n)
		}
	})
}

package saml

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// TestReplaySQLite and TestReplayPostgreSQL run one suite against the
// replay cache in both databases.
func TestReplaySQLite(t *testing.T) {
	replaySuite(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "oots.db") })
}

func TestReplayPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	srv := pgtest.Start(t)
	replaySuite(t, func(t *testing.T) string { return srv.NewDatabase(t) })
}

func replaySuite(t *testing.T, dsn func(*testing.T) string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	rc, err := NewSQLReplay(ctx, db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	// A second cache on the same database (another instance) shares it,
	// and migrating again is harmless.
	other, err := NewSQLReplay(ctx, db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Use(ctx, "node a1", t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := rc.Use(ctx, "node a1", t0.Add(5*time.Minute)); !errors.Is(err, ErrReplay) {
		t.Errorf("second use: %v", err)
	}
	if err := other.Use(ctx, "node a1", t0.Add(5*time.Minute)); !errors.Is(err, ErrReplay) {
		t.Errorf("second use on another instance: %v", err)
	}
	if err := rc.Use(ctx, "node a2", t0.Add(5*time.Minute)); err != nil {
		t.Errorf("another assertion: %v", err)
	}
	// Expired entries are purged (the assertion itself is refused as
	// expired by then).
	now = t0.Add(6 * time.Minute)
	if err := rc.Use(ctx, "node a3", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM saml_replay`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d entries after the purge, want 1", n)
	}
	if err := rc.Use(ctx, "", now); err == nil {
		t.Error("empty ID accepted")
	}
}

package saml

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/store"
)

// ReplayCache remembers the assertions accepted until they expire, so that
// each is accepted once (SAML 2.0 Profiles §4.1.4.5). The Authenticator
// declares what it needs; SQLReplay, in the node's database, implements it,
// so that every instance of a cluster refuses an assertion another one
// accepted.
type ReplayCache interface {
	// Use records id as used until expires; it returns ErrReplay when id
	// was recorded before and has not expired.
	Use(ctx context.Context, id string, expires time.Time) error
}

// ErrReplay: the assertion was accepted before.
var ErrReplay = errors.New("the assertion was used before")

//go:embed migrations
var migrations embed.FS

// Component is the name of the replay cache's migrations in the node's
// database (package store); its table is saml_replay.
const Component = "saml"

// SQLReplay is the ReplayCache in the node's database (SQLite or
// PostgreSQL): the primary key on the assertion ID makes the second insert
// fail, whichever instance tries it.
type SQLReplay struct {
	db  *store.DB
	now func() time.Time
}

var _ ReplayCache = (*SQLReplay)(nil)

// NewSQLReplay applies the cache's migrations to db and returns it; now is
// the clock that purges expired entries (default time.Now).
func NewSQLReplay(ctx context.Context, db *store.DB, now func() time.Time) (*SQLReplay, error) {
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("saml: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &SQLReplay{db: db, now: now}, nil
}

// maxIDLength bounds the identifiers stored (SAML IDs are xs:ID; eIDAS
// nodes make them of a few dozen characters).
const maxIDLength = 512

// Use implements ReplayCache. Entries expired are deleted first, so the
// table holds only the assertions still valid.
func (s *SQLReplay) Use(ctx context.Context, id string, expires time.Time) error {
	if id == "" || len(id) > maxIDLength {
		return fmt.Errorf("saml: assertion ID of %d characters", len(id))
	}
	db := s.db.SQL()
	if _, err := db.ExecContext(ctx, s.db.Rebind(`DELETE FROM saml_replay WHERE expires <= ?`), s.now().UnixMilli()); err != nil {
		return fmt.Errorf("saml: replay cache: %w", err)
	}
	res, err := db.ExecContext(ctx, s.db.Rebind(`INSERT INTO saml_replay (id, expires) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`), id, expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("saml: replay cache: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("saml: replay cache: %w", err)
	} else if n == 0 {
		return ErrReplay
	}
	return nil
}

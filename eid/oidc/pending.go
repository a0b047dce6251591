package oidc

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/eid/internal/pending"
	"github.com/oots-go/oots/store"
)

// PendingStore keeps the logins begun and not finished, from Begin to the
// callback. The Authenticator and the Client declare what they need; the
// default keeps them in the memory of the process, SQLPending in the node's
// database, so that the callback may reach any instance of a cluster.
type PendingStore interface {
	// Hold records l under state. It forgets the logins expired at now
	// first, and returns ErrTooManyLogins when max are still pending.
	Hold(ctx context.Context, state string, l PendingLogin, max int, now time.Time) error
	// Take removes the login of state and returns it, once, whichever
	// instance asks; ErrNoLogin when there is none.
	Take(ctx context.Context, state string) (PendingLogin, error)
	// Has reports whether state names a login begun and not finished.
	Has(ctx context.Context, state string) (bool, error)
	// Count returns the number of logins begun and not finished.
	Count(ctx context.Context) (int, error)
}

// PendingLogin is what a PendingStore keeps of a login.
type PendingLogin struct {
	Provider     string // the key of the provider in Config.Providers
	AppState     string // given back by Finish
	RedirectURI  string // the callback, absolute, sent again to the token endpoint
	Nonce        string
	CodeVerifier string // PKCE (RFC 7636)
	// Browser is the hash of the cookie that binds the login to the
	// browser that began it.
	Browser [sha256.Size]byte
	Expires time.Time
}

// Errors of a PendingStore.
var (
	// ErrNoLogin: no login under way has this state (it was never
	// begun, or was finished already).
	ErrNoLogin = errors.New("oidc: no such login under way")
	// ErrTooManyLogins: Config.MaxPending logins are under way.
	ErrTooManyLogins = errors.New("oidc: too many logins under way")
)

// memoryPending is the PendingStore of one process, the default.
type memoryPending struct{ m *pending.Map[PendingLogin] }

var _ PendingStore = memoryPending{}

func newMemoryPending() memoryPending { return memoryPending{pending.NewMap[PendingLogin]()} }

func (m memoryPending) Hold(_ context.Context, state string, l PendingLogin, max int, now time.Time) error {
	if !m.m.Hold(state, l, max, func(v PendingLogin) bool { return !now.Before(v.Expires) }) {
		return ErrTooManyLogins
	}
	return nil
}

func (m memoryPending) Take(_ context.Context, state string) (l PendingLogin, err error) {
	m.m.With(state, func(v PendingLogin, ok bool) bool {
		if !ok {
			err = ErrNoLogin
		}
		l = v
		return ok
	})
	return l, err
}

func (m memoryPending) Has(_ context.Context, state string) (bool, error) { return m.m.Has(state), nil }

func (m memoryPending) Count(context.Context) (int, error) { return m.m.Count(), nil }

//go:embed migrations
var migrations embed.FS

// Component is the name of the package's migrations in the node's
// database (package store); its table is oidc_pending.
const Component = "oidc"

// maxStateLength bounds the states looked up (ours are 43 characters).
const maxStateLength = 512

// SQLPending is the PendingStore in the node's database (SQLite or
// PostgreSQL), table oidc_pending: any instance of a cluster takes the
// callback of a login another began. The callback's state is taken by
// DELETE … RETURNING, so that it is used once on all instances. The nonce
// and PKCE verifier of a login are in the table until its callback, or
// until the first login begun after it expired (Config.LoginTTL).
type SQLPending struct{ table pending.Table }

var _ PendingStore = (*SQLPending)(nil)

// NewSQLPending applies the package's migrations to db and returns the
// store of the logins of app, a name that keeps apart the relying parties
// sharing the database (the portal's, the preview space's, the console's):
// each sees, counts and takes only its own logins. The instances of one
// relying party give the same name.
func NewSQLPending(ctx context.Context, db *store.DB, app string) (*SQLPending, error) {
	if app == "" {
		return nil, errors.New("oidc: NewSQLPending: the application's name is empty")
	}
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return &SQLPending{table: pending.Table{DB: db, Name: "oidc_pending", Key: "state", App: app, MaxKey: maxStateLength}}, nil
}

// Hold implements PendingStore. Expired logins, of every application, are
// deleted first; the count and the insertion are one statement, so that
// instances beginning logins at the same instant exceed max by few if any.
func (s *SQLPending) Hold(ctx context.Context, state string, l PendingLogin, max int, now time.Time) error {
	if len(state) > maxStateLength {
		return fmt.Errorf("oidc: state of %d characters", len(state))
	}
	if err := s.table.Purge(ctx, now); err != nil {
		return fmt.Errorf("oidc: pending logins: %w", err)
	}
	res, err := s.table.DB.SQL().ExecContext(ctx, s.table.DB.Rebind(`INSERT INTO oidc_pending (app, state, provider, app_state, redirect_uri, nonce, code_verifier, browser, expires)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT) WHERE (SELECT COUNT(*) FROM oidc_pending WHERE app = ?) < ?`),
		s.table.App, state, l.Provider, l.AppState, l.RedirectURI, l.Nonce, l.CodeVerifier, hex.EncodeToString(l.Browser[:]), l.Expires.UnixMilli(), s.table.App, max)
	if err != nil {
		return fmt.Errorf("oidc: pending logins: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("oidc: pending logins: %w", err)
	} else if n == 0 {
		return ErrTooManyLogins
	}
	return nil
}

// Take implements PendingStore: the row is deleted by the statement that
// reads it (DELETE … RETURNING, SQLite ≥ 3.35 and PostgreSQL).
func (s *SQLPending) Take(ctx context.Context, state string) (PendingLogin, error) {
	if state == "" || len(state) > maxStateLength {
		return PendingLogin{}, ErrNoLogin
	}
	var (
		l       PendingLogin
		browser string
		expires int64
	)
	err := s.table.DB.SQL().QueryRowContext(ctx, s.table.DB.Rebind(`DELETE FROM oidc_pending WHERE app = ? AND state = ?
		RETURNING provider, app_state, redirect_uri, nonce, code_verifier, browser, expires`), s.table.App, state).
		Scan(&l.Provider, &l.AppState, &l.RedirectURI, &l.Nonce, &l.CodeVerifier, &browser, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return PendingLogin{}, ErrNoLogin
	}
	if err != nil {
		return PendingLogin{}, fmt.Errorf("oidc: pending logins: %w", err)
	}
	if l.Browser, err = pending.Browser(browser); err != nil {
		return PendingLogin{}, fmt.Errorf("oidc: pending logins: %w", err)
	}
	l.Expires = time.UnixMilli(expires)
	return l, nil
}

// Has implements PendingStore.
func (s *SQLPending) Has(ctx context.Context, state string) (bool, error) {
	ok, err := s.table.Has(ctx, state)
	if err != nil {
		return false, fmt.Errorf("oidc: pending logins: %w", err)
	}
	return ok, nil
}

// Count implements PendingStore.
func (s *SQLPending) Count(ctx context.Context) (int, error) {
	n, err := s.table.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("oidc: pending logins: %w", err)
	}
	return n, nil
}

// Package pending holds what the logins under way of eid/saml and eid/oidc
// share: the bounded map of one process and the reads of their tables in
// the node's database.
package pending

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/oots-go/oots/store"
)

// Map is the logins under way of one process, by key, at most a number
// given at each Hold.
type Map[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// NewMap returns an empty Map.
func NewMap[T any]() *Map[T] { return &Map[T]{m: map[string]T{}} }

// Hold records v under key unless max logins are held; when they are, the
// expired ones are forgotten first. It reports whether v was recorded.
func (m *Map[T]) Hold(key string, v T, max int, expired func(T) bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) >= max {
		for k, w := range m.m {
			if expired(w) {
				delete(m.m, k)
			}
		}
		if len(m.m) >= max {
			return false
		}
	}
	m.m[key] = v
	return true
}

// With calls f with the login of key (ok false when there is none) under
// the map's lock, and forgets it when f returns true.
func (m *Map[T]) With(key string, f func(v T, ok bool) (forget bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	if f(v, ok) {
		delete(m.m, key)
	}
}

// Has reports whether key names a login held.
func (m *Map[T]) Has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.m[key]
	return ok
}

// Count returns the number of logins held.
func (m *Map[T]) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}

// Table is a table of logins under way in the node's database: its rows
// have the columns app, the key column, and expires (Unix milliseconds).
// Name and Key are constants of the calling package, never input.
type Table struct {
	DB        *store.DB
	Name, Key string
	App       string // the rows of this application only
	MaxKey    int    // longer keys name no login
}

// Purge deletes the logins, of every application, expired at now.
func (t *Table) Purge(ctx context.Context, now time.Time) error {
	_, err := t.DB.SQL().ExecContext(ctx, t.DB.Rebind(`DELETE FROM `+t.Name+` WHERE expires <= ?`), now.UnixMilli())
	return err
}

// Has reports whether key names a login of the application.
func (t *Table) Has(ctx context.Context, key string) (bool, error) {
	if key == "" || len(key) > t.MaxKey {
		return false, nil
	}
	var one int
	err := t.DB.SQL().QueryRowContext(ctx, t.DB.Rebind(`SELECT 1 FROM `+t.Name+` WHERE app = ? AND `+t.Key+` = ?`), t.App, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Count returns the number of logins of the application.
func (t *Table) Count(ctx context.Context) (int, error) {
	var n int
	err := t.DB.SQL().QueryRowContext(ctx, t.DB.Rebind(`SELECT COUNT(*) FROM `+t.Name+` WHERE app = ?`), t.App).Scan(&n)
	return n, err
}

// Browser decodes a browser binding stored in hexadecimal: the SHA-256
// hash of the binding cookie.
func Browser(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, errors.New("a browser binding is not a SHA-256 hash")
	}
	copy(h[:], b)
	return h, nil
}

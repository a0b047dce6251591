package saml

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/internal/pending"
	"github.com/oots-go/oots/store"
)

// PendingStore keeps the logins begun and not finished, from Begin through
// the assertion consumer service to Finish. The Authenticator declares what
// it needs; the default keeps them in the memory of the process, SQLPending
// in the node's database, so that the node's answer and the callback may
// reach any instance of a cluster.
type PendingStore interface {
	// Hold records l under relay. It forgets the logins expired at now
	// first, and returns ErrTooManyLogins when max are still pending.
	Hold(ctx context.Context, relay string, l PendingLogin, max int, now time.Time) error
	// Answer marks the login of relay as answered by the node and returns
	// it; ErrNoLogin when there is none or it was answered before. A login
	// is answered once, whichever instance asks.
	Answer(ctx context.Context, relay string) (PendingLogin, error)
	// Settle stores the outcome of the answered login of relay;
	// ErrNoLogin when it is gone.
	Settle(ctx context.Context, relay string, o Outcome) error
	// Take removes the login of relay and returns it with its outcome,
	// once, after Settle; ErrNoLogin otherwise.
	Take(ctx context.Context, relay string) (PendingLogin, Outcome, error)
	// Has reports whether relay names a login begun and not finished.
	Has(ctx context.Context, relay string) (bool, error)
	// Count returns the number of logins begun and not finished.
	Count(ctx context.Context) (int, error)
}

// PendingLogin is what a PendingStore keeps of a login from Begin on.
type PendingLogin struct {
	Country   string // the key of the node in Config.Nodes
	AppState  string // given back by Finish
	Callback  string // the application's callback, absolute
	RequestID string // the AuthnRequest's ID, the response's InResponseTo
	// Browser is the hash of the cookie that binds the login to the
	// browser that began it.
	Browser [sha256.Size]byte
	Expires time.Time
}

// Outcome is what the assertion consumer service made of the node's
// answer: the verified subject, or why the answer was refused.
type Outcome struct {
	Subject *eid.Subject
	Err     error
}

// Errors of a PendingStore.
var (
	// ErrNoLogin: no login under way has this RelayState (it was never
	// begun, expired, was answered or finished already).
	ErrNoLogin = errors.New("saml: no such login under way")
	// ErrTooManyLogins: Config.MaxPending logins are under way.
	ErrTooManyLogins = errors.New("saml: too many logins under way")
)

// memoryPending is the PendingStore of one process, the default.
type memoryPending struct{ m *pending.Map[*memoryLogin] }

type memoryLogin struct {
	PendingLogin
	answered, settled bool
	outcome           Outcome
}

var _ PendingStore = memoryPending{}

func newMemoryPending() memoryPending { return memoryPending{pending.NewMap[*memoryLogin]()} }

func (m memoryPending) Hold(_ context.Context, relay string, l PendingLogin, max int, now time.Time) error {
	if !m.m.Hold(relay, &memoryLogin{PendingLogin: l}, max, func(v *memoryLogin) bool { return !now.Before(v.Expires) }) {
		return ErrTooManyLogins
	}
	return nil
}

func (m memoryPending) Answer(_ context.Context, relay string) (l PendingLogin, err error) {
	m.m.With(relay, func(v *memoryLogin, ok bool) bool {
		if !ok || v.answered {
			err = ErrNoLogin
			return false
		}
		v.answered, l = true, v.PendingLogin
		return false
	})
	return l, err
}

func (m memoryPending) Settle(_ context.Context, relay string, o Outcome) (err error) {
	m.m.With(relay, func(v *memoryLogin, ok bool) bool {
		if !ok || !v.answered {
			err = ErrNoLogin
			return false
		}
		v.settled, v.outcome = true, o
		return false
	})
	return err
}

func (m memoryPending) Take(_ context.Context, relay string) (l PendingLogin, o Outcome, err error) {
	m.m.With(relay, func(v *memoryLogin, ok bool) bool {
		if !ok || !v.settled {
			err = ErrNoLogin
			return false
		}
		l, o = v.PendingLogin, v.outcome
		return true
	})
	return l, o, err
}

func (m memoryPending) Has(_ context.Context, relay string) (bool, error) { return m.m.Has(relay), nil }

func (m memoryPending) Count(context.Context) (int, error) { return m.m.Count(), nil }

// SQLPending is the PendingStore in the node's database (SQLite or
// PostgreSQL), table saml_pending: any instance of a cluster continues a
// login another began. The ACS marks a login answered with a conditional
// UPDATE, so that of two POSTs of one answer, on any instances, one is
// taken; Finish deletes the row it reads in the same statement.
//
// The verified subject (name, date of birth, identifier: personal data) is
// in the database only between the ACS and Finish, as JSON; the row of a
// login never finished is deleted at the first login begun after it
// expired (Config.LoginTTL).
type SQLPending struct{ table pending.Table }

var _ PendingStore = (*SQLPending)(nil)

// NewSQLPending applies the migrations of the package to db and returns
// the store of the logins of app, a name that keeps apart the service
// providers sharing the database (the portal's, the preview space's): each
// sees, counts and finishes only its own logins. The instances of one
// service provider give the same name.
func NewSQLPending(ctx context.Context, db *store.DB, app string) (*SQLPending, error) {
	if app == "" {
		return nil, errors.New("saml: NewSQLPending: the application's name is empty")
	}
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("saml: %w", err)
	}
	return &SQLPending{table: pending.Table{DB: db, Name: "saml_pending", Key: "relay", App: app, MaxKey: maxIDLength}}, nil
}

// The states of a row's answered column.
const (
	rowBegun    = 0
	rowAnswered = 1 // the node's answer taken by an ACS, being verified
	rowSettled  = 2 // its outcome stored
)

// Hold implements PendingStore. Expired logins, of every application, are
// deleted first; the count and the insertion are one statement, so that
// instances beginning logins at the same instant exceed max by few if any.
func (s *SQLPending) Hold(ctx context.Context, relay string, l PendingLogin, max int, now time.Time) error {
	if len(relay) > maxIDLength {
		return fmt.Errorf("saml: RelayState of %d characters", len(relay))
	}
	if err := s.table.Purge(ctx, now); err != nil {
		return fmt.Errorf("saml: pending logins: %w", err)
	}
	res, err := s.table.DB.SQL().ExecContext(ctx, s.table.DB.Rebind(`INSERT INTO saml_pending (app, relay, country, app_state, callback, request_id, browser, expires, answered)
		SELECT ?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT), 0 WHERE (SELECT COUNT(*) FROM saml_pending WHERE app = ?) < ?`),
		s.table.App, relay, l.Country, l.AppState, l.Callback, l.RequestID, hex.EncodeToString(l.Browser[:]), l.Expires.UnixMilli(), s.table.App, max)
	if err != nil {
		return fmt.Errorf("saml: pending logins: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("saml: pending logins: %w", err)
	} else if n == 0 {
		return ErrTooManyLogins
	}
	return nil
}

// Answer implements PendingStore: the UPDATE changes the row only while no
// ACS took it, so one caller gets it.
func (s *SQLPending) Answer(ctx context.Context, relay string) (PendingLogin, error) {
	if relay == "" || len(relay) > maxIDLength {
		return PendingLogin{}, ErrNoLogin
	}
	row := s.table.DB.SQL().QueryRowContext(ctx, s.table.DB.Rebind(`UPDATE saml_pending SET answered = `+fmt.Sprint(rowAnswered)+`
		WHERE app = ? AND relay = ? AND answered = `+fmt.Sprint(rowBegun)+`
		RETURNING country, app_state, callback, request_id, browser, expires`), s.table.App, relay)
	l, _, err := scanLogin(row, false)
	return l, err
}

// Settle implements PendingStore.
func (s *SQLPending) Settle(ctx context.Context, relay string, o Outcome) error {
	b, err := json.Marshal(storeOutcome(o))
	if err != nil {
		return fmt.Errorf("saml: pending logins: %w", err)
	}
	res, err := s.table.DB.SQL().ExecContext(ctx, s.table.DB.Rebind(`UPDATE saml_pending SET answered = `+fmt.Sprint(rowSettled)+`, outcome = ?
		WHERE app = ? AND relay = ? AND answered = `+fmt.Sprint(rowAnswered)), string(b), s.table.App, relay)
	if err != nil {
		return fmt.Errorf("saml: pending logins: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("saml: pending logins: %w", err)
	} else if n == 0 {
		return ErrNoLogin
	}
	return nil
}

// Take implements PendingStore: the row is deleted by the statement that
// reads it (DELETE … RETURNING, SQLite ≥ 3.35 and PostgreSQL).
func (s *SQLPending) Take(ctx context.Context, relay string) (PendingLogin, Outcome, error) {
	if relay == "" || len(relay) > maxIDLength {
		return PendingLogin{}, Outcome{}, ErrNoLogin
	}
	row := s.table.DB.SQL().QueryRowContext(ctx, s.table.DB.Rebind(`DELETE FROM saml_pending
		WHERE app = ? AND relay = ? AND answered = `+fmt.Sprint(rowSettled)+`
		RETURNING country, app_state, callback, request_id, browser, expires, outcome`), s.table.App, relay)
	l, raw, err := scanLogin(row, true)
	if err != nil {
		return PendingLogin{}, Outcome{}, err
	}
	var so storedOutcome
	if err := json.Unmarshal([]byte(raw), &so); err != nil {
		return PendingLogin{}, Outcome{}, fmt.Errorf("saml: pending logins: the outcome: %w", err)
	}
	return l, so.outcome(), nil
}

// Has implements PendingStore.
func (s *SQLPending) Has(ctx context.Context, relay string) (bool, error) {
	ok, err := s.table.Has(ctx, relay)
	if err != nil {
		return false, fmt.Errorf("saml: pending logins: %w", err)
	}
	return ok, nil
}

// Count implements PendingStore.
func (s *SQLPending) Count(ctx context.Context) (int, error) {
	n, err := s.table.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("saml: pending logins: %w", err)
	}
	return n, nil
}

// scanLogin reads a row of saml_pending (and its outcome when withOutcome).
func scanLogin(row *sql.Row, withOutcome bool) (PendingLogin, string, error) {
	var (
		l       PendingLogin
		browser string
		expires int64
		outcome sql.NullString
	)
	dst := []any{&l.Country, &l.AppState, &l.Callback, &l.RequestID, &browser, &expires}
	if withOutcome {
		dst = append(dst, &outcome)
	}
	err := row.Scan(dst...)
	if errors.Is(err, sql.ErrNoRows) {
		return PendingLogin{}, "", ErrNoLogin
	}
	if err != nil {
		return PendingLogin{}, "", fmt.Errorf("saml: pending logins: %w", err)
	}
	if l.Browser, err = pending.Browser(browser); err != nil {
		return PendingLogin{}, "", fmt.Errorf("saml: pending logins: %w", err)
	}
	l.Expires = time.UnixMilli(expires)
	return l, outcome.String, nil
}

// storedOutcome is an Outcome as JSON. A refusal keeps its text, its
// *Status and the sentinels it matched, so that errors.Is and errors.As
// answer after Finish on another instance as they would have on the one
// that verified the answer.
type storedOutcome struct {
	Subject *eid.Subject `json:"subject,omitempty"`
	Error   string       `json:"error,omitempty"`
	Status  *Status      `json:"status,omitempty"`
	Is      []string     `json:"is,omitempty"`
}

// outcomeSentinels are the errors of a refusal that the applications
// branch on, by their name in storedOutcome.Is.
var outcomeSentinels = []struct {
	name string
	err  error
}{
	{"cancelled", ErrCancelled},
	{"loa", eid.ErrLoA},
	{"noIdentifier", eid.ErrNoIdentifier},
	{"representedPerson", ErrRepresentedPerson},
	{"replay", ErrReplay},
}

func storeOutcome(o Outcome) storedOutcome {
	so := storedOutcome{Subject: o.Subject}
	if o.Err == nil {
		return so
	}
	so.Error = o.Err.Error()
	var st *Status
	if errors.As(o.Err, &st) {
		so.Status = st
	}
	for _, s := range outcomeSentinels {
		if errors.Is(o.Err, s.err) {
			so.Is = append(so.Is, s.name)
		}
	}
	return so
}

func (so *storedOutcome) outcome() Outcome {
	if so.Error == "" {
		return Outcome{Subject: so.Subject}
	}
	e := &outcomeError{text: so.Error}
	if so.Status != nil {
		e.wrapped = append(e.wrapped, so.Status)
	}
	for _, name := range so.Is {
		for _, s := range outcomeSentinels {
			if s.name == name {
				e.wrapped = append(e.wrapped, s.err)
			}
		}
	}
	return Outcome{Err: e}
}

// outcomeError is a refusal read back from the database.
type outcomeError struct {
	text    string
	wrapped []error
}

func (e *outcomeError) Error() string   { return e.text }
func (e *outcomeError) Unwrap() []error { return e.wrapped }

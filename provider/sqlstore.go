package provider

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/store"
)

//go:embed migrations
var migrations embed.FS

// Component is the name of the connector's migrations in the node's
// database (package store); its tables are prefixed provider_.
const Component = "provider"

// States of a preview session.
const (
	stateWaiting   = "waiting"    // the user has not logged in yet
	stateOpen      = "open"       // the subject logged in and sees the evidence
	stateApproved  = "approved"   // decided, waiting for the second request
	stateRefused   = "refused"    // decided, waiting for the second request
	stateWrongUser = "wrong-user" // someone else logged in: answered EDM:ERR:0001
	stateAnswered  = "answered"   // final: the second request was answered
	stateExpired   = "expired"    // final: a deadline passed
)

// session is a row of provider_sessions.
type session struct {
	Token, State, Provider, Party string
	ConversationID, ExchangeID    string
	Version                       string
	C1Scheme, C1Value             string
	C4Scheme, C4Value             string
	FirstMessageID                string
	FirstRequest                  []byte
	SubjectKey                    string // the register's key of the subject
	SecondMessageID               string
	SecondRequest                 []byte
	ReturnLocation, ReturnURL     string
	Documents                     []Document
	ArriveBy, DecideBy            time.Time
	Viewer, CSRF                  string
	Created, Updated              time.Time
	Revision                      int64 // incremented by every update
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func migrate(ctx context.Context, db *store.DB) error {
	migs, err := store.LoadMigrations(migrations, "migrations/"+string(db.Dialect()))
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if err := db.Migrate(ctx, Component, migs); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	return nil
}

const sessionColumns = `token, state, provider, party, conversation_id, exchange_id, version, c1_scheme, c1_value, c4_scheme, c4_value,
	first_message_id, first_request, subject_key, second_message_id, second_request, return_location, return_url, documents,
	arrive_by, decide_by, viewer, csrf, created, updated, revision`

func ms(t time.Time) int64 { return t.UnixMilli() }

func (c *Connector) insertSession(ctx context.Context, q querier, s *session) error {
	docs, err := json.Marshal(s.Documents)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	_, err = q.ExecContext(ctx, c.db.Rebind(`INSERT INTO provider_sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.Token, s.State, s.Provider, s.Party, s.ConversationID, s.ExchangeID, s.Version, s.C1Scheme, s.C1Value, s.C4Scheme, s.C4Value,
		s.FirstMessageID, s.FirstRequest, s.SubjectKey, s.SecondMessageID, s.SecondRequest, s.ReturnLocation, s.ReturnURL, docs,
		ms(s.ArriveBy), ms(s.DecideBy), s.Viewer, s.CSRF, ms(s.Created), ms(s.Updated), s.Revision)
	if err != nil {
		return fmt.Errorf("provider: storing the preview session: %w", err)
	}
	return nil
}

// updateSession writes the mutable columns of s if the row is still at the
// revision s was read at (optimistic concurrency between the preview
// space, the connector and the sweeper, across the nodes of a cluster); ok
// is false when another writer came first.
func (c *Connector) updateSession(ctx context.Context, q querier, s *session) (ok bool, err error) {
	var docs []byte
	if s.Documents != nil {
		if docs, err = json.Marshal(s.Documents); err != nil {
			return false, fmt.Errorf("provider: %w", err)
		}
	}
	res, err := q.ExecContext(ctx, c.db.Rebind(`UPDATE provider_sessions SET state = ?, second_message_id = ?, second_request = ?,
		return_location = ?, return_url = ?, documents = ?, decide_by = ?, viewer = ?, csrf = ?, updated = ?, revision = revision + 1
		WHERE token = ? AND revision = ?`),
		s.State, s.SecondMessageID, s.SecondRequest, s.ReturnLocation, s.ReturnURL, docs, ms(s.DecideBy), s.Viewer, s.CSRF, ms(s.Updated),
		s.Token, s.Revision)
	if err != nil {
		return false, fmt.Errorf("provider: updating the preview session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("provider: %w", err)
	}
	if n == 1 {
		s.Revision++
	}
	return n == 1, nil
}

var errNoSession = errors.New("provider: no such preview session")

func scanSession(sc interface{ Scan(...any) error }) (*session, error) {
	var s session
	var docs []byte
	var arrive, decide, created, updated int64
	if err := sc.Scan(&s.Token, &s.State, &s.Provider, &s.Party, &s.ConversationID, &s.ExchangeID, &s.Version,
		&s.C1Scheme, &s.C1Value, &s.C4Scheme, &s.C4Value, &s.FirstMessageID, &s.FirstRequest, &s.SubjectKey, &s.SecondMessageID, &s.SecondRequest,
		&s.ReturnLocation, &s.ReturnURL, &docs, &arrive, &decide, &s.Viewer, &s.CSRF, &created, &updated, &s.Revision); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNoSession
		}
		return nil, fmt.Errorf("provider: reading a preview session: %w", err)
	}
	if len(docs) > 0 && string(docs) != "null" {
		if err := json.Unmarshal(docs, &s.Documents); err != nil {
			return nil, fmt.Errorf("provider: reading the documents of preview session: %w", err)
		}
	}
	s.ArriveBy, s.DecideBy = time.UnixMilli(arrive), time.UnixMilli(decide)
	s.Created, s.Updated = time.UnixMilli(created), time.UnixMilli(updated)
	return &s, nil
}

func (c *Connector) loadSession(ctx context.Context, q querier, token string) (*session, error) {
	return scanSession(q.QueryRowContext(ctx, c.db.Rebind(`SELECT `+sessionColumns+` FROM provider_sessions WHERE token = ?`), token))
}

// sessionsDue returns the unfinished sessions whose deadline passed.
func (c *Connector) sessionsDue(ctx context.Context, now time.Time) ([]*session, error) {
	rows, err := c.db.SQL().QueryContext(ctx, c.db.Rebind(`SELECT `+sessionColumns+` FROM provider_sessions
		WHERE state NOT IN (?, ?) AND (decide_by < ? OR (state = ? AND arrive_by < ?))`),
		stateAnswered, stateExpired, ms(now), stateWaiting, ms(now))
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	defer rows.Close()
	var out []*session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// markProcessed records a message id; it reports false when it was
// already recorded.
func (c *Connector) markProcessed(ctx context.Context, q querier, id string, now time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, c.db.Rebind(`INSERT INTO provider_messages (message_id, processed) VALUES (?, ?) ON CONFLICT (message_id) DO NOTHING`), id, ms(now))
	if err != nil {
		return false, fmt.Errorf("provider: recording message %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("provider: %w", err)
	}
	return n == 1, nil
}

func (c *Connector) enqueue(ctx context.Context, q querier, s *ap.Submission, now time.Time) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if _, err := q.ExecContext(ctx, c.db.Rebind(`INSERT INTO provider_outbox (client_key, submission, created) VALUES (?, ?, ?) ON CONFLICT (client_key) DO NOTHING`),
		s.ClientKey, b, ms(now)); err != nil {
		return fmt.Errorf("provider: queueing the answer: %w", err)
	}
	return nil
}

// flush hands the queued answers to the access point and deletes each once
// it is accepted (the client key makes a repeated hand-over harmless).
func (c *Connector) flush(ctx context.Context) error {
	rows, err := c.db.SQL().QueryContext(ctx, `SELECT client_key, submission FROM provider_outbox ORDER BY created, client_key`)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	type item struct {
		key string
		sub []byte
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.key, &it.sub); err != nil {
			rows.Close()
			return fmt.Errorf("provider: %w", err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	var first error
	for _, it := range items {
		var s ap.Submission
		if err := json.Unmarshal(it.sub, &s); err != nil {
			return fmt.Errorf("provider: queued answer %s: %w", it.key, err)
		}
		if _, _, err := c.cfg.Sender.Submit(ctx, &s); err != nil {
			c.log.Warn("answer not accepted by the access point", logKey, it.key, logErr, err)
			if first == nil {
				first = fmt.Errorf("provider: submitting %s: %w", it.key, err)
			}
			continue
		}
		if _, err := c.db.SQL().ExecContext(ctx, c.db.Rebind(`DELETE FROM provider_outbox WHERE client_key = ?`), it.key); err != nil {
			return fmt.Errorf("provider: %w", err)
		}
	}
	return first
}

func (s *session) c1() edm.Identifier { return edm.SchemeID(s.C1Scheme, s.C1Value) }
func (s *session) c4() edm.Identifier { return edm.SchemeID(s.C4Scheme, s.C4Value) }

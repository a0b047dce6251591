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

// sqlStore is the connector's storage in package store's database, in
// tables prefixed provider_. Within Update, q is the transaction.
type sqlStore struct {
	db *store.DB
	q  querier
}

var (
	_ storage   = (*sqlStore)(nil)
	_ storageTx = (*sqlStore)(nil)
)

// newSQLStore applies the connector's migrations to db and returns its
// storage there.
func newSQLStore(ctx context.Context, db *store.DB) (*sqlStore, error) {
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	return &sqlStore{db: db, q: db.SQL()}, nil
}

// Update implements storage.
func (st *sqlStore) Update(ctx context.Context, fn func(tx storageTx) error) error {
	tx, err := st.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&sqlStore{db: st.db, q: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	return nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func migrate(ctx context.Context, db *store.DB) error {
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	return nil
}

const sessionColumns = `token, state, provider, party, conversation_id, exchange_id, version, c1_scheme, c1_value, c4_scheme, c4_value,
	first_message_id, first_request, subject_key, second_message_id, second_request, return_location, return_url, documents,
	arrive_by, decide_by, viewer, csrf, created, updated, revision`

func ms(t time.Time) int64 { return t.UnixMilli() }

func (st *sqlStore) InsertSession(ctx context.Context, s *session) error {
	docs, err := json.Marshal(s.Documents)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	_, err = st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_sessions (`+sessionColumns+`)
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
func (st *sqlStore) UpdateSession(ctx context.Context, s *session) (ok bool, err error) {
	var docs []byte
	if s.Documents != nil {
		if docs, err = json.Marshal(s.Documents); err != nil {
			return false, fmt.Errorf("provider: %w", err)
		}
	}
	res, err := st.q.ExecContext(ctx, st.db.Rebind(`UPDATE provider_sessions SET state = ?, second_message_id = ?, second_request = ?,
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

func (st *sqlStore) LoadSession(ctx context.Context, token string) (*session, error) {
	return scanSession(st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT `+sessionColumns+` FROM provider_sessions WHERE token = ?`), token))
}

// sessionsDue returns the unfinished sessions whose deadline passed.
func (st *sqlStore) SessionsDue(ctx context.Context, now time.Time) ([]*session, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT `+sessionColumns+` FROM provider_sessions
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
func (st *sqlStore) MarkProcessed(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_messages (message_id, processed) VALUES (?, ?) ON CONFLICT (message_id) DO NOTHING`), id, ms(now))
	if err != nil {
		return false, fmt.Errorf("provider: recording message %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("provider: %w", err)
	}
	return n == 1, nil
}

func (st *sqlStore) Enqueue(ctx context.Context, s *ap.Submission, now time.Time) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if _, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_outbox (client_key, submission, created) VALUES (?, ?, ?) ON CONFLICT (client_key) DO NOTHING`),
		s.ClientKey, b, ms(now)); err != nil {
		return fmt.Errorf("provider: queueing the answer: %w", err)
	}
	return nil
}

func (s *session) c1() edm.Identifier { return edm.SchemeID(s.C1Scheme, s.C1Value) }
func (s *session) c4() edm.Identifier { return edm.SchemeID(s.C4Scheme, s.C4Value) }

// Queued implements storage.
func (st *sqlStore) Queued(ctx context.Context) ([]queuedAnswer, error) {
	rows, err := st.q.QueryContext(ctx, `SELECT client_key, submission FROM provider_outbox ORDER BY created, client_key`)
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	defer rows.Close()
	var out []queuedAnswer
	for rows.Next() {
		var key string
		var b []byte
		if err := rows.Scan(&key, &b); err != nil {
			return nil, fmt.Errorf("provider: %w", err)
		}
		var s ap.Submission
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("provider: queued answer %s: %w", key, err)
		}
		out = append(out, queuedAnswer{ClientKey: key, Submission: &s})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	return out, nil
}

// Dequeue implements storage.
func (st *sqlStore) Dequeue(ctx context.Context, clientKey string) error {
	if _, err := st.q.ExecContext(ctx, st.db.Rebind(`DELETE FROM provider_outbox WHERE client_key = ?`), clientKey); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	return nil
}

// InsertConsent implements storage.
func (st *sqlStore) InsertConsent(ctx context.Context, k *Consent) error {
	return st.Update(ctx, func(tx storageTx) error {
		q := tx.(*sqlStore).q
		_, err := q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_consents (id, provider, subject, subject_key, requester, requester_name,
			procedure, evidence_type, evidence_title, granted, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			k.ID, k.Provider, k.subject, k.subjectKey, k.Requester, k.RequesterName, k.Procedure, k.EvidenceType, k.EvidenceTitle,
			ms(k.Granted), ms(k.Expires))
		if err != nil {
			return fmt.Errorf("provider: storing consent: %w", err)
		}
		for _, p := range k.Procedures {
			if _, err := q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_consent_procedures (consent_id, procedure) VALUES (?, ?)`), k.ID, p); err != nil {
				return fmt.Errorf("provider: storing consent: %w", err)
			}
		}
		return nil
	})
}

// withProcedures reads the procedures of each consent.
func (st *sqlStore) withProcedures(ctx context.Context, ks []*Consent) ([]*Consent, error) {
	for _, k := range ks {
		rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT procedure FROM provider_consent_procedures WHERE consent_id = ? ORDER BY procedure`), k.ID)
		if err != nil {
			return nil, fmt.Errorf("provider: consent procedures: %w", err)
		}
		k.Procedures = nil
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, fmt.Errorf("provider: consent procedures: %w", err)
			}
			k.Procedures = append(k.Procedures, p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("provider: consent procedures: %w", err)
		}
	}
	return ks, nil
}

const consentColumns = `id, provider, subject, subject_key, requester, requester_name, procedure, evidence_type, evidence_title, granted, expires, withdrawn`

func scanConsents(rows *sql.Rows, err error) ([]*Consent, error) {
	if err != nil {
		return nil, fmt.Errorf("provider: consents: %w", err)
	}
	defer rows.Close()
	var out []*Consent
	for rows.Next() {
		k := &Consent{}
		var granted, expires, withdrawn int64
		if err := rows.Scan(&k.ID, &k.Provider, &k.subject, &k.subjectKey, &k.Requester, &k.RequesterName, &k.Procedure, &k.EvidenceType,
			&k.EvidenceTitle, &granted, &expires, &withdrawn); err != nil {
			return nil, fmt.Errorf("provider: consents: %w", err)
		}
		k.Granted, k.Expires = time.UnixMilli(granted).UTC(), time.UnixMilli(expires).UTC()
		if withdrawn != 0 {
			k.Withdrawn = time.UnixMilli(withdrawn).UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ValidConsents implements storageTx.
func (st *sqlStore) ValidConsents(ctx context.Context, f consentFilter, now time.Time) ([]*Consent, error) {
	ks, err := scanConsents(st.q.QueryContext(ctx, st.db.Rebind(`SELECT `+consentColumns+` FROM provider_consents
		WHERE subject = ? AND provider = ? AND requester = ? AND evidence_type = ? AND withdrawn = 0 AND expires > ?
		AND id IN (SELECT consent_id FROM provider_consent_procedures WHERE procedure = ?)
		ORDER BY granted DESC`), f.Subject, f.Provider, f.Requester, f.EvidenceType, ms(now), f.Procedure))
	if err != nil {
		return nil, err
	}
	return st.withProcedures(ctx, ks)
}

// Consents implements storage.
func (st *sqlStore) Consents(ctx context.Context, subject string) ([]*Consent, error) {
	ks, err := scanConsents(st.q.QueryContext(ctx, st.db.Rebind(`SELECT `+consentColumns+` FROM provider_consents WHERE subject = ?
		ORDER BY granted DESC, id`), subject))
	if err != nil {
		return nil, err
	}
	return st.withProcedures(ctx, ks)
}

// WithdrawConsent implements storage.
func (st *sqlStore) WithdrawConsent(ctx context.Context, subject, id string, now time.Time) (bool, error) {
	res, err := st.q.ExecContext(ctx, st.db.Rebind(`UPDATE provider_consents SET withdrawn = ? WHERE id = ? AND subject = ? AND withdrawn = 0`),
		ms(now), id, subject)
	if err != nil {
		return false, fmt.Errorf("provider: withdrawing consent: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("provider: withdrawing consent: %w", err)
	}
	return n == 1, nil
}

// InsertDisclosure implements storageTx.
func (st *sqlStore) InsertDisclosure(ctx context.Context, d *Disclosure) error {
	docs, err := json.Marshal(d.Documents)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	_, err = st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_disclosures (id, provider, subject, requester, requester_name, procedure,
		evidence_type, conversation_id, documents, consent_id, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		d.ID, d.Provider, d.subject, d.Requester, d.RequesterName, d.Procedure, d.EvidenceType, d.Conversation, string(docs), d.ConsentID, ms(d.Sent))
	if err != nil {
		return fmt.Errorf("provider: recording disclosure: %w", err)
	}
	return nil
}

// Disclosures implements storage.
func (st *sqlStore) Disclosures(ctx context.Context, subject string) ([]*Disclosure, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT id, provider, subject, requester, requester_name, procedure, evidence_type,
		conversation_id, documents, consent_id, sent FROM provider_disclosures WHERE subject = ? ORDER BY sent DESC, id`), subject)
	if err != nil {
		return nil, fmt.Errorf("provider: disclosures: %w", err)
	}
	defer rows.Close()
	var out []*Disclosure
	for rows.Next() {
		d := &Disclosure{}
		var docs string
		var sent int64
		if err := rows.Scan(&d.ID, &d.Provider, &d.subject, &d.Requester, &d.RequesterName, &d.Procedure, &d.EvidenceType, &d.Conversation,
			&docs, &d.ConsentID, &sent); err != nil {
			return nil, fmt.Errorf("provider: disclosures: %w", err)
		}
		if err := json.Unmarshal([]byte(docs), &d.Documents); err != nil {
			return nil, fmt.Errorf("provider: disclosures: %w", err)
		}
		d.Sent = time.UnixMilli(sent).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

var errNoAccount = errors.New("provider: no such login of the consents page")

// Account implements storage.
func (st *sqlStore) Account(ctx context.Context, id string) (subject, csrf string, expires time.Time, err error) {
	var exp int64
	err = st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT subject, csrf, expires FROM provider_accounts WHERE id = ?`), id).
		Scan(&subject, &csrf, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", time.Time{}, errNoAccount
	}
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("provider: accounts: %w", err)
	}
	return subject, csrf, time.UnixMilli(exp), nil
}

// InsertAccount implements storage.
func (st *sqlStore) InsertAccount(ctx context.Context, id, subject, csrf string, expires time.Time) error {
	if _, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO provider_accounts (id, subject, csrf, expires) VALUES (?, ?, ?, ?)`),
		id, subject, csrf, ms(expires)); err != nil {
		return fmt.Errorf("provider: accounts: %w", err)
	}
	return nil
}

// PurgeAccounts implements storage.
func (st *sqlStore) PurgeAccounts(ctx context.Context, now time.Time) error {
	if _, err := st.q.ExecContext(ctx, st.db.Rebind(`DELETE FROM provider_accounts WHERE expires < ?`), ms(now)); err != nil {
		return fmt.Errorf("provider: accounts: %w", err)
	}
	return nil
}

package requester

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

//go:embed migrations
var migrations embed.FS

// Component is the name of the connector's migrations in the node database;
// its tables are prefixed requester_.
const Component = "requester"

// journeyState is a journey as stored: the portal's view (Journey) and what
// the connector needs to go on (one reqState per requirement, same order).
type journeyState struct {
	Journey   Journey     `json:"journey"`
	Subject   eid.Subject `json:"subject"`
	ReturnURL string      `json:"returnUrl"`
	Languages []string    `json:"languages,omitempty"`
	// Associated is StartRequest.AssociatedDocuments.
	Associated []string    `json:"associated,omitempty"`
	Reqs       []*reqState `json:"reqs"`

	version int64 // optimistic concurrency
}

// text is an sdg multilingual string.
type text struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

func texts(ts []edm.Text) []text {
	out := make([]text, 0, len(ts))
	for _, t := range ts {
		out = append(out, text{t.Lang, t.Value})
	}
	return out
}

func edmTexts(ts []text) []edm.Text {
	out := make([]edm.Text, 0, len(ts))
	for _, t := range ts {
		out = append(out, edm.Lang(t.Lang, t.Value))
	}
	return out
}

// first returns the English text, else the first one.
func first(ts []text) string {
	for _, t := range ts {
		if t.Lang == "EN" || t.Lang == "en" {
			return t.Value
		}
	}
	if len(ts) > 0 {
		return ts[0].Value
	}
	return ""
}

// concept is a classification concept the DSD asked about (DSD:ERR:0005).
type concept struct {
	ID, Scheme      string
	Type            string `json:",omitempty"`
	ValueExpression string `json:",omitempty"`
	Description     []text `json:",omitempty"`
}

// distribution is a DistributedAs of a data service.
type distribution struct {
	Format         string
	ConformsTo     string `json:",omitempty"`
	Transformation string `json:",omitempty"`
}

// service is one data service of the DSD's answer: the evidence type as the
// provider serves it, and its access service and publisher.
type service struct {
	TypeID, TypeScheme string
	Classification     string
	Title, Description []text
	Distributions      []distribution
	AccessID           string
	AccessScheme       string
	ConformsTo         []string
	PublisherID        string
	PublisherScheme    string
	PublisherName      []text
}

// sent is one evidence request sent.
type sent struct {
	ID        string    // the request's id (urn:uuid:…)
	MessageID string    // its eb:MessageId
	ClientKey string    // the access point's idempotency key
	At        time.Time // when it was sent
}

// reqState is the connector's part of a requirement.
type reqState struct {
	Identifier edm.Identifier `json:"identifier"`
	Name       []text         `json:"name"`
	// Types are the evidence types, in the order of Requirement.EvidenceTypes.
	Types    []string          `json:"types,omitempty"`
	Concepts []concept         `json:"concepts,omitempty"`
	Answers  map[string]string `json:"answers,omitempty"`
	Services []service         `json:"services,omitempty"`
	Format   string            `json:"format,omitempty"`
	Party    string            `json:"party,omitempty"`
	// The exchange: the first request, the second after a preview.
	First           *sent  `json:"first,omitempty"`
	Second          *sent  `json:"second,omitempty"`
	PreviewLocation string `json:"previewLocation,omitempty"`
	Preview         bool   `json:"preview,omitempty"`
}

// db is the connector's persistence in the node database.
type db struct {
	*store.DB
}

func openDB(ctx context.Context, d *store.DB) (*db, error) {
	if err := d.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("requester: %w", err)
	}
	return &db{d}, nil
}

// errConflict: the journey changed since it was read.
var errConflict = errors.New("requester: concurrent update")

func ms(t time.Time) int64 { return t.UnixMilli() }

// nextCheck is the earliest time the sweep must look at the journey: the
// deadline of a pending exchange (for a deferred one, when to ask again), or the journey's deadline while it is
// open; NULL when nothing can time out any more.
func (j *journeyState) nextCheck() sql.NullInt64 {
	var next time.Time
	for _, r := range j.Journey.Requirements {
		deferred := r.Step == StepDeferred && j.Journey.State == JourneyOpen
		if (r.Step == StepWaiting || r.Step == StepPreview || deferred) && r.Exchange != nil && (next.IsZero() || r.Exchange.Deadline.Before(next)) {
			next = r.Exchange.Deadline
		}
	}
	if j.Journey.State == JourneyOpen && (next.IsZero() || j.Journey.Deadline.Before(next)) {
		next = j.Journey.Deadline
	}
	if next.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(next), Valid: true}
}

// insert stores a new journey; with a client key already used it returns
// the existing journey's id and false.
func (d *db) insert(ctx context.Context, j *journeyState, clientKey string) (string, bool, error) {
	data, err := json.Marshal(j)
	if err != nil {
		return "", false, err
	}
	var key sql.NullString
	if clientKey != "" {
		key = sql.NullString{String: clientKey, Valid: true}
	}
	res, err := d.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO requester_journeys (id, client_key, state, version, next_check, data, created, updated)
		VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		j.Journey.ID, key, j.Journey.State, j.nextCheck(), data, ms(j.Journey.Created), ms(j.Journey.Updated))
	if err != nil {
		return "", false, fmt.Errorf("requester: storing journey: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		j.version = 1
		return j.Journey.ID, true, nil
	}
	var id string
	err = d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT id FROM requester_journeys WHERE client_key = ?`), clientKey).Scan(&id)
	if err != nil {
		return "", false, fmt.Errorf("requester: journey with client key: %w", err)
	}
	return id, false, nil
}

// load reads a journey.
func (d *db) load(ctx context.Context, id string) (*journeyState, error) {
	var data []byte
	var version int64
	err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT data, version FROM requester_journeys WHERE id = ?`), id).Scan(&data, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: journey %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("requester: reading journey: %w", err)
	}
	j := &journeyState{version: version}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("requester: journey %s: %w", id, err)
	}
	return j, nil
}

// change is what a state change writes besides the journey.
type change struct {
	received *receivedRow  // the message processed (exactly once)
	requests []requestRow  // requests sent, for correlation
	evidence []evidenceRow // evidence files

	// answerEntry, while an answer is processed, is its journal record
	// with the event and outcome given (not stored).
	answerEntry func(j *journeyState, event, outcome string) journal.Record
}

type receivedRow struct {
	MessageID, Journey, Outcome string
	At                          time.Time
}

type requestRow struct {
	RequestID, MessageID string
	Index                int
}

type evidenceRow struct {
	ID, Name, MimeType string
	Data               []byte
}

// errDuplicate: the received message was processed before.
var errDuplicate = errors.New("requester: message already processed")

// save writes j (when not nil) if nobody changed it since it was read, with
// the rows of ch, in one transaction.
func (d *db) save(ctx context.Context, j *journeyState, ch change) error {
	tx, err := d.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("requester: %w", err)
	}
	defer tx.Rollback()
	if r := ch.received; r != nil {
		var jid sql.NullString
		if r.Journey != "" {
			jid = sql.NullString{String: r.Journey, Valid: true}
		}
		res, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO requester_received (message_id, journey_id, outcome, received) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			r.MessageID, jid, r.Outcome, ms(r.At))
		if err != nil {
			return fmt.Errorf("requester: recording message %s: %w", r.MessageID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errDuplicate
		}
	}
	if j != nil {
		data, err := json.Marshal(j)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.Rebind(`UPDATE requester_journeys SET state = ?, version = ?, next_check = ?, data = ?, updated = ? WHERE id = ? AND version = ?`),
			j.Journey.State, j.version+1, j.nextCheck(), data, ms(j.Journey.Updated), j.Journey.ID, j.version)
		if err != nil {
			return fmt.Errorf("requester: storing journey: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errConflict
		}
		for _, r := range ch.requests {
			var mid sql.NullString
			if r.MessageID != "" {
				mid = sql.NullString{String: r.MessageID, Valid: true}
			}
			if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO requester_requests (request_id, message_id, journey_id, req_index) VALUES (?, ?, ?, ?)
				ON CONFLICT (request_id) DO UPDATE SET message_id = excluded.message_id`), r.RequestID, mid, j.Journey.ID, r.Index); err != nil {
				return fmt.Errorf("requester: recording request: %w", err)
			}
		}
		for _, e := range ch.evidence {
			if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO requester_evidence (id, journey_id, name, mime_type, data) VALUES (?, ?, ?, ?, ?)`),
				e.ID, j.Journey.ID, e.Name, e.MimeType, e.Data); err != nil {
				return fmt.Errorf("requester: storing evidence: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("requester: %w", err)
	}
	if j != nil {
		j.version++
	}
	return nil
}

// received reports whether a message was processed.
func (d *db) received(ctx context.Context, messageID string) (bool, error) {
	var n int
	err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM requester_received WHERE message_id = ?`), messageID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("requester: %w", err)
	}
	return n > 0, nil
}

// correlate finds the journey and requirement of a request, by its id or by
// the eb:MessageId of the message that carried it.
func (d *db) correlate(ctx context.Context, requestID, messageID string) (journey string, index int, err error) {
	err = d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT journey_id, req_index FROM requester_requests WHERE request_id = ? OR (message_id = ? AND message_id <> '')`),
		requestID, messageID).Scan(&journey, &index)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	return journey, index, err
}

// sentBy finds the journey and requirement of the request carried by the
// message messageID.
func (d *db) sentBy(ctx context.Context, messageID string) (journey string, index int, err error) {
	err = d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT journey_id, req_index FROM requester_requests WHERE message_id = ?`),
		messageID).Scan(&journey, &index)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	return journey, index, err
}

// due lists the journeys whose next check is at or before now.
func (d *db) due(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := d.SQL().QueryContext(ctx, d.Rebind(`SELECT id FROM requester_journeys WHERE next_check IS NOT NULL AND next_check <= ? ORDER BY next_check LIMIT 100`), ms(now))
	if err != nil {
		return nil, fmt.Errorf("requester: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// evidence reads an evidence file of a journey.
func (d *db) evidence(ctx context.Context, journey, id string) (*File, error) {
	f := &File{}
	err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT name, mime_type, data FROM requester_evidence WHERE id = ? AND journey_id = ?`), id, journey).
		Scan(&f.Name, &f.MimeType, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: evidence %q of journey %q", ErrNotFound, id, journey)
	}
	if err != nil {
		return nil, fmt.Errorf("requester: reading evidence: %w", err)
	}
	return f, nil
}

// requestNS is the name space of the connector's name-based UUIDs
// (uuid.Name): the same name gives the same id, so that redoing the
// processing of a message resends the same request.
var requestNS = uuid.UUID([]byte("oots-requester-1"))

// Package journal is the audit journal of the OOTS connector: a record of
// every evidence exchange a node takes part in — who asked what of whom,
// when, and the outcome — kept so that the exchanges of the 7-step journey
// (OOTS specification §1.2: request, preview, response or error, timeout)
// can be accounted for afterwards: the exchange logging that the OOTS
// Technical Design Document (§4.8, logging and non-repudiation) expects of
// the parties that exchange evidence.
//
// # Append-only and hash-chained
//
// The journal lives in the node's database (package store: SQLite or
// PostgreSQL) in its own tables journal_entries and journal_head (component
// "journal"). Entries are numbered 1, 2, 3… without gaps; every entry holds
// the hash of the entry before it (Prev) and its own Hash, so that changing,
// deleting, inserting or reordering a stored entry breaks the chain at that
// entry, and Verify reports it as a *TamperError with its sequence number.
// There is no API to update or delete an entry, and the tables refuse UPDATE
// and DELETE with triggers (defence in depth against mistakes, not against
// an administrator: one who drops the triggers and recomputes the hashes of
// every later entry and of the head can rewrite history). Against that, keep
// the head (Journal.Head) or an export (Journal.Export) outside the database:
// an auditor holding an old head or copy sees that the chain was rewritten.
//
// Appends are serialised so that the chain never forks: every append runs in
// a transaction that first locks the single head row (PostgreSQL: SELECT …
// FOR UPDATE, so the nodes of a cluster sharing one database append one at a
// time; SQLite: an IMMEDIATE transaction, which takes the database's write
// lock at BEGIN).
//
// # The hash
//
// Hash is SHA-256 over this encoding of the stored fields, in this order:
//
//	"oots-journal/v1" followed by one zero byte
//	Seq as 8 bytes, big-endian
//	Time as Unix milliseconds, 8 bytes, big-endian, two's complement
//	Node, Event, Conversation, Exchange, MessageID, Procedure, Requester,
//	Provider, EvidenceType, Outcome, Sealed: each as its length in bytes
//	(4 bytes, big-endian) followed by its bytes (strings in UTF-8)
//	Prev: the 32 bytes of the previous entry's Hash (all zero for entry 1)
//
// An entry with a receipt reference (Receipt, NRR or RefTo not empty) is
// hashed the same way with "oots-journal/v2" as its first bytes and Receipt,
// NRR and RefTo, encoded as the other text fields, between Outcome and
// Sealed; the entries
// without, among them all those written before receipts were journaled,
// keep the v1 encoding.
//
// The hash covers the ciphertext of the personal data (Sealed), never its
// plaintext, so that a copy can be verified without the key.
//
// # Personal data
//
// The personal data of an entry (the subject's name, eIDAS identifier, date of
// birth…: type Personal) is encrypted before it is stored, with AES-256-GCM
// under Config.Key: Sealed is a random 12-byte nonce followed by the
// ciphertext and tag of the JSON encoding of Personal, with the entry's
// sequence number (8 bytes, big-endian) as associated data, so that sealed
// data moved to another entry does not open. Entry.Open and Journal.Personal
// decrypt it.
//
// # Non-repudiation (TDD §4.8)
//
// An entry about an AS4 message names it (MessageID); the EventReceipt entry
// recorded when the partner's signed receipt arrives names the receipt
// (Receipt) and the digests of its non-repudiation information (NRR: one
// per part the message's signature covers, FormatNRR); an entry about a
// received message carries the digests the node's own signed receipt
// repeated. Journal.Evidence gathers the entries of one evidence exchange
// with the receipts of their messages: `oots journal export -exchange ID`.
//
// # Evidence exchanges
//
// Every entry about one evidence exchange carries the exchange's identifier
// in Exchange, on the requester's node and on the provider's: in EDM 2.0
// its ExchangeId; in EDM 1.x, which has none, the id of its first request.
// The preview round (§1.2 step 5) stays in the exchange: the second
// request, with its own id and eb:MessageId, the answer to it and their
// receipts keep the identifier of the first request (the requester knows
// it from the requirement's exchange, the provider from the preview
// session, which holds the first request). An entry about an AS4 message
// names it in MessageID (a provider journals its answer under the
// message id of the request it answers, before the access point gives the
// answer its own), an answer received names the request it answers in
// RefTo, and the EventReceipt entry of a message names it in MessageID
// and, for an answer, the request in RefTo.
//
// A request whose id is not the exchange's identifier (a 2.0 request, the
// second request of a 1.x preview round) is followed by an EventRequestID
// entry whose Exchange is the request's id and whose MessageID is the
// request's eb:MessageId. Evidence follows these links: given any of the
// identifiers, it returns the entries of every identifier that an entry
// about one of the exchange's messages carries, with the receipts of those
// messages. Entries written before this rule (where the second 1.x request
// and its answer carried the second request's id) stay valid and
// verifiable; Evidence of their first request's id does not reach them.
//
// # Retention
//
// Config.RetentionMonths (default 12) is how long entries are kept;
// Journal.PurgeExpired removes the older ones (Journal.Purge). A purge is
// journaled: it appends an EventPurged entry naming the last entry removed,
// by sequence number and hash, then moves the journal's base (the table
// journal_base, which only moves forward) to it and deletes the entries up
// to it; the triggers refuse to delete any entry beyond the base. The chain
// is then checked from the base, and Verify and VerifyExport require the
// EventPurged entry that names it, so that entries removed other than by a
// purge still show as tampering.
//
// # Export
//
// Export writes the journal as JSON lines, one entry per line (the JSON form
// of Entry: personal data only as the base64 of Sealed), which VerifyExport
// checks offline with the same rules as Verify.
package journal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/oots-go/oots/store"
)

//go:embed migrations
var migrations embed.FS

// Component is the name of the journal's migrations in the node's database
// (package store); its tables are prefixed journal_.
const Component = "journal"

// Events of an evidence exchange, as the connector records them. Other
// events may be recorded: an event is a lower-case word of letters, digits,
// dots, hyphens and underscores.
const (
	// EventRequestSent: the requester's connector sent an evidence request
	// (OOTS specification §2.2). A request is journaled as it is handed to
	// an access point that names it beforehand (requester.MessageNamer),
	// so before its answer and its receipt (the request after a preview
	// after the answer that asked for the preview); should the access
	// point refuse the first request, an EventError entry naming the same
	// message follows ("not sent: …").
	EventRequestSent = "request.sent"
	// EventRequestReceived: the provider's connector received an evidence
	// request.
	EventRequestReceived = "request.received"
	// EventPreviewShown: the evidence was shown to the user in the preview
	// space (step 5 of the journey, §1.2).
	EventPreviewShown = "preview.shown"
	// EventPreviewApproved: the user approved the evidence for transfer.
	EventPreviewApproved = "preview.approved"
	// EventPreviewRefused: the user refused the transfer.
	EventPreviewRefused = "preview.refused"
	// EventResponseSent: the provider's connector sent an evidence response
	// or an error response (§2.3, §2.4).
	EventResponseSent = "response.sent"
	// EventResponseReceived: the requester's connector received an evidence
	// response or an error response.
	EventResponseReceived = "response.received"
	// EventError: the exchange failed (Outcome holds the EDM error code or
	// the cause).
	EventError = "error"
	// EventTimeout: no answer came within the time the journey allows
	// (§1.2).
	EventTimeout = "timeout"
)

// Outcomes other than an EDM error code (EDM:ERR:0001…).
const (
	// OutcomeOK: the step succeeded.
	OutcomeOK = "ok"
)

// Limits on a record, so that a journal entry stays a record and not a store
// of documents.
const (
	maxField    = 4096      // bytes of each text field
	maxPersonal = 64 * 1024 // bytes of the JSON of the personal data
)

// Errors callers branch on.
var (
	// ErrTampered is matched (errors.Is) by every *TamperError.
	ErrTampered = errors.New("journal: chain broken")
	// ErrDecrypt: the personal data of an entry does not open with the key:
	// the key is wrong, or the sealed data was altered or moved to another
	// entry.
	ErrDecrypt = errors.New("journal: personal data does not decrypt with this key")
	// ErrInvalidRecord: a record given to Append is not acceptable (the
	// wrapping error names the field).
	ErrInvalidRecord = errors.New("journal: invalid record")
)

// TamperError reports the first entry of the chain that does not hold.
type TamperError struct {
	// Seq is the sequence number of the entry at fault (for a missing
	// entry, the number that is missing).
	Seq int64
	// Reason says what does not hold.
	Reason string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("journal: entry %d: %s", e.Seq, e.Reason)
}

// Is makes errors.Is(err, ErrTampered) true for every *TamperError.
func (e *TamperError) Is(target error) bool { return target == ErrTampered }

// Config configures a Journal.
type Config struct {
	// Key is the 32-byte AES-256-GCM key that encrypts the personal data.
	// Required.
	Key []byte
	// Node is the name of the node that writes, recorded in every entry
	// (several nodes of a cluster share one journal). Required.
	Node string
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Rand is the source of the nonces; crypto/rand.Reader by default.
	Rand io.Reader
	// RetentionMonths is how long entries are kept: PurgeExpired removes
	// the older ones. 0 means DefaultRetentionMonths (12); a negative value
	// keeps every entry.
	RetentionMonths int
}

// Validate reports the first field of c that is not acceptable.
func (c *Config) Validate() error {
	if len(c.Key) != 32 {
		return fmt.Errorf("journal: Config.Key must be 32 bytes (AES-256), not %d", len(c.Key))
	}
	if c.Node == "" {
		return errors.New("journal: Config.Node is empty: name the node that writes")
	}
	if err := checkText("Config.Node", c.Node); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Record is what the connector records of one step of an exchange.
//
// Its text fields mostly come from outside: a partner's ebMS header, the
// documents of the exchange. A value that cannot be stored as it is (longer
// than 4096 bytes, not UTF-8, or holding a control character, which XML
// text allows) is stored as Fingerprint(value), so that the step is
// journaled all the same and the entry still leads to the message the
// value came from; the entry Append returns holds what was stored.
type Record struct {
	Event        string // what happened: one of the Event… constants or another event word; required
	Conversation string // eb:ConversationId: one user journey
	Exchange     string // ExchangeId (EDM 2.0) or the request's id
	MessageID    string // eb:MessageId of the message concerned
	Procedure    string // procedure code (for example R1)
	Requester    string // identifier of the evidence requester (agent id)
	Provider     string // identifier of the evidence provider (agent id)
	EvidenceType string // evidence type classification or id
	Outcome      string // OutcomeOK, an EDM error code, or the cause
	// Receipt is the eb:MessageId of the signed AS4 receipt of MessageID
	// (a message this node sent and the partner acknowledged).
	Receipt string
	// NRR holds the digests of the non-repudiation information of the
	// signed receipt (ebbp:MessagePartNRInformation: one per part the
	// message's signature covers), as FormatNRR writes them. For a message
	// this node received, the digests its own signed receipt repeated.
	NRR string
	// RefTo is the eb:RefToMessageId of MessageID: for an answer, the
	// request it answers.
	RefTo    string
	Personal *Personal // personal data of the subject, stored encrypted; nil when none
}

// Personal is the personal data an entry may hold, stored only encrypted.
type Personal struct {
	GivenName       string            `json:"given_name,omitempty"`
	FamilyName      string            `json:"family_name,omitempty"`
	DateOfBirth     string            `json:"date_of_birth,omitempty"`    // YYYY-MM-DD
	Identifier      string            `json:"identifier,omitempty"`       // eIDAS PersonIdentifier
	LegalName       string            `json:"legal_name,omitempty"`       // of a legal person
	LegalIdentifier string            `json:"legal_identifier,omitempty"` // eIDAS LegalPersonIdentifier
	Other           map[string]string `json:"other,omitempty"`            // further attributes by name
}

// Entry is one stored entry of the journal: a Record without the plaintext
// of its personal data, with its place in the chain. Its JSON form is the
// line of an export.
type Entry struct {
	Seq          int64     `json:"seq"`  // 1, 2, 3… without gaps
	Time         time.Time `json:"time"` // UTC, millisecond precision
	Node         string    `json:"node"` // the node that wrote the entry
	Event        string    `json:"event"`
	Conversation string    `json:"conversation,omitempty"`
	Exchange     string    `json:"exchange,omitempty"`
	MessageID    string    `json:"message_id,omitempty"`
	Procedure    string    `json:"procedure,omitempty"`
	Requester    string    `json:"requester,omitempty"`
	Provider     string    `json:"provider,omitempty"`
	EvidenceType string    `json:"evidence_type,omitempty"`
	Outcome      string    `json:"outcome,omitempty"`
	Receipt      string    `json:"receipt,omitempty"`
	NRR          string    `json:"nrr,omitempty"`
	RefTo        string    `json:"ref_to,omitempty"`
	Sealed       []byte    `json:"personal,omitempty"` // nonce || AES-GCM ciphertext of Personal; empty when none
	Prev         Hash      `json:"prev"`               // Hash of entry Seq-1; zero for entry 1
	Hash         Hash      `json:"hash"`               // see the package documentation
}

// Journal is the audit journal in a node's database.
type Journal struct {
	db  *store.DB
	cfg Config
}

// Open applies the journal's migrations to db and returns the journal.
func Open(ctx context.Context, db *store.DB, cfg Config) (*Journal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Key = append([]byte(nil), cfg.Key...)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.RetentionMonths == 0 {
		cfg.RetentionMonths = DefaultRetentionMonths
	}
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{db: db, cfg: cfg}, nil
}

var eventRE = regexp.MustCompile(`^[a-z][a-z0-9._-]*$`)

// fingerprintPrefix begins a text field stored as Fingerprint.
const fingerprintPrefix = "sha256:"

// Fingerprint is what Append stores in place of a text field that cannot be
// stored as it is: "sha256:" and the lower-case hex SHA-256 of the value's
// bytes.
func Fingerprint(value string) string {
	sum := sha256.Sum256([]byte(value))
	return fingerprintPrefix + hex.EncodeToString(sum[:])
}

func checkText(name, s string) error {
	if len(s) > maxField {
		return fmt.Errorf("%s is %d bytes long, more than %d", name, len(s), maxField)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s contains the control character %U", name, r)
		}
	}
	return nil
}

// validate refuses a record whose Event is not an event word, and replaces
// each text field that cannot be stored as it is by its Fingerprint.
func (r *Record) validate() error {
	if r.Event == "" {
		return fmt.Errorf("%w: Event is empty", ErrInvalidRecord)
	}
	if len(r.Event) > 64 || !eventRE.MatchString(r.Event) {
		return fmt.Errorf("%w: Event %q is not a lower-case event word such as %q", ErrInvalidRecord, r.Event, EventRequestSent)
	}
	for _, f := range []*string{&r.Conversation, &r.Exchange, &r.MessageID, &r.Procedure, &r.Requester, &r.Provider,
		&r.EvidenceType, &r.Outcome, &r.Receipt, &r.NRR, &r.RefTo} {
		if checkText("", *f) != nil {
			*f = Fingerprint(*f)
		}
	}
	return nil
}

// Append records r as the next entry of the chain and returns the stored
// entry, its text fields that cannot be stored as they are replaced by
// their Fingerprint (see Record). It returns an error wrapping
// ErrInvalidRecord when r's Event is not an event word or its personal data
// is too large.
func (j *Journal) Append(ctx context.Context, r Record) (*Entry, error) {
	e, _, err := j.appendUnless(ctx, r, nil)
	return e, err
}

// AppendReceipt appends r, an EventReceipt record, unless the journal holds
// an EventReceipt entry for the same MessageID and Receipt already: a
// receipt handed over again (an ap.ReceiptBackend is called at least once
// per receipt) is journaled once. It returns the entry appended, or nil and
// false for a receipt journaled before. The journal is looked for it in the
// append's transaction, with the head locked, so that concurrent calls with
// the same receipt append one entry. A record of another event, or without
// MessageID or Receipt, is an error wrapping ErrInvalidRecord.
func (j *Journal) AppendReceipt(ctx context.Context, r Record) (*Entry, bool, error) {
	if r.Event != EventReceipt || r.MessageID == "" || r.Receipt == "" {
		return nil, false, fmt.Errorf("%w: AppendReceipt takes an %s record with MessageID and Receipt", ErrInvalidRecord, EventReceipt)
	}
	return j.appendUnless(ctx, r, func(ctx context.Context, tx *sql.Tx, r *Record) (bool, error) {
		// The index of message ids (journal_entries_message) finds the
		// few entries of the message.
		var n int
		err := tx.QueryRowContext(ctx, j.db.Rebind(`SELECT COUNT(*) FROM journal_entries WHERE message_id = ? AND event = ? AND receipt = ?`),
			r.MessageID, r.Event, r.Receipt).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("journal: looking for the receipt %s of %s: %w", r.Receipt, r.MessageID, err)
		}
		return n > 0, nil
	})
}

// AppendOnce appends r unless the latest entry about the same MessageID in
// the same Exchange is of the same Event: a step journaled where it may be
// done again (a connector's transaction that is retried, a message
// delivered again) is journaled once each time it happens — once, until
// another step about the message (an EventError saying it did not go, say)
// is journaled, after which it is journaled again when it happens again.
// It returns the entry appended, or nil and false. The journal is looked
// for it in the append's transaction, with the head locked, as by
// AppendReceipt. A record without MessageID is an error wrapping
// ErrInvalidRecord.
func (j *Journal) AppendOnce(ctx context.Context, r Record) (*Entry, bool, error) {
	if r.MessageID == "" {
		return nil, false, fmt.Errorf("%w: AppendOnce takes a record with MessageID", ErrInvalidRecord)
	}
	return j.appendUnless(ctx, r, func(ctx context.Context, tx *sql.Tx, r *Record) (bool, error) {
		var last string
		err := tx.QueryRowContext(ctx, j.db.Rebind(`SELECT event FROM journal_entries WHERE message_id = ? AND exchange = ? ORDER BY seq DESC LIMIT 1`),
			r.MessageID, r.Exchange).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("journal: looking for the %s entry of %s: %w", r.Event, r.MessageID, err)
		}
		return last == r.Event, nil
	})
}

// appendUnless appends r in a transaction, unless skip (when not nil),
// asked in that transaction with the head locked and r validated, finds
// that it is not to be appended. It reports whether r was appended.
func (j *Journal) appendUnless(ctx context.Context, r Record, skip func(context.Context, *sql.Tx, *Record) (bool, error)) (*Entry, bool, error) {
	if err := r.validate(); err != nil {
		return nil, false, err
	}
	plain, err := r.Personal.marshal()
	if err != nil {
		return nil, false, err
	}
	tx, err := j.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("journal: append: %w", err)
	}
	defer tx.Rollback()
	head, headHash, err := j.lockHead(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	if skip != nil {
		if found, err := skip(ctx, tx, &r); err != nil || found {
			return nil, false, err
		}
	}
	e, err := j.appendAt(ctx, tx, head, headHash, r, plain)
	if err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("journal: append entry %d: %w", e.Seq, err)
	}
	return e, true, nil
}

// lockHead reads the head in tx, locking it (PostgreSQL: FOR UPDATE; SQLite
// takes the database's write lock at the first write of the transaction,
// which Append's callers begin with).
func (j *Journal) lockHead(ctx context.Context, tx *sql.Tx) (int64, Hash, error) {
	q := `SELECT seq, hash FROM journal_head WHERE id = 1`
	if j.db.Dialect() == store.PostgreSQL {
		q += ` FOR UPDATE`
	}
	var head int64
	var headHash string
	if err := tx.QueryRowContext(ctx, q).Scan(&head, &headHash); err != nil {
		return 0, Hash{}, fmt.Errorf("journal: reading the head: %w", err)
	}
	var h Hash
	if err := h.UnmarshalText([]byte(headHash)); err != nil {
		return 0, Hash{}, fmt.Errorf("journal: the head: %w", err)
	}
	return head, h, nil
}

// appendTx appends r (validated, plain its personal data) in tx.
func (j *Journal) appendTx(ctx context.Context, tx *sql.Tx, r Record, plain []byte) (*Entry, error) {
	head, headHash, err := j.lockHead(ctx, tx)
	if err != nil {
		return nil, err
	}
	return j.appendAt(ctx, tx, head, headHash, r, plain)
}

// appendAt appends r in tx after the head read and locked.
func (j *Journal) appendAt(ctx context.Context, tx *sql.Tx, head int64, headHash Hash, r Record, plain []byte) (*Entry, error) {
	var err error
	e := &Entry{
		Seq:          head + 1,
		Time:         time.UnixMilli(j.cfg.Now().UnixMilli()).UTC(),
		Node:         j.cfg.Node,
		Event:        r.Event,
		Conversation: r.Conversation,
		Exchange:     r.Exchange,
		MessageID:    r.MessageID,
		Procedure:    r.Procedure,
		Requester:    r.Requester,
		Provider:     r.Provider,
		EvidenceType: r.EvidenceType,
		Outcome:      r.Outcome,
		Receipt:      r.Receipt,
		NRR:          r.NRR,
		RefTo:        r.RefTo,
		Prev:         headHash,
	}
	if plain != nil {
		if e.Sealed, err = seal(j.cfg.Key, j.cfg.Rand, e.Seq, plain); err != nil {
			return nil, err
		}
	}
	e.Hash = e.ComputeHash()
	if _, err := tx.ExecContext(ctx, j.db.Rebind(`INSERT INTO journal_entries
		(seq, time_ms, node, event, conversation, exchange, message_id, proc, requester, provider, evidence_type, outcome, receipt, nrr, ref_to, personal, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.Seq, e.Time.UnixMilli(), e.Node, e.Event, e.Conversation, e.Exchange, e.MessageID, e.Procedure,
		e.Requester, e.Provider, e.EvidenceType, e.Outcome, e.Receipt, e.NRR, e.RefTo, nonNil(e.Sealed), e.Prev.String(), e.Hash.String()); err != nil {
		return nil, fmt.Errorf("journal: append entry %d: %w", e.Seq, err)
	}
	if _, err := tx.ExecContext(ctx, j.db.Rebind(`UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1`), e.Seq, e.Hash.String()); err != nil {
		return nil, fmt.Errorf("journal: append entry %d: moving the head: %w", e.Seq, err)
	}
	return e, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Head returns the sequence number and hash of the last entry (0 and the zero
// hash for an empty journal). Kept outside the database, it lets a later
// VerifyExportHead prove that an export holds the chain up to it,
// unchanged.
func (j *Journal) Head(ctx context.Context) (int64, Hash, error) {
	var seq int64
	var hs string
	if err := j.db.SQL().QueryRowContext(ctx, `SELECT seq, hash FROM journal_head WHERE id = 1`).Scan(&seq, &hs); err != nil {
		return 0, Hash{}, fmt.Errorf("journal: head: %w", err)
	}
	var h Hash
	if err := h.UnmarshalText([]byte(hs)); err != nil {
		return 0, Hash{}, fmt.Errorf("journal: head: %w", err)
	}
	return seq, h, nil
}

// Personal decrypts the personal data of e with the journal's key (see
// Entry.Open).
func (j *Journal) Personal(e *Entry) (*Personal, error) {
	return e.Open(j.cfg.Key)
}

// Hash is a SHA-256 hash of an entry; its text form is lower-case hex.
type Hash [32]byte

// String returns h in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText returns h in lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return fmt.Errorf("journal: a hash is %d hex digits, not %d characters", 2*len(h), len(b))
	}
	var v Hash
	if _, err := hex.Decode(v[:], b); err != nil {
		return fmt.Errorf("journal: hash: %w", err)
	}
	*h = v
	return nil
}

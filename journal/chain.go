package journal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// hashDomain begins the hashed encoding of an entry without receipt
// references; hashDomainNRR the encoding of one with them (v2: Receipt and
// NRR follow Outcome), so that the entries written before receipts were
// journaled keep their hashes.
const (
	hashDomain    = "oots-journal/v1\x00"
	hashDomainNRR = "oots-journal/v2\x00"
)

// ComputeHash returns the hash of e's stored fields and Prev as the package
// documentation defines it (e.Hash is not an input).
func (e *Entry) ComputeHash() Hash {
	h := sha256.New()
	var n [8]byte
	v2 := e.Receipt != "" || e.NRR != "" || e.RefTo != ""
	if v2 {
		h.Write([]byte(hashDomainNRR))
	} else {
		h.Write([]byte(hashDomain))
	}
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Time.UnixMilli()))
	h.Write(n[:])
	field := func(b []byte) {
		binary.BigEndian.PutUint32(n[:4], uint32(len(b)))
		h.Write(n[:4])
		h.Write(b)
	}
	for _, s := range []string{e.Node, e.Event, e.Conversation, e.Exchange, e.MessageID, e.Procedure,
		e.Requester, e.Provider, e.EvidenceType, e.Outcome} {
		field([]byte(s))
	}
	if v2 {
		field([]byte(e.Receipt))
		field([]byte(e.NRR))
		field([]byte(e.RefTo))
	}
	field(e.Sealed)
	h.Write(e.Prev[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// chain checks entries in order, as Verify and VerifyExport do. A chain
// whose first entries were purged (Journal.Purge) starts after its base: the
// sequence number and hash of the last entry purged, which an EventPurged
// entry of the chain must name.
type chain struct {
	n        int64 // sequence number of the last entry checked (the base before any)
	last     Hash
	base     int64 // entries up to base were purged
	baseHash Hash
	attested bool // an EventPurged entry names (base, baseHash)
}

// from starts c after a base of purged entries.
func (c *chain) from(seq int64, h Hash) {
	c.n, c.last, c.base, c.baseHash = seq, h, seq, h
}

// count is the number of entries checked.
func (c *chain) count() int64 { return c.n - c.base }

// next checks that e follows the entries checked so far.
func (c *chain) next(e *Entry) error {
	want := c.n + 1
	switch {
	case e.Seq < want:
		return &TamperError{Seq: e.Seq, Reason: fmt.Sprintf("appears again after entry %d", c.n)}
	case e.Seq > want:
		return &TamperError{Seq: want, Reason: fmt.Sprintf("missing (the next entry is %d)", e.Seq)}
	case e.Prev != c.last:
		return &TamperError{Seq: e.Seq, Reason: "its link (prev) is not the hash of the previous entry"}
	case e.ComputeHash() != e.Hash:
		return &TamperError{Seq: e.Seq, Reason: "its hash does not match its content"}
	}
	if e.Event == EventPurged && c.base > 0 {
		if seq, h, ok := parsePurged(e.Outcome); ok && seq == c.base && h == c.baseHash {
			c.attested = true
		}
	}
	c.n++
	c.last = e.Hash
	return nil
}

// end checks that the chain ends at the head (seq, hash), and that a purge
// accounts for the entries before its base.
func (c *chain) end(seq int64, h Hash) error {
	switch {
	case seq > c.n:
		return &TamperError{Seq: c.n + 1, Reason: fmt.Sprintf("missing (the head records %d entries)", seq)}
	case seq < c.n:
		return &TamperError{Seq: seq + 1, Reason: fmt.Sprintf("beyond the head (entry %d)", seq)}
	case h != c.last:
		return &TamperError{Seq: seq, Reason: "its hash is not the one the head records"}
	}
	return c.endBase()
}

// endBase checks that an EventPurged entry names the base.
func (c *chain) endBase() error {
	if c.base > 0 && !c.attested {
		return &TamperError{Seq: c.base, Reason: fmt.Sprintf("entries 1 to %d are missing and no %s entry accounts for them", c.base, EventPurged)}
	}
	return nil
}

const entryColumns = `seq, time_ms, node, event, conversation, exchange, message_id, proc, requester, provider, evidence_type, outcome, receipt, nrr, ref_to, personal, prev, hash`

// scanEntry reads a row of entryColumns, after columns read into before.
// A stored hash that is not 64 hex digits is reported as tampering with
// that entry.
func scanEntry(rows *sql.Rows, before ...any) (*Entry, error) {
	var e Entry
	var ms int64
	var prev, hash string
	if err := rows.Scan(append(before, &e.Seq, &ms, &e.Node, &e.Event, &e.Conversation, &e.Exchange, &e.MessageID, &e.Procedure,
		&e.Requester, &e.Provider, &e.EvidenceType, &e.Outcome, &e.Receipt, &e.NRR, &e.RefTo, &e.Sealed, &prev, &hash)...); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	e.Time = time.UnixMilli(ms).UTC()
	if len(e.Sealed) == 0 {
		e.Sealed = nil
	}
	if err := e.Prev.UnmarshalText([]byte(prev)); err != nil {
		return nil, &TamperError{Seq: e.Seq, Reason: "stored prev is not a hash"}
	}
	if err := e.Hash.UnmarshalText([]byte(hash)); err != nil {
		return nil, &TamperError{Seq: e.Seq, Reason: "stored hash is not a hash"}
	}
	return &e, nil
}

// Verify walks the chain from entry 1 to the head and returns the number of
// entries that hold. At the first entry whose sequence number, link or hash
// does not hold it returns a *TamperError naming that entry. The head row
// bounds the walk: entries after the last one missing are reported, and a
// row added beyond the head makes the next Append fail (its sequence number
// is taken) rather than fork the chain. A row at or before the base is
// reported too: a purge deletes what it moves the base over in the same
// transaction, so such a row was put there by other means.
//
// The head, the base and the entries are read in one statement, so that
// Verify sees them as of one moment while appends and purges go on (on
// PostgreSQL as on SQLite, a statement reads one snapshot), without holding
// a transaction open for the length of the walk.
func (j *Journal) Verify(ctx context.Context) (int, error) {
	for range 3 {
		n, again, err := j.verify(ctx)
		if !again {
			return n, err
		}
	}
	return 0, errors.New("journal: verify: entries were appended while the journal was read, three times")
}

// verifyQuery reads the head and the base beside each entry up to the
// head, all in one statement.
const verifyQuery = `SELECT (SELECT seq FROM journal_head WHERE id = 1) AS head_seq, (SELECT hash FROM journal_head WHERE id = 1) AS head_hash,
	(SELECT seq FROM journal_base WHERE id = 1) AS base_seq, (SELECT hash FROM journal_base WHERE id = 1) AS base_hash, ` + entryColumns + `
	FROM journal_entries WHERE seq <= (SELECT seq FROM journal_head WHERE id = 1) ORDER BY seq`

// verify is one walk of Verify; again reports that the journal had no
// entries when its entries were read and some when its head was read
// (appended in between), so that the walk is to be made again.
func (j *Journal) verify(ctx context.Context) (n int, again bool, err error) {
	rows, err := j.db.SQL().QueryContext(ctx, verifyQuery)
	if err != nil {
		return 0, false, fmt.Errorf("journal: verify: %w", err)
	}
	defer rows.Close()
	var c chain
	var headSeq, baseSeq int64
	var headHash, baseHash Hash
	first := true
	for rows.Next() {
		var hs, bs string
		e, err := scanEntry(rows, &headSeq, &hs, &baseSeq, &bs)
		if err != nil {
			return int(c.count()), false, err
		}
		if first {
			first = false
			if headHash, baseHash, err = headAndBase(hs, bs); err != nil {
				return 0, false, err
			}
			c.from(baseSeq, baseHash)
		}
		if e.Seq <= baseSeq {
			return 0, false, &TamperError{Seq: e.Seq, Reason: fmt.Sprintf("at or before the base (entry %d), which a purge removed with the entries before it", baseSeq)}
		}
		if err := c.next(e); err != nil {
			return int(c.count()), false, err
		}
	}
	if err := rows.Err(); err != nil {
		return int(c.count()), false, fmt.Errorf("journal: verify: %w", err)
	}
	if first {
		// No entry: the head and the base as of one moment, with the
		// number of entries up to the head then.
		var hs, bs string
		var entries int64
		err := j.db.SQL().QueryRowContext(ctx, `SELECT h.seq, h.hash, b.seq, b.hash, (SELECT COUNT(*) FROM journal_entries WHERE seq <= h.seq)
			FROM journal_head h, journal_base b WHERE h.id = 1 AND b.id = 1`).Scan(&headSeq, &hs, &baseSeq, &bs, &entries)
		if err != nil {
			return 0, false, fmt.Errorf("journal: verify: %w", err)
		}
		if entries > 0 {
			return 0, true, nil
		}
		if headHash, baseHash, err = headAndBase(hs, bs); err != nil {
			return 0, false, err
		}
		c.from(baseSeq, baseHash)
	}
	if err := c.end(headSeq, headHash); err != nil {
		if te := (*TamperError)(nil); errors.As(err, &te) && te.Seq <= c.n && te.Seq > c.base {
			return int(te.Seq - 1 - c.base), false, err
		}
		return int(c.count()), false, err
	}
	return int(c.count()), false, nil
}

// headAndBase reads the stored hashes of the head and the base.
func headAndBase(head, base string) (h, b Hash, err error) {
	if err := h.UnmarshalText([]byte(head)); err != nil {
		return h, b, fmt.Errorf("journal: head: %w", err)
	}
	if err := b.UnmarshalText([]byte(base)); err != nil {
		return h, b, fmt.Errorf("journal: base: %w", err)
	}
	return h, b, nil
}

// DefaultLimit is the number of entries List returns when Filter.Limit is 0.
const DefaultLimit = 1000

// Filter selects entries for List. Zero fields select everything.
type Filter struct {
	Conversation string    // only entries of this eb:ConversationId
	Since        time.Time // only entries recorded at or after this time
	After        int64     // only entries with a greater sequence number (paging)
	Limit        int       // at most this many entries; DefaultLimit when 0
}

// List returns the entries that f selects in sequence order. It does not
// verify the chain (Verify does).
func (j *Journal) List(ctx context.Context, f Filter) ([]*Entry, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("journal: list: negative Limit %d", f.Limit)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	var where []string
	var args []any
	if f.Conversation != "" {
		where = append(where, "conversation = ?")
		args = append(args, f.Conversation)
	}
	if !f.Since.IsZero() {
		where = append(where, "time_ms >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if f.After > 0 {
		where = append(where, "seq > ?")
		args = append(args, f.After)
	}
	q := `SELECT ` + entryColumns + ` FROM journal_entries`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY seq LIMIT ?`
	args = append(args, f.Limit)
	rows, err := j.db.SQL().QueryContext(ctx, j.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("journal: list: %w", err)
	}
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: list: %w", err)
	}
	return out, nil
}

// marshal returns the plaintext of p, or nil when p holds nothing.
func (p *Personal) marshal() ([]byte, error) {
	if p == nil || (p.GivenName == "" && p.FamilyName == "" && p.DateOfBirth == "" && p.Identifier == "" &&
		p.LegalName == "" && p.LegalIdentifier == "" && len(p.Other) == 0) {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("journal: personal data: %w", err)
	}
	if len(b) > maxPersonal {
		return nil, fmt.Errorf("%w: Personal is %d bytes as JSON, more than %d", ErrInvalidRecord, len(b), maxPersonal)
	}
	return b, nil
}

func seqAD(seq int64) []byte {
	var ad [8]byte
	binary.BigEndian.PutUint64(ad[:], uint64(seq))
	return ad[:]
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("journal: the key must be 32 bytes (AES-256), not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain for entry seq: nonce || ciphertext || tag.
func seal(key []byte, rnd io.Reader, seq int64, plain []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return nil, fmt.Errorf("journal: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, seqAD(seq)), nil
}

// Open decrypts the personal data of e with key. It returns nil and no
// error when e has none, and an error wrapping ErrDecrypt when the data does
// not open with key (a wrong key, or data altered or moved from another
// entry).
func (e *Entry) Open(key []byte) (*Personal, error) {
	if len(e.Sealed) == 0 {
		return nil, nil
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(e.Sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: entry %d: sealed data too short", ErrDecrypt, e.Seq)
	}
	ns := aead.NonceSize()
	plain, err := aead.Open(nil, e.Sealed[:ns], e.Sealed[ns:], seqAD(e.Seq))
	if err != nil {
		return nil, fmt.Errorf("%w: entry %d", ErrDecrypt, e.Seq)
	}
	var p Personal
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("journal: entry %d: personal data: %w", e.Seq, err)
	}
	return &p, nil
}

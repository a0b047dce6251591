package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventPurged is the entry a retention purge appends (Journal.Purge): its
// Outcome names the last entry purged as "purged-through SEQ HASH", so that
// the chain, which goes on from that entry's hash, stays verifiable without
// the entries before it.
const EventPurged = "journal.purged"

// DefaultRetentionMonths is the retention of Config.RetentionMonths when it
// is 0: twelve months.
const DefaultRetentionMonths = 12

const purgedPrefix = "purged-through "

// formatPurged writes the Outcome of an EventPurged entry.
func formatPurged(seq int64, h Hash) string {
	return purgedPrefix + strconv.FormatInt(seq, 10) + " " + h.String()
}

// parsePurged reads the Outcome of an EventPurged entry.
func parsePurged(outcome string) (int64, Hash, bool) {
	rest, ok := strings.CutPrefix(outcome, purgedPrefix)
	if !ok {
		return 0, Hash{}, false
	}
	seqText, hashText, ok := strings.Cut(rest, " ")
	if !ok {
		return 0, Hash{}, false
	}
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq <= 0 {
		return 0, Hash{}, false
	}
	var h Hash
	if err := h.UnmarshalText([]byte(hashText)); err != nil {
		return 0, Hash{}, false
	}
	return seq, h, true
}

// Base returns the sequence number and hash of the last entry a retention
// purge removed (0 and the zero hash when none was): the chain in the
// database begins after it.
func (j *Journal) Base(ctx context.Context) (int64, Hash, error) {
	var seq int64
	var hs string
	if err := j.db.SQL().QueryRowContext(ctx, `SELECT seq, hash FROM journal_base WHERE id = 1`).Scan(&seq, &hs); err != nil {
		return 0, Hash{}, fmt.Errorf("journal: base: %w", err)
	}
	var h Hash
	if err := h.UnmarshalText([]byte(hs)); err != nil {
		return 0, Hash{}, fmt.Errorf("journal: base: %w", err)
	}
	return seq, h, nil
}

// Purged reports a retention purge.
type Purged struct {
	// Through is the sequence number of the last entry removed (0: none
	// was older than the cut-off, nothing was removed or journaled).
	Through int64
	// Count is the number of entries removed.
	Count int64
	// Checkpoint is the EventPurged entry appended; nil when nothing was
	// removed.
	Checkpoint *Entry
}

// Purge removes the entries recorded before cutoff, the retention period
// of the exchange log (OOTS TDD §4.8) being over, and journals it: in one
// transaction it appends an EventPurged entry naming the last entry removed
// (its sequence number and hash), moves the journal's base to that entry and
// deletes the entries up to it. Verify and VerifyExport then check the chain
// from the base and require the EventPurged entry that names it, so that
// entries removed by other means than a purge still show as tampering. The
// entries removed are the oldest ones in sequence order, up to the last one
// older than cutoff: an entry is never removed while an older one is kept.
// Export the journal before a purge to keep what it removes.
func (j *Journal) Purge(ctx context.Context, cutoff time.Time) (*Purged, error) {
	tx, err := j.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: purge: %w", err)
	}
	defer tx.Rollback()
	// The head first: purges and appends are serialised on it.
	if _, _, err := j.lockHead(ctx, tx); err != nil {
		return nil, fmt.Errorf("journal: purge: %w", err)
	}
	var base int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM journal_base WHERE id = 1`).Scan(&base); err != nil {
		return nil, fmt.Errorf("journal: purge: reading the base: %w", err)
	}
	var through int64
	var hs string
	err = tx.QueryRowContext(ctx, j.db.Rebind(`SELECT seq, hash FROM journal_entries WHERE seq = (SELECT MAX(seq) FROM journal_entries WHERE seq > ? AND time_ms < ?)`),
		base, cutoff.UnixMilli()).Scan(&through, &hs)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return &Purged{}, nil
		}
		return nil, fmt.Errorf("journal: purge: %w", err)
	}
	var h Hash
	if err := h.UnmarshalText([]byte(hs)); err != nil {
		return nil, &TamperError{Seq: through, Reason: "stored hash is not a hash"}
	}
	e, err := j.appendTx(ctx, tx, Record{Event: EventPurged,
		Outcome: formatPurged(through, h)}, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: purge: %w", err)
	}
	if _, err := tx.ExecContext(ctx, j.db.Rebind(`UPDATE journal_base SET seq = ?, hash = ? WHERE id = 1`), through, h.String()); err != nil {
		return nil, fmt.Errorf("journal: purge: moving the base: %w", err)
	}
	res, err := tx.ExecContext(ctx, j.db.Rebind(`DELETE FROM journal_entries WHERE seq <= ?`), through)
	if err != nil {
		return nil, fmt.Errorf("journal: purge: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("journal: purge: %w", err)
	}
	return &Purged{Through: through, Count: n, Checkpoint: e}, nil
}

// PurgeExpired purges (Purge) the entries older than the retention period
// of Config.RetentionMonths; with a negative RetentionMonths it purges
// nothing.
func (j *Journal) PurgeExpired(ctx context.Context) (*Purged, error) {
	if j.cfg.RetentionMonths < 0 {
		return &Purged{}, nil
	}
	return j.Purge(ctx, j.cfg.Now().AddDate(0, -j.cfg.RetentionMonths, 0))
}

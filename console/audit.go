package console

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/oots-go/oots/store"
)

// AuditEntry is one console action: who, when, what, on what, with which
// outcome, from where. Entries are chained like the exchange journal's:
// Hash = SHA-256("oots-console-audit/v1\x00" ‖ seq ‖ time_ms ‖ each text
// field length-prefixed ‖ Prev), Prev being the previous entry's Hash (32
// zero bytes for the first), so that a changed, removed or reordered entry
// breaks the chain at that entry.
type AuditEntry struct {
	Seq     int64
	Time    time.Time
	Actor   string // account name; "" before a login
	Role    Role
	Action  string // login, logout, message.resend, payload.download, …
	Target  string // message id, account name, …
	Outcome string // ok, denied, failed: <reason>
	Remote  string // the client's address
	Prev    string // hex
	Hash    string // hex
}

const auditDomain = "oots-console-audit/v1\x00"

const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

func (e *AuditEntry) computeHash() string {
	h := sha256.New()
	var n [8]byte
	h.Write([]byte(auditDomain))
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Time.UnixMilli()))
	h.Write(n[:])
	for _, s := range []string{e.Actor, string(e.Role), e.Action, e.Target, e.Outcome, e.Remote} {
		binary.BigEndian.PutUint32(n[:4], uint32(len(s)))
		h.Write(n[:4])
		h.Write([]byte(s))
	}
	prev, _ := hex.DecodeString(e.Prev)
	h.Write(prev)
	return hex.EncodeToString(h.Sum(nil))
}

// Audit is the console's audit trail.
type Audit struct {
	db  *store.DB
	now func() time.Time
}

// maxAuditField bounds each text field of an entry.
const maxAuditField = 512

func clip(s string) string {
	if len(s) > maxAuditField {
		return s[:maxAuditField]
	}
	return s
}

// Record appends an entry. The head row is locked (PostgreSQL: SELECT …
// FOR UPDATE; SQLite: the IMMEDIATE transaction) so that the nodes of a
// cluster append one at a time.
func (a *Audit) Record(ctx context.Context, e AuditEntry) (*AuditEntry, error) {
	tx, err := a.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("console: audit: %w", err)
	}
	defer tx.Rollback()
	q := "SELECT seq, hash FROM console_audit_head WHERE id = 1"
	if a.db.Dialect() == store.PostgreSQL {
		q += " FOR UPDATE"
	}
	var head int64
	var headHash string
	if err := tx.QueryRowContext(ctx, q).Scan(&head, &headHash); err != nil {
		return nil, fmt.Errorf("console: audit: reading the head: %w", err)
	}
	e.Seq, e.Prev = head+1, headHash
	e.Time = time.UnixMilli(a.now().UnixMilli()).UTC()
	e.Actor, e.Action, e.Target, e.Outcome, e.Remote = clip(e.Actor), clip(e.Action), clip(e.Target), clip(e.Outcome), clip(e.Remote)
	e.Hash = e.computeHash()
	if _, err := tx.ExecContext(ctx, a.db.Rebind(`INSERT INTO console_audit (seq, time_ms, actor, role, action, target, outcome, remote, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), e.Seq, e.Time.UnixMilli(), e.Actor, string(e.Role), e.Action, e.Target, e.Outcome, e.Remote, e.Prev, e.Hash); err != nil {
		return nil, fmt.Errorf("console: audit entry %d: %w", e.Seq, err)
	}
	if _, err := tx.ExecContext(ctx, a.db.Rebind("UPDATE console_audit_head SET seq = ?, hash = ? WHERE id = 1"), e.Seq, e.Hash); err != nil {
		return nil, fmt.Errorf("console: audit entry %d: moving the head: %w", e.Seq, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("console: audit entry %d: %w", e.Seq, err)
	}
	return &e, nil
}

// AuditFilter selects entries; empty fields do not filter.
type AuditFilter struct {
	Actor, Action, Target string
	Limit                 int // default and at most 500
}

// List returns the entries that match f, newest first.
func (a *Audit) List(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) {
	q := "SELECT seq, time_ms, actor, role, action, target, outcome, remote, prev, hash FROM console_audit WHERE 1 = 1"
	var args []any
	for _, c := range []struct{ col, v string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target}} {
		if c.v != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT %d", limit)
	return a.scan(ctx, q, args...)
}

func (a *Audit) scan(ctx context.Context, q string, args ...any) ([]*AuditEntry, error) {
	rows, err := a.db.SQL().QueryContext(ctx, a.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("console: audit: %w", err)
	}
	defer rows.Close()
	var out []*AuditEntry
	for rows.Next() {
		var e AuditEntry
		var t int64
		var role string
		if err := rows.Scan(&e.Seq, &t, &e.Actor, &role, &e.Action, &e.Target, &e.Outcome, &e.Remote, &e.Prev, &e.Hash); err != nil {
			return nil, fmt.Errorf("console: audit: %w", err)
		}
		e.Time, e.Role = time.UnixMilli(t).UTC(), Role(role)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// TamperError: the audit trail's chain breaks at entry Seq.
type TamperError struct {
	Seq    int64
	Reason string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("console: audit trail broken at entry %d: %s", e.Seq, e.Reason)
}

// Verify walks the whole trail and checks its chain and its head; it
// returns the number of entries, or a *TamperError.
func (a *Audit) Verify(ctx context.Context) (int64, error) {
	rows, err := a.db.SQL().QueryContext(ctx, "SELECT seq, time_ms, actor, role, action, target, outcome, remote, prev, hash FROM console_audit ORDER BY seq")
	if err != nil {
		return 0, fmt.Errorf("console: audit: %w", err)
	}
	defer rows.Close()
	var n int64
	last := zeroHash
	for rows.Next() {
		var e AuditEntry
		var t int64
		var role string
		if err := rows.Scan(&e.Seq, &t, &e.Actor, &role, &e.Action, &e.Target, &e.Outcome, &e.Remote, &e.Prev, &e.Hash); err != nil {
			return n, fmt.Errorf("console: audit: %w", err)
		}
		e.Time, e.Role = time.UnixMilli(t).UTC(), Role(role)
		switch {
		case e.Seq != n+1:
			return n, &TamperError{Seq: n + 1, Reason: fmt.Sprintf("the next entry is %d", e.Seq)}
		case e.Prev != last:
			return n, &TamperError{Seq: e.Seq, Reason: "does not follow the previous entry"}
		case e.computeHash() != e.Hash:
			return n, &TamperError{Seq: e.Seq, Reason: "its content does not match its hash"}
		}
		n, last = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("console: audit: %w", err)
	}
	var head int64
	var headHash string
	if err := a.db.SQL().QueryRowContext(ctx, "SELECT seq, hash FROM console_audit_head WHERE id = 1").Scan(&head, &headHash); err != nil {
		return n, fmt.Errorf("console: audit: %w", err)
	}
	if head != n || headHash != last {
		return n, &TamperError{Seq: n + 1, Reason: fmt.Sprintf("the head names entry %d, the trail ends at %d", head, n)}
	}
	return n, nil
}

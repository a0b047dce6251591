package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

// Search is a filter on the stored messages of one direction, for an
// operator's console. Empty fields do not filter; times bound the creation
// (outbound) or reception (inbound) time, From inclusive, To exclusive.
type Search struct {
	ID string // exact eb:MessageId
	// Conversation is an exact eb:ConversationId, read from the stored
	// submission (outbound) or header (inbound) as JSON: a scan of the
	// rows the other fields select, for an operator's search, not a
	// lookup of the hot path. A purged submission no longer matches.
	Conversation string
	Partner      string
	Leg          string
	// State is, outbound, apstore.OutQueued, OutDelivered or OutFailed;
	// inbound, a delivery state (apstore.DeliveryPending …).
	State string
	From  time.Time
	To    time.Time
	Limit int // default and at most 500
}

// MaxSearch is the largest number of messages a search returns.
const MaxSearch = 500

func (s *Search) where(d Dialect, timeCol, stateCol string) (string, []any) {
	var conds []string
	var args []any
	add := func(c string, v any) {
		conds = append(conds, c)
		args = append(args, v)
	}
	if s.ID != "" {
		add(map[string]string{"created_at": "id = ?", "received_at": "message_id = ?"}[timeCol], s.ID)
	}
	if s.Partner != "" {
		add("partner = ?", s.Partner)
	}
	if s.Conversation != "" {
		col := map[string]string{"created_at": "body", "received_at": "header"}[timeCol]
		if d == PostgreSQL {
			add("convert_from("+col+", 'UTF8')::jsonb->>'conversationId' = ?", s.Conversation)
		} else {
			add("json_extract(CAST("+col+" AS TEXT), '$.conversationId') = ?", s.Conversation)
		}
	}
	if s.Leg != "" {
		add("leg = ?", s.Leg)
	}
	if s.State != "" {
		add(stateCol+" = ?", s.State)
	}
	if !s.From.IsZero() {
		add(timeCol+" >= ?", ms(s.From))
	}
	if !s.To.IsZero() {
		add(timeCol+" < ?", ms(s.To))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (s *Search) limit() int {
	if s.Limit <= 0 || s.Limit > MaxSearch {
		return MaxSearch
	}
	return s.Limit
}

// SearchOutbound returns the submitted messages that match s, newest first,
// without their bodies.
func (d *DB) SearchOutbound(ctx context.Context, s Search) ([]*apstore.Outbound, error) {
	where, args := s.where(d.dialect, "created_at", "state")
	rows, err := d.db.QueryContext(ctx, d.Rebind(`SELECT id, COALESCE(client_key, ''), leg, partner, state, attempts, next_at, last_error,
		created_at, updated_at FROM ap_outbound`+where+fmt.Sprintf(" ORDER BY created_at DESC, id LIMIT %d", s.limit())), args...)
	if err != nil {
		return nil, fmt.Errorf("store: search outbound: %w", err)
	}
	defer rows.Close()
	var out []*apstore.Outbound
	for rows.Next() {
		var m apstore.Outbound
		var next, created, updated int64
		if err := rows.Scan(&m.ID, &m.ClientKey, &m.Leg, &m.Partner, &m.State, &m.Attempts, &next, &m.LastError, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: search outbound: %w", err)
		}
		m.NextAt, m.Created, m.Updated = fromMS(next), fromMS(created), fromMS(updated)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// SearchInbound returns the received messages that match s (State is the
// delivery state), newest first, without their bodies.
func (d *DB) SearchInbound(ctx context.Context, s Search) ([]*apstore.Inbound, error) {
	where, args := s.where(d.dialect, "received_at", "delivery")
	rows, err := d.db.QueryContext(ctx, d.Rebind("SELECT "+inCols+" FROM ap_inbound"+where+
		fmt.Sprintf(" ORDER BY received_at DESC, seq DESC LIMIT %d", s.limit())), args...)
	if err != nil {
		return nil, fmt.Errorf("store: search inbound: %w", err)
	}
	defer rows.Close()
	var out []*apstore.Inbound
	for rows.Next() {
		m, err := scanInbound(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: search inbound: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Resend puts a failed outbound message back in the queue for an attempt
// now, with its retry budget anew (its attempt count restarts at zero). Its
// failure report stays: the backend was told of the failure, and learns of
// the outcome of the resend from the message's status.
func (d *DB) Resend(ctx context.Context, id string, now time.Time) error {
	return d.requeue(ctx, id, now, apstore.OutFailed, "attempts = 0,")
}

// RetryNow moves the next attempt of a queued outbound message to now.
func (d *DB) RetryNow(ctx context.Context, id string, now time.Time) error {
	return d.requeue(ctx, id, now, apstore.OutQueued, "")
}

func (d *DB) requeue(ctx context.Context, id string, now time.Time, from, reset string) error {
	res, err := d.db.ExecContext(ctx, d.Rebind(`UPDATE ap_outbound SET state = ?, next_at = ?, `+reset+` updated_at = ?
		WHERE id = ? AND state = ? AND lease_until <= ?`), apstore.OutQueued, ms(now), ms(now), id, from, ms(now))
	if err != nil {
		return fmt.Errorf("store: requeue %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := d.Outbound(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("store: requeue %s: %w", id, apstore.ErrWrongState)
}

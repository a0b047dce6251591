package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const outCols = "id, COALESCE(client_key, ''), leg, partner, body, state, attempts, next_at, last_error, receipt, created_at, updated_at"

type scanner interface{ Scan(...any) error }

func scanOutbound(r scanner) (*apstore.Outbound, error) {
	var o apstore.Outbound
	var next, created, updated int64
	if err := r.Scan(&o.ID, &o.ClientKey, &o.Leg, &o.Partner, &o.Body, &o.State, &o.Attempts, &next, &o.LastError, &o.Receipt, &created, &updated); err != nil {
		return nil, err
	}
	o.NextAt, o.Created, o.Updated = fromMS(next), fromMS(created), fromMS(updated)
	return &o, nil
}

// The statements of the transactions of Enqueue, Receive and FinishOutbound.
const (
	sqlEnqueue = `INSERT INTO ap_outbound (id, client_key, leg, partner, body, state, next_at, created_at, updated_at, lease_owner, lease_until, attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING ` + outCols
	sqlPayloadFile = `INSERT INTO ap_payload_files (file, message_id) VALUES (?, ?)`
	sqlReceive     = `INSERT INTO ap_inbound (message_id, partner, leg, header, body, received_at, delivery, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	sqlReceivedFrom = "SELECT partner FROM ap_inbound WHERE message_id = ?"
	sqlFinish       = `UPDATE ap_outbound SET state = ?, next_at = ?, last_error = ?, receipt = COALESCE(?, receipt),
		lease_owner = '', lease_until = 0, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND lease_until > ? AND state = ?`
)

// Enqueue stores a new outbound message, due at m.NextAt (or at once), or
// claimed already by m.LeaseOwner.
// When a message with the same ClientKey (or the same ID) exists already,
// nothing is stored and that message is returned with created false: a
// submission retried by the backend is sent once.
func (d *DB) Enqueue(ctx context.Context, m *apstore.Outbound) (stored *apstore.Outbound, created bool, err error) {
	if m.ID == "" || m.Leg == "" {
		return nil, false, errors.New("store: enqueue: message id and leg are required")
	}
	now := m.Created
	if now.IsZero() {
		now = time.Now()
	}
	next := m.NextAt
	if next.IsZero() {
		next = now
	}
	var leaseUntil int64
	attempts := 0
	if m.LeaseOwner != "" {
		leaseUntil, attempts = ms(m.LeaseUntil), 1
	}
	args := []any{m.ID, nullString(m.ClientKey), m.Leg, m.Partner, m.Body, apstore.OutQueued, ms(next), ms(now), ms(now), m.LeaseOwner, leaseUntil, attempts}
	var o *apstore.Outbound
	if len(m.Files) == 0 && d.group == nil {
		// PostgreSQL: one statement, committed by itself.
		o, err = d.enqueueRow(ctx, args)
	} else {
		o, err = d.enqueueTx(ctx, m, args)
	}
	if err == nil {
		return o, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("store: enqueue: %w", err)
	}
	// A conflict: the client key (or the id) is taken; return that message.
	if m.ClientKey != "" {
		o, err = d.OutboundByClientKey(ctx, m.ClientKey)
		if !errors.Is(err, apstore.ErrNotFound) {
			return o, false, err
		}
	}
	o, err = d.Outbound(ctx, m.ID)
	return o, false, err
}

// enqueueRow runs sqlEnqueue alone. The statement is stepped to its end
// (not left after its first row), so that an error committing it is seen.
// A conflict is sql.ErrNoRows.
func (d *DB) enqueueRow(ctx context.Context, args []any) (*apstore.Outbound, error) {
	rows, err := d.query(ctx, sqlEnqueue, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var o *apstore.Outbound
	for rows.Next() {
		if o, err = scanOutbound(rows); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, sql.ErrNoRows
	}
	return o, nil
}

// enqueueTx runs sqlEnqueue and records the payload files of m in one
// transaction (sqlEnqueue alone when there are none, see DB.transact). A
// conflict is sql.ErrNoRows.
func (d *DB) enqueueTx(ctx context.Context, m *apstore.Outbound, args []any) (*apstore.Outbound, error) {
	var o *apstore.Outbound
	err := d.transact(ctx, []string{sqlEnqueue, sqlPayloadFile}, len(m.Files) == 0, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if tx == nil {
			o, err = d.enqueueRow(ctx, args)
			return err
		}
		if o, err = scanOutbound(d.txQueryRow(ctx, tx, sqlEnqueue, args...)); err != nil {
			return err
		}
		for _, f := range m.Files {
			if _, err := d.txExec(ctx, tx, sqlPayloadFile, f, m.ID); err != nil {
				return fmt.Errorf("payload file %s: %w", f, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Outbound returns the outbound message with the given id, or
// apstore.ErrNotFound.
func (d *DB) Outbound(ctx context.Context, id string) (*apstore.Outbound, error) {
	o, err := scanOutbound(d.queryRow(ctx, "SELECT "+outCols+" FROM ap_outbound WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbound message %q: %w", id, apstore.ErrNotFound)
	}
	return o, err
}

// OutboundByClientKey returns the outbound message submitted with the given
// client key, or apstore.ErrNotFound.
func (d *DB) OutboundByClientKey(ctx context.Context, key string) (*apstore.Outbound, error) {
	o, err := scanOutbound(d.queryRow(ctx, "SELECT "+outCols+" FROM ap_outbound WHERE client_key = ?", key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbound message with client key %q: %w", key, apstore.ErrNotFound)
	}
	return o, err
}

// skipLocked is the row-locking clause of the claim subqueries: on
// PostgreSQL a row another transaction is claiming is skipped, not waited
// for; SQLite runs one writing statement at a time, so it needs none.
func (d *DB) skipLocked() string {
	if d.dialect == PostgreSQL {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ClaimOutbound leases up to limit queued messages that are due at now and
// not leased by a live worker, for owner until now+lease, and counts an
// attempt for each. The claimed messages are returned oldest due first.
func (d *DB) ClaimOutbound(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Outbound, error) {
	q := `UPDATE ap_outbound SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM ap_outbound WHERE state = '` + apstore.OutQueued + `' AND next_at <= ? AND lease_until <= ?
			ORDER BY next_at LIMIT ?` + d.skipLocked() + `)
		RETURNING ` + outCols
	// The state is named in the query, not bound: SQLite uses its partial
	// index of queued messages (migration 0005) only for a query that names
	// the index's condition.
	rows, err := d.query(ctx, q, owner, ms(now.Add(lease)), ms(now), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim outbound: %w", err)
	}
	defer rows.Close()
	var out []*apstore.Outbound
	for rows.Next() {
		o, err := scanOutbound(rows)
		if err != nil {
			return nil, fmt.Errorf("store: claim outbound: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim outbound: %w", err)
	}
	slices.SortStableFunc(out, func(a, b *apstore.Outbound) int { return a.NextAt.Compare(b.NextAt) })
	return out, nil
}

// FinishOutbound records the result of an attempt on a message that owner
// claimed, and releases the lease. It returns apstore.ErrLeaseLost when owner
// no longer holds the lease. A final failure (apstore.OutFailed) also queues,
// in the same transaction, the message's failure report (see FailureReport);
// a delivery with r.Report DeliveryPending records, in the same statement,
// that its receipt is to be handed to the backend (see ReceiptReport).
func (d *DB) FinishOutbound(ctx context.Context, id, owner string, r apstore.Result) error {
	now := r.Timestamp
	if now.IsZero() {
		now = time.Now()
	}
	switch r.State {
	case apstore.OutQueued, apstore.OutDelivered, apstore.OutFailed:
	default:
		return fmt.Errorf("store: finish outbound: unknown state %q", r.State)
	}
	if r.State == apstore.OutFailed {
		return d.finishFailed(ctx, id, owner, r, now)
	}
	q, args, err := finishArgs(id, owner, r, now)
	if err != nil {
		return err
	}
	// An attempt that failed has its place in the history (Attempts),
	// recorded with its outcome in one transaction.
	retry := r.State == apstore.OutQueued && r.Error != ""
	finish := func(ctx context.Context, tx *sql.Tx) error {
		res, err := d.txExec(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apstore.ErrLeaseLost
		}
		if retry {
			return d.recordAttempt(ctx, tx, id, apstore.AttemptRetried, r.Error, now)
		}
		return nil
	}
	switch {
	case retry:
		err = d.transact(ctx, []string{q, sqlAttempt}, false, finish)
	case d.group != nil:
		err = d.transact(ctx, []string{q}, true, finish)
	default:
		err = finish(ctx, nil) // PostgreSQL: one statement, committed by itself
	}
	if err != nil {
		return fmt.Errorf("store: finish outbound %s: %w", id, err)
	}
	return nil
}

// sqlAttempt records the attempt on a message that has just ended in an
// error, after the message's others, with the message's count of attempts.
// The caller holds the message's lease: no other attempt is recorded at
// the same time.
const sqlAttempt = `INSERT INTO ap_attempts (message_id, seq, attempt, ended_at, outcome, error)
	SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ap_attempts WHERE message_id = ?), attempts, ?, ?, ?
	FROM ap_outbound WHERE id = ?`

// recordAttempt runs sqlAttempt in tx.
func (d *DB) recordAttempt(ctx context.Context, tx *sql.Tx, id, outcome, errText string, now time.Time) error {
	if _, err := d.txExec(ctx, tx, sqlAttempt, id, ms(now), outcome, errText, id); err != nil {
		return fmt.Errorf("recording the attempt: %w", err)
	}
	return nil
}

// Attempts returns the sending attempts on the outbound message id that
// ended in an error (apstore.Attempt), in order, over resends too; none
// for a message delivered at its first attempt, or not sent yet. The attempt that
// delivered a message is the message itself (Outbound). An attempt that
// ended without an outcome (its worker stopped, or its lease ran out) is
// given as apstore.AttemptInterrupted in its place: a number missing in
// the count of attempts (which starts at 1, and again after a resend), up
// to the message's latest attempt, which is in progress or delivered it.
func (d *DB) Attempts(ctx context.Context, id string) ([]apstore.Attempt, error) {
	recorded, err := d.recordedAttempts(ctx, id)
	if err != nil {
		return nil, err
	}
	var latest int
	var state string
	switch err := d.queryRow(ctx, "SELECT attempts, state FROM ap_outbound WHERE id = ?", id).Scan(&latest, &state); {
	case errors.Is(err, sql.ErrNoRows):
		return recorded, nil
	case err != nil:
		return nil, fmt.Errorf("store: attempts of %s: %w", id, err)
	}
	var out []apstore.Attempt
	next := 1 // the number the next attempt of the count has
	interrupted := func(upTo int) {
		for ; next < upTo; next++ {
			out = append(out, apstore.Attempt{Number: next, Outcome: apstore.AttemptInterrupted})
		}
	}
	for _, a := range recorded {
		interrupted(a.Number)
		out = append(out, a)
		next = a.Number + 1
		if a.Outcome == apstore.AttemptFailed {
			next = 1 // a resend may follow: its count starts again
		}
	}
	if state != apstore.OutFailed {
		interrupted(latest)
	}
	return out, nil
}

// recordedAttempts returns the attempts of the message id whose outcome
// was recorded, in order.
func (d *DB) recordedAttempts(ctx context.Context, id string) ([]apstore.Attempt, error) {
	rows, err := d.query(ctx, "SELECT seq, attempt, ended_at, outcome, error FROM ap_attempts WHERE message_id = ? ORDER BY seq", id)
	if err != nil {
		return nil, fmt.Errorf("store: attempts of %s: %w", id, err)
	}
	defer rows.Close()
	var out []apstore.Attempt
	for rows.Next() {
		var a apstore.Attempt
		var ended int64
		if err := rows.Scan(&a.Seq, &a.Number, &ended, &a.Outcome, &a.Error); err != nil {
			return nil, fmt.Errorf("store: attempts of %s: %w", id, err)
		}
		a.Ended = fromMS(ended)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: attempts of %s: %w", id, err)
	}
	return out, nil
}

const inCols = "seq, message_id, partner, leg, header, received_at, acked_at, delivery, attempts, next_at, last_error"

func scanInbound(r scanner, withBody bool) (*apstore.Inbound, error) {
	var m apstore.Inbound
	var recv, acked, next int64
	dest := []any{&m.Seq, &m.MessageID, &m.Partner, &m.Leg, &m.Header, &recv, &acked, &m.Delivery, &m.Attempts, &next, &m.LastError}
	if withBody {
		dest = append(dest, &m.Body)
	}
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	m.Received, m.Acked, m.NextAt = fromMS(recv), fromMS(acked), fromMS(next)
	return &m, nil
}

// Receive stores a received message unless a message with the same
// MessageID was received before from the same partner (duplicate
// elimination keys on partner and id): it reports whether m is a
// duplicate. A message whose id another partner used before is an error
// wrapping apstore.ErrOtherPartner: it must not be taken for that partner's
// duplicate (and answered with a receipt without being delivered), nor
// overwrite it. m.Delivery says whether the webhook should push it
// (apstore.DeliveryPending) or the backend pulls it (apstore.DeliveryNone).
func (d *DB) Receive(ctx context.Context, m *apstore.Inbound) (duplicate bool, err error) {
	if m.MessageID == "" {
		return false, errors.New("store: receive: empty message id")
	}
	now := m.Received
	if now.IsZero() {
		now = time.Now()
	}
	delivery := m.Delivery
	if delivery == "" {
		delivery = apstore.DeliveryNone
	}
	args := []any{m.MessageID, m.Partner, m.Leg, nonNil(m.Header), m.Body, ms(now), delivery, ms(now)}
	if len(m.Files) == 0 && d.group == nil {
		// PostgreSQL: one statement, committed by itself.
		res, err := d.exec(ctx, sqlReceive, args...)
		if err != nil {
			return false, fmt.Errorf("store: receive %s: %w", m.MessageID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return false, fmt.Errorf("store: receive %s: %w", m.MessageID, err)
			}
			return false, nil
		}
		return receivedBefore(d.queryRow(ctx, sqlReceivedFrom, m.MessageID), m)
	}
	var dupErr error // receivedBefore's, returned as it is
	err = d.transact(ctx, []string{sqlReceive, sqlPayloadFile, sqlReceivedFrom}, len(m.Files) == 0, func(ctx context.Context, tx *sql.Tx) error {
		res, err := d.txExec(ctx, tx, sqlReceive, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n != 1 {
			duplicate, dupErr = receivedBefore(d.txQueryRow(ctx, tx, sqlReceivedFrom, m.MessageID), m)
			return dupErr
		}
		// The payload files are the message's in the same transaction:
		// a committed message always has its files.
		for _, f := range m.Files {
			if _, err := d.txExec(ctx, tx, sqlPayloadFile, f, m.MessageID); err != nil {
				return fmt.Errorf("payload file %s: %w", f, err)
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return duplicate, nil
	case err == dupErr:
		return false, err
	}
	return false, fmt.Errorf("store: receive %s: %w", m.MessageID, err)
}

// receivedBefore tells a duplicate of m (true) from a message of another
// partner under the same id (apstore.ErrOtherPartner), from the row of
// sqlReceivedFrom.
func receivedBefore(row scanner, m *apstore.Inbound) (bool, error) {
	var partner string
	if err := row.Scan(&partner); err != nil {
		return false, fmt.Errorf("store: receive %s: %w", m.MessageID, err)
	}
	if partner != m.Partner {
		return false, fmt.Errorf("receive %s from %s: first received from %s: %w", m.MessageID, m.Partner, partner, apstore.ErrOtherPartner)
	}
	return true, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Inbound returns a received message with its body, or apstore.ErrNotFound.
func (d *DB) Inbound(ctx context.Context, id string) (*apstore.Inbound, error) {
	m, err := scanInbound(d.queryRow(ctx, "SELECT "+inCols+", body FROM ap_inbound WHERE message_id = ?", id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("inbound message %q: %w", id, apstore.ErrNotFound)
	}
	return m, err
}

// ListInbound returns received messages in reception order, without their
// bodies. By default only messages the backend has not acknowledged are
// listed, so a backend that acknowledges what it processed misses nothing
// even when sequence numbers commit out of order (PostgreSQL identities).
func (d *DB) ListInbound(ctx context.Context, f apstore.InboundFilter) ([]*apstore.Inbound, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + inCols + " FROM ap_inbound WHERE seq > ?"
	if !f.IncludeAcked {
		q += " AND acked_at = 0"
	}
	q += " ORDER BY seq LIMIT ?"
	rows, err := d.query(ctx, q, f.AfterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list inbound: %w", err)
	}
	defer rows.Close()
	var out []*apstore.Inbound
	for rows.Next() {
		m, err := scanInbound(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: list inbound: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Ack records that the backend has processed a received message. Acking
// twice is not an error; the first time is kept. An acknowledged message
// is no longer pushed to the webhook.
func (d *DB) Ack(ctx context.Context, id string, now time.Time) error {
	res, err := d.exec(ctx, `UPDATE ap_inbound SET acked_at = CASE WHEN acked_at = 0 THEN ? ELSE acked_at END,
		delivery = CASE WHEN delivery = ? THEN ? ELSE delivery END WHERE message_id = ?`,
		ms(now), apstore.DeliveryPending, apstore.DeliveryDelivered, id)
	if err != nil {
		return fmt.Errorf("store: ack %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("inbound message %q: %w", id, apstore.ErrNotFound)
	}
	return nil
}

// ClaimDeliveries leases up to limit received messages due for a webhook
// push, with their bodies, as ClaimOutbound does for sending.
func (d *DB) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Inbound, error) {
	q := `UPDATE ap_inbound SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE seq IN (SELECT seq FROM ap_inbound WHERE delivery = '` + apstore.DeliveryPending + `' AND next_at <= ? AND lease_until <= ?
			ORDER BY seq LIMIT ?` + d.skipLocked() + `)
		RETURNING ` + inCols + ", body"
	// The delivery state is named in the query (see ClaimOutbound).
	rows, err := d.query(ctx, q, owner, ms(now.Add(lease)), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []*apstore.Inbound
	for rows.Next() {
		m, err := scanInbound(rows, true)
		if err != nil {
			return nil, fmt.Errorf("store: claim deliveries: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Seq < out[j-1].Seq; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// FinishDelivery records the result of a webhook push of a message owner
// claimed: delivered, or to be retried at next with the error. It returns
// apstore.ErrLeaseLost when owner no longer holds the lease.
func (d *DB) FinishDelivery(ctx context.Context, id, owner string, delivered bool, next time.Time, errText string, now time.Time) error {
	state := apstore.DeliveryPending
	if delivered {
		state = apstore.DeliveryDelivered
	}
	res, err := d.exec(ctx, `UPDATE ap_inbound SET delivery = ?, next_at = ?, last_error = ?, lease_owner = '', lease_until = 0
		WHERE message_id = ? AND lease_owner = ? AND lease_until > ?`,
		state, ms(next), errText, id, owner, ms(now))
	if err != nil {
		return fmt.Errorf("store: finish delivery %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: finish delivery %s: %w", id, apstore.ErrLeaseLost)
	}
	return nil
}

// Purge removes the payloads (bodies) of messages that are done and older
// than before: outbound messages delivered or failed (but not those whose
// receipt is still to be handed to the backend, whose hand-off names the
// submission's conversation), inbound messages acknowledged or pushed to
// the webhook. The rows stay, so that duplicate
// elimination and status queries keep working; it returns how many bodies
// were removed.
func (d *DB) Purge(ctx context.Context, before time.Time) (int64, error) {
	if _, err := d.exec(ctx, `DELETE FROM ap_payload_files WHERE message_id IN (SELECT id FROM ap_outbound
		WHERE body IS NOT NULL AND state IN (?, ?) AND updated_at < ? AND receipt_delivery <> ?)`,
		apstore.OutDelivered, apstore.OutFailed, ms(before), apstore.DeliveryPending); err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	r1, err := d.exec(ctx, `UPDATE ap_outbound SET body = NULL WHERE body IS NOT NULL AND state IN (?, ?) AND updated_at < ?
		AND receipt_delivery <> ?`, apstore.OutDelivered, apstore.OutFailed, ms(before), apstore.DeliveryPending)
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	// The payload files of the purged messages lose their rows first (the
	// sweep removes files no row names), then the messages their bodies.
	if _, err := d.exec(ctx, `DELETE FROM ap_payload_files WHERE message_id IN (SELECT message_id FROM ap_inbound
		WHERE body IS NOT NULL AND received_at < ? AND (acked_at <> 0 OR delivery = ?))`, ms(before), apstore.DeliveryDelivered); err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	r2, err := d.exec(ctx, `UPDATE ap_inbound SET body = NULL WHERE body IS NOT NULL AND received_at < ?
		AND (acked_at <> 0 OR delivery = ?)`, ms(before), apstore.DeliveryDelivered)
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	n1, _ := r1.RowsAffected()
	n2, _ := r2.RowsAffected()
	return n1 + n2, nil
}

// Count returns the numbers of messages per partner, leg and state.
func (d *DB) Count(ctx context.Context) (*apstore.Counts, error) {
	c := &apstore.Counts{Outbound: map[string]int64{}, Inbound: map[string]int64{}, Failures: map[string]int64{}}
	for _, q := range []struct {
		query string
		into  map[string]int64
	}{
		{"SELECT partner, leg, state, COUNT(*) FROM ap_outbound GROUP BY partner, leg, state", c.Outbound},
		{"SELECT delivery, CASE WHEN acked_at = 0 THEN 'no' ELSE 'yes' END, COUNT(*) FROM ap_inbound GROUP BY 1, 2", c.Inbound},
		{"SELECT delivery, COUNT(*) FROM ap_failure_reports GROUP BY delivery", c.Failures},
	} {
		if err := d.countBy(ctx, q.query, q.into); err != nil {
			return nil, fmt.Errorf("store: count: %w", err)
		}
	}
	return c, nil
}

// countBy runs a query whose rows are text columns and a count last, and
// records each count in into under its columns joined with "|".
func (d *DB) countBy(ctx context.Context, query string, into map[string]int64) error {
	rows, err := d.db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	keys := make([]string, len(cols)-1)
	dest := make([]any, len(cols))
	for i := range keys {
		dest[i] = &keys[i]
	}
	var n int64
	dest[len(keys)] = &n
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		into[strings.Join(keys, "|")] = n
	}
	return rows.Err()
}

// PayloadFileReferenced reports whether a stored message names the payload
// file (the sweep of orphaned files asks before removing one).
func (d *DB) PayloadFileReferenced(ctx context.Context, file string) (bool, error) {
	var n int
	err := d.queryRow(ctx, "SELECT COUNT(*) FROM ap_payload_files WHERE file = ?", file).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: payload file %s: %w", file, err)
	}
	return n > 0, nil
}

// QueueAges returns the creation time of the oldest waiting message of each
// queue, and the number of pending receipt hand-offs (for the metrics of
// queue ages).
func (d *DB) QueueAges(ctx context.Context) (*apstore.QueueAges, error) {
	a := &apstore.QueueAges{Outbound: map[string]time.Time{}}
	rows, err := d.db.QueryContext(ctx, "SELECT partner, MIN(created_at) FROM ap_outbound WHERE state = 'queued' GROUP BY partner")
	if err != nil {
		return nil, fmt.Errorf("store: queue ages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var t int64
		if err := rows.Scan(&p, &t); err != nil {
			return nil, fmt.Errorf("store: queue ages: %w", err)
		}
		a.Outbound[p] = fromMS(t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue ages: %w", err)
	}
	for _, q := range []struct {
		query string
		into  *time.Time
	}{
		{"SELECT COALESCE(MIN(received_at), 0) FROM ap_inbound WHERE delivery = 'pending'", &a.Inbound},
		{"SELECT COALESCE(MIN(failed_at), 0) FROM ap_failure_reports WHERE delivery = 'pending'", &a.FailureReports},
	} {
		var t int64
		if err := d.db.QueryRowContext(ctx, q.query).Scan(&t); err != nil {
			return nil, fmt.Errorf("store: queue ages: %w", err)
		}
		if t != 0 {
			*q.into = fromMS(t)
		}
	}
	// The receipt hand-offs still pending, read from the partial index of
	// pending hand-offs (ap_outbound_receipts_due), not the table of every
	// message: the delivery state is named in the query, as the claim
	// names it. A delivered message's updated_at is when its delivery, and
	// the hand-off with it, was recorded.
	var t int64
	if err := d.db.QueryRowContext(ctx, sqlReceiptAges).Scan(&a.PendingReceiptReports, &t); err != nil {
		return nil, fmt.Errorf("store: queue ages: %w", err)
	}
	if t != 0 {
		a.ReceiptReports = fromMS(t)
	}
	return a, nil
}

// sqlReceiptAges counts the pending receipt hand-offs and gives the oldest.
const sqlReceiptAges = "SELECT COUNT(*), COALESCE(MIN(updated_at), 0) FROM ap_outbound WHERE receipt_delivery = '" + apstore.DeliveryPending + "'"

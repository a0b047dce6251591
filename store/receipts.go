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

// The hand-offs of signed receipts to the backend (apstore.ReceiptReport)
// live in the row of the delivered message (migration 0006, PostgreSQL
// 0005): receipt_delivery, receipt_attempts and receipt_error, and the
// lease and due time in lease_owner, lease_until and next_at, which a
// delivered message no longer uses (only queued messages are claimed for
// sending, only failed ones are sent again).

// sqlFinishReceipt is sqlFinish for a delivery whose receipt is to be
// handed to the backend: the same statement records that too, the hand-off
// leased by the owner (or by nobody, due at once).
const sqlFinishReceipt = `UPDATE ap_outbound SET state = ?, next_at = ?, last_error = ?, receipt = COALESCE(?, receipt),
		lease_owner = ?, lease_until = ?, updated_at = ?, receipt_delivery = '` + apstore.DeliveryPending + `', receipt_attempts = ?
		WHERE id = ? AND lease_owner = ? AND lease_until > ? AND state = ?`

// finishArgs returns the statement recording a delivered or queued result
// and its arguments.
func finishArgs(id, owner string, r apstore.Result, now time.Time) (string, []any, error) {
	switch {
	case r.State != apstore.OutDelivered || r.Report == "" || r.Report == apstore.DeliveryNone:
		return sqlFinish, []any{r.State, ms(r.NextAt), r.Error, r.Receipt, ms(now), id, owner, ms(now), apstore.OutQueued}, nil
	case r.Report != apstore.DeliveryPending:
		return "", nil, fmt.Errorf("store: finish outbound %s: unknown report delivery state %q", id, r.Report)
	}
	leaseOwner, until, attempts := "", int64(0), 0
	if !r.ReportUntil.IsZero() {
		leaseOwner, until, attempts = owner, ms(r.ReportUntil), 1
	}
	return sqlFinishReceipt, []any{r.State, ms(now), r.Error, r.Receipt, leaseOwner, until, ms(now), attempts,
		id, owner, ms(now), apstore.OutQueued}, nil
}

const receiptCols = outCols + ", receipt_delivery, receipt_attempts, next_at, receipt_error"

func scanReceipt(r scanner) (*apstore.ReceiptReport, error) {
	var o apstore.Outbound
	var rr apstore.ReceiptReport
	var next, created, updated, due int64
	if err := r.Scan(&o.ID, &o.ClientKey, &o.Leg, &o.Partner, &o.Body, &o.State, &o.Attempts, &next, &o.LastError, &o.Receipt, &created, &updated,
		&rr.Delivery, &rr.Attempts, &due, &rr.LastError); err != nil {
		return nil, err
	}
	o.Created, o.Updated = fromMS(created), fromMS(updated)
	rr.Message, rr.NextAt = &o, fromMS(due)
	return &rr, nil
}

// ReceiptReport returns the hand-off of the receipt of the outbound message
// id, or apstore.ErrNotFound when the message has none (not delivered, or
// nothing to hand over).
func (d *DB) ReceiptReport(ctx context.Context, id string) (*apstore.ReceiptReport, error) {
	r, err := scanReceipt(d.queryRow(ctx, "SELECT "+receiptCols+" FROM ap_outbound WHERE id = ? AND receipt_delivery <> ''", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("receipt hand-off of %q: %w", id, apstore.ErrNotFound)
	}
	return r, err
}

// ClaimReceiptReports leases up to limit receipt hand-offs due, oldest due
// first, as ClaimFailureReports does for failure reports, and counts an
// attempt for each. A hand-off leased when its delivery was recorded
// (apstore.Result.ReportUntil) is claimed once that lease expired.
func (d *DB) ClaimReceiptReports(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.ReceiptReport, error) {
	q := `UPDATE ap_outbound SET lease_owner = ?, lease_until = ?, receipt_attempts = receipt_attempts + 1
		WHERE id IN (SELECT id FROM ap_outbound WHERE receipt_delivery = '` + apstore.DeliveryPending + `' AND next_at <= ? AND lease_until <= ?
			ORDER BY next_at, id LIMIT ?` + d.skipLocked() + `)
		RETURNING ` + receiptCols
	// The delivery state is named in the query, not bound: SQLite uses the
	// partial index of pending hand-offs only for a query that names its
	// condition.
	out, err := claimed(ctx, d, scanReceipt, q, owner, ms(now.Add(lease)), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim receipt hand-offs: %w", err)
	}
	slices.SortStableFunc(out, func(a, b *apstore.ReceiptReport) int { return a.NextAt.Compare(b.NextAt) })
	return out, nil
}

// maxFinishBatch bounds the ids of one statement of FinishReceiptReports.
const maxFinishBatch = 100

// FinishReceiptReports records the same result for the receipt hand-offs
// ids that owner leased: handed over, or to be retried at next with the
// error. One statement records up to 100 of them: a node marks the
// receipts its workers handed over in batches. It returns an error
// wrapping apstore.ErrLeaseLost when owner no longer held the lease of
// some (their hand-off is left to whoever holds it); the others are
// recorded.
func (d *DB) FinishReceiptReports(ctx context.Context, owner string, ids []string, delivered bool, next time.Time, errText string, now time.Time) error {
	state := apstore.DeliveryPending
	if delivered {
		state = apstore.DeliveryDelivered
	}
	var lost int64
	for batch := range slices.Chunk(ids, maxFinishBatch) {
		args := []any{state, ms(next), errText, owner, ms(now)}
		for _, id := range batch {
			args = append(args, id)
		}
		// Not a prepared statement: the number of ids varies.
		res, err := d.db.ExecContext(ctx, d.Rebind(`UPDATE ap_outbound SET receipt_delivery = ?, next_at = ?, receipt_error = ?, lease_owner = '', lease_until = 0
			WHERE receipt_delivery = '`+apstore.DeliveryPending+`' AND lease_owner = ? AND lease_until > ?
			AND id IN (?`+strings.Repeat(", ?", len(batch)-1)+`)`), args...)
		if err != nil {
			return fmt.Errorf("store: finish receipt hand-offs: %w", err)
		}
		n, _ := res.RowsAffected()
		lost += int64(len(batch)) - n
	}
	if lost > 0 {
		return fmt.Errorf("store: finish receipt hand-offs: %d of %d: %w", lost, len(ids), apstore.ErrLeaseLost)
	}
	return nil
}

// claimed runs a claiming statement q and scans the rows it returns.
func claimed[T any](ctx context.Context, d *DB, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

const failureCols = "message_id, client_key, partner, leg, reason, failed_at, delivery, attempts, next_at, last_error"

func scanFailure(r scanner) (*apstore.FailureReport, error) {
	var f apstore.FailureReport
	var failed, next int64
	if err := r.Scan(&f.MessageID, &f.ClientKey, &f.Partner, &f.Leg, &f.Reason, &failed, &f.Delivery, &f.Attempts, &next, &f.LastError); err != nil {
		return nil, err
	}
	f.Failed, f.NextAt = fromMS(failed), fromMS(next)
	return &f, nil
}

// finishFailed records a final failure of a message owner claimed and
// queues its failure report, in one transaction.
func (d *DB) finishFailed(ctx context.Context, id, owner string, r apstore.Result, now time.Time) error {
	report := r.Report
	switch report {
	case "":
		report = apstore.DeliveryPending
	case apstore.DeliveryPending, apstore.DeliveryNone:
	default:
		return fmt.Errorf("store: finish outbound %s: unknown report delivery state %q", id, report)
	}
	err := d.transact(ctx, []string{sqlFinishFailed, sqlFailureReport, sqlAttempt}, false, func(ctx context.Context, tx *sql.Tx) error {
		var key, partner, leg string
		err := d.txQueryRow(ctx, tx, sqlFinishFailed, apstore.OutFailed, ms(r.NextAt), r.Error, r.Receipt, ms(now),
			id, owner, ms(now), apstore.OutQueued).Scan(&key, &partner, &leg)
		if errors.Is(err, sql.ErrNoRows) {
			return apstore.ErrLeaseLost
		}
		if err != nil {
			return err
		}
		if _, err := d.txExec(ctx, tx, sqlFailureReport, id, key, partner, leg, r.Error, ms(now), report, ms(now)); err != nil {
			return fmt.Errorf("queueing the failure report: %w", err)
		}
		return d.recordAttempt(ctx, tx, id, apstore.AttemptFailed, r.Error, now)
	})
	if err != nil {
		return fmt.Errorf("store: finish outbound %s: %w", id, err)
	}
	return nil
}

// The statements of finishFailed.
const (
	sqlFinishFailed = `UPDATE ap_outbound SET state = ?, next_at = ?, last_error = ?, receipt = COALESCE(?, receipt),
		lease_owner = '', lease_until = 0, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND lease_until > ? AND state = ?
		RETURNING COALESCE(client_key, ''), partner, leg`
	sqlFailureReport = `INSERT INTO ap_failure_reports (message_id, client_key, partner, leg, reason, failed_at, delivery, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// FailureReport returns the failure report of the outbound message id, or
// apstore.ErrNotFound when the message has not failed.
func (d *DB) FailureReport(ctx context.Context, id string) (*apstore.FailureReport, error) {
	f, err := scanFailure(d.queryRow(ctx, "SELECT "+failureCols+" FROM ap_failure_reports WHERE message_id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("failure report of %q: %w", id, apstore.ErrNotFound)
	}
	return f, err
}

// ClaimFailureReports leases up to limit failure reports due for delivery
// to the backend, oldest failure first, as ClaimDeliveries does for
// received messages, and counts an attempt for each.
func (d *DB) ClaimFailureReports(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.FailureReport, error) {
	q := `UPDATE ap_failure_reports SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE message_id IN (SELECT message_id FROM ap_failure_reports WHERE delivery = ? AND next_at <= ? AND lease_until <= ?
			ORDER BY failed_at, message_id LIMIT ?` + d.skipLocked() + `)
		RETURNING ` + failureCols
	out, err := claimed(ctx, d, scanFailure, q, owner, ms(now.Add(lease)), apstore.DeliveryPending, ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim failure reports: %w", err)
	}
	// RETURNING gives no order: oldest failure first, as the subquery chose.
	slices.SortStableFunc(out, func(a, b *apstore.FailureReport) int { return a.Failed.Compare(b.Failed) })
	return out, nil
}

// FinishFailureReport records the result of delivering a failure report
// owner claimed: delivered, or to be retried at next with the error. It
// returns apstore.ErrLeaseLost when owner no longer holds the lease.
func (d *DB) FinishFailureReport(ctx context.Context, id, owner string, delivered bool, next time.Time, errText string, now time.Time) error {
	state := apstore.DeliveryPending
	if delivered {
		state = apstore.DeliveryDelivered
	}
	res, err := d.exec(ctx, `UPDATE ap_failure_reports SET delivery = ?, next_at = ?, last_error = ?, lease_owner = '', lease_until = 0
		WHERE message_id = ? AND lease_owner = ? AND lease_until > ?`,
		state, ms(next), errText, id, owner, ms(now))
	if err != nil {
		return fmt.Errorf("store: finish failure report %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: finish failure report %s: %w", id, apstore.ErrLeaseLost)
	}
	return nil
}

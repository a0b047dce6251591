package ap

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

// SendFailure reports that the node gave up on a submitted message: its
// state became failed because the partner answered with an ebMS Error
// signal, the retries of the leg's reception awareness ran out (EBMS:0202),
// dynamic discovery failed for good, or the message could not be packed.
// It is the body of a webhook push with HeaderEvent EventSendFailed.
type SendFailure struct {
	// MessageID is the eb:MessageId the node gave the submission.
	MessageID string `json:"messageId"`
	// ClientKey is the submission's idempotency key ("" for none): a
	// backend that failed before it recorded MessageID finds its message
	// by this key.
	ClientKey string `json:"clientKey,omitempty"`
	// Partner is the receiving party; Leg the P-Mode leg.
	Partner string `json:"to"`
	Leg     string `json:"leg"`
	// Reason is the recorded error, as the status's lastError.
	Reason string `json:"reason"`
	// Failed is when the node recorded the failure.
	Failed time.Time `json:"failed"`
}

// FailureBackend receives the node's final send failures (at least once
// per message, same guarantees as Deliver). A Config.Backend that
// implements it is told of every submitted message the node gave up on;
// the report is queued in the transaction that records the failure, so a
// node stopping in between reports it after its restart. An error is
// retried with the webhook's backoff; the reports of a message carry its
// stable MessageID, so a backend that records what it processed handles
// each failure once.
type FailureBackend interface {
	SendFailed(ctx context.Context, f *SendFailure) error
}

// FailureReports is the queue of failure reports to the backend
// (implemented by *store.DB; store.FinishOutbound fills it).
type FailureReports interface {
	ClaimFailureReports(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.FailureReport, error)
	FinishFailureReport(ctx context.Context, id, owner string, delivered bool, next time.Time, errText string, now time.Time) error
}

// failureBackend returns the in-process backend when it takes failure
// reports.
func (n *Node) failureBackend() FailureBackend {
	fb, _ := n.cfg.Backend.(FailureBackend)
	return fb
}

// reportsFailures tells whether the node has someone to report final send
// failures to: a FailureBackend or a webhook. Without, a failure's report
// is recorded as needing no delivery (apstore.DeliveryNone): the status API
// says failed.
func (n *Node) reportsFailures() bool {
	return n.cfg.Webhook != nil || n.failureBackend() != nil
}

func sendFailure(f *apstore.FailureReport) *SendFailure {
	return &SendFailure{MessageID: f.MessageID, ClientKey: f.ClientKey, Partner: f.Partner, Leg: f.Leg, Reason: f.Reason, Failed: f.Failed}
}

// reportDue claims one due failure report and delivers it; it reports
// whether there was one.
func (n *Node) reportDue(ctx context.Context) bool {
	reports, err := n.cfg.Store.ClaimFailureReports(ctx, n.cfg.NodeID, n.cfg.Now(), n.cfg.Lease, 1)
	if err != nil {
		if ctx.Err() == nil {
			n.quiet.fail(n.log, "claim-failures", "claiming failure reports failed", err)
		}
		return false
	}
	n.quiet.ok(n.log, "claim-failures", "claiming failure reports works again")
	for _, f := range reports {
		n.report(ctx, f)
	}
	return len(reports) > 0
}

// report delivers a claimed failure report once and records the result:
// delivered, or retried with the webhook's backoff.
func (n *Node) report(ctx context.Context, f *apstore.FailureReport) {
	start := time.Now()
	err := n.reportOnce(ctx, f)
	if ctx.Err() != nil {
		return // shutting down: the lease expires and the report is delivered again
	}
	now := n.cfg.Now()
	next, errText := retryLater(now, f.Attempts, err)
	result := "delivered"
	log := n.log.With(slog.String(logMessageID, f.MessageID), slog.String(logPartner, f.Partner), slog.String(logLeg, f.Leg), slog.Int(logAttempt, f.Attempts))
	if err != nil {
		result = "failed"
		log.Warn("reporting a send failure failed, will retry", slog.String(logError, errText))
	}
	n.metrics.failureReports.WithLabelValues(result).Inc()
	n.metrics.failureReportSeconds.Observe(time.Since(start).Seconds())
	if ferr := n.cfg.Store.FinishFailureReport(context.WithoutCancel(ctx), f.MessageID, n.cfg.NodeID, err == nil, next, errText, now); ferr != nil {
		log.Error("recording a failure report failed", slog.String(logError, ferr.Error()))
		return
	}
	if err == nil {
		log.Info("send failure reported to the backend")
	}
}

// retryLater returns when to try a hand-off to the backend (a failure
// report, a receipt) again after its attempt number attempts ended with
// err, with the webhook's backoff, and err's text; zero and "" for no
// error.
func retryLater(now time.Time, attempts int, err error) (time.Time, string) {
	if err == nil {
		return time.Time{}, ""
	}
	return now.Add(webhookDelay(attempts)), err.Error()
}

func (n *Node) reportOnce(ctx context.Context, f *apstore.FailureReport) error {
	sf := sendFailure(f)
	if fb := n.failureBackend(); fb != nil {
		if done, err := n.backendAnswered(fb.SendFailed(ctx, sf)); done {
			return err
		}
	}
	body, err := json.Marshal(sf)
	if err != nil {
		return err
	}
	return n.postWebhook(ctx, EventSendFailed, f.MessageID, body)
}

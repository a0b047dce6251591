package ap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/wssec"
)

// Receipt is the non-repudiation of receipt of a message this node sent
// (AS4 profile, reception awareness with non-repudiation; OOTS TDD §4.8):
// the partner's signed receipt, verified when it arrived and stored with
// the message, as an exchange log references it.
type Receipt struct {
	// MessageID is the eb:MessageId of the message acknowledged.
	MessageID string `json:"messageId"`
	// ConversationID is its eb:ConversationId.
	ConversationID string `json:"conversationId,omitempty"`
	// RefToMessageID is its eb:RefToMessageId (for an answer, the request).
	RefToMessageID string `json:"refToMessageId,omitempty"`
	// Partner is the party the message went to.
	Partner string `json:"partner"`
	// ReceiptID is the eb:MessageId of the receipt signal.
	ReceiptID string `json:"receiptId"`
	// Timestamp is the receipt's eb:Timestamp.
	Timestamp time.Time `json:"timestamp"`
	// NRR holds the digests of its ebbp:NonRepudiationInformation, one per
	// part the message's signature covered; empty for a receipt without
	// non-repudiation (an unsigned leg).
	NRR []Digest `json:"nrr,omitempty"`
}

// Digest is one ds:Reference of a signature as a receipt repeats it
// (ebbp:MessagePartNRInformation).
type Digest struct {
	URI    string `json:"uri"`    // "#id" of the SOAP body, "cid:…" of an attachment
	Method string `json:"method"` // the ds:DigestMethod algorithm URI
	Value  []byte `json:"value"`  // the ds:DigestValue
}

// ReceiptBackend is implemented by a Backend (Config.Backend) that wants to
// know of the signed receipts of the messages the node sends, for an
// exchange log. Receipted is called at least once per receipt, also across
// a restart: the statement that records a message as delivered also
// records that its receipt is to be handed over, so a node stopping (or
// killed) before the call, or before it recorded that the call returned,
// makes the call after its restart, or another node of the cluster does
// once the hand-off's lease (Config.Lease) expired. An error is retried
// with the webhook's backoff. A receipt is identified by the message's
// MessageID and its ReceiptID: a backend that records what it took
// handles each receipt once (journal.Journal.AppendReceipt journals it
// once). A message sent on a leg without receipts is handed nothing;
// Node.Receipt reads the stored receipt at any time.
type ReceiptBackend interface {
	Receipted(ctx context.Context, r *Receipt) error
}

// ReceiptReports is the queue of receipts to hand to a ReceiptBackend
// (implemented by *store.DB; store.FinishOutbound fills it when
// apstore.Result.Report says so).
type ReceiptReports interface {
	ClaimReceiptReports(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.ReceiptReport, error)
	FinishReceiptReports(ctx context.Context, owner string, ids []string, delivered bool, next time.Time, errText string, now time.Time) error
}

// receiptBackend returns the in-process backend when it takes receipts.
func (n *Node) receiptBackend() ReceiptBackend {
	rb, _ := n.cfg.Backend.(ReceiptBackend)
	return rb
}

// receiptDue claims one due receipt hand-off (one whose node stopped
// before it was recorded, or that failed before) and hands the receipt
// over; it reports whether there was one.
func (n *Node) receiptDue(ctx context.Context, rb ReceiptBackend) bool {
	due, err := n.cfg.Store.ClaimReceiptReports(ctx, n.cfg.NodeID, n.cfg.Now(), n.cfg.Lease, 1)
	if err != nil {
		if ctx.Err() == nil {
			n.quiet.fail(n.log, "claim-receipts", "claiming receipt hand-offs failed", err)
		}
		return false
	}
	n.quiet.ok(n.log, "claim-receipts", "claiming receipt hand-offs works again")
	for _, h := range due {
		m := h.Message
		log := n.log.With(slog.String(logMessageID, m.ID), slog.String(logPartner, m.Partner), slog.String(logLeg, m.Leg), slog.Int(logAttempt, h.Attempts))
		r, err := receiptOf(m)
		n.handOff(ctx, rb, m.ID, h.Attempts, r, err, log)
	}
	return len(due) > 0
}

// handOff hands the receipt r of the message id to the backend, the
// hand-off leased by this node (attempt number attempts), unless reading
// it failed (rerr). That the backend took it is recorded in a batch with
// others (markLoop); a failure is recorded at once, to be retried with the
// webhook's backoff.
func (n *Node) handOff(ctx context.Context, rb ReceiptBackend, id string, attempts int, r *Receipt, rerr error, log *slog.Logger) {
	err := rerr
	if err == nil {
		start := time.Now()
		err = rb.Receipted(ctx, r)
		n.metrics.receiptHandOffSeconds.Observe(time.Since(start).Seconds())
	}
	if err == nil {
		n.metrics.receiptHandOffs.WithLabelValues(handedOver).Inc()
		fault.Crash(fault.CrashAfterReceiptHandOff)
		n.handed.add(id)
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the lease expires and the receipt is handed over again
	}
	n.metrics.receiptHandOffs.WithLabelValues(handOffFailed).Inc()
	now := n.cfg.Now()
	next, errText := retryLater(now, attempts, err)
	log.Warn("the backend did not take the receipt, will retry", slog.String(logError, errText))
	if ferr := n.cfg.Store.FinishReceiptReports(context.WithoutCancel(ctx), n.cfg.NodeID, []string{id}, false, next, errText, now); ferr != nil {
		log.Error("recording a receipt hand-off failed", slog.String(logError, ferr.Error()))
	}
}

// The results of oots_ap_receipt_hand_offs_total.
const (
	handedOver    = "handed_over"
	handOffFailed = "failed"
)

// handedOff collects the receipt hand-offs the backend took, for markLoop
// to record in batches.
type handedOff struct {
	mu   sync.Mutex
	ids  []string
	wake chan struct{}
}

func (h *handedOff) add(id string) {
	h.mu.Lock()
	h.ids = append(h.ids, id)
	h.mu.Unlock()
	signal(h.wake)
}

func (h *handedOff) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.ids
	h.ids = nil
	return ids
}

// markLoop records the receipt hand-offs the backend took, in one write
// for those that came in while the previous one ran, until ctx ends (and
// then those that came in before). A hand-off not recorded, the node
// stopping first, is made again once its lease expired.
func (n *Node) markLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			n.markHandedOff(context.WithoutCancel(ctx))
			return
		case <-n.handed.wake:
		}
		n.markHandedOff(ctx)
	}
}

func (n *Node) markHandedOff(ctx context.Context) {
	ids := n.handed.take()
	if len(ids) == 0 {
		return
	}
	if err := n.cfg.Store.FinishReceiptReports(context.WithoutCancel(ctx), n.cfg.NodeID, ids, true, time.Time{}, "", n.cfg.Now()); err != nil {
		// A lost lease: the hand-off is made again by whoever holds it.
		n.quiet.fail(n.log, "record-receipts", "recording receipt hand-offs failed", err)
		return
	}
	n.quiet.ok(n.log, "record-receipts", "recording receipt hand-offs works again")
}

// ErrNoReceipt: the message has no stored receipt (not delivered yet, sent
// on a leg without receipts, or its receipt was purged).
var ErrNoReceipt = errors.New("ap: no receipt stored for the message")

// Receipt returns the stored receipt of a message this node sent. It
// returns ErrNoReceipt when there is none, and apstore.ErrNotFound for an
// unknown message id.
func (n *Node) Receipt(ctx context.Context, messageID string) (*Receipt, error) {
	o, err := n.cfg.Store.Outbound(ctx, messageID)
	if err != nil {
		return nil, err
	}
	return receiptOf(o)
}

// receiptOf reads the receipt stored with o. The signature was verified
// when the receipt arrived (as4.Sender.Send); this only reads it again.
func receiptOf(o *apstore.Outbound) (*Receipt, error) {
	if o.State != apstore.OutDelivered || len(o.Receipt) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoReceipt, o.ID)
	}
	r := &Receipt{MessageID: o.ID, Partner: o.Partner}
	if o.Body != nil {
		var sub Submission
		if json.Unmarshal(o.Body, &sub) == nil {
			r.ConversationID, r.RefToMessageID = sub.ConversationID, sub.RefToMessageID
		}
	}
	sig, err := readStoredSignal(o.Receipt)
	if err != nil {
		return nil, fmt.Errorf("ap: the stored receipt of %s: %w", o.ID, err)
	}
	if sig.Receipt == nil {
		return nil, fmt.Errorf("%w: %s: the stored signal is not a receipt", ErrNoReceipt, o.ID)
	}
	r.ReceiptID, r.Timestamp = sig.MessageInfo.MessageID, sig.MessageInfo.Timestamp
	for _, ref := range sig.Receipt.NonRepudiation {
		r.NRR = append(r.NRR, Digest{URI: ref.URI, Method: ref.DigestMethod, Value: ref.DigestValue})
	}
	return r, nil
}

// readStoredSignal parses a stored HTTP answer: a SOAP envelope, or a MIME
// package whose boundary is its first line.
func readStoredSignal(body []byte) (*as4.SignalMessage, error) {
	ct := "application/soap+xml"
	if b := bytes.TrimLeft(body, "\r\n"); bytes.HasPrefix(b, []byte("--")) {
		line, _, _ := bytes.Cut(b[2:], []byte("\n"))
		ct = fmt.Sprintf(`multipart/related; type="application/soap+xml"; boundary="%s"`, bytes.TrimRight(line, "\r"))
	}
	return as4.ReadSignal(ct, bytes.NewReader(body), nil)
}

// digestsOf returns the digests a received message's signature covered:
// those the node's receipt repeats.
func digestsOf(refs []wssec.Reference) []Digest {
	var out []Digest
	for _, r := range refs {
		out = append(out, Digest{URI: r.URI, Method: r.DigestMethod, Value: append([]byte(nil), r.DigestValue...)})
	}
	return out
}

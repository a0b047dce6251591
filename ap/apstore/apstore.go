// Package apstore is the vocabulary of the access point's persistence: the
// records that the interfaces of package ap (ap.Outbox, ap.Inbox,
// ap.FailureReports, ap.ReceiptReports, ap.Store) take and return, their
// states, and the errors of that contract. The access point declares them,
// as the consumer; package store implements ap.Store on its SQL database
// with these types.
//
// They live apart from package ap, not in it, because the persistence is a
// lower layer than the access point: store is the database of every component
// of a node (the SMP's, the Common Services', the connectors', the audit
// journal's), and ap reaches store through smp, so store cannot import ap.
// This package imports nothing of the module, so that both can import it.
//
// Times are in UTC; zero when unset. Payloads and headers are opaque byte
// strings (the access point encodes them).
package apstore

import (
	"errors"
	"time"
)

// Errors an implementation of ap.Store returns, for callers to branch on.
var (
	// ErrNotFound: no message with that id.
	ErrNotFound = errors.New("store: not found")
	// ErrLeaseLost: the caller's lease on a message expired and the message
	// was claimed by another worker (or finished) in the meantime.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrOtherPartner: a message with that id was received from another
	// partner. Duplicate elimination keys on (partner, message id): such a
	// message is neither a duplicate nor stored.
	ErrOtherPartner = errors.New("store: the message id was used by another partner")
	// ErrWrongState: the message is not in the state the operation needs (a
	// resend of a message that did not fail, a retry of one that does not
	// wait).
	ErrWrongState = errors.New("store: the message is not in the state the operation needs")
)

// States of an outbound message (Outbound.State, Result.State).
const (
	OutQueued    = "queued"    // waiting for its (next) attempt
	OutDelivered = "delivered" // a valid receipt came back
	OutFailed    = "failed"    // a final error, or retries exhausted
)

// Delivery states of an inbound message towards the backend webhook
// (Inbound.Delivery), and of a failure report towards the backend
// (FailureReport.Delivery, Result.Report).
const (
	DeliveryPending   = "pending"   // to be pushed to the webhook
	DeliveryDelivered = "delivered" // the webhook answered 2xx
	DeliveryNone      = "none"      // no webhook: the backend pulls
)

// Outbound is a message submitted for sending.
type Outbound struct {
	ID        string // eb:MessageId, the same for every attempt
	ClientKey string // the backend's idempotency key; "" for none
	Leg       string
	Partner   string // receiving party
	Body      []byte // the submission, opaque; nil once purged
	// Files are payload files the submission names (uploaded before it),
	// recorded with it in one transaction by ap.Outbox.Enqueue; not read
	// back.
	Files     []string
	State     string // OutQueued, OutDelivered or OutFailed
	Attempts  int    // sending attempts started so far
	NextAt    time.Time
	LastError string
	Receipt   []byte // the receipt signal, once delivered
	Created   time.Time
	Updated   time.Time
	// LeaseOwner, when set for Enqueue, queues the message claimed already
	// by LeaseOwner until LeaseUntil, its first attempt counted, as
	// ap.Outbox.ClaimOutbound would: a node hands a new submission to an
	// idle worker without the claim's statement. Not read back.
	LeaseOwner string
	LeaseUntil time.Time
}

// Result is how a sending attempt ended.
type Result struct {
	State     string    // OutDelivered, OutFailed, or OutQueued for a retry
	NextAt    time.Time // OutQueued: when to retry
	Error     string    // why the attempt failed
	Receipt   []byte    // OutDelivered: the receipt
	Timestamp time.Time // now
	// Report, for OutFailed: the delivery state of the failure report
	// queued with the failure (see FailureReport): DeliveryPending (or "")
	// when the backend is to be told, DeliveryNone when the node has no
	// backend to tell. For OutDelivered: DeliveryPending records, in the
	// same statement, that the receipt is to be handed to the backend (see
	// ReceiptReport); "" hands nothing over.
	Report string
	// ReportUntil, for OutDelivered with Report DeliveryPending: the
	// receipt's hand-off is queued leased by the owner until then, its
	// first attempt counted, as ap.ReceiptReports.ClaimReceiptReports
	// would lease it: the node hands the receipt over itself, without a
	// claim. Zero queues it due at once, for any node to claim.
	ReportUntil time.Time
}

// Outcomes of a sending attempt that did not deliver its message
// (Attempt.Outcome).
const (
	AttemptRetried = "retried" // the message was queued again
	AttemptFailed  = "failed"  // the message failed (its final attempt)
	// AttemptInterrupted: no outcome was recorded, because the worker
	// making the attempt stopped (a node killed or restarted) or its lease
	// ran out before the attempt ended; the next claim made the next
	// attempt. Such an attempt has no Seq, Ended or Error.
	AttemptInterrupted = "interrupted"
)

// Attempt is a sending attempt that ended in an error: the history of a
// message's attempts, beside its Outbound row, which holds the attempt
// that delivered it.
type Attempt struct {
	Seq     int       // 1, 2, ... in the message's history, over resends
	Number  int       // Outbound.Attempts when the attempt ended (1 again after a resend)
	Ended   time.Time // when its outcome was recorded
	Outcome string    // AttemptRetried, AttemptFailed or AttemptInterrupted
	Error   string    // why it failed, as Outbound.LastError
}

// Inbound is a received user message.
type Inbound struct {
	Seq       int64 // order of reception in the store
	MessageID string
	Partner   string // sending party
	Leg       string
	Header    []byte // the message header, opaque
	Body      []byte // the payloads, opaque; nil once purged or in lists
	// Files are the payload files of the message (names in the node's
	// payload directory), recorded with it in one transaction by
	// ap.Inbox.Receive;
	// not read back.
	Files     []string
	Received  time.Time
	Acked     time.Time // zero until the backend acknowledged it
	Delivery  string    // DeliveryPending, DeliveryDelivered or DeliveryNone
	Attempts  int       // webhook attempts started
	LastError string
	NextAt    time.Time
}

// InboundFilter selects received messages for ap.Inbox.ListInbound.
type InboundFilter struct {
	AfterSeq     int64 // only messages with a greater Seq
	IncludeAcked bool  // also acknowledged messages
	Limit        int   // default 100
}

// Counts is the number of messages per state, for metrics.
type Counts struct {
	Outbound map[string]int64 // by state (OutQueued …), key "partner|leg|state"
	Inbound  map[string]int64 // by delivery state and acknowledgement, key "delivery|acked"
	Failures map[string]int64 // failure reports by delivery state, key "delivery"
}

// QueueAges is when the oldest waiting message of each queue was created;
// the zero time when nothing waits.
type QueueAges struct {
	Outbound       map[string]time.Time // queued submissions, by partner
	Inbound        time.Time            // received messages to be pushed to the webhook
	FailureReports time.Time            // failure reports to be delivered
	// ReceiptReports is when the oldest receipt hand-off still pending
	// (ReceiptReport) was queued: when its message was recorded as
	// delivered. PendingReceiptReports is how many are pending.
	ReceiptReports        time.Time
	PendingReceiptReports int64
}

// ReceiptReport is the hand-off of a delivered message's signed receipt
// to the backend (an ap.ReceiptBackend), for its exchange log. It is
// recorded by ap.Outbox.FinishOutbound in the statement that records the
// delivery (Result.Report), so that a node stopping between the two cannot
// lose it, and handed over at least once: claimed with a lease like a
// failure report (ap.ReceiptReports) and retried until the backend took it.
type ReceiptReport struct {
	Message   *Outbound // the delivered message, with its stored receipt
	Delivery  string    // DeliveryPending or DeliveryDelivered
	Attempts  int       // hand-off attempts started
	NextAt    time.Time // when a pending hand-off is due
	LastError string    // why the last attempt failed
}

// FailureReport tells the backend that the node gave up on an outbound
// message (state OutFailed: retries exhausted, or a final error). It is
// queued by ap.Outbox.FinishOutbound in the transaction that records the
// failure, so that a node stopping between the two cannot lose it, and
// delivered at least once: claimed with a lease like a webhook push
// (ap.FailureReports) and retried until the backend took it.
type FailureReport struct {
	MessageID string // eb:MessageId of the failed message
	ClientKey string // the submission's idempotency key; "" for none
	Partner   string // receiving party
	Leg       string
	Reason    string    // the recorded error (Outbound.LastError)
	Failed    time.Time // when the failure was recorded
	Delivery  string    // DeliveryPending, DeliveryDelivered or DeliveryNone
	Attempts  int       // delivery attempts started
	NextAt    time.Time
	LastError string // why the last delivery attempt failed
}

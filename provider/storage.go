package provider

import (
	"context"
	"time"

	"github.com/oots-go/oots/ap"
)

// storage is what the connector needs from persistence: the preview
// sessions, the message ids already handled, the queue of answers, the
// consents, the records of evidence sent and the logins of the consents
// page. sqlStore implements it on package store's database (SQLite or
// PostgreSQL); the tests of this package run on both.
type storage interface {
	storageTx
	// Update runs fn in one transaction, committed when fn returns nil and
	// rolled back otherwise; fn's error is returned as it is.
	Update(ctx context.Context, fn func(tx storageTx) error) error
	// SessionsDue returns the unfinished sessions whose deadline passed.
	SessionsDue(ctx context.Context, now time.Time) ([]*session, error)
	// Queued returns the queued answers, oldest first; Dequeue deletes one
	// once the access point accepted it.
	Queued(ctx context.Context) ([]queuedAnswer, error)
	Dequeue(ctx context.Context, clientKey string) error
	// InsertConsent stores a consent with its procedures.
	InsertConsent(ctx context.Context, k *Consent) error
	// Consents returns the consents of a subject with their procedures,
	// newest first.
	Consents(ctx context.Context, subject string) ([]*Consent, error)
	// WithdrawConsent marks the subject's consent id withdrawn at now; it
	// reports false when there is no such consent not yet withdrawn.
	WithdrawConsent(ctx context.Context, subject, id string, now time.Time) (bool, error)
	// Disclosures returns the evidence sent about a subject, newest first.
	Disclosures(ctx context.Context, subject string) ([]*Disclosure, error)
	// Account returns the login of the consents page whose cookie hashes
	// to id; errNoAccount when there is none.
	Account(ctx context.Context, id string) (subject, csrf string, expires time.Time, err error)
	// InsertAccount stores a login of the consents page; PurgeAccounts
	// deletes those expired before now.
	InsertAccount(ctx context.Context, id, subject, csrf string, expires time.Time) error
	PurgeAccounts(ctx context.Context, now time.Time) error
}

// storageTx is the part of storage that the handling of a request uses
// within one transaction.
type storageTx interface {
	// MarkProcessed records a message id; it reports false when it was
	// already recorded.
	MarkProcessed(ctx context.Context, id string, now time.Time) (bool, error)
	InsertSession(ctx context.Context, s *session) error
	// LoadSession returns errNoSession when there is no such token.
	LoadSession(ctx context.Context, token string) (*session, error)
	// UpdateSession writes the mutable fields of s if the stored session
	// is still at s.Revision and then increments s.Revision; ok is false
	// when another writer came first.
	UpdateSession(ctx context.Context, s *session) (ok bool, err error)
	// ValidConsents returns the consents, with their procedures, that
	// match f and have neither expired at now nor been withdrawn, newest
	// first.
	ValidConsents(ctx context.Context, f consentFilter, now time.Time) ([]*Consent, error)
	InsertDisclosure(ctx context.Context, d *Disclosure) error
	// Enqueue queues an answer for the access point; a second answer with
	// the same client key is ignored.
	Enqueue(ctx context.Context, s *ap.Submission, now time.Time) error
}

// consentFilter selects the consents that may cover a background request.
type consentFilter struct {
	Subject, Provider, Requester, EvidenceType, Procedure string
}

// queuedAnswer is an answer waiting to be accepted by the access point.
type queuedAnswer struct {
	ClientKey  string
	Submission *ap.Submission
}

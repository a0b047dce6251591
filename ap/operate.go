package ap

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotOperable: the node's store cannot resend or retry messages (it is
// not a store.DB).
var ErrNotOperable = errors.New("ap: the store cannot requeue messages")

// requeuer is the store's optional support of an operator's resend and
// retry (store.DB implements it).
type requeuer interface {
	Resend(ctx context.Context, id string, now time.Time) error
	RetryNow(ctx context.Context, id string, now time.Time) error
}

// Resend puts a failed message back in the queue, for an attempt now with
// its leg's retry budget anew: an operator's resend once the cause of the
// failure is gone (the partner is back). It returns apstore.ErrWrongState if
// the message did not fail, apstore.ErrNotFound if there is none.
func (n *Node) Resend(ctx context.Context, id string) error {
	return n.requeue(ctx, id, func(q requeuer) error { return q.Resend(ctx, id, n.cfg.Now()) })
}

// RetryNow moves the next attempt of a message waiting for a retry to now.
// It returns apstore.ErrWrongState if the message does not wait (or is being
// sent), apstore.ErrNotFound if there is none.
func (n *Node) RetryNow(ctx context.Context, id string) error {
	return n.requeue(ctx, id, func(q requeuer) error { return q.RetryNow(ctx, id, n.cfg.Now()) })
}

func (n *Node) requeue(ctx context.Context, id string, do func(requeuer) error) error {
	q, ok := n.cfg.Store.(requeuer)
	if !ok {
		return ErrNotOperable
	}
	if err := do(q); err != nil {
		return fmt.Errorf("ap: %w", err)
	}
	signal(n.wake)
	return nil
}

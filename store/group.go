package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// group commits the writes of concurrent callers on SQLite in one
// transaction (group commit). Each commit of SQLite's write-ahead log
// writes every page the transaction changed, a system call per frame, and
// the messages of concurrent callers change the same pages (the tables'
// last leaves, the indexes): one commit for several messages writes them
// once. It is what most of the store's cost per message was, beside
// running the statements.
//
// A caller that finds no transaction running leads: it runs its own write
// and those queued meanwhile in one transaction and commits it; callers
// that arrive while a transaction runs queue, and the first of them leads
// the next one. Every caller returns only after the transaction with its
// write has committed (or failed): a write is as durable when its caller
// sees it as one committed alone. Each write runs under a savepoint, so that
// one that fails is undone alone and the others commit.
//
// A write runs with its caller's context values but not its cancellation:
// SQLite, interrupted, would roll back the whole transaction, everyone's
// writes with it. A write whose context ended before its turn does not run.
type group struct {
	d     *DB
	mu    sync.Mutex
	queue []*groupWrite
	busy  bool // a leader is running a transaction
}

// groupWrite is one caller's write in a group transaction.
type groupWrite struct {
	ctx context.Context
	fn  func(context.Context, *sql.Tx) error
	err error
	// alone: the write is one statement, run by itself (fn's transaction
	// nil) when no other write shares the transaction.
	alone bool
	lead  bool          // set when the caller is to lead the next transaction
	done  chan struct{} // closed, or sent to, when err is final or lead is set
}

// The statements around each write of a transaction with several.
const (
	sqlSavepoint  = "SAVEPOINT oots_write"
	sqlRollbackTo = "ROLLBACK TO oots_write"
	sqlRelease    = "RELEASE oots_write"
)

// run runs fn in a group transaction and returns when that transaction
// has committed: fn's error, or the transaction's. fn must run its
// statements on the transaction it is given (DB.txExec, DB.txQueryRow),
// and only statements prepared before (DB.prepare): the transaction holds
// the only connection. A write that is one statement (alone) and finds no
// other to share its transaction runs without one: fn is given a nil
// transaction, and its statement commits by itself.
func (g *group) run(ctx context.Context, alone bool, fn func(context.Context, *sql.Tx) error) error {
	w := &groupWrite{ctx: ctx, fn: fn, alone: alone, done: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !lead {
		<-w.done
		if !w.lead {
			return w.err
		}
	}
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	g.commit(batch)
	for _, o := range batch {
		if o != w {
			o.done <- struct{}{}
		}
	}
	// Those who queued during the transaction: the first leads the next.
	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.lead = true
		next.done <- struct{}{}
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return w.err
}

// commit runs the writes of batch in one transaction and sets their
// errors.
func (g *group) commit(batch []*groupWrite) {
	fail := func(err error) {
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
		}
	}
	if len(batch) == 1 && batch[0].alone {
		// One statement, committed by itself: no BEGIN and COMMIT.
		w := batch[0]
		if w.err = w.ctx.Err(); w.err == nil {
			w.err = w.fn(context.WithoutCancel(w.ctx), nil)
		}
		return
	}
	ctx := context.WithoutCancel(batch[0].ctx)
	tx, err := g.d.db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	// A savepoint for each write only when there are several: one write
	// alone is undone with its transaction.
	several := len(batch) > 1
	ok := 0
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			continue
		}
		wctx := context.WithoutCancel(w.ctx)
		if several {
			if _, err := g.d.txExec(wctx, tx, sqlSavepoint); err != nil {
				fail(fmt.Errorf("savepoint: %w", err))
				return
			}
		}
		w.err = w.fn(wctx, tx)
		if w.err == nil {
			ok++
		}
		if several {
			if w.err != nil {
				if _, err := g.d.txExec(wctx, tx, sqlRollbackTo); err != nil {
					fail(fmt.Errorf("rolling back to a savepoint: %w", err))
					return
				}
			}
			if _, err := g.d.txExec(wctx, tx, sqlRelease); err != nil {
				fail(fmt.Errorf("releasing a savepoint: %w", err))
				return
			}
		}
	}
	if ok == 0 {
		return // nothing to commit; the deferred rollback ends the transaction
	}
	if err := tx.Commit(); err != nil {
		fail(err)
	}
}

// transact runs fn in a transaction and commits it: on SQLite in a group
// transaction with concurrent writers' (see group), on PostgreSQL in its
// own. The queries qs that fn runs are prepared first. alone says that fn
// runs one writing statement: on SQLite it may then be given a nil
// transaction (see group.run), and DB.txExec and DB.txQueryRow run the
// statement by itself.
func (d *DB) transact(ctx context.Context, qs []string, alone bool, fn func(context.Context, *sql.Tx) error) error {
	if err := d.prepare(ctx, qs...); err != nil {
		return err
	}
	if d.group != nil {
		if err := d.prepare(ctx, sqlSavepoint, sqlRollbackTo, sqlRelease); err != nil {
			return err
		}
		return d.group.run(ctx, alone, fn)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

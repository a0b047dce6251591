package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

// TestGroupCommit: writes queued while a transaction runs commit together
// in the next one; a write that fails half-way is undone alone (its
// savepoint), the others commit; and each caller returns with its row
// committed, as another connection sees.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "oots.db")
	d, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// A payload file that a message owns already: the write below that
	// names it fails after inserting its message row.
	if _, err := d.Receive(ctx, &apstore.Inbound{MessageID: "owner@p", Partner: "P", Leg: "l", Files: []string{"taken"}, Received: now}); err != nil {
		t.Fatal(err)
	}

	// A write holds the transaction until the others are queued.
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- d.transact(ctx, nil, false, func(context.Context, *sql.Tx) error {
			close(held)
			<-hold
			return nil
		})
	}()
	<-held
	const n = 6
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &apstore.Inbound{MessageID: fmt.Sprintf("m%d@p", i), Partner: "P", Leg: "l", Received: now,
				Files: []string{fmt.Sprintf("f%d", i)}}
			if i == n {
				m.Files = append(m.Files, "taken")
			}
			_, errs[i] = d.Receive(ctx, m)
		}()
	}
	for queued := 0; queued < n+1; {
		time.Sleep(time.Millisecond)
		d.group.mu.Lock()
		queued = len(d.group.queue)
		d.group.mu.Unlock()
	}
	close(hold)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}

	// Another connection reads what committed.
	other, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	committed := func(id string) bool {
		var k int
		if err := other.QueryRow("SELECT COUNT(*) FROM ap_inbound WHERE message_id = ?", id).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k == 1
	}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("write %d: %v", i, errs[i])
		}
		if id := fmt.Sprintf("m%d@p", i); !committed(id) {
			t.Errorf("%s: not committed when Receive returned", id)
		}
	}
	if errs[n] == nil {
		t.Errorf("the write naming a taken payload file succeeded")
	}
	if id := fmt.Sprintf("m%d@p", n); committed(id) {
		t.Errorf("%s: the failed write's message row was committed", id)
	}
	if _, err := d.Inbound(ctx, fmt.Sprintf("m%d@p", n)); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("the failed write's message: %v, want ErrNotFound", err)
	}
}

// TestGroupCommitCancelled: a write whose context ended while it was
// queued does not run, and the others commit.
func TestGroupCommitCancelled(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// The statements are prepared (which needs the connection) before the
	// transaction holds it.
	if _, err := d.Receive(ctx, &apstore.Inbound{MessageID: "first@p", Partner: "P", Leg: "l", Received: now}); err != nil {
		t.Fatal(err)
	}
	hold, held := make(chan struct{}), make(chan struct{})
	go d.transact(ctx, nil, false, func(context.Context, *sql.Tx) error {
		close(held)
		<-hold
		return nil
	})
	<-held
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() {
		_, err := d.Receive(cctx, &apstore.Inbound{MessageID: "cancelled@p", Partner: "P", Leg: "l", Received: now})
		done <- err
	}()
	go func() {
		_, err := d.Receive(ctx, &apstore.Inbound{MessageID: "kept@p", Partner: "P", Leg: "l", Received: now})
		done <- err
	}()
	for queued := 0; queued < 2; {
		time.Sleep(time.Millisecond)
		d.group.mu.Lock()
		queued = len(d.group.queue)
		d.group.mu.Unlock()
	}
	cancel()
	close(hold)
	var failed int
	for range 2 {
		if err := <-done; errors.Is(err, context.Canceled) {
			failed++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if failed != 1 {
		t.Errorf("%d writes failed with context.Canceled, want 1", failed)
	}
	if _, err := d.Inbound(ctx, "cancelled@p"); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("the cancelled write: %v, want ErrNotFound", err)
	}
	if _, err := d.Inbound(ctx, "kept@p"); err != nil {
		t.Errorf("the other write: %v", err)
	}
}

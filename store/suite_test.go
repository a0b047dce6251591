package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// opener opens a fresh, empty database of one implementation.
type opener func(t *testing.T) (dsn string)

func sqliteDSN(t *testing.T) string { return filepath.Join(t.TempDir(), "oots.db") }

// TestSQLite and TestPostgreSQL run the one behavioural suite against both
// implementations.
func TestSQLite(t *testing.T) { runSuite(t, sqliteDSN) }

func TestPostgreSQL(t *testing.T) {
	srv := pgtest.Start(t)
	runSuite(t, func(t *testing.T) string { return srv.NewDatabase(t) })
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func runSuite(t *testing.T, newDSN opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, dsn string)
	}{
		{"Migrations", testMigrations},
		{"EnqueueIdempotent", testEnqueueIdempotent},
		{"ClaimAndFinish", testClaimAndFinish},
		{"Attempts", testAttempts},
		{"LeaseExpiry", testLeaseExpiry},
		{"EnqueueClaimed", testEnqueueClaimed},
		{"ConcurrentClaims", testConcurrentClaims},
		{"InboundDuplicates", testInboundDuplicates},
		{"Deliveries", testDeliveries},
		{"Purge", testPurge},
		{"FailureReports", testFailureReports},
		{"FailureReportLeases", testFailureReportLeases},
		{"ReceiptReports", testReceiptReports},
		{"ReceiptReportLeases", testReceiptReportLeases},
		{"ReceiptReportPurge", testReceiptReportPurge},
		{"ReceiptReportAges", testReceiptReportAges},
		{"UpgradeKeepsData", testUpgradeKeepsData},
		{"SearchAndRequeue", testSearchAndRequeue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newDSN(t)) })
	}
}

func testMigrations(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	// Reopening applies nothing twice.
	db2 := open(t, dsn)
	// Another component adds its own table, under its own name.
	fsys := fstest.MapFS{
		"m/0001_first.sql":  {Data: []byte("-- a comment\nCREATE TABLE other_things (id TEXT PRIMARY KEY);\n")},
		"m/0002_second.sql": {Data: []byte("ALTER TABLE other_things ADD COLUMN n INTEGER NOT NULL DEFAULT 0;\nCREATE INDEX other_things_n ON other_things (n);\n")},
	}
	migs, err := store.LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) != 2 || migs[0].Version != 1 || migs[1].Name != "second" {
		t.Fatalf("LoadMigrations = %+v", migs)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, d := range []*store.DB{db, db2} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = d.Migrate(ctx, "other", migs) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().ExecContext(ctx, db.Rebind("INSERT INTO other_things (id, n) VALUES (?, ?)"), "x", 1); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM oots_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := 8 // ap 0001 to 0004, the receipt hand-offs and the attempts, other 0001 and 0002
	if db.Dialect() == store.SQLite {
		want++ // ap 0005, SQLite's alone
	}
	if n != want {
		t.Errorf("oots_migrations has %d rows, want %d", n, want)
	}
	bad := fstest.MapFS{"m/x_first.sql": {Data: []byte("SELECT 1;")}}
	if _, err := store.LoadMigrations(bad, "m"); err == nil {
		t.Error("LoadMigrations accepted a file without a version number")
	}
	broken := []store.Migration{{Version: 1, Name: "broken", SQL: "CREATE TABLE broken_t (id TEXT);\nTHIS IS NOT SQL;"}}
	if err := db.Migrate(ctx, "broken", broken); err == nil {
		t.Fatal("a failing migration was accepted")
	}
	// Nothing of the failed migration stays.
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO broken_t (id) VALUES ('a')"); err == nil {
		t.Error("the failed migration's first statement was kept")
	}
}

func testEnqueueIdempotent(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	m, created, err := db.Enqueue(ctx, &apstore.Outbound{ID: "m1@x", ClientKey: "k1", Leg: "leg", Partner: "P", Body: []byte("one"), Created: t0})
	if err != nil || !created {
		t.Fatalf("Enqueue = %v, %v", created, err)
	}
	if m.State != apstore.OutQueued || string(m.Body) != "one" || !m.NextAt.Equal(t0) || m.ClientKey != "k1" {
		t.Errorf("stored %+v", m)
	}
	// The same client key with another id: the first message comes back.
	m2, created, err := db.Enqueue(ctx, &apstore.Outbound{ID: "m2@x", ClientKey: "k1", Leg: "leg", Partner: "P", Body: []byte("two"), Created: t0})
	if err != nil || created || m2.ID != "m1@x" || string(m2.Body) != "one" {
		t.Fatalf("second Enqueue = %+v, %v, %v", m2, created, err)
	}
	// No client key: each message is its own.
	for _, id := range []string{"a@x", "b@x"} {
		if _, created, err := db.Enqueue(ctx, &apstore.Outbound{ID: id, Leg: "leg", Partner: "P", Created: t0}); err != nil || !created {
			t.Fatalf("Enqueue %s = %v, %v", id, created, err)
		}
	}
	if _, created, _ := db.Enqueue(ctx, &apstore.Outbound{ID: "a@x", Leg: "leg", Partner: "P", Created: t0}); created {
		t.Error("the same message id was stored twice")
	}
	if _, err := db.Outbound(ctx, "nope"); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("Outbound(nope) = %v, want ErrNotFound", err)
	}
	if got, err := db.OutboundByClientKey(ctx, "k1"); err != nil || got.ID != "m1@x" {
		t.Errorf("OutboundByClientKey = %v, %v", got, err)
	}
}

func testClaimAndFinish(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	for i := range 3 {
		db.Enqueue(ctx, &apstore.Outbound{ID: fmt.Sprint("m", i), Leg: "l", Partner: "P", Created: t0, NextAt: t0.Add(time.Duration(2-i) * time.Second)})
	}
	got, err := db.ClaimOutbound(ctx, "node1", t0.Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	// m0 is due only at t0+2s.
	if len(got) != 2 || got[0].ID != "m2" || got[1].ID != "m1" || got[0].Attempts != 1 {
		t.Fatalf("claimed %v", ids(got))
	}
	// Claimed messages are not claimed again while leased.
	if again, _ := db.ClaimOutbound(ctx, "node2", t0.Add(time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed again: %v", ids(again))
	}
	now := t0.Add(2 * time.Second)
	if err := db.FinishOutbound(ctx, "m2", "node1", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("<receipt/>"), Timestamp: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishOutbound(ctx, "m1", "node1", apstore.Result{State: apstore.OutQueued, NextAt: now.Add(time.Minute), Error: "EBMS:0005 connection refused", Timestamp: now}); err != nil {
		t.Fatal(err)
	}
	// Finishing twice: the lease is gone.
	if err := db.FinishOutbound(ctx, "m2", "node1", apstore.Result{State: apstore.OutFailed, Timestamp: now}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("second finish = %v, want ErrLeaseLost", err)
	}
	m2, _ := db.Outbound(ctx, "m2")
	if m2.State != apstore.OutDelivered || string(m2.Receipt) != "<receipt/>" {
		t.Errorf("m2 = %+v", m2)
	}
	m1, _ := db.Outbound(ctx, "m1")
	if m1.State != apstore.OutQueued || m1.LastError == "" || !m1.NextAt.Equal(now.Add(time.Minute)) || m1.Attempts != 1 {
		t.Errorf("m1 = %+v", m1)
	}
	// The retry is claimed when due, with the attempt counted.
	got, _ = db.ClaimOutbound(ctx, "node2", now.Add(time.Minute), time.Minute, 10)
	if len(got) != 2 || got[1].ID != "m1" || got[1].Attempts != 2 {
		t.Fatalf("claimed %v", ids(got))
	}
	if err := db.FinishOutbound(ctx, "m1", "node2", apstore.Result{State: "bogus"}); err == nil {
		t.Error("unknown state accepted")
	}
}

// testAttempts: each attempt that ends in an error has its row in the
// history, numbered, in the order of the attempts, with its outcome and
// error; a delivery, a lost lease and a message delivered at once add none.
func testAttempts(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	for _, id := range []string{"m", "once"} {
		if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: id, Leg: "l", Partner: "P", Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	attempt := func(at time.Duration, owner string, r apstore.Result) {
		t.Helper()
		now := t0.Add(at)
		if got, err := db.ClaimOutbound(ctx, owner, now, time.Minute, 10); err != nil || len(got) == 0 {
			t.Fatalf("claim at %v: %v, %v", at, ids(got), err)
		}
		r.Timestamp = now
		if r.State == apstore.OutQueued {
			r.NextAt = now.Add(time.Second)
		}
		if err := db.FinishOutbound(ctx, "m", owner, r); err != nil {
			t.Fatal(err)
		}
	}
	attempt(0, "w1", apstore.Result{State: apstore.OutQueued, Error: "EBMS:0005 connection refused"})
	if err := db.FinishOutbound(ctx, "once", "w1", apstore.Result{State: apstore.OutDelivered, Timestamp: t0}); err != nil {
		t.Fatal(err)
	}
	// A finish after the lease was lost records nothing.
	if err := db.FinishOutbound(ctx, "m", "w1", apstore.Result{State: apstore.OutQueued, Error: "late", Timestamp: t0}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Fatalf("finish without the lease: %v", err)
	}
	attempt(2*time.Second, "w2", apstore.Result{State: apstore.OutQueued, Error: "EBMS:0006 HTTP 503"})
	attempt(4*time.Second, "w1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0202 retries exhausted"})
	got, err := db.Attempts(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []apstore.Attempt{
		{Seq: 1, Number: 1, Ended: t0, Outcome: apstore.AttemptRetried, Error: "EBMS:0005 connection refused"},
		{Seq: 2, Number: 2, Ended: t0.Add(2 * time.Second), Outcome: apstore.AttemptRetried, Error: "EBMS:0006 HTTP 503"},
		{Seq: 3, Number: 3, Ended: t0.Add(4 * time.Second), Outcome: apstore.AttemptFailed, Error: "EBMS:0202 retries exhausted"},
	}
	if len(got) != len(want) {
		t.Fatalf("attempts %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].Number != want[i].Number || !got[i].Ended.Equal(want[i].Ended) || got[i].Outcome != want[i].Outcome || got[i].Error != want[i].Error {
			t.Errorf("attempt %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	// A resend starts the count of attempts again; the history goes on.
	if err := db.Resend(ctx, "m", t0.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	attempt(6*time.Second, "w2", apstore.Result{State: apstore.OutQueued, Error: "EBMS:0004 refused"})
	got, err = db.Attempts(ctx, "m")
	if err != nil || len(got) != 4 || got[3].Seq != 4 || got[3].Number != 1 || got[3].Error != "EBMS:0004 refused" || got[2].Seq != 3 || got[2].Number != 3 {
		t.Errorf("after a resend: %+v, %v", got, err)
	}
	for _, id := range []string{"once", "never"} {
		if got, err := db.Attempts(ctx, id); err != nil || len(got) != 0 {
			t.Errorf("attempts of %s: %+v, %v", id, got, err)
		}
	}

	// Attempts cut short: their worker stopped and their lease ran out, so
	// the next claim made the next attempt. Each is given in its place.
	for _, id := range []string{"cut", "cut-then-retried"} {
		if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: id, Leg: "l", Partner: "P", Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(id string, at time.Duration, owner string) {
		t.Helper()
		got, err := db.ClaimOutbound(ctx, owner, t0.Add(at), time.Minute, 10)
		if err != nil || !slices.Contains(ids(got), id) {
			t.Fatalf("claim of %s at %v: %v, %v", id, at, ids(got), err)
		}
	}
	// Attempt 1 of both, never finished.
	if got, err := db.ClaimOutbound(ctx, "dead", t0.Add(time.Hour), time.Minute, 10); err != nil || !slices.Contains(ids(got), "cut") || !slices.Contains(ids(got), "cut-then-retried") {
		t.Fatalf("claim: %v, %v", ids(got), err)
	}
	claim("cut", 2*time.Hour, "w") // attempt 2 of both; cut's delivers
	if err := db.FinishOutbound(ctx, "cut", "w", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishOutbound(ctx, "cut-then-retried", "w", apstore.Result{State: apstore.OutQueued, Error: "EBMS:0005 refused", NextAt: t0.Add(3 * time.Hour), Timestamp: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	claim("cut-then-retried", 4*time.Hour, "w") // attempt 3: in progress
	interrupted := apstore.Attempt{Number: 1, Outcome: apstore.AttemptInterrupted}
	if got, err := db.Attempts(ctx, "cut"); err != nil || len(got) != 1 || got[0] != interrupted {
		t.Errorf("attempts of cut: %+v, %v; want attempt 1 interrupted", got, err)
	}
	if got, err := db.Attempts(ctx, "cut-then-retried"); err != nil || len(got) != 2 || got[0] != interrupted ||
		got[1].Number != 2 || got[1].Outcome != apstore.AttemptRetried || got[1].Error != "EBMS:0005 refused" {
		t.Errorf("attempts of cut-then-retried: %+v, %v; want attempt 1 interrupted, 2 retried, 3 in progress (not given)", got, err)
	}
}

func testLeaseExpiry(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	db.Enqueue(ctx, &apstore.Outbound{ID: "m", Leg: "l", Partner: "P", Created: t0})
	if got, _ := db.ClaimOutbound(ctx, "dead", t0, 30*time.Second, 1); len(got) != 1 {
		t.Fatal("not claimed")
	}
	if got, _ := db.ClaimOutbound(ctx, "alive", t0.Add(29*time.Second), 30*time.Second, 1); len(got) != 0 {
		t.Fatal("claimed under a live lease")
	}
	// The node died: its lease expires and another node takes the message.
	got, _ := db.ClaimOutbound(ctx, "alive", t0.Add(31*time.Second), 30*time.Second, 1)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after expiry: %v", ids(got))
	}
	// The dead node comes back: its result is refused (fencing).
	if err := db.FinishOutbound(ctx, "m", "dead", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(32 * time.Second)}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish by the old owner = %v, want ErrLeaseLost", err)
	}
	// A live owner whose lease ran out is refused too.
	if err := db.FinishOutbound(ctx, "m", "alive", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(62 * time.Second)}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish after the lease = %v, want ErrLeaseLost", err)
	}
	if err := db.FinishOutbound(ctx, "m", "alive", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(40 * time.Second)}); err != nil {
		t.Error(err)
	}
}

// testEnqueueClaimed: a message queued claimed by its node is not claimed
// by others while the lease lasts, counts its first attempt, is finished by
// its owner, and is claimed by another node once the lease has expired; a
// repeated submission leaves the first one as it was.
func testEnqueueClaimed(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	o, created, err := db.Enqueue(ctx, &apstore.Outbound{ID: "m", ClientKey: "k", Leg: "l", Partner: "P", Created: t0,
		LeaseOwner: "node1", LeaseUntil: t0.Add(30 * time.Second)})
	if err != nil || !created || o.Attempts != 1 || o.State != apstore.OutQueued {
		t.Fatalf("Enqueue = %+v, %v, %v", o, created, err)
	}
	if got, _ := db.ClaimOutbound(ctx, "node2", t0.Add(29*time.Second), 30*time.Second, 10); len(got) != 0 {
		t.Fatalf("claimed under the lease of its submission: %v", ids(got))
	}
	again, created, err := db.Enqueue(ctx, &apstore.Outbound{ID: "m2", ClientKey: "k", Leg: "l", Partner: "P", Created: t0,
		LeaseOwner: "node2", LeaseUntil: t0.Add(time.Hour)})
	if err != nil || created || again.ID != "m" {
		t.Fatalf("repeated submission: %+v, %v, %v", again, created, err)
	}
	got, _ := db.ClaimOutbound(ctx, "node2", t0.Add(31*time.Second), 30*time.Second, 10)
	if len(got) != 1 || got[0].ID != "m" || got[0].Attempts != 2 {
		t.Fatalf("after the lease: %v", ids(got))
	}
	if err := db.FinishOutbound(ctx, "m", "node1", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(32 * time.Second)}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish by the first owner after expiry = %v, want ErrLeaseLost", err)
	}

	if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: "n", Leg: "l", Partner: "P", Created: t0,
		LeaseOwner: "node1", LeaseUntil: t0.Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishOutbound(ctx, "n", "node1", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(time.Second)}); err != nil {
		t.Errorf("finish by the owner: %v", err)
	}
	if n, _ := db.Outbound(ctx, "n"); n.State != apstore.OutDelivered || n.Attempts != 1 {
		t.Errorf("n = %+v", n)
	}
}

// testConcurrentClaims: several workers on separate connections claim a
// queue concurrently; every message is claimed exactly once.
func testConcurrentClaims(t *testing.T, dsn string) {
	ctx := context.Background()
	const n = 200
	db := open(t, dsn)
	for i := range n {
		if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: fmt.Sprint("m", i), Leg: "l", Partner: "P", Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	seen := claimConcurrently(t, dsn, func(db *store.DB, owner string) ([]string, error) {
		got, err := db.ClaimOutbound(ctx, owner, t0, time.Minute, 7)
		ids := make([]string, len(got))
		for i, m := range got {
			ids[i] = m.ID
		}
		return ids, err
	}, func(db *store.DB, owner, id string) error {
		return db.FinishOutbound(ctx, id, owner, apstore.Result{State: apstore.OutDelivered, Timestamp: t0})
	})
	checkClaimedOnce(t, seen, n)
}

// claimConcurrently runs four workers, each on its own connection, that
// claim with claim until it returns nothing and finish each id claimed; it
// returns how many times each id was claimed.
func claimConcurrently(t *testing.T, dsn string, claim func(db *store.DB, owner string) ([]string, error),
	finish func(db *store.DB, owner, id string) error) map[string]int {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wdb := open(t, dsn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("w", w)
			for {
				ids, err := claim(wdb, owner)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ids) == 0 {
					return
				}
				for _, id := range ids {
					mu.Lock()
					seen[id]++
					mu.Unlock()
					if err := finish(wdb, owner, id); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	return seen
}

// checkClaimedOnce: n ids were claimed, each once.
func checkClaimedOnce(t *testing.T, seen map[string]int, n int) {
	t.Helper()
	if len(seen) != n {
		t.Errorf("%d claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s claimed %d times", id, k)
		}
	}
}

func testInboundDuplicates(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	in := &apstore.Inbound{MessageID: "u1@p", Partner: "P", Leg: "l", Header: []byte(`{"h":1}`), Body: []byte("payload"), Received: t0}
	if dup, err := db.Receive(ctx, in); err != nil || dup {
		t.Fatalf("Receive = %v, %v", dup, err)
	}
	if dup, err := db.Receive(ctx, &apstore.Inbound{MessageID: "u1@p", Partner: "P", Leg: "l", Body: []byte("other"), Received: t0}); err != nil || !dup {
		t.Fatalf("second Receive = %v, %v; want duplicate", dup, err)
	}
	// The same id from another partner is neither a duplicate nor stored.
	if dup, err := db.Receive(ctx, &apstore.Inbound{MessageID: "u1@p", Partner: "Q", Leg: "l", Body: []byte("q's"), Received: t0}); !errors.Is(err, apstore.ErrOtherPartner) || dup {
		t.Fatalf("the id of P's message from Q: duplicate %v, %v", dup, err)
	}
	if got, err := db.Inbound(ctx, "u1@p"); err != nil || got.Partner != "P" {
		t.Fatalf("P's message after Q's: %+v, %v", got, err)
	}
	db.Receive(ctx, &apstore.Inbound{MessageID: "u2@p", Partner: "P", Leg: "l", Received: t0.Add(time.Second)})
	got, err := db.Inbound(ctx, "u1@p")
	if err != nil || string(got.Body) != "payload" || string(got.Header) != `{"h":1}` || got.Delivery != apstore.DeliveryNone || !got.Received.Equal(t0) {
		t.Fatalf("Inbound = %+v, %v", got, err)
	}
	list, err := db.ListInbound(ctx, apstore.InboundFilter{})
	if err != nil || len(list) != 2 || list[0].MessageID != "u1@p" || list[0].Body != nil {
		t.Fatalf("ListInbound = %v, %v", list, err)
	}
	if err := db.Ack(ctx, "u1@p", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.Ack(ctx, "u1@p", t0.Add(2*time.Minute)); err != nil {
		t.Fatal("second ack:", err)
	}
	if err := db.Ack(ctx, "nope", t0); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("Ack(nope) = %v", err)
	}
	list, _ = db.ListInbound(ctx, apstore.InboundFilter{})
	if len(list) != 1 || list[0].MessageID != "u2@p" {
		t.Errorf("unacknowledged = %v", list)
	}
	all, _ := db.ListInbound(ctx, apstore.InboundFilter{IncludeAcked: true, AfterSeq: 0, Limit: 1})
	if len(all) != 1 || all[0].MessageID != "u1@p" || !all[0].Acked.Equal(t0.Add(time.Minute)) {
		t.Errorf("with acked, limit 1 = %+v", all)
	}
	rest, _ := db.ListInbound(ctx, apstore.InboundFilter{IncludeAcked: true, AfterSeq: all[0].Seq})
	if len(rest) != 1 || rest[0].MessageID != "u2@p" {
		t.Errorf("after seq = %+v", rest)
	}
}

func testDeliveries(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	for i := range 3 {
		db.Receive(ctx, &apstore.Inbound{MessageID: fmt.Sprint("u", i), Partner: "P", Leg: "l", Body: []byte{byte(i)}, Received: t0, Delivery: apstore.DeliveryPending})
	}
	db.Receive(ctx, &apstore.Inbound{MessageID: "pulled", Partner: "P", Leg: "l", Received: t0})
	got, err := db.ClaimDeliveries(ctx, "n1", t0, time.Minute, 10)
	if err != nil || len(got) != 3 || got[0].MessageID != "u0" || got[2].Body[0] != 2 || got[0].Attempts != 1 {
		t.Fatalf("ClaimDeliveries = %v, %v", got, err)
	}
	if again, _ := db.ClaimDeliveries(ctx, "n2", t0, time.Minute, 10); len(again) != 0 {
		t.Fatal("claimed twice")
	}
	db.FinishDelivery(ctx, "u0", "n1", true, time.Time{}, "", t0)
	db.FinishDelivery(ctx, "u1", "n1", false, t0.Add(time.Minute), "HTTP 503", t0)
	// u2: the node died holding it.
	later := t0.Add(2 * time.Minute)
	got, _ = db.ClaimDeliveries(ctx, "n2", later, time.Minute, 10)
	if len(got) != 2 || got[0].MessageID != "u1" || got[0].LastError != "HTTP 503" || got[1].MessageID != "u2" || got[1].Attempts != 2 {
		t.Fatalf("after retry and expiry: %+v", got)
	}
	if err := db.FinishDelivery(ctx, "u2", "n1", true, time.Time{}, "", later); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish by the old owner = %v", err)
	}
	// Acknowledging by the pull API ends the pushing.
	db.FinishDelivery(ctx, "u1", "n2", false, later, "HTTP 500", later)
	db.Ack(ctx, "u1", later)
	if got, _ := db.ClaimDeliveries(ctx, "n3", later.Add(time.Hour), time.Minute, 10); len(got) != 1 || got[0].MessageID != "u2" {
		t.Errorf("after ack: %v", got)
	}
	c, err := db.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Inbound["delivered|no"] != 1 || c.Inbound["delivered|yes"] != 1 || c.Inbound["none|no"] != 1 {
		t.Errorf("Count = %+v", c.Inbound)
	}
}

func testPurge(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	db.Enqueue(ctx, &apstore.Outbound{ID: "done", Leg: "l", Partner: "P", Body: []byte("x"), Created: t0})
	db.Enqueue(ctx, &apstore.Outbound{ID: "waiting", Leg: "l", Partner: "P", Body: []byte("x"), Created: t0})
	db.ClaimOutbound(ctx, "n", t0, time.Minute, 1) // "done" or "waiting": take both
	got, _ := db.ClaimOutbound(ctx, "n", t0, time.Minute, 1)
	_ = got
	db.FinishOutbound(ctx, "done", "n", apstore.Result{State: apstore.OutDelivered, Timestamp: t0})
	db.FinishOutbound(ctx, "waiting", "n", apstore.Result{State: apstore.OutQueued, NextAt: t0.Add(time.Hour), Timestamp: t0})
	db.Receive(ctx, &apstore.Inbound{MessageID: "acked", Partner: "P", Leg: "l", Body: []byte("x"), Received: t0})
	db.Receive(ctx, &apstore.Inbound{MessageID: "unread", Partner: "P", Leg: "l", Body: []byte("x"), Received: t0})
	db.Ack(ctx, "acked", t0)
	n, err := db.Purge(ctx, t0.Add(time.Second))
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	if m, _ := db.Outbound(ctx, "done"); m.Body != nil || m.State != apstore.OutDelivered {
		t.Errorf("done = %+v", m)
	}
	if m, _ := db.Outbound(ctx, "waiting"); string(m.Body) != "x" {
		t.Errorf("waiting lost its body")
	}
	if m, _ := db.Inbound(ctx, "acked"); m.Body != nil {
		t.Errorf("acked kept its body")
	}
	if m, _ := db.Inbound(ctx, "unread"); string(m.Body) != "x" {
		t.Errorf("unread lost its body")
	}
	// Duplicate elimination survives the purge.
	if dup, _ := db.Receive(ctx, &apstore.Inbound{MessageID: "acked", Partner: "P", Leg: "l"}); !dup {
		t.Error("a purged message was received again")
	}
}

func ids(ms []*apstore.Outbound) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.ID)
	}
	return s
}

// failMessage enqueues a message, claims it as owner and records outcome.
func failMessage(t *testing.T, db *store.DB, id, key, owner string, r apstore.Result) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: id, ClientKey: key, Leg: "req", Partner: "DE", Body: []byte("x"), Created: t0}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ClaimOutbound(ctx, owner, r.Timestamp, time.Minute, 1); err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("claim %s: %v, %v", id, ids(got), err)
	}
	if err := db.FinishOutbound(ctx, id, owner, r); err != nil {
		t.Fatal(err)
	}
}

// testFailureReports: a final failure queues one report, with the
// submission's client key, in the same step; other results queue none.
func testFailureReports(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	failedAt := t0.Add(time.Second)
	failMessage(t, db, "f1", "key-1", "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0010 ProcessingModeMismatch", Timestamp: failedAt})
	failMessage(t, db, "f2", "", "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0202 no receipt", Timestamp: failedAt.Add(time.Second)})
	failMessage(t, db, "quiet", "", "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0010", Timestamp: failedAt, Report: apstore.DeliveryNone})
	failMessage(t, db, "ok", "", "n1", apstore.Result{State: apstore.OutDelivered, Timestamp: failedAt})
	failMessage(t, db, "retry", "", "n1", apstore.Result{State: apstore.OutQueued, NextAt: t0.Add(time.Hour), Error: "EBMS:0005", Timestamp: failedAt})

	f, err := db.FailureReport(ctx, "f1")
	if err != nil {
		t.Fatal(err)
	}
	want := apstore.FailureReport{MessageID: "f1", ClientKey: "key-1", Partner: "DE", Leg: "req", Reason: "EBMS:0010 ProcessingModeMismatch",
		Failed: failedAt, Delivery: apstore.DeliveryPending, NextAt: failedAt}
	if *f != want {
		t.Errorf("report = %+v\nwant       %+v", *f, want)
	}
	for _, id := range []string{"ok", "retry", "nope"} {
		if _, err := db.FailureReport(ctx, id); !errors.Is(err, apstore.ErrNotFound) {
			t.Errorf("FailureReport(%s) = %v, want ErrNotFound", id, err)
		}
	}
	if q, _ := db.FailureReport(ctx, "quiet"); q == nil || q.Delivery != apstore.DeliveryNone {
		t.Errorf("quiet report = %+v", q)
	}
	// The failed message itself is recorded as before.
	if o, _ := db.Outbound(ctx, "f1"); o.State != apstore.OutFailed || o.LastError != "EBMS:0010 ProcessingModeMismatch" {
		t.Errorf("f1 = %+v", o)
	}
	// A report state other than pending or none is refused, and nothing is
	// recorded.
	db.Enqueue(ctx, &apstore.Outbound{ID: "bad", Leg: "req", Partner: "DE", Created: t0})
	db.ClaimOutbound(ctx, "n1", failedAt, time.Minute, 1)
	if err := db.FinishOutbound(ctx, "bad", "n1", apstore.Result{State: apstore.OutFailed, Report: "bogus", Timestamp: failedAt}); err == nil {
		t.Error("unknown report state accepted")
	}
	if o, _ := db.Outbound(ctx, "bad"); o.State != apstore.OutQueued {
		t.Errorf("bad = %+v", o)
	}
	// A failure recorded by a node that lost its lease queues no report.
	if err := db.FinishOutbound(ctx, "bad", "other", apstore.Result{State: apstore.OutFailed, Timestamp: failedAt}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish without the lease = %v", err)
	}
	if _, err := db.FailureReport(ctx, "bad"); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("report queued without the lease: %v", err)
	}

	// Only pending reports are claimed, oldest failure first.
	got, err := db.ClaimFailureReports(ctx, "n1", t0.Add(time.Minute), time.Minute, 10)
	if err != nil || len(got) != 2 || got[0].MessageID != "f1" || got[1].MessageID != "f2" || got[0].Attempts != 1 {
		t.Fatalf("ClaimFailureReports = %v, %v", reportIDs(got), err)
	}
	c, err := db.Count(ctx)
	if err != nil || c.Failures[apstore.DeliveryPending] != 2 || c.Failures[apstore.DeliveryNone] != 1 {
		t.Errorf("Count = %+v, %v", c.Failures, err)
	}
}

// testFailureReportLeases: reports are leased, retried with the recorded
// error, taken over when a lease expires, and never claimed once delivered.
func testFailureReportLeases(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	for i := range 3 {
		failMessage(t, db, fmt.Sprint("f", i), fmt.Sprint("k", i), "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0010", Timestamp: t0.Add(time.Duration(i) * time.Second)})
	}
	now := t0.Add(time.Minute)
	got, err := db.ClaimFailureReports(ctx, "n1", now, time.Minute, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("claimed %v, %v", reportIDs(got), err)
	}
	if again, _ := db.ClaimFailureReports(ctx, "n2", now, time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice: %v", reportIDs(again))
	}
	if err := db.FinishFailureReport(ctx, "f0", "n1", true, time.Time{}, "", now); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishFailureReport(ctx, "f1", "n1", false, now.Add(time.Minute), "backend busy", now); err != nil {
		t.Fatal(err)
	}
	// f2: the node died holding it. f1 is not due yet.
	later := now.Add(90 * time.Second)
	got, _ = db.ClaimFailureReports(ctx, "n2", later, time.Minute, 10)
	if len(got) != 2 || got[0].MessageID != "f1" || got[0].LastError != "backend busy" || got[0].Attempts != 2 || got[1].MessageID != "f2" {
		t.Fatalf("after retry and expiry: %+v", got)
	}
	if err := db.FinishFailureReport(ctx, "f2", "n1", true, time.Time{}, "", later); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish by the old owner = %v, want ErrLeaseLost", err)
	}
	if err := db.FinishFailureReport(ctx, "f1", "n2", true, time.Time{}, "", later.Add(2*time.Minute)); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish after the lease = %v, want ErrLeaseLost", err)
	}
	for _, id := range []string{"f1", "f2"} {
		if err := db.FinishFailureReport(ctx, id, "n2", true, time.Time{}, "", later); err != nil {
			t.Fatal(err)
		}
	}
	if rest, _ := db.ClaimFailureReports(ctx, "n3", later.Add(time.Hour), time.Minute, 10); len(rest) != 0 {
		t.Errorf("delivered reports claimed again: %v", reportIDs(rest))
	}
	if f, _ := db.FailureReport(ctx, "f1"); f.Delivery != apstore.DeliveryDelivered || f.Attempts != 2 {
		t.Errorf("f1 = %+v", f)
	}
	// Workers on separate connections claim each pending report once.
	const n = 60
	for i := range n {
		failMessage(t, db, fmt.Sprint("c", i), "", "n1", apstore.Result{State: apstore.OutFailed, Error: "x", Timestamp: t0})
	}
	seen := claimConcurrently(t, dsn, func(db *store.DB, owner string) ([]string, error) {
		got, err := db.ClaimFailureReports(ctx, owner, later, time.Minute, 5)
		ids := make([]string, len(got))
		for i, f := range got {
			ids[i] = f.MessageID
		}
		return ids, err
	}, func(db *store.DB, owner, id string) error {
		return db.FinishFailureReport(ctx, id, owner, true, time.Time{}, "", later)
	})
	checkClaimedOnce(t, seen, n)
}

// testUpgradeKeepsData: a database made before the failure reports existed
// opens, keeps its messages, and reports their later failures.
func testUpgradeKeepsData(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Enqueue(ctx, &apstore.Outbound{ID: "old", ClientKey: "k-old", Leg: "req", Partner: "DE", Body: []byte("x"), Created: t0})
	// Back to the schema of migration 0001.
	for _, q := range []string{"DROP TABLE ap_failure_reports", "DELETE FROM oots_migrations WHERE component = 'ap' AND version = 2"} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = open(t, dsn)
	if o, err := db.Outbound(ctx, "old"); err != nil || o.ClientKey != "k-old" || o.State != apstore.OutQueued {
		t.Fatalf("after the upgrade: %+v, %v", o, err)
	}
	db.ClaimOutbound(ctx, "n", t0, time.Minute, 1)
	if err := db.FinishOutbound(ctx, "old", "n", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0202", Timestamp: t0}); err != nil {
		t.Fatal(err)
	}
	if f, err := db.FailureReport(ctx, "old"); err != nil || f.ClientKey != "k-old" || f.Reason != "EBMS:0202" {
		t.Errorf("report = %+v, %v", f, err)
	}
}

func reportIDs(fs []*apstore.FailureReport) []string {
	var s []string
	for _, f := range fs {
		s = append(s, f.MessageID)
	}
	return s
}

// An SQLite file name's ?synchronous= parameter sets SQLite's synchronous
// setting (as SQLite reports it: 1 NORMAL, 2 FULL); anything else in the
// query is refused, named.
func TestOpenSynchronous(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, c := range []struct {
		dsn  string
		want int
	}{
		{"a.db", 1},
		{"sqlite:b.db?synchronous=normal", 1},
		{"c.db?synchronous=full", 2},
		{"sqlite:d.db?synchronous=FULL", 2},
		{"sqlite:e.db?synchronous=full&vfs=unix", 2},
	} {
		name := filepath.Join(dir, c.dsn)
		if rest, ok := strings.CutPrefix(c.dsn, "sqlite:"); ok {
			name = "sqlite:" + filepath.Join(dir, rest)
		}
		db, err := store.Open(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", c.dsn, err)
		}
		var got int
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != c.want {
			t.Errorf("%s: synchronous %d, want %d", c.dsn, got, c.want)
		}
	}
	for dsn, want := range map[string]string{
		"e.db?synchronous=off": "synchronous=off (normal or full)",
		"f.db?cache=shared":    `unknown parameter "cache"`,
		"h.db?vfs=unix-excl":   "vfs=unix-excl (the one other than the default: unix)",
		"g.db?synchronous=%zz": "invalid URL escape",
		"?synchronous=full":    "empty database file name",
	} {
		name := dsn
		if !strings.HasPrefix(dsn, "?") {
			name = filepath.Join(dir, dsn)
		}
		if _, err := store.Open(ctx, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", dsn, err, want)
		}
	}
}

func TestSQLiteFile(t *testing.T) {
	for dsn, want := range map[string]string{
		"a.db": "a.db", "sqlite:/var/lib/oots/a.db": "/var/lib/oots/a.db", "sqlite:d/a.db?synchronous=full": "d/a.db",
	} {
		if got, ok := store.SQLiteFile(dsn); !ok || got != want {
			t.Errorf("SQLiteFile(%q) = %q, %v; want %q", dsn, got, ok, want)
		}
	}
	if _, ok := store.SQLiteFile("postgres://db/oots"); ok {
		t.Error("a PostgreSQL URL named an SQLite file")
	}
}

// A database file in a directory whose name holds a character that means
// something in an SQLite URI (%, #, a space) is that file, not another
// one: SQLite itself names the file it opened.
func TestOpenFileNameCharacters(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"a#b", "a%20b", "a b", "a%b#c d"} {
		p := filepath.Join(t.TempDir(), dir)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(p, "oots.db")
		db, err := store.Open(ctx, want)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		var seq int
		var name, file string
		err = db.SQL().QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &file)
		db.Close()
		if err != nil || file != want {
			t.Errorf("%s: SQLite opened %q (%v), want %q", dir, file, err, want)
		}
		if _, err := os.Stat(want); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
	}
}

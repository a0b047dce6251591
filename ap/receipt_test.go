package ap_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	ootsexchange "github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

// receiptRecorder is an in-process backend that takes receipts: it
// records every Receipted call, answers an error while fail says so, and
// journals each receipt with journal.Journal.AppendReceipt when it has a
// journal, as the demo network's backend does.
type receiptRecorder struct {
	mu      sync.Mutex
	calls   []ap.Receipt
	fail    func(call int) error // nil: take every receipt
	journal *journal.Journal
}

func (r *receiptRecorder) Deliver(ctx context.Context, m *ap.ReceivedMessage) error { return nil }

func (r *receiptRecorder) Receipted(ctx context.Context, rc *ap.Receipt) error {
	r.mu.Lock()
	r.calls = append(r.calls, *rc)
	var err error
	if r.fail != nil {
		err = r.fail(len(r.calls))
	}
	r.mu.Unlock()
	if err == nil && r.journal != nil {
		_, _, err = r.journal.AppendReceipt(ctx, ootsexchange.ReceiptRecord(rc))
	}
	return err
}

func (r *receiptRecorder) snapshot() []ap.Receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ap.Receipt(nil), r.calls...)
}

// waitCalls waits until the recorder saw at least n calls.
func (r *receiptRecorder) waitCalls(n int, timeout time.Duration) []ap.Receipt {
	deadline := time.Now().Add(timeout)
	for {
		got := r.snapshot()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHandOff waits until the receipt hand-off of id is recorded as
// delivered.
func waitHandOff(t *testing.T, db *store.DB, id string, timeout time.Duration) *apstore.ReceiptReport {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r, err := db.ReceiptReport(context.Background(), id)
		if (err == nil && r.Delivery == apstore.DeliveryDelivered) || time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("receipt hand-off of %s: %v", id, err)
			}
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReceiptHandOff: the partner's signed receipt of a delivered message
// is handed to a ReceiptBackend once, with the message's ids and the
// digests of its non-repudiation information, and recorded as handed
// over; a backend that fails is asked again with the webhook's backoff
// until it takes the receipt, and not after.
func TestReceiptHandOff(t *testing.T) {
	for _, db := range []string{"SQLite", "PostgreSQL"} {
		t.Run(db, func(t *testing.T) {
			if db == "PostgreSQL" {
				testenv.SkipShort(t, "starts PostgreSQL")
			}
			testReceiptHandOff(t, db)
		})
	}
}

func testReceiptHandOff(t *testing.T, db string) {
	dsn := sqliteDSN
	if db == "PostgreSQL" {
		dsn = pgDSN(t)
	}
	for _, tc := range []struct {
		name      string
		failures  int // the backend's first answers that are errors
		wantCalls int
	}{
		{"once", 0, 1},
		{"retried", 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &receiptRecorder{fail: func(call int) error {
				if call <= tc.failures {
					return errors.New("journal busy")
				}
				return nil
			}}
			nodes := newNet(t, netOptions{dsn: dsn, edit: func(name string, c *ap.Config) {
				if name == "AP_FR_01" {
					c.Backend = rec
				}
			}})
			fr := nodes["AP_FR_01"]
			ctx := context.Background()
			st, _, err := fr.Submit(ctx, submission("", tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
				t.Fatalf("status %+v", got)
			}
			r := waitHandOff(t, fr.db, st.MessageID, 15*time.Second)
			time.Sleep(1500 * time.Millisecond) // a further call would come within the first backoff step
			calls := rec.snapshot()
			if len(calls) != tc.wantCalls {
				t.Fatalf("Receipted called %d times, want %d: %+v", len(calls), tc.wantCalls, calls)
			}
			want, err := fr.Receipt(ctx, st.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range calls {
				if c.MessageID != st.MessageID || c.Partner != "AP_DE_01" || c.ReceiptID == "" || c.ReceiptID != want.ReceiptID ||
					c.ConversationID != want.ConversationID || c.ConversationID == "" || len(c.NRR) == 0 || len(c.NRR) != len(want.NRR) {
					t.Errorf("handed %+v\nstored %+v", c, want)
				}
			}
			if r.Delivery != apstore.DeliveryDelivered || r.Attempts != tc.wantCalls || r.LastError != "" {
				t.Errorf("stored hand-off %+v", r)
			}
			// The metrics count the hand-offs by result, and nothing
			// waits.
			text := metricsOf(t, fr)
			for _, c := range []struct {
				name   string
				labels []string
				want   float64
			}{
				{"oots_ap_receipt_hand_offs_total", []string{"result", "handed_over"}, 1},
				{"oots_ap_receipt_hand_offs_total", []string{"result", "failed"}, float64(tc.failures)},
				{"oots_ap_receipt_hand_offs_pending", nil, 0},
				{"oots_ap_receipt_hand_off_oldest_pending_age_seconds", nil, 0},
			} {
				if v, ok := metricValue(t, text, c.name, c.labels...); !ok || v != c.want {
					t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, v, ok, c.want)
				}
			}
			if line := fmt.Sprintf("oots_ap_receipt_hand_off_seconds_count %d\n", tc.wantCalls); !strings.Contains(text, line) {
				t.Errorf("metrics lack %s", line)
			}
		})
	}
}

// TestReceiptHandOffBacklog: while the backend refuses receipts, the
// metrics show the failed hand-offs and the receipt waiting, its age
// growing from its message's delivery.
func TestReceiptHandOffBacklog(t *testing.T) {
	down := &receiptRecorder{fail: func(int) error { return errors.New("journal down") }}
	nodes := newNet(t, netOptions{edit: func(name string, c *ap.Config) {
		if name == "AP_FR_01" {
			c.Backend = down
		}
	}})
	fr := nodes["AP_FR_01"]
	st, _, err := fr.Submit(context.Background(), submission("", "backlog"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("status %+v", got)
	}
	if calls := down.waitCalls(1, 15*time.Second); len(calls) == 0 {
		t.Fatal("the backend was not called")
	}
	time.Sleep(1100 * time.Millisecond)
	text := metricsOf(t, fr)
	if v, _ := metricValue(t, text, "oots_ap_receipt_hand_offs_total", "result", "failed"); v < 1 {
		t.Errorf("failed hand-offs = %v, want at least 1", v)
	}
	if v, ok := metricValue(t, text, "oots_ap_receipt_hand_offs_total", "result", "handed_over"); !ok || v != 0 {
		t.Errorf("handed over = %v (present %v), want 0", v, ok)
	}
	if v, _ := metricValue(t, text, "oots_ap_receipt_hand_offs_pending"); v != 1 {
		t.Errorf("pending hand-offs = %v, want 1", v)
	}
	if v, _ := metricValue(t, text, "oots_ap_receipt_hand_off_oldest_pending_age_seconds"); v < 1 || v > 60 {
		t.Errorf("oldest pending hand-off = %v s, want 1 s or a little more", v)
	}
}

// TestReceiptNoHandOff: a backend that takes no receipts, and no backend,
// record no hand-off.
func TestReceiptNoHandOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend ap.Backend
	}{
		{"pull", nil},
		{"messages only", backendFunc(func(context.Context, *ap.ReceivedMessage) error { return nil })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := newNet(t, netOptions{edit: func(name string, c *ap.Config) {
				if name == "AP_FR_01" {
					c.Backend = tc.backend
				}
			}})
			fr := nodes["AP_FR_01"]
			st, _, err := fr.Submit(context.Background(), submission("", "x"))
			if err != nil {
				t.Fatal(err)
			}
			if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
				t.Fatalf("status %+v", got)
			}
			if r, err := fr.db.ReceiptReport(context.Background(), st.MessageID); !errors.Is(err, apstore.ErrNotFound) {
				t.Errorf("hand-off %+v, %v; want none", r, err)
			}
			// Nothing is counted: a node without a ReceiptBackend has no
			// series of hand-offs, only the store's (nothing waits).
			text := metricsOf(t, fr)
			if v, ok := metricValue(t, text, "oots_ap_receipt_hand_offs_total"); ok {
				t.Errorf("oots_ap_receipt_hand_offs_total = %v without a ReceiptBackend", v)
			}
			if v, ok := metricValue(t, text, "oots_ap_receipt_hand_offs_pending"); !ok || v != 0 {
				t.Errorf("oots_ap_receipt_hand_offs_pending = %v (present %v)", v, ok)
			}
		})
	}
}

// TestReceiptAfterRestart: the message is delivered and its receipt not
// yet taken when the node stops; the node started again on the same
// database hands it over.
func TestReceiptAfterRestart(t *testing.T) {
	down := &receiptRecorder{fail: func(int) error { return errors.New("journal down") }}
	nodes := newNet(t, netOptions{edit: func(name string, c *ap.Config) {
		if name == "AP_FR_01" {
			c.Backend = down
		}
	}})
	fr := nodes["AP_FR_01"]
	ctx := context.Background()
	st, _, err := fr.Submit(ctx, submission("", "restart"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("status %+v", got)
	}
	if calls := down.waitCalls(1, 10*time.Second); len(calls) == 0 {
		t.Fatal("the receipt was never handed over")
	}
	fr.stop()
	<-fr.done
	r, err := fr.db.ReceiptReport(ctx, st.MessageID)
	if err != nil || r.Delivery != apstore.DeliveryPending || r.LastError != "journal down" {
		t.Fatalf("before the restart: %+v, %v", r, err)
	}
	seen := len(down.snapshot())

	up := &receiptRecorder{}
	restartWith(t, ctx, fr, up)

	calls := up.waitCalls(1, 15*time.Second)
	if len(calls) != 1 || calls[0].MessageID != st.MessageID || calls[0].ReceiptID == "" {
		t.Fatalf("after the restart: %+v", calls)
	}
	if n := len(down.snapshot()); n != seen {
		t.Errorf("the stopped node's backend was called %d more times", n-seen)
	}
	waitHandOff(t, fr.db, st.MessageID, 20*time.Second)
}

// The child of TestReceiptKilled runs where this names a directory.
const receiptKillEnv = "OOTS_RECEIPT_KILL_DIR"

// TestReceiptKilled: the sending node's process is killed (SIGKILL, at a
// crash point of a binary built with the ootsfault tag) right after it
// recorded a message as delivered, before it handed the receipt to its
// backend; or right after the backend took it, before the node recorded
// that. Started again on the same database, the node hands the receipt
// over (at least once at the interface) and the backend's journal holds
// it exactly once.
func TestReceiptKilled(t *testing.T) {
	if dir := os.Getenv(receiptKillEnv); dir != "" {
		receiptKillChild(t, dir)
		return
	}
	testenv.SkipShort(t, "builds the package's tests with the ootsfault tag and kills a child process")
	bin := filepath.Join(t.TempDir(), "ap.test")
	build := exec.Command(testenv.Tool(t, "go"), "test", "-c", "-tags", "ootsfault", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c -tags ootsfault: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		point        string
		journaledYet int // receipt entries in the journal when the node was killed
	}{
		{fault.CrashBeforeReceiptHandOff, 0},
		{fault.CrashAfterReceiptHandOff, 1},
	} {
		t.Run(tc.point, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, "-test.run=^TestReceiptKilled$", "-test.v")
			cmd.Env = append(os.Environ(), receiptKillEnv+"="+dir, fault.CrashEnv+"="+tc.point)
			out, _ := cmd.CombinedOutput()
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed: %v\n%s", cmd.ProcessState, out)
			}
			var id string
			for _, line := range strings.Split(string(out), "\n") {
				if v, ok := strings.CutPrefix(line, "submitted "); ok {
					id = v
				}
			}
			if id == "" {
				t.Fatalf("the child submitted nothing:\n%s", out)
			}

			// As the kill left it: delivered, the hand-off pending, the
			// journal with or without the receipt.
			db, err := store.Open(context.Background(), filepath.Join(dir, "AP_FR_01.db"))
			if err != nil {
				t.Fatal(err)
			}
			o, err := db.Outbound(context.Background(), id)
			if err != nil || o.State != apstore.OutDelivered {
				t.Fatalf("after the kill: %+v, %v", o, err)
			}
			if r, err := db.ReceiptReport(context.Background(), id); err != nil || r.Delivery != apstore.DeliveryPending {
				t.Fatalf("after the kill, the hand-off: %+v, %v", r, err)
			}
			if got := receiptEntries(t, db, id); len(got) != tc.journaledYet {
				t.Fatalf("after the kill, %d receipt entries in the journal, want %d", len(got), tc.journaledYet)
			}
			db.Close()

			// Started again: the hand-off's lease (2 s) expires and the
			// node hands the receipt over.
			rec := &receiptRecorder{}
			nodes := newNet(t, netOptions{dsn: func(_ testing.TB, name string) string { return filepath.Join(dir, name+".db") },
				edit: func(name string, c *ap.Config) {
					if name == "AP_FR_01" {
						rec.journal = openJournal(t, c.Store.(*store.DB))
						c.Backend, c.Lease = rec, 2*time.Second
					}
				}})
			fr := nodes["AP_FR_01"]
			rec.waitCalls(1, 20*time.Second)
			waitHandOff(t, fr.db, id, 10*time.Second)
			time.Sleep(500 * time.Millisecond)
			if calls := rec.snapshot(); len(calls) != 1 || calls[0].MessageID != id {
				t.Fatalf("after the restart, Receipted: %+v", calls)
			}
			entries := receiptEntries(t, fr.db, id)
			if len(entries) != 1 || entries[0].Receipt != rec.snapshot()[0].ReceiptID || entries[0].NRR == "" {
				t.Fatalf("after the restart, the journal's receipt entries: %+v", entries)
			}
			if _, err := rec.journal.Verify(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

// receiptKillChild is the killed process of TestReceiptKilled: two nodes
// whose databases are in dir; FR's backend journals receipts. It submits
// a message, prints its id, and waits for the crash point to kill it.
func receiptKillChild(t *testing.T, dir string) {
	rec := &receiptRecorder{}
	nodes := newNet(t, netOptions{dsn: func(_ testing.TB, name string) string { return filepath.Join(dir, name+".db") },
		edit: func(name string, c *ap.Config) {
			if name == "AP_FR_01" {
				rec.journal = openJournal(t, c.Store.(*store.DB))
				c.Backend, c.Lease = rec, 2*time.Second
			}
		}})
	st, _, err := nodes["AP_FR_01"].Submit(context.Background(), submission("", "killed"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("submitted %s\n", st.MessageID)
	time.Sleep(20 * time.Second)
	t.Fatal("still alive: no crash point killed the process")
}

// openJournal opens the audit journal in db, with a fixed key.
func openJournal(t *testing.T, db *store.DB) *journal.Journal {
	j, err := journal.Open(context.Background(), db, journal.Config{Key: make([]byte, 32), Node: "AP_FR_01"})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// receiptEntries returns the receipt entries of the journal in db for the
// message id.
func receiptEntries(t *testing.T, db *store.DB, id string) []*journal.Entry {
	t.Helper()
	all, err := openJournal(t, db).List(context.Background(), journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*journal.Entry
	for _, e := range all {
		if e.Event == journal.EventReceipt && e.MessageID == id {
			out = append(out, e)
		}
	}
	return out
}

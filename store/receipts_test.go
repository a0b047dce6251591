package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/store"
)

// testReceiptReports: a delivery recorded with a pending report records
// the receipt's hand-off in the same step, leased by the node that
// recorded it or due at once; a delivery without, a retry and a failure
// record none; only due hand-offs whose lease expired are claimed.
func testReceiptReports(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	at := t0.Add(time.Second)
	receipt := []byte("<receipt/>")
	failMessage(t, db, "leased", "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: at,
		Report: apstore.DeliveryPending, ReportUntil: at.Add(time.Minute)})
	failMessage(t, db, "due", "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: at.Add(time.Second),
		Report: apstore.DeliveryPending})
	failMessage(t, db, "plain", "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: at})
	failMessage(t, db, "none", "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: at, Report: apstore.DeliveryNone})
	failMessage(t, db, "retry", "", "n1", apstore.Result{State: apstore.OutQueued, NextAt: t0.Add(time.Hour), Timestamp: at})
	failMessage(t, db, "failed", "", "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0010", Timestamp: at})

	r, err := db.ReceiptReport(ctx, "leased")
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivery != apstore.DeliveryPending || r.Attempts != 1 || !r.NextAt.Equal(at) || r.Message.ID != "leased" ||
		r.Message.State != apstore.OutDelivered || string(r.Message.Receipt) != string(receipt) || string(r.Message.Body) != "x" {
		t.Errorf("leased = %+v, message %+v", r, r.Message)
	}
	if r, _ := db.ReceiptReport(ctx, "due"); r == nil || r.Attempts != 0 {
		t.Errorf("due = %+v", r)
	}
	for _, id := range []string{"plain", "none", "retry", "failed", "nope"} {
		if _, err := db.ReceiptReport(ctx, id); !errors.Is(err, apstore.ErrNotFound) {
			t.Errorf("ReceiptReport(%s) = %v, want ErrNotFound", id, err)
		}
	}
	// The message is recorded as delivered as without a hand-off.
	if o, err := db.Outbound(ctx, "leased"); err != nil || o.State != apstore.OutDelivered || string(o.Receipt) != string(receipt) || o.Attempts != 1 {
		t.Errorf("leased = %+v, %v", o, err)
	}
	// An unknown report state is refused, and nothing is recorded.
	db.Enqueue(ctx, &apstore.Outbound{ID: "bad", Leg: "req", Partner: "DE", Created: t0})
	db.ClaimOutbound(ctx, "n1", at, time.Minute, 1)
	if err := db.FinishOutbound(ctx, "bad", "n1", apstore.Result{State: apstore.OutDelivered, Report: "bogus", Timestamp: at}); err == nil {
		t.Error("unknown report state accepted")
	}
	// A delivery recorded by a node that lost its lease records no hand-off.
	if err := db.FinishOutbound(ctx, "bad", "other", apstore.Result{State: apstore.OutDelivered, Report: apstore.DeliveryPending, Timestamp: at}); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish without the lease = %v", err)
	}
	if o, _ := db.Outbound(ctx, "bad"); o.State != apstore.OutQueued {
		t.Errorf("bad = %+v", o)
	}
	if _, err := db.ReceiptReport(ctx, "bad"); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("hand-off recorded without the lease: %v", err)
	}

	// Only the unleased one is claimed now; the leased one once its lease
	// expired (its node stopped before handing it over).
	got, err := db.ClaimReceiptReports(ctx, "n2", at.Add(10*time.Second), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Message.ID != "due" || got[0].Attempts != 1 {
		t.Fatalf("ClaimReceiptReports = %v, %v", receiptIDs(got), err)
	}
	got, err = db.ClaimReceiptReports(ctx, "n2", at.Add(65*time.Second), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Message.ID != "leased" || got[0].Attempts != 2 || string(got[0].Message.Receipt) != string(receipt) {
		t.Fatalf("after the lease: ClaimReceiptReports = %v, %v", receiptIDs(got), err)
	}
	// On SQLite the claim reads the partial index of pending hand-offs,
	// not the table.
	if db.Dialect() == store.SQLite {
		rows, err := db.SQL().Query(`EXPLAIN QUERY PLAN SELECT id FROM ap_outbound WHERE receipt_delivery = 'pending' AND next_at <= 1 AND lease_until <= 1
			ORDER BY next_at, id LIMIT 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		if p := strings.Join(plan, "; "); !strings.Contains(p, "INDEX ap_outbound_receipts_due") {
			t.Errorf("the claim's plan: %s", p)
		}
	}
}

// testReceiptReportLeases: hand-offs are recorded in batches by their
// lease owner, retried with the recorded error, taken over when a lease
// expires, and never claimed once handed over.
func testReceiptReportLeases(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	var all []string
	for i := range 150 {
		id := fmt.Sprintf("r%03d", i)
		all = append(all, id)
		failMessage(t, db, id, "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("<r/>"), Timestamp: t0,
			Report: apstore.DeliveryPending, ReportUntil: t0.Add(time.Minute)})
	}
	// The owner records 149 of them handed over in one call (two
	// statements), one failed.
	if err := db.FinishReceiptReports(ctx, "n1", all[:149], true, time.Time{}, "", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishReceiptReports(ctx, "n1", all[149:], false, t0.Add(time.Hour), "journal busy", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r000", "r099", "r100", "r148"} {
		if r, _ := db.ReceiptReport(ctx, id); r == nil || r.Delivery != apstore.DeliveryDelivered {
			t.Errorf("%s = %+v", id, r)
		}
	}
	r, _ := db.ReceiptReport(ctx, "r149")
	if r == nil || r.Delivery != apstore.DeliveryPending || r.LastError != "journal busy" || !r.NextAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("r149 = %+v", r)
	}
	// Recording again, or by another node, is a lost lease.
	if err := db.FinishReceiptReports(ctx, "n1", all[:2], true, time.Time{}, "", t0.Add(2*time.Second)); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("recorded twice: %v", err)
	}
	if got, _ := db.ClaimReceiptReports(ctx, "n2", t0.Add(30*time.Minute), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed before due: %v", receiptIDs(got))
	}
	later := t0.Add(2 * time.Hour)
	got, err := db.ClaimReceiptReports(ctx, "n2", later, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Message.ID != "r149" || got[0].Attempts != 2 || got[0].LastError != "journal busy" {
		t.Fatalf("ClaimReceiptReports = %v, %v", receiptIDs(got), err)
	}
	if again, _ := db.ClaimReceiptReports(ctx, "n3", later, time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed twice: %v", receiptIDs(again))
	}
	// The first claimer's lease expired: n3 takes over, n2 can no longer
	// record it.
	got, _ = db.ClaimReceiptReports(ctx, "n3", later.Add(2*time.Minute), time.Minute, 10)
	if len(got) != 1 {
		t.Fatalf("after the lease: %v", receiptIDs(got))
	}
	if err := db.FinishReceiptReports(ctx, "n3", nil, true, time.Time{}, "", later); err != nil {
		t.Errorf("no ids: %v", err)
	}
	if err := db.FinishReceiptReports(ctx, "n2", []string{"r149"}, true, time.Time{}, "", later.Add(2*time.Minute)); !errors.Is(err, apstore.ErrLeaseLost) {
		t.Errorf("finish by the old owner = %v", err)
	}
	if err := db.FinishReceiptReports(ctx, "n3", []string{"r149"}, true, time.Time{}, "", later.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if rest, _ := db.ClaimReceiptReports(ctx, "n4", later.Add(time.Hour), time.Minute, 10); len(rest) != 0 {
		t.Errorf("claimed once handed over: %v", receiptIDs(rest))
	}
}

// testReceiptReportPurge: the purge keeps the submission of a message
// whose receipt is still to be handed over (the hand-off names its
// conversation), and purges it once handed over.
func testReceiptReportPurge(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	failMessage(t, db, "pending", "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("<r/>"), Timestamp: t0,
		Report: apstore.DeliveryPending, ReportUntil: t0.Add(time.Minute)})
	failMessage(t, db, "plain", "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("<r/>"), Timestamp: t0})
	if n, err := db.Purge(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if o, _ := db.Outbound(ctx, "pending"); string(o.Body) != "x" {
		t.Errorf("the pending hand-off's message lost its body")
	}
	if o, _ := db.Outbound(ctx, "plain"); o.Body != nil {
		t.Errorf("plain kept its body")
	}
	if err := db.FinishReceiptReports(ctx, "n1", []string{"pending"}, true, time.Time{}, "", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Purge(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Purge after the hand-off = %d, %v; want 1", n, err)
	}
	if r, err := db.ReceiptReport(ctx, "pending"); err != nil || r.Delivery != apstore.DeliveryDelivered || r.Message.Body != nil || len(r.Message.Receipt) == 0 {
		t.Errorf("after the purge: %+v, %v", r, err)
	}
}

// testReceiptReportAges: QueueAges counts the receipt hand-offs still
// pending and gives when the oldest was queued (its message's delivery),
// leased or due, failed before or not; one handed over, a delivery without
// a hand-off and the other queues count for nothing. The query reads the
// partial index of pending hand-offs.
func testReceiptReportAges(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	ages, err := db.QueueAges(ctx)
	if err != nil || !ages.ReceiptReports.IsZero() || ages.PendingReceiptReports != 0 {
		t.Fatalf("empty store: %+v, %v", ages, err)
	}
	delivered := func(id string, at time.Time, report string, until time.Time) {
		failMessage(t, db, id, "", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("<r/>"), Timestamp: at,
			Report: report, ReportUntil: until})
	}
	delivered("plain", t0.Add(time.Second), "", time.Time{})
	delivered("none", t0.Add(2*time.Second), apstore.DeliveryNone, time.Time{})
	delivered("handed", t0.Add(3*time.Second), apstore.DeliveryPending, t0.Add(time.Hour))
	delivered("oldest", t0.Add(4*time.Second), apstore.DeliveryPending, t0.Add(time.Hour))
	delivered("due", t0.Add(5*time.Second), apstore.DeliveryPending, time.Time{})
	failMessage(t, db, "failed", "", "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0010", Timestamp: t0.Add(6 * time.Second)})
	if err := db.FinishReceiptReports(ctx, "n1", []string{"handed"}, true, time.Time{}, "", t0.Add(7*time.Second)); err != nil {
		t.Fatal(err)
	}
	// A failed hand-off stays pending, from its delivery on, whenever it is
	// due again.
	if err := db.FinishReceiptReports(ctx, "n1", []string{"oldest"}, false, t0.Add(time.Hour), "journal busy", t0.Add(8*time.Second)); err != nil {
		t.Fatal(err)
	}
	ages, err = db.QueueAges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ages.ReceiptReports.Equal(t0.Add(4*time.Second)) || ages.PendingReceiptReports != 2 {
		t.Errorf("receipt hand-offs: oldest %v, %d pending; want %v, 2", ages.ReceiptReports, ages.PendingReceiptReports, t0.Add(4*time.Second))
	}
	// A claim leaves the oldest where it was.
	if got, err := db.ClaimReceiptReports(ctx, "n2", t0.Add(2*time.Hour), time.Minute, 10); err != nil || len(got) != 2 {
		t.Fatalf("ClaimReceiptReports = %v, %v", receiptIDs(got), err)
	}
	if ages, _ = db.QueueAges(ctx); !ages.ReceiptReports.Equal(t0.Add(4*time.Second)) || ages.PendingReceiptReports != 2 {
		t.Errorf("after a claim: oldest %v, %d pending", ages.ReceiptReports, ages.PendingReceiptReports)
	}
	if err := db.FinishReceiptReports(ctx, "n2", []string{"oldest"}, true, time.Time{}, "", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ages, _ = db.QueueAges(ctx); !ages.ReceiptReports.Equal(t0.Add(5*time.Second)) || ages.PendingReceiptReports != 1 {
		t.Errorf("the oldest handed over: oldest %v, %d pending; want %v, 1", ages.ReceiptReports, ages.PendingReceiptReports, t0.Add(5*time.Second))
	}
	if err := db.FinishReceiptReports(ctx, "n2", []string{"due"}, true, time.Time{}, "", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ages, _ = db.QueueAges(ctx); !ages.ReceiptReports.IsZero() || ages.PendingReceiptReports != 0 {
		t.Errorf("all handed over: oldest %v, %d pending", ages.ReceiptReports, ages.PendingReceiptReports)
	}

	// The query reads the partial index: SQLite names it in the plan;
	// PostgreSQL, whose planner reads so small a table whole, uses it once
	// told not to.
	const q = "SELECT COUNT(*), COALESCE(MIN(updated_at), 0) FROM ap_outbound WHERE receipt_delivery = 'pending'"
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if db.Dialect() != store.SQLite {
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
		explain = "EXPLAIN "
	}
	rows, err := conn.QueryContext(ctx, explain+q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		cells := make([]any, len(cols))
		for i := range cells {
			cells[i] = new(any)
		}
		if err := rows.Scan(cells...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(*cells[len(cells)-1].(*any)))
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "ap_outbound_receipts_due") {
		t.Errorf("the plan of the hand-offs' age: %s", p)
	}
}

func receiptIDs(rs []*apstore.ReceiptReport) []string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Message.ID)
	}
	return s
}

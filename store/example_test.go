package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/store"
)

// A message is queued once per client key, claimed with a lease, and
// finished by the worker that holds the lease.
func Example() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "oots.db")) // or a postgres:// URL
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := &apstore.Outbound{ID: "1@oots", ClientKey: "order-42", Leg: "ootsRequestLeg", Partner: "AP_DE_01", Created: now}
	_, created, _ := db.Enqueue(ctx, m)
	again, created2, _ := db.Enqueue(ctx, &apstore.Outbound{ID: "2@oots", ClientKey: "order-42", Leg: "ootsRequestLeg", Created: now})
	fmt.Println(created, created2, again.ID)

	claimed, _ := db.ClaimOutbound(ctx, "node-a", now, 30*time.Second, 10)
	fmt.Println(len(claimed), claimed[0].Attempts)
	err = db.FinishOutbound(ctx, "1@oots", "node-a", apstore.Result{State: apstore.OutDelivered, Timestamp: now})
	m2, _ := db.Outbound(ctx, "1@oots")
	fmt.Println(err, m2.State)
	// Output:
	// true false 1@oots
	// 1 1
	// <nil> delivered
}

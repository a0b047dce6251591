package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

// TestInterruptedAttempt: an attempt whose worker stopped before its
// outcome was recorded is on the message's page as interrupted, in its
// place before the attempt that delivered the message.
func TestInterruptedAttempt(t *testing.T) {
	ctx := context.Background()
	net := network(t, nil)
	fr := net["AP_FR_01"]
	_, base := consoleFor(t, fr)
	t0 := time.Now().Add(24 * time.Hour) // after anything the node itself queues
	if _, _, err := fr.db.Enqueue(ctx, &apstore.Outbound{ID: "cut@oots", Leg: "ootsRequestLeg", Partner: "AP_DE_01", Body: []byte("{}"), Created: t0, NextAt: t0}); err != nil {
		t.Fatal(err)
	}
	for i, owner := range []string{"stopped-worker", "next-worker"} {
		now := t0.Add(time.Duration(i) * time.Hour)
		if got, err := fr.db.ClaimOutbound(ctx, owner, now, time.Minute, 10); err != nil || len(got) != 1 {
			t.Fatalf("claim %d: %d, %v", i+1, len(got), err)
		}
	}
	if err := fr.db.FinishOutbound(ctx, "cut@oots", "next-worker", apstore.Result{State: apstore.OutDelivered, Timestamp: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	page := readPage(t, loginHTTP(t, base, "olga"), base+"/console/messages/out/cut@oots")
	i, j := strings.Index(page, "interrupted"), strings.Index(page, "<td>delivered</td>")
	if i < 0 || j < i || !strings.Contains(page, "no outcome recorded") {
		t.Errorf("the page lacks the interrupted attempt before the delivery:\n%s", page)
	}
}

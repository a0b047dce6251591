package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/store"
)

func testSearchAndRequeue(t *testing.T, dsn string) {
	ctx := context.Background()
	db := open(t, dsn)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, m := range []struct{ id, partner string }{{"a@x", "AP_DE_01"}, {"b@x", "AP_FI_01"}, {"c@x", "AP_DE_01"}} {
		if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: m.id, Leg: "ootsRequestLeg", Partner: m.partner, Body: []byte(`{"conversationId":"conv-` + m.partner + `"}`),
			NextAt: t0, Created: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// a@x fails for good.
	got, _ := db.ClaimOutbound(ctx, "n1", t0, time.Minute, 1)
	if len(got) != 1 || got[0].ID != "a@x" {
		t.Fatalf("claimed %v", got)
	}
	if err := db.FinishOutbound(ctx, "a@x", "n1", apstore.Result{State: apstore.OutFailed, Error: "EBMS:0301 no receipt", Timestamp: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    store.Search
		want []string
	}{
		{store.Search{}, []string{"c@x", "b@x", "a@x"}},
		{store.Search{Partner: "AP_DE_01"}, []string{"c@x", "a@x"}},
		{store.Search{Partner: "AP_DE_01", State: apstore.OutFailed}, []string{"a@x"}},
		{store.Search{From: t0.Add(30 * time.Minute), To: t0.Add(90 * time.Minute)}, []string{"b@x"}},
		{store.Search{ID: "c@x"}, []string{"c@x"}},
		{store.Search{Leg: "other"}, nil},
		{store.Search{Limit: 1}, []string{"c@x"}},
		{store.Search{Conversation: "conv-AP_FI_01"}, []string{"b@x"}},
		{store.Search{Conversation: "conv-AP_DE_01", State: apstore.OutFailed}, []string{"a@x"}},
		{store.Search{Conversation: "nope"}, nil},
	} {
		list, err := db.SearchOutbound(ctx, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range list {
			ids = append(ids, m.ID)
		}
		if len(ids) != len(tc.want) || (len(ids) > 0 && ids[0] != tc.want[0]) || (len(ids) > 1 && ids[len(ids)-1] != tc.want[len(tc.want)-1]) {
			t.Errorf("%+v: %v, want %v", tc.s, ids, tc.want)
		}
	}
	list, _ := db.SearchOutbound(ctx, store.Search{State: apstore.OutFailed})
	if len(list) != 1 || list[0].LastError != "EBMS:0301 no receipt" || list[0].Attempts != 1 {
		t.Errorf("failed: %+v", list)
	}
	// Only a failed message is resent, only a queued one retried now.
	if err := db.RetryNow(ctx, "a@x", t0); !errors.Is(err, apstore.ErrWrongState) {
		t.Errorf("RetryNow of a failed message: %v", err)
	}
	if err := db.Resend(ctx, "b@x", t0); !errors.Is(err, apstore.ErrWrongState) {
		t.Errorf("Resend of a queued message: %v", err)
	}
	if err := db.Resend(ctx, "nope", t0); !errors.Is(err, apstore.ErrNotFound) {
		t.Errorf("Resend of no message: %v", err)
	}
	t1 := t0.Add(time.Hour)
	if err := db.Resend(ctx, "a@x", t1); err != nil {
		t.Fatal(err)
	}
	o, _ := db.Outbound(ctx, "a@x")
	if o.State != apstore.OutQueued || o.Attempts != 0 || !o.NextAt.Equal(t1) {
		t.Errorf("resent: %+v", o)
	}
	// A message claimed by a worker is not moved under its feet.
	db.ClaimOutbound(ctx, "n1", t1, time.Minute, 3)
	if err := db.RetryNow(ctx, "b@x", t1); !errors.Is(err, apstore.ErrWrongState) {
		t.Errorf("RetryNow of a leased message: %v", err)
	}
	if err := db.RetryNow(ctx, "b@x", t1.Add(2*time.Minute)); err != nil {
		t.Errorf("RetryNow after the lease: %v", err)
	}
	if _, err := db.Receive(ctx, &apstore.Inbound{MessageID: "in@x", Partner: "AP_DE_01", Leg: "ootsResponseLeg",
		Header: []byte(`{"messageId":"in@x","conversationId":"conv-in"}`), Body: []byte("[]"), Received: t1, Delivery: apstore.DeliveryNone}); err != nil {
		t.Fatal(err)
	}
	if in, err := db.SearchInbound(ctx, store.Search{Conversation: "conv-in"}); err != nil || len(in) != 1 || in[0].MessageID != "in@x" {
		t.Errorf("inbound by conversation: %v %v", in, err)
	}
	in, err := db.SearchInbound(ctx, store.Search{Partner: "AP_FI_01"})
	if err != nil || len(in) != 0 {
		t.Errorf("inbound: %v %v", in, err)
	}
}

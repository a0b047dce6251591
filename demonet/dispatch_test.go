package demonet

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

type countingBackend struct{ n int }

func (b *countingBackend) Deliver(context.Context, *ap.ReceivedMessage) error {
	b.n++
	return errors.New("not for this backend")
}

// TestDispatch: evidence requests go to the provider, answers to the
// requester, and ebMS test messages to neither (accepted and dropped).
func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		name            string
		service, action string
		provider, req   int
		err             bool
	}{
		{"test message", as4.TestService, as4.TestAction, 0, 0, false},
		{"request", as4.OOTSQueryManager, exchange.ActionRequest, 1, 0, true},
		{"response", as4.OOTSQueryManager, exchange.ActionResponse, 0, 1, true},
		{"error", as4.OOTSQueryManager, exchange.ActionError, 0, 1, true},
		{"test action on another service", as4.OOTSQueryManager, as4.TestAction, 0, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r := &countingBackend{}, &countingBackend{}
			d := &dispatch{provider: p, requester: r}
			m := &ap.ReceivedMessage{}
			m.Service.Value, m.Action = tc.service, tc.action
			err := d.Deliver(context.Background(), m)
			if p.n != tc.provider || r.n != tc.req || (err != nil) != tc.err {
				t.Errorf("provider %d, requester %d, error %v; want %d, %d, error %v", p.n, r.n, err, tc.provider, tc.req, tc.err)
			}
		})
	}
}

// TestDispatchReceiptedOnce: a receipt the access point hands over again
// (at least once per receipt, also after a restart) is journaled once;
// another receipt is journaled.
func TestDispatchReceiptedOnce(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j, err := journal.Open(ctx, db, journal.Config{Key: make([]byte, 32), Node: "AP_DE_01"})
	if err != nil {
		t.Fatal(err)
	}
	d := &dispatch{journal: j}
	r := &ap.Receipt{MessageID: "m1@oots.DE", ConversationID: "c1", Partner: "AP_FR_01", ReceiptID: "r1@oots.FR",
		NRR: []ap.Digest{{URI: "#body", Method: "http://www.w3.org/2001/04/xmlenc#sha256", Value: []byte{1, 2, 3}}}}
	for range 3 {
		if err := d.Receipted(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	other := *r
	other.MessageID, other.ReceiptID = "m2@oots.DE", "r2@oots.FR"
	if err := d.Receipted(ctx, &other); err != nil {
		t.Fatal(err)
	}
	entries, err := j.List(ctx, journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].MessageID != r.MessageID || entries[0].Receipt != r.ReceiptID || entries[0].Event != journal.EventReceipt ||
		entries[1].Receipt != other.ReceiptID {
		t.Errorf("journal: %+v", entries)
	}
}

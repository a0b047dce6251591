package demonet

import (
	"context"
	"errors"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/exchange"
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

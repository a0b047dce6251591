package lcm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/lcm"
)

// recordingSender is a test double of the access point: it records the
// submissions instead of sending them (the exchange over a real access
// point is TestProjectathonExchange).
type recordingSender struct{ subs []*ap.Submission }

func (r *recordingSender) Submit(_ context.Context, s *ap.Submission) (*ap.Status, bool, error) {
	r.subs = append(r.subs, s)
	return &ap.Status{MessageID: "m"}, true, nil
}

func (r *recordingSender) Status(context.Context, string) (*ap.Status, error) {
	return nil, errors.New("not sent")
}

// TestServerRefuses: a party the server does not know, and a payload that
// is not an LCM request, are answered on the error leg with LCM:ERR:0001
// and change nothing; a message of another service is not answered.
func TestServerRefuses(t *testing.T) {
	reg, err := csregistry.Open(context.Background(), csregistry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingSender{}
	srv, err := lcm.NewServer(lcm.ServerConfig{Registry: reg, AP: rec, Parties: map[string]string{"oots-de": "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := func(from, action string, body []byte) *ap.ReceivedMessage {
		return &ap.ReceivedMessage{Header: ap.Header{MessageID: "in-" + from, From: from, Service: as4.Service{Value: lcm.Service, Type: lcm.ServiceType}, Action: action,
			Properties: []ap.Property{{Name: "originalSender", Value: from}, {Name: "finalRecipient", Value: "cs"}}},
			Payloads: []ap.Payload{{MimeType: lcm.MimeType, Data: body, Size: int64(len(body))}}}
	}
	for _, c := range []struct {
		name string
		m    *ap.ReceivedMessage
	}{
		{"unknown party", msg("oots-xx", lcm.ActionSubmit, sample(t, sampleEB))},
		{"not XML", msg("oots-de", lcm.ActionSubmit, []byte("<lcm:SubmitObjectsRequest"))},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec.subs = nil
			if err := srv.Deliver(context.Background(), c.m); err != nil {
				t.Fatal(err)
			}
			if len(rec.subs) != 1 {
				t.Fatalf("%d answers", len(rec.subs))
			}
			a := rec.subs[0]
			if a.Leg != lcm.DefaultLegs().Error || a.To != c.m.From || a.RefToMessageID != c.m.MessageID {
				t.Errorf("answer on %s to %s about %s", a.Leg, a.To, a.RefToMessageID)
			}
			if a.Properties[0].Name != "finalRecipient" || a.Properties[0].Value != c.m.From {
				t.Errorf("properties %+v: originalSender and finalRecipient not swapped", a.Properties)
			}
			m, _, err := edm.ParseBytes(a.Payloads[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			rr := m.(*edm.RegistryResponse)
			if len(rr.Exceptions) == 0 || rr.Exceptions[0].Code != "LCM:ERR:0001" {
				t.Errorf("answer %+v, want LCM:ERR:0001", rr.Exceptions)
			}
			if n := reg.Snapshot().Objects(csregistry.EvidenceBroker); n != 0 {
				t.Errorf("%d objects registered", n)
			}
		})
	}
	rec.subs = nil
	if err := srv.Deliver(context.Background(), msg("oots-de", "ExecuteQueryRequest", nil)); !errors.Is(err, lcm.ErrNotLCM) || len(rec.subs) != 0 {
		t.Errorf("another action: %v, %d answers", err, len(rec.subs))
	}
}

package demonet_test

import (
	"context"
	"testing"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/regrep"
)

// TestPublishOverAS4: at start every Member State publishes its Evidence
// Broker and DSD data to the Common Services over AS4 (LCM legs, signed
// receipts); a second submission that removes an evidence type
// classification in use by the DSD is refused with LCM:ERR:0003, and one
// by another Member State's access point for objects it does not own with
// LCM:ERR:0001.
func TestPublishOverAS4(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a demo network")
	}
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, StandardNodes: []string{}})
	ctx := context.Background()
	for _, nd := range n.Nodes {
		if len(nd.Published) != 2 {
			t.Fatalf("%s published %d submissions, want 2 (EB, DSD)", nd.Country, len(nd.Published))
		}
		for _, r := range nd.Published {
			if r.Refused() != nil || r.Leg != lcm.DefaultLegs().Response || !r.Delivered {
				t.Errorf("%s: answer on %s, delivered %v, refused %+v", nd.Country, r.Leg, r.Delivered, r.Refused())
			}
			o, err := nd.DB.Outbound(ctx, r.MessageID)
			if err != nil || o.State != apstore.OutDelivered || len(o.Receipt) == 0 {
				t.Errorf("%s: request %s: state %v, receipt %d bytes, %v", nd.Country, r.MessageID, o.State, len(o.Receipt), err)
			}
		}
	}
	subs, err := demo.Submissions(ctx, n.SREnvironment())
	if err != nil {
		t.Fatal(err)
	}
	refused := func(from string, body []byte, code string) {
		t.Helper()
		res, err := n.Node(from).PublishLCM(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		if e := res.Refused(); e == nil || string(e.Code) != code || res.Leg != lcm.DefaultLegs().Error {
			t.Errorf("from %s: answer on %s, exception %+v, want %s", from, res.Leg, e, code)
		}
	}
	// FR submits Germany's DSD data.
	b, err := subs["DE"][1].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	refused("FR", b, "LCM:ERR:0001")
	// DE publishes a new version of an evidence type with another
	// classification: the one the DSD uses would go.
	m, _, err := edm.ParseBytes(must(subs["DE"][0].Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	sub := m.(*edm.SubmitObjectsRequest)
	sub.ID = "urn:uuid:0b4a0a35-2a8e-4d2c-9a43-00000000000c"
	for _, o := range sub.Objects {
		if p, ok := o.Payload.(*edm.EvidenceType); ok {
			o.VersionInfo = &regrep.VersionInfo{VersionName: "2"}
			p.EvidenceTypeClassification = edm.SRID{V1: true, Kind: edm.SREvidenceTypeClassifications, Country: "DE", UUID: "0b4a0a35-2a8e-4d2c-9a43-000000000001"}.String()
			break
		}
	}
	refused("DE", must(sub.Marshal()), "LCM:ERR:0003")
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

package demonet_test

import (
	"context"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/requester"
)

// TestRestart: a network stopped and started again on the same directory
// keeps its keys and its data: a journey completed before the restart is
// still there, with its evidence, and a new one completes.
func TestRestart(t *testing.T) {
	testenv.SkipShort(t, "two demo network starts (seconds)")
	ctx := context.Background()
	dir := t.TempDir()
	cfg := demonet.Config{Dir: dir, Countries: []string{"DE", "FR"}, WithoutPreview: true}
	who := demo.Users("FR")[0]
	p := who.Identified("DE")
	subject := eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: "FR", Country: "FR", AuthTime: time.Now()}

	journey := func(n *demonet.Network) *requester.Journey {
		de := n.Node("DE")
		j, err := de.Requester.Start(ctx, requester.StartRequest{Procedure: "R1", Country: "FR", Subject: subject, ReturnURL: de.PortalURL + "/return"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := de.Requester.Request(ctx, j.ID, j.Requirements[0].ID, requester.ExplicitRequest{Given: true}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if j, err = de.Requester.Get(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			if j.State != requester.JourneyOpen || time.Now().After(deadline) {
				break
			}
		}
		if j.State != requester.JourneyComplete {
			t.Fatalf("journey %s: %+v", j.State, j.Requirements[0].Exchange)
		}
		return j
	}

	n1, err := demonet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := journey(n1)
	caFile := n1.TLSCA.Raw
	if err := n1.Close(); err != nil {
		t.Fatal(err)
	}

	n2 := startNet(t, cfg)
	if string(n2.TLSCA.Raw) != string(caFile) {
		t.Error("the restarted network made new keys")
	}
	j, err := n2.Node("DE").Requester.Get(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	ev := j.Requirements[0].Exchange.Evidence
	if j.State != requester.JourneyComplete || len(ev) == 0 {
		t.Fatalf("after the restart the journey is %s with %d evidence", j.State, len(ev))
	}
	f, err := n2.Node("DE").Requester.Evidence(ctx, j.ID, ev[0].ID)
	if err != nil || len(f.Data) == 0 {
		t.Fatalf("evidence file after the restart: %v", err)
	}
	journey(n2)
	if _, err := n2.Node("DE").Journal.Verify(ctx); err != nil {
		t.Errorf("journal after the restart: %v", err)
	}
}

package demonet_test

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/requester"
)

// TestAcceptanceEnvironment: a network whose Common Services publish the
// identifiers of the acceptance environment of the Semantic Repository
// (Config.SREnvironment "acc": sr.acc.oots.tech.ec.europa.eu, Finland's
// certificate of birth under the test segment oots) runs whole journeys —
// explicit request, preview, approval, evidence — with Finland (the oots
// segment) and France (a country segment); every message exchanged is EDM
// 2.0, carries those identifiers and passes the rules of its version.
func TestAcceptanceEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("demo network")
	}
	if err := (&demonet.Config{Dir: "x", Countries: demo.Countries(), SREnvironment: "a.b"}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "SREnvironment") {
		t.Errorf("environment a.b: %v", err)
	}
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR", "FI"}, SREnvironment: "acc"})
	if n.SREnvironment() != "acc" {
		t.Fatalf("SREnvironment() = %q", n.SREnvironment())
	}
	ctx := context.Background()
	de := n.Node("DE")
	roots := x509.NewCertPool()
	roots.AddCert(n.TLSCA)
	previewer := &conformance.DemoPreviewUser{Roots: roots}
	segments := map[string]bool{}
	for _, cc := range []string{"FI", "FR"} {
		who := demo.Users(cc)[0]
		p := who.Identified("DE")
		subject := eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: n.Node(cc).IdPURL, Country: cc, AuthTime: time.Now()}
		j, err := de.Requester.Start(ctx, requester.StartRequest{Procedure: "R1", Country: cc, Subject: subject, ReturnURL: de.PortalURL + "/"})
		if err != nil {
			t.Fatal(err)
		}
		r := j.Requirements[0]
		id, err := edm.ParseSRID(r.ChosenEvidenceType)
		if err != nil || id.Env != "acc" {
			t.Fatalf("%s: evidence type %q: %v", cc, r.ChosenEvidenceType, err)
		}
		segments[id.Country] = true
		if _, err := de.Requester.Request(ctx, j.ID, r.ID, requester.ExplicitRequest{Given: true}); err != nil {
			t.Fatal(err)
		}
		j = wait(t, de, j.ID, time.Minute, func(r *requester.Requirement) bool {
			return r.Step == requester.StepPreview || r.Step == requester.StepFailed || r.Step == requester.StepDone
		})
		ex := j.Requirements[0].Exchange
		if j.Requirements[0].Step != requester.StepPreview || ex == nil || ex.PreviewURL == "" {
			t.Fatalf("%s: step %s, exchange %+v; want the preview", cc, j.Requirements[0].Step, ex)
		}
		if ex.Version != string(edm.V2_0) {
			t.Errorf("%s: exchange in %s, want %s", cc, ex.Version, edm.V2_0)
		}
		if err := previewer.Decide(ctx, ex.PreviewURL, p.Identifier, conformance.Approve); err != nil {
			t.Fatalf("%s: preview: %v", cc, err)
		}
		j = wait(t, de, j.ID, time.Minute, func(r *requester.Requirement) bool {
			return r.Step == requester.StepDone || r.Step == requester.StepFailed
		})
		if r := j.Requirements[0]; r.Step != requester.StepDone || r.Exchange == nil || len(r.Exchange.Evidence) == 0 {
			t.Fatalf("%s: journey ended at step %s: %+v", cc, r.Step, r.Exchange)
		}
	}
	if !segments[edm.SRTestSegment] || !segments["FR"] {
		t.Errorf("classification segments %v, want %s and FR", segments, edm.SRTestSegment)
	}

	kinds := checkExchanged(t, n)
	t.Logf("messages checked: %v", kinds)
	for k := range kinds {
		// The LCM answers of the nodes' publication at start are Common
		// Services messages (oots-cs:v1), not EDM.
		if !strings.HasSuffix(k, string(edm.V2_0)) && !strings.HasPrefix(k, "LCM-") {
			t.Errorf("a %s message in the acceptance environment", k)
		}
	}
	for _, k := range []string{"EDM-REQ oots-edm:v2.0", "EDM-RESP oots-edm:v2.0", "EDM-ERR oots-edm:v2.0"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the exchanged messages", k)
		}
	}
	for id, doc := range exchanged(t, n) {
		if strings.Contains(string(doc), "https://sr.oots.tech") {
			t.Errorf("%s names a production identifier", id)
		}
		if strings.Contains(string(doc), "<sdg:Requirement>") && !strings.Contains(string(doc), "https://sr.acc.oots.tech.ec.europa.eu/requirements/") {
			t.Errorf("%s: no requirement of the acceptance environment", id)
		}
	}
}

package demonet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/requester"
)

// requestFromSE starts, on the German node, a journey of procedure R1 with
// evidence from Sweden for a Swedish test citizen and gives the explicit
// request (without preview).
func requestFromSE(t *testing.T, n *demonet.Network) (*demonet.Node, *requester.Journey) {
	t.Helper()
	ctx := context.Background()
	de := n.Node("DE")
	who := demo.Users("SE")[0]
	p := who.Person
	p.Identifier = idp.Identifier("SE", "DE", who.Local)
	subject := eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: n.Node("SE").IdPURL, Country: "SE", AuthTime: time.Now()}
	j, err := de.Requester.Start(ctx, requester.StartRequest{Procedure: "R1", Country: "SE", Subject: subject, ReturnURL: de.PortalURL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	r := j.Requirements[0]
	if r.Step != requester.StepExplicitRequest || r.ChosenProvider != "SE-EP-R1" {
		t.Fatalf("requirement at step %s, provider %q; want %s, SE-EP-R1", r.Step, r.ChosenProvider, requester.StepExplicitRequest)
	}
	if j, err = de.Requester.Request(ctx, j.ID, r.ID, requester.ExplicitRequest{Given: true}); err != nil {
		t.Fatal(err)
	}
	return de, j
}

// wait polls the journey until done holds for its requirement.
func wait(t *testing.T, nd *demonet.Node, id string, within time.Duration, done func(*requester.Requirement) bool) *requester.Journey {
	t.Helper()
	for end := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		j, err := nd.Requester.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if done(j.Requirements[0]) {
			return j
		}
		if time.Now().After(end) {
			t.Fatalf("after %s: journey %s, requirement at step %s, exchange %+v", within, j.State, j.Requirements[0].Step, j.Requirements[0].Exchange)
		}
	}
}

// outbound returns the state and last error of the German access point's
// messages to AP-SE.
func outbound(t *testing.T, de *demonet.Node) (states []string, lastErrors []string) {
	t.Helper()
	rows, err := de.DB.SQL().QueryContext(context.Background(), de.DB.Rebind("SELECT state, last_error FROM ap_outbound WHERE partner = ? ORDER BY created_at"), "AP-SE")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, e string
		if err := rows.Scan(&s, &e); err != nil {
			t.Fatal(err)
		}
		states, lastErrors = append(states, s), append(lastErrors, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return states, lastErrors
}

// TestDiscovery: the German node has no endpoint nor certificate of the
// Swedish access point; it finds them by BDXL (the network's DNS server)
// and SMP at send time, and the Swedish evidence arrives.
func TestDiscovery(t *testing.T) {
	testenv.SkipShort(t, "a demo network with SMP and DNS discovery (seconds)")
	n := startNet(t, demonet.Config{WithoutPreview: true})
	if n.DNS == "" || !strings.HasPrefix(n.SMP, "https://") {
		t.Fatalf("DNS %q, SMP %q", n.DNS, n.SMP)
	}
	for _, cc := range []string{"DE", "FR", "FI"} {
		p, err := n.Node(cc).PMode.Party("AP-SE")
		if err != nil {
			t.Fatal(err)
		}
		if p.Endpoint != "" {
			t.Errorf("%s: the P-Mode has the endpoint %q for AP-SE", cc, p.Endpoint)
		}
		if q, _ := n.Node(cc).PMode.Party("AP-FR"); cc != "FR" && q.Endpoint == "" {
			t.Errorf("%s: the P-Mode has no endpoint for AP-FR (static)", cc)
		}
	}
	if p, _ := n.Node("SE").PMode.Party("AP-DE"); p.Endpoint != n.Node("DE").APURL+"/as4" {
		t.Errorf("SE sends to DE at %q, want its static endpoint", p.Endpoint)
	}
	if naptr, reqs := demonet.DiscoveryCounts(n); naptr != 0 || reqs != 0 {
		t.Fatalf("before any exchange: %d NAPTR queries, %d SMP requests", naptr, reqs)
	}

	de, j := requestFromSE(t, n)
	j = wait(t, de, j.ID, 30*time.Second, func(r *requester.Requirement) bool {
		return r.Step == requester.StepDone || r.Step == requester.StepFailed
	})
	r := j.Requirements[0]
	if r.Step != requester.StepDone || j.State != requester.JourneyComplete {
		t.Fatalf("journey %s, requirement %s: %+v", j.State, r.Step, r.Exchange.Error)
	}
	if r.Exchange.Provider != "SE-EP-R1" || len(r.Exchange.Evidence) == 0 {
		t.Fatalf("exchange with %s, %d evidence", r.Exchange.Provider, len(r.Exchange.Evidence))
	}
	states, _ := outbound(t, de)
	if len(states) != 1 || states[0] != "delivered" {
		t.Errorf("DE's messages to AP-SE: %v, want one delivered", states)
	}
	naptr, reqs := demonet.DiscoveryCounts(n)
	if naptr < 1 || reqs < 1 {
		t.Errorf("%d NAPTR queries, %d SMP requests: discovery was not used", naptr, reqs)
	}
	t.Logf("%d NAPTR queries, %d SMP requests", naptr, reqs)
}

// TestDiscoveryUnpublished: without the BDXL record the German access
// point fails the message for good (participant unknown: dynamic discovery
// failed), and the journey fails at once with EBMS:0202 and that reason.
func TestDiscoveryUnpublished(t *testing.T) {
	testenv.SkipShort(t, "a demo network with SMP and DNS discovery (seconds)")
	n := startNet(t, demonet.Config{WithoutPreview: true})
	if !demonet.Unpublish(n, "SE") {
		t.Fatal("no BDXL record for SE")
	}
	de, j := requestFromSE(t, n)
	var states, errs []string
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if states, errs = outbound(t, de); len(states) == 1 && states[0] != "queued" || time.Now().After(end) {
			break
		}
	}
	if len(states) != 1 || states[0] != "failed" {
		t.Fatalf("DE's messages to AP-SE: %v %v, want one failed", states, errs)
	}
	if !strings.Contains(errs[0], "dynamic discovery failed") || !strings.Contains(errs[0], "participant unknown") {
		t.Errorf("last error %q, want a dynamic discovery failure (participant unknown)", errs[0])
	}
	if naptr, reqs := demonet.DiscoveryCounts(n); naptr < 1 || reqs != 0 {
		t.Errorf("%d NAPTR queries, %d SMP requests; want the DNS asked and not the SMP", naptr, reqs)
	}
	// The access point's final failure reaches the requester at once
	// (the access point's durable failure report, ap.FailureBackend →
	// requester.ReportSendFailure), not at the timeout.
	j = wait(t, de, j.ID, 10*time.Second, func(r *requester.Requirement) bool { return r.Step != requester.StepWaiting })
	if r := j.Requirements[0]; r.Step != requester.StepFailed || j.State != requester.JourneyFailed || r.Exchange.Error == nil ||
		r.Exchange.Error.Code != requester.CodeDeliveryFailure || !strings.Contains(r.Exchange.Error.Detail, "participant unknown") {
		t.Fatalf("journey %s, requirement %s, error %+v; want failed with %s", j.State, r.Step, r.Exchange.Error, requester.CodeDeliveryFailure)
	}
}

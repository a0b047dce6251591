package demonet_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/requester"
)

// journeyTimes runs b.N journeys of procedure R1 (a French birth
// certificate asked for by the German portal) through the requester
// connector, as the portal calls it, and returns, per journey, the time
// from the user's explicit request until until(journey) holds.
func journeyTimes(b *testing.B, n *demonet.Network, until func(*requester.Requirement) bool) []time.Duration {
	ctx := context.Background()
	de := n.Node("DE")
	who := demo.Users("FR")[0]
	p := who.Identified("DE")
	subject := eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: "FR", Country: "FR", AuthTime: time.Now()}
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		j, err := de.Requester.Start(ctx, requester.StartRequest{Procedure: "R1", Country: "FR", Subject: subject, ReturnURL: de.PortalURL + "/return"})
		if err != nil {
			b.Fatal(err)
		}
		rid := j.Requirements[0].ID
		if j.Requirements[0].Step != requester.StepExplicitRequest {
			b.Fatalf("step %s, want %s", j.Requirements[0].Step, requester.StepExplicitRequest)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := de.Requester.Request(ctx, j.ID, rid, requester.ExplicitRequest{Given: true}); err != nil {
			b.Fatal(err)
		}
		for {
			j, err = de.Requester.Get(ctx, j.ID)
			if err != nil {
				b.Fatal(err)
			}
			r := j.Requirements[0]
			if r.Step == requester.StepFailed {
				b.Fatalf("journey failed: %+v", r.Exchange.Error)
			}
			if until(r) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	return times
}

func report(b *testing.B, times []time.Duration) {
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	q := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkExplicitRequestToEvidence: from the user's explicit request to
// the evidence in the portal, through the whole stack on loopback — the
// requester connector builds the EDM request, the access point signs,
// encrypts and posts it over HTTPS, the provider's access point verifies,
// decrypts and hands it to the provider connector, which matches the
// record, builds the response with the PDF attachment and sends it back the
// same way, and the requester stores the evidence. The providers answer
// without a preview (Config.WithoutPreview), so that no human step is
// timed.
//
//	go test ./demonet -run '^$' -bench ExplicitRequestToEvidence -benchtime 200x
func BenchmarkExplicitRequestToEvidence(b *testing.B) {
	n := startNet(b, demonet.Config{Countries: []string{"DE", "FR"}, WithoutPreview: true, PollInterval: 50 * time.Millisecond})
	report(b, journeyTimes(b, n, func(r *requester.Requirement) bool { return r.Step == requester.StepDone }))
}

// BenchmarkExplicitRequestToPreviewLink: the machine part of a journey with
// a preview, up to the human step — the first request, the provider's
// EDM:ERR:0002 answer with the PreviewLocation, and the second request
// sent — until the portal can send the user to the preview space.
//
//	go test ./demonet -run '^$' -bench ExplicitRequestToPreviewLink -benchtime 200x
func BenchmarkExplicitRequestToPreviewLink(b *testing.B) {
	n := startNet(b, demonet.Config{Countries: []string{"DE", "FR"}, PollInterval: 50 * time.Millisecond})
	report(b, journeyTimes(b, n, func(r *requester.Requirement) bool { return r.Step == requester.StepPreview }))
}

package provider_test

import (
	"context"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/provider"
)

// FuzzParseResult: the data service's JSON never panics, and what it
// accepts has a subject key per match.
func FuzzParseResult(f *testing.F) {
	f.Add([]byte(`{"matches":[{"subject":"person:1","documents":[{"id":"x","title":"t","issuingDate":"2024-01-01","format":"application/pdf","content":"JVBERg=="}]}]}`))
	f.Add([]byte(`{"matches":[]}`))
	f.Add([]byte(`{"matches":[{"subject":"p","documents":[{"id":"x","format":"application/pdf","content":"JVBERg==","annexes":[{"id":"a","format":"application/pdf","content":"JVBERg=="}],"translations":[{"id":"t","language":"FR","format":"application/pdf","content":"JVBERg=="},{"id":"u","format":"application/pdf"}]}]}]}`))
	f.Add([]byte(`{"matches":[{"documents":null}]}`))
	f.Add([]byte(`{"matches":[{"subject":"p","documents":[],"deferred":{"availableAt":"2026-08-07T09:30:00Z","reason":"payment"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := provider.ParseResult(b)
		if err != nil {
			return
		}
		for _, m := range r.Matches {
			if m.Subject == "" {
				t.Fatal("a match without subject key was accepted")
			}
			if d := m.Deferred; d != nil && (d.AvailableAt.IsZero() || d.Reason != provider.DeferHandling && d.Reason != provider.DeferPayment && d.Reason != provider.DeferDigitisation) {
				t.Fatalf("deferral %+v accepted", d)
			}
		}
	})
}

// FuzzParsePreviewLocation: a preview link from a request never panics, and
// an accepted one is under the base and gives a well-formed token.
func FuzzParsePreviewLocation(f *testing.F) {
	const base = "https://preview.example.de"
	f.Add(base + "/preview/AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(base + "/preview/AAAAAAAAAAAAAAAAAAAAAA?returnurl=https://x/")
	f.Add("https://evil.example/preview/AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(base + "/preview/%41AAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, loc string) {
		tok, err := provider.ParsePreviewLocation(base, loc)
		if err != nil {
			return
		}
		if len(tok) != 22 {
			t.Fatalf("token %q from %q", tok, loc)
		}
		again, err := provider.ParsePreviewLocation(base, base+"/preview/"+tok)
		if err != nil || again != tok {
			t.Fatalf("token %q does not round-trip: %v", tok, err)
		}
	})
}

// FuzzDeliver: whatever document a request carries, the connector answers
// it or drops it without panicking, and every answer refers to it. Seeded
// with a first request and a request after a preview.
func FuzzDeliver(f *testing.F) {
	e := newEnv(f, "", nil)
	q := e.request(edm.V1_0, berlin, user(f, anna))
	first := e.message(q, "fuzz", "")
	f.Add(first.Payloads[0].Data)
	q2 := *q
	q2.PreviewLocation = e.srv.URL + "/preview/AAAAAAAAAAAAAAAAAAAAAA"
	f.Add(e.message(&q2, "fuzz", "").Payloads[0].Data)
	f.Add([]byte("not xml"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		rm := *first
		rm.MessageID = newUUID() + "@fuzz"
		rm.Payloads = []ap.Payload{{ContentID: "regrep@oots", MimeType: first.Payloads[0].MimeType, Data: doc}}
		n := len(e.send.all())
		if err := e.conn.Deliver(context.Background(), &rm); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		for _, s := range e.send.all()[n:] {
			if s.RefToMessageID != rm.MessageID {
				t.Fatalf("answer to %s, not to %s", s.RefToMessageID, rm.MessageID)
			}
		}
	})
}

package demonet_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
)

// TestJournalEvidencePreview: after a journey with a preview round (the
// first request, its EDM:ERR:0002 answer, the preview, the second request
// and the evidence), the journal of each node leads from the exchange to
// every step of it and to the signed receipt of every AS4 message the node
// sent, in EDM 1.0 (France: the exchange is named by the first request's
// id) and 2.0 (Finland: by the ExchangeId, and by the first request's id
// too). Each identifier of the exchange (ExchangeId, the id of either
// request) gives the same entries. The requests and answers are taken from
// the access points, not from the journals.
func TestJournalEvidencePreview(t *testing.T) {
	if testing.Short() {
		t.Skip("demo network")
	}
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR", "FI"}})
	ctx := context.Background()
	de := n.Node("DE")
	roots := x509.NewCertPool()
	roots.AddCert(n.TLSCA)
	previewer := &conformance.DemoPreviewUser{Roots: roots}
	for _, tc := range []struct {
		cc      string
		version edm.Version
	}{{"FR", edm.V1_0}, {"FI", edm.V2_0}} {
		t.Run(tc.cc, func(t *testing.T) {
			who := demo.Users(tc.cc)[0]
			p := who.Identified("DE")
			subject := eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: n.Node(tc.cc).IdPURL, Country: tc.cc, AuthTime: time.Now()}
			j, err := de.Requester.Start(ctx, requester.StartRequest{Procedure: "R1", Country: tc.cc, Subject: subject, ReturnURL: de.PortalURL + "/"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := de.Requester.Request(ctx, j.ID, j.Requirements[0].ID, requester.ExplicitRequest{Given: true}); err != nil {
				t.Fatal(err)
			}
			j = wait(t, de, j.ID, time.Minute, func(r *requester.Requirement) bool {
				return r.Step == requester.StepPreview || r.Step == requester.StepFailed || r.Step == requester.StepDone
			})
			ex := j.Requirements[0].Exchange
			if j.Requirements[0].Step != requester.StepPreview || ex == nil || ex.Version != string(tc.version) {
				t.Fatalf("step %s, exchange %+v; want the preview in %s", j.Requirements[0].Step, ex, tc.version)
			}
			if err := previewer.Decide(ctx, ex.PreviewURL, p.Identifier, conformance.Approve); err != nil {
				t.Fatalf("preview: %v", err)
			}
			j = wait(t, de, j.ID, time.Minute, func(r *requester.Requirement) bool {
				return r.Step == requester.StepDone || r.Step == requester.StepFailed
			})
			if r := j.Requirements[0]; r.Step != requester.StepDone || len(r.Exchange.Evidence) == 0 {
				t.Fatalf("journey ended at step %s: %+v", r.Step, r.Exchange)
			}

			// The messages of the exchange, as the access points received
			// them: the two requests at the provider's, the two answers at
			// the requester's.
			reqs := inConversation(t, n.Node(tc.cc), j.ID)
			answers := inConversation(t, de, j.ID)
			if len(reqs) != 2 || len(answers) != 2 {
				t.Fatalf("%d requests and %d answers in the conversation, want 2 and 2", len(reqs), len(answers))
			}
			first, second := reqs[0], reqs[1]
			errAns, resp := answers[0], answers[1]
			if first.req.PreviewLocation != "" || second.req.PreviewLocation == "" || errAns.err == nil || resp.resp == nil ||
				errAns.rm.RefToMessageID != first.rm.MessageID || resp.rm.RefToMessageID != second.rm.MessageID {
				t.Fatalf("the messages are not a preview round: %v", append(reqs, answers...))
			}
			exchangeID := first.req.ID // 1.x
			ids := []string{first.req.ID, second.req.ID}
			if tc.version.Is2() {
				exchangeID = first.rm.ExchangeID
				if exchangeID == "" || exchangeID != ex.ID || second.rm.ExchangeID != exchangeID {
					t.Fatalf("ExchangeId %q, %q; the requester's exchange %s", exchangeID, second.rm.ExchangeID, ex.ID)
				}
				ids = append(ids, exchangeID)
			} else if ex.ID != first.req.ID {
				t.Fatalf("the requester's exchange %s, want the first request's id %s", ex.ID, first.req.ID)
			}
			// The request ids that are not the exchange's identifier.
			var named []string
			for _, id := range []string{first.req.ID, second.req.ID} {
				if id != exchangeID {
					named = append(named, id)
				}
			}

			// The steps each node journals, in order, and the receipts
			// of the messages it sent (each once, wherever among the
			// steps).
			deWant := []step{
				{journal.EventRequestSent, first.rm.MessageID, "", journal.OutcomeOK},
				{journal.EventRequestID, first.rm.MessageID, "", journal.OutcomeOK},
				{requester.EventPreviewRequired, errAns.rm.MessageID, first.rm.MessageID, string(edm.EDMErr0002)},
				{journal.EventRequestSent, second.rm.MessageID, "", journal.OutcomeOK},
				{journal.EventRequestID, second.rm.MessageID, "", journal.OutcomeOK},
				{journal.EventResponseReceived, resp.rm.MessageID, second.rm.MessageID, journal.OutcomeOK},
			}
			frWant := []step{
				{journal.EventRequestReceived, first.rm.MessageID, "", ""},
				{journal.EventRequestID, first.rm.MessageID, "", ""},
				{journal.EventResponseSent, first.rm.MessageID, "", string(edm.EDMErr0002)},
				// The provider's consents are on in the demo network: a
				// request without a valid one goes to the preview.
				{provider.EventConsentNone, first.rm.MessageID, "", ""},
				{journal.EventPreviewShown, first.rm.MessageID, "", ""},
				{journal.EventPreviewApproved, first.rm.MessageID, "", ""},
				{journal.EventRequestReceived, second.rm.MessageID, "", ""},
				{journal.EventRequestID, second.rm.MessageID, "", ""},
				{journal.EventResponseSent, second.rm.MessageID, "", journal.OutcomeOK},
			}
			if !tc.version.Is2() {
				// The first 1.x request's id is the exchange's.
				deWant = slices.Delete(deWant, 1, 2)
				frWant = slices.Delete(frWant, 1, 2)
			}
			// The provider's order of the preview and the second request
			// depends on which comes first: the user's approval or the
			// requester's second request; the answer follows both.
			k := func(event, message string) int {
				return slices.IndexFunc(frWant, func(s step) bool { return s.event == event && s.message == message })
			}
			errSent, shown, approved := k(journal.EventResponseSent, first.rm.MessageID), k(journal.EventPreviewShown, first.rm.MessageID), k(journal.EventPreviewApproved, first.rm.MessageID)
			secondIn, secondID, answered := k(journal.EventRequestReceived, second.rm.MessageID), k(journal.EventRequestID, second.rm.MessageID), k(journal.EventResponseSent, second.rm.MessageID)
			var frOrder [][2]int
			for i := 1; i <= errSent+1; i++ { // the first request, its answer, the consent
				frOrder = append(frOrder, [2]int{i - 1, i})
			}
			frOrder = append(frOrder, [2]int{errSent, shown}, [2]int{shown, approved}, [2]int{approved, answered},
				[2]int{errSent, secondIn}, [2]int{secondIn, secondID}, [2]int{secondID, answered})
			kd := func(event, message string) int {
				return slices.IndexFunc(deWant, func(s step) bool { return s.event == event && s.message == message })
			}
			// The receipt of a message comes after the entry about
			// sending it: the requester journals each request before
			// the access point takes it.
			deReceipts := []receipt{{first.rm.MessageID, "", kd(journal.EventRequestSent, first.rm.MessageID)}, {second.rm.MessageID, "", kd(journal.EventRequestSent, second.rm.MessageID)}}
			frReceipts := []receipt{{errAns.rm.MessageID, first.rm.MessageID, errSent}, {resp.rm.MessageID, second.rm.MessageID, answered}}

			deChain := evidenceChain(t, de, ids, len(deReceipts))
			frChain := evidenceChain(t, n.Node(tc.cc), ids, len(frReceipts))
			// The requester journals each request before the access
			// point takes it, so before the answer to it; a request.id
			// entry follows its request.sent, and the second request
			// is journaled after the preview answer that caused it.
			deOrder := [][2]int{
				{kd(journal.EventRequestSent, first.rm.MessageID), kd(requester.EventPreviewRequired, errAns.rm.MessageID)},
				{kd(journal.EventRequestSent, second.rm.MessageID), kd(journal.EventResponseReceived, resp.rm.MessageID)},
				{kd(requester.EventPreviewRequired, errAns.rm.MessageID), kd(journal.EventRequestSent, second.rm.MessageID)},
				{kd(journal.EventRequestSent, second.rm.MessageID), kd(journal.EventRequestID, second.rm.MessageID)},
			}
			if tc.version.Is2() {
				deOrder = append(deOrder, [2]int{kd(journal.EventRequestSent, first.rm.MessageID), kd(journal.EventRequestID, first.rm.MessageID)})
			}
			checkChain(t, "DE (requester)", deChain, exchangeID, named, deWant, deOrder, deReceipts)
			checkChain(t, tc.cc+" (provider)", frChain, exchangeID, named, frWant, frOrder, frReceipts)

			// Non-repudiation across the nodes: the digests of each
			// receipt are those the receiving node journaled as signed.
			signed := map[string]string{}
			for _, e := range append(slices.Clone(deChain), frChain...) {
				if e.Event == journal.EventRequestReceived || e.Event == requester.EventPreviewRequired || e.Event == journal.EventResponseReceived {
					signed[e.MessageID] = e.NRR
				}
			}
			for _, e := range append(slices.Clone(deChain), frChain...) {
				if e.Event == journal.EventReceipt && (e.NRR == "" || signed[e.MessageID] != e.NRR) {
					t.Errorf("receipt of %s with digests %q; the receiver journaled %q", e.MessageID, e.NRR, signed[e.MessageID])
				}
			}
		})
	}
}

// inbound is a message an access point received, with its EDM document.
type inbound struct {
	rm   *exchange.Message
	req  *edm.QueryRequest
	resp *edm.QueryResponse
	err  *edm.ErrorResponse
}

func (m inbound) String() string {
	return fmt.Sprintf("%s (ref to %s)", m.rm.MessageID, m.rm.RefToMessageID)
}

// inConversation returns the EDM messages nd's access point received in
// the conversation conv, in the order received.
func inConversation(t *testing.T, nd *demonet.Node, conv string) []inbound {
	t.Helper()
	ctx := context.Background()
	var out []inbound
	var after int64
	for {
		ms, err := nd.DB.ListInbound(ctx, apstore.InboundFilter{AfterSeq: after, IncludeAcked: true, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return out
		}
		for _, m := range ms {
			after = m.Seq
			rm, err := nd.AP.Received(ctx, m.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			if rm.ConversationID != conv {
				continue
			}
			msg, err := exchange.Incoming(rm)
			if err != nil {
				t.Fatalf("%s: %v", m.MessageID, err)
			}
			out = append(out, inbound{rm: msg, req: msg.Request, resp: msg.Response, err: msg.Error})
		}
	}
}

// step is an entry expected in an exchange: its event, message, the
// request it refers to and its outcome ("" for any).
type step struct{ event, message, refTo, outcome string }

// receipt is the receipt entry expected for a message sent.
// receipt is a receipt the journal should have: of message (its answer
// to refTo), after the step at index after in the steps wanted (-1: its
// place among the steps is not fixed).
type receipt struct {
	message, refTo string
	after          int
}

// evidenceChain returns the entries Journal.Evidence gives for the first of
// ids, once the receipts have arrived (want of them), and checks that each
// other identifier of the exchange gives the same.
func evidenceChain(t *testing.T, nd *demonet.Node, ids []string, receipts int) []*journal.Entry {
	t.Helper()
	ctx := context.Background()
	var es []*journal.Entry
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if es, err = nd.Journal.Evidence(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if e.Event == journal.EventReceipt {
				n++
			}
		}
		if n >= receipts || time.Now().After(deadline) {
			break
		}
	}
	for _, id := range ids[1:] {
		other, err := nd.Journal.Evidence(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if seqs(other) != seqs(es) {
			t.Errorf("%s: Evidence(%s) gives the entries %s; Evidence(%s) %s", nd.Country, id, seqs(other), ids[0], seqs(es))
		}
	}
	return es
}

func seqs(es []*journal.Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%d ", e.Seq)
	}
	return b.String()
}

// checkChain checks the entries of an exchange: exactly the steps of want
// and the receipts, every step in the exchange exchangeID (the
// EventRequestID entries: named, the ids of the requests); the steps in
// the order of want or, when order is not nil, in the order each pair of
// it gives (indices in want); each receipt after the step that names its
// message.
func checkChain(t *testing.T, node string, es []*journal.Entry, exchangeID string, named []string, want []step, order [][2]int, receipts []receipt) {
	t.Helper()
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %d %s exchange=%s message=%s ref_to=%s outcome=%s receipt=%s", e.Seq, e.Event, e.Exchange, e.MessageID, e.RefTo, e.Outcome, e.Receipt)
	}
	t.Logf("%s: the exchange's entries:%s", node, b.String())
	at := make([]int, len(want)) // the index in es of each step
	for i := range at {
		at[i] = -1
	}
	seenReceipt, receiptAt := make([]int, len(receipts)), make([]int, len(receipts))
	var names []string
	for k, e := range es {
		if e.Event == journal.EventReceipt {
			i := slices.IndexFunc(receipts, func(r receipt) bool { return r.message == e.MessageID })
			switch {
			case i < 0:
				t.Errorf("%s: receipt of a message not of the exchange: %+v", node, e)
			case e.RefTo != receipts[i].refTo || e.Receipt == "" || !strings.Contains(e.NRR, "=sha256:"):
				t.Errorf("%s: receipt entry %+v; want the receipt of %s (ref to %q) with its digests", node, e, receipts[i].message, receipts[i].refTo)
			default:
				seenReceipt[i]++
				receiptAt[i] = k
			}
			continue
		}
		i := -1
		for w, s := range want {
			if s.event == e.Event && s.message == e.MessageID && (s.outcome == "" || s.outcome == e.Outcome) && at[w] < 0 {
				i = w
				break
			}
		}
		if i < 0 {
			t.Errorf("%s: unexpected entry %+v", node, e)
			continue
		}
		at[i] = k
		if e.RefTo != want[i].refTo {
			t.Errorf("%s: %s entry refers to %q, want %q", node, e.Event, e.RefTo, want[i].refTo)
		}
		if e.Event == journal.EventRequestID {
			names = append(names, e.Exchange)
		} else if e.Exchange != exchangeID {
			t.Errorf("%s: %s entry of %s in the exchange %q, want %q", node, e.Event, e.MessageID, e.Exchange, exchangeID)
		}
	}
	for i, k := range at {
		if k < 0 {
			t.Errorf("%s: no %s entry of %s (outcome %q)", node, want[i].event, want[i].message, want[i].outcome)
		}
	}
	for i, n := range seenReceipt {
		if n != 1 {
			t.Errorf("%s: %d receipt entries of %s, want 1", node, n, receipts[i].message)
		}
		if a := receipts[i].after; n == 1 && a >= 0 && at[a] >= 0 && receiptAt[i] < at[a] {
			t.Errorf("%s: the receipt of %s is journaled before the %s entry about sending it", node, receipts[i].message, want[a].event)
		}
	}
	if !slices.Equal(names, named) {
		t.Errorf("%s: the request.id entries name %q, want %q", node, names, named)
	}
	if order == nil {
		for i := 1; i < len(want); i++ {
			order = append(order, [2]int{i - 1, i})
		}
	}
	for _, o := range order {
		if a, b := at[o[0]], at[o[1]]; a >= 0 && b >= 0 && a > b {
			t.Errorf("%s: %s of %s comes after %s of %s", node, want[o[0]].event, want[o[0]].message, want[o[1]].event, want[o[1]].message)
		}
	}
}

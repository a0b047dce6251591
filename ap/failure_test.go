package ap_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// failureRecorder is an in-process backend that takes failure reports: it
// records every SendFailed call and answers an error while fail says so.
type failureRecorder struct {
	mu    sync.Mutex
	calls []ap.SendFailure
	fail  func(call int) error // nil: accept every report
}

func (r *failureRecorder) Deliver(ctx context.Context, m *ap.ReceivedMessage) error { return nil }

func (r *failureRecorder) SendFailed(ctx context.Context, f *ap.SendFailure) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, *f)
	if r.fail != nil {
		return r.fail(len(r.calls))
	}
	return nil
}

func (r *failureRecorder) snapshot() []ap.SendFailure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ap.SendFailure(nil), r.calls...)
}

// waitCalls waits until the recorder saw at least n calls.
func (r *failureRecorder) waitCalls(t *testing.T, n int, timeout time.Duration) []ap.SendFailure {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := r.snapshot()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// refusingNet is two nodes where DE answers FR's requests with an ebMS
// Error (it does not know the request leg's action): every request fails
// at its first attempt. editFR adjusts FR's configuration.
func refusingNet(t *testing.T, dsn func(testing.TB, string) string, editFR func(c *ap.Config)) map[string]*testNode {
	return newNet(t, netOptions{profile: wssec.AS4v20, dsn: dsn,
		retry: &pmode.Retry{Timeout: time.Minute, Count: 5, Strategy: pmode.RetryConstant},
		edit: func(name string, c *ap.Config) {
			switch name {
			case "AP_DE_01":
				c.PMode.Legs[0].Action = "SomethingElse"
			case "AP_FR_01":
				editFR(c)
			}
		}})
}

// TestSendFailed: a message the partner refuses with an ebMS Error is
// reported once to the backend, with the recorded reason and the
// submission's client key; a backend that fails is asked again until it
// takes the report, and not after.
func TestSendFailed(t *testing.T) {
	testenv.SkipShort(t, "waits out retries (seconds)")
	for _, db := range []string{"SQLite", "PostgreSQL"} {
		t.Run(db, func(t *testing.T) { testSendFailed(t, db) })
	}
}

func testSendFailed(t *testing.T, db string) {
	dsn := sqliteDSN
	if db == "PostgreSQL" {
		dsn = pgDSN(t)
	}
	for _, tc := range []struct {
		name      string
		failures  int // the backend's first answers that are errors
		wantCalls int
	}{
		{"once", 0, 1},
		{"retried", 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &failureRecorder{fail: func(call int) error {
				if call <= tc.failures {
					return errors.New("backend busy")
				}
				return nil
			}}
			nodes := refusingNet(t, dsn, func(c *ap.Config) { c.Backend = rec })
			fr := nodes["AP_FR_01"]
			st, _, err := fr.Submit(context.Background(), submission("requester:"+tc.name, "x"))
			if err != nil {
				t.Fatal(err)
			}
			status := waitState(t, fr, st.MessageID, 10*time.Second)
			if status.State != apstore.OutFailed || !strings.Contains(status.LastError, "EBMS:0010") {
				t.Fatalf("status %+v", status)
			}
			rec.waitCalls(t, tc.wantCalls, 15*time.Second)
			time.Sleep(1500 * time.Millisecond) // a further call would come within the first backoff step
			calls := rec.snapshot()
			if len(calls) != tc.wantCalls {
				t.Fatalf("SendFailed called %d times, want %d: %+v", len(calls), tc.wantCalls, calls)
			}
			for _, f := range calls {
				if f.MessageID != st.MessageID || f.ClientKey != "requester:"+tc.name || f.Partner != "AP_DE_01" ||
					f.Leg != "ootsRequestLeg" || f.Reason != status.LastError || !f.Failed.Equal(status.Updated) {
					t.Errorf("report %+v\nstatus %+v", f, status)
				}
			}
			r, err := fr.db.FailureReport(context.Background(), st.MessageID)
			if err != nil || r.Delivery != apstore.DeliveryDelivered || r.Attempts != tc.wantCalls {
				t.Errorf("stored report %+v, %v", r, err)
			}
		})
	}
}

// TestSendFailedAfterRestart: the failure is recorded and its report not
// yet taken when the node stops; the node started again on the same
// database reports it.
func TestSendFailedAfterRestart(t *testing.T) {
	down := &failureRecorder{fail: func(int) error { return errors.New("backend down") }}
	nodes := refusingNet(t, sqliteDSN, func(c *ap.Config) { c.Backend = down })
	fr := nodes["AP_FR_01"]
	ctx := context.Background()
	st, _, err := fr.Submit(ctx, submission("requester:restart", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 10*time.Second); got.State != apstore.OutFailed {
		t.Fatalf("status %+v", got)
	}
	if calls := down.waitCalls(t, 1, 10*time.Second); len(calls) == 0 {
		t.Fatal("the report was never attempted")
	}
	fr.stop()
	<-fr.done
	r, err := fr.db.FailureReport(ctx, st.MessageID)
	if err != nil || r.Delivery != apstore.DeliveryPending || r.LastError != "backend down" {
		t.Fatalf("before the restart: %+v, %v", r, err)
	}
	seen := len(down.snapshot())

	up := &failureRecorder{}
	restartWith(t, ctx, fr, up)

	calls := up.waitCalls(t, 1, 15*time.Second)
	if len(calls) != 1 || calls[0].MessageID != st.MessageID || calls[0].ClientKey != "requester:restart" || !strings.Contains(calls[0].Reason, "EBMS:0010") {
		t.Fatalf("after the restart: %+v", calls)
	}
	if n := len(down.snapshot()); n != seen {
		t.Errorf("the stopped node's backend was called %d more times", n-seen)
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.Delivery != apstore.DeliveryDelivered && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		r, _ = fr.db.FailureReport(ctx, st.MessageID)
	}
	if r.Delivery != apstore.DeliveryDelivered {
		t.Errorf("after the restart the report is %s", r.Delivery)
	}
}

// pushRecord is one request a test webhook received.
type pushRecord struct {
	header http.Header
	body   []byte
	req    *http.Request
}

// TestSendFailedWebhook: a node with a webhook pushes the failure as a
// signed send-failed event, once.
func TestSendFailedWebhook(t *testing.T) {
	const secret = "0123456789abcdef-failures"
	var mu sync.Mutex
	var pushes []pushRecord
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		pushes = append(pushes, pushRecord{r.Header.Clone(), b, r.Clone(context.Background())})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	nodes := refusingNet(t, sqliteDSN, func(c *ap.Config) { c.Webhook = &ap.Webhook{URL: srv.URL, Secret: []byte(secret)} })
	fr := nodes["AP_FR_01"]
	st, _, err := fr.Submit(context.Background(), submission("requester:hook", "x"))
	if err != nil {
		t.Fatal(err)
	}
	status := waitState(t, fr, st.MessageID, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(pushes)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(pushes) != 1 {
		t.Fatalf("%d pushes, want 1", len(pushes))
	}
	p := pushes[0]
	if err := ap.VerifyWebhook([]byte(secret), p.req, p.body, time.Now(), time.Minute); err != nil {
		t.Error(err)
	}
	if ev := p.header.Get(ap.HeaderEvent); ev != ap.EventSendFailed {
		t.Errorf("%s = %q, want %q", ap.HeaderEvent, ev, ap.EventSendFailed)
	}
	if id := p.header.Get(ap.HeaderMessageID); id != st.MessageID {
		t.Errorf("%s = %q, want %q", ap.HeaderMessageID, id, st.MessageID)
	}
	var f ap.SendFailure
	if err := json.Unmarshal(p.body, &f); err != nil {
		t.Fatal(err)
	}
	want := ap.SendFailure{MessageID: st.MessageID, ClientKey: "requester:hook", Partner: "AP_DE_01", Leg: "ootsRequestLeg", Reason: status.LastError, Failed: status.Updated}
	if !f.Failed.Equal(want.Failed) {
		t.Errorf("pushed failed at %v, want %v", f.Failed, want.Failed)
	}
	f.Failed, want.Failed = time.Time{}, time.Time{}
	if f != want {
		t.Errorf("pushed %+v\nwant   %+v", f, want)
	}
	var raw map[string]any
	json.Unmarshal(p.body, &raw)
	for _, k := range []string{"messageId", "clientKey", "to", "leg", "reason", "failed"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the push lacks %q: %s", k, p.body)
		}
	}
	// The OpenAPI document describes the push's body.
	var doc struct {
		Components struct {
			Schemas map[string]struct{ Properties map[string]any }
		}
	}
	if code := api(t, fr, "GET", "/openapi.json", nil, &doc); code != 200 {
		t.Fatalf("openapi: HTTP %d", code)
	}
	props := doc.Components.Schemas["SendFailure"].Properties
	if len(props) != len(raw) {
		t.Errorf("openapi SendFailure has %d properties, the push %d", len(props), len(raw))
	}
	for k := range raw {
		if props[k] == nil {
			t.Errorf("openapi SendFailure lacks %q", k)
		}
	}
	// The metrics count the delivery and the stored report.
	req, _ := http.NewRequest("GET", fr.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{`oots_ap_failure_report_deliveries_total{result="delivered"} 1`, `oots_ap_failure_reports{delivery="delivered"} 1`, "oots_ap_failure_report_seconds_count 1"} {
		if !strings.Contains(string(b), line+"\n") {
			t.Errorf("metrics lack %s", line)
		}
	}
}

// TestSendFailedNobodyToTell: without a webhook, and with a backend that
// takes no failure reports, the report needs no delivery; the status says
// failed.
func TestSendFailedNobodyToTell(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend ap.Backend
	}{
		{"pull", nil},
		{"messages only", backendFunc(func(context.Context, *ap.ReceivedMessage) error { return nil })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := refusingNet(t, sqliteDSN, func(c *ap.Config) { c.Backend = tc.backend })
			fr := nodes["AP_FR_01"]
			st, _, err := fr.Submit(context.Background(), submission("", "x"))
			if err != nil {
				t.Fatal(err)
			}
			if got := waitState(t, fr, st.MessageID, 10*time.Second); got.State != apstore.OutFailed {
				t.Fatalf("status %+v", got)
			}
			r, err := fr.db.FailureReport(context.Background(), st.MessageID)
			if err != nil || r.Delivery != apstore.DeliveryNone || r.Attempts != 0 {
				t.Errorf("report %+v, %v", r, err)
			}
		})
	}
}

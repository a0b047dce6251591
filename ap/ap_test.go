package ap_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// exchange sends a message each way and checks what the backends receive.
func exchange(t *testing.T, nodes map[string]*testNode) {
	ctx := context.Background()
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	st, created, err := fr.Submit(ctx, submission("k1", "q1"))
	if err != nil || !created {
		t.Fatalf("Submit = %v, %v", created, err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("FR → DE: %+v", got)
	}
	o, _ := fr.db.Outbound(ctx, st.MessageID)
	if !bytes.Contains(o.Receipt, []byte("NonRepudiationInformation")) && fr.cfg.SigningKey != nil {
		t.Errorf("the stored receipt has no NRR:\n%s", o.Receipt)
	}
	in, err := de.db.Inbound(ctx, st.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	// The row records the payload's size and digest.
	var stored []struct {
		File   string
		SHA256 string
		Size   int64
		Data   []byte
	}
	json.Unmarshal(in.Body, &stored)
	// A small payload stays in the row (a large one is a file: payloads_test.go).
	if len(stored) != 1 || stored[0].File != "" || stored[0].Data == nil || stored[0].Size != int64(len(stored[0].Data)) || stored[0].SHA256 == "" {
		t.Errorf("DE's row: %s", in.Body)
	}
	var got ap.ReceivedMessage
	if code := api(t, de, "GET", "/api/v1/inbox/"+st.MessageID, nil, &got); code != 200 {
		t.Fatalf("DE inbox: HTTP %d", code)
	}
	payloads := got.Payloads
	if len(payloads) != 1 || !strings.Contains(string(payloads[0].Data), `id="q1"`) || payloads[0].MimeType != "application/x-ebrs+xml" {
		t.Errorf("DE received %+v", payloads)
	}
	if in.Partner != "AP_FR_01" || in.Leg != "ootsRequestLeg" {
		t.Errorf("DE received from %s on %s", in.Partner, in.Leg)
	}
	// And back, on the response leg, referring to the request.
	resp := submission("", "r1")
	resp.Leg, resp.To, resp.RefToMessageID = "ootsResponseLeg", "AP_FR_01", st.MessageID
	st2, _, err := de.Submit(ctx, resp)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, de, st2.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("DE → FR: %+v", got)
	}
	var rm ap.ReceivedMessage
	if code := api(t, fr, "GET", "/api/v1/inbox/"+st2.MessageID, nil, &rm); code != 200 || rm.RefToMessageID != st.MessageID || rm.From != "AP_DE_01" {
		t.Errorf("FR inbox: %d %+v", code, rm.Header)
	}
}

func TestExchange(t *testing.T) {
	for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20, pmode.ProfileNone} {
		t.Run(string(profile), func(t *testing.T) {
			exchange(t, newNet(t, netOptions{profile: profile}))
		})
	}
}

func TestExchangePostgreSQL(t *testing.T) {
	dsn := pgDSN(t)
	for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(profile), func(t *testing.T) {
			exchange(t, newNet(t, netOptions{profile: profile, dsn: dsn}))
		})
	}
}

// TestDuplicates: the same message posted several times (a sender retrying
// after a lost receipt) is answered with a receipt each time and stored once.
func TestDuplicates(t *testing.T) {
	ctx := context.Background()
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	req := packFor(t, fr, submission("", "dup"))
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body := post(t, de.url+"/as4", req)
			if code != 200 || !strings.Contains(body, "Receipt") {
				t.Errorf("HTTP %d %s", code, body)
			}
		}()
	}
	wg.Wait()
	list, err := de.db.ListInbound(ctx, apstore.InboundFilter{IncludeAcked: true})
	if err != nil || len(list) != 1 {
		t.Fatalf("inbox = %d messages, %v; want 1", len(list), err)
	}
}

// TestPartnerDown: the partner answers 503 for a while; the message is
// retried per the P-Mode and delivered once it is back.
func TestPartnerDown(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20,
		retry: &pmode.Retry{Timeout: 10 * time.Second, Count: 20, Strategy: pmode.RetryConstant}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	de.down.Store(true)
	st, _, err := fr.Submit(context.Background(), submission("", "down"))
	if err != nil {
		t.Fatal(err)
	}
	// Retried every 500 ms (20 retries in 10 s): wait for the second attempt.
	var mid *ap.Status
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if mid, err = fr.Status(context.Background(), st.MessageID); err != nil {
			t.Fatal(err)
		}
		if mid.Attempts >= 2 && strings.Contains(mid.LastError, "EBMS:0301") || time.Now().After(deadline) {
			break
		}
	}
	if mid.State != apstore.OutQueued || mid.Attempts < 2 || !strings.Contains(mid.LastError, "EBMS:0301") {
		t.Errorf("while down: %+v", mid)
	}
	de.down.Store(false)
	got := waitState(t, fr, st.MessageID, 10*time.Second)
	if got.State != apstore.OutDelivered {
		t.Fatalf("after the partner returned: %+v", got)
	}
	if list, _ := de.db.ListInbound(context.Background(), apstore.InboundFilter{}); len(list) != 1 {
		t.Errorf("DE has %d messages", len(list))
	}
}

// TestRetriesExhausted: a partner that never answers makes the message
// fail with EBMS:0202 after the P-Mode's retries.
func TestRetriesExhausted(t *testing.T) {
	nodes := newNet(t, netOptions{profile: pmode.ProfileNone,
		retry: &pmode.Retry{Timeout: 600 * time.Millisecond, Count: 3, Strategy: pmode.RetryProgressive}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	de.down.Store(true)
	st, _, _ := fr.Submit(context.Background(), submission("", "never"))
	got := waitState(t, fr, st.MessageID, 10*time.Second)
	if got.State != apstore.OutFailed || got.Attempts != 4 || !strings.Contains(got.LastError, "EBMS:0202") {
		t.Errorf("%+v", got)
	}
}

// TestErrorSignalIsFinal: an ebMS Error from the partner ends the sending
// at once, with the partner's code in the status.
func TestErrorSignalIsFinal(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20,
		retry: &pmode.Retry{Timeout: time.Minute, Count: 5, Strategy: pmode.RetryConstant},
		edit: func(name string, c *ap.Config) {
			if name == "AP_DE_01" {
				// DE does not know the action of the request leg.
				c.PMode.Legs[0].Action = "SomethingElse"
			}
		}})
	fr := nodes["AP_FR_01"]
	st, _, _ := fr.Submit(context.Background(), submission("", "x"))
	got := waitState(t, fr, st.MessageID, 10*time.Second)
	if got.State != apstore.OutFailed || got.Attempts != 1 || !strings.Contains(got.LastError, "EBMS:0010") {
		t.Errorf("%+v", got)
	}
}

func TestSubmitRefuses(t *testing.T) {
	nodes := newNet(t, netOptions{profile: pmode.ProfileNone})
	fr := nodes["AP_FR_01"]
	for _, tc := range []struct {
		name string
		edit func(*ap.Submission)
		want string
	}{
		{"unknown leg", func(s *ap.Submission) { s.Leg = "nope" }, "leg"},
		{"unknown party", func(s *ap.Submission) { s.To = "AP_XX_01" }, "AP_XX_01"},
		{"no payload", func(s *ap.Submission) { s.Payloads = nil }, "no payload"},
		{"missing property", func(s *ap.Submission) { s.Properties = s.Properties[:1] }, "finalRecipient"},
		{"bad MIME type", func(s *ap.Submission) { s.Payloads[0].MimeType = "not a type" }, "mimeType"},
	} {
		s := submission("", "x")
		tc.edit(s)
		var e struct{ Error string }
		code := api(t, fr, "POST", "/api/v1/messages", s, &e)
		if code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, tc.want) {
			t.Errorf("%s: HTTP %d %q, want 422 naming %q", tc.name, code, e.Error, tc.want)
		}
	}
	if list, _ := fr.db.ClaimOutbound(context.Background(), "probe", time.Now().Add(time.Hour), time.Second, 10); len(list) != 0 {
		t.Errorf("refused submissions were queued: %d", len(list))
	}
}

func TestMetricsAndHealth(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	exchange(t, nodes)
	fr := nodes["AP_FR_01"]
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `oots_ap_send_attempts_total{leg="ootsRequestLeg",partner="AP_DE_01",state="delivered"} 1`,
	} {
		resp, err := http.Get(fr.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(b.String(), want) {
			t.Errorf("%s: HTTP %d, want %q in\n%s", path, resp.StatusCode, want, b.String())
		}
		if path == "/metrics" {
			for _, w := range []string{
				`oots_ap_send_seconds_bucket{leg="ootsRequestLeg",partner="AP_DE_01",le="+Inf"} 1`,
				`oots_ap_received_total{leg="ootsResponseLeg",partner="AP_DE_01",result="accepted"} 1`,
				`oots_ap_outbound_messages{leg="ootsRequestLeg",partner="AP_DE_01",state="delivered"} 1`,
				`oots_ap_outbound_oldest_queued_age_seconds{partner="AP_DE_01"} 0`,
				`oots_ap_certificate_not_after_seconds{party="AP_FR_01",role="own-signing",serial=`,
				`role="partner-encryption",serial=`,
				`role="trust-anchor",serial=`,
				"# TYPE oots_ap_receive_seconds histogram",
				"# TYPE process_resident_memory_bytes gauge",
				"# TYPE go_goroutines gauge",
			} {
				if !strings.Contains(b.String(), w) {
					t.Errorf("metrics lack %q", w)
				}
			}
		}
	}
	fr.db.Close()
	resp, _ := http.Get(fr.url + "/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed: HTTP %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestConfigValidate(t *testing.T) {
	c := credentials(t, wssec.AS4v20)
	rsa := credentials(t, wssec.AS4v115)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	base := func() ap.Config {
		pm := pmodes(wssec.AS4v20, map[string]string{"AP_FR_01": "http://a/as4", "AP_DE_01": "http://b/as4"}, nil)
		pm.Self = "AP_FR_01"
		me := c.parties["AP_FR_01"]
		return ap.Config{PMode: pm, Store: (*store.DB)(nil), SigningKey: me.Sign.Signer(), SigningCert: me.Sign.Cert,
			DecryptionKey: me.Encrypt.Key, Trust: trust.NewStore(c.ca.Cert)}
	}
	for _, tc := range []struct {
		field string
		edit  func(*ap.Config)
	}{
		{"PMode", func(c *ap.Config) { c.PMode = nil }},
		{"PMode.Self", func(c *ap.Config) { c.PMode.Self = "" }},
		{"Trust", func(c *ap.Config) { c.Trust = nil }},
		{"SigningCert", func(c *ap.Config) { c.SigningCert = rsa.parties["AP_FR_01"].Sign.Cert }},
		{"PMode.legs[0].security.profile", func(c *ap.Config) { c.SigningKey = rsa.parties["AP_FR_01"].Sign.Signer() }},
		{"SigningKey", func(c *ap.Config) { c.SigningKey = p256 }}, // a key of no AS4 profile
		{"DecryptionKey", func(c *ap.Config) { c.DecryptionKey = nil }},
		{"Webhook.Secret", func(c *ap.Config) { c.Webhook = &ap.Webhook{URL: "http://x", Secret: []byte("short")} }},
		{"Domain", func(c *ap.Config) { c.Domain = "ap.example:8443" }}, // MessageIDFor's names would be refused
	} {
		cfg := base()
		tc.edit(&cfg)
		err := cfg.Validate()
		fe, ok := err.(*ap.FieldError)
		if !ok || fe.Field != tc.field {
			t.Errorf("%s: Validate = %v", tc.field, err)
		}
	}
}

// TestRetention: the payloads of finished messages are purged; their
// status and duplicate elimination remain.
func TestRetention(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) { c.Retention = time.Millisecond }})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	ctx := context.Background()
	st, _, _ := fr.Submit(ctx, submission("", "old"))
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("%+v", got)
	}
	time.Sleep(10 * time.Millisecond)
	// Not yet acknowledged: DE keeps the payload.
	if n, err := de.Purge(ctx); err != nil || n != 0 {
		t.Errorf("DE purged %d (%v) before the acknowledgement", n, err)
	}
	if n, err := fr.Purge(ctx); err != nil || n != 1 {
		t.Errorf("FR purged %d (%v), want 1", n, err)
	}
	de.db.Ack(ctx, st.MessageID, time.Now())
	if n, err := de.Purge(ctx); err != nil || n != 1 {
		t.Errorf("DE purged %d (%v), want 1", n, err)
	}
	var rm ap.ReceivedMessage
	if code := api(t, de, "GET", "/api/v1/inbox/"+st.MessageID, nil, &rm); code != 200 || !rm.Purged || len(rm.Payloads) != 0 {
		t.Errorf("purged message: HTTP %d %+v", code, rm)
	}
	if s, _ := fr.Status(ctx, st.MessageID); s.State != apstore.OutDelivered {
		t.Errorf("status after purge: %+v", s)
	}
}

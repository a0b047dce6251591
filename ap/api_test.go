package ap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/wssec"
)

func TestBackendAPI(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) { c.APIToken = "s3cret-token" }})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	auth := []string{"Authorization", "Bearer s3cret-token"}

	var e struct{ Error string }
	if code := api(t, fr, "POST", "/api/v1/messages", submission("", "x"), &e); code != http.StatusUnauthorized {
		t.Errorf("without the token: HTTP %d", code)
	}
	// Submit twice with one client key: one message.
	var st1, st2 ap.Status
	if code := api(t, fr, "POST", "/api/v1/messages", submission("order-1", "a"), &st1, auth...); code != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", code)
	}
	if code := api(t, fr, "POST", "/api/v1/messages", submission("", "a"), &st2, append(auth, "Idempotency-Key", "order-1")...); code != http.StatusOK || st2.MessageID != st1.MessageID {
		t.Fatalf("second submit: HTTP %d %+v", code, st2)
	}
	if code := api(t, fr, "POST", "/api/v1/messages", map[string]any{"leg": "ootsRequestLeg", "bogus": 1}, &e, auth...); code != http.StatusBadRequest {
		t.Errorf("unknown field: HTTP %d", code)
	}
	// A cross-site form or simple fetch (text/plain, form encodings) cannot
	// submit: application/json only.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		if code := api(t, fr, "POST", "/api/v1/messages", submission("", "xs"), &e, append(auth, "Content-Type", ct)...); code != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: HTTP %d, want 415", ct, code)
		}
	}
	// Text XML cannot carry is refused with 422 naming the field.
	bad := submission("", "nul")
	bad.Properties[1].Value = "DE\u0000735"
	if code := api(t, fr, "POST", "/api/v1/messages", bad, &e, auth...); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, "properties[1].value") {
		t.Errorf("a NUL in a property: HTTP %d %q, want 422 naming properties[1].value", code, e.Error)
	}
	bad = submission("", "ctl")
	bad.ConversationID = "conv\x1b[31m"
	if code := api(t, fr, "POST", "/api/v1/messages", bad, &e, auth...); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, "conversationId") {
		t.Errorf("an escape in conversationId: HTTP %d %q", code, e.Error)
	}
	// /metrics is behind the token too.
	if code := api(t, fr, "GET", "/metrics", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: HTTP %d", code)
	}
	if code := api(t, fr, "GET", "/metrics", nil, nil, auth...); code != http.StatusOK {
		t.Errorf("/metrics with the token: HTTP %d", code)
	}
	deadline := time.Now().Add(15 * time.Second)
	for st1.State != apstore.OutDelivered && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		api(t, fr, "GET", "/api/v1/messages/"+st1.MessageID, nil, &st1, auth...)
	}
	if st1.State != apstore.OutDelivered || st1.Attempts != 1 {
		t.Fatalf("status %+v", st1)
	}
	if code := api(t, fr, "GET", "/api/v1/messages/nope", nil, &e, auth...); code != http.StatusNotFound {
		t.Errorf("unknown message: HTTP %d", code)
	}
	// DE's backend lists, fetches and acknowledges.
	var list struct {
		Messages []struct {
			Seq       int64
			MessageID string
			From      string
		}
		Next int64
	}
	if code := api(t, de, "GET", "/api/v1/inbox", nil, &list, auth...); code != 200 || len(list.Messages) != 1 || list.Messages[0].MessageID != st1.MessageID || list.Messages[0].From != "AP_FR_01" {
		t.Fatalf("inbox: HTTP %d %+v", code, list)
	}
	var rm ap.ReceivedMessage
	if code := api(t, de, "GET", "/api/v1/inbox/"+st1.MessageID, nil, &rm, auth...); code != 200 || len(rm.Payloads) != 1 || rm.Signer == "" || rm.Acked != nil {
		t.Fatalf("fetch: HTTP %d %+v", code, rm)
	}
	for range 2 {
		if code := api(t, de, "POST", "/api/v1/inbox/"+st1.MessageID+"/ack", nil, nil, auth...); code != http.StatusNoContent {
			t.Errorf("ack: HTTP %d", code)
		}
	}
	if code := api(t, de, "POST", "/api/v1/inbox/nope/ack", nil, nil, auth...); code != http.StatusNotFound {
		t.Errorf("ack of an unknown message: HTTP %d", code)
	}
	list.Messages = nil
	api(t, de, "GET", "/api/v1/inbox", nil, &list, auth...)
	if len(list.Messages) != 0 {
		t.Errorf("acknowledged message still listed")
	}
	api(t, de, "GET", "/api/v1/inbox?all=true&limit=1", nil, &list, auth...)
	if len(list.Messages) != 1 || list.Next == 0 {
		t.Errorf("all=true: %+v", list)
	}
	if code := api(t, de, "GET", "/api/v1/inbox?limit=0", nil, &e, auth...); code != http.StatusBadRequest {
		t.Errorf("limit=0: HTTP %d", code)
	}
	// The OpenAPI document is served and lists every route.
	var doc struct {
		OpenAPI string
		Paths   map[string]map[string]any
	}
	if code := api(t, de, "GET", "/openapi.json", nil, &doc); code != 200 || doc.OpenAPI == "" {
		t.Fatalf("openapi: HTTP %d", code)
	}
	for path, method := range map[string]string{"/api/v1/messages": "post", "/api/v1/messages/{id}": "get", "/api/v1/inbox": "get",
		"/api/v1/inbox/{id}": "get", "/api/v1/inbox/{id}/ack": "post", "/healthz": "get", "/readyz": "get", "/metrics": "get"} {
		if doc.Paths[path][method] == nil {
			t.Errorf("openapi.json lacks %s %s", method, path)
		}
	}
}

// backend is a test backend behind a webhook: it verifies signatures and
// records every push by message id.
type backend struct {
	secret []byte
	fail   atomic.Int32 // answer 500 to this many more pushes
	mu     sync.Mutex
	pushes map[string]int
	bad    int
}

func newBackend(t testing.TB, secret string) (*backend, *httptest.Server) {
	b := &backend{secret: []byte(secret), pushes: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := ap.VerifyWebhook(b.secret, r, body, time.Now(), time.Minute); err != nil {
			b.mu.Lock()
			b.bad++
			b.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if ev := r.Header.Get(ap.HeaderEvent); ev != ap.EventMessage {
			http.Error(w, "unexpected event "+ev, http.StatusBadRequest)
			return
		}
		if b.fail.Add(-1) >= 0 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		var m ap.ReceivedMessage
		if err := json.Unmarshal(body, &m); err != nil || m.MessageID != r.Header.Get(ap.HeaderMessageID) || len(m.Payloads) == 0 {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.pushes[m.MessageID]++
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return b, srv
}

func (b *backend) count() (unique, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.pushes {
		unique++
		total += n
	}
	return
}

func TestWebhook(t *testing.T) {
	const secret = "0123456789abcdef-webhook"
	b, srv := newBackend(t, secret)
	b.fail.Store(2) // the backend is busy for the first two pushes
	nodes := newNet(t, netOptions{profile: wssec.AS4v20,
		webhook: map[string]*ap.Webhook{"AP_DE_01": {URL: srv.URL, Secret: []byte(secret)}}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	const n = 20
	for i := range n {
		if _, _, err := fr.Submit(context.Background(), submission(fmt.Sprint("w", i), fmt.Sprint("w", i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if u, _ := b.count(); u == n {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	unique, total := b.count()
	if unique != n || total != n || b.bad != 0 {
		t.Errorf("backend saw %d messages in %d pushes (%d badly signed), want %d", unique, total, b.bad, n)
	}
	// The node records the push after the backend answered it.
	var c *apstore.Counts
	for time.Now().Before(deadline) {
		if c, _ = de.db.Count(context.Background()); c.Inbound["delivered|no"] == n {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.Inbound["delivered|no"] != n {
		t.Errorf("DE delivery states: %v", c.Inbound)
	}
	// A push signed with another secret is refused by VerifyWebhook.
	r := httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.Header.Set(ap.HeaderTimestamp, fmt.Sprint(time.Now().Unix()))
	r.Header.Set(ap.HeaderSignature, ap.SignWebhook([]byte("another secret"), r.Method, r.URL.RequestURI(), r.Header, []byte("{}")))
	if err := ap.VerifyWebhook([]byte(secret), r, []byte("{}"), time.Now(), time.Minute); err == nil {
		t.Error("a push with a wrong signature was accepted")
	}
	// The signature covers the method, the path and every X-OOTS-* header:
	// changing, adding or removing one fails it.
	signed := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hook?x=1", nil)
		r.Header.Set(ap.HeaderTimestamp, fmt.Sprint(time.Now().Unix()))
		r.Header.Set(ap.HeaderMessageID, "m1@oots")
		r.Header.Set(ap.HeaderEvent, ap.EventMessage)
		r.Header.Set(ap.HeaderSignature, ap.SignWebhook([]byte(secret), r.Method, r.URL.RequestURI(), r.Header, []byte("{}")))
		return r
	}
	if err := ap.VerifyWebhook([]byte(secret), signed(), []byte("{}"), time.Now(), time.Minute); err != nil {
		t.Fatalf("a signed push: %v", err)
	}
	for name, tamper := range map[string]func(*http.Request){
		"X-OOTS-Message-Id changed": func(r *http.Request) { r.Header.Set(ap.HeaderMessageID, "m2@oots") },
		"X-OOTS-Event changed":      func(r *http.Request) { r.Header.Set(ap.HeaderEvent, ap.EventSendFailed) },
		"X-OOTS-Message-Id removed": func(r *http.Request) { r.Header.Del(ap.HeaderMessageID) },
		"an X-OOTS-* header added":  func(r *http.Request) { r.Header.Set("X-OOTS-Priority", "high") },
		"another path":              func(r *http.Request) { r.URL.Path = "/other" },
		"another method":            func(r *http.Request) { r.Method = http.MethodPut },
	} {
		r := signed()
		tamper(r)
		if err := ap.VerifyWebhook([]byte(secret), r, []byte("{}"), time.Now(), time.Minute); err == nil {
			t.Errorf("%s: the push still verifies", name)
		}
	}
}

// backendFunc is an in-process Backend that fails its first calls.
type backendFunc func(ctx context.Context, m *ap.ReceivedMessage) error

func (f backendFunc) Deliver(ctx context.Context, m *ap.ReceivedMessage) error { return f(ctx, m) }

// TestBackend: a node with an in-process backend hands it every received
// message, retries a delivery that failed, and never hands a message on
// after it was delivered.
func TestBackend(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	got := make(chan *ap.ReceivedMessage, 4)
	be := backendFunc(func(ctx context.Context, m *ap.ReceivedMessage) error {
		mu.Lock()
		calls[m.MessageID]++
		n := calls[m.MessageID]
		mu.Unlock()
		if n == 1 {
			return errors.New("backend busy")
		}
		got <- m
		return nil
	})
	nodes := newNet(t, netOptions{edit: func(name string, c *ap.Config) {
		if name == "AP_DE_01" {
			c.Backend = be
		}
	}})
	st, _, err := nodes["AP_FR_01"].Submit(context.Background(), submission("backend-1", "urn:uuid:5d2f6e44-44b5-4b43-9f4c-8b1f1b0d6a11"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.MessageID != st.MessageID || len(m.Payloads) != 1 || !bytes.Contains(m.Payloads[0].Data, []byte("QueryRequest")) {
			t.Fatalf("delivered %+v", m.Header)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("message not delivered to the backend")
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if calls[st.MessageID] != 2 {
		t.Fatalf("Deliver called %d times, want 2 (one failure, one success)", calls[st.MessageID])
	}

}

// TestSubmitRefusesTextXMLCannotCarry: a submission with a character XML
// does not allow, or invalid UTF-8, is refused with the field named.
func TestSubmitRefusesTextXMLCannotCarry(t *testing.T) {
	fr := newNet(t, netOptions{})["AP_FR_01"]
	for _, tc := range []struct {
		field string
		edit  func(*ap.Submission)
	}{
		{"conversationId", func(s *ap.Submission) { s.ConversationID = "a\x01b" }},
		{"properties[1].value", func(s *ap.Submission) { s.Properties[1].Value = "\xff" }},
		{"payloads[0].contentId", func(s *ap.Submission) { s.Payloads[0].ContentID = "x\uFFFE" }},
		{"payloads[0].properties[0].name", func(s *ap.Submission) {
			s.Payloads[0].Properties = []ap.Property{{Name: "n\x00", Value: "v"}}
		}},
	} {
		s := submission("", "q")
		tc.edit(s)
		_, _, err := fr.Submit(context.Background(), s)
		if !errors.Is(err, ap.ErrInvalidSubmission) || !strings.Contains(err.Error(), tc.field+" ") {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	s := submission("", "q")
	s.ConversationID = "a\tb"
	if _, _, err := fr.Submit(context.Background(), s); err != nil {
		t.Errorf("a tab: %v", err)
	}
}

// TestAPIChosenMessageID: a backend may choose the eb:MessageId of what it
// submits over the REST API (ebMS3 Core §5.2.2.1); the partner receives it
// under that id. An id another message has is 409 with that message's
// Location, one that is no RFC 5322 msg-id 422 naming messageId.
func TestAPIChosenMessageID(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	const id = "order-7.a@backend.example"
	sub := submission("", "chosen")
	sub.MessageID = id
	var st ap.Status
	var e struct{ Error string }
	req := func(s *ap.Submission, out any, header ...string) (int, string) {
		t.Helper()
		code, h := apiHeader(t, fr, "POST", "/api/v1/messages", s, out, header...)
		return code, h.Get("Location")
	}
	if code, loc := req(sub, &st, "Idempotency-Key", "k-7"); code != http.StatusAccepted || st.MessageID != id || loc != "/api/v1/messages/"+id {
		t.Fatalf("submit with messageId: HTTP %d, Location %q, %+v", code, loc, st)
	}
	// The same submission again (same key): its status, as any retry.
	if code, _ := req(sub, &st, "Idempotency-Key", "k-7"); code != http.StatusOK || st.MessageID != id {
		t.Errorf("retry with the same key: HTTP %d %+v", code, st)
	}
	// The key with another id: not that submission again, refused, with
	// the key's message's Location.
	again := submission("", "chosen")
	again.MessageID = "order-7.b@backend.example"
	if code, loc := req(again, &e, "Idempotency-Key", "k-7"); code != http.StatusConflict || loc != "/api/v1/messages/"+id || !strings.Contains(e.Error, "client key") {
		t.Errorf("the key with another id: HTTP %d, Location %q, %q", code, loc, e.Error)
	}
	// The id with another key, or none: another submission, refused.
	for _, key := range []string{"k-8", ""} {
		other := submission(key, "other")
		other.MessageID = id
		if code, loc := req(other, &e); code != http.StatusConflict || loc != "/api/v1/messages/"+id || !strings.Contains(e.Error, "taken") {
			t.Errorf("id taken, client key %q: HTTP %d, Location %q, %q", key, code, loc, e.Error)
		}
	}
	for _, bad := range []string{"no-domain", "a..b@x", "a b@x", "<a@x>", strings.Repeat("a", 250) + "@x.example"} {
		s := submission("", "bad")
		s.MessageID = bad
		if code, _ := req(s, &e); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, "messageId") {
			t.Errorf("messageId %q: HTTP %d %q, want 422 naming messageId", bad, code, e.Error)
		}
	}
	if got := waitState(t, fr, id, 15*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("status %+v", got)
	}
	// The partner has it under the chosen id.
	if m, err := de.Received(context.Background(), id); err != nil || m.MessageID != id || m.From != "AP_FR_01" || len(m.Payloads) != 1 {
		t.Fatalf("received: %+v, %v", m, err)
	}
	if _, err := fr.Status(context.Background(), "nope@x"); err == nil {
		t.Error("a status of an id never submitted")
	}
}

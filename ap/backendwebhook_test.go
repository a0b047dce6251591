package ap_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/wssec"
)

// choosyBackend takes the received messages whose payload holds "mine" and
// the failure reports whose client key starts "mine:"; it answers
// ap.ErrNotForBackend, wrapped, for the others.
type choosyBackend struct {
	mu       sync.Mutex
	got      map[string]int
	failures map[string]int
}

func (b *choosyBackend) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	if len(m.Payloads) == 0 || !bytes.Contains(m.Payloads[0].Data, []byte("mine")) {
		return fmt.Errorf("message %s: %w", m.MessageID, ap.ErrNotForBackend)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got[m.MessageID]++
	return nil
}

func (b *choosyBackend) SendFailed(ctx context.Context, f *ap.SendFailure) error {
	if len(f.ClientKey) < 5 || f.ClientKey[:5] != "mine:" {
		return ap.ErrNotForBackend
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures[f.MessageID]++
	return nil
}

// TestBackendAndWebhook: a node with both an in-process backend and a
// webhook hands each received message to the backend, and pushes to the
// webhook, signed, exactly those the backend answers ErrNotForBackend for;
// nothing is pushed twice or lost, and every message counts as delivered.
func TestBackendAndWebhook(t *testing.T) {
	const secret = "0123456789abcdef-webhook"
	hook, srv := newBackend(t, secret)
	hook.fail.Store(1) // the webhook is busy once: the push is retried
	be := &choosyBackend{got: map[string]int{}, failures: map[string]int{}}
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) {
		if name == "AP_DE_01" {
			c.Backend, c.Webhook = be, &ap.Webhook{URL: srv.URL, Secret: []byte(secret)}
		}
	}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	mine, others := map[string]bool{}, map[string]bool{}
	for i := range 6 {
		which := "other"
		if i%2 == 0 {
			which = "mine"
		}
		st, _, err := fr.Submit(context.Background(), submission(fmt.Sprint(which, i), fmt.Sprint(which, "-", i)))
		if err != nil {
			t.Fatal(err)
		}
		if which == "mine" {
			mine[st.MessageID] = true
		} else {
			others[st.MessageID] = true
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, _ := de.db.Count(context.Background())
		if c.Inbound["delivered|no"] == 6 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if c, _ := de.db.Count(context.Background()); c.Inbound["delivered|no"] != 6 {
		t.Fatalf("DE delivery states %v, want 6 delivered", c.Inbound)
	}
	be.mu.Lock()
	for id := range mine {
		if be.got[id] != 1 {
			t.Errorf("the backend got %s %d times, want once", id, be.got[id])
		}
	}
	if len(be.got) != len(mine) {
		t.Errorf("the backend got %d messages, want %d", len(be.got), len(mine))
	}
	be.mu.Unlock()
	hook.mu.Lock()
	for id := range others {
		if hook.pushes[id] != 1 {
			t.Errorf("the webhook got %s %d times, want once", id, hook.pushes[id])
		}
	}
	if len(hook.pushes) != len(others) || hook.bad != 0 {
		t.Errorf("the webhook got %d messages (%d badly signed), want %d", len(hook.pushes), hook.bad, len(others))
	}
	hook.mu.Unlock()
}

// TestFailureBackendAndWebhook: a send failure the in-process backend does
// not take (ap.ErrNotForBackend) is pushed to the webhook as a signed
// send-failed event; one it takes is not.
func TestFailureBackendAndWebhook(t *testing.T) {
	const secret = "0123456789abcdef-failures"
	var mu sync.Mutex
	pushed := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := ap.VerifyWebhook([]byte(secret), r, b, time.Now(), time.Minute); err != nil || r.Header.Get(ap.HeaderEvent) != ap.EventSendFailed {
			http.Error(w, "bad push", http.StatusBadRequest)
			return
		}
		mu.Lock()
		pushed[r.Header.Get(ap.HeaderMessageID)]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	be := &choosyBackend{got: map[string]int{}, failures: map[string]int{}}
	nodes := refusingNet(t, sqliteDSN, func(c *ap.Config) {
		c.Backend, c.Webhook = be, &ap.Webhook{URL: srv.URL, Secret: []byte(secret)}
	})
	fr := nodes["AP_FR_01"]
	taken, _, err := fr.Submit(context.Background(), submission("mine:1", "x"))
	if err != nil {
		t.Fatal(err)
	}
	passed, _, err := fr.Submit(context.Background(), submission("theirs:1", "y"))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, fr, taken.MessageID, 10*time.Second)
	waitState(t, fr, passed.MessageID, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := pushed[passed.MessageID]
		mu.Unlock()
		be.mu.Lock()
		m := be.failures[taken.MessageID]
		be.mu.Unlock()
		if n > 0 && m > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	be.mu.Lock()
	defer be.mu.Unlock()
	if pushed[passed.MessageID] != 1 || pushed[taken.MessageID] != 0 || len(pushed) != 1 {
		t.Errorf("the webhook got failures %v, want %s once", pushed, passed.MessageID)
	}
	if be.failures[taken.MessageID] != 1 || len(be.failures) != 1 {
		t.Errorf("the backend got failures %v, want %s once", be.failures, taken.MessageID)
	}
}

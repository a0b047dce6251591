package ap_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// brokenStore is a test double of the store whose writes fail while
// broken is set, as on a full disk or a read-only database (cmd/oots's
// TestServeDiskFull fills a real filesystem where the machine allows it).
type brokenStore struct {
	*store.DB
	broken atomic.Bool
}

var errDiskFull = errors.New("database or disk is full (test double)")

func (b *brokenStore) Writable(ctx context.Context, node string, now time.Time) error {
	if b.broken.Load() {
		return errDiskFull
	}
	return b.DB.Writable(ctx, node, now)
}

func (b *brokenStore) Receive(ctx context.Context, m *apstore.Inbound) (bool, error) {
	if b.broken.Load() {
		return false, errDiskFull
	}
	return b.DB.Receive(ctx, m)
}

func (b *brokenStore) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Inbound, error) {
	if b.broken.Load() {
		return nil, errDiskFull
	}
	return b.DB.ClaimDeliveries(ctx, owner, now, lease, limit)
}

func (b *brokenStore) ClaimOutbound(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Outbound, error) {
	if b.broken.Load() {
		return nil, errDiskFull
	}
	return b.DB.ClaimOutbound(ctx, owner, now, lease, limit)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestReadinessFollowsTheStore: while DE's store cannot write, /readyz
// fails (a ping still answers), the errors of its workers are logged a few
// times, not once per poll, and FR's messages wait; when the store can
// write again, DE is ready again without a restart and every message is
// delivered once.
func TestReadinessFollowsTheStore(t *testing.T) {
	testenv.SkipShort(t, "waits for readiness probes (seconds)")
	var broken *brokenStore
	var deLog lockedBuffer
	nodes := newNet(t, netOptions{profile: wssec.AS4v20,
		retry: &pmode.Retry{Timeout: time.Minute, Count: 200, Strategy: pmode.RetryConstant},
		edit: func(name string, c *ap.Config) {
			if name == "AP_DE_01" {
				broken = &brokenStore{DB: c.Store.(*store.DB)}
				c.Store = broken
				c.Logger = slog.New(slog.NewTextHandler(&deLog, nil))
			}
		}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	ready := func() int {
		resp, err := http.Get(de.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/readyz: HTTP %d", code)
	}
	broken.broken.Store(true)
	time.Sleep(1100 * time.Millisecond) // past the probe's cache
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with a store that cannot write: HTTP %d", code)
	}
	var ids []string
	for i := range 10 {
		st, _, err := fr.Submit(context.Background(), submission("", "w"+string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.MessageID)
	}
	time.Sleep(3 * time.Second)
	if n := strings.Count(deLog.String(), "level=ERROR"); n == 0 || n > 30 {
		t.Errorf("%d error lines in 3 s of a broken store (workers poll every 50 ms):\n%s", n, deLog.String())
	}
	broken.broken.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for ready() != http.StatusOK && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/readyz after the store recovered: HTTP %d", code)
	}
	for _, id := range ids {
		if st := waitState(t, fr, id, 30*time.Second); st.State != apstore.OutDelivered {
			t.Fatalf("%s: %+v", id, st)
		}
	}
	list, err := de.db.ListInbound(context.Background(), apstore.InboundFilter{IncludeAcked: true})
	if err != nil || len(list) != len(ids) {
		t.Fatalf("DE's inbox: %d messages, %v; want %d", len(list), err, len(ids))
	}
	if !strings.Contains(deLog.String(), "works again") {
		t.Errorf("no recovery logged:\n%s", deLog.String())
	}
}

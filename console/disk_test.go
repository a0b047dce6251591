package console_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/store"
)

// diskConsole is a console over a fresh SQLite store that watches disk.
func diskConsole(t *testing.T, disk console.DiskAlert) *console.Server {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := console.New(ctx, console.Config{DB: db, Node: noNode{}, PMode: &pmode.Config{Self: "AP_FR_01"}, LowDisk: disk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestAlertDiskLow: the bounds of the low-disk alert, its defaults (1 GiB,
// 10 %) among them, one alert per file system, and a file system whose
// space cannot be measured; the space is a test double's.
func TestAlertDiskLow(t *testing.T) {
	const gib = console.GiB
	for _, tc := range []struct {
		name           string
		minFree        int64
		minFreePercent float64
		spaces         map[string]console.Space
		errs           map[string]error
		want           map[string]string
	}{
		{name: "room", spaces: map[string]console.Space{"/data": {Free: 50 * gib, Total: 100 * gib}}, want: map[string]string{}},
		{name: "below 10 %", spaces: map[string]console.Space{"/data": {Free: 5 * gib, Total: 100 * gib}},
			want: map[string]string{"/data": "the file system of /data has 5.0 GiB free of 100.0 GiB (5.0 %), below 10 %"}},
		{name: "below 1 GiB", spaces: map[string]console.Space{"/data": {Free: 512 << 20, Total: 2 * gib}},
			want: map[string]string{"/data": "the file system of /data has 512.0 MiB free of 2.0 GiB (25.0 %), below 1.0 GiB"}},
		{name: "below both", spaces: map[string]console.Space{"/data": {Free: 512 << 20, Total: 10 * gib}},
			want: map[string]string{"/data": "the file system of /data has 512.0 MiB free of 10.0 GiB (5.0 %), below 1.0 GiB and 10 %"}},
		{name: "no bound in bytes", minFree: -1, spaces: map[string]console.Space{"/data": {Free: 512 << 20, Total: 2 * gib}}, want: map[string]string{}},
		{name: "no bound in percent", minFreePercent: -1, spaces: map[string]console.Space{"/data": {Free: 5 * gib, Total: 100 * gib}}, want: map[string]string{}},
		{name: "bounds set", minFree: 10 * gib, minFreePercent: 1, spaces: map[string]console.Space{"/data": {Free: 5 * gib, Total: 100 * gib}},
			want: map[string]string{"/data": "the file system of /data has 5.0 GiB free of 100.0 GiB (5.0 %), below 10.0 GiB"}},
		{name: "one file system", spaces: map[string]console.Space{"/data": {Free: gib, Total: 100 * gib, FS: "1"}, "/db": {Free: gib, Total: 100 * gib, FS: "1"}},
			want: map[string]string{"/data, /db": "the file system of /data, /db has 1.0 GiB free of 100.0 GiB (1.0 %), below 10 %"}},
		{name: "two file systems", spaces: map[string]console.Space{"/data": {Free: gib, Total: 100 * gib, FS: "1"}, "/db": {Free: 50 * gib, Total: 100 * gib, FS: "2"}},
			want: map[string]string{"/data": "the file system of /data has 1.0 GiB free of 100.0 GiB (1.0 %), below 10 %"}},
		{name: "not measured", spaces: map[string]console.Space{"/db": {Free: 50 * gib, Total: 100 * gib}}, errs: map[string]error{"/data": errors.New("statfs /data: permission denied")},
			want: map[string]string{"/data": "the free space of the file system of /data cannot be measured: statfs /data: permission denied"}},
		{name: "not measured here", errs: map[string]error{"/data": errors.ErrUnsupported, "/db": errors.ErrUnsupported}, want: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := diskConsole(t, console.DiskAlert{Dirs: []string{"/data", "/db/", "/data"}, MinFree: tc.minFree, MinFreePercent: tc.minFreePercent,
				// A test double of statfs(2).
				FreeSpace: func(dir string) (console.Space, error) {
					if err := tc.errs[dir]; err != nil {
						return console.Space{}, err
					}
					if sp, ok := tc.spaces[dir]; ok {
						return sp, nil
					}
					return console.Space{Free: 50 * gib, Total: 100 * gib}, nil
				}})
			if diff := cmp.Diff(tc.want, alertsOf(t, console.AlertDiskLow, srv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAlertDiskLowNotified: a file system low on space is in the metric
// and sent by webhook once while its free space keeps changing; once it
// has room again the alert clears, and when it runs low again it is sent
// again. The space is a test double's.
func TestAlertDiskLowNotified(t *testing.T) {
	var free atomic.Int64
	free.Store(512 << 20)
	var looks atomic.Int64 // calls of FreeSpace: a round of alerts makes one
	srv := diskConsole(t, console.DiskAlert{Dirs: []string{"/data"},
		// A test double of statfs(2), whose free space shrinks at each
		// look while it is low.
		FreeSpace: func(string) (console.Space, error) {
			looks.Add(1)
			f := free.Load()
			if f < console.GiB {
				free.CompareAndSwap(f, f-1<<20)
			}
			return console.Space{Free: uint64(f), Total: 4 * console.GiB}, nil
		}})
	reg := prometheus.NewRegistry()
	reg.MustRegister(srv.Collector())
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `oots_console_alerts{kind="disk_low",subject="/data"} 1`) {
		t.Errorf("the metrics lack the alert:\n%s", rec.Body.String())
	}

	var mu sync.Mutex
	var posts int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), `"kind":"disk_low"`) {
			t.Errorf("post: %s", b)
		}
		mu.Lock()
		posts++
		mu.Unlock()
	}))
	defer hook.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.RunAlerts(ctx, console.Notify{Webhook: hook.URL, Every: 20 * time.Millisecond})
	}()
	waitPosts := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			got := posts
			mu.Unlock()
			if got >= n {
				return
			}
		}
		t.Fatalf("fewer than %d posts", n)
	}
	waitPosts(1)
	time.Sleep(200 * time.Millisecond) // rounds with less and less space: nothing new to send
	free.Store(2 * console.GiB)
	// Two rounds with room (the first to finish after the space came back
	// has cleared the alert), however slow the machine.
	for seen, deadline := looks.Load(), time.Now().Add(10*time.Second); looks.Load() < seen+2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no round of alerts in 10 s")
		}
	}
	free.Store(100 << 20)
	waitPosts(2)
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if posts != 2 {
		t.Errorf("%d posts, want 2 (low, then low again after it cleared)", posts)
	}
}

// TestAlertDiskLowStatfs: statfs(2) measures a real directory: with a
// bound above any real free space the alert is raised, with one of a byte
// it is not; a directory that does not exist cannot be measured.
func TestAlertDiskLowStatfs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the free space is measured on Linux only")
	}
	dir := t.TempDir()
	got := alertsOf(t, console.AlertDiskLow, diskConsole(t, console.DiskAlert{Dirs: []string{dir}, MinFree: math.MaxInt64, MinFreePercent: -1}))
	if d := got[dir]; len(got) != 1 || !strings.HasPrefix(d, "the file system of "+dir+" has ") || !strings.HasSuffix(d, "below 8.0 EiB") ||
		strings.Contains(d, " has 0 B free of 0 B") {
		t.Errorf("a bound above the free space: %q", got)
	}
	if got := alertsOf(t, console.AlertDiskLow, diskConsole(t, console.DiskAlert{Dirs: []string{dir}, MinFree: 1, MinFreePercent: -1})); len(got) != 0 {
		t.Errorf("a bound of a byte: %q", got)
	}
	gone := filepath.Join(dir, "gone")
	got = alertsOf(t, console.AlertDiskLow, diskConsole(t, console.DiskAlert{Dirs: []string{gone}}))
	if d := got[gone]; !strings.Contains(d, "cannot be measured") || !strings.HasSuffix(d, "statfs "+gone+": "+syscall.ENOENT.Error()) {
		t.Errorf("a directory that does not exist: %q", got)
	}
}

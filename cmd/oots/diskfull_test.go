package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// smallFS mounts a tmpfs of size bytes at a new directory for the test (a
// real filesystem that fills up); it skips where mounting is not permitted
// (not root, or a container without the capability). ap's
// TestReadinessFollowsTheStore covers the same behaviour with a store that
// fails its writes, everywhere.
func smallFS(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root and CAP_SYS_ADMIN): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until the filesystem is full; it returns the
// file's name.
func fill(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return name
		}
	}
}

// TestServeDiskFull: the receiving node's data directory (SQLite database,
// spilled attachments) is on a small filesystem that fills up. /readyz
// fails while it is full, the log stays short, the sender's messages wait
// (HTTP 503, retried), and once space comes back the node recovers by
// itself: every message is delivered, none twice.
func TestServeDiskFull(t *testing.T) {
	testenv.SkipShort(t, "fills a small file system (seconds)")
	fs := smallFS(t, 24<<20)
	n := writeServeNet(t, wssec.AS4v20, "{timeout: 1m, count: 100, strategy: CONSTANT}", nil, "workers: 4\n")
	// DE's data on the small filesystem.
	cfg, err := os.ReadFile(n.configs["AP_DE_01"])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(n.configs["AP_DE_01"], []byte(strings.Replace(string(cfg), "dataDir: data-AP_DE_01", "dataDir: "+fs, 1)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	var deLog syncBuffer
	done := make(chan int, 1)
	go func() {
		env := &Env{Stdin: strings.NewReader(""), Stdout: &deLog, Stderr: &deLog, Getenv: func(string) string { return "" }}
		done <- Main(ctx, env, []string{"serve", "-config", n.configs["AP_DE_01"]})
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitReady(t, n.url("AP_DE_01", "/readyz"), &deLog)
	n.startInProcess(t, "AP_FR_01")

	ready := func() (int, string) {
		resp, err := http.Get(n.url("AP_DE_01", "/readyz"))
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	filler := fill(t, fs)
	deadline := time.Now().Add(10 * time.Second)
	code, why := ready()
	for code != http.StatusServiceUnavailable && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		code, why = ready()
	}
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with a full disk: HTTP %d %s", code, why)
	}
	t.Logf("/readyz with a full disk: %d %s", code, strings.TrimSpace(why))
	linesBefore := strings.Count(deLog.String(), "\n")
	// FR sends while DE's disk is full.
	var ids []string
	for i := range 20 {
		id, code := submitJSON(t, n.url("AP_FR_01", ""), fmt.Sprint("full-", i), fmt.Sprint("message ", i))
		if code != http.StatusAccepted {
			t.Fatalf("submit %d: HTTP %d", i, code)
		}
		ids = append(ids, id)
	}
	time.Sleep(5 * time.Second)
	lines := strings.Count(deLog.String(), "\n") - linesBefore
	if lines > 40 {
		t.Errorf("%d log lines in 5 s of full disk:\n%s", lines, deLog.String())
	}
	// Space comes back: the node recovers without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for code, _ = ready(); code != http.StatusOK && time.Now().Before(deadline); code, _ = ready() {
		time.Sleep(200 * time.Millisecond)
	}
	if code != http.StatusOK {
		t.Fatalf("/readyz after space came back: HTTP %d", code)
	}
	for _, id := range ids {
		waitDelivered(t, n.url("AP_FR_01", ""), id)
	}
	resp, err := http.Get(n.url("AP_DE_01", "/api/v1/inbox?all=true&limit=1000"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, id := range ids {
		if c := strings.Count(string(b), `"messageId":"`+id+`"`); c != 1 {
			t.Errorf("message %s is in DE's inbox %d times", id, c)
		}
	}
	t.Logf("%d log lines of DE during the full disk; all %d messages delivered once after it", lines, len(ids))
}

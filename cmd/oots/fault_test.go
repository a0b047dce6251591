package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// The fault tests run real "oots serve" processes, kill them with SIGKILL
// in the middle of a load, restart them, and check that the backend saw
// every message exactly once. They send OOTS_FAULT_MESSAGES messages per
// scenario (default 1000); -short skips them.

func faultMessages() int {
	if n, err := strconv.Atoi(os.Getenv("OOTS_FAULT_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 1000
}

// A built oots binary: the normal one, or one with the ootsfault tag.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var builtBin, builtFaultBin builtBinary

// ootsBinary builds the oots binary once per test run.
func ootsBinary(t testing.TB) string {
	t.Helper()
	return builtBin.build(t)
}

// ootsFaultBinary builds, once per test run, the oots binary with the
// ootsfault tag, whose "oots serve" and "oots demo" have a -fault flag.
func ootsFaultBinary(t testing.TB) string {
	t.Helper()
	return builtFaultBin.build(t, "-tags", "ootsfault")
}

func (b *builtBinary) build(t testing.TB, flags ...string) string {
	t.Helper()
	gobin := testenv.Tool(t, "go")
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "oots-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "oots")
		cmd := exec.Command(gobin, append(append([]string{"build"}, flags...), "-o", b.path, ".")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// proc is a running "oots serve" process.
type proc struct {
	cmd  *exec.Cmd
	log  *os.File
	name string
}

func startProc(t testing.TB, bin, config, logPath, readyURL string) *proc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-config", config)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: f, name: filepath.Base(config)}
	t.Cleanup(func() { p.kill() })
	waitReady(t, readyURL, fileString(logPath))
	return p
}

type fileString string

func (f fileString) String() string { b, _ := os.ReadFile(string(f)); return string(b) }

// kill sends SIGKILL: no shutdown, no flushing, as when a machine dies.
func (p *proc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.log.Close()
}

// faultBackend is the backend behind DE's webhook: it checks signatures
// and processes each message id once, counting repeated pushes.
type faultBackend struct {
	secret  []byte
	mu      sync.Mutex
	seen    map[string]string // message id → payload
	content map[string]int    // payload → how many distinct ids carried it
	pushes  int
	bad     int
}

func newFaultBackend(t *testing.T, secret string) (*faultBackend, string) {
	b := &faultBackend{secret: []byte(secret), seen: map[string]string{}, content: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			// The node was killed while pushing: a cut request, not a bad
			// signature; the push is repeated.
			return
		}
		if err := ap.VerifyWebhook(b.secret, r, body, time.Now(), time.Minute); err != nil {
			b.mu.Lock()
			b.bad++
			b.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var m ap.ReceivedMessage
		if err := json.Unmarshal(body, &m); err != nil || len(m.Payloads) != 1 {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.pushes++
		if _, dup := b.seen[m.MessageID]; !dup {
			b.seen[m.MessageID] = string(m.Payloads[0].Data)
			b.content[string(m.Payloads[0].Data)]++
		}
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return b, srv.URL
}

func (b *faultBackend) unique() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.seen)
}

// check verifies that the backend processed exactly the n messages
// submitted: every payload once, under one message id.
func (b *faultBackend) check(t *testing.T, n int) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) != n || b.bad != 0 {
		t.Errorf("backend processed %d messages (%d badly signed pushes), want %d", len(b.seen), b.bad, n)
	}
	for i := range n {
		c := b.content[fmt.Sprintf("<q>m%d</q>", i)]
		if c != 1 {
			t.Errorf("message m%d processed under %d message ids, want 1", i, c)
		}
	}
	t.Logf("%d messages, %d webhook pushes (%d repeated after a crash, absorbed by the message id)", len(b.seen), b.pushes, b.pushes-len(b.seen))
}

// submitAll submits messages m0 … m(n-1) through the given nodes' APIs,
// round robin, each with its client key, retrying (with the same key) until
// a node accepts it: a backend whose request was cut by a crash submits
// again, and the client key keeps it one message.
func submitAll(ctx context.Context, urls []string, n int, submitted *atomic.Int64) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				for try := 0; ctx.Err() == nil; try++ {
					url := urls[(i+try)%len(urls)]
					if _, code := submitJSON(nil, url, fmt.Sprintf("key-%d", i), fmt.Sprintf("m%d", i)); code == http.StatusAccepted || code == http.StatusOK {
						submitted.Add(1)
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// inboxCount returns how many messages a node has received (all, by API).
func inboxCount(url string) int {
	total, after := 0, int64(0)
	for {
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/inbox?all=true&limit=1000&after=%d", url, after))
		if err != nil {
			return -1
		}
		var l struct {
			Messages []struct{ Seq int64 }
			Next     int64
		}
		json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		total += len(l.Messages)
		if l.Next == 0 {
			return total
		}
		after = l.Next
	}
}

type faultNet struct {
	*serveNet
	bin     string
	backend *faultBackend
}

func newFaultNet(t *testing.T, database func(string) string) *faultNet {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests with real processes: not with -short")
	}
	bin := ootsBinary(t)
	const secret = "fault-test-webhook-secret"
	b, url := newFaultBackend(t, secret)
	// Retries every 500 ms for a minute: a killed receiver is back well
	// within it.
	n := writeServeNet(t, wssec.AS4v20, "{timeout: 1m, count: 120, strategy: CONSTANT}", database,
		fmt.Sprintf("webhook: {url: %q, secret: %q}\nworkers: 8\n", url, secret))
	// Only DE pushes to the backend.
	cfg, _ := os.ReadFile(n.configs["AP_FR_01"])
	os.WriteFile(n.configs["AP_FR_01"], []byte(strings.Split(string(cfg), "webhook:")[0]+"workers: 8\napi: {insecureOpen: true}\n"), 0o644)
	return &faultNet{serveNet: n, bin: bin, backend: b}
}

func (f *faultNet) start(t *testing.T, name string) *proc {
	return startProc(t, f.bin, f.configs[name], filepath.Join(f.dir, name+".log"), f.url(name, "/readyz"))
}

// checkDatabases has the sqlite3 program (SQLite's own build, not the one
// inside oots) check each node's database file after the load, while the
// nodes run, and count the messages the receiver stored: a witness of the
// store's state that is not the node's own API.
func (f *faultNet) checkDatabases(t *testing.T, n int) {
	t.Run("sqlite3", func(t *testing.T) {
		bin := testenv.Tool(t, "sqlite3")
		query := func(name, q string) string {
			out, err := exec.Command(bin, "-cmd", ".timeout 10000", filepath.Join(f.dir, "data-"+name, "oots.db"), q).CombinedOutput()
			if err != nil {
				t.Fatalf("sqlite3 on %s's database, %q: %v\n%s", name, q, err, out)
			}
			return strings.TrimSpace(string(out))
		}
		for _, name := range []string{"AP_FR_01", "AP_DE_01"} {
			if got := query(name, "PRAGMA integrity_check"); got != "ok" {
				t.Errorf("%s's database: integrity_check says %q", name, got)
			}
		}
		if got := query("AP_DE_01", "SELECT count(*) FROM ap_inbound"); got != strconv.Itoa(n) {
			t.Errorf("DE's database holds %s received messages, want %d", got, n)
		}
	})
}

// TestFaultKillSender: the sending node is killed while the backend
// submits; after the restart every message is delivered exactly once.
func TestFaultKillSender(t *testing.T) {
	f := newFaultNet(t, nil)
	n := faultMessages()
	fr := f.start(t, "AP_FR_01")
	f.start(t, "AP_DE_01")
	var submitted atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() { submitAll(ctx, []string{f.url("AP_FR_01", "")}, n, &submitted); close(done) }()
	waitFor(time.Minute, func() bool { return submitted.Load() >= int64(n/2) })
	fr.kill()
	t.Logf("killed the sender after %d submissions, %d delivered", submitted.Load(), f.backend.unique())
	time.Sleep(500 * time.Millisecond)
	f.start(t, "AP_FR_01")
	<-done
	if !waitFor(2*time.Minute, func() bool { return f.backend.unique() >= n }) {
		t.Logf("FR log:\n%s", tail(fileString(filepath.Join(f.dir, "AP_FR_01.log")).String()))
	}
	f.backend.check(t, n)
	if c := inboxCount(f.url("AP_DE_01", "")); c != n {
		t.Errorf("DE stored %d messages, want %d", c, n)
	}
	f.checkDatabases(t, n)
}

// TestFaultKillReceiver: the receiving node is killed during the load;
// the sender retries until it is back. The receiver's database is synced
// on every commit (sqlite:FILE?synchronous=full, the file relative to the
// configuration file), the sender's is not: a crash loses nothing with
// either.
func TestFaultKillReceiver(t *testing.T) {
	f := newFaultNet(t, func(name string) string {
		if name == "AP_DE_01" {
			return "sqlite:data-AP_DE_01/oots.db?synchronous=full"
		}
		return ""
	})
	n := faultMessages()
	f.start(t, "AP_FR_01")
	de := f.start(t, "AP_DE_01")
	var submitted atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() { submitAll(ctx, []string{f.url("AP_FR_01", "")}, n, &submitted); close(done) }()
	waitFor(time.Minute, func() bool { return f.backend.unique() >= n/3 })
	de.kill()
	t.Logf("killed the receiver after %d messages reached the backend", f.backend.unique())
	time.Sleep(2 * time.Second)
	f.start(t, "AP_DE_01")
	<-done
	if !waitFor(2*time.Minute, func() bool { return f.backend.unique() >= n }) {
		t.Logf("DE log:\n%s", tail(fileString(filepath.Join(f.dir, "AP_DE_01.log")).String()))
	}
	f.backend.check(t, n)
	if c := inboxCount(f.url("AP_DE_01", "")); c != n {
		t.Errorf("DE stored %d messages, want %d", c, n)
	}
	f.checkDatabases(t, n)
}

// TestFaultClusterPostgreSQL: two sending nodes share one PostgreSQL
// database; one is killed mid-load, and the other takes over its leased
// messages when the leases expire.
func TestFaultClusterPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests with real processes: not with -short")
	}
	pg := pgtest.Start(t)
	frDB := pg.NewDatabase(t)
	deDB := pg.NewDatabase(t)
	f := newFaultNet(t, func(name string) string {
		if name == "AP_FR_01" {
			return frDB
		}
		return deDB
	})
	n := faultMessages()
	// A second FR node: same configuration, same database, another port.
	cfg, _ := os.ReadFile(f.configs["AP_FR_01"])
	port2 := freePort(t)
	cfg2 := strings.Replace(string(cfg), fmt.Sprintf("listen: 127.0.0.1:%d", f.ports["AP_FR_01"]), fmt.Sprintf("listen: 127.0.0.1:%d", port2), 1)
	cfg2 = strings.Replace(cfg2, "dataDir: data-AP_FR_01", "dataDir: data-AP_FR_01-b", 1)
	file2 := filepath.Join(f.dir, "ap_fr_01-b.yaml")
	os.WriteFile(file2, []byte(cfg2), 0o644)
	url2 := fmt.Sprintf("http://127.0.0.1:%d", port2)

	fr1 := f.start(t, "AP_FR_01")
	startProc(t, f.bin, file2, filepath.Join(f.dir, "AP_FR_01-b.log"), url2+"/readyz")
	f.start(t, "AP_DE_01")
	var submitted atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() { submitAll(ctx, []string{f.url("AP_FR_01", ""), url2}, n, &submitted); close(done) }()
	waitFor(time.Minute, func() bool { return f.backend.unique() >= n/3 })
	fr1.kill() // not restarted: the survivor finishes the work
	t.Logf("killed one of the two senders after %d messages reached the backend", f.backend.unique())
	<-done
	if !waitFor(2*time.Minute, func() bool { return f.backend.unique() >= n }) {
		t.Logf("FR-b log:\n%s", tail(fileString(filepath.Join(f.dir, "AP_FR_01-b.log")).String()))
	}
	f.backend.check(t, n)
	if c := inboxCount(f.url("AP_DE_01", "")); c != n {
		t.Errorf("DE stored %d messages, want %d", c, n)
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

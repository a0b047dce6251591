package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// randomReader gives n pseudo-random bytes (incompressible, reproducible).
type randomReader struct {
	r *rand.ChaCha8
	n int64
}

func (r *randomReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	r.r.Read(p[:k])
	r.n -= k
	return int(k), nil
}

// streamingHook is a webhook backend that reads each push as a stream: it
// hashes the base64 content of the first payload without holding it.
type streamingHook struct {
	mu   sync.Mutex
	sums map[string][32]byte // by X-OOTS-Message-Id
	size map[string]int64
}

func (h *streamingHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	br := bufio.NewReaderSize(r.Body, 64<<10)
	// Up to the first "data":" …
	const key = `"data":"`
	window := ""
	for !strings.HasSuffix(window, key) {
		b, err := br.ReadByte()
		if err != nil {
			http.Error(w, "no data in the push", http.StatusBadRequest)
			return
		}
		window += string(b)
		if len(window) > len(key) {
			window = window[len(window)-len(key):]
		}
	}
	// … then base64 up to the closing quote.
	pr, pw := io.Pipe()
	go func() {
		for {
			chunk, err := br.ReadSlice('"')
			if len(chunk) > 0 && chunk[len(chunk)-1] == '"' {
				pw.Write(chunk[:len(chunk)-1])
				pw.Close()
				return
			}
			pw.Write(chunk)
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	hash := sha256.New()
	n, err := io.Copy(hash, base64.NewDecoder(base64.StdEncoding, pr))
	io.Copy(io.Discard, br)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get("X-OOTS-Message-Id")
	h.sums[id] = [32]byte(hash.Sum(nil))
	h.size[id] = n
}

func (h *streamingHook) got(id string) ([32]byte, int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.sums[id]
	return s, h.size[id], ok
}

// peakRSS is the peak resident memory of a process (VmHWM), in bytes.
func peakRSS(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}

// largeResult is what one run through two oots serve processes measured.
type largeResult struct {
	transfer         time.Duration // upload, send, receive, store, webhook push
	rssFR, rssDE     int64         // peak resident memory of each node
	bomb             time.Duration // a gzip bomb refused
	bombRSSDE        int64
	bombCode, bombIn string
}

// largeExchange sends one payload of size random bytes from AP_FR_01 to
// AP_DE_01, two oots serve processes on SQLite: FR's backend uploads it
// (POST /api/v1/payloads) and submits it by id, FR sends it (gzip,
// signed, encrypted), DE receives and stores it, and pushes it to a
// webhook backend that checks its SHA-256 as it streams. Then a gzip bomb
// (a gigabyte of zeros) is posted to DE. It returns the times and each
// node's peak resident memory.
func largeExchange(tb testing.TB, size int64) largeResult {
	tb.Helper()
	bin := ootsBinary(tb)
	hook := &streamingHook{sums: map[string][32]byte{}, size: map[string]int64{}}
	hs := httptest.NewServer(hook)
	tb.Cleanup(hs.Close)
	n := writeServeNet(tb, wssec.AS4v20, "{timeout: 30m, count: 3, strategy: CONSTANT}", nil,
		fmt.Sprintf("maxBodySize: %d\nwebhook: {url: %q, secret: %q}\napi: {insecureOpen: true}\n", 4<<30, hs.URL, "0123456789abcdef-large"))
	for _, name := range serveParties {
		cfg, _ := os.ReadFile(n.configs[name])
		c := strings.Replace(string(cfg), "lease: 6s\nclientTimeout: 5s", "lease: 30m\nclientTimeout: 20m", 1)
		os.WriteFile(n.configs[name], []byte(c), 0o644)
	}
	procs := map[string]*proc{}
	for _, name := range serveParties {
		procs[name] = startProc(tb, bin, n.configs[name], filepath.Join(n.dir, name+".log"), n.url(name, "/readyz"))
	}
	var res largeResult
	start := time.Now()
	// Upload, streaming and hashing.
	want := sha256.New()
	src := io.TeeReader(&randomReader{r: rand.NewChaCha8([32]byte{1}), n: size}, want)
	req, _ := http.NewRequest(http.MethodPost, n.url("AP_FR_01", "/api/v1/payloads"), src)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	var up struct{ PayloadID string }
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("upload: HTTP %d", resp.StatusCode)
	}
	sub, _ := json.Marshal(map[string]any{"leg": "ootsRequestLeg", "to": "AP_DE_01",
		"properties": []map[string]string{{"name": "originalSender", "value": "FR-1"}, {"name": "finalRecipient", "value": "DE-1"}},
		"payloads":   []map[string]any{{"mimeType": "application/octet-stream", "payloadId": up.PayloadID}}})
	resp, err = http.Post(n.url("AP_FR_01", "/api/v1/messages"), "application/json", bytes.NewReader(sub))
	if err != nil {
		tb.Fatal(err)
	}
	var st struct{ MessageID string }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		tb.Fatalf("submit: HTTP %d", resp.StatusCode)
	}
	deadline := time.Now().Add(time.Duration(size/(1<<20)+60) * time.Second)
	for {
		if sum, got, ok := hook.got(st.MessageID); ok {
			if got != size || sum != [32]byte(want.Sum(nil)) {
				tb.Fatalf("the webhook got %d bytes, SHA-256 %x; sent %d bytes", got, sum, size)
			}
			break
		}
		if time.Now().After(deadline) {
			state, attempts := getStatus(tb, n.url("AP_FR_01", ""), st.MessageID)
			tb.Fatalf("the payload did not reach the webhook (FR: %s after %d attempts)\nFR:\n%s\nDE:\n%s", state, attempts,
				fileString(filepath.Join(n.dir, "AP_FR_01.log")), fileString(filepath.Join(n.dir, "AP_DE_01.log")))
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.transfer = time.Since(start)
	res.rssFR = peakRSS(tb, procs["AP_FR_01"].cmd.Process.Pid)
	res.rssDE = peakRSS(tb, procs["AP_DE_01"].cmd.Process.Pid)

	// A gzip bomb from FR's credentials, straight to DE's endpoint.
	pmb, _ := os.ReadFile(filepath.Join(n.dir, "pmode.yaml"))
	pm, err := pmode.Parse(pmb)
	if err != nil {
		tb.Fatal(err)
	}
	pm.Self = "AP_FR_01"
	fr, err := pki.LoadParty(n.dir, "AP_FR_01")
	if err != nil {
		tb.Fatal(err)
	}
	de, err := pki.LoadParty(n.dir, "AP_DE_01")
	if err != nil {
		tb.Fatal(err)
	}
	s := &as4.Sender{PMode: pm, SigningKey: fr.Sign.Signer(), SigningCert: fr.Sign.Cert, PeerCert: de.Encrypt.Cert, TempDir: tb.TempDir()}
	bomb, err := s.Pack(&as4.Outbound{Leg: "ootsRequestLeg", To: "AP_DE_01",
		Properties: []as4.Property{{Name: "originalSender", Value: "FR-1"}, {Name: "finalRecipient", Value: "DE-1"}},
		Payloads:   []as4.Payload{{MimeType: "application/xml", Open: func() (io.ReadCloser, error) { return io.NopCloser(&zeroReader{1 << 30}), nil }}}})
	if err != nil {
		tb.Fatal(err)
	}
	defer bomb.Close()
	start = time.Now()
	a, err := s.Post(tb.Context(), bomb, n.url("AP_DE_01", "/as4"))
	res.bomb = time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := as4.ReadSignal(a.ContentType, bytes.NewReader(a.Body), nil)
	if err == nil && len(sig.Errors) > 0 {
		res.bombCode, res.bombIn = string(sig.Errors[0].Code), sig.Errors[0].Detail
	}
	res.bombRSSDE = peakRSS(tb, procs["AP_DE_01"].cmd.Process.Pid)
	return res
}

type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// maxNodeRSS is the bound on each node's peak resident memory, whatever
// the payload's size.
const maxNodeRSS = 64 << 20

// TestLargePayloadMemory: a payload of 128 MiB (OOTS_LARGE_MB to change
// it; the benchmark sends 1 GiB) goes through two oots serve processes and
// a webhook without either node's resident memory passing 64 MiB, and a
// gigabyte gzip bomb is refused with EBMS:0303 in under a second.
func TestLargePayloadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves a large payload through two processes")
	}
	mb := int64(128)
	if v, err := strconv.ParseInt(os.Getenv("OOTS_LARGE_MB"), 10, 64); err == nil && v > 0 {
		mb = v
	}
	res := largeExchange(t, mb<<20)
	t.Logf("%d MiB: %s; peak RSS FR %d MiB, DE %d MiB; bomb refused in %s (%s), DE peak RSS %d MiB",
		mb, res.transfer.Round(time.Millisecond), res.rssFR>>20, res.rssDE>>20, res.bomb.Round(time.Millisecond), res.bombCode, res.bombRSSDE>>20)
	if res.rssFR > maxNodeRSS || res.rssDE > maxNodeRSS || res.bombRSSDE > maxNodeRSS {
		t.Errorf("peak RSS FR %d MiB, DE %d MiB (%d after the bomb): more than %d MiB", res.rssFR>>20, res.rssDE>>20, res.bombRSSDE>>20, maxNodeRSS>>20)
	}
	if res.bombCode != string(as4.DecompressionFailure) || res.bomb > time.Second {
		t.Errorf("the gzip bomb: %s (%s) after %s, want EBMS:0303 in under a second", res.bombCode, res.bombIn, res.bomb)
	}
}

// BenchmarkLargePayload: 1 GiB (random) through two oots serve processes
// and a webhook; reports the transfer time and each node's peak resident
// memory.
//
//	go test ./cmd/oots -run '^$' -bench LargePayload -benchtime 1x -timeout 30m
func BenchmarkLargePayload(b *testing.B) {
	for range b.N {
		res := largeExchange(b, 1<<30)
		b.ReportMetric(res.transfer.Seconds(), "s/GiB")
		b.ReportMetric(float64(res.rssFR>>20), "MiB-RSS-FR")
		b.ReportMetric(float64(res.rssDE>>20), "MiB-RSS-DE")
		b.ReportMetric(float64(res.bomb.Milliseconds()), "ms-bomb")
	}
}

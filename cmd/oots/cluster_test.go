package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/internal/testenv"
)

// The cluster test runs the example of ap/examples/cluster: two oots serve
// processes of AP_FR_01 on one PostgreSQL database and one data directory,
// behind a real HAProxy started with the repository's haproxy.cfg as it
// is. A partner, AP_DE_01, posts to the balancer's AS4 endpoint while a
// backend submits through the balancer's API; one node is killed with
// SIGKILL in the middle. Every message of each direction must arrive
// exactly once. OOTS_CLUSTER_MESSAGES sets the messages per direction
// (default 200); -short skips the test.

func clusterMessages() int {
	if n, err := strconv.Atoi(os.Getenv("OOTS_CLUSTER_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 200
}

// apiClient calls a node's backend API with its token.
type apiClient struct {
	base, token string
	http        *http.Client
}

func (a *apiClient) do(method, path string, body any, v any) (int, error) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil && resp.StatusCode/100 == 2 {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// submitEach submits messages prefix0 … prefix(n-1) through the API,
// retrying each with its client key until it is accepted: a submission cut
// by a crash is repeated, and the key keeps it one message.
func (a *apiClient) submitEach(ctx context.Context, n int, leg, to, prefix string, submitted *atomic.Int64) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				sub := map[string]any{"clientKey": fmt.Sprintf("%s-%d", prefix, i), "leg": leg, "to": to,
					"properties": []map[string]string{{"name": "originalSender", "value": "urn:test:s"}, {"name": "finalRecipient", "value": "urn:test:r"}},
					"payloads":   []map[string]any{{"mimeType": "application/xml", "data": []byte(fmt.Sprintf("<m>%s%d</m>", prefix, i))}}}
				for ctx.Err() == nil {
					if code, _ := a.do(http.MethodPost, "/api/v1/messages", sub, nil); code == http.StatusAccepted || code == http.StatusOK {
						submitted.Add(1)
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
}

// received returns how many times each payload was received, over every
// message of the inbox (acknowledged or not). It returns nil when the API
// does not answer.
func (a *apiClient) received() map[string]int {
	out := map[string]int{}
	after := int64(0)
	for {
		var l struct {
			Messages []struct{ MessageID string }
			Next     int64
		}
		if code, err := a.do(http.MethodGet, fmt.Sprintf("/api/v1/inbox?all=true&limit=1000&after=%d", after), nil, &l); err != nil || code != 200 {
			return nil
		}
		for _, m := range l.Messages {
			var full struct{ Payloads []struct{ Data []byte } }
			if code, err := a.do(http.MethodGet, "/api/v1/inbox/"+m.MessageID, nil, &full); err != nil || code != 200 || len(full.Payloads) != 1 {
				return nil
			}
			out[string(full.Payloads[0].Data)]++
		}
		if l.Next == 0 {
			return out
		}
		after = l.Next
	}
}

// count returns how many messages the inbox holds (-1 when it does not
// answer).
func (a *apiClient) count() int {
	total, after := 0, int64(0)
	for {
		var l struct {
			Messages []struct{ Seq int64 }
			Next     int64
		}
		if code, err := a.do(http.MethodGet, fmt.Sprintf("/api/v1/inbox?all=true&limit=1000&after=%d", after), nil, &l); err != nil || code != 200 {
			return -1
		}
		total += len(l.Messages)
		if l.Next == 0 {
			return total
		}
		after = l.Next
	}
}

// checkOnce requires each of the n payloads prefix0 … once, and nothing else.
func checkOnce(t *testing.T, who string, got map[string]int, prefix string, n int) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: the inbox did not answer", who)
	}
	total := 0
	for i := range n {
		c := got[fmt.Sprintf("<m>%s%d</m>", prefix, i)]
		total += c
		if c != 1 {
			t.Errorf("%s: %s%d received %d times, want once", who, prefix, i, c)
		}
	}
	if total != len(got) || len(got) != n {
		t.Errorf("%s: %d distinct payloads received, want %d", who, len(got), n)
	}
}

func TestClusterHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test with real processes, PostgreSQL and HAProxy: not with -short")
	}
	haproxy := testenv.Sbin(t, "haproxy", "haproxy")
	root := testenv.RepoRoot(t)
	haproxyCfg := filepath.Join(root, "ap/examples/cluster/haproxy.cfg")
	pg := pgtest.Start(t)
	db := pg.NewDatabase(t)
	start := time.Now()
	bin := ootsBinary(t)
	n := clusterMessages()
	t.Logf("%v: binary built", time.Since(start).Round(time.Millisecond))

	dir := t.TempDir()
	addr := func() string { return fmt.Sprintf("127.0.0.1:%d", freePort(t)) }
	lbAS4, lbAPI, node1, node2, deAddr := addr(), addr(), addr(), addr(), addr()
	run := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("oots %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	fr, de := filepath.Join(dir, "fr"), filepath.Join(dir, "de")
	// The cluster is one node as partners see it: one name, one set of
	// keys, the balancer's endpoint.
	run("init", "-dir", fr, "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", node1, "-endpoint", "http://"+lbAS4+"/as4")
	run("init", "-dir", de, "-name", "AP_DE_01", "-profile", "as4-2.0", "-listen", deAddr)
	run("partner", "add", "-config", filepath.Join(de, "oots.yaml"), "-name", "AP_FR_01", "-endpoint", "http://"+lbAS4+"/as4", "-cert", filepath.Join(fr, "AP_FR_01.partner.pem"))
	run("partner", "add", "-config", filepath.Join(fr, "oots.yaml"), "-name", "AP_DE_01", "-endpoint", "http://"+deAddr+"/as4", "-cert", filepath.Join(de, "AP_DE_01.partner.pem"))
	// Retries every second for two minutes (a message cut by the crash is
	// sent again soon), and leases of a few seconds (a killed node's
	// claimed messages go to the other soon).
	for _, d := range []string{fr, de} {
		edit(t, filepath.Join(d, "pmode.yaml"), "retry: {timeout: 12m, count: 4, strategy: CONSTANT}", "retry: {timeout: 2m, count: 120, strategy: CONSTANT}")
		edit(t, filepath.Join(d, "oots.yaml"), "log: {level: info, format: json}", "log: {level: warn, format: json}\nlease: 6s\nclientTimeout: 5s\npollInterval: 100ms")
	}
	cfg1 := filepath.Join(fr, "oots.yaml")
	edit(t, cfg1, "dataDir: data ", fmt.Sprintf("database: %q\ndataDir: data ", db))
	b, _ := os.ReadFile(cfg1)
	cfg2 := filepath.Join(fr, "node2.yaml")
	if err := os.WriteFile(cfg2, bytes.Replace(b, []byte("listen: "+node1), []byte("listen: "+node2), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{cfg1, cfg2, filepath.Join(de, "oots.yaml")} {
		run("doctor", "-config", c, "-offline")
	}

	p1 := startProc(t, bin, cfg1, filepath.Join(dir, "node1.log"), "http://"+node1+"/readyz")
	startProc(t, bin, cfg2, filepath.Join(dir, "node2.log"), "http://"+node2+"/readyz")
	startProc(t, bin, filepath.Join(de, "oots.yaml"), filepath.Join(dir, "de.log"), "http://"+deAddr+"/readyz")

	// HAProxy with the repository's configuration, as it is.
	lbLog := filepath.Join(dir, "haproxy.log")
	env := append(os.Environ(), "OOTS_LB_AS4="+lbAS4, "OOTS_LB_API="+lbAPI, "OOTS_NODE1="+node1, "OOTS_NODE2="+node2)
	if out, err := (&exec.Cmd{Path: haproxy, Args: []string{haproxy, "-c", "-f", haproxyCfg}, Env: env}).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	lf, err := os.Create(lbLog)
	if err != nil {
		t.Fatal(err)
	}
	lb := &exec.Cmd{Path: haproxy, Args: []string{haproxy, "-db", "-f", haproxyCfg}, Env: env, Stdout: lf, Stderr: lf,
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}}
	if err := lb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Process.Kill(); lb.Wait(); lf.Close() })
	waitReady(t, "http://"+lbAPI+"/readyz", fileString(lbLog))
	t.Logf("%v: nodes and HAProxy ready", time.Since(start).Round(time.Millisecond))
	// The public frontend serves AS4 only.
	if resp, err := http.Get("http://" + lbAS4 + "/api/v1/inbox"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the backend API through the public frontend: %v %v", resp.Status, err)
	} else {
		resp.Body.Close()
	}

	token := func(cfg string) string {
		c, err := readServeConfig(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.API.Token
	}
	client := &http.Client{Timeout: 20 * time.Second}
	frAPI := &apiClient{base: "http://" + lbAPI, token: token(cfg1), http: client}
	deAPI := &apiClient{base: "http://" + deAddr, token: token(filepath.Join(de, "oots.yaml")), http: client}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var frSubmitted, deSubmitted atomic.Int64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); frAPI.submitEach(ctx, n, "ootsRequestLeg", "AP_DE_01", "fr", &frSubmitted) }()
	go func() { defer wg.Done(); deAPI.submitEach(ctx, n, "ootsResponseLeg", "AP_FR_01", "de", &deSubmitted) }()
	// The kill comes once a fifth of one direction is through: both are
	// under way.
	waitFor(2*time.Minute, func() bool { return deAPI.count() >= n/5 || frAPI.count() >= n/5 })
	p1.kill()
	t.Logf("%v: killed node 1 (SIGKILL) with %d and %d submitted, %d and %d received", time.Since(start).Round(time.Millisecond), frSubmitted.Load(), deSubmitted.Load(), deAPI.count(), frAPI.count())
	wg.Wait()
	t.Logf("%v: all submitted", time.Since(start).Round(time.Millisecond))
	last := time.Now()
	if !waitFor(3*time.Minute, func() bool {
		d, f := deAPI.count(), frAPI.count()
		if time.Since(last) > 10*time.Second {
			t.Logf("%v: %d and %d received", time.Since(start).Round(time.Millisecond), d, f)
			last = time.Now()
		}
		return d >= n && f >= n
	}) {
		t.Logf("node 2 log:\n%s\nHAProxy log:\n%s", tail(fileString(filepath.Join(dir, "node2.log")).String()), tail(fileString(lbLog).String()))
	}
	t.Logf("%v: all received", time.Since(start).Round(time.Millisecond))
	time.Sleep(time.Second) // a late duplicate would show now
	checkOnce(t, "AP_DE_01 (from the cluster)", deAPI.received(), "fr", n)
	checkOnce(t, "AP_FR_01 (the cluster, through HAProxy)", frAPI.received(), "de", n)
}

// edit replaces old by new in a file, everywhere; old must be there.
func edit(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s: %q not found", file, old)
	}
	if err := os.WriteFile(file, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o600); err != nil {
		t.Fatal(err)
	}
}

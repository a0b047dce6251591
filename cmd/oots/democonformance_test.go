package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/fault"
)

// demoProc is an "oots demo" child process.
type demoProc struct {
	cmd    *exec.Cmd
	target string // the DE node's target file, from the start lines
	out    *syncBuffer
}

// demoPorts finds a first port whose range (the Common Services, SMP, DNS,
// tester and n nodes: port … port+10n+3) is free now.
func demoPorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := 20000 + 10*rand.IntN(4000)
		free := true
		for off := 0; off < 10*(n+1)+4 && free; off++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+off))
			if err != nil {
				free = false
				break
			}
			ln.Close()
			if off == 2 { // the DNS server listens on UDP too
				pc, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(base+off))
				if err != nil {
					free = false
					break
				}
				pc.Close()
			}
		}
		if free {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// startDemo runs "oots demo" for the countries (comma-separated) as a child
// process until the test ends and waits for the line that gives the kit's
// command.
func startDemo(t *testing.T, bin, countries string, extra ...string) *demoProc {
	t.Helper()
	var lastErr string
	for attempt := 0; attempt < 3; attempt++ {
		dir := t.TempDir()
		port := demoPorts(t, strings.Count(countries, ",")+1)
		args := append([]string{"demo", "-dir", dir, "-port", strconv.Itoa(port), "-countries", countries}, extra...)
		cmd := exec.Command(bin, args...)
		out := &syncBuffer{}
		cmd.Stderr = out
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &demoProc{cmd: cmd, out: out}
		found := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				line := sc.Text()
				out.Write([]byte(line + "\n"))
				if _, rest, ok := strings.Cut(line, "oots conformance run -target "); ok {
					target, _, _ := strings.Cut(rest, " ")
					found <- target
				}
			}
			io.Copy(io.Discard, stdout)
			close(found)
		}()
		select {
		case target, ok := <-found:
			if ok {
				p.target = target
				t.Cleanup(p.stop)
				return p
			}
		case <-time.After(60 * time.Second):
		}
		p.stop()
		lastErr = out.String()
	}
	t.Fatalf("oots demo did not start:\n%s", lastErr)
	return nil
}

// stop interrupts the demo as Ctrl-C does and waits for it.
func (p *demoProc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// TestDemoConformance: against each node of an "oots demo" running in
// another process, reached only through its public endpoints, "oots
// conformance run -target CC.yaml" (the file the demo writes) passes every
// case of the as4-receive, as4-send, common-services, edm and edm-requester
// suites, none skipped, in under a minute, and writes its reports. Then, against demos
// started with each deliberate defect (-fault, in a binary built with the
// ootsfault tag), the AS4 suites fail the
// intended case with its reason.
func TestDemoConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds oots and starts demo networks")
	}
	start := time.Now()
	bin := ootsBinary(t)
	demo := startDemo(t, bin, "DE,FR,FI,SE")
	t.Logf("oots demo started in %s", time.Since(start).Round(time.Millisecond))

	run := time.Now()
	code, out, stdout := runKit(t, []string{"conformance", "run", "-target", demo.target})
	if d := time.Since(run); d > time.Minute {
		t.Errorf("the run took %s, more than a minute", d)
	}
	if code != 0 {
		t.Errorf("exit %d, want 0\n%s", code, demo.out.String())
	}
	res := junitResult(t, filepath.Join(out, "junit.xml"))
	want := []string{"AS4-01", "AS4-02", "AS4-03", "AS4-04", "AS4-05", "AS4-06", "AS4-07", "AS4-08", "AS4-09", "AS4-10",
		"AS4-S1", "AS4-S2", "AS4-S3", "AS4-S4", "AS4-S5", "AS4-S6"}
	for i := 1; i <= 13; i++ {
		want = append(want, fmt.Sprintf("CS-%02d", i))
	}
	for i := 1; i <= 10; i++ {
		want = append(want, fmt.Sprintf("TC%02d", i))
	}
	for i := 1; i <= 4; i++ {
		want = append(want, fmt.Sprintf("RQ%02d", i))
	}
	for _, id := range want {
		if res[id] != "pass" {
			t.Errorf("%s: %q, want pass", id, res[id])
		}
	}
	if len(res) != len(want) {
		t.Errorf("%d cases in the report, want %d: %v", len(res), len(want), res)
	}
	if !strings.Contains(stdout, "0 failed, 0 skipped") || !strings.Contains(stdout, "readiness level: technically ready") {
		t.Errorf("the summary is not every case passed, technically ready:\n%s", stdout)
	}
	for _, f := range []string{"junit.xml", "report.html", "report.fr.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("report %s: %v", f, err)
		}
	}

	// The kit as a Domibus node would be (eDeliveryAS4Policy_BST, no
	// Timestamp): the AS4 suites pass alike.
	code, _, stdout = runKitQuiet(t, []string{"conformance", "run", "-target", demo.target, "-peer", "domibus",
		"-scenarios", "", "-requester-api", "", "-cs", ""})
	if code != 0 || !strings.Contains(stdout, "0 failed, 0 skipped") {
		t.Errorf("the kit as a Domibus peer: exit %d, want 0 with every case passed\n%s", code, stdout)
	}

	// A token on the command line overrides the target file's: a wrong one
	// is refused by the node's backend API.
	code, out, _ = runKit(t, []string{"conformance", "run", "-target", demo.target, "-api-token", "wrong", "-listen", "none",
		"-scenarios", "", "-requester-api", "", "-cs", ""})
	if code != 1 {
		t.Errorf("with a wrong API token: exit %d, want 1", code)
	}
	if r := junitResult(t, filepath.Join(out, "junit.xml"))["AS4-02"]; !strings.HasPrefix(r, "fail: ") || !strings.Contains(r, "401") {
		t.Errorf("with a wrong API token, AS4-02: %q, want a failure naming HTTP 401", r)
	}

	// The other nodes too: FR, FI (whose data services speak EDM 2.0 to a
	// requester that does; the kit asks in 1.0) and SE (the standard
	// profile, reached by the others through dynamic discovery).
	for _, cc := range []string{"FR", "FI", "SE"} {
		target := filepath.Join(filepath.Dir(demo.target), cc+".yaml")
		code, out, stdout := runKitQuiet(t, []string{"conformance", "run", "-target", target})
		if code != 0 || !strings.Contains(stdout, "0 failed, 0 skipped") {
			t.Errorf("%s node: exit %d, want 0 with every case passed\n%s", cc, code, stdout)
		}
		if res := junitResult(t, filepath.Join(out, "junit.xml")); len(res) != len(want) {
			t.Errorf("%s node: %d cases in the report, want %d", cc, len(res), len(want))
		}
	}
	demo.stop()
	t.Logf("healthy nodes and wrong token: %s", time.Since(start).Round(time.Millisecond))

	// The faults, each in its own demo, two at a time.
	if len(faultCases) != len(fault.Names()) {
		t.Fatalf("%d faults tested, %d exist", len(faultCases), len(fault.Names()))
	}
	faultBin := ootsFaultBinary(t)
	var mu sync.Mutex
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, tc := range faultCases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(tc.fault, func(t *testing.T) {
				d := startDemo(t, faultBin, "DE,FR", "-fault", tc.fault)
				args := []string{"conformance", "run", "-target", d.target, "-scenarios", "", "-requester-api", "", "-cs", ""}
				if !tc.send {
					args = append(args, "-listen", "none")
				}
				code, out, _ := runKitQuiet(t, args)
				d.stop()
				mu.Lock()
				defer mu.Unlock()
				if code != 1 {
					t.Errorf("exit %d, want 1", code)
				}
				res := junitResult(t, filepath.Join(out, "junit.xml"))
				if !strings.HasPrefix(res[tc.id], "fail: ") || !strings.Contains(res[tc.id], tc.reason) {
					t.Errorf("%s: %q, want a failure saying %q", tc.id, res[tc.id], tc.reason)
				}
			})
		}()
	}
	wg.Wait()
	t.Logf("the whole test: %s", time.Since(start).Round(time.Millisecond))
}

// runKitQuiet runs the kit in this process and logs only its summary.
func runKitQuiet(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr syncBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, append(args, "-out", out))
	summary := ""
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.Contains(l, " passed, ") || strings.HasPrefix(l, "fail ") {
			summary += "\n" + l
		}
	}
	t.Logf("conformance run: exit %d%s\n%s", code, summary, stderr.String())
	return code, out, stdout.String()
}

// TestConformanceTargetErrors: a wrong target file exits 2 with a sentence
// naming the file and the field.
func TestConformanceTargetErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad field", "timeout: soon\n", "timeout"},
		{"unknown field", "nodes: AP-DE\n", "nodes"},
		{"token file missing", "apiTokenFile: missing-token\n", "apiTokenFile"},
		{"pmode missing", "pmode: missing.yaml\nkeys: .\n", "-pmode"},
		{"tls anchors missing", "tlsCA: missing.pem\ncs: https://127.0.0.1:1/\ncsTrust: missing.pem\n", "-tls-ca"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr syncBuffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
			code := Main(context.Background(), env, []string{"conformance", "run", "-target", file, "-out", t.TempDir()})
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message naming %s", code, stderr.String(), tc.want)
			}
		})
	}
	// A flag given on the command line wins over the file.
	file := filepath.Join(dir, "override.yaml")
	os.WriteFile(file, []byte("previewLogin: demo\n"), 0o644)
	var stdout, stderr syncBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	if code := Main(context.Background(), env, []string{"conformance", "run", "-target", file, "-preview-login", "browser", "-out", t.TempDir()}); code != 2 ||
		!strings.Contains(stderr.String(), `-preview-login: "browser"`) {
		t.Errorf("exit %d, stderr %q; want the flag's value refused", code, stderr.String())
	}
}

// TestDemoConformanceAcceptance: "oots demo -sr-env acc" (Common Services
// that publish the identifiers of the acceptance environment of the
// Semantic Repository, every node speaking EDM 2.0) is tested by the kit
// from the target files it writes (srEnvironment: acc): every case of every
// suite passes against each node, the evidence exchange scenarios and the
// node's requests being EDM 2.0 with sr.acc.… identifiers.
func TestDemoConformanceAcceptance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds oots and starts a demo network")
	}
	bin := ootsBinary(t)
	demo := startDemo(t, bin, "DE,FR,FI", "-sr-env", "acc")
	for _, cc := range []string{"DE", "FR", "FI"} {
		target := filepath.Join(filepath.Dir(demo.target), cc+".yaml")
		b, err := os.ReadFile(target)
		if err != nil {
			t.Fatal(err)
		}
		scen, err := os.ReadFile(filepath.Join(filepath.Dir(demo.target), cc+"-scenarios.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "srEnvironment: acc") || !strings.Contains(string(b), "requesterVersion: oots-edm:v2.0") ||
			!strings.Contains(string(scen), "version: oots-edm:v2.0") || !strings.Contains(string(scen), "https://sr.acc.oots.tech.ec.europa.eu/") {
			t.Fatalf("%s: the kit's files are not those of the acceptance environment:\n%s\n%s", cc, b, scen)
		}
		code, out, stdout := runKitQuiet(t, []string{"conformance", "run", "-target", target})
		if code != 0 || !strings.Contains(stdout, "0 failed, 0 skipped") {
			t.Errorf("%s node: exit %d, want 0 with every case passed\n%s", cc, code, stdout)
		}
		if res := junitResult(t, filepath.Join(out, "junit.xml")); len(res) != 43 {
			t.Errorf("%s node: %d cases in the report, want 43", cc, len(res))
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/wssec"
)

// conformanceNet is a node under test (AP_FR_01, started with "oots serve")
// and the files the kit needs to be its partner AP_DE_01: the same P-Mode
// and AP_DE_01's credentials; the kit listens on AP_DE_01's port.
func conformanceNet(t *testing.T, defect string) (*serveNet, []string) {
	return conformanceNetProfile(t, wssec.AS4v115, defect)
}

func conformanceNetProfile(t *testing.T, profile wssec.Profile, defect string) (*serveNet, []string) {
	t.Helper()
	n := writeServeNet(t, profile, "{timeout: 20s, count: 20, strategy: CONSTANT}", nil,
		"maxBodySize: 1048576\napi: {token: conformance-token}\n")
	startServe(t, n, "AP_FR_01", defect)
	args := []string{"conformance", "run",
		"-target-as4", n.url("AP_FR_01", "/as4"), "-target-api", n.url("AP_FR_01", ""), "-api-token", "conformance-token",
		"-pmode", filepath.Join(n.dir, "pmode.yaml"), "-self", "AP_DE_01", "-node", "AP_FR_01", "-leg", "ootsRequestLeg",
		"-keys", n.dir, "-max-body", "1048576", "-timeout", "15s"}
	return n, args
}

// startServe runs "oots serve" (optionally with a deliberate defect, named
// as package internal/fault does) in this process until the test ends; the
// kit reaches it only over HTTP.
func startServe(t *testing.T, n *serveNet, name, defect string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	args := []string{"serve", "-config", n.configs[name]}
	go func() {
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stderr, Stderr: &stderr, Getenv: func(string) string { return "" }, fault: fault.Must(defect)}
		done <- Main(ctx, env, args)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("oots serve %s: exit %d\n%s", name, code, stderr.String())
		}
	})
	waitReady(t, n.url(name, "/readyz"), &stderr)
}

// startCSFile runs "oots cs serve" with the demo data on a free port and
// returns its base URL and the file of its signing CA.
func startCSFile(t *testing.T) (string, string) {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "cs-ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan string, 1)
	out := &lineWriter{line: lines}
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, &Env{Stdout: out, Stderr: &stderr, Getenv: os.Getenv}, []string{"cs", "serve", "-addr", "127.0.0.1:0", "-trust-out", ca})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("oots cs serve: exit %d: %s", code, stderr.String())
		}
	})
	select {
	case line := <-lines:
		return strings.TrimPrefix(line, "listening on "), ca
	case code := <-done:
		t.Fatalf("oots cs serve: exit %d: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("oots cs serve printed no address: %s", stderr.String())
	}
	return "", ""
}

// junitResult reads the status and message of every case of a JUnit report.
func junitResult(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml: %v\n%s", err, b)
	}
	out := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			id, _, _ := strings.Cut(c.Name, " ")
			switch {
			case c.Failure != nil:
				out[id] = "fail: " + c.Failure.Message
			case c.Skipped != nil:
				out[id] = "skip: " + c.Skipped.Message
			default:
				out[id] = "pass"
			}
		}
	}
	return out
}

func runKit(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	start := time.Now()
	code := Main(context.Background(), env, append(args, "-out", out))
	t.Logf("conformance run: exit %d in %s\n%s%s", code, time.Since(start).Round(time.Millisecond), stdout.String(), stderr.String())
	return code, out, stdout.String()
}

// TestConformanceHealthyNode: against a correct "oots serve" node and
// "oots cs serve", every case passes and the level is intermediate (the
// edm suite needs a whole OOTS node).
func TestConformanceHealthyNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(profile), func(t *testing.T) { healthyNode(t, profile) })
	}
}

func healthyNode(t *testing.T, profile wssec.Profile) {
	_, args := conformanceNetProfile(t, profile, "")
	base, caFile := startCSFile(t)
	args = append(args, "-cs", base, "-cs-trust", caFile)
	start := time.Now()
	code, out, stdout := runKit(t, args)
	if d := time.Since(start); d > 45*time.Second {
		t.Errorf("the run took %s, more than 45 s", d)
	}
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	res := junitResult(t, filepath.Join(out, "junit.xml"))
	want := []string{"AS4-01", "AS4-02", "AS4-03", "AS4-04", "AS4-05", "AS4-06", "AS4-07", "AS4-08", "AS4-09", "AS4-10",
		"AS4-S1", "AS4-S2", "AS4-S3", "AS4-S4", "AS4-S5", "AS4-S6"}
	for i := 1; i <= 13; i++ {
		want = append(want, fmt.Sprintf("CS-%02d", i))
	}
	for _, id := range want {
		if res[id] != "pass" {
			t.Errorf("%s: %q, want pass", id, res[id])
		}
	}
	if !strings.Contains(stdout, "readiness level: intermediate") {
		t.Errorf("the level is not intermediate:\n%s", stdout)
	}
	for _, f := range []string{"report.html", "report.fr.html"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{`<html lang="`, `class="skip" href="#cases"`, "AS4-S4", "intermediate"} {
			if !bytes.Contains(b, []byte(s)) {
				t.Errorf("%s lacks %q", f, s)
			}
		}
	}
}

// faultCases are the deliberate defects of an access point (package
// internal/fault) with the case of the kit each must fail and the reason it
// must give.
var faultCases = []struct {
	fault, id, reason string
	send              bool // the case is of the as4-send suite: the kit listens
}{
	{fault.UnsignedReceipt, "AS4-01", "the receipt's signature does not verify", false},
	{fault.WrongReceiptRef, "AS4-01", "the receipt does not match the message", false},
	{fault.NoDedup, "AS4-02", "is delivered 2 times in the node's inbox, expected once", false},
	{fault.ErrorUnsigned, "AS4-09", "is not validly signed", false},
	{fault.AcceptBadSignature, "AS4-03", "expected an ebMS Error signal EBMS:0101, got HTTP 200", false},
	{fault.AnySigner, "AS4-10", "expected an ebMS Error signal EBMS:0101, got a receipt", false},
	{fault.AnyReceiptSigner, "AS4-S6", "as proof of delivery", true},
}

// TestConformanceFaults: against "oots serve" with each deliberate defect,
// the intended case fails with a precise reason, and the run exits 1.
func TestConformanceFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nodes")
	}
	if len(faultCases) != len(fault.Names()) {
		t.Fatalf("%d faults tested, %d exist", len(faultCases), len(fault.Names()))
	}
	for _, tc := range faultCases {
		t.Run(tc.fault, func(t *testing.T) {
			_, args := conformanceNet(t, tc.fault)
			if !tc.send {
				args = append(args, "-listen", "none")
			}
			code, out, _ := runKit(t, args)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			res := junitResult(t, filepath.Join(out, "junit.xml"))
			if !strings.HasPrefix(res[tc.id], "fail: ") || !strings.Contains(res[tc.id], tc.reason) {
				t.Errorf("%s: %q, want a failure saying %q", tc.id, res[tc.id], tc.reason)
			}
		})
	}
}

// TestConformanceUsage: wrong invocations exit 2 with a sentence naming
// what is wrong.
func TestConformanceUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: oots-edm:v9\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"conformance"}, "usage: oots conformance run"},
		{[]string{"conformance", "run", "-out", dir}, "nothing to test"},
		{[]string{"conformance", "run", "-out", dir, "-target-as4", "http://127.0.0.1:1/as4"}, "-target-as4 and -target-api need -pmode"},
		{[]string{"conformance", "run", "-out", dir, "-cs", "http://127.0.0.1:1/"}, "-cs needs -cs-trust"},
		{[]string{"conformance", "run", "-out", dir, "-pmode", filepath.Join(dir, "missing.yaml"), "-keys", dir}, "-pmode: open"},
		{[]string{"conformance", "run", "-out", dir, "-scenarios", bad}, "-scenarios needs -pmode"},
		{[]string{"conformance", "run", "-pmode", "x"}, "usage: oots conformance run"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}, tc.args)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestConformanceScenarios: with -scenarios the edm suite runs through the
// kit's access point after the AS4 suites, on the same listening address.
// "oots serve" alone is an access point without an evidence provider: it
// accepts the request (a valid receipt) and nobody answers, so the
// scenario fails for want of an answer, and the report says so.
func TestConformanceScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n, args := conformanceNet(t, "")
	file := filepath.Join(n.dir, "scenarios.yaml")
	os.WriteFile(file, []byte(`version: oots-edm:v1.0
procedure: R1
to: AP_FR_01
requester: {scheme: "urn:cef.eu:names:identifier:EAS:9930", id: DE-ER-1, name: Standesamt Test}
requirement: {id: "https://sr.oots.tech.europa.eu/requirements/7e3c2a10-4c1f-4b55-9a4e-2f8c9d0e1a2b", name: Proof of birth}
evidenceType: {classification: "https://sr.oots.tech.europa.eu/evidencetypeclassifications/FR/1c9e8b52-2a3d-4f61-8b7e-5d4c3b2a1f00"}
scenarios:
  - {id: TC01, providers: [{scheme: "urn:cef.eu:names:identifier:EAS:0009", id: FR-EP-R1, name: Mairie}], person: {familyName: Martin, givenName: Camille, dateOfBirth: "1988-02-29"}, timeout: 1s}
`), 0o644)
	code, out, stdout := runKit(t, append(args, "-scenarios", file, "-edm-legs", "ootsRequestLeg,ootsResponseLeg,ootsResponseLeg"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	res := junitResult(t, filepath.Join(out, "junit.xml"))
	if res["AS4-S5"] != "pass" || !strings.HasPrefix(res["TC01"], "fail: no answer to ") {
		t.Errorf("AS4-S5 %q, TC01 %q; want pass, and a failure for want of an answer", res["AS4-S5"], res["TC01"])
	}
	if !strings.Contains(stdout, "readiness level: preliminary") || !strings.Contains(stdout, "suite common-services was not run") {
		t.Errorf("the summary:\n%s", stdout)
	}
}

// TestConformanceWrongToken: with a token the node refuses, every case
// that needs the backend API fails and says why.
func TestConformanceWrongToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	_, args := conformanceNet(t, "")
	for i, a := range args {
		if a == "conformance-token" {
			args[i] = "wrong-token"
		}
	}
	code, out, _ := runKit(t, args)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	res := junitResult(t, filepath.Join(out, "junit.xml"))
	for id, want := range map[string]string{
		"AS4-01": "pass",
		"AS4-02": "fail: listing the node's inbox: GET /api/v1/inbox",
		"AS4-S1": "fail: submitting to the node: POST /api/v1/messages: HTTP 401",
		"AS4-S5": "fail: the submission to the node failed (AS4-S1)",
	} {
		if !strings.HasPrefix(res[id], want) {
			t.Errorf("%s: %q, want %q…", id, res[id], want)
		}
	}
}

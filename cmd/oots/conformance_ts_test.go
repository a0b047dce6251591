package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoConformanceTestingServices: "oots conformance run -mode
// testing-services" against a node of an "oots demo" in another process
// cross-validates every message pair the edm and edm-requester suites
// exchanged — responses and errors against their requests, second requests
// against the first, the node's messages against their ebMS headers — and
// every pair holds; the readiness report names the six Acceleratormeter
// levels, the P7 scenarios, and what no run can show.
func TestDemoConformanceTestingServices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds oots and starts a demo network")
	}
	bin := ootsBinary(t)
	demo := startDemo(t, bin, "DE,FR")
	code, out, stdout := runKit(t, []string{"conformance", "run", "-target", demo.target, "-mode", "testing-services"})
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	res := junitResult(t, filepath.Join(out, "junit.xml"))
	kinds := map[string]int{}
	for id, r := range res {
		if !strings.HasPrefix(id, "XV-") {
			continue
		}
		if r != "pass" {
			t.Errorf("%s: %s", id, r)
		}
		kinds[strings.SplitN(strings.TrimPrefix(id, "XV-"), "-", 2)[0][:2]]++
	}
	// Pairs from both directions: the kit as requester (TC…) and as
	// provider (RQ…).
	if kinds["TC"] < 10 || kinds["RQ"] < 4 {
		t.Errorf("cross-validated pairs per suite: %v; want pairs of every TC and RQ case", kinds)
	}
	for _, kind := range []string{"response-request", "error-request", "second-first", "header-payload"} {
		if !strings.Contains(stdout, kind+" of case") {
			t.Errorf("no %s pair cross-validated", kind)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "readiness.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, s := range []string{"| initial | yes", "| preliminary | yes", "| intermediate | yes", "| technically ready | yes",
		"| first live transactions | no", "| end-user transactions | no", "P7-RQ03", "outside what a test kit can observe"} {
		if !strings.Contains(md, s) {
			t.Errorf("readiness.md does not say %q:\n%s", s, md)
		}
	}
	if !strings.Contains(stdout, "Acceleratormeter technically ready: reached") {
		t.Errorf("the summary does not name the Acceleratormeter level reached:\n%s", stdout)
	}
}

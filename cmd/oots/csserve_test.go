package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/trust"
)

// lineWriter hands the first line written to it to its channel line
// (buffered: the write does not wait), which the test reads while the
// command writes on.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	sent bool
	line chan string // set once, before the first write
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if i := bytes.IndexByte(w.buf.Bytes(), '\n'); i >= 0 && !w.sent {
		w.line <- string(w.buf.Bytes()[:i])
		w.sent = true
	}
	return len(p), nil
}

// startCS runs "oots cs serve" with args on a free port and returns its base
// URL and the trust store of its signatures.
func startCS(t *testing.T, args ...string) (string, *trust.Store) {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{line: make(chan string, 1)}
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, &Env{Stdout: out, Stderr: &stderr, Getenv: os.Getenv}, append([]string{"cs", "serve", "-addr", "127.0.0.1:0", "-trust-out", ca}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	})
	var line string
	select {
	case line = <-out.line:
	case code := <-done:
		t.Fatalf("exit %d: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no address printed: %s", stderr.String())
	}
	base := strings.TrimPrefix(line, "listening on ")
	roots, err := trust.LoadFiles(ca)
	if err != nil {
		t.Fatal(err)
	}
	return base, roots
}

func TestCSServeDemo(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "lcm-tokens")
	if err := os.WriteFile(tokens, []byte("# token country party\noperator-token-0123456789 - operator\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, roots := startCS(t, "-lcm", "-lcm-tokens", tokens, "-db", filepath.Join(t.TempDir(), "oots.db"))
	c, err := csclient.New(csclient.Config{EBURL: base, DSDURL: base, Trust: roots})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reqs, err := c.Requirements(ctx, "S1", "SE")
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requirements: %v", err)
	}
	rq, err := c.EvidenceTypes(ctx, reqs[0].Identifier.Value, "SE")
	if err != nil {
		t.Fatal(err)
	}
	classification := rq.EvidenceTypeList[0].EvidenceType[0].EvidenceTypeClassification
	ds, err := c.DataServices(ctx, classification, "SE", nil)
	if err != nil || len(ds) != 1 {
		t.Fatalf("data services: %v", err)
	}
	// The Semantic Repository resolves the classification URI.
	resp, err := http.Get(base + "/sr" + strings.TrimPrefix(classification, "https://sr.oots.tech.europa.eu"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("semantic repository: %v %v", resp, err)
	}
	resp.Body.Close()
	// LCM: the TDD submission, then its requirement is answered.
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/lcm/5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(base+"/lcm", "application/x-ebrs+xml", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("LCM without a token: HTTP %d, want 401", resp.StatusCode)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/lcm", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer operator-token-0123456789")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "ResponseStatusType:Success") {
		t.Fatalf("LCM: %s", body)
	}
	if _, err := c.EvidenceTypes(ctx, "https://sr.oots.tech.europa.eu/requirements/315cfd75-6605-49c4-b0fe-799833b41099", "DE"); err != nil {
		t.Errorf("submitted requirement: %v", err)
	}
}

func TestCSServeUsage(t *testing.T) {
	var stderr bytes.Buffer
	env := &Env{Stdout: io.Discard, Stderr: &stderr, Getenv: os.Getenv}
	for _, args := range [][]string{{"cs"}, {"cs", "serve", "-key", "k.pem"}, {"cs", "serve", "-data", "/nonexistent", "-addr", "127.0.0.1:0"},
		{"cs", "serve", "-lcm", "-addr", "127.0.0.1:0"}, {"cs", "serve", "-as4", "oots.yaml", "-lcm-party", "AP-DE=de", "-addr", "127.0.0.1:0"}} {
		if code := Main(context.Background(), env, args); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestCSServeAnswersValidate: the answers of "oots cs serve" (1.x form, demo
// data) pass "oots validate" (structure, code lists and the official rule
// files).
func TestCSServeAnswersValidate(t *testing.T) {
	base, _ := startCS(t)
	dir := t.TempDir()
	get := func(name, query string) string {
		resp, err := http.Get(base + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := []string{
		get("eb-req.xml", "/eb/rest/search?queryId=urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction&procedure-id=T2&country-code=FI"),
		get("eb-err.xml", "/eb/rest/search?queryId=urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction&procedure-id=T2&country-code=IS"),
		get("dsd-err.xml", "/dsd/rest/search?queryId=urn:fdc:oots:dsd:ebxml-regrep:queries:dataservices-by-evidencetype-and-jurisdiction&evidence-type-classification=https://sr.oots.tech.europa.eu/evidencetypeclassifications/FI/00000000-0000-4000-8000-000000000000&country-code=FI"),
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), &Env{Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv}, append([]string{"validate"}, files...)); code != 0 {
		t.Errorf("oots validate: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

// TestCSServeCaptures: "oots cs serve -data" bulk-loads captured answers of
// the Commission's services, and answers the captured queries with the
// same registry content.
func TestCSServeCaptures(t *testing.T) {
	data := t.TempDir()
	for _, n := range []string{"eb_evidence_types_fr.xml", "dsd_data_services_fi.xml"} {
		b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/common_services/"+n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base, roots := startCS(t, "-data", data, "-tolerate-2.0-content")
	c, err := csclient.New(csclient.Config{EBURL: base, DSDURL: base, Trust: roots})
	if err != nil {
		t.Fatal(err)
	}
	rq, err := c.EvidenceTypes(context.Background(), "https://sr.acc.oots.tech.ec.europa.eu/requirements/00000000-0000-0000-0000-000000000000", "FR")
	if err != nil {
		t.Fatal(err)
	}
	if len(rq.ReferenceFramework) != 41 || len(rq.EvidenceTypeList) != 1 || rq.EvidenceTypeList[0].Jurisdiction[0].AdminUnitLevel1 != "FR" {
		t.Errorf("%d reference frameworks, %d lists; want the capture's 41 and 1 (FR)", len(rq.ReferenceFramework), len(rq.EvidenceTypeList))
	}
	ds, err := c.DataServices(context.Background(), "https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/FI/19f0783e-7cdc-4146-9ff9-e331514ffb74", "FI", nil)
	if err != nil || len(ds) != 1 || ds[0].AccessService[0].Identifier.Value != "AP_FI_03" {
		t.Errorf("data services: %v", err)
	}
}

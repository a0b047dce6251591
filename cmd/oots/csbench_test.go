package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/internal/testenv"
)

// BenchmarkCSLoad measures the Common Services under load from a second
// process (wrk, 2 threads, 32 connections, 5 s, Accept-Version oots-cs:v2.0):
// queries per second and p99 latency of an Evidence Broker query and a DSD
// query on the demo data set, with the registry in SQLite and in PostgreSQL,
// beside a bare net/http handler that writes the same EB answer as the
// ceiling; with the answer cache (repeated identical queries, the default)
// and without it (every answer built and signed). Run: go test ./cmd/oots -run XXX -bench CSLoad -benchtime 1x
func BenchmarkCSLoad(b *testing.B) {
	wrk := testenv.Tool(b, "wrk")
	sqlite := func(b *testing.B) string { return filepath.Join(b.TempDir(), "oots.db") }
	postgres := func(b *testing.B) string { return pgtest.Start(b).NewDatabase(b) }
	backends := []struct {
		name, cache string
		dsn         func(b *testing.B) string
	}{
		{"sqlite", "1m", sqlite},
		{"postgres", "1m", postgres},
		{"sqlite-uncached", "-1s", sqlite},
		{"postgres-uncached", "-1s", postgres},
	}
	ebQuery := "/eb/rest/search?" + url.Values{"queryId": {"urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction"}, "procedure-id": {"R1"}, "country-code": {"DE"}}.Encode()
	var ebAnswer []byte
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			base, _ := startCSB(b, "-db", be.dsn(b), "-answer-cache", be.cache)
			dsdQuery := "/dsd/rest/search?" + url.Values{"queryId": {"urn:fdc:oots:dsd:ebxml-regrep:queries:dataservices-by-evidencetype-and-jurisdiction"},
				"evidence-type-classification": {demoClassification(b, base)}, "country-code": {"FR"}}.Encode()
			if ebAnswer == nil {
				ebAnswer = fetch(b, base+ebQuery)
			}
			b.Run("eb", func(b *testing.B) { runWrk(b, wrk, base+ebQuery) })
			b.Run("dsd", func(b *testing.B) { runWrk(b, wrk, base+dsdQuery) })
		})
	}
	b.Run("bare-net-http", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ebrs+xml")
			w.Write(ebAnswer)
		}))
		defer srv.Close()
		runWrk(b, wrk, srv.URL+ebQuery)
	})
}

// startCSB is startCS for benchmarks.
func startCSB(b *testing.B, args ...string) (string, string) {
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{line: make(chan string, 1)}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, &Env{Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" }},
			append([]string{"cs", "serve", "-addr", "127.0.0.1:0", "-trust-out", filepath.Join(dir, "ca.pem")}, args...))
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case line := <-out.line:
		return strings.TrimPrefix(line, "listening on "), dir
	case code := <-done:
		b.Fatalf("cs serve exited %d", code)
	}
	return "", ""
}

func fetch(b *testing.B, u string) []byte {
	resp, err := http.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// demoClassification returns the classification of the FR residence
// certificate of the demo data, through the Evidence Broker.
func demoClassification(b *testing.B, base string) string {
	body := string(fetch(b, base+"/eb/rest/search?"+url.Values{"queryId": {"urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction"}, "procedure-id": {"S1"}}.Encode()))
	m := regexp.MustCompile(`https://sr.oots.tech.europa.eu/requirements/[0-9a-f-]+`).FindString(body)
	body = string(fetch(b, base+"/eb/rest/search?"+url.Values{"queryId": {"urn:fdc:oots:eb:ebxml-regrep:queries:evidence-types-by-requirement-and-jurisdiction"}, "requirement-id": {m}, "country-code": {"FR"}}.Encode()))
	c := regexp.MustCompile(`https://sr.oots.tech.europa.eu/evidencetypeclassifications/FR/[0-9a-f-]+`).FindString(body)
	if c == "" {
		b.Fatal("no FR classification in the demo data")
	}
	return c
}

var (
	wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP99 = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)`)
	wrkErr = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: .*`)
)

func runWrk(b *testing.B, wrk, u string) {
	out, err := exec.Command(wrk, "-t2", "-c32", "-d5s", "--latency", "-H", "Accept-Version: oots-cs:v2.0", u).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	rps := wrkRPS.FindSubmatch(out)
	p99 := wrkP99.FindSubmatch(out)
	if rps == nil || p99 == nil {
		b.Fatalf("wrk output not understood:\n%s", out)
	}
	if e := wrkErr.Find(out); e != nil {
		b.Errorf("wrk: %s", e)
	}
	r, _ := strconv.ParseFloat(string(rps[1]), 64)
	l, _ := strconv.ParseFloat(string(p99[1]), 64)
	l *= map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[string(p99[2])]
	b.ReportMetric(r, "req/s")
	b.ReportMetric(l, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

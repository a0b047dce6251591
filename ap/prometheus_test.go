package ap_test

import (
	"context"
	"github.com/oots-go/oots/ap/apstore"

	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/internal/testenv"
)

// TestPrometheusScrapesDashboard has a real Prometheus server (Debian's
// prometheus package) scrape a node's /metrics with the API token, and runs
// every query of the example Grafana dashboard (docs/grafana/oots.json)
// against it: each must return data.
func TestPrometheusScrapesDashboard(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	bin := testenv.Tool(t, "prometheus")
	const token = "a-long-metrics-token-0123456789"
	// FR hands the receipts of its messages to a backend, for the series
	// of receipt hand-offs.
	nodes := newNet(t, netOptions{edit: func(name string, c *ap.Config) {
		if name == "AP_FR_01" {
			c.APIToken = token
			c.Backend = &receiptRecorder{}
		}
	}})
	fr := nodes["AP_FR_01"]
	target := strings.TrimPrefix(fr.url, "http://")

	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: oots
    metrics_path: /metrics
    authorization:
      credentials: %q
    static_configs:
      - targets: [%q]
`, token, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logs, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	prom := "http://" + addr

	// Prometheus scrapes the node (up == 1 proves the token was accepted).
	waitQuery(t, prom, `up{job="oots"} == 1`, 30*time.Second, logs.Name())

	// Traffic after the first scrape, so that rates and histograms have
	// two samples to compare.
	ctx := context.Background()
	st, _, err := fr.Submit(ctx, submission("k1", "q1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("FR → DE: %+v", got)
	}
	waitHandOff(t, fr.db, st.MessageID, 15*time.Second)
	resp := submission("", "r1")
	resp.Leg, resp.To, resp.RefToMessageID = "ootsResponseLeg", "AP_FR_01", st.MessageID
	st2, _, err := nodes["AP_DE_01"].Submit(ctx, resp)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, nodes["AP_DE_01"], st2.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("DE → FR: %+v", got)
	}

	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "grafana", "oots.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("docs/grafana/oots.json: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			waitQuery(t, prom, q.Expr, 30*time.Second, logs.Name())
		}
	}

	// The values are the node's: one delivered attempt, its receipt handed
	// to the backend and none waiting, a certificate valid for about two
	// years, a live process.
	for expr, check := range map[string]func(float64) bool{
		`sum(oots_ap_send_attempts_total{partner="AP_DE_01",state="delivered"})`:                        func(v float64) bool { return v == 1 },
		`(oots_ap_certificate_not_after_seconds{role="own-signing",party="AP_FR_01"} - time()) / 86400`: func(v float64) bool { return v > 300 && v < 1000 },
		`process_resident_memory_bytes{job="oots"}`:                                                     func(v float64) bool { return v > 1<<20 },
		`sum(oots_ap_outbound_messages{partner="AP_DE_01",state="delivered"})`:                          func(v float64) bool { return v == 1 },
		`max(oots_ap_outbound_oldest_queued_age_seconds{partner="AP_DE_01"})`:                           func(v float64) bool { return v == 0 },
		`sum(oots_ap_received_total{partner="AP_DE_01",result="accepted",job="oots"})`:                  func(v float64) bool { return v == 1 },
		`count(oots_ap_certificate_not_after_seconds{role=~"trust-anchor|partner-encryption"})`:         func(v float64) bool { return v == 2 },
		`sum(oots_ap_receipt_hand_offs_total{result="handed_over",job="oots"}) == 1`:                    func(v float64) bool { return v == 1 },
		`sum(oots_ap_receipt_hand_offs_total{result="failed",job="oots"})`:                              func(v float64) bool { return v == 0 },
		`max(oots_ap_receipt_hand_offs_pending{job="oots"}) == 0`:                                       func(v float64) bool { return v == 0 },
	} {
		v := waitQuery(t, prom, expr, 30*time.Second, logs.Name())
		if !check(v) {
			t.Errorf("%s = %v", expr, v)
		}
	}
}

// waitQuery runs an instant query until it returns at least one series, and
// gives the value of the first.
func waitQuery(t *testing.T, prom, expr string, timeout time.Duration, logs string) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(expr))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			var r struct {
				Status string
				Data   struct {
					Result []struct {
						Value [2]any
					}
				}
			}
			if json.Unmarshal(b, &r) == nil && r.Status == "success" && len(r.Data.Result) > 0 {
				s, _ := r.Data.Result[0].Value[1].(string)
				v, _ := strconv.ParseFloat(s, 64)
				return v
			}
		} else {
			last = err.Error()
		}
		time.Sleep(250 * time.Millisecond)
	}
	out, _ := os.ReadFile(logs)
	t.Fatalf("query %s: no data after %s; last answer %s\nprometheus:\n%s", expr, timeout, last, out)
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

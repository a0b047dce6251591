package ap

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The metrics are written by hand in the Prometheus text exposition format
// (version 0.0.4): counters and histograms kept in memory by this process,
// gauges of the queues read from the store at each scrape.

type counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64
}

func newCounter(name, help string, labels ...string) *counter {
	return &counter{name: name, help: help, labels: labels, values: map[string]float64{}}
}

func (c *counter) inc(values ...string) {
	k := strings.Join(values, "\x00")
	c.mu.Lock()
	c.values[k]++
	c.mu.Unlock()
}

func (c *counter) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range sortedKeys(c.values) {
		fmt.Fprintf(w, "%s%s %s\n", c.name, labelString(c.labels, strings.Split(k, "\x00")), formatFloat(c.values[k]))
	}
}

// buckets are the latency buckets in seconds.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

type histogram struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	series     map[string]*series
}

type series struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func newHistogram(name, help string, labels ...string) *histogram {
	return &histogram{name: name, help: help, labels: labels, series: map[string]*series{}}
}

func (h *histogram) observe(v float64, values ...string) {
	k := strings.Join(values, "\x00")
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[k]
	if s == nil {
		s = &series{counts: make([]uint64, len(buckets))}
		h.series[k] = s
	}
	for i, b := range buckets {
		if v <= b {
			s.counts[i]++
			break
		}
	}
	s.sum += v
	s.count++
}

func (h *histogram) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.series))
	for k := range h.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := h.series[k]
		vals := strings.Split(k, "\x00")
		var cum uint64
		for i, b := range buckets {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelString(append(h.labels, "le"), append(vals, formatFloat(b))), cum)
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelString(append(h.labels, "le"), append(vals, "+Inf")), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelString(h.labels, vals), formatFloat(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelString(h.labels, vals), s.count)
	}
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func labelString(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(values) {
			v = values[i]
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(v))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

type metrics struct {
	submitted      *counter
	sent           *counter
	received       *counter
	webhook        *counter
	sendSeconds    *histogram
	receiveSeconds *histogram
	webhookSeconds *histogram
	// failureReports and failureReportSeconds: deliveries of failure
	// reports to the webhook or backend.
	failureReports       *counter
	failureReportSeconds *histogram
}

func newMetrics() *metrics {
	return &metrics{
		submitted:            newCounter("oots_ap_submitted_total", "Messages submitted by the backend.", "partner", "leg"),
		sent:                 newCounter("oots_ap_send_attempts_total", "Sending attempts by result state (delivered, queued for a retry, failed).", "partner", "leg", "state"),
		received:             newCounter("oots_ap_received_total", "Received user messages by result (accepted, duplicate, rejected_EBMS:xxxx, store_error).", "partner", "leg", "result"),
		webhook:              newCounter("oots_ap_webhook_pushes_total", "Webhook pushes by result.", "result"),
		sendSeconds:          newHistogram("oots_ap_send_seconds", "Duration of a successful sending attempt: pack, post, receipt verified.", "partner", "leg"),
		receiveSeconds:       newHistogram("oots_ap_receive_seconds", "Duration of receiving a message up to the receipt.", "partner", "leg"),
		webhookSeconds:       newHistogram("oots_ap_webhook_seconds", "Duration of a webhook push."),
		failureReports:       newCounter("oots_ap_failure_report_deliveries_total", "Deliveries of send failure reports to the webhook or backend by result.", "result"),
		failureReportSeconds: newHistogram("oots_ap_failure_report_seconds", "Duration of delivering a send failure report."),
	}
}

func (n *Node) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := n.metrics
	m.submitted.write(w)
	m.sent.write(w)
	m.received.write(w)
	m.webhook.write(w)
	m.sendSeconds.write(w)
	m.receiveSeconds.write(w)
	m.webhookSeconds.write(w)
	m.failureReports.write(w)
	m.failureReportSeconds.write(w)
	writeRevocationMetrics(w, n.partners.Load().Trust)
	writeCertificateMetrics(w, n)
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	c, err := n.cfg.Store.Count(ctx)
	if err != nil {
		fmt.Fprintf(w, "# store unavailable: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Fprintf(w, "# HELP oots_ap_outbound_messages Submitted messages in the store by partner, leg and state.\n# TYPE oots_ap_outbound_messages gauge\n")
	for _, k := range sortedInt(c.Outbound) {
		fmt.Fprintf(w, "oots_ap_outbound_messages%s %d\n", labelString([]string{"partner", "leg", "state"}, strings.Split(k, "|")), c.Outbound[k])
	}
	fmt.Fprintf(w, "# HELP oots_ap_inbound_messages Received messages in the store by webhook delivery state and acknowledgement.\n# TYPE oots_ap_inbound_messages gauge\n")
	for _, k := range sortedInt(c.Inbound) {
		fmt.Fprintf(w, "oots_ap_inbound_messages%s %d\n", labelString([]string{"delivery", "acknowledged"}, strings.Split(k, "|")), c.Inbound[k])
	}
	fmt.Fprintf(w, "# HELP oots_ap_failure_reports Send failure reports in the store by delivery state (pending, delivered, none: nobody to tell).\n# TYPE oots_ap_failure_reports gauge\n")
	for _, k := range sortedInt(c.Failures) {
		fmt.Fprintf(w, "oots_ap_failure_reports%s %d\n", labelString([]string{"delivery"}, []string{k}), c.Failures[k])
	}
}

func sortedInt(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

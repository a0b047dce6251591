package ap

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oots-go/oots/ap/apstore"
)

// The metrics of a node are kept by the Prometheus client library in a
// registry of the node's own (never the library's global one, so that two
// nodes in one process, as in the demo, do not mix their series): counters
// and histograms of this process, the process and Go runtime collectors,
// and collectors that read the queues from the store and the certificates
// from the configuration at each scrape. Other parts of the node add their
// collectors with Node.MetricsRegisterer or Config.Collectors.

// buckets are the latency buckets in seconds.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

type metrics struct {
	registry       *prometheus.Registry
	submitted      *prometheus.CounterVec
	sent           *prometheus.CounterVec
	received       *prometheus.CounterVec
	webhook        *prometheus.CounterVec
	sendSeconds    *prometheus.HistogramVec
	receiveSeconds *prometheus.HistogramVec
	webhookSeconds prometheus.Histogram
	// failureReports and failureReportSeconds: deliveries of failure
	// reports to the webhook or backend.
	failureReports       *prometheus.CounterVec
	failureReportSeconds prometheus.Histogram
	// receiptHandOffs and receiptHandOffSeconds: hand-offs of receipts to
	// a ReceiptBackend.
	receiptHandOffs       *prometheus.CounterVec
	receiptHandOffSeconds prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "oots_ap_submitted_total",
			Help: "Messages submitted by the backend."}, []string{"partner", "leg"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "oots_ap_send_attempts_total",
			Help: "Sending attempts by result state (delivered, queued for a retry, failed)."}, []string{"partner", "leg", "state"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "oots_ap_received_total",
			Help: "Received user messages by result (accepted, duplicate, rejected_EBMS:xxxx, store_error)."}, []string{"partner", "leg", "result"}),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "oots_ap_webhook_pushes_total",
			Help: "Webhook pushes by result."}, []string{"result"}),
		sendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "oots_ap_send_seconds",
			Help: "Duration of a successful sending attempt: pack, post, receipt verified.", Buckets: buckets}, []string{"partner", "leg"}),
		receiveSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "oots_ap_receive_seconds",
			Help: "Duration of receiving a message up to the receipt.", Buckets: buckets}, []string{"partner", "leg"}),
		webhookSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "oots_ap_webhook_seconds",
			Help: "Duration of a webhook push.", Buckets: buckets}),
		failureReports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "oots_ap_failure_report_deliveries_total",
			Help: "Deliveries of send failure reports to the webhook or backend by result."}, []string{"result"}),
		failureReportSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "oots_ap_failure_report_seconds",
			Help: "Duration of delivering a send failure report.", Buckets: buckets}),
		receiptHandOffs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "oots_ap_receipt_hand_offs_total",
			Help: "Hand-offs of partners' signed receipts to the backend by result (handed_over, failed)."}, []string{"result"}),
		receiptHandOffSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "oots_ap_receipt_hand_off_seconds",
			Help: "Duration of handing a partner's signed receipt to the backend.", Buckets: buckets}),
	}
	m.registry.MustRegister(m.submitted, m.sent, m.received, m.webhook, m.sendSeconds, m.receiveSeconds,
		m.webhookSeconds, m.failureReports, m.failureReportSeconds, m.receiptHandOffs, m.receiptHandOffSeconds,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return m
}

// MetricsRegisterer is where other parts of a node register their
// Prometheus collectors, to be served on the node's /metrics beside its
// own. Registering a collector whose series clash with registered ones is
// an error (prometheus.AlreadyRegisteredError).
func (n *Node) MetricsRegisterer() prometheus.Registerer { return n.metrics.registry }

// MetricsGatherer gathers every series the node's /metrics serves (for a
// listener of its own, or a test).
func (n *Node) MetricsGatherer() prometheus.Gatherer { return n.metrics.registry }

// MetricsHandler serves the node's metrics in the Prometheus exposition
// formats (text 0.0.4, or OpenMetrics when the scraper asks for it),
// without authentication: callers put it behind their own.
func (n *Node) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(n.metrics.registry, promhttp.HandlerOpts{
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
		ErrorHandling:       promhttp.ContinueOnError,
		ErrorLog:            promLog{n},
	})
}

// promLog sends the errors of a scrape (a store that does not answer) to
// the node's log.
type promLog struct{ n *Node }

func (l promLog) Println(v ...any) {
	l.n.log.Warn("metrics: " + fmt.Sprint(v...))
}

func (n *Node) serveMetrics(w http.ResponseWriter, r *http.Request) {
	n.metricsHandler.ServeHTTP(w, r)
}

// queueAger is the store's optional report of the age of its queues.
type queueAger interface {
	QueueAges(ctx context.Context) (*apstore.QueueAges, error)
}

// storeCollector reads the numbers and ages of the stored messages at each
// scrape: the queues are shared by every node of a cluster, and only the
// store knows them.
type storeCollector struct {
	n                                   *Node
	outbound, inbound, failures         *prometheus.Desc
	outboundAge, inboundAge, failureAge *prometheus.Desc
	receipts, receiptAge                *prometheus.Desc
}

func newStoreCollector(n *Node) *storeCollector {
	return &storeCollector{n: n,
		outbound: prometheus.NewDesc("oots_ap_outbound_messages",
			"Submitted messages in the store by partner, leg and state.", []string{"partner", "leg", "state"}, nil),
		inbound: prometheus.NewDesc("oots_ap_inbound_messages",
			"Received messages in the store by webhook delivery state and acknowledgement.", []string{"delivery", "acknowledged"}, nil),
		failures: prometheus.NewDesc("oots_ap_failure_reports",
			"Send failure reports in the store by delivery state (pending, delivered, none: nobody to tell).", []string{"delivery"}, nil),
		outboundAge: prometheus.NewDesc("oots_ap_outbound_oldest_queued_age_seconds",
			"Age of the oldest message waiting to be sent, by partner (0: none waits).", []string{"partner"}, nil),
		inboundAge: prometheus.NewDesc("oots_ap_inbound_oldest_pending_age_seconds",
			"Age of the oldest received message waiting to be pushed to the webhook (0: none waits).", nil, nil),
		failureAge: prometheus.NewDesc("oots_ap_failure_report_oldest_pending_age_seconds",
			"Age of the oldest send failure report not yet delivered to the backend (0: none waits).", nil, nil),
		receipts: prometheus.NewDesc("oots_ap_receipt_hand_offs_pending",
			"Partners' signed receipts in the store not yet handed to the backend.", nil, nil),
		receiptAge: prometheus.NewDesc("oots_ap_receipt_hand_off_oldest_pending_age_seconds",
			"Age of the oldest partner's signed receipt not yet handed to the backend, from its message's delivery (0: none waits).", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.outbound, c.inbound, c.failures, c.outboundAge, c.inboundAge, c.failureAge, c.receipts, c.receiptAge} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.n.cfg.Store.Count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.outbound, fmt.Errorf("store unavailable: %w", err))
		return
	}
	for k, v := range counts.Outbound {
		ch <- prometheus.MustNewConstMetric(c.outbound, prometheus.GaugeValue, float64(v), labels(k, 3)...)
	}
	for k, v := range counts.Inbound {
		ch <- prometheus.MustNewConstMetric(c.inbound, prometheus.GaugeValue, float64(v), labels(k, 2)...)
	}
	for k, v := range counts.Failures {
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.GaugeValue, float64(v), k)
	}
	ager, ok := c.n.cfg.Store.(queueAger)
	if !ok {
		return
	}
	ages, err := ager.QueueAges(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.outboundAge, fmt.Errorf("store unavailable: %w", err))
		return
	}
	now := c.n.cfg.Now()
	age := func(t time.Time) float64 {
		if t.IsZero() || now.Before(t) {
			return 0
		}
		return now.Sub(t).Seconds()
	}
	// Every partner of the P-Mode has a series, 0 when nothing waits, so
	// that an alert on it has data before the first message.
	partners := map[string]bool{}
	if pm := c.n.pmode(); pm != nil {
		for _, p := range pm.Parties {
			if p.Name != pm.Self {
				partners[p.Name] = true
			}
		}
	}
	for p := range ages.Outbound {
		partners[p] = true
	}
	for p := range partners {
		ch <- prometheus.MustNewConstMetric(c.outboundAge, prometheus.GaugeValue, age(ages.Outbound[p]), p)
	}
	ch <- prometheus.MustNewConstMetric(c.inboundAge, prometheus.GaugeValue, age(ages.Inbound))
	ch <- prometheus.MustNewConstMetric(c.failureAge, prometheus.GaugeValue, age(ages.FailureReports))
	ch <- prometheus.MustNewConstMetric(c.receipts, prometheus.GaugeValue, float64(ages.PendingReceiptReports))
	ch <- prometheus.MustNewConstMetric(c.receiptAge, prometheus.GaugeValue, age(ages.ReceiptReports))
}

// labels splits a key of apstore.Counts into its n label values.
func labels(key string, n int) []string {
	v := strings.SplitN(key, "|", n)
	for len(v) < n {
		v = append(v, "")
	}
	return v
}

package ap

import (
	"github.com/prometheus/client_golang/prometheus"
)

// revocationCollector reports the outcomes of the online revocation checks
// of the partners' certificates (trust.Online.Counts), when the node's
// current trust store checks online.
type revocationCollector struct {
	n      *Node
	checks *prometheus.Desc
}

func newRevocationCollector(n *Node) *revocationCollector {
	return &revocationCollector{n: n, checks: prometheus.NewDesc("oots_ap_revocation_checks_total",
		"Online revocation checks of partner certificates by source (ocsp, crl, none), result (good, revoked, unknown), policy of the trust anchor and decision (accepted, refused).",
		[]string{"source", "result", "policy", "decision"}, nil)}
}

func (c *revocationCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.checks }

func (c *revocationCollector) Collect(ch chan<- prometheus.Metric) {
	ts := c.n.partners.Load().Trust
	if ts == nil {
		return
	}
	on := ts.Online()
	if on == nil {
		return
	}
	for k, v := range on.Counts() {
		ch <- prometheus.MustNewConstMetric(c.checks, prometheus.CounterValue, float64(v),
			k.Source, k.Result, string(k.Policy), k.Decision)
	}
}

package ap

import (
	"crypto/x509"

	"github.com/prometheus/client_golang/prometheus"
)

// certCollector reports when the certificates the node holds expire: its
// own signing certificate (and the next one during a rollover), the
// partners' signing and encryption certificates and the trust anchors, as
// of the last reload. The value is the notAfter time (Unix seconds), as
// Prometheus exporters give timestamps; an alert on
// oots_ap_certificate_not_after_seconds - time() < 30 * 86400 warns a month
// ahead.
type certCollector struct {
	n        *Node
	notAfter *prometheus.Desc
}

func newCertCollector(n *Node) *certCollector {
	return &certCollector{n: n, notAfter: prometheus.NewDesc("oots_ap_certificate_not_after_seconds",
		"Expiry (notAfter, Unix time) of the certificates the node holds, by role (own-signing, own-next-signing, partner-signing, partner-encryption, trust-anchor), party and subject.",
		[]string{"role", "party", "subject", "serial"}, nil)}
}

func (c *certCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.notAfter }

func (c *certCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	self := ""
	if pm := n.pmode(); pm != nil {
		self = pm.Self
	}
	seen := map[string]bool{}
	emit := func(role, party string, cert *x509.Certificate) {
		if cert == nil {
			return
		}
		serial := cert.SerialNumber.String()
		k := role + "\x00" + party + "\x00" + serial + "\x00" + cert.Subject.String()
		if seen[k] {
			return
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(c.notAfter, prometheus.GaugeValue, float64(cert.NotAfter.Unix()),
			role, party, cert.Subject.String(), serial)
	}
	emit("own-signing", self, n.cfg.SigningCert)
	if n.cfg.Next != nil {
		emit("own-next-signing", self, n.cfg.Next.SigningCert)
	}
	p := n.partners.Load()
	for party, certs := range p.SigningCerts {
		for _, cert := range certs {
			emit("partner-signing", party, cert)
		}
	}
	for party, cert := range p.EncryptionCerts {
		emit("partner-encryption", party, cert)
	}
	if p.Trust != nil {
		for _, cert := range p.Trust.Anchors() {
			emit("trust-anchor", "", cert)
		}
	}
}

package ap

import (
	"crypto/x509"
	"fmt"
	"io"
	"sort"
)

// writeCertificateMetrics writes when the certificates the node holds
// expire: its own signing certificate (and the next one during a
// rollover), the partners' signing and encryption certificates and the
// trust anchors, as of the last reload. An alert on
// oots_ap_certificate_not_after_seconds - time() < 30 * 86400 warns a
// month ahead.
func writeCertificateMetrics(w io.Writer, n *Node) {
	const name = "oots_ap_certificate_not_after_seconds"
	fmt.Fprintf(w, "# HELP %s Expiry (notAfter, Unix time) of the certificates the node holds, by role (own-signing, own-next-signing, partner-signing, partner-encryption, trust-anchor).\n# TYPE %s gauge\n", name, name)
	type row struct {
		role, party string
		c           *x509.Certificate
	}
	var rows []row
	if n.cfg.SigningCert != nil {
		rows = append(rows, row{"own-signing", n.cfg.PMode.Self, n.cfg.SigningCert})
	}
	if n.cfg.Next != nil {
		rows = append(rows, row{"own-next-signing", n.cfg.PMode.Self, n.cfg.Next.SigningCert})
	}
	p := n.partners.Load()
	for party, certs := range p.SigningCerts {
		for _, c := range certs {
			rows = append(rows, row{"partner-signing", party, c})
		}
	}
	for party, c := range p.EncryptionCerts {
		if c != nil {
			rows = append(rows, row{"partner-encryption", party, c})
		}
	}
	if p.Trust != nil {
		for _, c := range p.Trust.Anchors() {
			rows = append(rows, row{"trust-anchor", "", c})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.role != b.role {
			return a.role < b.role
		}
		if a.party != b.party {
			return a.party < b.party
		}
		return a.c.SerialNumber.Cmp(b.c.SerialNumber) < 0
	})
	for _, r := range rows {
		fmt.Fprintf(w, "%s%s %d\n", name, labelString([]string{"role", "party", "subject", "serial"},
			[]string{r.role, r.party, r.c.Subject.String(), r.c.SerialNumber.String()}), r.c.NotAfter.Unix())
	}
}

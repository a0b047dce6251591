package ap

import (
	"fmt"
	"io"

	"github.com/oots-go/oots/trust"
)

// writeRevocationMetrics writes the outcomes of the online revocation
// checks of the partners' certificates (trust.Online.Counts), when the
// trust store checks online.
func writeRevocationMetrics(w io.Writer, ts *trust.Store) {
	on := ts.Online()
	if on == nil {
		return
	}
	const name = "oots_ap_revocation_checks_total"
	fmt.Fprintf(w, "# HELP %s Online revocation checks of partner certificates by source (ocsp, crl, none), result (good, revoked, unknown), policy of the trust anchor and decision (accepted, refused).\n# TYPE %s counter\n", name, name)
	c := on.Counts()
	for _, k := range trust.SortedOutcomes(c) {
		fmt.Fprintf(w, "%s%s %d\n", name, labelString([]string{"source", "result", "policy", "decision"},
			[]string{k.Source, k.Result, string(k.Policy), k.Decision}), c[k])
	}
}

package provider

import (
	"testing"

	"github.com/oots-go/oots/edm"
)

// TestEvidenceID: a register id that is not a UUID becomes a stable UUID
// (R-EDM-RESP-C015 asks a UUID), one of each provider; a UUID is kept.
func TestEvidenceID(t *testing.T) {
	const u = "0d4b5c3e-7a1f-4c2b-9e8d-6f5a4b3c2d1e"
	if got := evidenceID("FI-EP-1", u); got != u {
		t.Errorf("a UUID was changed: %s", got)
	}
	a, b := evidenceID("FI-EP-1", "annex-1"), evidenceID("FI-EP-1", "annex-1")
	if !edm.IsUUID(a) || a != b {
		t.Errorf("evidenceID(annex-1) = %q then %q: want one UUID", a, b)
	}
	if a[14] != '5' || !contains("89ab", a[19]) {
		t.Errorf("%s: not of version 5 and variant RFC 4122", a)
	}
	if c := evidenceID("SE-EP-1", "annex-1"); c == a {
		t.Errorf("two providers' documents share the identifier %s", c)
	}
	if evidenceID("FI-EP-1", "") != "" {
		t.Error("an empty id was given a UUID")
	}
}

func contains(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

package csregistry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// captureTolerance lists the TDD 1.0 rules that the content of the
// Commission's 2.0 answers fails: the 1.0 Procedures list lacks the 2.0
// procedure codes (00, X10, X11, AM1…) and the rules expect the production
// Semantic Repository host where the acceptance one is used.
var captureTolerance = []string{"R-EB-SUB-C012"}

func loadCaptures(tb testing.TB, names ...string) *Registry {
	tb.Helper()
	dir := testenv.Spec(tb, "edm-2.0-oots-france/common_services")
	r, err := Open(context.Background(), Config{TolerateRules: captureTolerance})
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			tb.Fatal(err)
		}
		if err := r.LoadFile(context.Background(), b); err != nil {
			var le *LCMError
			errors.As(err, &le)
			tb.Fatalf("loading %s: %v", n, err)
		}
	}
	return r
}

func TestLoadCaptures(t *testing.T) {
	r := loadCaptures(t, "eb_requirements_catalogue.xml", "eb_evidence_types_fr.xml", "eb_requirements_fr.xml", "dsd_data_services_fi.xml")
	s := r.Snapshot()
	if got := len(s.Requirements()); got != 53 {
		t.Errorf("requirements: %d, want 53", got)
	}
}

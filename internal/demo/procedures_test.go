package demo_test

import (
	"context"
	"testing"

	"github.com/oots-go/oots/internal/demo"
)

// TestProcedureNames: the demo data set names each demo procedure in the
// page languages other than English (the code list's).
func TestProcedureNames(t *testing.T) {
	names, err := demo.ProcedureNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"R1", "S1", "T2", "X1"} {
		if n, ok := names[code]["en"]; ok {
			t.Errorf("%s has a name of the demo's own in English: %q", code, n)
		}
		for _, l := range []string{"de", "fr", "fi", "sv"} {
			if names[code][l] == "" {
				t.Errorf("%s has no name in %s", code, l)
			}
		}
	}
	if got := names["R1"]["de"]; got != "Nachweis der Geburtsregistrierung beantragen" {
		t.Errorf("R1 in German: %q", got)
	}
}

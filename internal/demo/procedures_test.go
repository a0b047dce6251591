package demo_test

import (
	"context"
	"testing"

	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/portal"
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

// TestProcedureTitles: the data set titles each demo procedure in the five
// page languages, English included, and the portal offers the demo
// procedures under those titles, with no table of its own.
func TestProcedureTitles(t *testing.T) {
	titles, err := demo.ProcedureTitles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names, err := demo.ProcedureNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range portal.DemoProcedures(titles) {
		for _, l := range []string{"en", "de", "fr", "fi", "sv"} {
			if p.Title(l) == "" || p.Title(l) != titles[p.Code][l] {
				t.Errorf("%s in %s: the portal's title %q, the data set's %q", p.Code, l, p.Title(l), titles[p.Code][l])
			}
			if l != "en" && names[p.Code][l] != p.Title(l) {
				t.Errorf("%s in %s: the preview space's name %q, the portal's title %q", p.Code, l, names[p.Code][l], p.Title(l))
			}
		}
	}
	if got := titles["T2"]["en"]; got != "Submitting an initial application for admission to public tertiary education institution" {
		t.Errorf("T2 in English: %q", got)
	}
}

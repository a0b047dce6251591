package demo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
)

// TestLoadIn: the demo data set in the acceptance environment names
// every requirement and evidence type classification under
// sr.acc.oots.tech.ec.europa.eu, one classification with the test segment
// oots, and every access service speaks oots-edm:v2.0; the official TDD 1.0
// submission rules that admit only the production host are the only ones
// it fails.
func TestLoadIn(t *testing.T) {
	ctx := context.Background()
	strict, err := csregistry.Open(ctx, csregistry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	err = demo.LoadIn(ctx, strict, "acc")
	var le *edm.Error
	if !errors.As(err, &le) || !slices.ContainsFunc(csregistry.EnvironmentRules(), func(r string) bool { return strings.HasPrefix(le.Detail, r+" ") }) {
		t.Fatalf("without tolerance: %v, want the refusal of one of %v", err, csregistry.EnvironmentRules())
	}
	if err := demo.LoadIn(ctx, strict, "a.b"); !errors.Is(err, edm.ErrNotSRID) {
		t.Errorf("environment a.b: %v", err)
	}

	reg, err := csregistry.Open(ctx, csregistry.Config{TolerateRules: csregistry.EnvironmentRules()})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadIn(ctx, reg, "acc"); err != nil {
		t.Fatal(err)
	}
	prod, err := csregistry.Open(ctx, csregistry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(ctx, prod); err != nil {
		t.Fatal(err)
	}
	snap, prodSnap := reg.Snapshot(), prod.Snapshot()
	if len(snap.Requirements()) != len(prodSnap.Requirements()) || len(snap.AllDataServices()) != len(prodSnap.AllDataServices()) {
		t.Fatalf("%d requirements, %d data services; production %d, %d", len(snap.Requirements()), len(snap.AllDataServices()),
			len(prodSnap.Requirements()), len(prodSnap.AllDataServices()))
	}
	acc := func(where, s string) edm.SRID {
		t.Helper()
		id, err := edm.ParseSRID(s)
		if err != nil || id.Env != "acc" || id.V1 {
			t.Errorf("%s: %q is not an identifier of the acceptance environment: %v", where, s, err)
		}
		return id
	}
	tests := map[string]bool{}
	for i, r := range snap.Requirements() {
		acc("requirement", r.Requirement.Identifier.Value)
		if want := demo.ID(prodSnap.Requirements()[i].Requirement.Identifier.Value, "acc"); r.Requirement.Identifier.Value != want {
			t.Errorf("requirement %s, want %s", r.Requirement.Identifier.Value, want)
		}
		if _, ok := snap.Requirement(r.Requirement.Identifier.Value); !ok {
			t.Errorf("requirement %s not found by its identifier", r.Requirement.Identifier.Value)
		}
		for _, l := range r.Lists {
			for _, et := range l.Types {
				if acc("evidence type", et.EvidenceTypeClassification).Country == edm.SRTestSegment {
					tests[et.EvidenceTypeClassification] = true
				}
				if len(snap.DataServices(et.EvidenceTypeClassification)) == 0 {
					t.Errorf("no data service for %s", et.EvidenceTypeClassification)
				}
			}
		}
	}
	for _, ds := range snap.AllDataServices() {
		acc("data service", ds.Type.EvidenceTypeClassification)
		for _, p := range ds.Providers {
			if !slices.Contains(p.ConformsTo, string(edm.V2_0)) {
				t.Errorf("access service %s conforms to %v", p.Identifier.Value, p.ConformsTo)
			}
		}
	}
	if len(tests) != 1 {
		t.Errorf("evidence types with the segment %s: %v, want one", edm.SRTestSegment, tests)
	}
	if got := demo.ID("https://sr.oots.tech.europa.eu/requirements/2d4126c1-f676-5e6b-b4b3-bcb8136a30e1", ""); got != "https://sr.oots.tech.europa.eu/requirements/2d4126c1-f676-5e6b-b4b3-bcb8136a30e1" {
		t.Errorf("ID in production: %s", got)
	}
}

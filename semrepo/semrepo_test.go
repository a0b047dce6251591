package semrepo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/semrepo"
	"github.com/oots-go/oots/xmltree"
)

func get(t *testing.T, h http.Handler, uri string) (int, []byte) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.Path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, b
}

func TestResources(t *testing.T) {
	reg := cstest.DemoRegistry(t)
	h, err := semrepo.NewHandler(semrepo.Config{Registry: reg, DataModels: fstest.MapFS{"certificate-of-birth-1.0.0": {Data: []byte("<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'/>")}}})
	if err != nil {
		t.Fatal(err)
	}
	snap := reg.Snapshot()
	rq := snap.Requirements()[0]
	// Every requirement and evidence type classification URI of the
	// registry resolves to its resource.
	code, b := get(t, h, rq.Requirement.Identifier.Value)
	if code != 200 || !strings.Contains(string(b), rq.Requirement.Name[0].Value) {
		t.Fatalf("requirement: %d %s", code, b)
	}
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil || !doc.Root.Is(edm.NamespaceSDG, "Requirement") {
		t.Fatalf("requirement resource is not an sdg:Requirement: %v", err)
	}
	for _, ds := range snap.AllDataServices() {
		code, b := get(t, h, ds.Type.EvidenceTypeClassification)
		if code != 200 {
			t.Fatalf("%s: %d", ds.Type.EvidenceTypeClassification, code)
		}
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil || !doc.Root.Is(edm.NamespaceSDG, "EvidenceType") {
			t.Fatalf("evidence type resource: %v", err)
		}
	}
	// Code lists: the Genericode of each list parses back to the same codes.
	code, b = get(t, h, "https://sr.oots.tech.ec.europa.eu/codelists/")
	var idx []struct{ Name string }
	if code != 200 || json.Unmarshal(b, &idx) != nil || len(idx) != len(codelist.All()) {
		t.Fatalf("code list index: %d %s", code, b)
	}
	code, b = get(t, h, "https://sr.oots.tech.ec.europa.eu/codelists/Procedures")
	l, err := codelist.Parse(b, "Procedures")
	if code != 200 || err != nil || l.Len() != codelist.Procedures().Len() {
		t.Fatalf("Procedures: %d %v", code, err)
	}
	if code, b := get(t, h, "https://sr.oots.tech.europa.eu/datamodels/certificate-of-birth-1.0.0"); code != 200 || !strings.Contains(string(b), "schema") {
		t.Errorf("data model: %d", code)
	}
	for _, u := range []string{"/requirements/nothing", "/codelists/Nothing", "/datamodels/../../etc/passwd", "/evidencetypeclassifications/DE/x", "/other"} {
		if code, _ := get(t, h, u); code != 404 {
			t.Errorf("%s: %d, want 404", u, code)
		}
	}
}

// TestResourcesInEnvironment: a registry of the acceptance environment
// (sr.acc.…, a classification with the test segment oots) serves each of
// its requirements and evidence types at the path of its identifier.
func TestResourcesInEnvironment(t *testing.T) {
	ctx := context.Background()
	reg, err := csregistry.Open(ctx, csregistry.Config{TolerateRules: csregistry.EnvironmentRules()})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadIn(ctx, reg, "acc"); err != nil {
		t.Fatal(err)
	}
	h, err := semrepo.NewHandler(semrepo.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, rq := range reg.Snapshot().Requirements() {
		if code, b := get(t, h, rq.Requirement.Identifier.Value); code != 200 || !strings.Contains(string(b), rq.Requirement.Identifier.Value) {
			t.Errorf("%s: %d %s", rq.Requirement.Identifier.Value, code, b)
		}
		for _, l := range rq.Lists {
			for _, et := range l.Types {
				code, b := get(t, h, et.EvidenceTypeClassification)
				if code != 200 || !strings.Contains(string(b), et.EvidenceTypeClassification) {
					t.Errorf("%s: %d %s", et.EvidenceTypeClassification, code, b)
				}
				if strings.Contains(et.EvidenceTypeClassification, "/"+edm.SRTestSegment+"/") {
					tested++
				}
			}
		}
	}
	if tested == 0 {
		t.Error("no evidence type with the test segment was served")
	}
	// A classification of another segment is not the same resource.
	if code, _ := get(t, h, "https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/FI/7c775383-ec43-593b-9218-4acb40a67fc8"); code != 404 {
		t.Errorf("the FI segment of the oots classification: %d", code)
	}
}

package semrepo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/xmltree"
	"github.com/oots-go/oots/semrepo"
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
	if code != 200 || err != nil || l.Len() != codelist.Procedures.Len() {
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

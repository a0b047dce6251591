package dsd_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

const (
	fiClassification = "https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/FI/19f0783e-7cdc-4146-9ff9-e331514ffb74"
	deClassification = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"
	residenceConcept = "b07146b6-1468-41a7-a10f-ee2a61429dbc"
)

func q(kv ...string) string {
	v := url.Values{}
	v.Set("queryId", dsd.QueryDataServices)
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func get(tb testing.TB, h http.Handler, query, version string) (*http.Response, []byte) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/dsd/rest/search?"+query, nil)
	if version != "" {
		req.Header.Set("Accept-Version", version)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("HTTP status %d, want 200", resp.StatusCode)
	}
	return resp, b
}

func TestCapturedContent(t *testing.T) {
	signer, roots := cstest.Signer(t)
	h, err := dsd.NewHandler(dsd.Config{Registry: cstest.LoadCaptures(t, "dsd_data_services_fi.xml"), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	resp, b := get(t, h, q("evidence-type-classification", fiClassification, "country-code", "FI"), "oots-cs:v2.0")
	if _, err := jades.Verify(resp.Header, b, jades.VerifyOptions{Trust: roots}); err != nil {
		t.Fatalf("signature: %v", err)
	}
	want := cstest.Content(t, cstest.Capture(t, "dsd_data_services_fi.xml"))
	if diff := cmp.Diff(want, cstest.Content(t, b)); diff != "" {
		t.Errorf("registry content differs from the capture (-capture +ours):\n%s", diff)
	}
	if diff := cmp.Diff(cstest.RuleCounts(t, cstest.Capture(t, "dsd_data_services_fi.xml")), cstest.RuleCounts(t, b)); diff != "" {
		t.Errorf("the 1.0 rules judge our 2.0 answer differently from the capture (-capture +ours):\n%s", diff)
	}
}

// tddRegistry loads the TDD 1.0 DSD submission: one data service (birth
// certificate, DE) served by two providers that differ by a classification
// concept (residence in Germany).
func tddRegistry(tb testing.TB) *csregistry.Registry {
	tb.Helper()
	r, err := csregistry.Open(context.Background(), csregistry.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(testenv.Spec(tb, "tdd-1.0/xml/lcm/5-5-LCM-Submit-Objects-to-the-DSD-Birth-Certificate.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.LoadFile(context.Background(), b); err != nil {
		tb.Fatal(err)
	}
	return r
}

func exception(tb testing.TB, b []byte) *edm.Exception {
	tb.Helper()
	m, _, err := edm.ParseBytes(b)
	if err != nil {
		tb.Fatalf("answer does not parse: %v", err)
	}
	e, ok := m.(*edm.ErrorResponse)
	if !ok {
		return nil
	}
	return e.Exceptions[0]
}

// TestAdditionalInput runs the DSD:ERR:0005 dialogue of TDD 3.5.2 on the TDD
// data: without the concept the answer asks for it, with the same slots as
// the TDD sample; with it, one provider is chosen.
func TestAdditionalInput(t *testing.T) {
	h, err := dsd.NewHandler(dsd.Config{Registry: tddRegistry(t), Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, b := get(t, h, q("evidence-type-classification", deClassification, "country-code", "DE"), "")
	exc := exception(t, b)
	if exc == nil || exc.Code != "DSD:ERR:0005" {
		t.Fatalf("want DSD:ERR:0005, got %s", b)
	}
	sample, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/dsd/4-4-3-Query-Error-Response-of-the-DSD-requesting-additional-User-Provided-Attributes-Birth-Certificate-DSD-ERR005.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// Ours adds the values the candidate providers support (the sample
	// leaves them to the Semantic Repository's code list).
	c := exc.UserRequestedClassificationConcepts
	if len(c) != 1 || c[0].SupportedValue == nil || len(c[0].SupportedValue.StringValue) != 2 {
		t.Errorf("the concept asked for lists no supported values: %+v", c)
	}
	ours := regexp.MustCompile(`<sdg:SupportedValue>.*?</sdg:SupportedValue>`).ReplaceAllString(strings.Join(exceptionSlots(t, b), "\n"), "")
	if diff := cmp.Diff(strings.Join(exceptionSlots(t, sample), "\n"), ours); diff != "" {
		t.Errorf("DSD:ERR:0005 slots differ from the TDD sample (-sample +ours):\n%s", diff)
	}
	want := exception(t, sample)
	if exc.Severity != want.Severity || exc.Type != want.Type || exc.Detail != want.Detail {
		t.Errorf("exception %s %s %q, want %s %s %q", exc.Type.Local, exc.Severity, exc.Detail, want.Type.Local, want.Severity, want.Detail)
	}

	// The user's answer: never resident in Germany → Berlin only.
	_, b = get(t, h, q("evidence-type-classification", deClassification, "country-code", "DE", residenceConcept, "ApplicantHasNeverBeenResidentInGermany", "jurisdiction-context-id", "5ce148b9-5578-4049-aecf-af7bb55714b5"), "")
	m, _, err := edm.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := m.(*edm.ServiceResponse)
	if !ok {
		t.Fatalf("want a DSD answer, got %s", b)
	}
	ds := r.DataServices()
	if len(ds) != 1 || len(ds[0].AccessService) != 1 || ds[0].AccessService[0].Publisher.Identifier.Value != "DE73524311" {
		t.Errorf("want the Berlin office only, got %s", b)
	}
	// Resident → both offices support it → 0005 again for the jurisdiction.
	_, b = get(t, h, q("evidence-type-classification", deClassification, "country-code", "DE", residenceConcept, "ApplicantHasBeenResidentInGermany"), "")
	if exc := exception(t, b); exc == nil || exc.Code != "DSD:ERR:0005" || exc.Detail != "JurisdictionDetermination" {
		t.Errorf("want DSD:ERR:0005 for the jurisdiction, got %s", b)
	}
	_, b = get(t, h, q("evidence-type-classification", deClassification, "country-code", "DE", residenceConcept, "ApplicantHasBeenResidentInGermany", "jurisdiction-admin-l3", "02000000", "jurisdiction-context-id", "5ce148b9-5578-4049-aecf-af7bb55714b5"), "")
	if m, _, _ := edm.ParseBytes(b); m == nil || m.Kind() != edm.KindDSDResponse || len(m.(*edm.ServiceResponse).DataServices()[0].AccessService) != 1 {
		t.Errorf("want Hamburg only, got %s", b)
	}
}

// exceptionSlots returns the canonical form of each slot of the exception.
func exceptionSlots(tb testing.TB, b []byte) []string {
	tb.Helper()
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range doc.Root.ChildrenNamed(regrep.NamespaceRS, "Exception") {
		for _, s := range e.ChildrenNamed(regrep.NamespaceRIM, "Slot") {
			if n, _ := s.AttrValue("", "name"); n == "Timestamp" {
				continue
			}
			c := s.Copy()
			c.StripInsignificant()
			out = append(out, strings.Join(strings.Fields(string(c.Canonical())), " "))
		}
	}
	return out
}

func TestErrors(t *testing.T) {
	h, err := dsd.NewHandler(dsd.Config{Registry: tddRegistry(t), Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, query, version string
		code, detail         string
	}{
		{"no queryId", "country-code=DE", "", "DSD:ERR:0003", "queryId"},
		{"unknown query", "queryId=urn:x", "", "DSD:ERR:0004", "urn:x"},
		{"missing classification", q("country-code", "DE"), "", "DSD:ERR:0003", "evidence-type-classification"},
		{"missing country", q("evidence-type-classification", deClassification), "", "DSD:ERR:0003", "country-code"},
		{"repeated", q("evidence-type-classification", deClassification) + "&country-code=DE&country-code=DE", "", "DSD:ERR:0003", "country-code"},
		{"unknown classification", q("evidence-type-classification", "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/00000000-0000-4000-8000-000000000000", "country-code", "DE"), "", "DSD:ERR:0002", "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/00000000-0000-4000-8000-000000000000"},
		{"no provider in country", q("evidence-type-classification", deClassification, "country-code", "FR"), "", "DSD:ERR:0001", ""},
		{"bad country", q("evidence-type-classification", deClassification, "country-code", "D'E"), "", "DSD:ERR:0006", "country-code"},
		{"unknown concept", q("evidence-type-classification", deClassification, "country-code", "DE", "TypeOfInsurance", "public"), "", "DSD:ERR:0003", "TypeOfInsurance"},
		{"unsupported concept value", q("evidence-type-classification", deClassification, "country-code", "DE", residenceConcept, "Mars"), "", "DSD:ERR:0006", residenceConcept},
		{"bad specification", q("evidence-type-classification", deClassification, "country-code", "DE", "specification", "oots-edm:v9"), "", "DSD:ERR:0006", "specification"},
		{"no provider of the version", q("evidence-type-classification", deClassification, "country-code", "DE", "specification", "oots-edm:v2.0"), "", "DSD:ERR:0001", ""},
		{"1.x parameter in 2.0", q("evidence-type-classification", deClassification, "country-code", "DE", "jurisdiction-admin-l3", "02000000"), "oots-cs:v2.0", "DSD:ERR:0003", "jurisdiction-admin-l3"},
		{"injection", q("evidence-type-classification", deClassification+"' OR 1=1 --", "country-code", "DE"), "", "DSD:ERR:0006", "evidence-type-classification"},
		{"huge value", q("evidence-type-classification", strings.Repeat("x", 5000), "country-code", "DE"), "", "DSD:ERR:0003", "evidence-type-classification"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, b := get(t, h, c.query, c.version)
			exc := exception(t, b)
			if exc == nil {
				t.Fatalf("want %s, got a success", c.code)
			}
			want, _ := edm.LookupError(edm.ErrorCode(c.code))
			if string(exc.Code) != c.code || exc.Detail != c.detail || exc.Type != want.Type {
				t.Errorf("got %s %q %s, want %s %q %s", exc.Code, exc.Detail, exc.Type.Local, c.code, c.detail, want.Type.Local)
			}
		})
	}
}

// TestOfficialRules: the answers of the server, on the demo data set, pass
// the official DSD rule files (our engine and schematron.sh).
func TestOfficialRules(t *testing.T) {
	reg := cstest.DemoRegistry(t)
	h, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	birthDE := reg.Snapshot().AllDataServices()[0].Type.EvidenceTypeClassification
	residenceFR := ""
	for _, ds := range reg.Snapshot().AllDataServices() {
		if strings.Contains(ds.Type.EvidenceTypeClassification, "/FR/") && ds.Type.Title[0].Value == "Certificate of residence" {
			residenceFR = ds.Type.EvidenceTypeClassification
		}
	}
	var answers []cstest.Answer
	for _, c := range []struct{ name, query string }{
		{"data services FR", q("evidence-type-classification", residenceFR, "country-code", "FR")},
		{"DSD:ERR:0005", q("evidence-type-classification", birthDE, "country-code", "DE")},
	} {
		_, b := get(t, h, c.query, "")
		answers = append(answers, cstest.Answer{Name: c.name, Body: b})
	}
	if exc := exception(t, answers[0].Body); exc != nil {
		t.Fatalf("data services query failed: %s", exc.Code)
	}
	if exc := exception(t, answers[1].Body); exc == nil || exc.Code != "DSD:ERR:0005" {
		t.Fatalf("want DSD:ERR:0005")
	}
	cstest.CheckRules(t, answers)
}

// TestVersions: the 1.x form leaves out the 2.0-only elements of the access
// service (Name, Publisher Description) and DistributedAs Language.
func TestVersions(t *testing.T) {
	h, err := dsd.NewHandler(dsd.Config{Registry: cstest.LoadCaptures(t, "dsd_data_services_fi.xml"), Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	query := q("evidence-type-classification", fiClassification, "country-code", "FI")
	_, b2 := get(t, h, query, "oots-cs:v2.0")
	_, b1 := get(t, h, query, "")
	m2, _, err2 := edm.ParseBytes(b2)
	m1, _, err1 := edm.ParseBytes(b1)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ds2, ds1 := m2.(*edm.ServiceResponse).DataServices()[0], m1.(*edm.ServiceResponse).DataServices()[0]
	if m1.Version() != edm.CSv1 || m2.Version() != edm.CSv20 {
		t.Errorf("versions %s %s", m1.Version(), m2.Version())
	}
	if len(ds2.AccessService[0].Name) == 0 || len(ds2.AccessService[0].Publisher.Description) == 0 || len(ds2.DistributedAs[0].Language) == 0 {
		t.Error("2.0 answer lacks the 2.0 elements of the capture")
	}
	if len(ds1.AccessService[0].Name) != 0 || len(ds1.AccessService[0].Publisher.Description) != 0 || len(ds1.DistributedAs[0].Language) != 0 {
		t.Error("1.x answer has 2.0-only elements")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  dsd.Config
		want string
	}{
		{dsd.Config{}, "Config.Registry"},
		{dsd.Config{Registry: cstest.DemoRegistry(t)}, "Config.Signer"},
		{dsd.Config{Registry: cstest.DemoRegistry(t), Signer: cstest.AnySigner(t), MaxResults: -1}, "Config.MaxResults"},
	} {
		if _, err := dsd.NewHandler(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want an error naming %s", err, c.want)
		}
	}
}

// TestOneConformsToIn1x: a data service that speaks EDM 1.0 and 2.0 (the
// demo's Finnish access point) is answered in 1.x with the one ConformsTo
// the TDD 1.0 schema allows, oots-edm:v1.0, and the answer passes the
// schema (xsd.sh); in 2.0 with both.
func TestOneConformsToIn1x(t *testing.T) {
	reg := cstest.DemoRegistry(t)
	h, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	var query string
	for _, ds := range reg.Snapshot().AllDataServices() {
		for _, p := range ds.Providers {
			if len(p.ConformsTo) > 1 && query == "" && len(ds.Type.EvidenceProviderClassification) == 0 {
				query = q("evidence-type-classification", ds.Type.EvidenceTypeClassification, "country-code", p.Publisher.Address.AdminUnitLevel1)
			}
		}
	}
	if query == "" {
		t.Fatal("the demo data has no access service with two ConformsTo")
	}
	conformsTo := func(version string) ([]string, []byte) {
		_, b := get(t, h, query, version)
		m, _, err := edm.ParseBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := m.(*edm.ServiceResponse)
		if !ok || len(r.DataServices()) == 0 {
			t.Fatalf("%s: not a data services answer:\n%s", version, b)
		}
		return r.DataServices()[0].AccessService[0].ConformsTo, b
	}
	got1, b1 := conformsTo("")
	got2, _ := conformsTo("oots-cs:v2.0")
	if !cmp.Equal(got1, []string{"oots-edm:v1.0"}) || len(got2) != 2 {
		t.Errorf("ConformsTo: 1.x %v, 2.0 %v; want [oots-edm:v1.0] and both", got1, got2)
	}
	xsd := testenv.Verifier(t, "xsd.sh")
	f := filepath.Join(t.TempDir(), "dsd-1x.xml")
	if err := os.WriteFile(f, b1, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xsd, f).CombinedOutput(); err != nil || !strings.Contains(string(out), " validates") {
		t.Errorf("xsd.sh: %v\n%s", err, out)
	}
}

// TestSeveralFormats: a data service distributed in two formats in one
// DistributedAs (2.0) is answered so in 2.0, and in 1.x as two
// DistributedAs of one format each, which the 1.x checks accept.
func TestSeveralFormats(t *testing.T) {
	capture := string(cstest.Capture(t, "dsd_data_services_fi.xml"))
	const format = "<sdg:Format>application/pdf</sdg:Format>"
	if strings.Count(capture, format) != 1 {
		t.Fatalf("the capture has %d %s", strings.Count(capture, format), format)
	}
	// The registry's LCM rules are those of TDD 1.0, whose DSD-SUB-C cannot
	// evaluate two formats (matches() on a sequence): the content is loaded
	// without them.
	reg, err := csregistry.Open(context.Background(), csregistry.Config{SkipRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.LoadFile(context.Background(), []byte(strings.Replace(capture, format, format+"<sdg:Format>application/xml</sdg:Format>", 1))); err != nil {
		t.Fatal(err)
	}
	h, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	query := q("evidence-type-classification", fiClassification, "country-code", "FI")
	answer := func(version string) (*edm.DataServiceEvidenceType, int) {
		_, b := get(t, h, query, version)
		m, findings, err := edm.ParseBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := m.(*edm.ServiceResponse)
		if !ok || len(r.DataServices()) != 1 {
			t.Fatalf("%s: not one data service:\n%s", version, b)
		}
		return r.DataServices()[0], len(findings)
	}
	ds2, n2 := answer("oots-cs:v2.0")
	if len(ds2.DistributedAs) != 1 || strings.Join(ds2.DistributedAs[0].Formats(), " ") != "application/pdf application/xml" || n2 > 0 {
		t.Errorf("2.0: %d DistributedAs, formats %v, %d findings", len(ds2.DistributedAs), ds2.DistributedAs[0].Formats(), n2)
	}
	ds1, n1 := answer("")
	var got []string
	for _, d := range ds1.DistributedAs {
		got = append(got, strings.Join(d.Formats(), "+"))
	}
	if strings.Join(got, " ") != "application/pdf application/xml" || n1 > 0 {
		t.Errorf("1.x: formats per DistributedAs %v, %d findings", got, n1)
	}
}

package eb_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/regrep"
)

const testRequirement = "https://sr.acc.oots.tech.ec.europa.eu/requirements/00000000-0000-0000-0000-000000000000"

// get asks the handler and returns the verified body.
func get(tb testing.TB, h http.Handler, query, version string) *http.Response {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/eb/rest/search?"+query, nil)
	req.Header.Set("Accept", "application/x-ebrs+xml")
	if version != "" {
		req.Header.Set("Accept-Version", version)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(tb testing.TB, r *http.Response) []byte {
	tb.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

// TestCapturedContent: after an LCM load of the captured answers, our answers
// to the queries of the captures carry the same registry content.
func TestCapturedContent(t *testing.T) {
	reg := cstest.CaptureRegistry(t)
	signer, roots := cstest.Signer(t)
	h, err := eb.NewHandler(eb.Config{Registry: reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ capture, query string }{
		{"eb_requirements_catalogue.xml", q("queryId", eb.QueryRequirements)},
		{"eb_requirements_fr.xml", q("queryId", eb.QueryRequirements, "procedure-id", "00", "country-code", "FR")},
		{"eb_evidence_types_fr.xml", q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "country-code", "FR")},
	} {
		t.Run(c.capture, func(t *testing.T) {
			resp := get(t, h, c.query, "oots-cs:v2.0")
			b := body(t, resp)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ebrs+xml" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if _, err := jades.Verify(resp.Header, b, jades.VerifyOptions{Trust: roots}); err != nil {
				t.Fatalf("signature: %v", err)
			}
			want := cstest.Content(t, cstest.Capture(t, c.capture))
			got := cstest.Content(t, b)
			if len(want) == 0 {
				t.Fatal("no content in the capture")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("registry content differs from the capture (-capture +ours):\n%.3000s", diff)
			}
			if diff := cmp.Diff(cstest.RuleCounts(t, cstest.Capture(t, c.capture)), cstest.RuleCounts(t, b)); diff != "" {
				t.Errorf("the 1.0 rules judge our 2.0 answer differently from the capture (-capture +ours):\n%s", diff)
			}
			m, _, err := edm.ParseBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			if m.Version() != edm.CSv20 {
				t.Errorf("version %s, want %s", m.Version(), edm.CSv20)
			}
		})
	}
}

func newHandler(tb testing.TB) http.Handler {
	tb.Helper()
	signer, _ := cstest.Signer(tb)
	h, err := eb.NewHandler(eb.Config{Registry: cstest.CaptureRegistry(tb), Signer: signer,
		Now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// exception returns the code and detail of an error answer, or "" for a
// success.
func exception(tb testing.TB, b []byte) (code, detail string, typ string) {
	tb.Helper()
	m, _, err := edm.ParseBytes(b)
	if err != nil {
		tb.Fatalf("answer does not parse: %v\n%s", err, b)
	}
	e, ok := m.(*edm.ErrorResponse)
	if !ok {
		return "", "", ""
	}
	if len(e.Exceptions) != 1 {
		tb.Fatalf("%d exceptions", len(e.Exceptions))
	}
	x := e.Exceptions[0]
	return string(x.Code), x.Detail, x.Type.Local
}

func TestErrors(t *testing.T) {
	h := newHandler(t)
	long := strings.Repeat("A", 2000)
	for _, c := range []struct {
		name, query, version string
		code, detail, typ    string
	}{
		{"no queryId", "country-code=FR", "", "EB:ERR:0003", "queryId", "InvalidRequestExceptionType"},
		{"unknown query", q("queryId", "urn:fdc:oots:eb:ebxml-regrep:queries:nothing"), "", "EB:ERR:0007", "urn:fdc:oots:eb:ebxml-regrep:queries:nothing", "InvalidRequestExceptionType"},
		{"repeated parameter", q("queryId", eb.QueryRequirements) + "&country-code=FR&country-code=DE", "", "EB:ERR:0003", "country-code", "InvalidRequestExceptionType"},
		{"unknown parameter", q("queryId", eb.QueryRequirements, "colour", "blue"), "", "EB:ERR:0003", "colour", "InvalidRequestExceptionType"},
		{"2.0 parameter in 1.x", q("queryId", eb.QueryRequirements, "return-incomplete", "true"), "", "EB:ERR:0003", "return-incomplete", "InvalidRequestExceptionType"},
		{"1.x parameter in 2.0", q("queryId", eb.QueryRequirements, "jurisdiction-admin-l2", "DE3"), "oots-cs:v2.0", "EB:ERR:0003", "jurisdiction-admin-l2", "InvalidRequestExceptionType"},
		{"missing requirement", q("queryId", eb.QueryEvidenceTypes, "country-code", "FR"), "", "EB:ERR:0003", "requirement-id", "InvalidRequestExceptionType"},
		{"unknown requirement", q("queryId", eb.QueryEvidenceTypes, "requirement-id", "https://sr.oots.tech.ec.europa.eu/requirements/1b0f7b2e-0000-4000-8000-000000000000"), "", "EB:ERR:0002", "https://sr.oots.tech.ec.europa.eu/requirements/1b0f7b2e-0000-4000-8000-000000000000", "ObjectNotFoundExceptionType"},
		{"unknown procedure", q("queryId", eb.QueryRequirements, "procedure-id", "ZZ9"), "", "EB:ERR:0005", "procedure-id", "InvalidRequestExceptionType"},
		{"unknown country", q("queryId", eb.QueryRequirements, "country-code", "XX"), "", "EB:ERR:0006", "country-code", "InvalidRequestExceptionType"},
		{"bad NUTS", q("queryId", eb.QueryRequirements, "jurisdiction-admin-l2", "DE99999"), "", "EB:ERR:0004", "jurisdiction-admin-l2", "InvalidRequestExceptionType"},
		{"bad NUTS in 1.2", q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "jurisdiction-admin-l2", "DE99999"), "oots-cs:v1.2", "EB:ERR:0004", "jurisdiction-admin-l2", "InvalidRequestExceptionType"},
		{"bad LAU", q("queryId", eb.QueryRequirements, "jurisdiction-admin-l3", "not a LAU"), "", "EB:ERR:0004", "jurisdiction-admin-l3", "InvalidRequestExceptionType"},
		// EB:ERR:0004 is withdrawn in 2.0 with the parameters it answered:
		// they are parameters the query does not have.
		{"bad NUTS in 2.0", q("queryId", eb.QueryRequirements, "jurisdiction-admin-l2", "DE99999"), "oots-cs:v2.0", "EB:ERR:0003", "jurisdiction-admin-l2", "InvalidRequestExceptionType"},
		{"bad LAU in 2.0", q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "jurisdiction-admin-l3", "x y"), "oots-cs:v2.0", "EB:ERR:0003", "jurisdiction-admin-l3", "InvalidRequestExceptionType"},
		{"empty result", q("queryId", eb.QueryRequirements, "procedure-id", "R1", "country-code", "IS"), "", "EB:ERR:0001", "", "ObjectNotFoundExceptionType"},
		{"no list in country", q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "country-code", "IS"), "", "EB:ERR:0001", "", "ObjectNotFoundExceptionType"},
		{"SQL injection", q("queryId", eb.QueryRequirements, "procedure-id", "R1' OR '1'='1"), "", "EB:ERR:0005", "procedure-id", "InvalidRequestExceptionType"},
		{"injection in requirement", q("queryId", eb.QueryEvidenceTypes, "requirement-id", "https://x/requirements/1\"><x/>"), "", "EB:ERR:0003", "requirement-id", "InvalidRequestExceptionType"},
		{"control character", "queryId=" + url.QueryEscape(eb.QueryRequirements) + "&country-code=F%00R", "", "EB:ERR:0003", "country-code", "InvalidRequestExceptionType"},
		{"huge value", q("queryId", eb.QueryRequirements, "procedure-id", long), "", "EB:ERR:0003", "procedure-id", "InvalidRequestExceptionType"},
		{"huge query", q("queryId", eb.QueryRequirements) + strings.Repeat("&a=b", 3000), "", "EB:ERR:0003", "query", "InvalidRequestExceptionType"},
		{"bad paging", q("queryId", eb.QueryRequirements, "startIndex", "-1"), "", "EB:ERR:0003", "startIndex", "InvalidRequestExceptionType"},
		{"bad return-incomplete", q("queryId", eb.QueryRequirements, "return-incomplete", "maybe"), "oots-cs:v2.0", "EB:ERR:0003", "return-incomplete", "InvalidRequestExceptionType"},
		{"unknown version", q("queryId", eb.QueryRequirements), "oots-cs:v9", "EB:ERR:0003", "Accept-Version", "InvalidRequestExceptionType"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := get(t, h, c.query, c.version)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP status %d, want 200", resp.StatusCode)
			}
			b := body(t, resp)
			code, detail, typ := exception(t, b)
			if code != c.code || detail != c.detail || typ != c.typ {
				t.Errorf("got %s %q %s, want %s %q %s", code, detail, typ, c.code, c.detail, c.typ)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	h := newHandler(t)
	b := body(t, get(t, h, q("queryId", eb.QueryRequirements, "startIndex", "50", "maxResults", "10"), "oots-cs:v2.0"))
	m, _, err := edm.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*edm.ServiceResponse)
	if len(r.Objects) != 3 || r.StartIndex != "50" || r.TotalResultCount != "53" {
		t.Errorf("%d objects, startIndex %q, totalResultCount %q; want 3, 50, 53", len(r.Objects), r.StartIndex, r.TotalResultCount)
	}
	all := cstest.Content(t, body(t, get(t, h, q("queryId", eb.QueryRequirements), "oots-cs:v2.0")))
	if diff := cmp.Diff(all[50:], cstest.Content(t, b)); diff != "" {
		t.Errorf("page content:\n%.2000s", diff)
	}
}

// TestVersions: the 1.x form has no SpecificationIdentifier, puts the
// jurisdiction on each evidence type and leaves out 2.0-only elements.
func TestVersions(t *testing.T) {
	h := newHandler(t)
	query := q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "country-code", "FR")
	for _, v := range []string{"", "oots-cs:v1.2", "oots-cs:v1"} {
		b := body(t, get(t, h, query, v))
		m, _, err := edm.ParseBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		r := m.(*edm.ServiceResponse)
		if r.Version() != edm.CSv1 || regrep.Find(r.OtherSlots, "SpecificationIdentifier") != nil {
			t.Errorf("Accept-Version %q: version %s", v, r.Version())
		}
		req := r.Requirements()[0]
		if len(req.Description) != 0 {
			t.Errorf("Accept-Version %q: 1.x answer has a requirement description", v)
		}
		for _, l := range req.EvidenceTypeList {
			if len(l.Jurisdiction) != 0 {
				t.Errorf("Accept-Version %q: jurisdiction on the list", v)
			}
			for _, et := range l.EvidenceType {
				if len(et.Jurisdiction) == 0 || et.Jurisdiction[0].AdminUnitLevel1 != "FR" {
					t.Errorf("Accept-Version %q: evidence type jurisdiction %v, want FR", v, et.Jurisdiction)
				}
			}
		}
	}
}

func TestMethodAndPath(t *testing.T) {
	h := newHandler(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/eb/rest/search", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/eb/other", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("other path: %d", rec.Code)
	}
}

// TestOfficialRules: the answers of the server, on the demo data set, pass
// the official EB rule files (our engine and schematron.sh).
func TestOfficialRules(t *testing.T) {
	reg := cstest.DemoRegistry(t)
	h, err := eb.NewHandler(eb.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	var birth string
	for _, r := range reg.Snapshot().Requirements() {
		if r.Requirement.Name[0].Value == "Proof of birth" {
			birth = r.Requirement.Identifier.Value
		}
	}
	var answers []cstest.Answer
	for _, c := range []struct{ name, query string }{
		{"requirements R1 DE", q("queryId", eb.QueryRequirements, "procedure-id", "R1", "country-code", "DE")},
		{"evidence types FI", q("queryId", eb.QueryEvidenceTypes, "requirement-id", birth, "country-code", "FI")},
		{"EB:ERR:0007", q("queryId", "urn:x")},
	} {
		answers = append(answers, cstest.Answer{Name: c.name, Body: body(t, get(t, h, c.query, ""))})
	}
	if code, _, _ := exception(t, answers[1].Body); code != "" {
		t.Fatalf("evidence types query failed: %s", code)
	}
	cstest.CheckRules(t, answers)
}

// TestCacheFollowsRegistry: a cached answer is reused while the registry is
// unchanged and dropped when an LCM request changes it.
func TestCacheFollowsRegistry(t *testing.T) {
	reg := cstest.DemoRegistry(t)
	h, err := eb.NewHandler(eb.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	query := q("queryId", eb.QueryRequirements, "procedure-id", "R1", "country-code", "DE")
	first, again := body(t, get(t, h, query, "")), body(t, get(t, h, query, ""))
	if string(first) != string(again) {
		t.Error("repeated query not answered from the cache")
	}
	sub, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/lcm/5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.SubmitXML(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	after := body(t, get(t, h, query, ""))
	if n := len(cstest.Content(t, after)); n != 2 {
		t.Errorf("after the LCM request: %d requirements, want 2 (demo and TDD)", n)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  eb.Config
		want string
	}{
		{eb.Config{}, "Config.Registry"},
		{eb.Config{Registry: cstest.DemoRegistry(t)}, "Config.Signer"},
		{eb.Config{Registry: cstest.DemoRegistry(t), Signer: cstest.AnySigner(t), MaxResults: -1}, "Config.MaxResults"},
	} {
		if _, err := eb.NewHandler(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want an error naming %s", err, c.want)
		}
	}
}

// TestConcurrentQueriesAndLCM: queries run while LCM requests change the
// registry; every answer is complete (run with -race).
func TestConcurrentQueriesAndLCM(t *testing.T) {
	reg := cstest.DemoRegistry(t)
	h, err := eb.NewHandler(eb.Config{Registry: reg, Signer: cstest.AnySigner(t), CacheFor: -1})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/lcm/5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml"))
	if err != nil {
		t.Fatal(err)
	}
	query := q("queryId", eb.QueryRequirements, "procedure-id", "R1", "country-code", "DE")
	done := make(chan struct{})
	errs := make(chan string, 100)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- ""
					return
				default:
				}
				n := len(cstest.Content(t, body(t, get(t, h, query, ""))))
				if n != 1 && n != 2 {
					errs <- "an answer with " + strconv.Itoa(n) + " requirements"
				}
			}
		}()
	}
	for range 10 {
		if _, err := reg.SubmitXML(context.Background(), sub); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 4 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

// TestNoWithdrawnCodeIn2: whatever a 2.0 query asks, the answer never
// carries EB:ERR:0004, and every 2.0 error answer reads without finding
// (edm.Check flags a code withdrawn in the answer's version).
func TestNoWithdrawnCodeIn2(t *testing.T) {
	h := newHandler(t)
	queries := []string{
		q("queryId", eb.QueryRequirements, "jurisdiction-admin-l2", "DE99999"),
		q("queryId", eb.QueryRequirements, "jurisdiction-admin-l2", "DE3"),
		q("queryId", eb.QueryRequirements, "jurisdiction-admin-l3", "!!"),
		q("queryId", eb.QueryRequirements, "country-code", "FR", "jurisdiction-admin-l2", "FR1", "jurisdiction-admin-l3", "75056"),
		q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "jurisdiction-admin-l2", ""),
		q("queryId", eb.QueryEvidenceTypes, "requirement-id", testRequirement, "country-code", "XX"),
		q("queryId", eb.QueryRequirements, "procedure-id", "ZZ9"),
	}
	for _, query := range queries {
		b := body(t, get(t, h, query, "oots-cs:v2.0"))
		m, findings, err := edm.ParseBytes(b)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		e, ok := m.(*edm.ErrorResponse)
		if !ok {
			t.Errorf("%s: answered %s, want an error", query, m.Kind())
			continue
		}
		if e.Version() != edm.CSv20 || len(findings) > 0 {
			t.Errorf("%s: %s answer with findings %v", query, e.Version(), findings)
		}
		for _, x := range e.Exceptions {
			if _, ok := edm.LookupErrorIn(x.Code, edm.CSv20); !ok {
				t.Errorf("%s: answered %s, which oots-cs:v2.0 does not have", query, x.Code)
			}
		}
	}
}

package csquery_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oots-go/oots/csquery"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
)

const (
	ebBase  = "https://query.cs.acc.oots.tech.ec.europa.eu/eb/rest/search?"
	dsdBase = "https://query.cs.acc.oots.tech.ec.europa.eu/dsd/rest/search?"
	reqQ    = "queryId=" + eb.QueryRequirements
	etQ     = "queryId=" + eb.QueryEvidenceTypes
	dsQ     = "queryId=" + dsd.QueryDataServices
	etc     = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/oots/00000000-0000-0000-0000-000000000000"
)

// cases: a query URL and the code each version answers ("" valid).
var cases = []struct {
	name, url    string
	want1, want2 string
}{
	{"requirements", ebBase + reqQ + "&procedure-id=R1&country-code=DE", "", ""},
	{"unknown procedure", ebBase + reqQ + "&procedure-id=ZZ9&country-code=DE", "EB:ERR:0005", "EB:ERR:0005"},
	{"unknown country", ebBase + reqQ + "&procedure-id=R1&country-code=XX", "EB:ERR:0006", "EB:ERR:0006"},
	{"jurisdiction level: 1.x only", ebBase + reqQ + "&procedure-id=R1&country-code=DE&jurisdiction-admin-l2=DE1", "", "EB:ERR:0003"},
	{"bad NUTS code in 1.x", ebBase + reqQ + "&procedure-id=R1&country-code=DE&jurisdiction-admin-l2=ZZ99", "EB:ERR:0004", "EB:ERR:0003"},
	{"return-incomplete: 2.0 only", ebBase + reqQ + "&procedure-id=R1&country-code=DE&return-incomplete=false", "EB:ERR:0003", ""},
	{"evidence types without requirement", ebBase + etQ + "&country-code=DE", "EB:ERR:0003", "EB:ERR:0003"},
	{"unknown EB query", ebBase + "queryId=urn:fdc:oots:eb:ebxml-regrep:queries:nothing&country-code=DE", "EB:ERR:0007", "EB:ERR:0007"},
	{"repeated parameter", ebBase + reqQ + "&procedure-id=R1&procedure-id=R1", "EB:ERR:0003", "EB:ERR:0003"},
	{"data services", dsdBase + dsQ + "&evidence-type-classification=" + url.QueryEscape(etc) + "&country-code=FR", "", ""},
	{"DSD without country", dsdBase + dsQ + "&evidence-type-classification=" + url.QueryEscape(etc), "DSD:ERR:0003", "DSD:ERR:0003"},
	{"DSD unknown country", dsdBase + dsQ + "&evidence-type-classification=" + url.QueryEscape(etc) + "&country-code=QQ", "DSD:ERR:0006", "DSD:ERR:0006"},
	{"DSD unknown query", dsdBase + "queryId=urn:fdc:oots:dsd:ebxml-regrep:queries:other", "DSD:ERR:0004", "DSD:ERR:0004"},
	{"DSD unknown specification", dsdBase + dsQ + "&evidence-type-classification=" + url.QueryEscape(etc) + "&country-code=FR&specification=oots-edm:v9", "DSD:ERR:0006", "DSD:ERR:0006"},
	{"Testing Services layout", "https://query.cs.testing.oots.tech.ec.europa.eu/eb/FR/rest/search?" + reqQ + "&procedure-id=R1&country-code=FR", "", ""},
}

func TestCheck(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := csquery.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			vs := csquery.Check(q)
			if len(vs) != 2 || vs[0].Version != edm.CSv1 || vs[1].Version != edm.CSv20 {
				t.Fatalf("verdicts %+v", vs)
			}
			if string(vs[0].Code) != c.want1 || string(vs[1].Code) != c.want2 {
				t.Errorf("1.x %q (%s), 2.0 %q (%s); want %q, %q", vs[0].Code, vs[0].Cause, vs[1].Code, vs[1].Cause, c.want1, c.want2)
			}
			for _, v := range vs {
				if !v.Valid() && (v.Param == "" && v.Code != "EB:ERR:0001") {
					t.Errorf("%s: %s without the parameter concerned", v.Version, v.Code)
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{
		"ftp://example.eu/eb/rest/search?x=1",
		"https://example.eu/eb/rest/other?queryId=1",
		"https://example.eu/rest/search?queryId=urn:other",
		"/eb/rest/search?" + reqQ,
		"https://example.eu/eb/rest/search?" + strings.Repeat("a", csquery.MaxURL),
	} {
		if _, err := csquery.Parse(s); !errors.Is(err, csquery.ErrNotQuery) {
			t.Errorf("Parse(%.60q) = %v, want ErrNotQuery", s, err)
		}
	}
}

// TestServerAnswersTheVerdict: the Common Services server (the eb and dsd
// handlers, over HTTP on loopback) answers each query the validator refuses
// with the code the validator gives, in each version.
func TestServerAnswersTheVerdict(t *testing.T) {
	reg, err := csregistry.Open(context.Background(), csregistry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ebh, err := eb.NewHandler(eb.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	dsdh, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: cstest.AnySigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/eb/", ebh)
	mux.Handle("/dsd/", dsdh)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	n := 0
	for _, c := range cases {
		q, err := csquery.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range csquery.Check(q) {
			if v.Valid() {
				continue
			}
			u := srv.URL + "/" + string(q.Service) + "/rest/search?" + q.Raw
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			if v.Version == edm.CSv20 {
				req.Header.Set("Accept-Version", string(edm.CSv20))
			}
			n++
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), string(v.Code)) {
				t.Errorf("%s in %s: the validator says %s, the server answers:\n%.400s", c.name, v.Version, v.Code, body)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d refused queries asked of the server", n)
	}
}

// FuzzParse: Parse never panics, and what it accepts has a service and is
// judged in both versions.
func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(c.url)
	}
	f.Add("https://x/eb/rest/search?%zz")
	f.Add("https://x/dsd/rest/search?queryId=urn:fdc:oots:eb:x&a=%00")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := csquery.Parse(s)
		if err != nil {
			if !errors.Is(err, csquery.ErrNotQuery) {
				t.Fatalf("error without ErrNotQuery: %v", err)
			}
			return
		}
		if q.Service != csquery.EvidenceBroker && q.Service != csquery.DSD {
			t.Fatalf("service %q", q.Service)
		}
		if vs := csquery.Check(q); len(vs) != 2 {
			t.Fatalf("%d verdicts", len(vs))
		}
	})
}

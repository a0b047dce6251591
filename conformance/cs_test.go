package conformance_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/csserver"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// commonServices serves the demo Common Services over loopback (the router
// of "oots cs serve"), with a defect put in front by wrap (nil: none).
func commonServices(t *testing.T, wrap func(http.Handler) http.Handler) (string, *trust.Store) {
	t.Helper()
	return commonServicesIn(t, "", wrap)
}

// commonServicesIn serves the demo Common Services with the identifiers of
// the environment env of the Semantic Repository (demo.LoadIn).
func commonServicesIn(t *testing.T, env string, wrap func(http.Handler) http.Handler) (string, *trust.Store) {
	t.Helper()
	ctx := context.Background()
	cfg := csregistry.Config{}
	if env != "" {
		cfg.TolerateRules = csregistry.EnvironmentRules()
	}
	reg, err := csregistry.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadIn(ctx, reg, env); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.NewCA("conformance test CS CA", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pki.IssueES256(ca, "conformance test CS signer", nil)
	if err != nil {
		t.Fatal(err)
	}
	mux, err := csserver.Mux(reg, &csrest.Signer{Key: c.Key.(crypto.Signer), Chain: []*x509.Certificate{c.Cert}}, slog.New(slog.DiscardHandler), nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/", trust.NewStore(ca.Cert)
}

// rewriteQuery changes a query parameter before the service sees it.
func rewriteQuery(param, from, to string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get(param) == from {
				if to == "" {
					q.Del(param)
				} else {
					q.Set(param, to)
				}
				r.URL.RawQuery = q.Encode()
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestCommonServicesSuite: against the demo Common Services every case
// passes; against each defect the intended case fails with its reason.
func TestCommonServicesSuite(t *testing.T) {
	tests := []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		failID string
		reason string
	}{
		{name: "healthy"},
		{name: "unsigned answers", wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(stripHeader{w, "Oots-Response-Sig"}, r)
			})
		}, failID: "CS-01", reason: "the answer's signature does not verify"},
		{name: "unknown procedure answered", wrap: rewriteQuery("procedure-id", "ZZ9", "R1"), failID: "CS-04", reason: "expected EB:ERR:0005, got a successful answer"},
		{name: "Accept-Version ignored", wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set("Accept-Version", "oots-cs:v2.0")
				h.ServeHTTP(w, r)
			})
		}, failID: "CS-12", reason: `Accept-Version "": the answer is oots-cs:v2.0, expected oots-cs:v1`},
		{name: "paging ignored", wrap: rewriteQuery("maxResults", "1", ""), failID: "CS-13", reason: "maxResults=1 startIndex=0"},
		{name: "wrong status", wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("country-code") == "" && strings.Contains(r.URL.Path, "dsd") {
					http.Error(w, "bad request", http.StatusBadRequest)
					return
				}
				h.ServeHTTP(w, r)
			})
		}, failID: "CS-10", reason: "HTTP 400: the Common Services always answer 200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, roots := commonServices(t, tc.wrap)
			rep, err := conformance.Run(context.Background(), conformance.Config{CS: &conformance.CSTarget{BaseURL: base, Trust: roots}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Cases) != 13 {
				t.Fatalf("%d cases, want 13", len(rep.Cases))
			}
			for _, c := range rep.Cases {
				if c.ID == tc.failID {
					if c.Status != conformance.Fail || !strings.Contains(c.Reason, tc.reason) {
						t.Errorf("%s: %s %q, want a failure saying %q", c.ID, c.Status, c.Reason, tc.reason)
					}
					continue
				}
				if tc.failID == "" && c.Status != conformance.Pass {
					t.Errorf("%s %s: %s: %s", c.ID, c.Name, c.Status, c.Reason)
				}
			}
			if tc.failID == "" && (rep.Level != conformance.LevelNone || !strings.Contains(strings.Join(rep.Missing, ";"), "AS4-01")) {
				t.Errorf("level %s, missing %q: without the AS4 suites no level", rep.Level, rep.Missing)
			}
		})
	}
}

// stripHeader removes one header from an answer.
type stripHeader struct {
	http.ResponseWriter
	name string
}

func (s stripHeader) WriteHeader(code int) {
	s.Header().Del(s.name)
	s.ResponseWriter.WriteHeader(code)
}

func (s stripHeader) Write(b []byte) (int, error) {
	s.Header().Del(s.name)
	return s.ResponseWriter.Write(b)
}

// TestCommonServicesSuiteInEnvironment: the suite runs against Common
// Services that publish the identifiers of the acceptance environment
// (sr.acc.…, one classification with the test segment oots) as against
// production ones; its queries for what does not exist name identifiers of
// that environment; a kit told the wrong environment fails the cases whose
// answers carry identifiers.
func TestCommonServicesSuiteInEnvironment(t *testing.T) {
	var asked []string
	record := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			for _, p := range []string{"requirement-id", "evidence-type-classification"} {
				// The identifiers the kit makes up for what does not exist.
				if v := q.Get(p); strings.HasSuffix(v, "/00000000-0000-0000-0000-000000000000") {
					asked = append(asked, v)
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	for _, tc := range []struct {
		served, told string
		fail         map[string]string // case → what its failure says
	}{
		{"acc", "acc", nil},
		{"", "", nil},
		{"", "acc", map[string]string{"CS-01": "environment", "CS-02": "environment", "CS-03": "environment"}},
		// Told production, the kit holds the 1.x answers to the TDD 1.0
		// rules, which admit only the production host.
		{"acc", "", map[string]string{"CS-01": "environment", "CS-02": "environment", "CS-03": "environment", "CS-12": "R-EB-REQ-C001"}},
	} {
		asked = nil
		base, roots := commonServicesIn(t, tc.served, record)
		rep, err := conformance.Run(context.Background(), conformance.Config{CS: &conformance.CSTarget{BaseURL: base, Trust: roots, Country: "FI", SREnvironment: tc.told}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rep.Cases {
			reason, wantFail := tc.fail[c.ID]
			switch {
			case wantFail && (c.Status != conformance.Fail || !strings.Contains(c.Reason, reason)):
				t.Errorf("served %q, told %q: %s: %s %q, want a failure saying %q", tc.served, tc.told, c.ID, c.Status, c.Reason, reason)
			case !wantFail && c.Status != conformance.Pass:
				t.Errorf("served %q, told %q: %s %s: %s: %s", tc.served, tc.told, c.ID, c.Name, c.Status, c.Reason)
			}
		}
		if len(asked) != 3 {
			t.Errorf("served %q, told %q: the kit asked for %v, want three identifiers of what does not exist", tc.served, tc.told, asked)
		}
		for _, id := range asked {
			if sr, err := edm.ParseSRID(id); err != nil || (tc.told == "acc") != (sr.Env == "acc") {
				t.Errorf("served %q, told %q: the kit asked for %s", tc.served, tc.told, id)
			}
		}
	}
}

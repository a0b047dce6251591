package csclient_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/trust"
)

type env struct {
	srv   *httptest.Server
	reg   *csregistry.Registry
	roots *trust.Store
	hits  atomic.Int64
	// tamper, when set, changes the answer on its way to the client.
	tamper func(h http.Header, body []byte) []byte
}

// newEnv serves the demo data set with our Evidence Broker and DSD.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{reg: cstest.DemoRegistry(t)}
	signer, roots := cstest.Signer(t)
	e.roots = roots
	ebh, err := eb.NewHandler(eb.Config{Registry: e.reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	dsdh, err := dsd.NewHandler(dsd.Config{Registry: e.reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/eb/", ebh)
	mux.Handle("/dsd/", dsdh)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		if e.tamper == nil {
			mux.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		body := e.tamper(rec.Header(), rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) client(t *testing.T, cfg csclient.Config) *csclient.Client {
	t.Helper()
	if cfg.EBURL == "" && cfg.Discovery == nil {
		cfg.EBURL, cfg.DSDURL = e.srv.URL+"/", e.srv.URL+"/"
	}
	if cfg.Trust == nil {
		cfg.Trust = e.roots
	}
	c, err := csclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) birth(t *testing.T) (requirement, classificationDE string) {
	for _, r := range e.reg.Snapshot().Requirements() {
		if r.Requirement.Name[0].Value == "Proof of birth" {
			requirement = r.Requirement.Identifier.Value
		}
	}
	return requirement, e.reg.Snapshot().AllDataServices()[0].Type.EvidenceTypeClassification
}

func TestQueries(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, csclient.Config{})
	ctx := context.Background()
	reqs, err := c.Requirements(ctx, "R1", "DE")
	if err != nil || len(reqs) != 1 || len(reqs[0].ReferenceFramework) != 1 {
		t.Fatalf("requirements: %v %v", reqs, err)
	}
	req, classification := e.birth(t)
	r, err := c.EvidenceTypes(ctx, req, "DE")
	if err != nil || len(r.EvidenceTypeList) != 1 || r.EvidenceTypeList[0].EvidenceType[0].EvidenceTypeClassification != classification {
		t.Fatalf("evidence types: %v", err)
	}
	// The DSD:ERR:0005 dialogue.
	_, err = c.DataServices(ctx, classification, "DE", nil)
	var se *csclient.ServiceError
	if !errors.Is(err, csclient.ErrAdditionalInput) || !errors.As(err, &se) || len(se.Exception.UserRequestedClassificationConcepts) != 1 {
		t.Fatalf("want DSD:ERR:0005 with one concept, got %v", err)
	}
	concept := se.Exception.UserRequestedClassificationConcepts[0].Identifier.Value
	ds, err := c.DataServices(ctx, classification, "DE", map[string]string{concept: "ApplicantHasNeverBeenResidentInGermany"})
	if err != nil || len(ds) != 1 || len(ds[0].AccessService) != 1 {
		t.Fatalf("data services after the user's input: %v", err)
	}
	if _, err := c.EvidenceTypes(ctx, req+"0", "DE"); !errors.Is(err, csclient.ErrNotFound) {
		t.Errorf("unknown requirement: %v, want ErrNotFound", err)
	}
	if _, err := c.Requirements(ctx, "R1", "XX"); !errors.Is(err, csclient.ErrInvalidRequest) {
		t.Errorf("unknown country: %v, want ErrInvalidRequest", err)
	}
}

func TestCacheFreshness(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	c := e.client(t, csclient.Config{TTL: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	a, err := c.Query(ctx, csdiscovery.EvidenceBroker, csclient.QueryRequirements, url.Values{"procedure-id": {"S1"}})
	if err != nil || a.Cached {
		t.Fatalf("first query: %v cached=%v", err, a != nil && a.Cached)
	}
	a, err = c.Query(ctx, csdiscovery.EvidenceBroker, csclient.QueryRequirements, url.Values{"procedure-id": {"S1"}})
	if err != nil || !a.Cached || e.hits.Load() != 1 {
		t.Fatalf("second query: cached=%v, %d requests", a != nil && a.Cached, e.hits.Load())
	}
	now = now.Add(61 * time.Second)
	a, err = c.Query(ctx, csdiscovery.EvidenceBroker, csclient.QueryRequirements, url.Values{"procedure-id": {"S1"}})
	if err != nil || a.Cached || e.hits.Load() != 2 {
		t.Fatalf("after the TTL: cached=%v, %d requests", a != nil && a.Cached, e.hits.Load())
	}
	// Errors are not cached.
	for range 2 {
		c.Requirements(ctx, "R1", "XX")
	}
	if e.hits.Load() != 4 {
		t.Errorf("%d requests, want 4: error answers must not be cached", e.hits.Load())
	}
}

// An answer whose Cache-Control forbids reuse (no-store, or no-cache: the
// client cannot revalidate) is asked again; directive names are
// case-insensitive and may come in any field line (RFC 9111 §5.2).
func TestCacheControl(t *testing.T) {
	for _, c := range []struct {
		lines []string
		hits  int64
	}{
		{nil, 1},
		{[]string{"max-age=60"}, 1},
		{[]string{"no-store"}, 2},
		{[]string{"No-Store"}, 2},
		{[]string{"private, NO-STORE"}, 2},
		{[]string{"private", "no-store"}, 2},
		{[]string{"no-cache"}, 2},
		{[]string{"max-age=0, No-Cache"}, 2},
		{[]string{`no-cache="Set-Cookie"`}, 1}, // only that field may not be reused
	} {
		e := newEnv(t)
		e.tamper = func(h http.Header, b []byte) []byte {
			for _, l := range c.lines {
				h.Add("Cache-Control", l)
			}
			return b
		}
		cl := e.client(t, csclient.Config{TTL: time.Hour})
		for range 2 {
			if _, err := cl.Requirements(context.Background(), "R1", "DE"); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.hits.Load(); got != c.hits {
			t.Errorf("Cache-Control %q: %d requests, want %d", c.lines, got, c.hits)
		}
	}
}

func TestSignatureRejected(t *testing.T) {
	e := newEnv(t)
	_, otherRoots := cstest.Signer(t)
	ctx := context.Background()
	if _, err := e.client(t, csclient.Config{Trust: otherRoots}).Requirements(ctx, "R1", "DE"); !errors.Is(err, csclient.ErrSignature) || !errors.Is(err, jades.ErrUntrustedChain) {
		t.Errorf("other trust anchor: %v, want ErrSignature (untrusted chain)", err)
	}
	e.tamper = func(_ http.Header, b []byte) []byte {
		return bytes.Replace(b, []byte("Proof of birth"), []byte("Proof of birtH"), 1)
	}
	if _, err := e.client(t, csclient.Config{}).Requirements(ctx, "R1", "DE"); !errors.Is(err, csclient.ErrSignature) || !errors.Is(err, jades.ErrDigestMismatch) {
		t.Errorf("changed body: %v, want ErrSignature (digest)", err)
	}
	e.tamper = func(h http.Header, b []byte) []byte {
		h.Del("Oots-Response-Sig")
		return b
	}
	if _, err := e.client(t, csclient.Config{}).Requirements(ctx, "R1", "DE"); !errors.Is(err, csclient.ErrSignature) {
		t.Errorf("unsigned answer: %v, want ErrSignature", err)
	}
}

func TestTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	_, roots := cstest.Signer(t)
	c, err := csclient.New(csclient.Config{EBURL: slow.URL, DSDURL: slow.URL, Trust: roots, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Requirements(context.Background(), "R1", "DE"); !errors.Is(err, csclient.ErrTransport) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want ErrTransport and a deadline", err)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	r, err := csdiscovery.New(csdiscovery.Config{Static: map[string]string{"eb": e.srv.URL + "/", "dsd": e.srv.URL + "/"}, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t, csclient.Config{Discovery: r, Country: "DE"})
	if _, err := c.Requirements(context.Background(), "T2", "FI"); err != nil {
		t.Fatal(err)
	}
	none, err := csdiscovery.New(csdiscovery.Config{Static: map[string]string{"dsd": e.srv.URL + "/"}, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	c = e.client(t, csclient.Config{Discovery: none, Country: "DE"})
	if _, err := c.Requirements(context.Background(), "T2", "FI"); !errors.Is(err, csclient.ErrDiscovery) {
		t.Errorf("no record: %v, want ErrDiscovery", err)
	}
}

// capture reads a captured answer file: from testdata (the error answers)
// or else from the shared specification folder.
func capture(t *testing.T, file string) []byte {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join("testdata", file)); err == nil {
		return b
	}
	return cstest.Capture(t, file)
}

// replay is a test double of the Commission's acceptance services: it
// serves a captured answer with its captured headers.
func replay(t *testing.T, name string, tamper func(h http.Header, b []byte) []byte) (*httptest.Server, *trust.Store, time.Time) {
	t.Helper()
	body := capture(t, name+".xml")
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(capture(t, name+".headers")))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			h.Add(k, strings.TrimSpace(v))
		}
	}
	// The trust anchor: the root the captured chain ends with; the time:
	// the signing time (the chain has expired since).
	prot, _, _ := strings.Cut(h.Get("oots-response-sig"), ".")
	raw, err := base64.RawURLEncoding.DecodeString(prot)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		X5c []string `json:"x5c"`
		Iat int64    `json:"iat"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		t.Fatal(err)
	}
	der, _ := base64.StdEncoding.DecodeString(hdr.X5c[len(hdr.X5c)-1])
	root, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	// Trusted because it is the Commission's test root, not because the
	// answer carries it.
	if sum := sha256.Sum256(der); hex.EncodeToString(sum[:]) != captureRootSHA256 {
		t.Fatalf("%s: the chain ends with a root of SHA-256 %x, not the Commission's test root", name, sum)
	}
	if tamper != nil {
		body = tamper(h, bytes.Clone(body))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range h {
			w.Header()[k] = v
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, trust.NewStore(root), time.Unix(hdr.Iat, 0)
}

// TestCaptures: the client verifies the real answers of the Commission's
// services and rejects them when one byte of the body or of the signed
// header changes.
func TestCaptures(t *testing.T) {
	for _, c := range []struct{ name, query string }{
		{"eb_requirements_fr", csclient.QueryRequirements},
		{"eb_evidence_types_fr", csclient.QueryEvidenceTypes},
		{"eb_requirements_catalogue", csclient.QueryRequirements},
		{"dsd_data_services_fi", csclient.QueryDataServices},
	} {
		svc := csdiscovery.EvidenceBroker
		if strings.HasPrefix(c.name, "dsd") {
			svc = csdiscovery.DataServiceDirectory
		}
		for _, tc := range []struct {
			what   string
			tamper func(h http.Header, b []byte) []byte
			want   error
		}{
			{"as captured", nil, nil},
			{"one byte of the body", func(_ http.Header, b []byte) []byte { b[len(b)/2] ^= 1; return b }, jades.ErrDigestMismatch},
			{"one byte of the digest header", func(h http.Header, b []byte) []byte {
				d := []byte(h.Get("digest"))
				d[len(d)-3] ^= 1
				h.Set("digest", string(d))
				return b
			}, jades.ErrBadSignature},
		} {
			t.Run(c.name+"/"+tc.what, func(t *testing.T) {
				srv, roots, iat := replay(t, c.name, tc.tamper)
				cl, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, Now: func() time.Time { return iat }})
				if err != nil {
					t.Fatal(err)
				}
				a, err := cl.Query(context.Background(), svc, c.query, nil)
				if tc.want == nil {
					if err != nil {
						t.Fatal(err)
					}
					if len(a.Response.Objects) == 0 || !a.Verified.SignedAt.Equal(iat) {
						t.Errorf("%d objects, signed at %v", len(a.Response.Objects), a.Verified.SignedAt)
					}
					return
				}
				if !errors.Is(err, csclient.ErrSignature) || !errors.Is(err, tc.want) {
					t.Errorf("got %v, want ErrSignature and %v", err, tc.want)
				}
			})
		}
	}
}

// captureRootSHA256 pins "European Commission Root CA - 2 test", the root
// the captured chains end with.
const captureRootSHA256 = "e7bd73a08dfb38f55a1c51fe9818cc815896c084b392b44648bff81f21445bbe"

// TestCapturedErrors: the real services answer an empty result with HTTP 200
// and a signed Failure (testdata/README.md); the client verifies it, turns it
// into a *ServiceError matching ErrNotFound, does not cache it, and refuses
// it changed.
func TestCapturedErrors(t *testing.T) {
	for _, c := range []struct {
		name, query string
		svc         csdiscovery.Service
		code        string
	}{
		{"eb_requirements_vides", csclient.QueryRequirements, csdiscovery.EvidenceBroker, "EB:ERR:0001"},
		{"dsd_aucun_service_fr", csclient.QueryDataServices, csdiscovery.DataServiceDirectory, "DSD:ERR:0001"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int64
			srv, roots, iat := replay(t, c.name, nil)
			inner := srv.Config.Handler
			srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				inner.ServeHTTP(w, r)
			})
			cl, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, Now: func() time.Time { return iat }})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_, err = cl.Query(context.Background(), c.svc, c.query, nil)
				var se *csclient.ServiceError
				if !errors.As(err, &se) || !errors.Is(err, csclient.ErrNotFound) || string(se.Exception.Code) != c.code {
					t.Fatalf("got %v, want a ServiceError %s matching ErrNotFound", err, c.code)
				}
			}
			if hits.Load() != 2 {
				t.Errorf("%d requests for two queries: an error answer was cached", hits.Load())
			}

			srv, roots, iat = replay(t, c.name, func(_ http.Header, b []byte) []byte {
				return bytes.Replace(b, []byte(c.code), []byte("XX:ERR:0001"), 1)
			})
			cl, err = csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, Now: func() time.Time { return iat }})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cl.Query(context.Background(), c.svc, c.query, nil); !errors.Is(err, csclient.ErrSignature) || !errors.Is(err, jades.ErrDigestMismatch) {
				t.Errorf("changed code: got %v, want ErrSignature (digest)", err)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	_, roots := cstest.Signer(t)
	for _, c := range []struct {
		cfg  csclient.Config
		want string
	}{
		{csclient.Config{EBURL: "https://a/", DSDURL: "https://a/"}, "Config.Trust"},
		{csclient.Config{Trust: roots}, "Config.Discovery"},
		{csclient.Config{Trust: roots, EBURL: "ftp://a", DSDURL: "https://a/"}, "EBURL"},
		{csclient.Config{Trust: roots, EBURL: "https://a/", DSDURL: "https://a/", Version: "oots-cs:v9"}, "Config.Version"},
	} {
		if _, err := csclient.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
}

// Accept-Version selects the form of the answer (SPEC.md §3.1): an answer of
// the other version is refused with ErrVersion. The witnesses are real and
// official answers: the Commission's acceptance answers (oots-cs:v2.0, with
// the SpecificationIdentifier slot) and the official TDD 1.0 samples of the
// Evidence Broker and the DSD (the v1 form, without it), the latter signed
// here since the samples come unsigned. Our own services, which follow
// Accept-Version, pass in both versions.
func TestAnswerVersion(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		svc         csdiscovery.Service
	}{
		{"eb_requirements_fr", csclient.QueryRequirements, csdiscovery.EvidenceBroker},
		{"dsd_data_services_fi", csclient.QueryDataServices, csdiscovery.DataServiceDirectory},
		{"eb_requirements_vides", csclient.QueryRequirements, csdiscovery.EvidenceBroker},
	} {
		srv, roots, iat := replay(t, c.name, nil)
		for _, v := range []edm.Version{edm.CSv20, edm.CSv1} {
			cl, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, Version: v, Now: func() time.Time { return iat }})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.Query(ctx, c.svc, c.query, nil)
			if v == edm.CSv1 && !errors.Is(err, csclient.ErrVersion) {
				t.Errorf("%s (oots-cs:v2.0) asked as %s: got %v, want ErrVersion", c.name, v, err)
			}
			// Asked as it is, the answer is read: a result, or the
			// service's error answer (vides: the empty result set).
			var se *csclient.ServiceError
			if v == edm.CSv20 && err != nil && !errors.As(err, &se) {
				t.Errorf("%s asked as %s: %v", c.name, v, err)
			}
		}
	}

	signer, roots := cstest.Signer(t)
	for _, c := range []struct {
		file, query string
		svc         csdiscovery.Service
	}{
		{"tdd-1.0/xml/eb/4-2-Get-List-of-Requirements-Query-Birth-Certificate.xml", csclient.QueryRequirements, csdiscovery.EvidenceBroker},
		{"tdd-1.0/xml/eb/4-3-Get-Evidence-Types-for-Requirement-Query-Birth-Certificate.xml", csclient.QueryEvidenceTypes, csdiscovery.EvidenceBroker},
		{"tdd-1.0/xml/dsd/4-3-Query-Response-of-the-DSD-Birth-Certificate.xml", csclient.QueryDataServices, csdiscovery.DataServiceDirectory},
	} {
		body, err := os.ReadFile(testenv.Spec(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(body, []byte("SpecificationIdentifier")) {
			t.Fatalf("%s has a SpecificationIdentifier: not the v1 form", c.file)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := jades.Sign(w.Header(), body, signer.Key, signer.Chain, time.Now()); err != nil {
				t.Error(err)
			}
			w.Write(body)
		}))
		t.Cleanup(srv.Close)
		for _, v := range []edm.Version{edm.CSv1, edm.CSv20} {
			cl, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, Version: v})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.Query(ctx, c.svc, c.query, nil)
			if v == edm.CSv1 && err != nil {
				t.Errorf("%s asked as %s: %v", c.file, v, err)
			}
			if v == edm.CSv20 && (!errors.Is(err, csclient.ErrVersion) || !strings.Contains(err.Error(), "oots-cs:v1")) {
				t.Errorf("%s (v1 form) asked as %s: got %v, want ErrVersion naming oots-cs:v1", c.file, v, err)
			}
		}
	}

	e := newEnv(t)
	for _, v := range []edm.Version{edm.CSv1, edm.CSv20} {
		if _, err := e.client(t, csclient.Config{Version: v}).Requirements(ctx, "R1", "DE"); err != nil {
			t.Errorf("our Evidence Broker asked as %s: %v", v, err)
		}
	}
}

// Config.MaxSignatureAge refuses a real answer replayed long after it was
// signed (fixed clock: two hours after its iat); by default none is set.
func TestMaxSignatureAge(t *testing.T) {
	srv, roots, iat := replay(t, "eb_requirements_fr", nil)
	later := func() time.Time { return iat.Add(2 * time.Hour) }
	for _, c := range []struct {
		maxAge time.Duration
		want   error
	}{
		{0, nil},
		{3 * time.Hour, nil},
		{time.Hour, jades.ErrStale},
	} {
		cl, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, Now: later, MaxSignatureAge: c.maxAge})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Query(context.Background(), csdiscovery.EvidenceBroker, csclient.QueryRequirements, nil)
		if c.want == nil && err != nil || c.want != nil && (!errors.Is(err, csclient.ErrSignature) || !errors.Is(err, c.want)) {
			t.Errorf("MaxSignatureAge %s: got %v, want %v", c.maxAge, err, c.want)
		}
	}
	// The cache keeps the answer only while its signature is young enough.
	now := iat.Add(30 * time.Minute)
	cl, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, TTL: 24 * time.Hour, MaxSignatureAge: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		at     time.Duration
		cached bool
		want   error
	}{{30 * time.Minute, false, nil}, {59 * time.Minute, true, nil}, {61 * time.Minute, false, jades.ErrStale}} {
		now = iat.Add(step.at)
		a, err := cl.Query(context.Background(), csdiscovery.EvidenceBroker, csclient.QueryRequirements, nil)
		if step.want == nil && (err != nil || a.Cached != step.cached) || step.want != nil && !errors.Is(err, step.want) {
			t.Errorf("at iat+%s: cached=%v, %v; want cached=%v, %v", step.at, a != nil && a.Cached, err, step.cached, step.want)
		}
	}
	if _, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: roots, MaxSignatureAge: -1}); err == nil || !strings.Contains(err.Error(), "MaxSignatureAge") {
		t.Errorf("negative MaxSignatureAge: %v", err)
	}
}

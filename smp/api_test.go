package smp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

func call(tb testing.TB, method, u, token string, body any) (int, string) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return answer(tb, req)
}

// answer sends req and returns the status and the body of the answer.
func answer(tb testing.TB, req *http.Request) (int, string) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestManagementAPI publishes through the REST API and reads the result
// through the SMP interface with our client.
func TestManagementAPI(t *testing.T) {
	f := getFixture(t)
	hs := f.server(t, smp.NewMemoryStore(), smp.OASIS1, f.smpCred)
	api := hs.URL + smp.PathAPI + "participants"
	pu := api + "/" + participant.PathSegment()
	mu := pu + "/services/" + docType.PathSegment()
	if st, _ := call(t, "PUT", pu, "", nil); st != http.StatusUnauthorized {
		t.Fatalf("without token: %d", st)
	}
	if st, _ := call(t, "PUT", pu, "wrong", nil); st != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", st)
	}
	if st, body := call(t, "PUT", mu, "secret", f.metadata()); st != http.StatusNotFound || !strings.Contains(body, "create it first") {
		t.Fatalf("metadata before participant: %d %s", st, body)
	}
	if st, body := call(t, "PUT", pu, "secret", nil); st != http.StatusNoContent {
		t.Fatalf("put participant: %d %s", st, body)
	}
	bad := f.metadata()
	bad.Processes[0].Endpoints[0].Certificate = []byte("not a certificate")
	if st, body := call(t, "PUT", mu, "secret", bad); st != http.StatusBadRequest || !strings.Contains(body, "certificate") {
		t.Fatalf("bad certificate: %d %s", st, body)
	}
	badRedirect := &smp.ServiceMetadata{Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, []byte("not a certificate")}}}
	if st, body := call(t, "PUT", mu, "secret", badRedirect); st != http.StatusBadRequest || !strings.Contains(body, "certificate 2 of the redirect") {
		t.Fatalf("bad redirect certificate: %d %s", st, body)
	}
	noURL := f.metadata()
	noURL.Processes[0].Endpoints[0].URL = "relative/path"
	if st, body := call(t, "PUT", mu, "secret", noURL); st != http.StatusBadRequest || !strings.Contains(body, "absolute URL") {
		t.Fatalf("relative URL: %d %s", st, body)
	}
	huge := f.metadata()
	huge.Processes[0].Endpoints[0].Description = strings.Repeat("x", 2<<20)
	if st, body := call(t, "PUT", mu, "secret", huge); st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than") {
		t.Fatalf("oversized body: %d %s", st, body)
	}
	if st, body := call(t, "PUT", mu, "secret", f.metadata()); st != http.StatusNoContent {
		t.Fatalf("put metadata: %d %s", st, body)
	}
	if st, body := call(t, "GET", api, "secret", nil); st != 200 || !strings.Contains(body, participant.String()) {
		t.Fatalf("list: %d %s", st, body)
	}
	c := &smp.Client{SMP: hs.URL, Trust: f.trust}
	tg, err := c.Resolve(context.Background(), participant, docType, process)
	if err != nil || tg.URL != "https://ap.example.eu/as4" {
		t.Fatalf("resolve: %+v %v", tg, err)
	}
	// The read interface is read-only.
	if st, _ := call(t, "PUT", hs.URL+"/"+participant.PathSegment(), "secret", nil); st != http.StatusMethodNotAllowed {
		t.Fatalf("PUT on the read interface: %d", st)
	}
	if st, _ := call(t, "DELETE", mu, "secret", nil); st != http.StatusNoContent {
		t.Fatalf("delete metadata: %d", st)
	}
	c.Forget()
	if _, err := c.Resolve(context.Background(), participant, docType, process); !errors.Is(err, smp.ErrDocumentNotRegistered) {
		t.Fatalf("after delete: %v", err)
	}
	if st, _ := call(t, "DELETE", pu, "secret", nil); st != http.StatusNoContent {
		t.Fatalf("delete participant: %d", st)
	}
	if _, err := c.Resolve(context.Background(), participant, docType, process); !errors.Is(err, smp.ErrParticipantUnknown) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestPeppolFlavour serves and reads the Peppol SMP flavour.
func TestPeppolFlavour(t *testing.T) {
	f := getFixture(t)
	hs := f.server(t, f.populated(t, smp.NewMemoryStore()), smp.Peppol, f.smpCred)
	b := get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+docType.PathSegment())
	if !bytes.Contains(b, []byte(smp.NamespacePeppol)) || !bytes.Contains(b, []byte("<wsa:Address>https://ap.example.eu/as4</wsa:Address>")) {
		t.Fatalf("not a Peppol document:\n%s", b)
	}
	c := &smp.Client{SMP: hs.URL, Flavour: smp.Peppol, Trust: f.trust, TransportProfiles: []string{smp.TransportPeppolAS4, smp.TransportEBMS3AS4}}
	tg, err := c.Resolve(context.Background(), participant, docType, process)
	if err != nil || tg.TransportProfile != smp.TransportEBMS3AS4 {
		t.Fatalf("%+v %v", tg, err)
	}
	c2 := &smp.Client{SMP: hs.URL, Flavour: smp.Peppol, Trust: f.trust, TransportProfiles: []string{smp.TransportPeppolAS4}}
	if _, err := c2.Resolve(context.Background(), participant, docType, process); !errors.Is(err, smp.ErrDocumentNotRegistered) {
		t.Fatalf("unaccepted transport profile: %v", err)
	}
}

// TestCache: a second lookup is answered from the cache until the TTL
// passes.
func TestCache(t *testing.T) {
	f := getFixture(t)
	srv, _ := smp.NewServer(smp.Config{Store: f.populated(t, smp.NewMemoryStore()), Key: f.smpCred.Sign.Signer(), Certificate: f.smpCred.Sign.Cert})
	hs, hits := countingServer(t, srv)
	now := time.Now()
	c := &smp.Client{SMP: hs.URL, Trust: f.trust, CacheTTL: time.Minute, Now: func() time.Time { return now }}
	for i := 0; i < 3; i++ {
		if _, err := c.Resolve(context.Background(), participant, docType, process); err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("%d requests for 3 lookups within the TTL", hits.Load())
	}
	now = now.Add(2 * time.Minute)
	c.Resolve(context.Background(), participant, docType, process)
	if hits.Load() != 2 {
		t.Fatalf("%d requests after the TTL", hits.Load())
	}
}

// TestAnswerChecks: a correctly signed answer about something else, an
// expired endpoint certificate, a redirect.
func TestAnswerChecks(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	s := f.populated(t, smp.NewMemoryStore())
	hs := f.server(t, s, smp.OASIS1, f.smpCred)
	// A proxy that answers every metadata question with the fixture's
	// (validly signed) document: a substitution.
	swap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+docType.PathSegment()))
	}))
	defer swap.Close()
	c := &smp.Client{SMP: swap.URL, Trust: f.trust}
	other := smp.ID{Scheme: "oots-docid-qns", Value: "urn:other"}
	if _, err := c.Resolve(ctx, participant, other, process); !errors.Is(err, smp.ErrBadAnswer) || !strings.Contains(err.Error(), "about document type") {
		t.Fatalf("substituted document type: %v", err)
	}
	if _, err := c.Resolve(ctx, smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:x"}, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !strings.Contains(err.Error(), "about participant") {
		t.Fatalf("substituted participant: %v", err)
	}
	// The endpoint certificate is not valid at the time of the lookup.
	late := &smp.Client{SMP: hs.URL, Trust: f.trust, Now: func() time.Time { return f.ap.Sign.Cert.NotAfter.Add(time.Hour) }}
	if _, err := late.Resolve(ctx, participant, docType, process); err == nil {
		t.Fatal("accepted after the certificates expired")
	} else {
		t.Log(err)
	}
	// A document with a DTD (entity expansion, external entities) is
	// refused before anything else.
	bomb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><SignedServiceMetadata xmlns="http://docs.oasis-open.org/bdxr/ns/SMP/2016/05">&b;</SignedServiceMetadata>`))
	}))
	defer bomb.Close()
	c = &smp.Client{SMP: bomb.URL, Trust: f.trust}
	if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrBadDocument) || !strings.Contains(err.Error(), "DTD") {
		t.Fatalf("DTD: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	f := getFixture(t)
	for _, c := range []struct {
		cfg  smp.Config
		want string
	}{
		{smp.Config{}, "Config.Store"},
		{smp.Config{Store: smp.NewMemoryStore()}, "Config.Key"},
		{smp.Config{Store: smp.NewMemoryStore(), Key: f.smpCred.Sign.Signer(), Certificate: f.smpCred.Sign.Cert, Flavour: smp.OASIS2}, "Config.Flavour"},
		{smp.Config{Store: smp.NewMemoryStore(), Key: f.smpCred.Sign.Signer(), Certificate: f.smpCred.Sign.Cert, BaseURL: "x"}, "Config.BaseURL"},
	} {
		if _, err := smp.NewServer(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
	for _, c := range []struct {
		cl   *smp.Client
		want string
	}{
		{&smp.Client{}, "Client.BDXL, Client.SMP or Client.LegacyZone"},
		{&smp.Client{SMP: "http://x"}, "Client.Trust"},
		{&smp.Client{SMP: "x", Trust: f.trust}, "Client.SMP"},
	} {
		if _, err := c.cl.Resolve(context.Background(), participant, docType, process); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.want, err)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	fx := getFixture(f)
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2, smp.Peppol} {
		var b bytes.Buffer
		writeXML(&b, smp.ServiceMetadataElement(fx.metadata(), fl))
		f.Add(b.Bytes())
		// Processes with endpoints beside processes redirected (SMP 2.0;
		// SMP 1.0 and Peppol have the first alone), and (SMP 2.0) a
		// redirect for any process beside them.
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(mixedMetadata(fx), fl))
		f.Add(b.Bytes())
		anyProcess := mixedMetadata(fx)
		anyProcess.Processes[2].ID = smp.ID{}
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(anyProcess, fl))
		f.Add(b.Bytes())
		// Endpoints in service over days in a time zone, and (SMP 2.0
		// written for less) over instants within days.
		dated := fx.metadata()
		e := &dated.Processes[0].Endpoints[0]
		e.Activation = time.Date(2026, 12, 6, 0, 0, 0, 0, time.FixedZone("", 3600))
		e.Expiration = time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("", -5*3600-1800))
		later := *e
		later.Activation, later.Expiration = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 17, 0, 0, 0, time.UTC)
		dated.Processes[0].Endpoints = append(dated.Processes[0].Endpoints, later)
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(dated, fl))
		f.Add(b.Bytes())
		// An endpoint publishing several certificates, each with its
		// type and dates (SMP 2.0; SMP 1.0 and Peppol the one in use), and
		// one of them of a type of another domain, without dates.
		rolled := fx.metadata()
		re := &rolled.Processes[0].Endpoints[0]
		re.Certificates = []smp.EndpointCertificate{
			{Type: smp.CertificateSigning, Certificate: fx.smpCred.Sign.Cert.Raw},
			{Type: smp.CertificateEncryption, Description: "until the roll-over", Certificate: re.Certificate, Activation: e.Activation, Expiration: e.Expiration},
			{Type: smp.CertificateEncryption, Certificate: fx.ap.Encrypt.Cert.Raw, Activation: e.Expiration},
			{Type: "sign-and-encrypt", Certificate: fx.ap.Encrypt.Cert.Raw},
		}
		var rb bytes.Buffer
		writeXML(&rb, smp.ServiceMetadataElement(rolled, fl))
		f.Add(rb.Bytes())
		// The same first instant written with hour 24 (SMP 1.0, Peppol).
		if fl != smp.OASIS2 {
			f.Add([]byte(strings.Replace(b.String(), "2026-12-05T23:00:00Z", "2026-12-05T24:00:00+01:00", 1)))
		}
		// A redirect carrying two certificates (SMP 2.0 keeps them all).
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(&smp.ServiceMetadata{Participant: participant, DocumentType: docType,
			Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", CertificateUID: "CN=smp2", Certificates: [][]byte{fx.smpCred.Sign.Cert.Raw, fx.ap.Sign.Cert.Raw}}}, fl))
		f.Add(b.Bytes())
		// Its certificates in use over days in a time zone (SMP 2.0).
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(&smp.ServiceMetadata{Participant: participant, DocumentType: docType,
			Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{fx.smpCred.Sign.Cert.Raw, fx.ap.Sign.Cert.Raw},
				Validity: []smp.Validity{{Expiration: e.Expiration}, {Activation: e.Activation}}}}, fl))
		f.Add(b.Bytes())
		// Its certificates with a TypeCode of another domain and a
		// description (SMP 2.0), and the first without TypeCode.
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(&smp.ServiceMetadata{Participant: participant, DocumentType: docType,
			Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{fx.smpCred.Sign.Cert.Raw, fx.ap.Sign.Cert.Raw},
				Types: []string{"", "sign-and-encrypt"}, Descriptions: []string{"until the roll-over"}}}, fl))
		f.Add(b.Bytes())
		f.Add([]byte(strings.Replace(b.String(), "<cbc:TypeCode>"+smp.CertificateSigning+"</cbc:TypeCode>", "", 1)))
		// Its certificates with a mimeCode of their own (SMP 2.0), and
		// the second without the mimeCode the schema requires (refused:
		// it would be written back with one).
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(&smp.ServiceMetadata{Participant: participant, DocumentType: docType,
			Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{fx.smpCred.Sign.Cert.Raw, fx.ap.Sign.Cert.Raw},
				MimeCodes: []string{"application/pkix-cert"}}}, fl))
		f.Add(b.Bytes())
		f.Add([]byte(strings.Replace(b.String(), ` mimeCode="`+smp.MimeCodeDefault+`"`, "", 1)))
		b.Reset()
		writeXML(&b, smp.ServiceGroupElement(&smp.ServiceGroup{Participant: participant, DocumentTypes: []smp.ID{docType}}, fl, func(d smp.ID) string { return "http://x/p/services/" + d.PathSegment() }))
		f.Add(b.Bytes())
	}
	files, _ := filepath.Glob("testdata/foreign/*.xml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseServiceMetadata(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, fl, err := smp.ParseServiceMetadata(b)
		if err != nil {
			return
		}
		// SMP 2.0: what we read, we write and read again to the same
		// model, its endpoints in service over the same instants.
		if fl == smp.OASIS2 {
			var out bytes.Buffer
			writeXML(&out, smp.ServiceMetadataElement(m, fl))
			m2, _, err := smp.ParseServiceMetadata(out.Bytes())
			if err != nil {
				t.Fatalf("re-reading our own output: %v\n%s", err, out.Bytes())
			}
			if inUTC(m); !reflect.DeepEqual(inUTC(m2), m) {
				t.Fatalf("round trip changed the model:\n%+v\n%+v\n%s", m, m2, out.Bytes())
			}
			return
		}
		// A redirect we read, we write and read again the same.
		if m.Redirect != nil {
			var out bytes.Buffer
			writeXML(&out, smp.ServiceMetadataElement(m, fl))
			m2, _, err := smp.ParseServiceMetadata(out.Bytes())
			if err != nil {
				t.Fatalf("re-reading our own output: %v\n%s", err, out.Bytes())
			}
			if !reflect.DeepEqual(m2.Redirect, m.Redirect) {
				t.Fatalf("round trip changed the redirect: %+v / %+v", m.Redirect, m2.Redirect)
			}
		}
		// What we read, we can write and read again to the same model.
		if m.Redirect == nil && len(m.Processes) > 0 && fl != smp.OASIS2 {
			var out bytes.Buffer
			writeXML(&out, smp.ServiceMetadataElement(m, fl))
			m2, _, err := smp.ParseServiceMetadata(out.Bytes())
			if err != nil {
				t.Fatalf("re-reading our own output: %v\n%s", err, out.Bytes())
			}
			if m2.Participant != m.Participant || m2.DocumentType != m.DocumentType || len(m2.Processes) != len(m.Processes) {
				t.Fatalf("round trip changed the model: %+v / %+v", m, m2)
			}
		}
	})
}

// inUTC sets the times of m's endpoints, their certificates and
// redirects in UTC, and returns m.
func inUTC(m *smp.ServiceMetadata) *smp.ServiceMetadata {
	redirects := []*smp.Redirect{m.Redirect}
	for i := range m.Processes {
		redirects = append(redirects, m.Processes[i].Redirect)
		for j := range m.Processes[i].Endpoints {
			e := &m.Processes[i].Endpoints[j]
			e.Activation, e.Expiration = e.Activation.UTC(), e.Expiration.UTC()
			for k := range e.Certificates {
				c := &e.Certificates[k]
				c.Activation, c.Expiration = c.Activation.UTC(), c.Expiration.UTC()
			}
		}
	}
	for _, r := range redirects {
		if r == nil {
			continue
		}
		for i := range r.Validity {
			v := &r.Validity[i]
			v.Activation, v.Expiration = v.Activation.UTC(), v.Expiration.UTC()
		}
	}
	return m
}

func FuzzParseServiceGroup(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		smp.ParseServiceGroup(b)
	})
}

// FuzzVerifyServiceMetadata: whatever the bytes, verification refuses
// without panicking unless the document is the signed original.
func FuzzVerifyServiceMetadata(f *testing.F) {
	fx := getFixture(f)
	srv, _ := smp.NewServer(smp.Config{Store: fx.populated(f, smp.NewMemoryStore()), Key: fx.smpCred.Sign.Signer(), Certificate: fx.smpCred.Sign.Cert})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/"+participant.PathSegment()+"/services/"+docType.PathSegment(), nil))
	signed := rec.Body.Bytes()
	f.Add(signed)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _, err := smp.VerifyServiceMetadata(b, fx.trust, time.Now())
		if err == nil && !bytes.Equal(b, signed) {
			// Only insignificant changes may keep a valid signature.
			if _, _, err := smp.ParseServiceMetadata(b); err != nil {
				t.Fatalf("verified but does not parse: %v", err)
			}
		}
	})
}

// FuzzServerPath: any request path gets an HTTP answer (200, 400, 404 or
// 405), never a panic or a server error.
func FuzzServerPath(f *testing.F) {
	fx := getFixture(f)
	srv, err := smp.NewServer(smp.Config{Store: fx.populated(f, smp.NewMemoryStore()), Key: fx.smpCred.Sign.Signer(), Certificate: fx.smpCred.Sign.Cert, AdminToken: "t"})
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"/" + participant.PathSegment(), "/" + participant.PathSegment() + "/services/" + docType.PathSegment(),
		smp.PathSMP2 + participant.PathSegment(), smp.PathAPI + "participants/" + participant.PathSegment(), "/%zz", "/a/b/c/d", "/::"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequest("GET", "http://smp.test/", nil)
		if err != nil {
			return
		}
		req.URL.Path, req.URL.RawPath = "", ""
		u, err := req.URL.Parse(path)
		if err != nil || u.Host != "smp.test" && u.Host != "" {
			return
		}
		req.URL = u
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", path, rec.Code, rec.Body)
		}
	})
}

// TestLegacyZone: the legacy Peppol form asks http://B-<md5>.<scheme>.<zone>/
// (here the host is mapped to our server by the test's dialer, standing in
// for the system resolver's CNAME answer).
func TestLegacyZone(t *testing.T) {
	f := getFixture(t)
	hs := f.server(t, f.populated(t, smp.NewMemoryStore()), smp.Peppol, f.smpCred)
	var asked atomic.Value
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		asked.Store(addr)
		return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(hs.URL, "http://"))
	}}
	c := &smp.Client{LegacyZone: "sml.example.eu", Flavour: smp.Peppol, Trust: f.trust, HTTP: &http.Client{Transport: tr}}
	tg, err := c.Resolve(context.Background(), participant, docType, process)
	if err != nil || tg.URL != "https://ap.example.eu/as4" {
		t.Fatalf("%+v %v", tg, err)
	}
	want, _ := bdxl.LegacyName(bdxl.Participant{Scheme: participant.Scheme, Value: participant.Value}, "sml.example.eu")
	if asked.Load() != want+":80" {
		t.Fatalf("dialled %v, want %s:80", asked.Load(), want)
	}
}

// TestConcurrentResolve: one client used from many goroutines (run with
// -race), with and without the cache.
func TestConcurrentResolve(t *testing.T) {
	f := getFixture(t)
	hs := f.server(t, f.populated(t, smp.NewMemoryStore()), smp.OASIS1, f.smpCred)
	for _, ttl := range []time.Duration{0, -1} {
		c := &smp.Client{SMP: hs.URL, Trust: f.trust, CacheTTL: ttl}
		errs := make(chan error, 16)
		for i := 0; i < cap(errs); i++ {
			go func() {
				tg, err := c.Resolve(context.Background(), participant, docType, process)
				if err == nil && tg.URL != "https://ap.example.eu/as4" {
					err = fmt.Errorf("target %+v", tg)
				}
				errs <- err
			}()
		}
		for i := 0; i < cap(errs); i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRedirect: an SMP redirects a document type to another SMP; the client
// follows once, checks the other SMP's signer against the CertificateUID,
// and refuses a second redirect.
func TestRedirect(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	other, err := pki.Issue(f.ca, "smp2.example.eu", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The SMP redirected to holds the metadata.
	storeB := f.populated(t, smp.NewMemoryStore())
	hsB := f.server(t, storeB, smp.OASIS1, other)
	// The SMP that redirects, and one that redirects to a redirect.
	storeA := smp.NewMemoryStore()
	storeA.PutParticipant(ctx, participant)
	hsA := f.server(t, storeA, smp.OASIS1, f.smpCred)
	redirectCert := func(u, uid string, certs ...[]byte) {
		t.Helper()
		if err := storeA.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: &smp.Redirect{URL: u, CertificateUID: uid, Certificates: certs}}); err != nil {
			t.Fatal(err)
		}
	}
	redirect := func(u, uid string) { t.Helper(); redirectCert(u, uid) }
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2} {
		c := &smp.Client{SMP: hsA.URL, Flavour: fl, Trust: f.trust, CacheTTL: -1}
		// To the other SMP's base URL (SMP 2.0 PublisherURI style) and to
		// the metadata resource itself (SMP 1.0 href style).
		for _, target := range []string{hsB.URL, hsB.URL + "/" + participant.PathSegment() + "/services/" + docType.PathSegment()} {
			for _, uid := range []string{"", other.Sign.Cert.Subject.String(), "smp2.example.eu"} {
				redirect(target, uid)
				tg, err := c.Resolve(ctx, participant, docType, process)
				if err != nil || tg.URL != "https://ap.example.eu/as4" || !tg.Signer.Equal(other.Sign.Cert) || !strings.HasPrefix(tg.SMP, hsB.URL) {
					t.Fatalf("%s via %s (uid %q): %+v %v", fl, target, uid, tg, err)
				}
			}
		}
		// Signed by another certificate than the redirect names (SMP 1.0
		// CertificateUID; SMP 2.0 has no such element).
		if fl == smp.OASIS1 {
			redirect(hsB.URL, "CN=someone-else")
			if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrUntrusted) {
				t.Fatalf("%s wrong certificate UID: %v", fl, err)
			}
		}
		// The certificate a redirect carries (SMP 2.0; SMP 1.0 has none).
		redirectCert(hsB.URL, "", other.Sign.Cert.Raw)
		if _, err := c.Resolve(ctx, participant, docType, process); err != nil {
			t.Fatalf("%s redirect with the right certificate: %v", fl, err)
		}
		if fl == smp.OASIS2 {
			redirectCert(hsB.URL, "", f.smpCred.Sign.Cert.Raw)
			if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrUntrusted) {
				t.Fatalf("%s redirect with another certificate: %v", fl, err)
			}
			// A key roll-over of the other SMP: the redirect carries its
			// old and its new certificate, and it signs with either.
			redirectCert(hsB.URL, "", f.smpCred.Sign.Cert.Raw, other.Sign.Cert.Raw)
			if tg, err := c.Resolve(ctx, participant, docType, process); err != nil || !tg.Signer.Equal(other.Sign.Cert) {
				t.Fatalf("%s redirect carrying the signer as its second certificate: %+v %v", fl, tg, err)
			}
			redirectCert(hsB.URL, "", other.Sign.Cert.Raw, f.smpCred.Sign.Cert.Raw)
			if _, err := c.Resolve(ctx, participant, docType, process); err != nil {
				t.Fatalf("%s redirect carrying the signer as its first certificate: %v", fl, err)
			}
			// Neither of two is the signer's.
			redirectCert(hsB.URL, "", f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw)
			if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrUntrusted) || !strings.Contains(err.Error(), "any of the 2 certificates") {
				t.Fatalf("%s redirect with two other certificates: %v", fl, err)
			}
		}
		// A redirect to a redirect.
		redirect(hsA.URL, "")
		if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !strings.Contains(err.Error(), "redirects again") {
			t.Fatalf("%s second redirect: %v", fl, err)
		}
		// A redirect to an SMP without the document type.
		storeB.DeleteServiceMetadata(ctx, participant, docType)
		redirect(hsB.URL, "")
		if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrDocumentNotRegistered) {
			t.Fatalf("%s redirect to nothing: %v", fl, err)
		}
		storeB.PutServiceMetadata(ctx, f.metadata())
		// A redirect that is not a URL.
		redirect("mailto:smp@example.eu", "")
		if _, err := c.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) {
			t.Fatalf("%s redirect to mailto: %v", fl, err)
		}
	}
}

// countingServer serves h on loopback for the test and counts the requests
// it answers.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	n := new(atomic.Int32)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs, n
}

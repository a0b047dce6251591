package smp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/smp"
)

// The endpoints of the fallback tests.
const (
	ap1 = "https://ap1.example.eu/as4"
	ap2 = "https://ap2.example.eu/as4"
	ap3 = "https://ap3.example.eu/as4"
)

// serveValid stores m, serves it, and asks xmllint whether the documents
// our server publishes of it are valid: the SMP 2.0 document against the
// OASIS SMP 2.0 schema, and, with smp1, the SMP 1.0 document against the
// OASIS SMP 1.0 schema; and whether they list the endpoints' addresses in
// order.
func serveValid(t *testing.T, xmllint string, m *smp.ServiceMetadata, smp1 bool) string {
	t.Helper()
	f := getFixture(t)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	store := smp.NewMemoryStore()
	store.PutParticipant(context.Background(), participant)
	if err := store.PutServiceMetadata(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	var urls []string
	for _, e := range m.Processes[0].Endpoints {
		urls = append(urls, e.URL)
	}
	docs := []struct{ path, schema, address string }{
		{smp.PathSMP2, "testdata/xsd/smp2/ServiceMetadata-2.0.xsd", "AddressURI"},
	}
	if smp1 {
		docs = append(docs, struct{ path, schema, address string }{"/", "testdata/xsd/smp1/bdx-smp-201605.xsd", "EndpointURI"})
	}
	for _, d := range docs {
		doc := get(t, hs.URL+d.path+participant.PathSegment()+"/services/"+docType.PathSegment())
		p := filepath.Join(t.TempDir(), "metadata.xml")
		if err := os.WriteFile(p, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		schema, _ := filepath.Abs(d.schema)
		if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err != nil {
			t.Errorf("not valid against %s: %v\n%s\n%s", d.schema, err, out, doc)
		}
		var got []string
		for i := range urls {
			got = append(got, xpath(t, xmllint, p, "string((//*[local-name()='Endpoint'])["+strconv.Itoa(i+1)+"]/*[local-name()='"+d.address+"'])"))
		}
		if strings.Join(got, " ") != strings.Join(urls, " ") {
			t.Errorf("%s: the endpoints read back are %q, want %q", d.schema, got, urls)
		}
	}
	return hs.URL
}

// cachedUntil has cl, which caches, resolve a minute before at, taking
// before, and a minute after, taking after: a cached target is not used
// beyond at, the activation of a more preferred endpoint.
func cachedUntil(t *testing.T, name string, cl *smp.Client, at time.Time, before, after string) {
	t.Helper()
	var now time.Time
	cl.Now = func() time.Time { return now }
	for _, c := range []struct {
		at  time.Time
		url string
	}{{at.Add(-time.Minute), before}, {at.Add(time.Minute), after}} {
		now = c.at
		if tg, err := cl.Resolve(context.Background(), participant, docType, process); err != nil || tg.URL != c.url {
			t.Errorf("%s, at %s: %s %v; want %s", name, c.at.Format(time.RFC3339), tg.URL, err, c.url)
		}
	}
}

// TestEndpointWithoutCertificateSkipped: the preferred endpoint publishes
// no encryption certificate in use at the time of the lookup (a roll-over
// published with a gap of two days), the next of the same transport
// profile is out of service (expired): the lookup takes the endpoint of
// the next transport profile, the first again once its new certificate is
// in use (also from the cache), and fails only when no accepted endpoint
// can be taken, naming each endpoint tried and why.
func TestEndpointWithoutCertificateSkipped(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	ctx := context.Background()
	r := newRollover(t)
	d := func(n int) time.Time { return r.active.AddDate(0, 0, n) }
	m := f.metadata()
	m.Processes[0].Endpoints = []smp.Endpoint{
		{TransportProfile: smp.TransportEBMS3AS4, URL: ap1, Certificate: r.old, Certificates: []smp.EndpointCertificate{
			{Type: smp.CertificateEncryption, Certificate: r.old, Activation: d(0), Expiration: d(5)},
			{Type: smp.CertificateEncryption, Certificate: r.new, Activation: d(7)},
		}},
		{TransportProfile: smp.TransportEBMS3AS4, URL: ap2, Certificate: r.new, Expiration: d(3)},
		{TransportProfile: smp.TransportPeppolAS4, URL: ap3, Certificate: r.new},
	}
	base := serveValid(t, xmllint, m, false)

	both := []string{smp.TransportEBMS3AS4, smp.TransportPeppolAS4}
	for _, c := range []struct {
		name     string
		profiles []string
		at       time.Time
		url      string
		cert     []byte
	}{
		{"the first endpoint's old certificate in use", both, d(1), ap1, r.old},
		{"the gap: the second endpoint expired, the third taken", both, d(5), ap3, r.new},
		{"the last instant of the gap", both, d(7).Add(-time.Nanosecond), ap3, r.new},
		{"the first endpoint's new certificate in use", both, d(7), ap1, r.new},
		{"any transport profile, in the order of the document", nil, d(6), ap3, r.new},
		{"the third's profile preferred", []string{smp.TransportPeppolAS4, smp.TransportEBMS3AS4}, d(1), ap3, r.new},
	} {
		cl := &smp.Client{SMP: base, Flavour: smp.OASIS2, Trust: f.trust, TransportProfiles: c.profiles, CacheTTL: -1, Now: func() time.Time { return c.at }}
		tg, err := cl.Resolve(ctx, participant, docType, process)
		if err != nil || tg.URL != c.url || !bytes.Equal(tg.Certificate.Raw, c.cert) {
			t.Errorf("%s: %s %s certificate, %v; want %s", c.name, tg.URL, which(tg, r.old, r.new), err, c.url)
		}
	}

	// Cached during the gap: not beyond the first endpoint's new
	// certificate's activation.
	cached := &smp.Client{SMP: base, Flavour: smp.OASIS2, Trust: f.trust, TransportProfiles: both}
	cachedUntil(t, "cached", cached, d(7), ap3, ap1)

	// Only the first two accepted: none can be taken, and the error says
	// why of each, not of the third.
	at := d(5)
	cl := &smp.Client{SMP: base, Flavour: smp.OASIS2, Trust: f.trust, TransportProfiles: []string{smp.TransportEBMS3AS4}, CacheTTL: -1, Now: func() time.Time { return at }}
	_, err := cl.Resolve(ctx, participant, docType, process)
	day := func(t time.Time) string { return t.Format("2006-01-02") + "+01:00" }
	if !errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrNoCertificateInUse) {
		t.Fatalf("no endpoint can be taken: %v", err)
	}
	for _, want := range []string{
		"2 endpoint(s) with an accepted transport profile (" + smp.TransportEBMS3AS4 + "), none in service with an encryption certificate in use at " + at.Format(time.RFC3339),
		"[1] endpoint " + ap1 + " publishes no encryption certificate in use at " + at.Format(time.RFC3339) +
			": certificate 1 (encryption) ActivationDate " + day(d(0)) + ", ExpirationDate " + day(d(4)) + "; certificate 2 (encryption) ActivationDate " + day(d(7)),
		"[2] endpoint " + ap2 + " (" + smp.TransportEBMS3AS4 + ") is not in service at " + at.Format(time.RFC3339) + ": in service until " + d(3).Format(time.RFC3339),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), ap3) {
		t.Errorf("the error names an endpoint of a transport profile not accepted: %v", err)
	}
}

// TestEndpointOutOfServiceSkipped: endpoints not in service at the time
// of the lookup (SMP 1.0 ServiceActivationDate and ServiceExpirationDate,
// SMP 2.0 ActivationDate and ExpirationDate) are skipped for the next in
// service, in both flavours; a target cached meanwhile is not used beyond
// the activation of a more preferred one; and when none is in service,
// the lookup fails naming each.
func TestEndpointOutOfServiceSkipped(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	ctx := context.Background()
	r := newRollover(t)
	d := func(n int) time.Time { return r.active.AddDate(0, 0, n) }
	m := f.metadata()
	m.Processes[0].Endpoints = []smp.Endpoint{
		{TransportProfile: smp.TransportEBMS3AS4, URL: ap1, Certificate: r.old, Activation: d(2)},
		{TransportProfile: smp.TransportEBMS3AS4, URL: ap2, Certificate: r.old, Expiration: d(1)},
		{TransportProfile: smp.TransportEBMS3AS4, URL: ap3, Certificate: r.new},
	}
	base := serveValid(t, xmllint, m, true)

	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2} {
		for _, c := range []struct {
			at  time.Time
			url string
		}{
			{d(0), ap2},
			{d(1), ap3},
			{d(2).Add(-time.Nanosecond), ap3},
			{d(2), ap1},
		} {
			cl := &smp.Client{SMP: base, Flavour: fl, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return c.at }}
			if tg, err := cl.Resolve(ctx, participant, docType, process); err != nil || tg.URL != c.url {
				t.Errorf("%s at %s: %s %v; want %s", fl, c.at.Format(time.RFC3339Nano), tg.URL, err, c.url)
			}
		}
		cached := &smp.Client{SMP: base, Flavour: fl, Trust: f.trust}
		cachedUntil(t, string(fl)+", cached", cached, d(2), ap3, ap1)
	}

	// None in service.
	m.Processes[0].Endpoints[2].Expiration = d(1)
	base = serveValid(t, xmllint, m, true)
	at := d(1)
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2} {
		// SMP 1.0 instants are published in UTC, SMP 2.0 dates in their
		// time zone.
		from := d(2)
		if fl == smp.OASIS1 {
			from = from.UTC()
		}
		cl := &smp.Client{SMP: base, Flavour: fl, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return at }}
		_, err := cl.Resolve(ctx, participant, docType, process)
		if !errors.Is(err, smp.ErrDocumentNotRegistered) || errors.Is(err, smp.ErrNoCertificateInUse) {
			t.Fatalf("%s, none in service: %v", fl, err)
		}
		for _, want := range []string{
			"3 endpoint(s) with an accepted transport profile (any), none in service",
			"[1] endpoint " + ap1 + " (" + smp.TransportEBMS3AS4 + ") is not in service at " + at.Format(time.RFC3339) + ": in service from " + from.Format(time.RFC3339),
			"[2] endpoint " + ap2,
			"[3] endpoint " + ap3,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error does not say %q:\n%v", fl, want, err)
			}
		}
	}
}

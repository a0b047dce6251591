package csdiscovery_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

// testService is the NAPTR service value of the test records. The value the
// Commission publishes is not documented in the sources; the resolver
// accepts any service unless Config.Service is set.
const testService = "oots-cs:https"

const zone = csdiscovery.DefaultZone

// dnsmasqRecords is the zone the real DNS server serves in these tests.
var dnsmasqRecords = []string{
	// The published form: one terminal U-NAPTR record per name.
	"fr.eb.v2.cs.acc." + zone + ",100,10,U," + testService + ",!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!",
	"fr.dsd.v2.cs.acc." + zone + ",100,10,U," + testService + ",!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!",
	"fr.eb.v2.cs.prod." + zone + ",100,10,U," + testService + ",!^.*$!https://query.cs.oots.tech.ec.europa.eu/!",
	// Order and preference: the lowest order wins, then the lowest preference.
	"be.eb.v2.cs.acc." + zone + ",200,10,U," + testService + ",!^.*$!https://second.example.eu/!",
	"be.eb.v2.cs.acc." + zone + ",100,20,U," + testService + ",!^.*$!https://first-order-worse-preference.example.eu/!",
	"be.eb.v2.cs.acc." + zone + ",100,10,U," + testService + ",!^.*$!https://first.example.eu/!",
	"be.eb.v2.cs.acc." + zone + ",100,5,U,other-service,!^.*$!https://other-service.example.eu/!",
	// A non-terminal record and its target.
	"de.eb.v2.cs.acc." + zone + ",100,10,," + testService + ",,next.de.cs.acc." + zone,
	"next.de.cs.acc." + zone + ",100,10,U," + testService + ",!^.*$!https://de.example.eu/cs/!",
	// A loop of non-terminal records.
	"lu.eb.v2.cs.acc." + zone + ",100,10,," + testService + ",,loop.lu.cs.acc." + zone,
	"loop.lu.cs.acc." + zone + ",100,10,," + testService + ",,lu.eb.v2.cs.acc." + zone,
	// A regexp with a back-reference, and a plain http URL.
	"nl.eb.v2.cs.acc." + zone + `,100,10,U,` + testService + `,!^(.*)$!https://\1/!`,
	"at.eb.v2.cs.acc." + zone + ",100,10,U," + testService + ",!^.*$!http://insecure.example.eu/!",
}

// bigRecords makes an answer larger than 512 bytes, which a server must
// truncate over UDP without EDNS(0): the client has to ask again over TCP.
func bigRecords() []string {
	var rs []string
	for i := 0; i < 12; i++ {
		rs = append(rs, fmt.Sprintf("fi.dsd.v2.cs.acc.%s,100,%d,U,%s,!^.*$!https://query-%02d.cs.acc.oots.tech.ec.europa.eu/%s/!",
			zone, 10+i, testService, i, strings.Repeat("p", 20)))
	}
	return rs
}

// startDNSMasq runs dnsmasq (Debian dnsmasq-base) on a loopback port until
// the test ends, serving dnsmasqRecords and bigRecords authoritatively for
// zone (other names in the zone are NXDOMAIN), with a TTL of 300s.
func startDNSMasq(tb testing.TB) string {
	tb.Helper()
	var records []dnstest.Record
	for _, r := range append(append([]string{}, dnsmasqRecords...), bigRecords()...) {
		f := strings.Split(r, ",")
		if len(f) == 6 {
			f = append(f, "") // a terminal record: no replacement
		}
		if len(f) != 7 {
			tb.Fatalf("test record %q: want 6 or 7 fields", r)
		}
		order, _ := strconv.Atoi(f[1])
		pref, _ := strconv.Atoi(f[2])
		records = append(records, dnstest.Record{Name: f[0], Order: order, Preference: pref, Flags: f[3], Service: f[4], Regexp: f[5], Replacement: f[6]})
	}
	return dnstest.Start(tb, zone, records)
}

func newResolver(t *testing.T, cfg csdiscovery.Config) *csdiscovery.Resolver {
	t.Helper()
	r, err := csdiscovery.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDNSMasqLookup(t *testing.T) {
	server := startDNSMasq(t)
	r := newResolver(t, csdiscovery.Config{Server: server})
	ctx := context.Background()
	for _, c := range []struct {
		q    csdiscovery.Query
		want string
	}{
		{csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, "https://query.cs.acc.oots.tech.ec.europa.eu/"},
		{csdiscovery.Query{Country: "fr", Service: csdiscovery.DataServiceDirectory, Major: 2, Environment: csdiscovery.Acceptance}, "https://query.cs.acc.oots.tech.ec.europa.eu/"},
		{csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Production}, "https://query.cs.oots.tech.ec.europa.eu/"},
		{csdiscovery.Query{Country: "BE", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, "https://other-service.example.eu/"},
		{csdiscovery.Query{Country: "DE", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, "https://de.example.eu/cs/"},
	} {
		res, err := r.Lookup(ctx, c.q)
		if err != nil {
			t.Errorf("%+v: %v", c.q, err)
			continue
		}
		if res.URL.String() != c.want || res.Source != "dns" {
			t.Errorf("%+v: got %s from %s, want %s from dns", c.q, res.URL, res.Source, c.want)
		}
	}

	// Selecting the service.
	rs := newResolver(t, csdiscovery.Config{Server: server, Service: testService})
	res, err := rs.Lookup(ctx, csdiscovery.Query{Country: "be", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance})
	if err != nil || res.URL.String() != "https://first.example.eu/" {
		t.Errorf("with Service %q: got %v, %v; want https://first.example.eu/ (order 100, preference 10)", testService, res, err)
	}
	if _, err := rs.Lookup(ctx, csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}); err != nil {
		t.Error(err)
	}
	rn := newResolver(t, csdiscovery.Config{Server: server, Service: "no-such-service"})
	if _, err := rn.Lookup(ctx, csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}); !errors.Is(err, csdiscovery.ErrNoRecord) {
		t.Errorf("unknown service: got %v, want ErrNoRecord", err)
	}
}

func TestDNSMasqErrors(t *testing.T) {
	server := startDNSMasq(t)
	r := newResolver(t, csdiscovery.Config{Server: server})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		q    csdiscovery.Query
		want error
		text string
	}{
		{"unknown country", csdiscovery.Query{Country: "it", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, csdiscovery.ErrNoRecord, "NXDOMAIN"},
		{"unknown version", csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 9, Environment: csdiscovery.Acceptance}, csdiscovery.ErrNoRecord, "NXDOMAIN"},
		{"loop", csdiscovery.Query{Country: "lu", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, csdiscovery.ErrBadRecord, "loop"},
		{"back-reference", csdiscovery.Query{Country: "nl", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, csdiscovery.ErrBadRecord, "U-NAPTR allows only .* (RFC 4848 §2.2) or ^.*$"},
		{"http", csdiscovery.Query{Country: "at", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, csdiscovery.ErrBadRecord, `scheme "http" is not accepted`},
	} {
		_, err := r.Lookup(ctx, c.q)
		if !errors.Is(err, c.want) || !strings.Contains(fmt.Sprint(err), c.text) {
			t.Errorf("%s: got %v, want %v mentioning %q", c.name, err, c.want, c.text)
		}
	}
	rh := newResolver(t, csdiscovery.Config{Server: server, AllowHTTP: true})
	res, err := rh.Lookup(ctx, csdiscovery.Query{Country: "at", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance})
	if err != nil || res.URL.String() != "http://insecure.example.eu/" {
		t.Errorf("AllowHTTP: got %v, %v", res, err)
	}
}

// An answer over 512 bytes comes truncated over UDP; the client gets it
// whole over TCP.
func TestDNSMasqTruncatedAnswerOverTCP(t *testing.T) {
	server := startDNSMasq(t)
	c := &csdiscovery.Client{Server: server}
	recs, err := c.LookupNAPTR(context.Background(), "FI.dsd.v2.cs.acc."+zone+".")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(bigRecords()) {
		t.Fatalf("got %d records, want %d", len(recs), len(bigRecords()))
	}
	size := 0
	for _, n := range recs {
		size += len(n.Regexp) + len(n.Service) + 20
	}
	if size <= 512 {
		t.Fatalf("answer of about %d bytes would fit in UDP; the test does not exercise TCP", size)
	}
	csdiscovery.SortNAPTR(recs)
	if recs[0].Preference != 10 || recs[0].TTL != 300 || recs[0].Owner != "fi.dsd.v2.cs.acc."+zone {
		t.Errorf("first record %s", recs[0])
	}
	u, err := recs[0].URI()
	if err != nil || !strings.HasPrefix(u, "https://query-00.") {
		t.Errorf("URI %q, %v", u, err)
	}
}

// Answers are cached for the record TTL (300s here), clamped to MaxTTL.
func TestDNSMasqCache(t *testing.T) {
	server := startDNSMasq(t)
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := newResolver(t, csdiscovery.Config{Server: server, Now: clock})
	q := csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}
	ctx := context.Background()
	first, err := r.Lookup(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if first.Source != "dns" || !first.Expires.Equal(now.Add(300*time.Second)) {
		t.Errorf("first lookup from %s expiring %s, want dns expiring in 300s", first.Source, first.Expires)
	}
	now = now.Add(299 * time.Second)
	if second, err := r.Lookup(ctx, q); err != nil || second.Source != "cache" || second.URL.String() != first.URL.String() {
		t.Errorf("within the TTL: %+v, %v", second, err)
	}
	now = now.Add(2 * time.Second)
	if third, err := r.Lookup(ctx, q); err != nil || third.Source != "dns" {
		t.Errorf("after the TTL: %+v, %v", third, err)
	}

	short := newResolver(t, csdiscovery.Config{Server: server, Now: clock, MaxTTL: time.Minute})
	if res, err := short.Lookup(ctx, q); err != nil || !res.Expires.Equal(now.Add(time.Minute)) {
		t.Errorf("MaxTTL 1m: %+v, %v", res, err)
	}
}

// The static override answers without asking the DNS.
func TestStaticOverride(t *testing.T) {
	name, _ := csdiscovery.Query{Country: "fr", Service: csdiscovery.DataServiceDirectory, Major: 2, Environment: csdiscovery.Acceptance}.Name("")
	r := newResolver(t, csdiscovery.Config{Static: map[string]string{
		"eb": "https://projectathon.oots-common-services.eu/query/eb/",
		name: "https://fr-dsd.example.eu/",
	}})
	ctx := context.Background()
	res, err := r.Lookup(ctx, csdiscovery.Query{Country: "se", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Production})
	if err != nil || res.Source != "static" || res.URL.String() != "https://projectathon.oots-common-services.eu/query/eb/" {
		t.Errorf("eb: %+v, %v", res, err)
	}
	res, err = r.Lookup(ctx, csdiscovery.Query{Country: "FR", Service: csdiscovery.DataServiceDirectory, Major: 2, Environment: csdiscovery.Acceptance})
	if err != nil || res.URL.String() != "https://fr-dsd.example.eu/" {
		t.Errorf("fr dsd: %+v, %v", res, err)
	}
	// Not covered, and no server to ask.
	_, err = r.Lookup(ctx, csdiscovery.Query{Country: "se", Service: csdiscovery.DataServiceDirectory, Major: 2, Environment: csdiscovery.Acceptance})
	if !errors.Is(err, csdiscovery.ErrUnreachable) {
		t.Errorf("dsd without override: got %v, want ErrUnreachable", err)
	}
}

// BenchmarkLookupNAPTRDNSMasq measures one NAPTR query and answer over UDP
// against dnsmasq on loopback.
func BenchmarkLookupNAPTRDNSMasq(b *testing.B) {
	c := &csdiscovery.Client{Server: startDNSMasq(b)}
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.LookupNAPTR(ctx, "fr.eb.v2.cs.acc."+zone); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupCached measures a lookup answered from the cache.
func BenchmarkLookupCached(b *testing.B) {
	r, err := csdiscovery.New(csdiscovery.Config{Server: startDNSMasq(b)})
	if err != nil {
		b.Fatal(err)
	}
	q := csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}
	ctx := context.Background()
	if _, err := r.Lookup(ctx, q); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if res, err := r.Lookup(ctx, q); err != nil || res.Source != "cache" {
			b.Fatal(res, err)
		}
	}
}

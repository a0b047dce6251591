package csclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

// TestNAPTRDiscovery: the client finds our Common Services by DNS NAPTR,
// answered by a real DNS server (dnsmasq) started on a loopback port.
func TestNAPTRDiscovery(t *testing.T) {
	e := newEnv(t)
	const zone = "oots.test"
	addr := dnstest.Start(t, zone, []dnstest.Record{
		{Name: "se.eb.v2.cs.acc." + zone, Order: 100, Preference: 10, Flags: "U", Service: "x-oots-cs", Regexp: "!^.*$!" + e.srv.URL + "/!"},
		{Name: "se.dsd.v2.cs.acc." + zone, Order: 100, Preference: 10, Flags: "U", Service: "x-oots-cs", Regexp: "!^.*$!" + e.srv.URL + "/!"},
	})

	r, err := csdiscovery.New(csdiscovery.Config{Server: addr, Zone: zone, AllowHTTP: true, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := csclient.New(csclient.Config{Discovery: r, Country: "SE", Environment: csdiscovery.Acceptance, Trust: e.roots})
	if err != nil {
		t.Fatal(err)
	}
	var reqs int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		rs, err := c.Requirements(context.Background(), "T2", "SE")
		if err == nil {
			reqs = len(rs)
			break
		}
		if !errors.Is(err, csclient.ErrDiscovery) || time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	if reqs != 2 {
		t.Errorf("%d requirements, want 2 (a diploma and a proof of birth)", reqs)
	}
	// No record for another country: a discovery error.
	c, _ = csclient.New(csclient.Config{Discovery: r, Country: "FR", Environment: csdiscovery.Acceptance, Trust: e.roots})
	if _, err := c.Requirements(context.Background(), "T2", "SE"); !errors.Is(err, csclient.ErrDiscovery) {
		t.Errorf("unknown country: %v, want ErrDiscovery", err)
	}
}

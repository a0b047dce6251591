package conformance_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
)

// kitPeer opens the kit's access point against the node of cc of a demo
// network, from the files the network writes for the kit.
func kitPeer(t *testing.T, n *demonet.Network, cc, listen string) *conformance.AS4Peer {
	t.Helper()
	dir := n.ConformanceDir
	b, err := os.ReadFile(filepath.Join(dir, "pmode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := pmode.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	kit, err := pki.LoadParty(dir, demonet.TesterParty)
	if err != nil {
		t.Fatal(err)
	}
	anchors, err := trust.LoadFiles(filepath.Join(dir, "ca.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(dir, "AP-"+cc+".enc.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	nodeCerts, err := trust.ParsePEM(b)
	if err != nil || len(nodeCerts) != 1 {
		t.Fatalf("the node's encryption certificate: %v", err)
	}
	target := &conformance.AS4Target{PMode: pm, Node: "AP-" + cc, Leg: exchange.DefaultLegs().Request, Endpoint: n.Node(cc).APURL + "/as4",
		SigningKey: kit.Sign.Signer(), SigningCert: kit.Sign.Cert, DecryptionKey: kit.Encrypt.Key, Trust: anchors,
		NodeEncryptionCert: nodeCerts[0], Listen: listen}
	p, err := conformance.NewAS4Peer(target, exchange.DefaultLegs(), n.Client())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestRequesterSuite: the edm-requester suite against the requester side of
// a node of a demo network, the kit playing the evidence provider of the
// tester's Member State: every case passes against the healthy node; an
// expectation the node does not meet (the requests in another EDM version)
// and a wrong token of the requester API fail the cases with their reasons;
// a configuration without its fields is refused.
func TestRequesterSuite(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	n, err := demonet.Start(ctx, demonet.Config{Dir: t.TempDir(), Countries: []string{"DE", "FR"}, TesterEndpoint: "http://" + listen + "/as4"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	de := n.Node("DE")
	peer := kitPeer(t, n, "DE", listen)
	target := func() *conformance.RequesterTarget {
		return &conformance.RequesterTarget{API: de.APURL, Token: de.RequesterToken, Procedure: demonet.TesterProcedure,
			Country: demonet.TesterCountry, Version: demonet.TesterVersion, Node: peer, Timeout: 10 * time.Second}
	}
	run := func(rt *conformance.RequesterTarget) map[string]*conformance.Case {
		t.Helper()
		start := time.Now()
		rep, err := conformance.Run(ctx, conformance.Config{Requester: rt, Client: n.Client()})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("edm-requester suite: %s", time.Since(start).Round(time.Millisecond))
		out := map[string]*conformance.Case{}
		for _, c := range rep.Cases {
			if c.Suite != conformance.SuiteEDMRequester {
				t.Errorf("case %s in suite %s", c.ID, c.Suite)
			}
			out[c.ID] = c
		}
		if len(out) != 4 {
			t.Errorf("%d cases, want RQ01–RQ04", len(out))
		}
		return out
	}

	for id, c := range run(target()) {
		if c.Status != conformance.Pass {
			t.Errorf("%s: %s: %s\nsent: %v\nreceived: %v", id, c.Status, c.Reason, c.Sent, c.Received)
		}
		if len(c.Findings) == 0 {
			t.Errorf("%s: the node's request was not validated", id)
		}
	}

	// Another user: the request names them, with their LoA.
	rt := target()
	rt.Subject = &eid.Subject{Person: &eid.NaturalPerson{Identifier: "AT/DE/KIT0000002", FamilyName: "Beispiel", GivenName: "Jonas",
		DateOfBirth: "1990-02-03"}, LoA: eid.LoASubstantial, Country: "AT"}
	if c := run(rt)["RQ01"]; c.Status != conformance.Pass {
		t.Errorf("RQ01 with another user: %s: %s", c.Status, c.Reason)
	}

	rt = target()
	rt.Version = edm.V2_0
	res := run(rt)
	for _, id := range []string{"RQ01", "RQ02", "RQ03", "RQ04"} {
		if c := res[id]; c.Status != conformance.Fail || !strings.Contains(c.Reason, "the DSD's AccessService conforms to oots-edm:v2.0") {
			t.Errorf("expecting EDM 2.0, %s: %s %q", id, c.Status, c.Reason)
		}
	}

	rt = target()
	rt.Token = "wrong"
	if c := run(rt)["RQ01"]; c.Status != conformance.Fail || !strings.Contains(c.Reason, "bearer token") {
		t.Errorf("with a wrong token, RQ01: %s %q, want a failure naming the bearer token", c.Status, c.Reason)
	}

	for _, tc := range []struct {
		name string
		edit func(*conformance.RequesterTarget)
		want string
	}{
		{"no node", func(r *conformance.RequesterTarget) { r.Node = nil }, "Requester.Node"},
		{"no API", func(r *conformance.RequesterTarget) { r.API = "" }, "Requester.API"},
		{"no country", func(r *conformance.RequesterTarget) { r.Country = "" }, "Requester.Country"},
		{"bad version", func(r *conformance.RequesterTarget) { r.Version = "oots-edm:v9" }, "Requester.Version"},
		{"no person", func(r *conformance.RequesterTarget) { r.Subject = &eid.Subject{} }, "Requester.Subject"},
	} {
		rt := target()
		tc.edit(rt)
		_, err := conformance.Run(ctx, conformance.Config{Requester: rt})
		if !errors.Is(err, conformance.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrConfig naming %s", tc.name, err, tc.want)
		}
	}
}

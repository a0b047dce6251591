package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/samlidp"
)

// runDemo starts the demo network (package demonet) and prints where to
// begin; it runs until interrupted.
func runDemo(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("demo", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dir := fl.String("dir", "oots-demo", "folder of all the network's data (SQLite databases, keys); reused by a later run")
	port := fl.Int("port", 8400, "first port: Common Services on it, the nodes on port+10, +20, …; 0 takes free ports")
	host := fl.String("host", "127.0.0.1", "listen address")
	countries := fl.String("countries", strings.Join(demo.Countries(), ","), "the Member States that run a node (comma-separated)")
	t1 := fl.Duration("t1", 0, "timeout T1, request to first answer (default 5m)")
	t2 := fl.Duration("t2", 0, "timeout T2, for the user to reach the preview (default 15m)")
	t3 := fl.Duration("t3", 0, "timeout T3, for the user to decide at the preview (default 40m)")
	verbose := fl.Bool("v", false, "log every component's events to standard error")
	tester := fl.String("tester", "", "AS4 endpoint of the conformance kit's party AP-TESTER in the nodes' P-Modes (default http://HOST:(port+9)/as4)")
	srEnv := fl.String("sr-env", "", "environment of the Semantic Repository whose identifiers the Common Services publish: \"\" production,\n"+
		"acc as the Commission's acceptance Common Services (https://sr.acc.oots.tech.ec.europa.eu/…, one evidence type\n"+
		"classified under the test segment oots; every node then exchanges EDM 2.0)")
	defect := faultFlag(fl, env, "every access point")
	official := addOfficialFlags(fl) // the rule files that judge the requests the providers receive
	oidcProviders := map[string]oidc.Provider{}
	fl.Func("oidc", "CC=FILE: log users of country CC in at a national OpenID provider, configured by the JSON\n"+
		"file FILE (eid/oidc.Provider: issuer, clientId, clientSecret, claims, acr, …) instead of the demo one; repeatable",
		func(v string) error { return readOIDCProvider(oidcProviders, v) })
	samlNodes := map[string]saml.Node{}
	fl.Func("saml", "CC=FILE: log users of country CC in at an eIDAS node by SAML, configured by the JSON file FILE\n"+
		"(entityId, metadataUrl + anchor, or ssoUrl + certificates; binding, minLoA); repeatable", func(v string) error { return readSAMLNode(samlNodes, v) })
	eidKind := fl.String("eid", "demo", "\"saml\": the second country's citizens log in through an eIDAS node run by pysaml2 (python3-pysaml2)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots demo [-dir DIR] [-port N] [-countries DE,FR,FI,SE] [-t1 D -t2 D -t3 D] [-tester URL] [-sr-env acc] [-official VERSION=DIR]... [-oidc CC=FILE]... [-saml CC=FILE]... [-eid saml] [-v]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 {
		fl.Usage()
		return 2
	}
	fault, err := defect()
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots demo: -fault:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *verbose {
		log = slog.New(slog.NewTextHandler(env.Stderr, nil))
	}
	rules, err := official.catalogue(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots demo:", err)
		return 2
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots demo:", err)
		return 2
	}
	var samlNode *samlidp.IdP
	if cs := strings.Split(*countries, ","); *eidKind == "saml" && len(cs) > 1 {
		if samlNode, err = demoSAMLNode(abs, *host, strings.ToUpper(cs[1]), strings.ToUpper(cs[0]), samlNodes); err != nil {
			fmt.Fprintln(env.Stderr, "oots demo:", err)
			return 2
		}
	} else if *eidKind != "demo" && *eidKind != "saml" {
		fmt.Fprintf(env.Stderr, "oots demo: -eid %q is neither demo nor saml\n", *eidKind)
		return 2
	}
	if len(samlNodes) == 0 {
		samlNodes = nil
	}
	net, err := demonet.Start(ctx, demonet.Config{Dir: abs, Port: *port, Host: *host, Countries: strings.Split(*countries, ","),
		T1: *t1, T2: *t2, T3: *t3, TesterEndpoint: *tester, SREnvironment: *srEnv, Fault: fault, Rules: rules, OIDC: oidcProviders, SAML: samlNodes, Logger: log})
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots demo:", err)
		return 2
	}
	defer net.Close()
	if samlNode != nil {
		if err := startDemoSAMLNode(samlNode, net); err != nil {
			fmt.Fprintln(env.Stderr, "oots demo:", err)
			return 2
		}
		defer samlNode.Stop()
		fmt.Fprintf(env.Stdout, "eIDAS node (pysaml2) of %s: %s — log in with a demo citizen's id and the password pw.\n", net.Nodes[1].Country, samlNode.URL)
	}
	printDemo(env, net, abs)
	<-ctx.Done()
	fmt.Fprintln(env.Stdout, "stopping; the data stays in", abs)
	return 0
}

func printDemo(env *Env, net *demonet.Network, dir string) {
	w := env.Stdout
	fmt.Fprintln(w, "oots demo: the Common Services and", len(net.Nodes), "Member State nodes are running.")
	fmt.Fprintln(w)
	first := net.Nodes[0]
	other := net.Nodes[1]
	fmt.Fprintf(w, "Begin here: %s/  (the %s procedure portal)\n", first.PortalURL, first.Country)
	fmt.Fprintf(w, "  choose a procedure (e.g. R1, proof of birth) and evidence from %s, log in with a test citizen of %s,\n", other.Country, other.Country)
	fmt.Fprintln(w, "  give your explicit request, preview and approve the evidence, and submit.")
	fmt.Fprintf(w, "  At the preview you may consent to later background requests; %s/my-data shows how your data was used,\n", first.PortalURL)
	fmt.Fprintf(w, "  %s/consents the consents you gave %s. Standard-profile nodes (no consent, no pre-fill): %s.\n",
		other.PreviewURL, other.Country, strings.Join(demonet.StandardNodes(), ", "))
	if env := net.SREnvironment(); env != "" {
		fmt.Fprintf(w, "  The Common Services publish the identifiers of the %s environment of the Semantic Repository (%s…);\n", env, edm.SRBase(env))
		fmt.Fprintln(w, "  every node exchanges EDM 2.0.")
	} else if net.Node("FI") != nil {
		fmt.Fprintln(w, "  Finland's data services also speak EDM 2.0: evidence from FI comes as one package, the structured")
		fmt.Fprintln(w, "  MainEvidence with its PDF HumanReadableVersion; S1 (proof of residence) from FI brings a Finnish")
		fmt.Fprintln(w, "  certificate with its Annex and a Translation into your language. The other nodes exchange EDM 1.0.")
	}
	if net.Node("SE") != nil {
		fmt.Fprintf(w, "  A deferred evidence: Sweden holds Åsa Lindström's certificate of residence (S1) but needs %s to prepare it;\n", demo.DeferFor)
		fmt.Fprintln(w, "  the portal says when it will be available and asks for it again by itself at that time.")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tportal\tpreview space\tidentity provider\taccess point + APIs")
	for _, nd := range net.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", nd.Country, nd.PortalURL, nd.PreviewURL, nd.IdPURL, nd.APURL)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Common Services: %s/eb/rest/search, %s/dsd/rest/search, %s/sr/\n", net.CS, net.CS, net.CS)
	fmt.Fprintf(w, "  Each Member State published its Evidence Broker and DSD data to them over AS4 at start (LCM, party %s at %s/as4).\n",
		demonet.CSParty, net.CS)
	fmt.Fprintf(w, "Dynamic discovery: the %s access point is found by BDXL (DNS %s, UDP and TCP, zone %s) and SMP (%s/).\n",
		demonet.DiscoveredCountry, net.DNS, demonet.DNSZone, net.SMP)
	fmt.Fprintf(w, "HTTPS certificates are issued by a demo CA: import %s into the browser, or accept its warning.\n", net.TLSCAFile)
	fmt.Fprintf(w, "Data (SQLite) and keys: %s%c — Ctrl-C stops; running again continues with the same data.\n", dir, os.PathSeparator)
	if first.ConformanceTarget != "" {
		fmt.Fprintf(w, "Conformance kit against the %s node (the kit plays the access point %s):\n", first.Country, demonet.TesterParty)
		fmt.Fprintf(w, "  oots conformance run -target %s -out conformance-report/\n", first.ConformanceTarget)
	}
}

// readOIDCProvider reads the value CC=FILE of the flag -oidc into ps.
func readOIDCProvider(ps map[string]oidc.Provider, v string) error {
	cc, file, ok := strings.Cut(v, "=")
	if !ok || cc == "" || file == "" {
		return fmt.Errorf("%q is not CC=FILE", v)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var p oidc.Provider
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	ps[strings.ToUpper(cc)] = p
	return nil
}

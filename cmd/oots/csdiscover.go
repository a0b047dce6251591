package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/oots-go/oots/csdiscovery"
)

// runCSDiscover implements "oots cs-discover -server IP:PORT [options] CC
// eb|dsd": it finds the base URL of a Common Services instance by DNS NAPTR
// (package csdiscovery, SPEC.md §5) and prints it. Exit 0 with the URL, 1
// when there is no usable record (unknown country or version, hostile or
// malformed answer), 2 on usage errors or when the DNS server cannot be
// reached.
func runCSDiscover(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("cs-discover", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	server := fl.String("server", "", "DNS server to ask, ip:port (required)")
	envName := fl.String("env", string(csdiscovery.Acceptance), "environment: acceptance (acc), testing, production (prod), or another DNS label of a private zone")
	major := fl.Int("major", 2, "major version of the Common Services interface")
	zone := fl.String("zone", csdiscovery.DefaultZone, "DNS zone of the records")
	service := fl.String("service", "", "NAPTR service field to select (default: any)")
	allowHTTP := fl.Bool("allow-http", false, "accept http URLs (test set-ups)")
	timeout := fl.Duration("timeout", 2*time.Second, "timeout of each DNS attempt")
	dnssec := fl.String("dnssec", "", "DNSSEC validation: off, auto, require (default: the environment's, auto, in the Commission's zone; off in another -zone)")
	anchorsFile := fl.String("dnssec-anchors", "", "file of DS or DNSKEY records validation starts from (default: the root's KSKs)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots cs-discover -server IP:PORT [options] COUNTRY eb|dsd")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 2 || *server == "" {
		fl.Usage()
		return 2
	}
	label := csdiscovery.Environment(*envName)
	mode := csdiscovery.DNSSECOff
	if p, err := csdiscovery.ProfileByName(*envName); err == nil {
		label = p.Environment
		if *zone == p.Zone {
			mode = p.DNSSEC
		}
	}
	if *dnssec != "" {
		var err error
		if mode, err = csdiscovery.ParseDNSSECMode(*dnssec); err != nil {
			fmt.Fprintf(env.Stderr, "oots cs-discover: -dnssec: %v\n", err)
			return 2
		}
	}
	anchors := ""
	if *anchorsFile != "" {
		b, err := os.ReadFile(*anchorsFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "oots cs-discover: -dnssec-anchors: %v\n", err)
			return 2
		}
		anchors = string(b)
	}
	q := csdiscovery.Query{Country: fl.Arg(0), Service: csdiscovery.Service(fl.Arg(1)), Major: *major, Environment: label}
	if _, err := q.Name(*zone); err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-discover: %v\n", err)
		return 2
	}
	r, err := csdiscovery.New(csdiscovery.Config{Server: *server, Zone: *zone, Service: *service, AllowHTTP: *allowHTTP, Timeout: *timeout,
		DNSSEC: mode, TrustAnchors: anchors})
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-discover: %v\n", err)
		return 2
	}
	res, err := r.Lookup(ctx, q)
	switch {
	case errors.Is(err, csdiscovery.ErrUnreachable):
		fmt.Fprintf(env.Stderr, "oots cs-discover: %v\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(env.Stderr, "oots cs-discover: %v\n", err)
		return 1
	}
	validated := ""
	if res.Validated {
		validated = " (DNSSEC validated)"
	}
	fmt.Fprintf(env.Stdout, "%s %s%s\n", res.Name, res.URL, validated)
	return 0
}

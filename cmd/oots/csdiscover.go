package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	envName := fl.String("env", string(csdiscovery.Acceptance), "environment label: acc or prod")
	major := fl.Int("major", 2, "major version of the Common Services interface")
	zone := fl.String("zone", csdiscovery.DefaultZone, "DNS zone of the records")
	service := fl.String("service", "", "NAPTR service field to select (default: any)")
	allowHTTP := fl.Bool("allow-http", false, "accept http URLs (test set-ups)")
	timeout := fl.Duration("timeout", 2*time.Second, "timeout of each DNS attempt")
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
	q := csdiscovery.Query{Country: fl.Arg(0), Service: csdiscovery.Service(fl.Arg(1)), Major: *major, Environment: csdiscovery.Environment(*envName)}
	if _, err := q.Name(*zone); err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-discover: %v\n", err)
		return 2
	}
	r, err := csdiscovery.New(csdiscovery.Config{Server: *server, Zone: *zone, Service: *service, AllowHTTP: *allowHTTP, Timeout: *timeout})
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
	fmt.Fprintf(env.Stdout, "%s %s\n", res.Name, res.URL)
	return 0
}

package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/pkcs11"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// smpTokenEnv is the environment variable holding the bearer token of the
// SMP management API (a secret: not a flag, so that it stays out of process
// listings).
const smpTokenEnv = "OOTS_SMP_ADMIN_TOKEN"

// runSMP implements "oots smp": run an SMP server, manage its entries in the
// node database, look endpoints up by BDXL and SMP, and compute BDXL names.
func runSMP(ctx context.Context, env *Env, args []string) int {
	usage := func() {
		fmt.Fprintln(env.Stderr, `usage: oots smp <command> [options]

commands:
  serve    run an SMP server (OASIS SMP 1.0 or Peppol at /, SMP 2.0 at /bdxr-smp-2/, management API at /api/smp/v1/)
  add      publish an endpoint of a participant for a document type and process (database or management API)
  remove   remove a participant, or one of its document types (database or management API)
  list     list the participants and their document types (database or management API)
  lookup   find the endpoint of a participant by BDXL (or a fixed SMP) and SMP, checking signatures
  hash     print the BDXL and legacy Peppol DNS names of a participant`)
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "serve":
		return smpServe(ctx, env, args[1:])
	case "add":
		return smpAdd(ctx, env, args[1:])
	case "remove":
		return smpRemove(ctx, env, args[1:])
	case "list":
		return smpList(ctx, env, args[1:])
	case "lookup":
		return smpLookup(ctx, env, args[1:])
	case "hash":
		return smpHash(env, args[1:])
	case "-h", "-help", "--help", "help":
		usage()
		return 0
	}
	fmt.Fprintf(env.Stderr, "oots smp: unknown command %q\n", args[0])
	usage()
	return 2
}

func smpFail(env *Env, cmd string, code int, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "oots smp "+cmd+": "+format+"\n", a...)
	return code
}

// openEntries opens where `oots smp add/remove/list` work: the node
// database (dsn), or a running SMP's management API (api, with the bearer
// token from smpTokenEnv). Exactly one is given.
func openEntries(ctx context.Context, env *Env, dsn, api string) (smp.Store, func(), error) {
	switch {
	case (dsn == "") == (api == ""):
		return nil, nil, errors.New("give either -db or -api")
	case api != "":
		token := ""
		if env.Getenv != nil {
			token = env.Getenv(smpTokenEnv)
		}
		if token == "" {
			return nil, nil, fmt.Errorf("-api: the management API needs the bearer token in %s", smpTokenEnv)
		}
		return &smp.RemoteStore{BaseURL: api, Token: token}, func() {}, nil
	}
	return openSMPStore(ctx, dsn)
}

// openSMPStore opens the node database and the SMP's tables.
func openSMPStore(ctx context.Context, dsn string) (*smp.SQLStore, func(), error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	s, err := smp.NewSQLStore(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return s, func() { db.Close() }, nil
}

func smpServe(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp serve", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	addr := fl.String("addr", "127.0.0.1:8088", "listen address")
	dsn := fl.String("db", "", "node database: a SQLite file or a postgres:// URL (default: in memory, lost at exit)")
	keyFile := fl.String("key", "", "PEM private key of the SMP signing certificate (required)")
	certFile := fl.String("cert", "", "PEM signing certificate (required)")
	flavour := fl.String("flavour", string(smp.OASIS1), "what the root paths serve: oasis-smp-1 or peppol")
	baseURL := fl.String("base-url", "", "public base URL for service group references (default: from the request)")
	fl.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: oots smp serve -key K.pem -cert C.pem [options]\n\nThe management API is enabled when %s is set (bearer token).\n", smpTokenEnv)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 || *keyFile == "" || *certFile == "" {
		fl.Usage()
		return 2
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	warnPINValue(log, *keyFile)
	key, cert, err := loadSMPCredential(*keyFile, *certFile)
	if err != nil {
		return smpFail(env, "serve", 2, "%v", err)
	}
	var st smp.Store = smp.NewMemoryStore()
	if *dsn != "" {
		s, closeDB, err := openSMPStore(ctx, *dsn)
		if err != nil {
			return smpFail(env, "serve", 2, "-db: %v", err)
		}
		defer closeDB()
		st = s
	} else {
		log.Warn("no -db: entries are kept in memory and lost at exit")
	}
	token := ""
	if env.Getenv != nil {
		token = env.Getenv(smpTokenEnv)
	}
	srv, err := smp.NewServer(smp.Config{Store: st, Key: key, Certificate: cert, Flavour: smp.Flavour(*flavour), BaseURL: *baseURL, AdminToken: token, Logger: log})
	if err != nil {
		return smpFail(env, "serve", 2, "%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return smpFail(env, "serve", 2, "-addr: %v", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	fmt.Fprintf(env.Stdout, "listening on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return smpFail(env, "serve", 2, "%v", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return smpFail(env, "serve", 2, "shutdown: %v", err)
	}
	return 0
}

func loadSMPCredential(keyFile, certFile string) (crypto.Signer, *x509.Certificate, error) {
	var k crypto.PrivateKey
	if pkcs11.IsURI(keyFile) {
		var err error
		if k, err = pkcs11.Open(keyFile); err != nil {
			return nil, nil, fmt.Errorf("-key: %w", err)
		}
	} else {
		kb, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("-key: %w", err)
		}
		if k, err = pki.ParseKeyPEM(kb); err != nil {
			return nil, nil, fmt.Errorf("-key %s: %w", keyFile, err)
		}
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("-key %s: a %T cannot sign", keyFile, k)
	}
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("-cert: %w", err)
	}
	cert, err := pki.ParseCertPEM(cb)
	if err != nil {
		return nil, nil, fmt.Errorf("-cert %s: %w", certFile, err)
	}
	return signer, cert, nil
}

// idFlag is a flag holding a "scheme::value" identifier.
func idFlag(fl *flag.FlagSet, name, usage string) *string {
	return fl.String(name, "", usage+` ("scheme::value")`)
}

func smpAdd(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp add", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn := fl.String("db", "", "node database (or -api)")
	api := fl.String("api", "", "base URL of a running SMP whose management API to use (token in "+smpTokenEnv+")")
	part := idFlag(fl, "participant", "participant identifier (required)")
	doc := idFlag(fl, "doc", "document type identifier (required)")
	proc := idFlag(fl, "process", "process identifier (required)")
	endpoint := fl.String("url", "", "endpoint URL of the receiving access point (required)")
	certFile := fl.String("cert", "", "PEM certificate of the receiving access point (required)")
	transport := fl.String("transport", smp.TransportEBMS3AS4, "transport profile")
	desc := fl.String("description", "", "service description")
	contact := fl.String("contact", "", "technical contact")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots smp add (-db DSN | -api URL) -participant ID -doc ID -process ID -url URL -cert AP.pem [options]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 || *part == "" || *doc == "" || *proc == "" || *endpoint == "" || *certFile == "" {
		fl.Usage()
		return 2
	}
	var ids [3]smp.ID
	for i, s := range []string{*part, *doc, *proc} {
		id, err := smp.ParseID(s)
		if err != nil {
			return smpFail(env, "add", 2, "%v", err)
		}
		ids[i] = id
	}
	cb, err := os.ReadFile(*certFile)
	if err != nil {
		return smpFail(env, "add", 2, "-cert: %v", err)
	}
	cert, err := pki.ParseCertPEM(cb)
	if err != nil {
		return smpFail(env, "add", 2, "-cert %s: %v", *certFile, err)
	}
	st, closeDB, err := openEntries(ctx, env, *dsn, *api)
	if err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	defer closeDB()
	if err := st.PutParticipant(ctx, ids[0]); err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	m, err := st.ServiceMetadata(ctx, ids[0], ids[1])
	if errors.Is(err, smp.ErrNotFound) || err == nil && m.Redirect != nil {
		m, err = &smp.ServiceMetadata{Participant: ids[0], DocumentType: ids[1]}, nil
	}
	if err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	e := smp.Endpoint{TransportProfile: *transport, URL: *endpoint, Certificate: cert.Raw, Description: *desc, Contact: *contact}
	// Replace the endpoint of the same transport profile in the process,
	// or add it (and the process).
	placed := false
	for i := range m.Processes {
		if m.Processes[i].ID != ids[2] {
			continue
		}
		// An endpoint added to a redirected process replaces the redirect,
		// as one added to a redirected document replaces the document.
		m.Processes[i].Redirect = nil
		for j := range m.Processes[i].Endpoints {
			if m.Processes[i].Endpoints[j].TransportProfile == e.TransportProfile {
				m.Processes[i].Endpoints[j], placed = e, true
			}
		}
		if !placed {
			m.Processes[i].Endpoints = append(m.Processes[i].Endpoints, e)
			placed = true
		}
	}
	if !placed {
		m.Processes = append(m.Processes, smp.Process{ID: ids[2], Endpoints: []smp.Endpoint{e}})
	}
	if err := m.Validate(); err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	if err := st.PutServiceMetadata(ctx, m); err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "%s %s %s %s %s\n", ids[0], ids[1], ids[2], e.TransportProfile, e.URL)
	return 0
}

func smpRemove(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp remove", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn := fl.String("db", "", "node database (or -api)")
	api := fl.String("api", "", "base URL of a running SMP whose management API to use (token in "+smpTokenEnv+")")
	part := idFlag(fl, "participant", "participant identifier (required)")
	doc := idFlag(fl, "doc", "document type identifier (default: the whole participant)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 || *part == "" {
		fmt.Fprintln(env.Stderr, "usage: oots smp remove (-db DSN | -api URL) -participant ID [-doc ID]")
		return 2
	}
	p, err := smp.ParseID(*part)
	if err != nil {
		return smpFail(env, "remove", 2, "%v", err)
	}
	st, closeDB, err := openEntries(ctx, env, *dsn, *api)
	if err != nil {
		return smpFail(env, "remove", 2, "%v", err)
	}
	defer closeDB()
	if *doc == "" {
		err = st.DeleteParticipant(ctx, p)
	} else {
		d, perr := smp.ParseID(*doc)
		if perr != nil {
			return smpFail(env, "remove", 2, "%v", perr)
		}
		err = st.DeleteServiceMetadata(ctx, p, d)
	}
	if errors.Is(err, smp.ErrNotFound) {
		return smpFail(env, "remove", 1, "no such entry")
	}
	if err != nil {
		return smpFail(env, "remove", 2, "%v", err)
	}
	return 0
}

func smpList(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp list", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn := fl.String("db", "", "node database (or -api)")
	api := fl.String("api", "", "base URL of a running SMP whose management API to use (token in "+smpTokenEnv+")")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "usage: oots smp list (-db DSN | -api URL)")
		return 2
	}
	st, closeDB, err := openEntries(ctx, env, *dsn, *api)
	if err != nil {
		return smpFail(env, "list", 2, "%v", err)
	}
	defer closeDB()
	ids, err := st.Participants(ctx)
	if err != nil {
		return smpFail(env, "list", 2, "%v", err)
	}
	for _, p := range ids {
		g, err := st.ServiceGroup(ctx, p)
		if err != nil {
			return smpFail(env, "list", 2, "%v", err)
		}
		fmt.Fprintln(env.Stdout, p)
		for _, d := range g.DocumentTypes {
			m, err := st.ServiceMetadata(ctx, p, d)
			if err != nil {
				return smpFail(env, "list", 2, "%v", err)
			}
			for _, pr := range m.Processes {
				for _, e := range pr.Endpoints {
					fmt.Fprintf(env.Stdout, "  %s  %s  %s  %s\n", d, pr.ID, e.TransportProfile, e.URL)
				}
				if pr.Redirect != nil {
					fmt.Fprintf(env.Stdout, "  %s  %s  redirect %s\n", d, pr.ID, pr.Redirect.URL)
				}
			}
			if m.Redirect != nil {
				fmt.Fprintf(env.Stdout, "  %s  redirect %s\n", d, m.Redirect.URL)
			}
		}
	}
	return 0
}

func smpLookup(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp lookup", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dnsServer := fl.String("dns", "", "DNS server for the BDXL lookup, ip:port")
	zone := fl.String("zone", bdxl.ZoneEDelivery, "BDXL (SML) zone")
	fixed := fl.String("smp", "", "SMP base URL to ask instead of a BDXL lookup")
	legacy := fl.String("legacy-zone", "", "locate the SMP the legacy Peppol way (http://B-<md5>.<scheme>.<zone>, system resolver) in this zone")
	trustFile := fl.String("trust", "", "PEM trust anchors of SMP signing certificates (required)")
	flavour := fl.String("flavour", string(smp.OASIS1), "SMP flavour: oasis-smp-1, oasis-smp-2 or peppol")
	allowHTTP := fl.Bool("allow-http", false, "accept http SMP URLs from the DNS")
	dnssec := fl.String("dnssec", "off", "DNSSEC validation of the BDXL answers: off, auto, require")
	anchorsFile := fl.String("dnssec-anchors", "", "file of DS or DNSKEY records validation starts from (default: the root's KSKs)")
	timeout := fl.Duration("timeout", 10*time.Second, "HTTP timeout")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots smp lookup (-dns IP:PORT [-zone Z] | -smp URL | -legacy-zone Z) -trust CA.pem [options] PARTICIPANT DOCTYPE PROCESS")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	ways := 0
	for _, w := range []string{*dnsServer, *fixed, *legacy} {
		if w != "" {
			ways++
		}
	}
	if fl.NArg() != 3 || *trustFile == "" || ways != 1 {
		fl.Usage()
		return 2
	}
	var ids [3]smp.ID
	for i := range ids {
		id, err := smp.ParseID(fl.Arg(i))
		if err != nil {
			return smpFail(env, "lookup", 2, "%v", err)
		}
		ids[i] = id
	}
	ts, err := trust.LoadFiles(*trustFile)
	if err != nil {
		return smpFail(env, "lookup", 2, "-trust: %v", err)
	}
	c := &smp.Client{SMP: *fixed, LegacyZone: *legacy, Flavour: smp.Flavour(*flavour), Trust: ts, HTTP: &http.Client{Timeout: *timeout}, CacheTTL: -1}
	if *dnsServer != "" {
		d := &serveDiscovery{DNS: *dnsServer, DNSSEC: *dnssec, DNSSECAnchors: *anchorsFile}
		dc, err := d.dnsClient(&serveConfig{dir: "."})
		if err != nil {
			return smpFail(env, "lookup", 2, "-%v", strings.TrimPrefix(err.Error(), "discovery."))
		}
		c.BDXL = &bdxl.Resolver{DNS: dc, Zone: *zone, AllowHTTP: *allowHTTP}
	}
	t, err := c.Resolve(ctx, ids[0], ids[1], ids[2])
	switch {
	case errors.Is(err, smp.ErrUnreachable):
		return smpFail(env, "lookup", 2, "%v", err)
	case err != nil:
		return smpFail(env, "lookup", 1, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "endpoint:          %s\ntransport profile: %s\ncertificate:       %s (until %s)\nSMP:               %s\nsigned by:         %s\n",
		t.URL, t.TransportProfile, t.Certificate.Subject, t.Certificate.NotAfter.UTC().Format(time.RFC3339), t.SMP, t.Signer.Subject)
	return 0
}

func smpHash(env *Env, args []string) int {
	fl := flag.NewFlagSet("smp hash", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	zone := fl.String("zone", bdxl.ZoneEDelivery, "BDXL (SML) zone")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: oots smp hash [-zone Z] PARTICIPANT")
		return 2
	}
	p, err := bdxl.ParseParticipant(fl.Arg(0))
	if err != nil {
		return smpFail(env, "hash", 2, "%v", err)
	}
	n, err := bdxl.Name(p, *zone)
	if err != nil {
		return smpFail(env, "hash", 2, "%v", err)
	}
	l, _ := bdxl.LegacyName(p, *zone)
	fmt.Fprintf(env.Stdout, "%s\n%s\n", n, l)
	return 0
}

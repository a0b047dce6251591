package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
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
  rollover announce an endpoint's next certificate from a date, the current one kept until the day before
  redirect publish that another SMP serves a document type, or one of its processes, with that SMP's signing certificates
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
	case "rollover":
		return smpRollover(ctx, env, args[1:])
	case "redirect":
		return smpRedirect(ctx, env, args[1:])
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

// openEntries opens where `oots smp add/rollover/remove/list` work: the
// node database (dsn), or a running SMP's management API (api, with the
// bearer token from smpTokenEnv). Exactly one is given. A command that
// writes back an entry it read (writesBack) reads the management API's
// answers exactly (smp.RemoteStore.Exact): a member this oots does not
// know, which writing back would drop, is an error (entryToChange).
func openEntries(ctx context.Context, env *Env, dsn, api string, writesBack bool) (smp.Store, func(), error) {
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
		return &smp.RemoteStore{BaseURL: api, Token: token, Exact: writesBack}, func() {}, nil
	}
	return openSMPStore(ctx, dsn)
}

// entryToChange reads the metadata of participant p and document type d
// that a command changes and writes back. An answer of the management API
// with a member this oots does not know is refused, saying why.
func entryToChange(ctx context.Context, st smp.Store, p, d smp.ID) (*smp.ServiceMetadata, error) {
	m, err := st.ServiceMetadata(ctx, p, d)
	if errors.Is(err, smp.ErrUnknownMember) {
		return nil, fmt.Errorf("%w; writing the entry back would drop it: change the entry with an oots as new as the SMP, or through the management API directly", err)
	}
	return m, err
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

// storeFlags are the -db and -api flags: where the SMP's entries are.
func storeFlags(fl *flag.FlagSet) (dsn, api *string) {
	return fl.String("db", "", "node database (or -api)"),
		fl.String("api", "", "base URL of a running SMP whose management API to use (token in "+smpTokenEnv+")")
}

// entryFlags are the -participant, -doc and -process flags of the entry a
// command changes.
func entryFlags(fl *flag.FlagSet) (part, doc, proc *string) {
	return idFlag(fl, "participant", "participant identifier (required)"),
		idFlag(fl, "doc", "document type identifier (required)"),
		idFlag(fl, "process", "process identifier (required)")
}

// idFlag is a flag holding a "scheme::value" identifier.
func idFlag(fl *flag.FlagSet, name, usage string) *string {
	return fl.String(name, "", usage+` ("scheme::value")`)
}

func smpAdd(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp add", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn, api := storeFlags(fl)
	part, doc, proc := entryFlags(fl)
	endpoint := fl.String("url", "", "endpoint URL of the receiving access point (required)")
	var certs certSpecs
	fl.Var(&certs, "cert", "PEM certificate of the receiving access point (required; repeatable, several for a roll-over): `FILE[,type=T][,from=DATE][,until=DATE]`, "+
		"type default encryption, in use from the start of from= through all of until=, DATE YYYY-MM-DD optionally with Z or ±hh:mm (UTC without)")
	transport := fl.String("transport", smp.TransportEBMS3AS4, "transport profile")
	desc := fl.String("description", "", "service description")
	contact := fl.String("contact", "", "technical contact")
	serviceFrom := fl.String("service-from", "", "first day the endpoint is in service (SMP 2.0 ActivationDate, SMP 1.0 and Peppol ServiceActivationDate), DATE as in -cert (default: no first day)")
	serviceUntil := fl.String("service-until", "", "last day the endpoint is in service (SMP 2.0 ExpirationDate; SMP 1.0 and Peppol ServiceExpirationDate, the first instant after it), DATE as in -cert (default: no last day)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots smp add (-db DSN | -api URL) -participant ID -doc ID -process ID -url URL -cert AP.pem[,type=T][,from=DATE][,until=DATE] [-cert ...] [-service-from DATE] [-service-until DATE] [options]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 || *part == "" || *doc == "" || *proc == "" || *endpoint == "" || len(certs) == 0 {
		fl.Usage()
		return 2
	}
	ids, err := parseIDs(*part, *doc, *proc)
	if err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	now := time.Now()
	service, err := parseServiceWindow(*serviceFrom, *serviceUntil, now)
	if err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	e := smp.Endpoint{TransportProfile: *transport, URL: *endpoint, Description: *desc, Contact: *contact,
		Activation: service.Activation, Expiration: service.Expiration}
	if len(certs) == 1 && !certs[0].options {
		// One certificate without type or dates: published alone, as
		// always (in SMP 2.0 with the TypeCode encryption).
		e.Certificate = certs[0].cert.Certificate
	} else {
		for _, c := range certs {
			e.Certificates = append(e.Certificates, c.cert)
		}
		c, err := certificateInUse(&e, now)
		if err != nil {
			return smpFail(env, "add", 2, "-cert: %v", err)
		}
		e.Certificate = c.Certificate
	}
	st, closeDB, err := openEntries(ctx, env, *dsn, *api, true)
	if err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	defer closeDB()
	if err := st.PutParticipant(ctx, ids[0]); err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
	m, err := entryToChange(ctx, st, ids[0], ids[1])
	if errors.Is(err, smp.ErrNotFound) || err == nil && m.Redirect != nil {
		m, err = &smp.ServiceMetadata{Participant: ids[0], DocumentType: ids[1]}, nil
	}
	if err != nil {
		return smpFail(env, "add", 2, "%v", err)
	}
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
	fmt.Fprintf(env.Stdout, "%s %s %s %s %s%s\n", ids[0], ids[1], ids[2], e.TransportProfile, e.URL, serviceDays(&e))
	printCertificates(env, &e, now, "  ")
	warnNoneInUse(env, "add", &e, now)
	if e.Activation.After(now) {
		fmt.Fprintf(env.Stderr, "oots smp add: warning: lookups skip the endpoint until its first day in service, %s\n", *serviceFrom)
	}
	return 0
}

// parseServiceWindow reads -service-from and -service-until, the first and
// last day an endpoint is in service (as from= and until= of -cert), and
// refuses a window that has ended by now or ends before it starts: the
// endpoint would never be in service.
func parseServiceWindow(from, until string, now time.Time) (smp.Validity, error) {
	var v smp.Validity
	var err error
	if from != "" {
		if v.Activation, err = parseDate(from, false); err != nil {
			return v, fmt.Errorf("-service-from %q: %v", from, err)
		}
	}
	if until != "" {
		if v.Expiration, err = parseDate(until, true); err != nil {
			return v, fmt.Errorf("-service-until %q: %v", until, err)
		}
		if !v.Expiration.After(now) {
			return v, fmt.Errorf("-service-until %q: the day is over; the endpoint would never be in service", until)
		}
	}
	if !v.Activation.IsZero() && !v.Expiration.IsZero() && !v.Activation.Before(v.Expiration) {
		return v, fmt.Errorf("-service-until %q is before -service-from %q", until, from)
	}
	return v, nil
}

// serviceDays is what follows an endpoint's URL on the lines of add,
// rollover and list: "  in service " and the days it is in service as SMP
// 2.0 publishes them, or nothing when it is in service at any time.
func serviceDays(e *smp.Endpoint) string {
	v := smp.Validity{Activation: e.Activation, Expiration: e.Expiration}
	if v.Activation.IsZero() && v.Expiration.IsZero() {
		return ""
	}
	return "  in service " + validityDates(v)
}

// smpRollover implements "oots smp rollover": the endpoint's certificates
// of the new one's type that are still in use on -from end the day before
// (their ExpirationDate), the new certificate is in use from -from on
// (its ActivationDate), and certificates whose window has ended are
// dropped. What "oots smp add" with two -cert does, computed from what is
// published.
func smpRollover(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp rollover", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn, api := storeFlags(fl)
	part, doc, proc := entryFlags(fl)
	transport := fl.String("transport", smp.TransportEBMS3AS4, "transport profile of the endpoint")
	newCert := fl.String("new-cert", "", "PEM certificate the access point uses from -from on (required)")
	from := fl.String("from", "", "first day of the new certificate, YYYY-MM-DD optionally with Z or ±hh:mm (UTC without), today or later (required)")
	typ := fl.String("type", "", "TypeCode of the new certificate, and of those it replaces (default: that of the certificate in use, else encryption)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots smp rollover (-db DSN | -api URL) -participant ID -doc ID -process ID -new-cert NEW.pem -from DATE [options]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 || *part == "" || *doc == "" || *proc == "" || *newCert == "" || *from == "" {
		fl.Usage()
		return 2
	}
	ids, err := parseIDs(*part, *doc, *proc)
	if err != nil {
		return smpFail(env, "rollover", 2, "%v", err)
	}
	start, err := parseDate(*from, false)
	if err != nil {
		return smpFail(env, "rollover", 2, "-from %q: %v", *from, err)
	}
	now := time.Now()
	if !start.AddDate(0, 0, 1).After(now) {
		return smpFail(env, "rollover", 2, "-from %q: the day is over; a roll-over starts today at the earliest", *from)
	}
	cert, err := readCertificate("-new-cert", *newCert)
	if err != nil {
		return smpFail(env, "rollover", 2, "%v", err)
	}
	st, closeDB, err := openEntries(ctx, env, *dsn, *api, true)
	if err != nil {
		return smpFail(env, "rollover", 2, "%v", err)
	}
	defer closeDB()
	m, err := entryToChange(ctx, st, ids[0], ids[1])
	switch {
	case errors.Is(err, smp.ErrUnknownMember):
		return smpFail(env, "rollover", 2, "%s %s: %v", ids[0], ids[1], err)
	case err != nil:
		return smpFail(env, "rollover", 1, "%s %s: %v", ids[0], ids[1], err)
	}
	var e *smp.Endpoint
	for i := range m.Processes {
		for j := range m.Processes[i].Endpoints {
			if m.Processes[i].ID == ids[2] && m.Processes[i].Endpoints[j].TransportProfile == *transport {
				e = &m.Processes[i].Endpoints[j]
			}
		}
	}
	if e == nil {
		return smpFail(env, "rollover", 1, "%s %s has no %s endpoint in process %s (oots smp add publishes one)", ids[0], ids[1], *transport, ids[2])
	}
	certs := e.Certificates
	if len(certs) == 0 {
		certs = []smp.EndpointCertificate{{Type: smp.CertificateEncryption, Certificate: e.Certificate}}
	}
	if *typ == "" {
		// That of the certificate in use, also none (no TypeCode): the
		// new certificate and those it ends are then of one type, as a
		// lookup takes them.
		*typ = smp.CertificateEncryption
		if c, err := e.CertificateAt(smp.CertificateEncryption, now); err == nil {
			*typ = c.Type
		}
	}
	var kept []smp.EndpointCertificate
	for _, c := range certs {
		switch {
		case bytes.Equal(c.Certificate, cert.Raw):
			return smpFail(env, "rollover", 2, "-new-cert %s: the endpoint already publishes this certificate, %s", *newCert, certificateWindow(c))
		case !c.Expiration.IsZero() && !c.Expiration.After(now):
			fmt.Fprintf(env.Stdout, "dropped: %s\n", certificateLine(c))
			continue
		case strings.EqualFold(c.Type, *typ) && !c.Activation.Before(start):
			return smpFail(env, "rollover", 2, "-from %q: %s is already to be used from then on: a roll-over is planned (oots smp add -cert sets all the certificates)", *from, certificateLine(c))
		case strings.EqualFold(c.Type, *typ) && (c.Expiration.IsZero() || c.Expiration.After(start)):
			c.Expiration = start
		}
		kept = append(kept, c)
	}
	e.Certificates = append(kept, smp.EndpointCertificate{Type: *typ, Certificate: cert.Raw, Activation: start})
	c, err := certificateInUse(e, now)
	if err != nil {
		return smpFail(env, "rollover", 2, "%v", err)
	}
	e.Certificate = c.Certificate
	if err := m.Validate(); err != nil {
		return smpFail(env, "rollover", 2, "%v", err)
	}
	if err := st.PutServiceMetadata(ctx, m); err != nil {
		return smpFail(env, "rollover", 2, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "%s %s %s %s %s%s\n", ids[0], ids[1], ids[2], e.TransportProfile, e.URL, serviceDays(e))
	printCertificates(env, e, now, "  ")
	return 0
}

// smpRedirect implements "oots smp redirect": the document type, or one of
// its processes, is served by another SMP (SMP 1.0 and Peppol Redirect,
// SMP 2.0 Redirect), whose answers a lookup accepts signed by one of the
// certificates given of the type signing, on the days given, and in SMP
// 1.0 and Peppol by the certificate the CertificateUID names. It replaces
// what the document type, or the process, had here: endpoints or another
// redirect.
func smpRedirect(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp redirect", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn, api := storeFlags(fl)
	part := idFlag(fl, "participant", "participant identifier (required)")
	doc := idFlag(fl, "doc", "document type identifier (required)")
	proc := idFlag(fl, "process", "process identifier (default: the whole document type, every process)")
	target := fl.String("url", "", "the other SMP's base URL, or its service metadata resource: https, or http to a loopback host (required)")
	var certs certSpecs
	fl.Var(&certs, "cert", "PEM signing certificate of the other SMP (required; repeatable, several for its roll-over): `FILE[,type=T][,from=DATE][,until=DATE]`, "+
		"type default signing, dates as in oots smp add")
	uid := fl.String("uid", "", "SMP 1.0 and Peppol CertificateUID of the other SMP's signing certificate: its subject, common name or serialNumber (default: the subject of the -cert certificates, when they share one)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots smp redirect (-db DSN | -api URL) -participant ID -doc ID [-process ID] -url URL -cert SMP.pem[,type=T][,from=DATE][,until=DATE] [-cert ...] [-uid UID]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 || *part == "" || *doc == "" {
		fl.Usage()
		return 2
	}
	if *target == "" {
		return smpFail(env, "redirect", 2, "-url: the other SMP's URL is required")
	}
	if err := checkRedirectURL(*target); err != nil {
		return smpFail(env, "redirect", 2, "-url %q: %v", *target, err)
	}
	if len(certs) == 0 {
		return smpFail(env, "redirect", 2, "-cert: a redirect needs the other SMP's signing certificate: a lookup accepts the other SMP's answers signed by it, and by no other")
	}
	p, err := smp.ParseID(*part)
	if err != nil {
		return smpFail(env, "redirect", 2, "-participant: %v", err)
	}
	d, err := smp.ParseID(*doc)
	if err != nil {
		return smpFail(env, "redirect", 2, "-doc: %v", err)
	}
	var pid smp.ID
	if *proc != "" {
		if pid, err = smp.ParseID(*proc); err != nil {
			return smpFail(env, "redirect", 2, "-process: %v", err)
		}
	}
	now := time.Now()
	r, err := redirectOf(*target, certs, *uid, now)
	if err != nil {
		return smpFail(env, "redirect", 2, "%v", err)
	}

	st, closeDB, err := openEntries(ctx, env, *dsn, *api, true)
	if err != nil {
		return smpFail(env, "redirect", 2, "%v", err)
	}
	defer closeDB()
	if err := st.PutParticipant(ctx, p); err != nil {
		return smpFail(env, "redirect", 2, "%v", err)
	}
	m := &smp.ServiceMetadata{Participant: p, DocumentType: d, Redirect: r}
	if *proc != "" {
		// The process's entries (its endpoints, or a redirect) give way to
		// one redirected entry, in the place of the first; the other
		// processes stay. A redirect of the whole document type gives way
		// as it does to "oots smp add".
		old, err := entryToChange(ctx, st, p, d)
		switch {
		case errors.Is(err, smp.ErrNotFound) || err == nil && old.Redirect != nil:
			old = &smp.ServiceMetadata{Participant: p, DocumentType: d}
		case err != nil:
			return smpFail(env, "redirect", 2, "%v", err)
		}
		m = old
		var ps []smp.Process
		placed := false
		for _, pr := range m.Processes {
			if pr.ID != pid {
				ps = append(ps, pr)
			} else if !placed {
				ps, placed = append(ps, smp.Process{ID: pid, Redirect: r}), true
			}
		}
		if !placed {
			ps = append(ps, smp.Process{ID: pid, Redirect: r})
		}
		m.Processes = ps
	}
	if err := m.Validate(); err != nil {
		return smpFail(env, "redirect", 2, "%v", err)
	}
	if err := st.PutServiceMetadata(ctx, m); err != nil {
		return smpFail(env, "redirect", 2, "%v", err)
	}
	what := fmt.Sprintf("%s %s", p, d)
	if *proc != "" {
		what += " " + pid.String()
	}
	fmt.Fprintf(env.Stdout, "%s %s\n", what, redirectLine(r))
	printRedirectCertificates(env, r, now, "  ")
	inUse := false
	for i, c := range r.PublishedCertificates() {
		if !r.SignsMetadata(i) {
			fmt.Fprintf(env.Stderr, "oots smp redirect: warning: lookups refuse the other SMP's answers signed by certificate %d: its TypeCode %q is not %s\n", i+1, c.Type, smp.CertificateSigning)
			continue
		}
		inUse = inUse || (smp.Validity{Activation: c.Activation, Expiration: c.Expiration}).In(now)
	}
	if !inUse {
		fmt.Fprintln(env.Stderr, "oots smp redirect: warning: lookups refuse the other SMP's answers until one of its certificates is in use")
	}
	if *proc != "" && slices.ContainsFunc(m.Processes, func(pr smp.Process) bool { return pr.Redirect == nil }) {
		fmt.Fprintf(env.Stderr, "oots smp redirect: warning: SMP 1.0 and Peppol documents cannot redirect one process: they leave process %s out while others have endpoints here (SMP 2.0 lookups follow the redirect)\n", pid)
	}
	return 0
}

// redirectOf is the redirect to the other SMP at target with the signing
// certificates certs (each -cert's type= its TypeCode, from= and until= its
// days) and the CertificateUID uid, by default the certificates' subject.
// It refuses certificates that have all had their last day, a uid that
// names none of them and, without uid, certificates of several subjects:
// an SMP 1.0 or Peppol Redirect names one.
func redirectOf(target string, certs certSpecs, uid string, now time.Time) (*smp.Redirect, error) {
	r := &smp.Redirect{URL: target}
	var typed, dated, usable bool
	var xs []*x509.Certificate
	for _, c := range certs {
		x, err := x509.ParseCertificate(c.cert.Certificate)
		if err != nil {
			return nil, fmt.Errorf("-cert: %w", err)
		}
		xs = append(xs, x)
		r.Certificates = append(r.Certificates, c.cert.Certificate)
		t := ""
		if c.typed {
			t, typed = c.cert.Type, true
		}
		r.Types = append(r.Types, t)
		v := smp.Validity{Activation: c.cert.Activation, Expiration: c.cert.Expiration}
		dated = dated || !v.Activation.IsZero() || !v.Expiration.IsZero()
		usable = usable || v.Expiration.IsZero() || v.Expiration.After(now)
		r.Validity = append(r.Validity, v)
	}
	if !typed {
		r.Types = nil
	}
	if !dated {
		r.Validity = nil
	}
	if !usable {
		return nil, errors.New("-cert: every certificate has had its last day: lookups would refuse the other SMP's answers")
	}
	if uid == "" {
		var subjects []string
		for _, x := range xs {
			if s := x.Subject.String(); !slices.Contains(subjects, s) {
				subjects = append(subjects, s)
			}
		}
		if len(subjects) > 1 {
			return nil, fmt.Errorf("-uid: the certificates have several subjects (%s), and an SMP 1.0 or Peppol redirect names one: give its CertificateUID", strings.Join(subjects, "; "))
		}
		r.CertificateUID = subjects[0]
		return r, nil
	}
	if strings.TrimSpace(uid) != uid || strings.ContainsFunc(uid, func(c rune) bool { return c < 0x20 }) {
		return nil, fmt.Errorf("-uid %q: with white space at an end or a control character", uid)
	}
	if !slices.ContainsFunc(xs, func(x *x509.Certificate) bool { return smp.MatchesCertificateUID(x, uid) }) {
		return nil, fmt.Errorf("-uid %q names none of the -cert certificates (by subject, common name or serialNumber): SMP 1.0 and Peppol lookups would refuse the other SMP's answers", uid)
	}
	r.CertificateUID = uid
	return r, nil
}

// checkRedirectURL says why u cannot be the other SMP's URL of a redirect:
// not absolute, with a query or fragment (a lookup appends the path of the
// metadata to a base URL), or not https, which a lookup's answer is
// trusted over. http is accepted to a loopback host, where an SMP runs for
// tests and development.
func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return errors.New("not an absolute URL (https://host/...)")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("the scheme is %s, not https", u.Scheme)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return errors.New("not https (http only to a loopback host: localhost, 127.0.0.0/8 or ::1)")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("with a query, fragment or user, which a lookup cannot append the path of the metadata to")
	}
	return nil
}

// parseIDs parses the participant, document type and process identifiers
// of an endpoint.
func parseIDs(participant, doc, process string) ([3]smp.ID, error) {
	var ids [3]smp.ID
	for i, s := range []string{participant, doc, process} {
		id, err := smp.ParseID(s)
		if err != nil {
			return ids, err
		}
		ids[i] = id
	}
	return ids, nil
}

// certSpec is one -cert of "oots smp add": FILE[,type=T][,from=DATE][,until=DATE].
type certSpec struct {
	cert    smp.EndpointCertificate
	options bool // a type or a date was given
	typed   bool // type= was given
}

// certSpecs is the repeatable -cert flag, read as it is given.
type certSpecs []certSpec

func (s *certSpecs) String() string { return "" }

func (s *certSpecs) Set(v string) error {
	c, err := parseCertSpec(v)
	if err != nil {
		return err
	}
	*s = append(*s, c)
	return nil
}

// parseCertSpec reads FILE[,type=T][,from=DATE][,until=DATE]: the options
// follow the file name, whose own commas are kept (a part that is not an
// option before any option is of the name).
func parseCertSpec(v string) (certSpec, error) {
	parts := strings.Split(v, ",")
	file, opts := parts[0], parts[1:]
	for len(opts) > 0 && !certOption(opts[0]) {
		file, opts = file+","+opts[0], opts[1:]
	}
	cs := certSpec{cert: smp.EndpointCertificate{Type: smp.CertificateEncryption}, options: len(opts) > 0}
	seen := map[string]bool{}
	for _, o := range opts {
		k, val, _ := strings.Cut(o, "=")
		if !certOption(o) {
			return cs, fmt.Errorf("%q is not type=, from= or until=", o)
		}
		if seen[k] {
			return cs, fmt.Errorf("%s= is given twice", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "type":
			if val == "" {
				return cs, errors.New("type= is empty (encryption, signing, or a code of the domain)")
			}
			cs.cert.Type, cs.typed = val, true
		case "from":
			if cs.cert.Activation, err = parseDate(val, false); err != nil {
				return cs, fmt.Errorf("from=%s: %v", val, err)
			}
		case "until":
			if cs.cert.Expiration, err = parseDate(val, true); err != nil {
				return cs, fmt.Errorf("until=%s: %v", val, err)
			}
		}
	}
	if a, x := cs.cert.Activation, cs.cert.Expiration; !a.IsZero() && !x.IsZero() && !a.Before(x) {
		return cs, errors.New("until= is before from=")
	}
	cert, err := readCertificate(file, file)
	if err != nil {
		return cs, err
	}
	cs.cert.Certificate = cert.Raw
	return cs, nil
}

func certOption(o string) bool {
	k, _, ok := strings.Cut(o, "=")
	return ok && (k == "type" || k == "from" || k == "until")
}

// readCertificate reads a PEM certificate; errors begin with what (a flag
// or the file).
func readCertificate(what, file string) (*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		if what == file {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	c, err := pki.ParseCertPEM(b)
	if err != nil {
		if what == file {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return nil, fmt.Errorf("%s %s: %w", what, file, err)
	}
	return c, nil
}

// parseDate reads a day as SMP 2.0 publishes it (xs:date): YYYY-MM-DD,
// optionally followed by Z or ±hh:mm, in UTC without. It returns the
// first instant of the day, or with end that of the day after (an
// ExpirationDate is the last day in use).
func parseDate(s string, end bool) (time.Time, error) {
	layout := "2006-01-02"
	if len(s) > len(layout) {
		layout += "Z07:00"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, errors.New("not a date: YYYY-MM-DD, optionally followed by Z or ±hh:mm")
	}
	_, off := t.Zone()
	if off > 14*3600 || off < -14*3600 {
		return time.Time{}, errors.New("the time zone is not within ±14:00")
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", off)
	}
	y, m, d := t.Date()
	t = time.Date(y, m, d, 0, 0, 0, 0, loc)
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// certificateInUse returns the certificate of e that SMP 1.0 and Peppol
// documents publish (Endpoint.Certificate): the encryption certificate a
// lookup takes at now, or when none is in use yet, the one it will take
// first. Certificates of other types are taken as Endpoint.CertificateAt
// takes them.
func certificateInUse(e *smp.Endpoint, now time.Time) (smp.EndpointCertificate, error) {
	c, err := e.CertificateAt(smp.CertificateEncryption, now)
	if err == nil {
		return c, nil
	}
	var next []time.Time
	for _, c := range e.Certificates {
		if c.Activation.After(now) {
			next = append(next, c.Activation)
		}
	}
	slices.SortFunc(next, time.Time.Compare)
	for _, t := range next {
		if c, err := e.CertificateAt(smp.CertificateEncryption, t); err == nil {
			return c, nil
		}
	}
	return smp.EndpointCertificate{}, fmt.Errorf("no certificate is in use today or later: %w", err)
}

// warnNoneInUse says when a lookup of e now fails for want of a
// certificate in use (one published ahead of its first day).
func warnNoneInUse(env *Env, cmd string, e *smp.Endpoint, now time.Time) {
	if _, err := e.CertificateAt(smp.CertificateEncryption, now); err != nil {
		fmt.Fprintf(env.Stderr, "oots smp %s: warning: SMP 2.0 lookups fail until a certificate is in use: %v\n", cmd, err)
	}
}

// printCertificates prints the certificates of e, one a line, marking the
// one a lookup takes at now and, when it is another, the one SMP 1.0 and
// Peppol documents publish.
func printCertificates(env *Env, e *smp.Endpoint, now time.Time, indent string) {
	certs := e.Certificates
	if len(certs) == 0 {
		certs = []smp.EndpointCertificate{{Type: smp.CertificateEncryption, Certificate: e.Certificate}}
	}
	used, err := e.CertificateAt(smp.CertificateEncryption, now)
	for _, c := range certs {
		var marks []string
		if err == nil && bytes.Equal(c.Certificate, used.Certificate) && c.Activation.Equal(used.Activation) {
			marks = append(marks, "in use")
		}
		if err != nil && bytes.Equal(c.Certificate, e.Certificate) {
			// None in use: SMP 1.0 and Peppol documents carry the
			// stored one (with one in use, they carry that).
			marks = append(marks, "published by SMP 1.0 and Peppol")
		}
		line := indent + "certificate " + certificateLine(c)
		if len(marks) > 0 {
			line += "  (" + strings.Join(marks, ", ") + ")"
		}
		fmt.Fprintln(env.Stdout, line)
	}
}

// certificateLine describes a certificate: its type, subject and window,
// then its mimeCode when it is not smp.MimeCodeDefault and its
// description when it has one.
func certificateLine(c smp.EndpointCertificate) string {
	subject := "(not a certificate)"
	if x, err := x509.ParseCertificate(c.Certificate); err == nil {
		subject = x.Subject.String()
	}
	line := fmt.Sprintf("%s  %s  %s", cmp.Or(c.Type, "(no type)"), subject, certificateWindow(c))
	if c.MimeCode != "" && c.MimeCode != smp.MimeCodeDefault {
		line += "  mimeCode " + c.MimeCode
	}
	if c.Description != "" {
		line += fmt.Sprintf("  description %q", c.Description)
	}
	return line
}

// certificateWindow is a certificate's window as SMP 2.0 publishes it:
// "from <first day> until <last day>", either left out when not given.
func certificateWindow(c smp.EndpointCertificate) string {
	return validityDates(smp.Validity{Activation: c.Activation, Expiration: c.Expiration})
}

// validityDates returns v as SMP 2.0 dates: from the ActivationDate until
// the ExpirationDate, the last day in use (smp.Validity.Days).
func validityDates(v smp.Validity) string {
	var s []string
	from, until := v.Days()
	if from != "" {
		s = append(s, "from "+from)
	}
	if until != "" {
		s = append(s, "until "+until)
	}
	if len(s) == 0 {
		return "at any time"
	}
	return strings.Join(s, " ")
}

func smpRemove(ctx context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("smp remove", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	dsn, api := storeFlags(fl)
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
	st, closeDB, err := openEntries(ctx, env, *dsn, *api, false)
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
	dsn, api := storeFlags(fl)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "usage: oots smp list (-db DSN | -api URL)")
		return 2
	}
	st, closeDB, err := openEntries(ctx, env, *dsn, *api, false)
	if err != nil {
		return smpFail(env, "list", 2, "%v", err)
	}
	defer closeDB()
	ids, err := st.Participants(ctx)
	if err != nil {
		return smpFail(env, "list", 2, "%v", err)
	}
	now := time.Now()
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
					fmt.Fprintf(env.Stdout, "  %s  %s  %s  %s%s\n", d, pr.ID, e.TransportProfile, e.URL, serviceDays(&e))
					printCertificates(env, &e, now, "    ")
				}
				if pr.Redirect != nil {
					fmt.Fprintf(env.Stdout, "  %s  %s  %s\n", d, pr.ID, redirectLine(pr.Redirect))
					printRedirectCertificates(env, pr.Redirect, now, "    ")
				}
			}
			if m.Redirect != nil {
				fmt.Fprintf(env.Stdout, "  %s  %s\n", d, redirectLine(m.Redirect))
				printRedirectCertificates(env, m.Redirect, now, "    ")
			}
		}
	}
	return 0
}

// redirectLine describes a redirect: "redirect" and its URL, then the
// CertificateUID SMP 1.0 and Peppol publish when it has one.
func redirectLine(r *smp.Redirect) string {
	line := "redirect " + r.URL
	if r.CertificateUID != "" {
		line += fmt.Sprintf("  certificateUID %q", r.CertificateUID)
	}
	return line
}

// printRedirectCertificates prints the signing certificates a redirect
// accepts the other SMP's answer with, and when, as SMP 2.0 publishes
// them (certificateLine); one of another TypeCode, which a lookup does not
// accept (smp.Redirect.SignsMetadata), is never in use, and says so.
func printRedirectCertificates(env *Env, r *smp.Redirect, now time.Time, indent string) {
	for i, c := range r.PublishedCertificates() {
		line := indent + "certificate " + certificateLine(c)
		switch {
		case !r.SignsMetadata(i):
			line += "  (not for signing: lookups refuse it)"
		case (smp.Validity{Activation: c.Activation, Expiration: c.Expiration}).In(now):
			line += "  (in use)"
		}
		fmt.Fprintln(env.Stdout, line)
	}
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
	atFlag := fl.String("at", "", "look up as at this time (RFC 3339, or a day YYYY-MM-DD[Z|±hh:mm] at its start): which certificate a sender takes then, e.g. across a roll-over (default: now)")
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
	ids, err := parseIDs(fl.Arg(0), fl.Arg(1), fl.Arg(2))
	if err != nil {
		return smpFail(env, "lookup", 2, "%v", err)
	}
	var at time.Time
	if *atFlag != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, *atFlag); err != nil {
			if at, err = parseDate(*atFlag, false); err != nil {
				return smpFail(env, "lookup", 2, "-at %q: neither an RFC 3339 time nor a day: %v", *atFlag, err)
			}
		}
	}
	ts, err := trust.LoadFiles(*trustFile)
	if err != nil {
		return smpFail(env, "lookup", 2, "-trust: %v", err)
	}
	c := &smp.Client{SMP: *fixed, LegacyZone: *legacy, Flavour: smp.Flavour(*flavour), Trust: ts, HTTP: &http.Client{Timeout: *timeout}, CacheTTL: -1}
	if !at.IsZero() {
		c.Now = func() time.Time { return at }
	}
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
	if !at.IsZero() {
		fmt.Fprintf(env.Stdout, "as at:             %s\n", at.Format(time.RFC3339))
	}
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

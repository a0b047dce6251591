package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/csserver"
	demodata "github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/pkcs11"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// runCS implements "oots cs serve": the Common Services of one instance —
// Evidence Broker (/eb/rest/search), Data Service Directory
// (/dsd/rest/search), Semantic Repository (/sr/…) and, with -lcm, the HTTP
// binding of LCM (/lcm, POST, for the bearer tokens of -lcm-tokens); with
// -as4, an access point that receives LCM over AS4 from the parties of
// -lcm-party (package lcm) — from a registry in memory or in the node database
// (-db, SQLite file or postgres:// URL), loaded from a folder of LCM
// submissions and Common Services answers (-data) or with the demo data set
// (-demo, the default for an empty registry without -data). Answers are
// signed with -key/-cert (ES256 key and PEM chain); without them a test CA
// and signing certificate are made at start-up and the CA certificate is
// written to -trust-out for clients. The listening address is printed on
// stdout. Exit 0 after a clean shutdown, 2 on usage or start-up errors.
func runCS(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(env.Stderr, "usage: oots cs serve [options]")
		return 2
	}
	fl := flag.NewFlagSet("cs serve", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "listen address")
	data := fl.String("data", "", "folder of LCM submissions and Common Services answers to load (*.xml)")
	demo := fl.Bool("demo", false, "load the demo data set (default when the registry is empty and -data is not given)")
	dsn := fl.String("db", "", "node database: SQLite file or postgres:// URL (default: in memory)")
	keyFile := fl.String("key", "", "PEM ES256 signing key")
	certFile := fl.String("cert", "", "PEM certificate chain of the signing key, signing certificate first")
	trustOut := fl.String("trust-out", "", "without -key: write the generated test CA certificate to this file")
	lcm := fl.Bool("lcm", false, "serve the HTTP binding of LCM at /lcm (for tests and bulk loads; needs -lcm-tokens)")
	var lf lcmFlags
	fl.StringVar(&lf.tokens, "lcm-tokens", "", "bearer tokens of the /lcm binding: lines TOKEN COUNTRY PARTY (COUNTRY - for the operator)")
	fl.StringVar(&lf.as4, "as4", "", "receive LCM over AS4: an \"oots serve\" configuration file of the Common Services' access point (LCM legs in its P-Mode)")
	fl.Var((*multiFlag)(&lf.parties), "lcm-party", "with -as4: PARTY=CC, a P-Mode party that may submit the objects of Member State CC (repeatable)")
	cacheFor := fl.Duration("answer-cache", time.Minute, "how long a signed answer is reused for the same query and registry content (negative: off)")
	tolerate := fl.Bool("tolerate-2.0-content", false, "accept the content of Commission 2.0 answers that the TDD 1.0 rules refuse (procedure codes, acceptance SR URIs)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots cs serve [-addr HOST:PORT] [-data DIR] [-demo] [-db DSN] [-key K.pem -cert C.pem | -trust-out CA.pem] [-lcm -lcm-tokens FILE] [-as4 CONFIG.yaml -lcm-party PARTY=CC...]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if fl.NArg() != 0 || (*keyFile == "") != (*certFile == "") {
		fl.Usage()
		return 2
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	warnPINValue(log, *keyFile)
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots cs serve: "+format+"\n", a...)
		return 2
	}

	cfg := csregistry.Config{Logger: log}
	if *tolerate {
		cfg.TolerateRules = commission20Rules
	}
	if *dsn != "" {
		db, err := store.Open(ctx, *dsn)
		if err != nil {
			return fail("-db: %v", err)
		}
		defer db.Close()
		st, err := csregistry.NewSQLStore(ctx, db)
		if err != nil {
			return fail("-db: %v", err)
		}
		cfg.Store = st
	}
	reg, err := csregistry.Open(ctx, cfg)
	if err != nil {
		return fail("%v", err)
	}
	if *data != "" {
		n, err := reg.LoadDir(ctx, os.DirFS(*data), ".")
		if err != nil {
			return fail("-data: %v", err)
		}
		log.Info("data loaded", "files", n)
	}
	empty := reg.Snapshot().Objects(csregistry.EvidenceBroker)+reg.Snapshot().Objects(csregistry.DataServiceDirectory) == 0
	if *demo || (empty && *data == "") {
		if err := demodata.Load(ctx, reg); err != nil {
			return fail("demo data: %v", err)
		}
		log.Info("demo data set loaded")
	}

	signer, err := loadSigner(*keyFile, *certFile, *trustOut)
	if err != nil {
		return fail("%v", err)
	}
	var tokens csregistry.LCMTokens
	if *lcm {
		if lf.tokens == "" {
			return fail("-lcm needs -lcm-tokens: the LCM binding is not open without credentials")
		}
		if tokens, err = readLCMTokens(lf.tokens); err != nil {
			return fail("%v", err)
		}
	}
	if lf.as4 != "" {
		parties, err := lcmParties(lf.parties)
		if err != nil {
			return fail("%v", err)
		}
		addr, stop, err := serveLCMAS4(ctx, env, log, reg, lf.as4, parties)
		if err != nil {
			return fail("%v", err)
		}
		defer stop()
		log.Info("LCM over AS4", "listen", addr, "parties", len(parties))
	}
	mux, err := csserver.Mux(reg, signer, log, tokens, *cacheFor)
	if err != nil {
		return fail("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("-addr: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	fmt.Fprintf(env.Stdout, "listening on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fail("%v", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fail("shutdown: %v", err)
	}
	return 0
}

// commission20Rules are the TDD 1.0 rules that the content of the
// Commission's 2.0 answers fails (see csregistry.Config.TolerateRules).
var commission20Rules = []string{
	"R-EB-SUB-C001", "R-EB-SUB-C012", "R-EB-SUB-C023", "R-EDM-REQ-S044", "R-EDM-REQ-S045",
	"R-DSD-SUB-C002", "R-DSD-SUB-C023",
}

// csSigner pairs a signing key with the chain of certFile.
func csSigner(key crypto.Signer, certFile string) (*csrest.Signer, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("-cert: %w", err)
	}
	chain, err := trust.ParsePEM(cb)
	if err != nil || len(chain) == 0 {
		return nil, fmt.Errorf("-cert: no certificate: %v", err)
	}
	return &csrest.Signer{Key: key, Chain: chain}, nil
}

// loadSigner reads the signing key (a PEM file, or a pkcs11: URI in the
// pkcs11 build) and chain, or makes a test chain and
// writes its CA certificate to trustOut.
func loadSigner(keyFile, certFile, trustOut string) (*csrest.Signer, error) {
	if pkcs11.IsURI(keyFile) {
		k, err := pkcs11.Open(keyFile)
		if err != nil {
			return nil, fmt.Errorf("-key: %w", err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, errors.New("-key: not an ECDSA P-256 key (ES256)")
		}
		if pub, isEC := s.Public().(*ecdsa.PublicKey); !isEC || pub.Curve != elliptic.P256() {
			return nil, errors.New("-key: not an ECDSA P-256 key (ES256)")
		}
		return csSigner(s, certFile)
	}
	if keyFile != "" {
		kb, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("-key: %w", err)
		}
		k, err := pki.ParseKeyPEM(kb)
		if err != nil {
			return nil, fmt.Errorf("-key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("-key: not an ECDSA P-256 key (ES256)")
		}
		return csSigner(ek, certFile)
	}
	ca, err := pki.NewCA("oots Common Services test CA", wssec.AS4v20, nil)
	if err != nil {
		return nil, err
	}
	c, err := pki.IssueES256(ca, "oots Common Services test signer", nil)
	if err != nil {
		return nil, err
	}
	if trustOut != "" {
		if err := os.WriteFile(trustOut, pki.CertPEM(ca.Cert), 0o644); err != nil {
			return nil, fmt.Errorf("-trust-out: %w", err)
		}
	}
	return &csrest.Signer{Key: c.Key.(*ecdsa.PrivateKey), Chain: []*x509.Certificate{c.Cert, ca.Cert}}, nil
}

// warnPINValue warns when a -key given on the command line is a pkcs11:
// URI with its PIN in it (pin-value): the command line of a process is
// readable by every user of the machine (ps, /proc). The key still opens;
// pin-source names a file that only the node's user reads.
func warnPINValue(log *slog.Logger, key string) {
	if !pkcs11.IsURI(key) {
		return
	}
	if u, err := pkcs11.ParseURI(key); err == nil && u.PINValue != "" {
		log.Warn("-key: the pin-value of a pkcs11: URI on the command line is visible to every user of this machine; name a file that holds the PIN with pin-source instead")
	}
}

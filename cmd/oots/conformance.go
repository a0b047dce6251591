package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/conformance"
	edmpkg "github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/trust"
)

// runConformance implements "oots conformance run": the conformance kit
// (package conformance) against a node and/or a Common Services instance,
// over their public interfaces only; -target FILE reads the flags' values
// from a target file (conformance.TargetFile, as "oots demo" writes one per
// node), the flags given overriding it. It writes DIR/junit.xml,
// DIR/report.html (English) and DIR/report.fr.html (French), prints one line
// per case and the readiness level, and exits 0 when no case failed, 1 when
// one did, 2 on a usage or configuration error.
func runConformance(ctx context.Context, env *Env, args []string) int {
	usage := "usage: oots conformance run [-target FILE] [-target-as4 URL] [-target-api URL -api-token T] -pmode FILE -keys DIR [-self KIT] [-node NODE] [-leg LEG] [-listen ADDR] [-scenarios FILE] [-requester-api URL -requester-token T -requester-country CC] [-cs URL -cs-trust CA.pem] -out DIR"
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(env.Stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("conformance run", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	targetFile := fs.String("target", "", "target file (YAML, see conformance.TargetFile) holding what the other flags give, paths relative to it; flags given override it")
	tlsCA := fs.String("tls-ca", "", "PEM anchors of the HTTPS servers under test (default: the system's)")
	previewLogin := fs.String("preview-login", "", "how the kit logs in at the node's preview space for the preview scenarios: 'demo' (the demo identity providers of oots demo); default none (those scenarios are skipped)")
	targetAS4 := fs.String("target-as4", "", "AS4 endpoint of the node under test (default: the P-Mode endpoint of -node)")
	targetAPI := fs.String("target-api", "", "base URL of the node's backend API (e.g. http://127.0.0.1:8080); enables the delivery checks and the as4-send suite")
	token := fs.String("api-token", "", "bearer token of the backend API (or OOTS_API_TOKEN)")
	pmodeFile := fs.String("pmode", "", "the kit's P-Mode (YAML or Domibus XML) holding the kit's party and the node's party")
	keys := fs.String("keys", "", "directory of the kit's credentials as 'oots pki issue' writes them: SELF.sign.key.pem, SELF.sign.cert.pem, SELF.enc.key.pem")
	trustFile := fs.String("trust", "", "PEM anchors of the node's certificates (default: KEYS/ca.cert.pem)")
	self := fs.String("self", "", "the kit's party in the P-Mode (default: the P-Mode's self)")
	node := fs.String("node", "", "the node's party in the P-Mode (default: the first other party)")
	leg := fs.String("leg", "", "the leg the kit sends on and asks the node to send on (default: the first leg)")
	sendLeg := fs.String("send-leg", "", "the leg the node is asked to send on (default: -leg)")
	listen := fs.String("listen", "", "address of the kit's AS4 endpoint (default: host:port of the kit's P-Mode endpoint); 'none' skips the as4-send suite")
	maxBody := fs.Int64("max-body", 64<<20, "the node's limit on a received AS4 message, bytes")
	wait := fs.Duration("timeout", 20*time.Second, "longest wait for the node to send or deliver one message")
	csURL := fs.String("cs", "", "base URL of a Common Services instance (eb/rest/search and dsd/rest/search are added)")
	csTrust := fs.String("cs-trust", "", "PEM anchors of the Common Services signatures")
	procedure := fs.String("procedure", "R1", "procedure of the good Evidence Broker query")
	country := fs.String("country", "DE", "country of the good Common Services queries")
	srEnv := fs.String("sr-env", "", "environment of the Semantic Repository whose identifiers the Common Services publish: \"\" production, acc the Commission's acceptance services (sr.acc.oots.tech.ec.europa.eu)")
	scenarioFile := fs.String("scenarios", "", "evidence exchange scenarios (YAML, see conformance.ScenarioFile) run through the kit's access point: the edm suite; needs -pmode, -keys and -listen")
	edmLegs := fs.String("edm-legs", "", "P-Mode legs of the request, response and error actions, comma-separated (default "+exchange.DefaultLegs().Request+","+exchange.DefaultLegs().Response+","+exchange.DefaultLegs().Error+")")
	rqAPI := fs.String("requester-api", "", "base URL of the node's requester REST API (/api/requester/v1 is added): the edm-requester suite, in which the kit plays the evidence provider; needs -pmode, -keys and -listen")
	rqToken := fs.String("requester-token", "", "bearer token of the requester REST API (or OOTS_REQUESTER_TOKEN)")
	rqProcedure := fs.String("requester-procedure", "R1", "procedure of the edm-requester journeys")
	rqCountry := fs.String("requester-country", "", "country of the edm-requester journeys, whose DSD data service's AccessService is the kit's party (required with -requester-api)")
	rqVersion := fs.String("requester-version", "", "EDM version the node's requests must be in (the DSD's ConformsTo), e.g. oots-edm:v1.0; default any")
	out := fs.String("out", "", "directory of the reports (created if missing; required)")
	verbose := fs.Bool("v", false, "log each case as it ends")
	peer := fs.String("peer", "pmode", "how the kit's access point writes its messages and signals: 'pmode' (as the kit's P-Mode says) or 'domibus' (as a Domibus 5 node on the OOTS P-Mode: policy eDeliveryAS4Policy_BST, both certificates as BinarySecurityTokens, no wsu:Timestamp)")
	mode := fs.String("mode", "", "'testing-services': the mode of the Commission's Testing Services: every message pair of the edm and edm-requester suites is cross-validated (suite cross-validation, XV-01…) and OUT/readiness.md maps the results to the Acceleratormeter levels")
	official := addOfficialFlags(fs) // the rule files that judge what the systems under test send
	fs.Usage = func() { fmt.Fprintln(env.Stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots conformance: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() != 0 || *out == "" {
		fs.Usage()
		return 2
	}
	if *mode != "" && *mode != "testing-services" {
		return fail("-mode %q: want testing-services or nothing", *mode)
	}
	ts := *mode == "testing-services"
	if *targetFile != "" {
		if err := applyTarget(fs, *targetFile, map[string]*string{
			"target-as4": targetAS4, "target-api": targetAPI, "pmode": pmodeFile, "keys": keys, "trust": trustFile, "self": self, "node": node,
			"leg": leg, "send-leg": sendLeg, "listen": listen, "cs": csURL, "cs-trust": csTrust, "procedure": procedure, "country": country,
			"scenarios": scenarioFile, "edm-legs": edmLegs, "tls-ca": tlsCA, "preview-login": previewLogin, "api-token": token,
			"requester-api": rqAPI, "requester-token": rqToken, "requester-procedure": rqProcedure, "requester-country": rqCountry,
			"requester-version": rqVersion, "sr-env": srEnv,
		}, maxBody, wait); err != nil {
			return fail("-target: %v", err)
		}
	}
	if *token == "" && env.Getenv != nil {
		*token = env.Getenv("OOTS_API_TOKEN")
	}
	if *rqToken == "" && env.Getenv != nil {
		*rqToken = env.Getenv("OOTS_REQUESTER_TOKEN")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var roots *x509.CertPool
	if *tlsCA != "" {
		b, err := os.ReadFile(*tlsCA)
		if err != nil {
			return fail("-tls-ca: %v", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return fail("-tls-ca: %s holds no PEM certificate", *tlsCA)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	}
	var user conformance.PreviewUser
	switch *previewLogin {
	case "", "none":
	case conformance.PreviewLoginDemo:
		user = &conformance.DemoPreviewUser{Roots: roots}
	default:
		return fail("-preview-login: %q: the kit knows %q (the demo identity providers) or none", *previewLogin, conformance.PreviewLoginDemo)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	cfg := conformance.Config{Client: client, Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))}
	rules, err := official.catalogue(env)
	if err != nil {
		return fail("%v", err)
	}
	cfg.Rules = rules
	if *pmodeFile != "" {
		t, err := conformanceAS4(*pmodeFile, *keys, *trustFile, *self, *node, *leg, *listen)
		if err != nil {
			return fail("%v", err)
		}
		t.Endpoint, t.API, t.APIToken, t.SendLeg, t.MaxBodySize, t.DeliveryTimeout = *targetAS4, *targetAPI, *token, *sendLeg, *maxBody, *wait
		switch *peer {
		case "pmode":
		case "domibus":
			t.PMode = conformance.DomibusPeer(t.PMode)
		default:
			return fail("-peer %q: want pmode or domibus", *peer)
		}
		cfg.AS4 = t
	} else if *targetAS4 != "" || *targetAPI != "" {
		return fail("-target-as4 and -target-api need -pmode and -keys (the kit's identity as the node's partner)")
	}
	if *csURL != "" {
		if *csTrust == "" {
			return fail("-cs needs -cs-trust (the anchors of the answers' signatures)")
		}
		st, err := trust.LoadFiles(*csTrust)
		if err != nil {
			return fail("-cs-trust: %v", err)
		}
		cfg.CS = &conformance.CSTarget{BaseURL: *csURL, Trust: st, Procedure: *procedure, Country: *country, SREnvironment: *srEnv}
	}
	if *scenarioFile != "" {
		if cfg.AS4 == nil || cfg.AS4.Listen == "" {
			return fail("-scenarios needs -pmode, -keys and a listening address for the kit's access point (-listen)")
		}
		b, err := os.ReadFile(*scenarioFile)
		if err != nil {
			return fail("-scenarios: %v", err)
		}
		sc, err := conformance.ParseScenarios(b)
		if err != nil {
			return fail("-scenarios: %s: %v", *scenarioFile, err)
		}
		cfg.EDM = &conformance.EDMTarget{Scenarios: sc, Timeout: *wait, User: user}
	}
	if *rqAPI != "" {
		if cfg.AS4 == nil || cfg.AS4.Listen == "" {
			return fail("-requester-api needs -pmode, -keys and a listening address for the kit's access point (-listen)")
		}
		if *rqCountry == "" {
			return fail("-requester-api needs -requester-country (the country whose data service is the kit)")
		}
		if u, err := url.Parse(*rqAPI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail("-requester-api: %q is not an http or https URL", *rqAPI)
		}
		v := edmpkg.Version(*rqVersion)
		if *rqVersion != "" && !v.IsEDM() {
			return fail("-requester-version: %q is not an EDM version (oots-edm:v1.0 …)", *rqVersion)
		}
		cfg.Requester = &conformance.RequesterTarget{API: *rqAPI, Token: *rqToken, Procedure: *rqProcedure, Country: *rqCountry, Version: v, Timeout: *wait}
	}
	if *edmLegs != "" {
		parts := strings.Split(*edmLegs, ",")
		if len(parts) != 3 {
			return fail("-edm-legs: three leg names, comma-separated: request,response,error")
		}
		cfg.Legs = exchange.Legs{Request: strings.TrimSpace(parts[0]), Response: strings.TrimSpace(parts[1]), Error: strings.TrimSpace(parts[2])}
	}
	if cfg.AS4 == nil && cfg.CS == nil && cfg.EDM == nil && cfg.Requester == nil {
		return fail("nothing to test: give -pmode and -keys (AS4), -cs (Common Services), -scenarios or -requester-api")
	}
	cfg.TestingServices = ts
	rep, err := conformance.Run(ctx, cfg)
	if err != nil {
		return fail("%v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail("-out: %v", err)
	}
	write := func(name string, f func(*os.File) error) error {
		fh, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			return err
		}
		if err := f(fh); err != nil {
			fh.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		return fh.Close()
	}
	for _, err := range []error{
		write("junit.xml", func(f *os.File) error { return rep.WriteJUnit(f) }),
		write("report.html", func(f *os.File) error { return rep.WriteHTML(f, "en", "report.fr.html") }),
		write("report.fr.html", func(f *os.File) error { return rep.WriteHTML(f, "fr", "report.html") }),
	} {
		if err != nil {
			return fail("writing the reports: %v", err)
		}
	}
	if ts {
		if err := write("readiness.md", func(f *os.File) error { return rep.WriteReadiness(f) }); err != nil {
			return fail("writing the reports: %v", err)
		}
	}
	for _, c := range rep.Cases {
		line := fmt.Sprintf("%-4s %-7s %s", c.Status, c.ID, c.Name)
		if c.Reason != "" {
			line += " — " + c.Reason
		}
		fmt.Fprintln(env.Stdout, line)
	}
	p, f, s := rep.Counts()
	fmt.Fprintf(env.Stdout, "%d passed, %d failed, %d skipped in %.1fs; readiness level: %s\n", p, f, s, rep.Duration.Seconds(), rep.Level)
	for _, m := range rep.Missing {
		fmt.Fprintf(env.Stdout, "  missing for the next level: %s\n", m)
	}
	for _, l := range rep.Readiness {
		state := "not reached"
		if l.Reached {
			state = "reached"
		}
		fmt.Fprintf(env.Stdout, "Acceleratormeter %s: %s (%d cases show it, %d missing); beyond any run: %s\n", l.Level, state, len(l.Evidence), len(l.Missing), l.Beyond)
	}
	fmt.Fprintf(env.Stdout, "reports: %s\n", filepath.Join(*out, "report.html"))
	if !rep.OK() {
		return 1
	}
	return 0
}

// applyTarget reads a target file into the flags not given on the command
// line: strs maps flag names to their variables; the paths of the file are
// relative to it.
func applyTarget(fs *flag.FlagSet, file string, strs map[string]*string, maxBody *int64, wait *time.Duration) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	t, err := conformance.ParseTarget(b)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	t.Resolve(filepath.Dir(file))
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, tf := range []struct{ flag, field, path string }{{"api-token", "apiTokenFile", t.APITokenFile}, {"requester-token", "requesterTokenFile", t.RequesterTokenFile}} {
		if tf.path == "" || given[tf.flag] {
			continue
		}
		tok, err := os.ReadFile(tf.path)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", file, tf.field, err)
		}
		*strs[tf.flag] = strings.TrimSpace(string(tok))
	}
	for name, v := range map[string]string{
		"target-as4": t.AS4, "target-api": t.API, "pmode": t.PMode, "keys": t.Keys, "trust": t.Trust, "self": t.Self, "node": t.Node,
		"leg": t.Leg, "send-leg": t.SendLeg, "listen": t.Listen, "cs": t.CS, "cs-trust": t.CSTrust, "procedure": t.Procedure,
		"country": t.Country, "scenarios": t.Scenarios, "edm-legs": strings.Join(t.EDMLegs, ","), "tls-ca": t.TLSCA, "preview-login": t.PreviewLogin,
		"requester-api": t.RequesterAPI, "requester-procedure": t.RequesterProcedure, "requester-country": t.RequesterCountry,
		"requester-version": t.RequesterVersion, "sr-env": t.SREnvironment,
	} {
		if v != "" && !given[name] {
			*strs[name] = v
		}
	}
	if t.MaxBody != 0 && !given["max-body"] {
		*maxBody = t.MaxBody
	}
	if t.Timeout != "" && !given["timeout"] {
		*wait, _ = time.ParseDuration(t.Timeout) // checked by ParseTarget
	}
	return nil
}

// conformanceAS4 reads the kit's P-Mode and credentials.
func conformanceAS4(pmodeFile, keys, trustFile, self, node, leg, listen string) (*conformance.AS4Target, error) {
	pm, err := loadPMode(pmodeFile, nil) // a process left out is one the kit cannot test: its leg is not found
	if err != nil {
		return nil, fmt.Errorf("-pmode: %w", err)
	}
	if self != "" {
		pm.Self = self
	}
	if pm.Self == "" {
		return nil, fmt.Errorf("-self: the P-Mode names no self; say which party the kit is")
	}
	var nodeParty, selfParty *pmode.Party
	for i := range pm.Parties {
		p := &pm.Parties[i]
		switch {
		case p.Name == pm.Self:
			selfParty = p
		case (node == "" && nodeParty == nil) || p.Name == node:
			nodeParty = p
		}
	}
	if selfParty == nil {
		return nil, fmt.Errorf("-self: no party %q in %s", pm.Self, pmodeFile)
	}
	if nodeParty == nil {
		return nil, fmt.Errorf("-node: no party %q in %s", node, pmodeFile)
	}
	if leg == "" {
		if len(pm.Legs) == 0 {
			return nil, fmt.Errorf("-pmode: %s has no leg", pmodeFile)
		}
		leg = pm.Legs[0].Name
	}
	if keys == "" {
		return nil, fmt.Errorf("-keys is required with -pmode")
	}
	t := &conformance.AS4Target{PMode: pm, Node: nodeParty.Name, Leg: leg}
	k, err := serveReadKey("-keys", filepath.Join(keys, pm.Self+".sign.key.pem"))
	if err != nil {
		return nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("-keys: %s.sign.key.pem is not a signing key", pm.Self)
	}
	t.SigningKey = signer
	if t.SigningCert, err = serveReadCert("-keys", filepath.Join(keys, pm.Self+".sign.cert.pem")); err != nil {
		return nil, err
	}
	if t.DecryptionKey, err = serveReadKey("-keys", filepath.Join(keys, pm.Self+".enc.key.pem")); err != nil {
		return nil, err
	}
	// An optional credential of a third party (AS4-10, AS4-S6).
	if third := filepath.Join(keys, "third-party.sign.key.pem"); fileExists(third) {
		k, err := serveReadKey("-keys", third)
		if err != nil {
			return nil, err
		}
		if t.ThirdPartyKey, ok = k.(crypto.Signer); !ok {
			return nil, fmt.Errorf("-keys: %s is not a signing key", third)
		}
		if t.ThirdPartyCert, err = serveReadCert("-keys", filepath.Join(keys, "third-party.sign.cert.pem")); err != nil {
			return nil, err
		}
	}
	if trustFile == "" {
		trustFile = filepath.Join(keys, "ca.cert.pem")
	}
	if t.Trust, err = trust.LoadFiles(trustFile); err != nil {
		return nil, fmt.Errorf("-trust: %w", err)
	}
	if nodeParty.EncryptionCertificate == "" {
		return nil, fmt.Errorf("-pmode: party %s has no encryptionCertificate", nodeParty.Name)
	}
	var cert *x509.Certificate
	if cert, err = serveReadCert("-pmode party "+nodeParty.Name+" encryptionCertificate", relativeToFile(pmodeFile, nodeParty.EncryptionCertificate)); err != nil {
		return nil, err
	}
	t.NodeEncryptionCert = cert
	if nodeParty.SigningCertificate != "" {
		if t.NodeSigningCert, err = serveReadCert("-pmode party "+nodeParty.Name+" signingCertificate", relativeToFile(pmodeFile, nodeParty.SigningCertificate)); err != nil {
			return nil, err
		}
	}
	switch {
	case listen == "none":
	case listen != "":
		t.Listen = listen
	case selfParty.Endpoint != "":
		u, err := url.Parse(selfParty.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("-pmode: endpoint of %s: %w", pm.Self, err)
		}
		t.Listen = u.Host
	}
	return t, nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

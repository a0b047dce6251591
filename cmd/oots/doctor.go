package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/httplimit"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
)

// Rules of "oots doctor" findings.
const (
	ruleConfig    = "DOCTOR-CONFIG"
	ruleKey       = "DOCTOR-KEY"
	ruleCert      = "DOCTOR-CERT"
	ruleAlgorithm = "DOCTOR-ALGORITHM"
	rulePMode     = "DOCTOR-PMODE"
	rulePartner   = "DOCTOR-PARTNER"
	ruleReach     = "DOCTOR-REACH"
	ruleDatabase  = "DOCTOR-DATABASE"
	ruleDiscovery = "DOCTOR-DISCOVERY"
	ruleExposure  = "DOCTOR-EXPOSURE"
)

// doctor collects findings.
type doctor struct {
	findings []check.Finding
	now      time.Time
	env      string // -env: the Commission environment to check
}

func (d *doctor) add(rule string, flag check.Flag, loc, format string, a ...any) {
	d.findings = append(d.findings, check.Finding{Rule: rule, Flag: flag, Location: loc, Message: fmt.Sprintf(format, a...)})
}

// runDoctor checks a node configuration before start: the file, keys and
// certificates (usage, expiry, chain to the trust store, algorithm against
// the P-Mode's profile), the P-Modes against the parties, the database, and
// that the partners' endpoints answer. It works before the first start: a
// data directory that does not exist yet is reported (oots serve creates
// it) and its parent checked for writing. Each problem is reported once.
func runDoctor(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("oots doctor", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgFile := fs.String("config", "oots.yaml", "configuration file of oots serve")
	offline := fs.Bool("offline", false, "do not contact the partners' endpoints")
	noDB := fs.Bool("no-database", false, "do not open the database (opening applies pending migrations)")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	timeout := fs.Duration("timeout", 5*time.Second, "timeout of each endpoint check")
	envName := fs.String("env", "", "Commission environment to check instead of commonServices.environment: acceptance, testing, production")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots doctor -config oots.yaml [-env acceptance|testing|production] [-offline] [-no-database] [-json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	d := &doctor{now: time.Now(), env: *envName}
	d.run(ctx, *cfgFile, env, !*offline, !*noDB, *timeout)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(d.findings)
	} else {
		for _, f := range d.findings {
			fmt.Fprintf(env.Stdout, "%-7s %-17s %s: %s\n", f.Flag, f.Rule, f.Location, f.Message)
		}
	}
	if !check.Valid(d.findings) {
		fmt.Fprintln(env.Stderr, "oots doctor: the configuration has errors")
		return 1
	}
	return 0
}

func (d *doctor) run(ctx context.Context, file string, env *Env, network, database bool, timeout time.Duration) {
	c, err := readServeConfig(file, env.Getenv)
	if err != nil {
		d.add(ruleConfig, check.Fatal, file, "%v", err)
		return
	}
	d.add(ruleConfig, check.Info, file, "configuration read")
	d.exposure(c)
	ncfg, err := c.nodeConfig(nil, func(err error) {
		d.add(ruleConfig, check.Warning, "pmode", "left out, this node does not run it: %v", err)
	})
	if err != nil {
		d.add(ruleConfig, check.Fatal, file, "%v", err)
		return
	}
	pm := ncfg.PMode
	d.config(ncfg)
	d.discovery(ncfg, c)
	d.environment(ctx, c, network, timeout)
	d.nodeSections(ctx, c, ncfg, network, timeout)
	if database && d.dataDir(c) {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		db, err := store.Open(dctx, c.dsn())
		cancel()
		if err != nil {
			d.add(ruleDatabase, check.Error, "database", "%v", err)
		} else {
			d.add(ruleDatabase, check.Info, "database", "%s database opened, migrations applied", db.Dialect())
			if db.Dialect() == store.SQLite {
				var sync int
				if err := db.SQL().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err == nil && sync < 2 {
					d.add(ruleDatabase, check.Info, "database", "commits are not synced to disk: a power loss can lose the last messages acknowledged (database: sqlite:FILE?synchronous=full syncs each commit)")
				}
			}
			db.Close()
		}
	}
	// The access point's own checks (the same as at start). They stop at
	// the first wrong field, which the checks above have usually reported
	// already, with more detail: it is then not reported a second time.
	ncfg.Store = (*store.DB)(nil)
	if err := ncfg.Validate(); err != nil {
		var fe *ap.FieldError
		loc := "node"
		if errors.As(err, &fe) {
			loc = fe.Field
		}
		if fe == nil || !d.hasError(doctorLocation(fe.Field)) {
			d.add(ruleConfig, check.Error, loc, "%v", err)
		}
	}
	if network {
		d.reach(ctx, pm, ncfg, timeout)
	}
}

// doctorLocation returns the location under which the doctor's own checks
// report the problem that ap.Config.Validate names by field, or "" when
// the doctor has no check of its own for that field.
func doctorLocation(field string) string {
	switch field {
	case "SigningKey", "SigningCert":
		return "keys.signingKey"
	case "PMode.Self":
		return "self"
	}
	if rest, ok := strings.CutPrefix(field, "PMode.legs["); ok && strings.HasSuffix(rest, "].security.profile") {
		return "pmode legs[" + rest
	}
	return ""
}

// hasError reports whether an error or fatal finding is already at loc.
func (d *doctor) hasError(loc string) bool {
	if loc == "" {
		return false
	}
	for _, f := range d.findings {
		if f.Location == loc && (f.Flag == check.Error || f.Flag == check.Fatal) {
			return true
		}
	}
	return false
}

// dataDir checks the data directory of a SQLite database before it is
// opened. Before the first start it does not exist yet: oots serve creates
// it, so the doctor checks that its nearest existing parent is a writable
// directory, reports that, and does not open the database. It returns
// whether the database should be opened.
func (d *doctor) dataDir(c *serveConfig) bool {
	file, ok := store.SQLiteFile(c.dsn())
	if !ok {
		return true
	}
	dir, loc := filepath.Dir(file), "dataDir"
	if c.Database != "" {
		loc = "database"
	}
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			d.add(ruleDatabase, check.Error, loc, "%s is not a directory", dir)
			return false
		}
		return true
	}
	if !errors.Is(err, fs.ErrNotExist) {
		d.add(ruleDatabase, check.Error, loc, "%v", err)
		return false
	}
	parent := filepath.Dir(dir)
	for {
		if _, err := os.Stat(parent); err == nil || parent == filepath.Dir(parent) {
			break
		}
		parent = filepath.Dir(parent)
	}
	if err := writableDir(parent); err != nil {
		d.add(ruleDatabase, check.Error, loc, "%s does not exist and cannot be created: %v", dir, err)
		return false
	}
	d.add(ruleDatabase, check.Info, loc, "%s does not exist yet: oots serve creates it (%s is writable); the database is not opened", dir, parent)
	return false
}

// writableDir checks that dir is a directory where a file can be created.
func writableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".oots-doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// apRules are the doctor's rules for those of ap.CheckConfig.
var apRules = map[string]string{
	ap.RuleKey:       ruleKey,
	ap.RuleCert:      ruleCert,
	ap.RuleAlgorithm: ruleAlgorithm,
	ap.RulePMode:     rulePMode,
	ap.RulePartner:   rulePartner,
}

// yamlFields are the keys of the configuration file (or of the P-Mode) for
// the fields of ap.Config that ap.CheckConfig names in its messages.
var yamlFields = strings.NewReplacer(
	"does not match SigningCert", "does not match keys.signingCertificate",
	"no trust store (Trust)", "no trust store (keys.trust)",
	"which has no certificate in EncryptionCerts", "which has no encryptionCertificate",
)

// config reports the access point's checks of its keys, certificates and
// partners (ap.CheckConfig) under the keys of the configuration file.
func (d *doctor) config(c *ap.Config) {
	for _, f := range ap.CheckConfig(c, d.now) {
		if r, ok := apRules[f.Rule]; ok {
			f.Rule = r
		}
		f.Location = yamlLocation(f.Location)
		f.Message = yamlFields.Replace(f.Message)
		d.findings = append(d.findings, f)
	}
}

// yamlLocation returns the key of the configuration file (or of the
// P-Mode) for a field of ap.Config as ap.CheckConfig names it.
func yamlLocation(field string) string {
	switch field {
	case "SigningKey":
		return "keys.signingKey"
	case "SigningCert":
		return "keys.signingCertificate"
	case "DecryptionKey":
		return "keys.decryptionKey"
	case "PMode.Self":
		return "self"
	}
	if rest, ok := strings.CutPrefix(field, "PMode.legs["); ok {
		return "pmode legs[" + rest
	}
	for prefix, key := range map[string]string{"EncryptionCerts[": "encryptionCertificate", "SigningCerts[": "signingCertificate"} {
		if name, ok := strings.CutPrefix(field, prefix); ok && strings.HasSuffix(name, "]") {
			return "party " + strings.TrimSuffix(name, "]") + " " + key
		}
	}
	return field
}

// discovery reports the discovery settings and the partners resolved by
// discovery.
func (d *doctor) discovery(c *ap.Config, sc *serveConfig) {
	if sc.Discovery == nil {
		d.add(ruleDiscovery, check.Info, "discovery", "no discovery section: every partner's endpoint comes from the P-Mode")
		return
	}
	sd := sc.Discovery
	flavour := sd.Flavour
	if flavour == "" {
		flavour = smp.OASIS1
	}
	endpointTrust := "endpoint certificates only parsed and checked for validity (no endpointTrust)"
	if len(sd.EndpointTrust) > 0 {
		endpointTrust = fmt.Sprintf("endpoint certificates validated against %d file(s)", len(sd.EndpointTrust))
	}
	d.add(ruleDiscovery, check.Info, "discovery", "BDXL zone %s via DNS server %s, SMP flavour %s, SMP signatures validated against %d file(s), %s",
		sd.Zone, sd.DNS, flavour, len(sd.SMPTrust), endpointTrust)
	if mode, _ := csdiscovery.ParseDNSSECMode(sd.DNSSEC); mode == csdiscovery.DNSSECOff {
		d.add(ruleDiscovery, check.Info, "discovery.dnssec", "BDXL answers are not validated with DNSSEC (TDD 3.7 recommends it: dnssec auto or require)")
	} else {
		d.add(ruleDiscovery, check.Info, "discovery.dnssec", "BDXL answers validated with DNSSEC (%s)", mode)
	}
	if sd.AllowHTTP {
		d.add(ruleDiscovery, check.Warning, "discovery.allowHTTP", "http:// SMP URLs are accepted (the answers are still signature-checked)")
	}
	names := make([]string, 0, len(c.Discovered))
	for name := range c.Discovered {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := c.Discovered[name]
		d.add(ruleDiscovery, check.Info, "discovery.partners."+name, "resolved by discovery: participant %s, document type %s, process %s",
			p.Participant, p.DocumentType, p.Process)
	}
}

// reach checks that every partner endpoint answers HTTP (any status: an
// AS4 endpoint answers a GET with an error, but it answers).
func (d *doctor) reach(ctx context.Context, pm *pmode.Config, c *ap.Config, timeout time.Duration) {
	client := &http.Client{Timeout: timeout, Transport: c.Client.Transport}
	for _, p := range pm.Parties {
		if p.Name == pm.Self || p.Endpoint == "" {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, p.Endpoint, nil)
		if err != nil {
			d.add(ruleReach, check.Error, "party "+p.Name, "endpoint %q: %v", p.Endpoint, err)
			continue
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			d.add(ruleReach, check.Error, "party "+p.Name, "endpoint %s unreachable: %v", p.Endpoint, err)
			continue
		}
		resp.Body.Close()
		d.add(ruleReach, check.Info, "party "+p.Name, "endpoint %s answered HTTP %d in %v", p.Endpoint, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
	// Partners found by discovery: the lookup itself (BDXL, SMP, checks).
	names := make([]string, 0, len(c.Discovered))
	for name := range c.Discovered {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := c.Discovered[name]
		lctx, cancel := context.WithTimeout(ctx, timeout)
		start := time.Now()
		t, err := c.Discovery.Resolve(lctx, p.Participant, p.DocumentType, p.Process)
		cancel()
		if err != nil {
			d.add(ruleReach, check.Error, "discovery.partners."+name, "lookup of %s: %v", p.Participant, err)
			continue
		}
		d.add(ruleReach, check.Info, "discovery.partners."+name, "discovered endpoint %s (certificate %s, SMP %s) in %v",
			t.URL, t.Certificate.Subject, t.SMP, time.Since(start).Round(time.Millisecond))
	}
}

// exposure reports what the node opens to whom: the backend API without a
// token (it would not start), a plain-HTTP public listener beyond this
// machine, and the bounds on its connections.
func (d *doctor) exposure(c *serveConfig) {
	if err := c.exposure(); err != nil {
		d.add(ruleExposure, check.Error, "api", "%v", err)
	} else if c.API.InsecureOpen {
		d.add(ruleExposure, check.Warning, "api.insecureOpen", "the backend API and /metrics need no token (test only), on %s", c.apiAddr())
	}
	if (c.TLS == nil || c.TLS.Certificate == "") && !loopback(c.Listen) {
		d.add(ruleExposure, check.Warning, "listen", "%s serves plain HTTP beyond this machine: put TLS here (tls.certificate, tls.key) or in a proxy in front of it", c.Listen)
	}
	if c.API.Listen == "" && !loopback(c.Listen) {
		d.add(ruleExposure, check.Info, "api.listen", "the backend API shares the public listener %s; api.listen can give it its own (an internal address)", c.Listen)
	}
	l := httplimit.New(c.Limits).Config()
	bodyMax := c.MaxBodySize
	if bodyMax == 0 {
		bodyMax = as4.DefaultMaxBodySize
	}
	d.add(ruleExposure, check.Info, "limits", "at most %d connections and %d requests in flight (HTTP 503 beyond); bodies and answers at least %d B/s after %s; body at most %d bytes",
		l.MaxConns, l.MaxInFlight, l.MinRate, l.Grace, bodyMax)
}

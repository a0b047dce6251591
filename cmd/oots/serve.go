package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/internal/gcfloor"
	"github.com/oots-go/oots/internal/httplimit"
	"github.com/oots-go/oots/internal/tlsprofile"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/pkcs11"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// serveConfig is the configuration file of "oots serve" (YAML). Relative
// paths are relative to the file. Every field, with its default:
//
//	listen: 127.0.0.1:8080         # address of the HTTP(S) server
//	tls:                           # omitted: plain HTTP (behind a TLS proxy) and system roots
//	  certificate: tls.cert.pem    # server certificate and key of the listener; omitted: plain HTTP
//	  key: tls.key.pem
//	  partnerCAs: [ca.pem]         # roots for the partners' https endpoints and the webhook; default: system roots
//	dataDir: data                  # SQLite database (oots.db), spilled attachments (tmp/), received payloads (payloads/)
//	database: ""                   # postgres://user@host/db for PostgreSQL; "" is SQLite in dataDir
//	pmode: pmode.yaml              # YAML P-Modes (as4/pmode) or a Domibus PMode XML file
//	self: AP_FR_01                 # this access point's party (default: the P-Mode's self)
//	keys:
//	  signingKey: fr.sign.key.pem          # RSA (eDelivery AS4 1.15) or Ed25519 (2.0), PEM; or a pkcs11: URI (build tag pkcs11)
//	  signingCertificate: fr.sign.cert.pem
//	  decryptionKey: fr.enc.key.pem        # RSA or X25519, PEM
//	  trust: [ca.cert.pem]                 # anchors for the partners' certificates
//	  revocation: {policy: prefer}         # online OCSP/CRL checks of the partners' certificates (see revocationConfig); omitted: none
//	  next: {signingKey: …, signingCertificate: …, decryptionKey: …, at: 2027-03-01T02:00:00Z}   # the next certificate (see serveNextKeys)
//	api:
//	  token: "a-long-random-token-0123"   # bearer token of the backend API and /metrics (at least 16 characters); required
//	  listen: ""                   # its own address (an internal one) for the API, /openapi.json and /metrics; "" shares listen
//	  insecureOpen: false          # TEST ONLY: no token, on a loopback address only (or -insecure-open-api)
//	limits:                        # bounds of every listener (0: the default)
//	  maxConns: 1024               # connections open at once; more are closed
//	  maxInFlight: 256             # requests at once; more get HTTP 503 with Retry-After
//	  minRate: 8192                # bytes/s a request body or an answer must move on average, after grace
//	  grace: 10s
//	  retryAfter: 5s
//	webhook:                       # received messages and send failures (X-OOTS-Event); omitted: the backend pulls (GET /api/v1/inbox)
//	  url: https://backend.example/oots
//	  secret: "…"                  # HMAC key, at least 16 bytes (or secretFile)
//	  secretFile: ""
//	workers: 8                     # concurrent sending workers
//	lease: 1m                      # how long a claimed message stays with this node
//	pollInterval: 500ms            # queue polling when idle
//	retention: 0s                  # purge payloads of finished messages older than this; 0 keeps them
//	maxBodySize: 67108864          # largest AS4 request accepted, bytes
//	maxDecompressedSize: 2147483648   # largest payload once decompressed (a leg's payload.maxSize wins), bytes
//	maxCompressionRatio: 200       # decompressed:compressed beyond the first MiB (a bomb: EBMS:0303); -1: not checked
//	clientTimeout: 30s             # timeout of a post to a partner or the webhook
//	heapFloor: 33554432            # heap size (bytes) below which the garbage collector waits; -1: Go's own pacing; GOGC set: ignored
//	nodeId: ""                     # lease owner name; default hostname and a random suffix
//	log: {level: info, format: json}   # debug|info|warn|error; json|text
//	discovery:                     # omitted: every partner from the P-Mode
//	  dns: 192.0.2.53:53           # DNS server (IP:port) asked for the BDXL NAPTR records
//	  zone: edelivery.tech.ec.europa.eu   # SML/BDXL zone
//	  flavour: oasis-smp-1         # oasis-smp-1 | oasis-smp-2 | peppol
//	  allowHTTP: false             # accept http:// SMP URLs in the NAPTR records
//	  smpTrust: [smp-ca.pem]       # anchors of the SMP signing certificates (required)
//	  endpointTrust: [ap-ca.pem]   # anchors of the discovered AP certificates; omitted: only parsed and checked for validity
//	  cacheTTL: 10m                # reuse of a resolved endpoint; negative disables the cache
//	  documentType: "oots-docid-qns::urn:…"   # default document type identifier, scheme::value
//	  process: "oots-procid::urn:…"           # default process identifier, scheme::value
//	  partners:                    # the P-Mode parties resolved by discovery; the others keep the P-Mode's endpoint
//	    AP_DE_01: {participant: "iso6523-actorid-upis::0088:…", documentType: "", process: ""}
//	rules:                         # official rule files by EDM version; omitted: the built-in rules (oots rules lists them)
//	  "1.2": tdd_chapters-1.2.5    # a TDD 1.2.x checkout judges oots-edm:v1.2 ("1.0", "1.1" likewise)
//	  "2.0": tdd_chapters-2.0.1/OOTS-EDM   # 2.0.x judges oots-edm:v2.0; the root, OOTS-EDM or OOTS-EDM/sch
//	console:                       # the operator's console at /console/ of api.listen (required); omitted: none
//	  enabled: false               # true serves it; accounts: oots console user add
//	  sessionTTL: 8h               # lifetime of a login
//	  alerts:                      # omitted: alerts on the console and as metrics only
//	    webhook: https://ops.example/alerts   # POST of the new alerts (JSON)
//	    every: 1m
//	    smtp: {addr: "mail.internal:25", from: "oots@node.example", to: ["ops@node.example"]}
//	    loginFailures: {window: 15m, perAccount: 5, total: 10}   # failed logins that raise an alert; negative: none
//	    lowDisk: {minFree: 1073741824, minFreePercent: 10}       # free bytes, % of dataDir's (and SQLite's) file system; negative: no bound
//	  oidc:                        # staff login through the organisation's OpenID provider; omitted: passwords only
//	    name: Example SSO          # on the login page's "Log in with …"
//	    issuer: https://sso.example/realms/staff
//	    clientId: oots-console
//	    clientSecretFile: console-oidc.secret
//	    redirectURL: https://admin.example/console/oidc/callback
//	    scopes: [profile, email, groups]
//	    rolesClaim: groups         # a dotted name reaches into an object: realm_access.roles
//	    roles: {administrator: [oots-admins], operator: [oots-operators], auditor: [oots-auditors]}   # highest wins; none: refused
//	    allow: []                  # when set, only these subs or verified e-mail addresses
//	    passwordLogin: true        # false: the provider is the only way in
//
// The environment variables OOTS_API_TOKEN and OOTS_WEBHOOK_SECRET, when set,
// override api.token and webhook.secret (secrets out of the file).
type serveConfig struct {
	Listen string `yaml:"listen"`
	TLS    *struct {
		Certificate string   `yaml:"certificate"`
		Key         string   `yaml:"key"`
		PartnerCAs  []string `yaml:"partnerCAs"`
	} `yaml:"tls"`
	DataDir  string `yaml:"dataDir"`
	Database string `yaml:"database"`
	PMode    string `yaml:"pmode"`
	Self     string `yaml:"self"`
	Keys     struct {
		SigningKey         string   `yaml:"signingKey"`
		SigningCertificate string   `yaml:"signingCertificate"`
		DecryptionKey      string   `yaml:"decryptionKey"`
		Trust              []string `yaml:"trust"`
		// Revocation, when set, checks the partners' certificates online
		// (see revocationConfig).
		Revocation *revocationConfig `yaml:"revocation"`
		// Next, when set, is the node's next certificate (see
		// serveNextKeys).
		Next *serveNextKeys `yaml:"next"`
	} `yaml:"keys"`
	API struct {
		Token string `yaml:"token"`
		// Listen, when set, is the address of the backend API, /openapi.json
		// and /metrics, apart from the public listener of /as4.
		Listen string `yaml:"listen"`
		// InsecureOpen serves the API without a token: for a test on this
		// machine only (the API's address must be a loopback one).
		InsecureOpen bool `yaml:"insecureOpen"`
	} `yaml:"api"`
	Limits  httplimit.Config `yaml:"limits"`
	Webhook *struct {
		URL        string `yaml:"url"`
		Secret     string `yaml:"secret"`
		SecretFile string `yaml:"secretFile"`
	} `yaml:"webhook"`
	Workers      int           `yaml:"workers"`
	Lease        time.Duration `yaml:"lease"`
	PollInterval time.Duration `yaml:"pollInterval"`
	// HeapFloor is the heap size below which the garbage collector does
	// not run (package internal/gcfloor): 0 for defaultHeapFloor, -1 for
	// Go's own pacing. A GOGC environment variable wins over it.
	HeapFloor   int64         `yaml:"heapFloor"`
	Retention   time.Duration `yaml:"retention"`
	MaxBodySize int64         `yaml:"maxBodySize"`
	// MaxDecompressedSize and MaxCompressionRatio bound a received payload
	// once decompressed (a compression bomb is refused with EBMS:0303).
	MaxDecompressedSize int64         `yaml:"maxDecompressedSize"`
	MaxCompressionRatio int64         `yaml:"maxCompressionRatio"`
	ClientTimeout       time.Duration `yaml:"clientTimeout"`
	NodeID              string        `yaml:"nodeId"`
	Log                 struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
	Discovery *serveDiscovery `yaml:"discovery"`
	// CommonServices names the Commission environment and how its Common
	// Services are reached (environment.go).
	CommonServices *serveCommonServices `yaml:"commonServices"`
	// Rules names a directory of official rule files (a checkout of the
	// TDD repository) per EDM version: "1.2" → oots-edm:v1.2, "2.0" →
	// oots-edm:v2.0 (see officialVersion). Every message of that version
	// is then judged by those files, kind by kind.
	Rules map[string]string `yaml:"rules"`
	// Console is the operator's console (see serveConsole).
	Console *serveConsole `yaml:"console"`
	// Journal, Requester and Provider are the national node around the
	// access point: the audit journal, the requester connector with its
	// REST API, the provider connector with its preview space (see
	// serve_node.go). Each runs only when its section is set.
	Journal   *serveJournal   `yaml:"journal"`
	Requester *serveRequester `yaml:"requester"`
	Provider  *serveProvider  `yaml:"provider"`

	dir    string              // directory of the file, for relative paths
	getenv func(string) string // the environment (secrets out of the file); nil: none
}

// loadServeConfig reads and checks a configuration file; unknown fields are
// errors (a misspelt field must not silently take its default).
func loadServeConfig(path string, getenv func(string) string, insecureOpen bool) (*serveConfig, error) {
	c, err := readServeConfig(path, getenv)
	if err != nil {
		return nil, err
	}
	if insecureOpen {
		c.API.InsecureOpen = true
	}
	if err := c.exposure(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// readServeConfig reads a configuration file and checks it, but for what
// the node exposes (exposure): oots doctor reports that as findings.
func readServeConfig(path string, getenv func(string) string) (*serveConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &serveConfig{}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.dir = filepath.Dir(path)
	c.getenv = getenv
	if getenv != nil {
		if v := getenv("OOTS_API_TOKEN"); v != "" {
			c.API.Token = v
		}
		if v := getenv("OOTS_WEBHOOK_SECRET"); v != "" && c.Webhook != nil {
			c.Webhook.Secret = v
		}
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (c *serveConfig) defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if c.ClientTimeout == 0 {
		c.ClientTimeout = 30 * time.Second
	}
}

// path resolves a path of the file relative to its directory.
func (c *serveConfig) path(p string) string {
	if p == "" || filepath.IsAbs(p) || pkcs11.IsURI(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// Validate checks the fields that can be checked without reading files and
// names the first wrong one.
func (c *serveConfig) Validate() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", "%q is not host:port", c.Listen)
	}
	if c.TLS != nil && (c.TLS.Certificate == "") != (c.TLS.Key == "") {
		return bad("tls.key", "tls.certificate and tls.key go together")
	}
	if err := c.Console.validate(c); err != nil {
		return err
	}
	if c.API.Listen != "" {
		if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
			return bad("api.listen", "%q is not host:port", c.API.Listen)
		}
	}
	if err := c.Limits.Validate(); err != nil {
		return bad("limits", "%v", err)
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") && !strings.HasPrefix(c.Database, "sqlite:") {
		return bad("database", "a postgres:// URL, sqlite:FILE, or empty for SQLite in dataDir")
	}
	if c.PMode == "" {
		return bad("pmode", "required: the P-Mode file")
	}
	if (c.Keys.SigningKey == "") != (c.Keys.SigningCertificate == "") {
		return bad("keys.signingCertificate", "signingKey and signingCertificate go together")
	}
	if c.Webhook != nil {
		if !strings.HasPrefix(c.Webhook.URL, "http://") && !strings.HasPrefix(c.Webhook.URL, "https://") {
			return bad("webhook.url", "%q is not an http(s) URL", c.Webhook.URL)
		}
		if c.Webhook.Secret == "" && c.Webhook.SecretFile == "" {
			return bad("webhook.secret", "required (or webhook.secretFile, or OOTS_WEBHOOK_SECRET)")
		}
		if c.Webhook.Secret != "" && len(c.Webhook.Secret) < 16 {
			return bad("webhook.secret", "at least 16 characters")
		}
	}
	if c.Workers < 0 || c.Workers > 1024 {
		return bad("workers", "%d is not between 0 (default) and 1024", c.Workers)
	}
	if c.Lease < 0 || (c.Lease > 0 && c.Lease < 2*time.Second) {
		return bad("lease", "%v is shorter than 2s", c.Lease)
	}
	if lease := c.Lease; lease <= c.ClientTimeout && (lease > 0 || c.ClientTimeout >= time.Minute) {
		if lease == 0 {
			lease = time.Minute // the default of ap.Config.Lease
		}
		return bad("lease", "%v must exceed clientTimeout (%v): a lease must outlive an attempt", lease, c.ClientTimeout)
	}
	if c.HeapFloor < -1 {
		return bad("heapFloor", "%d is neither a size in bytes, 0 (default) nor -1 (Go's own pacing)", c.HeapFloor)
	}
	if c.PollInterval < 0 || c.Retention < 0 || c.MaxBodySize < 0 || c.ClientTimeout < 0 {
		return bad("pollInterval/retention/maxBodySize/clientTimeout", "negative")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		return bad("log.format", "%q is not json or text", c.Log.Format)
	}
	if c.Discovery != nil {
		if _, err := c.Discovery.partners(); err != nil {
			return err
		}
	}
	if c.CommonServices != nil {
		if _, err := c.CommonServices.setup(c.dir, ""); err != nil {
			return err
		}
	}
	for k := range c.Rules {
		if _, err := officialVersion(k); err != nil {
			return bad("rules", "%v", err)
		}
	}
	if err := c.Journal.validate(); err != nil {
		return err
	}
	if err := c.Requester.validate(c, c.getenv); err != nil {
		return err
	}
	return c.Provider.validate()
}

// apiAddr is the address the backend API listens on.
func (c *serveConfig) apiAddr() string {
	if c.API.Listen != "" {
		return c.API.Listen
	}
	return c.Listen
}

// exposure checks that the backend API is closed: a token, or an explicit
// insecureOpen on a loopback address.
func (c *serveConfig) exposure() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...))
	}
	apiAddr := c.apiAddr()
	switch {
	case c.API.Token == "" && !c.API.InsecureOpen:
		return bad("api.token", "empty: the backend API (submit, inbox) and /metrics would be open to anyone who reaches %s. "+
			"Set api.token (or OOTS_API_TOKEN) to a long random string; for a test on this machine only, set api.insecureOpen: true "+
			"(or start with -insecure-open-api) with a loopback address", apiAddr)
	case c.API.Token != "" && c.API.InsecureOpen:
		return bad("api.insecureOpen", "a token is set: the API is not open")
	case c.API.InsecureOpen && !loopback(apiAddr):
		return bad("api.insecureOpen", "the API without a token is allowed on a loopback address only, and it listens on %s", apiAddr)
	case c.API.Token != "" && len(c.API.Token) < 16:
		return bad("api.token", "%d characters: at least 16", len(c.API.Token))
	}
	return nil
}

// serveDiscovery is the discovery section: dynamic discovery (BDXL in the
// SML zone, then the SMP) of the partners it lists.
type serveDiscovery struct {
	DNS           string        `yaml:"dns"`
	Zone          string        `yaml:"zone"`
	Flavour       smp.Flavour   `yaml:"flavour"`
	AllowHTTP     bool          `yaml:"allowHTTP"`
	SMPTrust      []string      `yaml:"smpTrust"`
	EndpointTrust []string      `yaml:"endpointTrust"`
	CacheTTL      time.Duration `yaml:"cacheTTL"`
	// DNSSEC validates the BDXL answers: off (default), auto, require;
	// DNSSECAnchors is a file of DS/DNSKEY records to start from (default
	// the root's KSKs).
	DNSSEC        string `yaml:"dnssec"`
	DNSSECAnchors string `yaml:"dnssecAnchors"`
	DocumentType  string `yaml:"documentType"`
	Process       string `yaml:"process"`
	Partners      map[string]struct {
		Participant  string `yaml:"participant"`
		DocumentType string `yaml:"documentType"`
		Process      string `yaml:"process"`
	} `yaml:"partners"`
}

// partners checks the section and returns the partners resolved by
// discovery, with the section's document type and process where a partner
// names none; errors name the field.
func (d *serveDiscovery) partners() (map[string]ap.DiscoveredPartner, error) {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("discovery.%s: %s", field, fmt.Sprintf(format, a...))
	}
	if host, _, err := net.SplitHostPort(d.DNS); err != nil || net.ParseIP(host) == nil {
		return nil, bad("dns", "%q is not IP:port", d.DNS)
	}
	if d.Zone == "" {
		return nil, bad("zone", "required: the SML/BDXL zone")
	}
	if d.Flavour != "" && !d.Flavour.Valid() {
		return nil, bad("flavour", "%q is not %s, %s or %s", d.Flavour, smp.OASIS1, smp.OASIS2, smp.Peppol)
	}
	if len(d.SMPTrust) == 0 {
		return nil, bad("smpTrust", "required: the anchors of the SMP signing certificates")
	}
	if len(d.Partners) == 0 {
		return nil, bad("partners", "required: the P-Mode parties resolved by discovery")
	}
	id := func(field, v, def string) (smp.ID, error) {
		if v == "" {
			v = def
		}
		if v == "" {
			return smp.ID{}, bad(field, "required (or the section's default)")
		}
		parsed, err := smp.ParseID(v)
		if err != nil {
			return smp.ID{}, bad(field, "%q: %v", v, err)
		}
		return parsed, nil
	}
	out := map[string]ap.DiscoveredPartner{}
	for name, p := range d.Partners {
		var dp ap.DiscoveredPartner
		var err error
		f := "partners." + name + "."
		if p.Participant == "" {
			return nil, bad(f+"participant", "required: scheme::value")
		}
		if dp.Participant, err = id(f+"participant", p.Participant, ""); err != nil {
			return nil, err
		}
		if dp.DocumentType, err = id(f+"documentType", p.DocumentType, d.DocumentType); err != nil {
			return nil, err
		}
		if dp.Process, err = id(f+"process", p.Process, d.Process); err != nil {
			return nil, err
		}
		out[name] = dp
	}
	return out, nil
}

// client returns the SMP client of the section, its trust files read.
func (d *serveDiscovery) client(c *serveConfig, httpClient *http.Client) (*smp.Client, error) {
	load := func(field string, files []string) (*trust.Store, error) {
		var paths []string
		for _, f := range files {
			paths = append(paths, c.path(f))
		}
		ts, err := trust.LoadFiles(paths...)
		if err != nil {
			return nil, fmt.Errorf("discovery.%s: %w", field, err)
		}
		return ts, nil
	}
	dnsClient, err := d.dnsClient(c)
	if err != nil {
		return nil, err
	}
	cl := &smp.Client{
		BDXL:              &bdxl.Resolver{DNS: dnsClient, Zone: d.Zone, AllowHTTP: d.AllowHTTP},
		Flavour:           d.Flavour,
		TransportProfiles: []string{smp.TransportEBMS3AS4},
		HTTP:              httpClient,
		CacheTTL:          d.CacheTTL,
	}
	if cl.Trust, err = load("smpTrust", d.SMPTrust); err != nil {
		return nil, err
	}
	if len(d.EndpointTrust) > 0 {
		if cl.EndpointTrust, err = load("endpointTrust", d.EndpointTrust); err != nil {
			return nil, err
		}
	}
	if err := cl.Validate(); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return cl, nil
}

// dsn is the store's data source: Database, with an SQLite file relative to
// the configuration file as every other path is, or oots.db in dataDir.
func (c *serveConfig) dsn() string {
	if f, ok := strings.CutPrefix(c.Database, "sqlite:"); ok {
		return "sqlite:" + c.path(f)
	}
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.path(c.DataDir), "oots.db")
}

func (c *serveConfig) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// loadPMode reads a YAML P-Mode or a Domibus PMode XML file. Of a Domibus
// file it imports the processes oots runs; warn (when not nil) is told of
// each one left out (pmode.ImportDomibusPartial), so that a node started
// on an access point's existing file says what it does not do.
func loadPMode(path string, warn func(error)) (*pmode.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !pmode.IsDomibusXML(b) {
		return pmode.Parse(b)
	}
	c, skipped, err := pmode.ImportDomibusPartial(b)
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		if warn != nil {
			warn(s)
		}
	}
	return c, nil
}

func serveReadKey(field, path string) (crypto.PrivateKey, error) {
	if pkcs11.IsURI(path) {
		k, err := pkcs11.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return k, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	k, err := pki.ParseKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", field, path, err)
	}
	return k, nil
}

func serveReadCert(field, path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	c, err := pki.ParseCertPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", field, path, err)
	}
	return c, nil
}

// nodeConfig reads the files the configuration names and returns the
// access point's configuration (without its Store). leftOut is told of each
// process of a Domibus P-Mode the node does not run; nil logs them.
func (c *serveConfig) nodeConfig(logger *slog.Logger, leftOut func(error)) (*ap.Config, error) {
	pmPath := c.path(c.PMode)
	if leftOut == nil && logger != nil {
		leftOut = func(err error) {
			logger.Warn("a process of the Domibus P-Mode is left out: this node does not run it", "pmode", pmPath, "error", err.Error())
		}
	}
	pm, err := loadPMode(pmPath, leftOut)
	if err != nil {
		return nil, fmt.Errorf("pmode: %w", err)
	}
	if c.Self != "" {
		pm.Self = c.Self
	}
	cfg := &ap.Config{PMode: pm, Logger: logger, APIToken: c.API.Token, NodeID: c.NodeID, MaxBodySize: c.MaxBodySize,
		MaxDecompressed: c.MaxDecompressedSize, MaxCompressionRatio: c.MaxCompressionRatio,
		Workers: c.Workers, Lease: c.Lease, PollInterval: c.PollInterval, Retention: c.Retention,
		TempDir:         filepath.Join(c.path(c.DataDir), "tmp"),
		PayloadDir:      filepath.Join(c.path(c.DataDir), "payloads"),
		EncryptionCerts: map[string]*x509.Certificate{}, SigningCerts: map[string]*x509.Certificate{}}
	if c.Keys.SigningKey != "" {
		k, err := serveReadKey("keys.signingKey", c.path(c.Keys.SigningKey))
		if err != nil {
			return nil, err
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("keys.signingKey: %s is not a signing key", c.Keys.SigningKey)
		}
		cfg.SigningKey = signer
		if cfg.SigningCert, err = serveReadCert("keys.signingCertificate", c.path(c.Keys.SigningCertificate)); err != nil {
			return nil, err
		}
	}
	if c.Keys.Next != nil {
		if cfg.Next, err = c.Keys.Next.rollover(c.path); err != nil {
			return nil, err
		}
	}
	if c.Keys.DecryptionKey != "" {
		if cfg.DecryptionKey, err = serveReadKey("keys.decryptionKey", c.path(c.Keys.DecryptionKey)); err != nil {
			return nil, err
		}
	}
	if len(c.Keys.Trust) > 0 {
		var files []string
		for _, f := range c.Keys.Trust {
			files = append(files, c.path(f))
		}
		if cfg.Trust, err = trust.LoadFiles(files...); err != nil {
			return nil, fmt.Errorf("keys.trust: %w", err)
		}
		if c.Keys.Revocation != nil {
			on, err := c.Keys.Revocation.online(c.path, logger)
			if err != nil {
				return nil, err
			}
			cfg.Trust.SetOnline(on)
		}
	}
	for i, p := range pm.Parties {
		// A partner's signing certificate binds it: its messages and
		// signals must be signed with that certificate.
		if p.Name != pm.Self && p.SigningCertificate != "" {
			cert, err := serveReadCert(fmt.Sprintf("pmode parties[%d].signingCertificate", i), relativeToFile(pmPath, p.SigningCertificate))
			if err != nil {
				return nil, err
			}
			cfg.SigningCerts[p.Name] = cert
		}
		if p.Name == pm.Self || p.EncryptionCertificate == "" {
			continue
		}
		cert, err := serveReadCert(fmt.Sprintf("pmode parties[%d].encryptionCertificate", i), relativeToFile(pmPath, p.EncryptionCertificate))
		if err != nil {
			return nil, err
		}
		cfg.EncryptionCerts[p.Name] = cert
	}
	if c.Webhook != nil {
		secret := c.Webhook.Secret
		if secret == "" {
			b, err := os.ReadFile(c.path(c.Webhook.SecretFile))
			if err != nil {
				return nil, fmt.Errorf("webhook.secretFile: %w", err)
			}
			secret = strings.TrimSpace(string(b))
		}
		cfg.Webhook = &ap.Webhook{URL: c.Webhook.URL, Secret: []byte(secret)}
	}
	tlsClient := tlsprofile.Apply(&tls.Config{}) // TDD 3.7
	if c.TLS != nil && len(c.TLS.PartnerCAs) > 0 {
		tlsClient.RootCAs = x509.NewCertPool()
		for i, f := range c.TLS.PartnerCAs {
			b, err := os.ReadFile(c.path(f))
			if err != nil {
				return nil, fmt.Errorf("tls.partnerCAs[%d]: %w", i, err)
			}
			if !tlsClient.RootCAs.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("tls.partnerCAs[%d]: %s holds no PEM certificate", i, f)
			}
		}
	}
	cfg.Client = ap.NewClient(tlsClient, c.ClientTimeout)
	if c.Discovery != nil {
		if cfg.Discovered, err = c.Discovery.partners(); err != nil {
			return nil, err
		}
		if cfg.Discovery, err = c.Discovery.client(c, cfg.Client); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func relativeToFile(file, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(file), name)
}

// defaultHeapFloor is the heap floor of a node (heapFloor).
const defaultHeapFloor = gcfloor.Default

// heapFloor is the heap floor the node runs with, or 0 for none: none when
// the operator set GOGC (gcfloor.Configured).
func (c *serveConfig) heapFloor(getenv func(string) string) int64 {
	return int64(gcfloor.Configured(c.HeapFloor, getenv))
}

// runServe runs a node until SIGINT or SIGTERM.
func runServe(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("oots serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgFile := fs.String("config", "oots.yaml", "configuration file (YAML; see the documentation of oots serve)")
	defect := faultFlag(fs, env, "the node")
	insecure := fs.Bool("insecure-open-api", false, "TEST ONLY: serve the backend API and /metrics without a token (api.insecureOpen); allowed on a loopback address only")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots serve -config oots.yaml\n\nRuns an AS4 access point node: the AS4 endpoint (POST /as4), the backend API (/api/v1, /openapi.json), /metrics, /healthz, /readyz.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots serve: "+format+"\n", a...)
		return 2
	}
	fault, err := defect()
	if err != nil {
		return fail("-fault: %v", err)
	}
	c, err := loadServeConfig(*cfgFile, env.Getenv, *insecure)
	if err != nil {
		return fail("%v", err)
	}
	logger := c.logger(env.Stderr)
	if floor := c.heapFloor(env.Getenv); floor > 0 {
		defer gcfloor.Start(uint64(floor))()
	}
	if c.API.InsecureOpen {
		logger.Warn("TEST ONLY: the backend API and /metrics need no token", slog.String("listen", c.Listen), slog.String("api_listen", c.API.Listen))
	}
	if err := os.MkdirAll(filepath.Join(c.path(c.DataDir), "tmp"), 0o700); err != nil {
		return fail("dataDir: %v", err)
	}
	rules, err := newCatalogue("rules", c.Rules, c.dir)
	if err != nil {
		return fail("%v", err)
	}
	logRules(logger, rules)
	ncfg, err := c.nodeConfig(logger, nil)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return fail("database: %v", err)
	}
	defer db.Close()
	ncfg.Store = db
	ncfg.Judge = judgeWith(rules)
	wired, err := c.connectorsBefore(ctx, db, ncfg)
	if err != nil {
		return fail("%v", err)
	}
	if !fault.None() {
		ncfg.Fault = fault
		logger.Warn("TEST ONLY: this node has a deliberate defect", slog.String("fault", fault.Name()), slog.String("effect", fault.Effect()))
	}
	node, err := ap.New(*ncfg)
	if err != nil {
		return fail("%v", err)
	}
	if err := c.connectorsAfter(ctx, wired, node, ncfg, db, rules, logger); err != nil {
		return fail("%v", err)
	}
	reload := &reloader{node: node, load: func() (*serveConfig, error) { return loadServeConfig(*cfgFile, env.Getenv, *insecure) },
		keep: c.connectorsKeep(ncfg.PMode), logger: logger}
	go reload.onHangup(ctx)
	// Every listener is bounded (httplimit): connections, requests in
	// flight, the minimum transfer rate of bodies and responses.
	limits := httplimit.New(c.Limits)
	var tlsConfig *tls.Config
	if c.TLS != nil && c.TLS.Certificate != "" {
		cert, err := tls.LoadX509KeyPair(c.path(c.TLS.Certificate), c.path(c.TLS.Key))
		if err != nil {
			return fail("tls: %v", err)
		}
		tlsConfig = tlsprofile.Server(cert) // TDD 3.7
	}
	// listenWith listens on addr with the TLS configuration tlsConfig (nil:
	// plain HTTP); listen with the node's.
	listenWith := func(addr string, h http.Handler, tlsConfig *tls.Config) (*http.Server, net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		ln = limits.Listener(ln)
		srv := &http.Server{Handler: limits.Handler(h), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn), TLSConfig: tlsConfig}
		if tlsConfig != nil {
			ln = tls.NewListener(ln, tlsConfig)
		}
		return srv, ln, nil
	}
	listen := func(addr string, h http.Handler) (*http.Server, net.Listener, error) {
		return listenWith(addr, h, tlsConfig)
	}
	var servers []*http.Server
	errc := make(chan error, 3)
	// The requester's REST API is served where the backend API is.
	public := withRequesterAPI(wired, node.Handler())
	if c.API.Listen != "" {
		public = node.PublicHandler()
		var j *journal.Journal
		if wired != nil {
			j = wired.journal
		}
		admin, err := c.Console.mount(ctx, db, node, ncfg, reload, j, c.consoleVolumes(), logger, withRequesterAPI(wired, node.APIHandler()))
		if err != nil {
			return fail("console: %v", err)
		}
		srv, ln, err := listen(c.API.Listen, admin)
		if err != nil {
			return fail("api.listen: %v", err)
		}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
		logger.Info("backend API listening", slog.String("listen", ln.Addr().String()))
	}
	if wired.provider != nil {
		previewTLS, err := c.Provider.tlsConfig(c, tlsConfig)
		if err != nil {
			return fail("%v", err)
		}
		srv, ln, err := listenWith(c.Provider.Listen, wired.previewHandler(), previewTLS)
		if err != nil {
			return fail("provider.listen: %v", err)
		}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
		logger.Info("preview space listening", slog.String("listen", ln.Addr().String()), slog.String("preview_base", c.Provider.PreviewBase))
	}
	srv, ln, err := listen(c.Listen, public)
	if err != nil {
		return fail("listen: %v", err)
	}
	servers = append(servers, srv)
	logger.Info("oots serve started", slog.String("listen", ln.Addr().String()), slog.String("self", ncfg.PMode.Self),
		slog.String("store", string(db.Dialect())), slog.Bool("tls", tlsConfig != nil), slog.String("version", buildVersion),
		slog.Int("max_conns", limits.Config().MaxConns), slog.Int("max_in_flight", limits.Config().MaxInFlight),
		slog.Int64("min_rate", limits.Config().MinRate))
	go func() { errc <- srv.Serve(ln) }()
	runCtx, cancelRun := context.WithCancel(ctx)
	runDone := make(chan struct{})
	go func() { node.Run(runCtx); close(runDone) }()
	var connectors sync.WaitGroup
	for _, run := range wired.runs() {
		connectors.Go(func() { run(runCtx) })
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		logger.Error("server failed", slog.String("error", err.Error()))
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, srv := range servers {
		srv.Shutdown(shutdown)
	}
	cancelRun()
	<-runDone
	connectors.Wait()
	logger.Info("oots serve stopped")
	return 0
}

// loopbackHost reports whether host is this machine: localhost or a
// loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopback reports whether the host of addr is a loopback address (or
// localhost): reachable from this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

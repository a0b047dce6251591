package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

// serveConsole is the console section of the serve configuration: the
// operator's console (package console) on the admin listener (api.listen),
// never on the listener partners reach.
type serveConsole struct {
	Enabled    bool          `yaml:"enabled"`
	SessionTTL time.Duration `yaml:"sessionTTL"`
	// Alerts are sent by webhook and/or e-mail when set; their thresholds
	// apply to the page and the metric too.
	Alerts *struct {
		Webhook string        `yaml:"webhook"`
		Every   time.Duration `yaml:"every"`
		SMTP    *struct {
			Addr     string   `yaml:"addr"`
			From     string   `yaml:"from"`
			To       []string `yaml:"to"`
			Username string   `yaml:"username"`
			Password string   `yaml:"password"`
		} `yaml:"smtp"`
		// LoginFailures: see console.LoginAlert (0: its default,
		// negative: off).
		LoginFailures struct {
			Window     time.Duration `yaml:"window"`
			PerAccount int           `yaml:"perAccount"`
			Total      int           `yaml:"total"`
		} `yaml:"loginFailures"`
		// LowDisk: see console.DiskAlert; the directories are the node's
		// dataDir and its SQLite database's (consoleVolumes).
		LowDisk struct {
			MinFree        int64   `yaml:"minFree"`
			MinFreePercent float64 `yaml:"minFreePercent"`
		} `yaml:"lowDisk"`
	} `yaml:"alerts"`
	// OIDC, when set, lets staff log in through the organisation's
	// OpenID provider (console.OIDC).
	OIDC *serveConsoleOIDC `yaml:"oidc"`
}

// serveConsoleOIDC is console.oidc: staff login through an OpenID provider.
type serveConsoleOIDC struct {
	Name             string   `yaml:"name"`
	Issuer           string   `yaml:"issuer"`
	ClientID         string   `yaml:"clientId"`
	ClientSecretFile string   `yaml:"clientSecretFile"`
	RedirectURL      string   `yaml:"redirectURL"`
	Scopes           []string `yaml:"scopes"`
	UserInfo         bool     `yaml:"userInfo"`
	RolesClaim       string   `yaml:"rolesClaim"`
	// Roles lists the values of the roles claim that give each role.
	Roles struct {
		Administrator []string `yaml:"administrator"`
		Operator      []string `yaml:"operator"`
		Auditor       []string `yaml:"auditor"`
	} `yaml:"roles"`
	Allow []string `yaml:"allow"`
	// PasswordLogin false leaves the provider as the only way in;
	// omitted: true.
	PasswordLogin *bool `yaml:"passwordLogin"`

	secretPath string // ClientSecretFile against the configuration's directory
}

// validate names the first wrong field of console.oidc.
func (o *serveConsoleOIDC) validate(c *serveConfig) error {
	switch {
	case o.Issuer == "":
		return errors.New("console.oidc.issuer: required")
	case o.ClientID == "":
		return errors.New("console.oidc.clientId: required")
	case len(o.Roles.Administrator)+len(o.Roles.Operator)+len(o.Roles.Auditor) == 0:
		return errors.New("console.oidc.roles: no value gives a role (administrator, operator, auditor): no login would get one")
	}
	if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("console.oidc.issuer: %q is not an https URL", o.Issuer)
	}
	if u, err := url.Parse(o.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "/console/oidc/callback" {
		return fmt.Errorf("console.oidc.redirectURL: %q is not the console's callback, an http(s) URL whose path is /console/oidc/callback", o.RedirectURL)
	}
	o.secretPath = c.path(o.ClientSecretFile)
	return nil
}

// console returns the console's configuration of o, reading the client
// secret.
func (o *serveConsoleOIDC) console() (*console.OIDC, error) {
	var secret string
	if o.secretPath != "" {
		b, err := os.ReadFile(o.secretPath)
		if err != nil {
			return nil, fmt.Errorf("console.oidc.clientSecretFile: %w", err)
		}
		if secret = strings.TrimSpace(string(b)); secret == "" {
			return nil, fmt.Errorf("console.oidc.clientSecretFile: %s is empty", o.ClientSecretFile)
		}
	}
	return &console.OIDC{Name: o.Name, Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, RedirectURL: o.RedirectURL,
		Scopes: o.Scopes, UserInfo: o.UserInfo, RolesClaim: o.RolesClaim, Administrators: o.Roles.Administrator,
		Operators: o.Roles.Operator, Auditors: o.Roles.Auditor, Allow: o.Allow,
		DisablePasswordLogin: o.PasswordLogin != nil && !*o.PasswordLogin}, nil
}

func (sc *serveConsole) validate(c *serveConfig) error {
	if sc == nil || !sc.Enabled {
		return nil
	}
	if c.API.Listen == "" {
		return errors.New("console.enabled: the console is served on the admin listener only, and api.listen is empty: give the API and the console an internal address of their own")
	}
	if sc.SessionTTL < 0 {
		return errors.New("console.sessionTTL: negative")
	}
	if a := sc.Alerts; a != nil {
		if a.Webhook != "" && !strings.HasPrefix(a.Webhook, "https://") && !strings.HasPrefix(a.Webhook, "http://") {
			return fmt.Errorf("console.alerts.webhook: %q is not an http(s) URL", a.Webhook)
		}
		if m := a.SMTP; m != nil && (m.Addr == "" || m.From == "" || len(m.To) == 0) {
			return errors.New("console.alerts.smtp: addr, from and to are required")
		}
		if a.LoginFailures.Window < 0 {
			return errors.New("console.alerts.loginFailures.window: negative")
		}
		if p := a.LowDisk.MinFreePercent; p > 100 {
			return fmt.Errorf("console.alerts.lowDisk.minFreePercent: %g is more than 100", p)
		}
	}
	if sc.OIDC != nil {
		return sc.OIDC.validate(c)
	}
	return nil
}

// mount returns the admin listener's handler: the console under /console/
// when it is enabled, the backend API for the rest.
// Its journal page shows the node's journal j (nil: the node keeps none);
// its administrators change the P-Mode through configure; it alerts when
// the file system of one of volumes runs low.
func (sc *serveConsole) mount(ctx context.Context, db *store.DB, node *ap.Node, ncfg *ap.Config, configure console.Configurer, j *journal.Journal, volumes []string, logger *slog.Logger, api http.Handler) (http.Handler, error) {
	if sc == nil || !sc.Enabled {
		return api, nil
	}
	cfg := console.Config{DB: db, Node: node, PMode: ncfg.PMode, Certificates: func() []console.Certificate { return consoleCertificates(node, ncfg.PMode.Self) },
		Configure: configure, Journal: j, LowDisk: console.DiskAlert{Dirs: volumes}, SessionTTL: sc.SessionTTL, Logger: logger}
	if a := sc.Alerts; a != nil {
		l := a.LoginFailures
		cfg.LoginFailures = console.LoginAlert{Window: l.Window, PerAccount: l.PerAccount, Total: l.Total}
		cfg.LowDisk.MinFree, cfg.LowDisk.MinFreePercent = a.LowDisk.MinFree, a.LowDisk.MinFreePercent
	}
	if sc.OIDC != nil {
		o, err := sc.OIDC.console()
		if err != nil {
			return nil, err
		}
		cfg.OIDC = o
	}
	srv, err := console.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := node.MetricsRegisterer().Register(srv.Collector()); err != nil {
		return nil, err
	}
	if a := sc.Alerts; a != nil && (a.Webhook != "" || a.SMTP != nil) {
		n := console.Notify{Webhook: a.Webhook, Every: a.Every}
		if m := a.SMTP; m != nil {
			n.SMTP = &console.SMTP{Addr: m.Addr, From: m.From, To: m.To, Username: m.Username, Password: m.Password}
		}
		go srv.RunAlerts(ctx, n)
	}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, srv.Handler())
	mux.Handle("/", api)
	logger.Info("operator console enabled", slog.String("path", console.Prefix))
	return mux, nil
}

// consoleVolumes are the directories whose file systems the console
// watches for free space: the data directory (payloads, temporary files)
// and, for SQLite, the database's directory when it is elsewhere.
// PostgreSQL's disk is its server's, watched there.
func (c *serveConfig) consoleVolumes() []string {
	dirs := []string{filepath.Clean(c.path(c.DataDir))}
	if file, ok := store.SQLiteFile(c.dsn()); ok {
		if d := filepath.Dir(file); d != dirs[0] {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// consoleCertificates lists the certificates a node uses now: its signing
// certificate and its partners' as last reloaded.
func consoleCertificates(node *ap.Node, self string) []console.Certificate {
	var out []console.Certificate
	if c := node.SigningCertificate(); c != nil {
		out = append(out, console.Certificate{Use: "own_signing", Party: self, Cert: c})
	}
	p := node.Partners()
	for party, certs := range p.SigningCerts {
		for _, cert := range certs {
			out = append(out, console.Certificate{Use: "partner_signing", Party: party, Cert: cert})
		}
	}
	for party, cert := range p.EncryptionCerts {
		out = append(out, console.Certificate{Use: "partner_encryption", Party: party, Cert: cert})
	}
	if p.Trust != nil {
		for _, cert := range p.Trust.Anchors() {
			out = append(out, console.Certificate{Use: "trust_anchor", Cert: cert})
		}
	}
	return out
}

// runConsole manages the console's accounts: oots console user add.
func runConsole(ctx context.Context, env *Env, args []string) int {
	if len(args) < 2 || args[0] != "user" || args[1] != "add" {
		fmt.Fprintln(env.Stderr, "usage: oots console user add -config oots.yaml -name NAME -role administrator|operator|auditor\n\nThe password is read from the first line of standard input (or OOTS_CONSOLE_PASSWORD).")
		return 2
	}
	fs := flag.NewFlagSet("oots console user add", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgFile := fs.String("config", "oots.yaml", "configuration file of oots serve (for its database)")
	name := fs.String("name", "", "account name")
	role := fs.String("role", "", "administrator, operator or auditor")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots console user add: "+format+"\n", a...)
		return 2
	}
	r, err := console.ParseRole(*role)
	if err != nil {
		return fail("-role: %v", err)
	}
	c, err := readServeConfig(*cfgFile, env.Getenv)
	if err != nil {
		return fail("%v", err)
	}
	password := ""
	if env.Getenv != nil {
		password = env.Getenv("OOTS_CONSOLE_PASSWORD")
	}
	if password == "" && env.Stdin != nil {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fail("no password on standard input")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if err := os.MkdirAll(c.path(c.DataDir), 0o700); err != nil {
		return fail("dataDir: %v", err)
	}
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return fail("database: %v", err)
	}
	defer db.Close()
	acc, err := console.OpenAccounts(ctx, db, time.Now, rand.Reader)
	if err != nil {
		return fail("%v", err)
	}
	if err := acc.Add(ctx, *name, r, password); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(env.Stdout, "account %s (%s) created\n", *name, r)
	return 0
}

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // the OAEP digest of rsa-oaep-mgf1p
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/nodewire"
	"github.com/oots-go/oots/internal/tlsprofile"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// The connector sections of "oots serve": the national node around the
// access point. Each is optional; absent, nothing of it runs.
//
//	journal:                       # the audit journal in the node's database; omitted: none
//	  keyFile: journal.key         # 32 random bytes sealing the personal data (head -c 32 /dev/urandom)
//	  node: ""                     # name written in every entry; default self
//	  retentionMonths: 12          # PurgeExpired at each start; -1 keeps every entry
//	requester:                     # the requester connector and its REST API under /api/requester/v1 of the API listener
//	  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: DE-ER-1, name: "…", language: EN, country: DE}
//	  commonServices: {eb: https://…/, dsd: https://…/, trust: [cs-root.pem], timeout: 10s}   # eb, dsd, trust omitted: discovered by the commonServices section
//	  routes: {AP-FR: AP_FR_01}    # DSD AccessService identifier → P-Mode party; default: a party of that name
//	  tokenFile: requester.token   # bearer token of the REST API (or OOTS_REQUESTER_TOKEN); required
//	  withheldIdentifiers: []      # countries whose eIDAS identifier is not sent
//	  t1: 5m                       # the provider's timeouts (the requester waits a minute longer)
//	  t2: 15m
//	  t3: 40m
//	provider:                      # the provider connector and its preview space; omitted: none
//	  listen: 127.0.0.1:8443       # the preview space's own listener (required)
//	  previewBase: https://preview.fr.example   # its public URL (PreviewLocation)
//	  tls: {certificate: preview.cert.pem, key: preview.key.pem}   # its own certificate; default the node's tls
//	  returnAllow: [https://portal.de.example/]  # EDM 1.x return URL prefixes
//	  login:                       # the preview's eID login (required): OpenID Connect and/or eIDAS SAML
//	    oidc: {FR: fr-oidc.json}   # eid/oidc.Provider JSON per country (as oots demo -oidc)
//	    saml: {nodes: {BE: be-saml.json}, signingKey: …, signingCertificate: …, encryptionKey: …, encryptionCertificate: …}
//	  dataServiceTimeout: 30s      # bound of one data service call
//	  t1: 5m
//	  t2: 15m
//	  t3: 40m
//	  consent: {enabled: false, validity: 2160h}   # background exchanges with the user's consent (an extension)
//	  procedureNames: {T1: {de: "…"}}   # names of procedures by page language, before the code list's
//	  providers:
//	    - {agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-EP-1, name: "…", language: EN, country: FR},
//	       minLoA: substantial, evidenceTypes: [{classification: "https://sr…", formats: [{format: application/pdf}],
//	       dataService: https://register.internal/oots}]}

// serveJournal is the journal section.
type serveJournal struct {
	KeyFile         string `yaml:"keyFile"`
	Node            string `yaml:"node"`
	RetentionMonths int    `yaml:"retentionMonths"`
}

// serveAgent is an EDM agent: an evidence requester or provider.
type serveAgent struct {
	Scheme   string `yaml:"scheme"`
	Value    string `yaml:"value"`
	Name     string `yaml:"name"`
	Language string `yaml:"language"`
	Country  string `yaml:"country"`
}

// serveRequester is the requester section.
type serveRequester struct {
	Agent          serveAgent `yaml:"agent"`
	CommonServices struct {
		EB      string        `yaml:"eb"`
		DSD     string        `yaml:"dsd"`
		Trust   []string      `yaml:"trust"`
		Timeout time.Duration `yaml:"timeout"`
	} `yaml:"commonServices"`
	Routes              map[string]string `yaml:"routes"`
	TokenFile           string            `yaml:"tokenFile"`
	WithheldIdentifiers []string          `yaml:"withheldIdentifiers"`
	T1                  time.Duration     `yaml:"t1"`
	T2                  time.Duration     `yaml:"t2"`
	T3                  time.Duration     `yaml:"t3"`

	token string // from TokenFile or OOTS_REQUESTER_TOKEN
}

// serveProvider is the provider section.
type serveProvider struct {
	Listen      string   `yaml:"listen"`
	PreviewBase string   `yaml:"previewBase"`
	ReturnAllow []string `yaml:"returnAllow"`
	// TLS is the preview space's own certificate; default the node's.
	TLS *struct {
		Certificate string `yaml:"certificate"`
		Key         string `yaml:"key"`
	} `yaml:"tls"`
	Login struct {
		OIDC map[string]string `yaml:"oidc"`
		// SAML logs in through eIDAS nodes (eid/saml): the node files
		// by country (as oots demo -saml) and our keys.
		SAML *struct {
			Nodes                 map[string]string `yaml:"nodes"`
			SigningKey            string            `yaml:"signingKey"`
			SigningCertificate    string            `yaml:"signingCertificate"`
			EncryptionKey         string            `yaml:"encryptionKey"`
			EncryptionCertificate string            `yaml:"encryptionCertificate"`
		} `yaml:"saml"`
	} `yaml:"login"`
	DataServiceTimeout time.Duration `yaml:"dataServiceTimeout"`
	T1                 time.Duration `yaml:"t1"`
	T2                 time.Duration `yaml:"t2"`
	T3                 time.Duration `yaml:"t3"`
	// Consent turns on background exchanges with the user's consent
	// (provider.ConsentPolicy, an extension); off by default.
	Consent struct {
		Enabled  bool          `yaml:"enabled"`
		Validity time.Duration `yaml:"validity"`
	} `yaml:"consent"`
	// ProcedureNames name procedures by page language, before the code
	// list's own names (provider.Config.ProcedureNames).
	ProcedureNames map[string]map[string]string `yaml:"procedureNames"`
	Providers      []struct {
		Agent         serveAgent `yaml:"agent"`
		MinLoA        string     `yaml:"minLoA"`
		EvidenceTypes []struct {
			Classification string `yaml:"classification"`
			Formats        []struct {
				Format     string `yaml:"format"`
				ConformsTo string `yaml:"conformsTo"`
			} `yaml:"formats"`
			DataService string `yaml:"dataService"`
			// ConsentProcedures: provider.ServedType.ConsentProcedures.
			ConsentProcedures []string `yaml:"consentProcedures"`
		} `yaml:"evidenceTypes"`
	} `yaml:"providers"`
}

// Defaults of the connector sections.
const (
	defaultDataServiceTimeout = 30 * time.Second
	defaultCSTimeout          = 10 * time.Second
	// maxTokenFile bounds a token or key file read.
	maxTokenFile = 4096
)

// readSmallFile reads a file of at most maxTokenFile bytes, whole: also one
// that arrives in pieces (a named pipe), which a single Read would cut.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxTokenFile)
	}
	return b, nil
}

func fieldErr(field, format string, a ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...))
}

// httpURL checks an absolute http(s) URL; plain http only when allowHTTP.
func httpURL(field, s string, allowHTTP bool) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fieldErr(field, "%q is not an absolute http(s) URL", s)
	}
	if u.Scheme == "http" && !allowHTTP {
		return fieldErr(field, "%q is not https", s)
	}
	return nil
}

func (a *serveAgent) validate(field string) error {
	switch {
	case a.Value == "":
		return fieldErr(field+".value", "required: the identifier")
	case a.Scheme == "":
		return fieldErr(field+".scheme", "required: the identifier's scheme")
	case a.Name == "":
		return fieldErr(field+".name", "required")
	case !upperCC(a.Country):
		return fieldErr(field+".country", "%q is not an upper-case ISO 3166-1 alpha-2 code", a.Country)
	}
	return nil
}

func upperCC(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func (a *serveAgent) agent(classification string) edm.Agent {
	lang := a.Language
	if lang == "" {
		lang = "EN"
	}
	return edm.Agent{Identifier: edm.SchemeID(a.Scheme, a.Value), Name: []edm.Text{edm.Lang(lang, a.Name)},
		Address: &edm.Address{AdminUnitLevel1: a.Country}, Classification: classification}
}

func timeouts(field string, t1, t2, t3 time.Duration) error {
	if t1 < 0 || t2 < 0 || t3 < 0 {
		return fieldErr(field+".t1/t2/t3", "negative")
	}
	return nil
}

// validate checks the journal section.
func (j *serveJournal) validate() error {
	if j == nil {
		return nil
	}
	if j.KeyFile == "" {
		return fieldErr("journal.keyFile", "required: a file of 32 random bytes (head -c 32 /dev/urandom > journal.key)")
	}
	return nil
}

// validate checks the requester section and reads its token (getenv may
// be nil).
func (r *serveRequester) validate(c *serveConfig, getenv func(string) string) error {
	if r == nil {
		return nil
	}
	if err := r.Agent.validate("requester.agent"); err != nil {
		return err
	}
	cs := r.CommonServices
	switch {
	case cs.EB == "" && cs.DSD == "" && c.CommonServices != nil:
		// Discovered through the commonServices section.
		if len(cs.Trust) > 0 {
			return fieldErr("requester.commonServices.trust", "with discovery the roots are commonServices.trust")
		}
	case cs.EB == "" && cs.DSD == "":
		return fieldErr("requester.commonServices.eb", "required: the Evidence Broker and DSD base URLs, or the commonServices section to discover them")
	default:
		if err := httpURL("requester.commonServices.eb", cs.EB, loopbackURL(cs.EB)); err != nil {
			return err
		}
		if err := httpURL("requester.commonServices.dsd", cs.DSD, loopbackURL(cs.DSD)); err != nil {
			return err
		}
		if len(cs.Trust) == 0 {
			return fieldErr("requester.commonServices.trust", "required: the roots the Common Services' answers are signed under")
		}
	}
	if cs.Timeout < 0 {
		return fieldErr("requester.commonServices.timeout", "negative")
	}
	for k, v := range r.Routes {
		if k == "" || v == "" {
			return fieldErr("requester.routes", "%q: %q: an AccessService identifier and a P-Mode party", k, v)
		}
	}
	for i, cc := range r.WithheldIdentifiers {
		if !upperCC(cc) {
			return fieldErr(fmt.Sprintf("requester.withheldIdentifiers[%d]", i), "%q is not an upper-case country code", cc)
		}
	}
	if err := timeouts("requester", r.T1, r.T2, r.T3); err != nil {
		return err
	}
	r.token = ""
	if getenv != nil {
		r.token = getenv("OOTS_REQUESTER_TOKEN")
	}
	if r.token == "" {
		if r.TokenFile == "" {
			return fieldErr("requester.tokenFile", "required (or OOTS_REQUESTER_TOKEN): the REST API is not open without a token")
		}
		b, err := readSmallFile(c.path(r.TokenFile))
		if err != nil {
			return fieldErr("requester.tokenFile", "%v", err)
		}
		r.token = strings.TrimSpace(string(b))
	}
	if len(r.token) < 16 {
		return fieldErr("requester.tokenFile", "the token has %d characters: at least 16", len(r.token))
	}
	return nil
}

// loopbackURL reports whether a URL's host is a loopback address: plain
// http is accepted there (tests on one machine).
func loopbackURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && loopbackHost(u.Hostname())
}

// validate checks the provider section.
func (p *serveProvider) validate() error {
	if p == nil {
		return nil
	}
	if _, _, err := net.SplitHostPort(p.Listen); err != nil {
		return fieldErr("provider.listen", "%q is not host:port: the preview space needs its own listener", p.Listen)
	}
	if p.TLS != nil && (p.TLS.Certificate == "" || p.TLS.Key == "") {
		return fieldErr("provider.tls", "certificate and key go together")
	}
	if err := httpURL("provider.previewBase", p.PreviewBase, false); err != nil {
		return err
	}
	for i, r := range p.ReturnAllow {
		if err := httpURL(fmt.Sprintf("provider.returnAllow[%d]", i), r, false); err != nil {
			return err
		}
	}
	if len(p.Login.OIDC) == 0 && p.Login.SAML == nil {
		return fieldErr("provider.login", "required: the preview space is not open without a login (login.oidc or login.saml)")
	}
	for cc, f := range p.Login.OIDC {
		if !upperCC(cc) || f == "" {
			return fieldErr("provider.login.oidc", "%q: %q is not a country code and a file", cc, f)
		}
	}
	if sp := p.Login.SAML; sp != nil {
		if len(sp.Nodes) == 0 {
			return fieldErr("provider.login.saml.nodes", "required: the eIDAS node file of at least one country")
		}
		for cc, f := range sp.Nodes {
			if !upperCC(cc) || f == "" {
				return fieldErr("provider.login.saml.nodes", "%q: %q is not a country code and a file", cc, f)
			}
			if _, ok := p.Login.OIDC[cc]; ok {
				return fieldErr("provider.login.saml.nodes."+cc, "%s logs in through OpenID Connect already (login.oidc)", cc)
			}
		}
		for f, v := range map[string]string{"signingKey": sp.SigningKey, "signingCertificate": sp.SigningCertificate,
			"encryptionKey": sp.EncryptionKey, "encryptionCertificate": sp.EncryptionCertificate} {
			if v == "" {
				what := "a PEM file"
				if strings.HasSuffix(f, "Key") {
					what += " or a PKCS#11 URI"
				}
				return fieldErr("provider.login.saml."+f, "required: %s", what)
			}
		}
	}
	if p.DataServiceTimeout < 0 {
		return fieldErr("provider.dataServiceTimeout", "negative")
	}
	if err := timeouts("provider", p.T1, p.T2, p.T3); err != nil {
		return err
	}
	if len(p.Providers) == 0 {
		return fieldErr("provider.providers", "required: at least one evidence provider")
	}
	for i, a := range p.Providers {
		f := fmt.Sprintf("provider.providers[%d]", i)
		if err := a.Agent.validate(f + ".agent"); err != nil {
			return err
		}
		if a.MinLoA != "" {
			if _, ok := eid.ParseLoA(a.MinLoA); !ok {
				return fieldErr(f+".minLoA", "%q is not low, substantial or high", a.MinLoA)
			}
		}
		if len(a.EvidenceTypes) == 0 {
			return fieldErr(f+".evidenceTypes", "required: at least one")
		}
		for j, t := range a.EvidenceTypes {
			g := fmt.Sprintf("%s.evidenceTypes[%d]", f, j)
			if t.Classification == "" {
				return fieldErr(g+".classification", "required")
			}
			if len(t.Formats) == 0 {
				return fieldErr(g+".formats", "required: at least one (format: application/pdf)")
			}
			for k, fm := range t.Formats {
				if fm.Format == "" {
					return fieldErr(fmt.Sprintf("%s.formats[%d].format", g, k), "required: a MIME type")
				}
			}
			if err := httpURL(g+".dataService", t.DataService, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// wiring is what the connector sections add to a node.
type wiring struct {
	dispatch  *nodewire.Dispatch
	journal   *journal.Journal
	requester *requester.Connector
	provider  *provider.Connector
	// previewWrap, when set, wraps the preview space's handler (the SAML
	// service provider's routes).
	previewWrap func(http.Handler) http.Handler
}

// previewHandler is the preview space's handler, with its login's routes.
func (w *wiring) previewHandler() http.Handler {
	if w.previewWrap != nil {
		return w.previewWrap(w.provider.Handler())
	}
	return w.provider.Handler()
}

// connected reports whether a connector runs behind the access point.
func (c *serveConfig) connected() bool { return c.Requester != nil || c.Provider != nil }

// openJournal opens the journal section's journal in db, or returns nil.
func (c *serveConfig) openJournal(ctx context.Context, db *store.DB, self string) (*journal.Journal, error) {
	if c.Journal == nil {
		return nil, nil
	}
	key, err := readSmallFile(c.path(c.Journal.KeyFile))
	if err != nil {
		return nil, fieldErr("journal.keyFile", "%v", err)
	}
	if len(key) != 32 {
		return nil, fieldErr("journal.keyFile", "%d bytes: the key is 32 random bytes", len(key))
	}
	node := c.Journal.Node
	if node == "" {
		node = self
	}
	j, err := journal.Open(ctx, db, journal.Config{Key: key, Node: node, RetentionMonths: c.Journal.RetentionMonths})
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if _, err := j.PurgeExpired(ctx); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return j, nil
}

// exchangeLegs names the P-Mode legs of the evidence exchange: the first
// leg of each action.
func exchangeLegs(pm *pmode.Config) (exchange.Legs, error) {
	var l exchange.Legs
	for _, leg := range pm.Legs {
		switch {
		case leg.Action == exchange.ActionRequest && l.Request == "":
			l.Request = leg.Name
		case leg.Action == exchange.ActionResponse && l.Response == "":
			l.Response = leg.Name
		case leg.Action == exchange.ActionError && l.Error == "":
			l.Error = leg.Name
		}
	}
	for action, name := range map[string]string{exchange.ActionRequest: l.Request, exchange.ActionResponse: l.Response, exchange.ActionError: l.Error} {
		if name == "" {
			return l, fmt.Errorf("pmode: no leg with the action %s: the connectors need one for each of %s, %s and %s",
				action, exchange.ActionRequest, exchange.ActionResponse, exchange.ActionError)
		}
	}
	return l, nil
}

// connectorsBefore sets up, before the access point is made, what the
// connectors need of it: the journal, and the in-process backend when a
// connector is configured.
func (c *serveConfig) connectorsBefore(ctx context.Context, db *store.DB, ncfg *ap.Config) (*wiring, error) {
	w := &wiring{}
	var err error
	if w.journal, err = c.openJournal(ctx, db, ncfg.PMode.Self); err != nil {
		return nil, err
	}
	if c.connected() || w.journal != nil {
		// With a webhook too, the messages and send failures that are
		// not the connectors' go to it (nodewire.Dispatch).
		w.dispatch = &nodewire.Dispatch{Journal: w.journal}
		ncfg.Backend = w.dispatch
	}
	return w, nil
}

// connectorsAfter makes the connectors on the access point node.
func (c *serveConfig) connectorsAfter(ctx context.Context, w *wiring, node *ap.Node, ncfg *ap.Config, db *store.DB, rules *schematron.Catalogue, logger *slog.Logger) error {
	if !c.connected() {
		return nil
	}
	legs, err := exchangeLegs(ncfg.PMode)
	if err != nil {
		return err
	}
	w.dispatch.Actions = nodewire.LegActions(ncfg.PMode)
	audit := w.journal
	if r := c.Requester; r != nil {
		cs, err := r.commonServices(c)
		if err != nil {
			return err
		}
		route, err := r.route(func() *pmode.Config { return node.Partners().PMode })
		if err != nil {
			return err
		}
		rc := requester.Config{DB: db, Sender: node, Legs: legs, Services: cs, Requester: r.Agent.agent("ER"), Route: route,
			WithheldIdentifiers: r.WithheldIdentifiers, T1: r.T1, T2: r.T2, T3: r.T3, APIToken: r.token,
			Logger: logger.With("component", "requester")}
		if audit != nil {
			rc.Journal = audit
		}
		if w.requester, err = requester.New(ctx, rc); err != nil {
			return err
		}
		w.dispatch.Requester, w.dispatch.Failed = w.requester, w.requester.ReportSendFailure
	}
	if p := c.Provider; p != nil {
		login, wrap, err := p.login(ctx, c, db, logger)
		if err != nil {
			return err
		}
		w.previewWrap = wrap
		dsClient := &http.Client{Timeout: p.dataServiceTimeout()}
		pc := provider.Config{DB: db, Sender: node, Legs: legs, PreviewBase: p.PreviewBase,
			ReturnAllow: p.ReturnAllow, Authenticator: login, Timeouts: provider.Timeouts{T1: p.T1, T2: p.T2, T3: p.T3},
			Consent:        provider.ConsentPolicy{Enabled: p.Consent.Enabled, Validity: p.Consent.Validity},
			ProcedureNames: p.ProcedureNames,
			Rules:          rules, Logger: logger.With("component", "provider")}
		if audit != nil {
			pc.Journal = audit
		}
		for _, a := range p.Providers {
			auth := provider.Authority{Agent: a.Agent.agent(""), DataService: byType{}}
			if a.MinLoA != "" {
				auth.MinLoA, _ = eid.ParseLoA(a.MinLoA)
			}
			for _, t := range a.EvidenceTypes {
				st := provider.ServedType{Classification: t.Classification, ConsentProcedures: t.ConsentProcedures}
				for _, f := range t.Formats {
					st.Formats = append(st.Formats, provider.Format{Format: f.Format, ConformsTo: f.ConformsTo})
				}
				auth.EvidenceTypes = append(auth.EvidenceTypes, st)
				auth.DataService.(byType)[t.Classification] = &provider.HTTPDataService{URL: t.DataService, Client: dsClient}
			}
			pc.Providers = append(pc.Providers, auth)
		}
		if w.provider, err = provider.New(pc); err != nil {
			return err
		}
		w.dispatch.Provider = w.provider
	}
	return nil
}

// tlsConfig is the TLS configuration of the preview space's listener: its
// own certificate, else the node's (nil: plain HTTP, behind a TLS proxy).
func (p *serveProvider) tlsConfig(c *serveConfig, node *tls.Config) (*tls.Config, error) {
	if p.TLS == nil {
		return node, nil
	}
	cert, err := tls.LoadX509KeyPair(c.path(p.TLS.Certificate), c.path(p.TLS.Key))
	if err != nil {
		return nil, fieldErr("provider.tls", "%v", err)
	}
	return tlsprofile.Server(cert), nil
}

func (p *serveProvider) dataServiceTimeout() time.Duration {
	if p.DataServiceTimeout == 0 {
		return defaultDataServiceTimeout
	}
	return p.DataServiceTimeout
}

// byType is the data service of a provider: one HTTP data service per
// evidence type classification.
type byType map[string]provider.DataService

func (b byType) Find(ctx context.Context, q provider.Query) (*provider.Result, error) {
	ds, ok := b[q.EvidenceType]
	if !ok {
		return nil, fmt.Errorf("no data service for the evidence type %s", q.EvidenceType)
	}
	return ds.Find(ctx, q)
}

// commonServices is the Common Services client of the requester section.
func (r *serveRequester) commonServices(c *serveConfig) (*csclient.Client, error) {
	cs := r.CommonServices
	timeout := cs.Timeout
	if timeout == 0 {
		timeout = defaultCSTimeout
	}
	if cs.EB == "" && cs.DSD == "" && c.CommonServices != nil {
		// Discovery (DNS NAPTR, DNSSEC as the section says) of this
		// Member State's instance in the environment.
		setup, err := c.CommonServices.setup(c.dir, "")
		if err != nil {
			return nil, err
		}
		resolver, err := csdiscovery.New(setup.discovery)
		if err != nil {
			return nil, fieldErr("commonServices.dns", "%v", err)
		}
		p := setup.profile
		httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsprofile.Client(setup.tlsRoots), Proxy: http.ProxyFromEnvironment}}
		cl, err := csclient.New(csclient.Config{Discovery: resolver, Country: c.CommonServices.Country, Major: c.CommonServices.major(),
			Environment: p.Environment, CountryInPath: p.CountryInPath, Trust: trust.NewStore(setup.trust...), HTTP: httpClient, Timeout: timeout})
		if err != nil {
			return nil, fmt.Errorf("commonServices: %w", err)
		}
		return cl, nil
	}
	var files []string
	for _, f := range cs.Trust {
		files = append(files, c.path(f))
	}
	roots, err := trust.LoadFiles(files...)
	if err != nil {
		return nil, fieldErr("requester.commonServices.trust", "%v", err)
	}
	cl, err := csclient.New(csclient.Config{EBURL: cs.EB, DSDURL: cs.DSD, Trust: roots, Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("requester.commonServices: %w", err)
	}
	return cl, nil
}

// route maps the DSD's AccessService identifiers to P-Mode parties: by
// routes, else to the party of the identifier's name in the P-Mode in use
// (pm: the node's, which kill -HUP may replace).
func (r *serveRequester) route(pm func() *pmode.Config) (func(edm.Identifier) (string, error), error) {
	if err := r.checkRoutes(pm()); err != nil {
		return nil, err
	}
	routes := r.Routes
	return func(id edm.Identifier) (string, error) {
		if p, ok := routes[id.Value]; ok {
			return p, nil
		}
		if isPartner(pm(), id.Value) {
			return id.Value, nil
		}
		return "", fmt.Errorf("no route to the access service %q: not a partner of the P-Mode nor in requester.routes", id.Value)
	}, nil
}

// checkRoutes checks that every route of requester.routes leads to a
// partner of pm.
func (r *serveRequester) checkRoutes(pm *pmode.Config) error {
	for _, k := range slices.Sorted(maps.Keys(r.Routes)) {
		if v := r.Routes[k]; !isPartner(pm, v) {
			return fieldErr("requester.routes."+k, "%q is not a partner of the P-Mode", v)
		}
	}
	return nil
}

// isPartner reports whether name is a party of pm other than the node's own.
func isPartner(pm *pmode.Config, name string) bool {
	_, err := pm.Party(name)
	return err == nil && name != pm.Self
}

// connectorsKeep returns what a P-Mode reloaded by kill -HUP must keep of
// started, the P-Mode the connectors were made with: the legs of the
// evidence exchange and their actions (the connectors send and dispatch by
// them), and a partner for every route of requester.routes. A change of
// those takes a restart. It returns nil when no connector runs.
func (c *serveConfig) connectorsKeep(started *pmode.Config) func(*pmode.Config) error {
	if !c.connected() {
		return nil
	}
	legs, _ := exchangeLegs(started)
	actions := nodewire.LegActions(started)
	return func(pm *pmode.Config) error {
		if l, err := exchangeLegs(pm); err != nil || l != legs || !maps.Equal(nodewire.LegActions(pm), actions) {
			return fieldErr("pmode", "the legs of the evidence exchange or their actions differ from those the connectors started with: that takes a restart")
		}
		if r := c.Requester; r != nil {
			return r.checkRoutes(pm)
		}
		return nil
	}
}

// login is the preview space's eID login and, with SAML, what wraps its
// handler (the service provider's metadata and assertion consumer
// service): OpenID Connect for the countries of login.oidc, the eIDAS
// nodes of login.saml for theirs.
func (p *serveProvider) login(ctx context.Context, c *serveConfig, db *store.DB, logger *slog.Logger) (eid.Authenticator, func(http.Handler) http.Handler, error) {
	country := ""
	if len(p.Providers) > 0 {
		country = p.Providers[0].Agent.Country
	}
	var rp *oidc.Authenticator
	if len(p.Login.OIDC) > 0 {
		var err error
		if rp, err = p.oidcLogin(ctx, c, db, country, logger); err != nil {
			return nil, nil, err
		}
	}
	if p.Login.SAML == nil {
		return rp, nil, nil
	}
	sp, err := p.samlLogin(ctx, c, db, country, logger)
	if err != nil {
		return nil, nil, err
	}
	if rp == nil {
		return sp, sp.Handler, nil
	}
	mux := &eid.Mux{Default: sp, ByCountry: map[string]eid.OwningAuthenticator{}}
	for cc := range p.Login.OIDC {
		mux.ByCountry[cc] = rp
	}
	return mux, sp.Handler, nil
}

// samlLogin is the eIDAS SAML service provider of login.saml.
func (p *serveProvider) samlLogin(ctx context.Context, c *serveConfig, db *store.DB, country string, logger *slog.Logger) (*saml.Authenticator, error) {
	s := p.Login.SAML
	nodes := map[string]saml.Node{}
	for cc, f := range s.Nodes {
		if err := readSAMLNode(nodes, cc+"="+c.path(f)); err != nil {
			return nil, fieldErr("provider.login.saml.nodes."+cc, "%v", err)
		}
	}
	cfg, err := samlKeys(c, s.SigningKey, s.SigningCertificate, s.EncryptionKey, s.EncryptionCertificate, func(msg string) {
		logger.Warn("assertions sent with this key transport will be refused", "field", "provider.login.saml.encryptionKey", "problem", msg)
	})
	if err != nil {
		return nil, err
	}
	cfg.BaseURL, cfg.Country, cfg.Nodes, cfg.Logger = p.PreviewBase, country, nodes, logger.With("component", "preview saml login")
	if cfg.Replay, err = saml.NewSQLReplay(ctx, db, nil); err != nil {
		return nil, fmt.Errorf("provider.login.saml: %w", err)
	}
	// The logins under way in the database: any instance of a cluster
	// takes the node's answer and the callback.
	if cfg.Pending, err = saml.NewSQLPending(ctx, db, "preview"); err != nil {
		return nil, fmt.Errorf("provider.login.saml: %w", err)
	}
	sp, err := saml.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("provider.login.saml: %w", err)
	}
	return sp, nil
}

// samlKeys reads the keys and certificates of provider.login.saml (files or
// PKCS#11 URIs) into a saml.Config, as "oots serve" and "oots doctor" take
// them: the signing key must sign, the encryption key decrypt a key
// transport of samlOAEP (warn is told of one it cannot). The first problem
// is the error, naming its field.
func samlKeys(c *serveConfig, signKey, signCert, encKey, encCert string, warn func(string)) (saml.Config, error) {
	const at = "provider.login.saml."
	var cfg saml.Config
	sk, err := serveReadKey(at+"signingKey", c.path(signKey))
	if err != nil {
		return cfg, err
	}
	var ok bool
	if cfg.SigningKey, ok = sk.(crypto.Signer); !ok {
		return cfg, fieldErr(at+"signingKey", "not a signing key")
	}
	ek, err := serveReadKey(at+"encryptionKey", c.path(encKey))
	if err != nil {
		return cfg, err
	}
	if cfg.EncryptionKey, err = samlDecrypter(at+"encryptionKey", ek, warn); err != nil {
		return cfg, err
	}
	if cfg.SigningCert, err = serveReadCert(at+"signingCertificate", c.path(signCert)); err != nil {
		return cfg, err
	}
	if cfg.EncryptionCert, err = serveReadCert(at+"encryptionCertificate", c.path(encCert)); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// samlOAEP are the RSA-OAEP parameters of the key transports eIDAS nodes
// use (eIDAS Cryptographic Requirements §3.4): rsa-oaep-mgf1p with its
// SHA-1 digest, and xmlenc11 rsa-oaep with SHA-256 and MGF1-SHA256.
var samlOAEP = []struct {
	name string
	opts rsa.OAEPOptions
}{
	{"rsa-oaep-mgf1p (SHA-1)", rsa.OAEPOptions{Hash: crypto.SHA1, MGFHash: crypto.SHA1}},
	{"rsa-oaep (SHA-256, MGF1-SHA256)", rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA256}},
}

// samlDecrypter returns k, the key of field (a PEM file or a key in a
// token), as the decrypter of the assertions' keys: an RSA key that
// decrypts a key transport of samlOAEP. The decryptions are tried at
// start-up, so that a token that will not decrypt with the key (CKA_DECRYPT
// false, OAEP refused) or a wrong key stops the node with a sentence naming
// the field, not the first login. A key that decrypts one transport but
// not the other (a token that refuses SHA-1 in OAEP) is kept, and warn is
// told which one it cannot: an eIDAS node that sends that one is refused
// at login.
func samlDecrypter(field string, k crypto.PrivateKey, warn func(string)) (crypto.Decrypter, error) {
	d, ok := k.(crypto.Decrypter)
	if !ok {
		return nil, fieldErr(field, "%T cannot decrypt: an RSA key is needed (a PEM file or a PKCS#11 URI)", k)
	}
	pub, ok := d.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fieldErr(field, "%T is not an RSA key: eIDAS nodes transport the assertion's key with RSA-OAEP", d.Public())
	}
	var failed []string
	for _, t := range samlOAEP {
		want := make([]byte, 16)
		if _, err := rand.Read(want); err != nil {
			return nil, err
		}
		ct, err := rsa.EncryptOAEPWithOptions(rand.Reader, pub, want, &t.opts)
		if err != nil {
			return nil, fieldErr(field, "RSA-OAEP to the key: %v", err)
		}
		switch got, err := d.Decrypt(rand.Reader, ct, &t.opts); {
		case err != nil:
			failed = append(failed, fmt.Sprintf("the key cannot decrypt %s: %v", t.name, err))
		case !bytes.Equal(got, want):
			failed = append(failed, fmt.Sprintf("the key decrypts %s wrongly", t.name))
		}
	}
	if len(failed) == len(samlOAEP) {
		return nil, fieldErr(field, "%s", strings.Join(failed, "; "))
	}
	for _, f := range failed {
		if warn != nil {
			warn(f)
		}
	}
	return d, nil
}

// oidcLogin is the OpenID Connect relying party of login.oidc.
func (p *serveProvider) oidcLogin(ctx context.Context, c *serveConfig, db *store.DB, country string, logger *slog.Logger) (*oidc.Authenticator, error) {
	providers := map[string]oidc.Provider{}
	ccs := make([]string, 0, len(p.Login.OIDC))
	for cc := range p.Login.OIDC {
		ccs = append(ccs, cc)
	}
	slices.Sort(ccs)
	for _, cc := range ccs {
		if err := readOIDCProvider(providers, cc+"="+c.path(p.Login.OIDC[cc])); err != nil {
			return nil, fieldErr("provider.login.oidc."+cc, "%v", err)
		}
	}
	// The logins under way in the database: any instance of a cluster
	// takes the callback.
	pending, err := oidc.NewSQLPending(ctx, db, "preview")
	if err != nil {
		return nil, fmt.Errorf("provider.login.oidc: %w", err)
	}
	rp, err := oidc.New(oidc.Config{Providers: providers, Country: country, BaseURL: p.PreviewBase, Reauthenticate: true,
		Pending: pending, Logger: logger.With("component", "preview oidc login")})
	if err != nil {
		return nil, fmt.Errorf("provider.login.oidc: %w", err)
	}
	return rp, nil
}

// withRequesterAPI serves the requester's REST API under
// requester.APIPrefix, and h for the rest.
func withRequesterAPI(w *wiring, h http.Handler) http.Handler {
	if w == nil || w.requester == nil {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle(requester.APIPrefix+"/", w.requester.Handler())
	mux.Handle("/", h)
	return mux
}

// runs are the connectors' background loops.
func (w *wiring) runs() []func(context.Context) error {
	var out []func(context.Context) error
	if w.requester != nil {
		out = append(out, w.requester.Run)
	}
	if w.provider != nil {
		out = append(out, w.provider.Run)
	}
	return out
}

// Package demonet starts a whole OOTS network on one machine: the Common
// Services (Evidence Broker, Data Service Directory, Semantic Repository,
// with the demo data set of package csregistry) and, for each demo Member
// State, a national node — an eDelivery AS4 access point (package ap), the
// requester connector with its REST API (package requester), the demo
// procedure portal (package portal), the provider connector with its
// preview space and a data source of test records (package provider), an
// eIDAS-style identity provider with test citizens and companies (package
// idp), and the audit journal (package journal). It is what `oots demo`
// runs and what the end-to-end tests drive.
//
// Every web server speaks HTTPS with a certificate for 127.0.0.1 and
// localhost issued by a demo CA (keys/tls-ca.cert.pem: import it into a
// browser, or accept the warning); the preview space must be reached over
// https (PreviewLocation, SPEC.md §2.4). Each node keeps its data in one
// SQLite database under Config.Dir/<country>/, the Common Services theirs
// under Config.Dir/cs/, the credentials under Config.Dir/keys/: a stopped
// network started again on the same directory and ports continues where it
// was.
//
// The access points reach each other through P-Modes built here (eDelivery
// AS4 2.0 profile), with one exception: the access point of
// DiscoveredCountry (SE) is reached only through eDelivery dynamic
// discovery. The other access points' P-Modes name its party without an
// endpoint, and they hold no encryption certificate for it
// (ap.Config.Discovered); at send time they ask the network's DNS server
// (package internal/dnsserver, authoritative for DNSZone, on Port+2) for
// the U-NAPTR record of the BDXL name of its participant identifier
// (Participant: iso6523-actorid-upis::0007:AP-SE), which points to the
// network's SMP (package smp, on Port+1, entries in Config.Dir/smp/,
// signing key keys/smp-signer.*, issued by keys/smp-ca.*), and read its
// signed service metadata: the endpoint URL and the encryption certificate
// (which must be issued by the AS4 CA). The SE access point itself sends
// statically. Network.DNS and Network.SMP give the two addresses.
//
// The Common Services begin with the requirements only (which come from
// the Semantic Repository) and have an access point of their own, party
// CSParty at POST /as4 of their server (Config.Dir/cs/ap/): at start every
// node publishes its own part of the demo data set — its Evidence Broker
// objects, then its DSD objects — to it over AS4 on the LCM legs of its
// P-Mode (package lcm, signed receipts both ways), and Start fails if the
// Common Services refuse it. Node.Published holds the answers;
// Node.PublishLCM submits more.
//
// Inside a node the access point hands received messages to the connectors
// in-process (ap.Config.Backend): requests to the provider, responses and
// errors to the requester. Its backend API (/api/v1/…) wants the node's
// bearer token (Node.APIToken, keys/api-token-CC).
//
// # Conformance kit
//
// Every node can be tested by the conformance kit (package conformance,
// "oots conformance run") over its public endpoints only, as a partner
// Member State would: the kit's party TesterParty is in every P-Mode, with
// the endpoint Config.TesterEndpoint and credentials issued by the AS4 CA;
// the ebMS test service has its leg (TestLeg), whose messages a node drops;
// each node hosts test data services that answer without a preview
// (TestProvider); and ConformanceDir holds, per node, the target file of
// "oots conformance run -target" and a scenario file TC01–TC10 made from
// the demo data. conformance.DemoPreviewUser logs the kit in at the
// preview spaces as the demo users. For the kit's edm-requester suite, in which it plays the
// evidence provider, the Common Services know a tester Member State
// (TesterCountry, see testerms.go) whose R1 data service is behind the
// kit's party, and each requester's REST API has its bearer token
// (Node.RequesterToken), which the target file names.
//
// # Beyond once-only
//
// The nodes run the extension of docs/beyond-once-only.md, except the
// standard-profile nodes (Config.StandardNodes, default SE), which behave as
// any OOTS node: on the other, consent-enabled nodes the provider offers the
// user, at the preview, a consent to background exchanges
// (provider.Config.Consent, valid Config.ConsentValidity) and shows the
// consents and the evidence sent at PreviewURL/consents, where a consent is
// withdrawn; the requester marks every first request as a background
// request (requester.Config.Background), answered at once by a provider
// that holds the user's consent and with the preview by any other; the
// portal asks for structured evidence (application/xml after the data models
// of package datamodel) for the procedures with an application form (R1,
// T2) and shows that form pre-filled (portal.Config.PreferStructured), and
// shows the user every exchange about them at PortalURL/my-data.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package demonet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/schematron"
)

// StandardNodes returns the default standard-profile nodes (consent,
// background exchanges and pre-fill off), a fresh slice on each call.
func StandardNodes() []string { return []string{"SE"} }

// IdPSession is how long each demo identity provider remembers a login in
// the browser (idp.Config.Session, single sign-on): within it, a citizen
// logged in at a portal is not asked again at the preview space or the
// consents page for the same eID. The preview space still runs its own
// login and shows the evidence only to the request's subject; the demo
// providers are not asked for a fresh authentication there (no
// prompt=login), so another person at the same browser logs out at the
// identity provider first (idp.PathLogout). An eIDAS node reached by SAML
// (ForceAuthn) or a national OpenID provider (oidc.Config.Reauthenticate
// at the preview) asks again every time, as before.
const IdPSession = 30 * time.Minute

// Config configures a demo network. Zero fields take the documented
// defaults.
type Config struct {
	// Dir holds all data; required.
	Dir string
	// Countries run a node each; default demo.Countries() (package
	// internal/demo). At least two.
	Countries []string
	// Host is the address every server listens on; default 127.0.0.1.
	Host string
	// Port is the first port: the Common Services listen on Port, the
	// SMP on Port+1, the DNS server on Port+2 (UDP and TCP), the node of
	// the i-th country (from 0) on Port+10(i+1) (portal), +1 (preview
	// space), +2 (identity provider), +3 (access point and APIs). 0 takes
	// free ports (tests).
	Port int
	// T1, T2, T3 are the exchange timeouts of SPEC.md §1.2 (defaults 5,
	// 15 and 40 minutes); the requester waits a minute longer on each.
	T1, T2, T3 time.Duration
	// WithoutPreview makes every evidence provider answer the first
	// request with the evidence, without a preview (benchmarks of the
	// machine part of the journey).
	WithoutPreview bool
	// PollInterval of the access points' queues; default 100 ms.
	PollInterval time.Duration
	// StandardNodes are the countries whose node runs the standard OOTS
	// profile, without the extensions of docs/beyond-once-only.md
	// (consent to background exchanges, background requests, structured
	// evidence for pre-fill); nil means StandardNodes() (SE), an empty
	// non-nil slice none. The other nodes are consent-enabled.
	StandardNodes []string
	// ConsentValidity is how long a consent to background exchanges
	// lasts; default provider.DefaultConsentValidity (90 days).
	ConsentValidity time.Duration
	// DataService, when set, wraps the data service of every evidence
	// provider of a node (tests: a register that returns broken
	// evidence).
	DataService func(country string, ds provider.DataService) provider.DataService
	// TesterEndpoint is the AS4 endpoint of the conformance kit's party
	// TesterParty in every node's P-Mode (the address "oots conformance
	// run" listens on; plain http on loopback is fine); default, when Port
	// is not 0, http://Host:(Port+9)/as4. With Port 0 and no endpoint, the
	// nodes cannot send to the kit (its as4-send and edm suites).
	TesterEndpoint string
	// SREnvironment is the environment of the Semantic Repository whose
	// identifiers the Common Services publish: "" production (the demo
	// data set as it is); a name such as "acc" names every requirement and
	// evidence type classification under https://sr.<name>.oots.tech.ec.europa.eu/,
	// as the Commission's acceptance Common Services do, one of them
	// (Finland's certificate of birth) with the test segment "oots", and
	// makes every access point speak oots-edm:v2.0 (demo.LoadIn):
	// the TDD 1.0 rules admit only the production host. The Common
	// Services keep the data set of an environment in Dir/cs/cs-<name>.db.
	SREnvironment string
	// Fault, for tests of the conformance kit only, gives every access
	// point one deliberate defect (ap.Config.Fault).
	Fault fault.Defect
	// Rules judge the requests the nodes' provider connectors receive
	// (provider.Config.Rules: official rule files per EDM version); nil is
	// the embedded rules.
	Rules *schematron.Catalogue
	// OIDC are national OpenID providers by country of the eID (package
	// eid/oidc): every node's portal and preview space log the users of
	// those countries in through them, the others through the demo
	// identity providers. Each provider must accept the redirect URIs
	// PortalURL+portal.CallbackPath and PreviewURL+provider.PreviewCallbackPath
	// (and the consents' callback) of every node. Default none.
	OIDC map[string]oidc.Provider
	// SAML are eIDAS nodes by country of the eID (package eid/saml):
	// every node's portal and preview space log the users of those
	// countries in through them, each as a SAML service provider whose
	// metadata is at its URL + saml.MetadataPath (register them at the
	// node). Default none.
	SAML map[string]saml.Node
	// Logger receives every component's log; default discards.
	Logger *slog.Logger
}

// Validate names the first wrong field.
func (c *Config) Validate() error {
	if c.Dir == "" {
		return errors.New("demonet: Config.Dir is required")
	}
	if len(c.Countries) < 2 {
		return errors.New("demonet: Config.Countries needs at least two countries")
	}
	for _, cc := range c.Countries {
		if _, ok := schemes[cc]; !ok {
			return fmt.Errorf("demonet: Config.Countries: %q is not a demo country (%v)", cc, demo.Countries())
		}
	}
	for _, cc := range c.StandardNodes {
		if _, ok := schemes[cc]; !ok {
			return fmt.Errorf("demonet: Config.StandardNodes: %q is not a demo country (%v)", cc, demo.Countries())
		}
	}
	if c.ConsentValidity < 0 {
		return fmt.Errorf("demonet: Config.ConsentValidity %v is negative", c.ConsentValidity)
	}
	if c.Port < 0 || c.Port > 65535-10*(len(c.Countries)+1) {
		return fmt.Errorf("demonet: Config.Port %d out of range", c.Port)
	}
	if c.TesterEndpoint != "" {
		if u, err := url.Parse(c.TesterEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("demonet: Config.TesterEndpoint %q is not an http or https URL", c.TesterEndpoint)
		}
	}
	if err := edm.ValidSREnv(c.SREnvironment); err != nil {
		return fmt.Errorf("demonet: Config.SREnvironment: %w", err)
	}
	return nil
}

func (c *Config) defaults() {
	if len(c.Countries) == 0 {
		c.Countries = demo.Countries()
	}
	if c.StandardNodes == nil {
		c.StandardNodes = StandardNodes()
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.T1 == 0 {
		c.T1 = 5 * time.Minute
	}
	if c.T2 == 0 {
		c.T2 = 15 * time.Minute
	}
	if c.T3 == 0 {
		c.T3 = 40 * time.Minute
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.TesterEndpoint == "" && c.Port != 0 {
		c.TesterEndpoint = defaultTester(c.Host, c.Port)
	}
}

// Network is a running demo network.
type Network struct {
	// CS is the base URL of the Common Services.
	CS string
	// Nodes are the Member State nodes, in Config.Countries order.
	Nodes []*Node
	// TLSCA issued the certificate of every server; TLSCAFile is its PEM.
	TLSCA     *x509.Certificate
	TLSCAFile string
	// ConformanceDir holds the conformance kit's files (see TesterParty):
	// its credentials, anchors and P-Mode, and each node's target file
	// (Node.ConformanceTarget).
	ConformanceDir string
	// DNS is the address ("host:port", UDP and TCP) of the DNS server of
	// the BDXL zone DNSZone, and SMP the base URL of the SMP: the dynamic
	// discovery of the access point of DiscoveredCountry.
	DNS, SMP string

	cfg     Config
	keys    *keys
	disc    *discovery
	urls    map[int]string // by port offset
	cats    map[string]*catalogue
	csReg   *csregistry.Registry
	csStore csregistry.Store
	client  *http.Client
	servers []*http.Server
	closers []func() error
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Node returns the node of a country, or nil.
func (n *Network) Node(cc string) *Node {
	for _, nd := range n.Nodes {
		if nd.Country == cc {
			return nd
		}
	}
	return nil
}

// SREnvironment is the environment of the Semantic Repository whose
// identifiers the network's Common Services publish (Config.SREnvironment).
func (n *Network) SREnvironment() string { return n.cfg.SREnvironment }

// Client returns an HTTP client that trusts the network's servers.
func (n *Network) Client() *http.Client { return n.client }

// listener is a port to serve on, opened before the configuration is built
// (the configuration needs the URLs).
type listener struct {
	net.Listener
	url string
}

func (n *Network) listen(offset int) (*listener, error) {
	port := 0
	if n.cfg.Port != 0 {
		port = n.cfg.Port + offset
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(n.cfg.Host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("demonet: %w", err)
	}
	l := &listener{Listener: ln, url: "https://" + ln.Addr().String()}
	n.urls[offset] = l.url
	return l, nil
}

// serve serves h over TLS on ln until Close.
func (n *Network) serve(ln *listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{n.keys.tlsCert}, MinVersion: tls.VersionTLS12},
		ErrorLog:  slog.NewLogLogger(n.cfg.Logger.Handler(), slog.LevelDebug)}
	n.servers = append(n.servers, srv)
	go srv.ServeTLS(ln, "", "")
}

// Close stops every server and component and closes the databases.
func (n *Network) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range n.servers {
		s.Shutdown(ctx)
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	var errs []error
	for i := len(n.closers) - 1; i >= 0; i-- {
		errs = append(errs, n.closers[i]())
	}
	return errors.Join(errs...)
}

// Start starts a network; Close stops it.
func Start(ctx context.Context, cfg Config) (_ *Network, err error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Network{cfg: cfg, urls: map[int]string{}, cats: map[string]*catalogue{}}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if n.keys, err = loadKeys(filepath.Join(cfg.Dir, "keys"), cfg.Countries); err != nil {
		return nil, err
	}
	n.TLSCA, n.TLSCAFile = n.keys.tlsCA, filepath.Join(cfg.Dir, "keys", "tls-ca.cert.pem")
	n.ConformanceDir = filepath.Join(cfg.Dir, ConformanceDir)
	if n.keys.tester, err = loadTester(n.ConformanceDir, n.keys.ca); err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(n.keys.tlsCA)
	n.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots},
		MaxIdleConnsPerHost: 16, ForceAttemptHTTP2: true}}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel

	csLn, err := n.listen(0)
	if err != nil {
		return nil, err
	}
	n.CS = csLn.url
	lns := map[string][4]*listener{}
	for i, cc := range cfg.Countries {
		var l [4]*listener
		for j := range l {
			if l[j], err = n.listen(10*(i+1) + j); err != nil {
				return nil, err
			}
		}
		lns[cc] = l
	}
	endpoints := map[string]string{}
	for cc, l := range lns {
		endpoints[cc] = l[3].url + "/as4"
	}
	if err := n.startCS(ctx, runCtx, csLn, endpoints); err != nil {
		return nil, err
	}
	if err := n.startDiscovery(ctx, endpoints); err != nil {
		return nil, err
	}
	for _, cc := range cfg.Countries {
		l := lns[cc]
		nd, err := n.startNode(ctx, runCtx, cc, endpoints, l)
		if err != nil {
			return nil, fmt.Errorf("demonet: node %s: %w", cc, err)
		}
		n.Nodes = append(n.Nodes, nd)
	}
	if err := n.publishLCM(ctx); err != nil {
		return nil, err
	}
	if cfg.TesterEndpoint != "" {
		if err := loadTesterMS(ctx, n.csReg, n.csStore, cfg.SREnvironment); err != nil {
			return nil, err
		}
	}
	if err := n.writeConformance(endpoints); err != nil {
		return nil, err
	}
	return n, nil
}

func mkdir(path string) (string, error) {
	return path, os.MkdirAll(path, 0o700)
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/tlsprofile"
	"github.com/oots-go/oots/trust"
)

// ruleEnvironment is the rule of the doctor's findings about the
// Commission environment the node is configured for.
const ruleEnvironment = "DOCTOR-ENVIRONMENT"

// serveCommonServices is the commonServices section of the configuration:
// which of the Commission's environments the node works with (one setting,
// environment: acceptance, testing or production; csdiscovery.Profile), and
// how it reaches that environment's Common Services.
type serveCommonServices struct {
	// Environment names the profile: acceptance (acc), testing, production
	// (prod). Required.
	Environment string `yaml:"environment"`
	// Country is the node's Member State (ISO 3166-1 alpha-2; EL for
	// Greece): the discovery names and the Testing Services' query path.
	Country string `yaml:"country"`
	// DNS is the DNS server asked for the discovery records, ip:port.
	DNS string `yaml:"dns"`
	// Trust lists PEM files of the roots the Common Services' answers must
	// be signed under (the Commission's root of the environment).
	Trust []string `yaml:"trust"`
	// TLSRoots lists PEM files of the roots of the Common Services' HTTPS
	// certificates; default the system roots.
	TLSRoots []string `yaml:"tlsRoots"`
	// Zone replaces the profile's DNS zone (private or test zones).
	Zone string `yaml:"zone"`
	// DNSSEC replaces the profile's mode: off, auto, require.
	DNSSEC string `yaml:"dnssec"`
	// DNSSECAnchors is a file of DS or DNSKEY records in zone-file form
	// that DNSSEC validation starts from; default the root's KSKs.
	DNSSECAnchors string `yaml:"dnssecAnchors"`
	// AllowHTTP accepts http:// base URLs (tests on loopback only).
	AllowHTTP bool `yaml:"allowHTTP"`
	// Major is the major version of the Common Services interface; default
	// 2.
	Major int `yaml:"major"`
}

// commonServicesSetup is a commonServices section read and resolved.
type commonServicesSetup struct {
	profile   csdiscovery.Profile
	discovery csdiscovery.Config
	trust     []*x509.Certificate
	tlsRoots  *x509.CertPool
}

// setup checks the section and resolves its files; env, when not empty,
// replaces the environment (the -env flag).
func (s *serveCommonServices) setup(dir, env string) (*commonServicesSetup, error) {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("commonServices.%s: %s", field, fmt.Sprintf(format, a...))
	}
	if env == "" {
		env = s.Environment
	}
	if env == "" {
		return nil, bad("environment", "required: acceptance, testing or production")
	}
	p, err := csdiscovery.ProfileByName(env)
	if err != nil {
		return nil, bad("environment", "%v", err)
	}
	out := &commonServicesSetup{profile: p}
	if s.Zone != "" {
		p.Zone = s.Zone
		out.profile.Zone = s.Zone
	}
	mode := p.DNSSEC
	if s.DNSSEC != "" {
		if mode, err = csdiscovery.ParseDNSSECMode(s.DNSSEC); err != nil {
			return nil, bad("dnssec", "%v", err)
		}
	}
	out.profile.DNSSEC = mode
	anchors := ""
	if s.DNSSECAnchors != "" {
		b, err := os.ReadFile(resolvePath(dir, s.DNSSECAnchors))
		if err != nil {
			return nil, bad("dnssecAnchors", "%v", err)
		}
		anchors = string(b)
	}
	out.discovery = csdiscovery.Config{Server: s.DNS, Zone: p.Zone, DNSSEC: mode, TrustAnchors: anchors, AllowHTTP: s.AllowHTTP}
	if err := out.discovery.Validate(); err != nil {
		return nil, bad("dns", "%v", err)
	}
	if _, err := (csdiscovery.Query{Country: s.Country, Service: csdiscovery.EvidenceBroker, Major: s.major(), Environment: p.Environment}).Name(p.Zone); err != nil {
		return nil, bad("country", "%v", err)
	}
	if len(s.Trust) == 0 {
		return nil, bad("trust", "required: the root the environment's Common Services sign under")
	}
	for i, f := range s.Trust {
		certs, err := readCertificates(resolvePath(dir, f))
		if err != nil {
			return nil, bad(fmt.Sprintf("trust[%d]", i), "%v", err)
		}
		out.trust = append(out.trust, certs...)
	}
	if len(s.TLSRoots) > 0 {
		out.tlsRoots = x509.NewCertPool()
		for i, f := range s.TLSRoots {
			certs, err := readCertificates(resolvePath(dir, f))
			if err != nil {
				return nil, bad(fmt.Sprintf("tlsRoots[%d]", i), "%v", err)
			}
			for _, c := range certs {
				out.tlsRoots.AddCert(c)
			}
		}
	}
	return out, nil
}

func (s *serveCommonServices) major() int {
	if s.Major > 0 {
		return s.Major
	}
	return 2
}

func resolvePath(dir, p string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return dir + string(os.PathSeparator) + p
}

// readCertificates reads the certificates of a PEM file.
func readCertificates(file string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate", file)
	}
	return certs, nil
}

// environment checks the Commission environment end to end: the profile
// and its trust anchors, then (with network) for the Evidence Broker and
// the DSD: the discovery record by DNS (validated with DNSSEC as the
// profile says), the TLS connection to the base URL against the TLS
// profile of TDD 3.7, and a query whose answer's signature must verify
// under a root of the environment.
func (d *doctor) environment(ctx context.Context, sc *serveConfig, network bool, timeout time.Duration) {
	if sc.CommonServices == nil {
		if d.env != "" {
			d.add(ruleEnvironment, check.Error, "commonServices", "-env %s given, and the configuration has no commonServices section", d.env)
		}
		return
	}
	cs := sc.CommonServices
	s, err := cs.setup(sc.dir, d.env)
	if err != nil {
		d.add(ruleEnvironment, check.Error, "commonServices", "%v", err)
		return
	}
	p := s.profile
	layout := "«base»/<eb|dsd>/rest/search"
	if p.CountryInPath {
		layout = "«base»/<eb|dsd>/" + strings.ToUpper(cs.Country) + "/rest/search"
	}
	d.add(ruleEnvironment, check.Info, "commonServices.environment", "%s: discovery under cs.%s.%s, DNSSEC %s, query layout %s, signatures under a %s root",
		p.Name, p.Environment, p.Zone, p.DNSSEC, layout, map[bool]string{true: "test", false: "production"}[p.TestRoot])
	if p.DNSSEC == csdiscovery.DNSSECOff {
		d.add(ruleEnvironment, check.Warning, "commonServices.dnssec", "DNSSEC validation is off; TDD 3.7 recommends it for every OOTS look-up")
	}
	if p.IgnoresAcceptVersion {
		d.add(ruleEnvironment, check.Info, "commonServices.environment", "the %s environment's EB and DSD are stubs that ignore Accept-Version: an answer without SpecificationIdentifier is expected", p.Name)
	}
	roots := 0
	for _, c := range s.trust {
		if !isRoot(c) {
			continue
		}
		roots++
		if err := p.CheckRoot(c); err != nil {
			d.add(ruleEnvironment, check.Error, "commonServices.trust", "%v", err)
		}
	}
	if roots == 0 {
		d.add(ruleEnvironment, check.Info, "commonServices.trust", "no self-signed root among the trust files: the environment's root is checked on the chain of the first answer")
	}
	if !network {
		return
	}
	resolver, err := csdiscovery.New(s.discovery)
	if err != nil {
		d.add(ruleEnvironment, check.Error, "commonServices.dns", "%v", err)
		return
	}
	tlsConfig := tlsprofile.Client(s.tlsRoots)
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}, Timeout: timeout}
	client, err := csclient.New(csclient.Config{Discovery: resolver, Country: cs.Country, Major: cs.major(), Environment: p.Environment,
		CountryInPath: p.CountryInPath, Trust: trust.NewStore(s.trust...), HTTP: httpClient, Timeout: timeout, TTL: -1})
	if err != nil {
		d.add(ruleEnvironment, check.Error, "commonServices", "%v", err)
		return
	}
	for _, svc := range []csdiscovery.Service{csdiscovery.EvidenceBroker, csdiscovery.DataServiceDirectory} {
		d.environmentService(ctx, svc, cs, s, resolver, client, tlsConfig, timeout)
	}
}

func isRoot(c *x509.Certificate) bool {
	return c.IsCA && c.CheckSignatureFrom(c) == nil
}

// environmentService checks one Common Service: DNS, TLS, a signed query.
func (d *doctor) environmentService(ctx context.Context, svc csdiscovery.Service, cs *serveCommonServices, s *commonServicesSetup,
	resolver *csdiscovery.Resolver, client *csclient.Client, tlsConfig *tls.Config, timeout time.Duration) {
	loc := "commonServices." + string(svc)
	p := s.profile
	// 1. DNS (TDD 3.4), validated as the profile says (TDD 3.7).
	dctx, cancel := context.WithTimeout(ctx, timeout)
	res, err := resolver.Lookup(dctx, csdiscovery.Query{Country: cs.Country, Service: svc, Major: cs.major(), Environment: p.Environment})
	cancel()
	if err != nil {
		d.add(ruleEnvironment, check.Error, loc, "DNS: %v", err)
		return
	}
	how := "not validated (DNSSEC off)"
	switch {
	case res.Validated:
		how = "validated with DNSSEC"
	case p.DNSSEC != csdiscovery.DNSSECOff:
		how = "from an unsigned zone (DNSSEC proved no signature is expected)"
	}
	d.add(ruleEnvironment, check.Info, loc, "DNS: %s gives %s, %s", res.Name, res.URL, how)
	// 2. TLS (TDD 3.7).
	if res.URL.Scheme == "https" {
		d.environmentTLS(ctx, loc, res.URL, tlsConfig, timeout)
	} else {
		d.add(ruleEnvironment, check.Warning, loc, "TLS: %s is plain HTTP (allowHTTP), no TLS to check", res.URL)
	}
	// 3. A query, its answer's signature verified (TDD 3.6.2).
	var params url.Values
	queryID := csclient.QueryRequirements
	if svc == csdiscovery.DataServiceDirectory {
		queryID = csclient.QueryDataServices
	}
	params = url.Values{"country-code": {strings.ToUpper(cs.Country)}}
	a, err := client.Query(ctx, svc, queryID, params)
	var se *csclient.ServiceError
	switch {
	case errors.As(err, &se):
		d.add(ruleEnvironment, check.Info, loc, "query: a signed answer, the error %s (%s); the signature verified", se.Exception.Code, se.Exception.Message)
	case err != nil:
		d.add(ruleEnvironment, check.Error, loc, "query: %v", err)
	default:
		chain := a.Verified.Chain
		root := chain[len(chain)-1]
		d.add(ruleEnvironment, check.Info, loc, "query: a signed %s answer, signature verified up to %q", a.Response.Kind(), root.Subject.CommonName)
		if err := p.CheckRoot(root); err != nil {
			d.add(ruleEnvironment, check.Error, loc, "query: %v", err)
		}
	}
}

// environmentTLS connects to the base URL's host and judges the
// connection against the TLS profile.
func (d *doctor) environmentTLS(ctx context.Context, loc string, u *url.URL, cfg *tls.Config, timeout time.Duration) {
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	cfg = cfg.Clone()
	cfg.ServerName = u.Hostname()
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dialer.DialContext(dctx, "tcp", host)
	if err != nil {
		d.add(ruleEnvironment, check.Error, loc, "TLS to %s: %v", host, err)
		return
	}
	st := conn.(*tls.Conn).ConnectionState()
	conn.Close()
	tls13, err := tlsprofile.Check(st)
	switch {
	case err != nil:
		d.add(ruleEnvironment, check.Error, loc, "TLS to %s: %v", host, err)
	case !tls13:
		d.add(ruleEnvironment, check.Warning, loc, "TLS to %s: %s with %s meets the profile; TLS 1.3 is recommended (TDD 3.7)", host, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	default:
		d.add(ruleEnvironment, check.Info, loc, "TLS to %s: %s, %s, certificate of %s", host, tls.VersionName(st.Version), st.CurveID, st.PeerCertificates[0].Subject)
	}
}

// dnsClient returns the DNS client of the discovery section's BDXL
// look-ups, validating with DNSSEC as the section says.
func (d *serveDiscovery) dnsClient(c *serveConfig) (*csdiscovery.Client, error) {
	mode, err := csdiscovery.ParseDNSSECMode(d.DNSSEC)
	if err != nil {
		return nil, fmt.Errorf("discovery.dnssec: %w", err)
	}
	cl := &csdiscovery.Client{Server: d.DNS, DNSSEC: mode}
	if d.DNSSECAnchors != "" {
		b, err := os.ReadFile(c.path(d.DNSSECAnchors))
		if err != nil {
			return nil, fmt.Errorf("discovery.dnssecAnchors: %w", err)
		}
		if cl.TrustAnchors, err = csdiscovery.ParseTrustAnchors(string(b)); err != nil {
			return nil, fmt.Errorf("discovery.dnssecAnchors: %w", err)
		}
	}
	return cl, nil
}

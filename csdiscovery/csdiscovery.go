// Package csdiscovery finds the base URL of the OOTS Common Services
// (Evidence Broker, Data Service Directory) by DNS, as OOTS TDD 3.4 and
// SPEC.md §5 describe: a U-NAPTR lookup (RFC 4848) of
//
//	<country>.<eb|dsd>.v<major>.cs.<acc|prod>.oots.tech.ec.europa.eu
//
// whose terminal record's regexp "!^.*$!<URL>!" gives the base URL, e.g.
// https://query.cs.acc.oots.tech.ec.europa.eu/ (the query interface is then
// under eb/rest/search or dsd/rest/search, SPEC.md §3.1). Records are not
// wildcards: an unknown country or version has no record.
//
// A Resolver answers from a static override first (Config.Static), then
// from its cache (record TTL, clamped), then by asking the configured DNS
// server with its own stub client (Client: UDP, TCP when truncated, messages
// encoded with github.com/miekg/dns), since the standard library's resolver
// cannot ask for NAPTR records. Answers from
// the DNS are treated as hostile: size and record counts are bounded,
// non-terminal NAPTR chains are bounded and loops detected, a regexp other
// than the constant form is refused, and only https URLs are accepted unless
// Config.AllowHTTP is set.
//
// The NAPTR record type and the U-NAPTR rewrite (naptr.go) and the DNS
// client (dns.go) do not depend on the Common Services naming and serve a
// BDXL lookup of an SMP as well.
//
// DNSSEC (RECOMMENDED for every OOTS look-up by TDD 3.7): with
// Config.DNSSEC set to DNSSECAuto or DNSSECRequire the client validates the
// answer itself from a trust anchor (the root KSKs by default, a DS or
// DNSKEY of a private zone in Config.TrustAnchors) down to the signed NAPTR
// RRset; an answer that cannot be proven authentic is refused with
// ErrInsecure. dnssec.go says exactly what is checked and what is not.
//
// The Commission's environments (acceptance, the Testing Services,
// production) are Profiles (profile.go): their discovery label and zone,
// DNSSEC default, signing root (test or production) and query layout,
// chosen by name.
//
// Not implemented: EDNS(0) without DNSSEC (answers over 512 bytes then come
// over TCP), negative caching, several servers, and the service-field value
// of the Commission's records, which the sources do not give: by default any
// service is accepted, Config.Service selects one.
package csdiscovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// DefaultZone is the DNS zone of the Commission's Common Services records.
const DefaultZone = "oots.tech.ec.europa.eu"

// Service names a Common Service in the discovery name.
type Service string

// The Common Services that are discovered.
const (
	EvidenceBroker       Service = "eb"
	DataServiceDirectory Service = "dsd"
)

// Environment names the Commission environment in the discovery name.
type Environment string

// The published environments.
const (
	Acceptance Environment = "acc"
	Production Environment = "prod"
)

// Query says which Common Services instance to find.
type Query struct {
	// Country is the ISO 3166-1 alpha-2 code of the Member State (the EU
	// code EL for Greece), in either case.
	Country string
	// Service is EvidenceBroker or DataServiceDirectory.
	Service Service
	// Major is the major version of the Common Services interface, e.g. 2.
	Major int
	// Environment is Acceptance or Production (another DNS label is
	// accepted for private test zones).
	Environment Environment
}

// Name returns the name to look up in zone ("" means DefaultZone).
func (q Query) Name(zone string) (string, error) {
	if zone == "" {
		zone = DefaultZone
	}
	cc := strings.ToLower(q.Country)
	if len(cc) != 2 || cc[0] < 'a' || cc[0] > 'z' || cc[1] < 'a' || cc[1] > 'z' {
		return "", fmt.Errorf("csdiscovery: country %q is not a two-letter code", q.Country)
	}
	if q.Service != EvidenceBroker && q.Service != DataServiceDirectory {
		return "", fmt.Errorf("csdiscovery: service %q is neither %q nor %q", q.Service, EvidenceBroker, DataServiceDirectory)
	}
	if q.Major < 1 || q.Major > 999 {
		return "", fmt.Errorf("csdiscovery: major version %d is out of range", q.Major)
	}
	if q.Environment == "" || strings.Contains(string(q.Environment), ".") {
		return "", fmt.Errorf("csdiscovery: environment %q is not one DNS label", q.Environment)
	}
	name, err := canonicalName(cc + "." + string(q.Service) + ".v" + strconv.Itoa(q.Major) + ".cs." + string(q.Environment) + "." + zone)
	if err != nil {
		return "", fmt.Errorf("csdiscovery: %v", err)
	}
	return name, nil
}

// Errors of discovery, wrapped in an *Error. Callers branch with errors.Is.
var (
	// ErrNoRecord: the name does not exist or has no usable NAPTR record
	// (unknown country or version: records are not wildcards).
	ErrNoRecord = errors.New("no Common Services record")
	// ErrBadRecord: the DNS answer or a record in it is malformed, too
	// large, loops, or gives a URL the configuration does not accept.
	ErrBadRecord = errors.New("bad Common Services record")
	// ErrUnreachable: the DNS server did not answer in time, could not be
	// reached, or answered with a failure code (SERVFAIL, REFUSED…).
	ErrUnreachable = errors.New("DNS unreachable")
)

// Error is a discovery error: its kind (ErrNoRecord, ErrBadRecord,
// ErrUnreachable), the name looked up, the server asked, and the cause.
type Error struct {
	Kind   error
	Name   string
	Server string
	Detail string
	Err    error
}

// Error returns "csdiscovery: <kind> for <name> (server <server>): <detail>: <cause>".
func (e *Error) Error() string {
	s := "csdiscovery: " + e.Kind.Error()
	if e.Name != "" {
		s += " for " + e.Name
	}
	if e.Server != "" {
		s += " (server " + e.Server + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func fail(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Config configures a Resolver. The zero value of each field means its
// documented default.
type Config struct {
	// Server is the DNS server to ask, "ip:port". Required unless Static
	// covers every lookup.
	Server string
	// Zone replaces DefaultZone (private test zones).
	Zone string
	// Static maps a service ("eb", "dsd") or a full lookup name to a base
	// URL used instead of the DNS. A full name wins over a service.
	Static map[string]string
	// Service, if set, selects the NAPTR records whose service field equals
	// it (without regard to case); others are ignored.
	Service string
	// AllowHTTP accepts http URLs besides https (local test set-ups).
	AllowHTTP bool
	// Timeout bounds each DNS attempt; default 2s. Attempts is the number
	// of UDP tries; default 2.
	Timeout  time.Duration
	Attempts int
	// MaxRewrites bounds the non-terminal NAPTR records followed; default 4.
	MaxRewrites int
	// MaxResponse bounds a DNS response in bytes; default 16 KiB.
	MaxResponse int
	// MinTTL and MaxTTL clamp how long an answer is cached; defaults 30s
	// and 1h. A record TTL of 0 is cached for MinTTL.
	MinTTL, MaxTTL time.Duration
	// DNSSEC says whether answers are validated: DNSSECOff (the zero
	// value), DNSSECAuto (validated whenever the zone is signed) or
	// DNSSECRequire (validated answers only). See DNSSECMode.
	DNSSEC DNSSECMode
	// TrustAnchors are the DS or DNSKEY records, in zone-file form, that
	// validation starts from; "" means RootTrustAnchors. A private or test
	// zone is anchored with its own DS record.
	TrustAnchors string
	// Now is the clock of the cache and of signature validity; default
	// time.Now.
	Now func() time.Time
}

// Validate reports the first configuration error, naming the field.
func (c Config) Validate() error {
	if c.Server != "" {
		host, port, err := net.SplitHostPort(c.Server)
		if err != nil || net.ParseIP(host) == nil || port == "" {
			return fmt.Errorf("csdiscovery: Config.Server %q must be ip:port", c.Server)
		}
	}
	if c.Zone != "" {
		if _, err := canonicalName(c.Zone); err != nil {
			return fmt.Errorf("csdiscovery: Config.Zone: %v", err)
		}
	}
	for k, v := range c.Static {
		if _, err := checkURL(v, c.AllowHTTP); err != nil {
			return fmt.Errorf("csdiscovery: Config.Static[%q]: %v", k, err)
		}
	}
	if err := c.DNSSEC.check(); err != nil {
		return fmt.Errorf("csdiscovery: Config.DNSSEC: %v", err)
	}
	if c.TrustAnchors != "" {
		if _, err := ParseTrustAnchors(c.TrustAnchors); err != nil {
			return fmt.Errorf("csdiscovery: Config.TrustAnchors: %v", err)
		}
	}
	if c.Server == "" && len(c.Static) == 0 {
		return errors.New("csdiscovery: Config.Server is required (no Config.Static override either)")
	}
	switch {
	case c.Timeout < 0, c.Attempts < 0, c.MaxRewrites < 0, c.MaxResponse < 0, c.MinTTL < 0, c.MaxTTL < 0:
		return errors.New("csdiscovery: Config.Timeout, Attempts, MaxRewrites, MaxResponse, MinTTL and MaxTTL may not be negative")
	case c.MaxResponse != 0 && c.MaxResponse < 512:
		return errors.New("csdiscovery: Config.MaxResponse must be at least 512 bytes")
	case c.MaxTTL != 0 && c.MinTTL > c.MaxTTL:
		return errors.New("csdiscovery: Config.MinTTL is greater than Config.MaxTTL")
	}
	return nil
}

// checkURL parses a base URL and accepts https (and http if allowed) with a
// host and without user information or fragment.
func checkURL(s string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %v", s, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	default:
		return nil, fmt.Errorf("URL %q: scheme %q is not accepted (https only unless AllowHTTP)", s, u.Scheme)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("URL %q has no host", s)
	case u.User != nil:
		return nil, fmt.Errorf("URL %q carries user information", s)
	case u.Fragment != "" || u.RawQuery != "":
		return nil, fmt.Errorf("URL %q has a query or fragment; a base URL has none", s)
	}
	return u, nil
}

// Result is a discovered base URL.
type Result struct {
	// URL is the base URL of the Common Services instance.
	URL *url.URL
	// Name is the name looked up.
	Name string
	// Source says where the answer came from: "static", "dns" or "cache".
	Source string
	// Expires is when a DNS answer stops being cached (zero for static).
	Expires time.Time
	// Validated says that every answer on the way was proven authentic by
	// DNSSEC validation (Config.DNSSEC).
	Validated bool
}

// Resolver discovers Common Services instances. It is safe for concurrent
// use.
type Resolver struct {
	cfg    Config
	client *Client

	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	url       *url.URL
	expires   time.Time
	validated bool
}

// New returns a Resolver for cfg after validating it.
func New(cfg Config) (*Resolver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Zone == "" {
		cfg.Zone = DefaultZone
	}
	if cfg.MaxRewrites == 0 {
		cfg.MaxRewrites = 4
	}
	if cfg.MinTTL == 0 {
		cfg.MinTTL = 30 * time.Second
	}
	if cfg.MaxTTL == 0 {
		cfg.MaxTTL = time.Hour
	}
	if cfg.MinTTL > cfg.MaxTTL {
		cfg.MinTTL = cfg.MaxTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var anchors []dns.RR
	if cfg.TrustAnchors != "" {
		anchors, _ = ParseTrustAnchors(cfg.TrustAnchors) // checked by Validate
	}
	return &Resolver{
		cfg: cfg,
		client: &Client{Server: cfg.Server, Timeout: cfg.Timeout, Attempts: cfg.Attempts, MaxResponse: cfg.MaxResponse,
			DNSSEC: cfg.DNSSEC, TrustAnchors: anchors, Now: cfg.Now},
		cache: map[string]cacheEntry{},
	}, nil
}

// Lookup returns the base URL of the instance q names. Errors are *Error
// values wrapping ErrNoRecord, ErrBadRecord or ErrUnreachable, or a plain
// error for an invalid query.
func (r *Resolver) Lookup(ctx context.Context, q Query) (*Result, error) {
	name, err := q.Name(r.cfg.Zone)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{name, string(q.Service)} {
		if s, ok := r.cfg.Static[k]; ok {
			u, _ := checkURL(s, r.cfg.AllowHTTP) // checked by Validate
			return &Result{URL: u, Name: name, Source: "static"}, nil
		}
	}
	return r.LookupName(ctx, name)
}

// LookupName resolves a discovery name through the cache and the DNS,
// without the static override.
func (r *Resolver) LookupName(ctx context.Context, name string) (*Result, error) {
	canon, err := canonicalName(name)
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Name: name, Detail: "invalid name", Err: err}
	}
	name = canon
	now := r.cfg.Now()
	r.mu.Lock()
	e, ok := r.cache[name]
	if ok && now.Before(e.expires) {
		r.mu.Unlock()
		u := *e.url
		return &Result{URL: &u, Name: name, Source: "cache", Expires: e.expires, Validated: e.validated}, nil
	}
	r.mu.Unlock()

	if r.cfg.Server == "" {
		return nil, &Error{Kind: ErrUnreachable, Name: name, Detail: "no DNS server configured and no static override for this name"}
	}
	u, ttl, validated, err := r.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	d := time.Duration(ttl) * time.Second
	d = max(r.cfg.MinTTL, min(d, r.cfg.MaxTTL))
	expires := now.Add(d)
	r.mu.Lock()
	r.cache[name] = cacheEntry{url: u, expires: expires, validated: validated}
	r.mu.Unlock()
	c := *u
	return &Result{URL: &c, Name: name, Source: "dns", Expires: expires, Validated: validated}, nil
}

// resolve runs the U-NAPTR procedure (RFC 4848 §2, RFC 3402 §4): look up
// the name, take the records in order, follow a non-terminal record's
// replacement, stop at the first terminal "U" record whose URI is accepted.
// It returns the URL, the smallest TTL along the way, and whether every
// answer was validated.
func (r *Resolver) resolve(ctx context.Context, name string) (_ *url.URL, _ uint32, validated bool, err error) {
	first := name
	visited := map[string]bool{}
	minTTL := uint32(1<<32 - 1)
	validated = true
	for step := 0; ; step++ {
		if visited[name] {
			return nil, 0, false, &Error{Kind: ErrBadRecord, Name: first, Server: r.cfg.Server, Detail: fmt.Sprintf("NAPTR records loop back to %s", name)}
		}
		if step > r.cfg.MaxRewrites {
			return nil, 0, false, &Error{Kind: ErrBadRecord, Name: first, Server: r.cfg.Server, Detail: fmt.Sprintf("more than %d non-terminal NAPTR records in a row", r.cfg.MaxRewrites)}
		}
		visited[name] = true
		recs, err := r.client.LookupNAPTR(ctx, name)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && name != first {
				e.Detail = fmt.Sprintf("following the NAPTR chain from %s: %s", first, e.Detail)
			}
			return nil, 0, false, err
		}
		SortNAPTR(recs)
		var problems []string
		next := ""
		for _, n := range recs {
			if r.cfg.Service != "" && !strings.EqualFold(n.Service, r.cfg.Service) {
				continue
			}
			switch {
			case n.Terminal():
				uri, err := n.URI()
				if err == nil {
					var u *url.URL
					if u, err = checkURL(uri, r.cfg.AllowHTTP); err == nil {
						return u, min(minTTL, n.TTL), validated && n.Validated, nil
					}
				}
				problems = append(problems, err.Error())
			case n.NonTerminal():
				if n.Replacement == "" {
					problems = append(problems, fmt.Sprintf("non-terminal record %s has no replacement", n))
					continue
				}
				if n.Regexp != "" {
					problems = append(problems, fmt.Sprintf("non-terminal record %s has both a regexp and a replacement (RFC 3403 §4.1)", n))
					continue
				}
				next = n.Replacement
				minTTL = min(minTTL, n.TTL)
				validated = validated && n.Validated
			default:
				problems = append(problems, fmt.Sprintf("record %s has flags %q, not U-NAPTR", n, n.Flags))
				continue
			}
			if next != "" {
				break
			}
		}
		if next == "" {
			if len(problems) == 0 {
				return nil, 0, false, &Error{Kind: ErrNoRecord, Name: first, Server: r.cfg.Server, Detail: fmt.Sprintf("no NAPTR record for service %q at %s", r.cfg.Service, name)}
			}
			return nil, 0, false, &Error{Kind: ErrBadRecord, Name: first, Server: r.cfg.Server, Detail: strings.Join(problems, "; ")}
		}
		name = next
	}
}

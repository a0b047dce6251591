// Package csclient is the connector's client of the OOTS Common Services: the
// Evidence Broker queries (requirements by procedure and jurisdiction,
// evidence types by requirement and jurisdiction) and the Data Service
// Directory query (data services by evidence type and jurisdiction, with the
// user-provided classification concepts of DSD:ERR:0005), over the RegRep 4
// REST binding (SPEC.md §3.1–§3.3).
//
// Each query goes through these steps:
//
//  1. find the base URL: a static override (Config.EBURL, Config.DSDURL), else
//     DNS NAPTR discovery of <cc>.<eb|dsd>.v<major>.cs.<env>.oots.tech.ec.europa.eu
//     (package csdiscovery, SPEC.md §5);
//  2. answer from the cache while the entry is fresh (Config.TTL);
//  3. GET «base»/<eb|dsd>/rest/search?queryId=…, with Accept
//     application/x-ebrs+xml and Accept-Version (oots-cs:v2.0 by default),
//     bounded by Config.Timeout and by the size of the answer;
//  4. verify the response signature (package jades: digest header and
//     detached JAdES JWS) against Config.Trust, and use only the verified body;
//  5. parse the answer (package edm) and check that it is of the version
//     asked (ErrVersion); a success is returned and cached
//     as long as its caching fields allow, at most Config.TTL (RFC 9111,
//     as a private cache: not with no-store or no-cache); an
//     EB:ERR or DSD:ERR answer becomes a *ServiceError that errors.Is matches
//     with ErrNotFound, ErrInvalidRequest or ErrAdditionalInput.
//
// Not implemented: following paging (the first page is returned, with
// Answer.Total), and conditional requests (the services send no validators).
package csclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/trust"
)

// Query identifiers (SPEC.md §3.2, §3.3).
const (
	QueryRequirements  = "urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction"
	QueryEvidenceTypes = "urn:fdc:oots:eb:ebxml-regrep:queries:evidence-types-by-requirement-and-jurisdiction"
	QueryDataServices  = "urn:fdc:oots:dsd:ebxml-regrep:queries:dataservices-by-evidencetype-and-jurisdiction"
)

// Discoverer finds the base URL of a Common Services instance
// (*csdiscovery.Resolver).
type Discoverer interface {
	Lookup(ctx context.Context, q csdiscovery.Query) (*csdiscovery.Result, error)
}

// Config configures a Client.
type Config struct {
	// EBURL and DSDURL are static base URLs (e.g.
	// "https://query.cs.acc.oots.tech.ec.europa.eu/"); the query path
	// eb/rest/search or dsd/rest/search is added. When empty, Discovery
	// finds them.
	EBURL, DSDURL string
	// Discovery finds the base URLs by DNS. Required unless both URLs are
	// set.
	Discovery Discoverer
	// Country, Major and Environment name the instance to discover
	// (defaults: Major 2, Environment csdiscovery.Production).
	Country     string
	Major       int
	Environment csdiscovery.Environment
	// CountryInPath puts Country in the query path,
	// «base»/<eb|dsd>/<CC>/rest/search: the layout of the Commission's
	// Testing Services (csdiscovery.Profile.CountryInPath).
	CountryInPath bool
	// Trust holds the anchors of the response signatures (the Commission
	// roots). Required.
	Trust *trust.Store
	// Version is the interface version asked with Accept-Version; default
	// edm.CSv20.
	Version edm.Version
	// HTTP is the HTTP client; default a client without its own timeout.
	HTTP *http.Client
	// Timeout bounds one query (connection, request and answer); default
	// 10s.
	Timeout time.Duration
	// MaxAnswer bounds the size of an answer; default 16 MiB.
	MaxAnswer int64
	// TTL is how long a successful answer is served from the cache at most:
	// an answer whose Cache-Control has no-store or no-cache is not cached,
	// one with max-age (or Expires) is cached no longer than that, one with
	// neither (the Commission's services send none) for TTL (RFC 9111
	// heuristic freshness); default 1h. A negative TTL turns the cache off.
	TTL time.Duration
	// MaxEntries bounds the cache; default 1024.
	MaxEntries int
	// MaxSignatureAge, when positive, refuses an answer whose signing
	// time (iat) lies further than this from Now (jades.VerifyOptions.MaxAge,
	// jades.ErrStale): a bound on replayed old answers. The cache serves no
	// answer beyond it either. Zero, the default, sets none (the
	// specification sets none).
	MaxSignatureAge time.Duration
	// Now is the clock of the cache and of the signature check; default
	// time.Now.
	Now func() time.Time
}

// Validate reports a configuration error, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Trust == nil:
		return errors.New("csclient: Config.Trust is required")
	case c.Discovery == nil && (c.EBURL == "" || c.DSDURL == ""):
		return errors.New("csclient: Config.Discovery is required unless Config.EBURL and Config.DSDURL are set")
	case c.Discovery != nil && c.Country == "" && (c.EBURL == "" || c.DSDURL == ""):
		return errors.New("csclient: Config.Country is required for discovery")
	case c.CountryInPath && c.Country == "":
		return errors.New("csclient: Config.Country is required with Config.CountryInPath")
	case c.Version != "" && c.Version != edm.CSv20 && c.Version != edm.CSv1:
		return fmt.Errorf("csclient: Config.Version %q is not %s or %s", c.Version, edm.CSv20, edm.CSv1)
	case c.Timeout < 0 || c.MaxAnswer < 0 || c.MaxEntries < 0 || c.MaxSignatureAge < 0:
		return errors.New("csclient: Config.Timeout, MaxAnswer, MaxEntries and MaxSignatureAge must not be negative")
	}
	for _, u := range []string{c.EBURL, c.DSDURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("csclient: Config.EBURL/DSDURL %q is not an http(s) URL", u)
		}
	}
	return nil
}

// Errors of the client. A query's error wraps one of them (errors.Is).
var (
	// ErrDiscovery: the base URL of the instance could not be found.
	ErrDiscovery = errors.New("csclient: Common Services instance not found")
	// ErrTransport: the query did not get an HTTP 200 answer in time.
	ErrTransport = errors.New("csclient: query failed")
	// ErrSignature: the answer's signature does not verify (it also wraps
	// the jades error).
	ErrSignature = errors.New("csclient: answer signature invalid")
	// ErrMalformed: the verified answer is not the answer to the query.
	ErrMalformed = errors.New("csclient: malformed answer")
	// ErrVersion: the verified answer is not of the interface version the
	// query asked with Accept-Version (Config.Version).
	ErrVersion = errors.New("csclient: answer of another version than asked")
	// ErrNotFound: an EB:ERR:0001/0002 or DSD:ERR:0001/0002 answer.
	ErrNotFound = errors.New("csclient: not found")
	// ErrInvalidRequest: the service refused the query's parameters.
	ErrInvalidRequest = errors.New("csclient: invalid request")
	// ErrAdditionalInput: DSD:ERR:0005, the user must give more input (see
	// ServiceError.Exception for what).
	ErrAdditionalInput = errors.New("csclient: additional input required")
)

// ServiceError is an error answer of the Evidence Broker or the DSD.
type ServiceError struct {
	Exception *edm.Exception
}

// Error returns "csclient: <code>: <message>: <detail>".
func (e *ServiceError) Error() string {
	return fmt.Sprintf("csclient: %s: %s: %s", e.Exception.Code, e.Exception.Message, e.Exception.Detail)
}

// Unwrap returns ErrAdditionalInput, ErrNotFound or ErrInvalidRequest by the
// code's exception type.
func (e *ServiceError) Unwrap() error {
	switch {
	case e.Exception.Code == edm.DSDErr0005:
		return ErrAdditionalInput
	case e.Exception.Type.Local == "ObjectNotFoundExceptionType":
		return ErrNotFound
	}
	return ErrInvalidRequest
}

// Answer is a verified successful answer.
type Answer struct {
	Response *edm.ServiceResponse
	// Verified is what the signature check established (signer's chain,
	// signing time).
	Verified *jades.Verified
	// Cached reports that the answer came from the cache. Answers from the
	// cache share Response with the entry: callers must not modify it.
	Cached bool
	// Expires is when the cache entry stops being fresh: Config.TTL after
	// the answer, or earlier when its Cache-Control max-age, Expires or Age
	// says so. An answer that may not be reused expires at once.
	Expires time.Time
}

// Client queries the Common Services. It is safe for concurrent use.
type Client struct {
	cfg   Config
	mu    sync.Mutex
	cache map[string]*Answer
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Major == 0 {
		cfg.Major = 2
	}
	if cfg.Environment == "" {
		cfg.Environment = csdiscovery.Production
	}
	if cfg.Version == "" {
		cfg.Version = edm.CSv20
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxAnswer == 0 {
		cfg.MaxAnswer = 16 << 20
	}
	if cfg.TTL == 0 {
		cfg.TTL = time.Hour
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 1024
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, cache: map[string]*Answer{}}, nil
}

// Requirements asks the Evidence Broker for the requirements of a procedure
// in a country; empty arguments are left out of the query.
func (c *Client) Requirements(ctx context.Context, procedure, country string) ([]*edm.Requirement, error) {
	a, err := c.Query(ctx, csdiscovery.EvidenceBroker, QueryRequirements, params("procedure-id", procedure, "country-code", country))
	if err != nil {
		return nil, err
	}
	return a.Response.Requirements(), nil
}

// EvidenceTypes asks the Evidence Broker for the evidence type lists that
// fulfil a requirement in a country.
func (c *Client) EvidenceTypes(ctx context.Context, requirement, country string) (*edm.Requirement, error) {
	a, err := c.Query(ctx, csdiscovery.EvidenceBroker, QueryEvidenceTypes, params("requirement-id", requirement, "country-code", country))
	if err != nil {
		return nil, err
	}
	rs := a.Response.Requirements()
	if len(rs) != 1 {
		return nil, fmt.Errorf("%w: %d requirements in the answer, want 1", ErrMalformed, len(rs))
	}
	return rs[0], nil
}

// DataServices asks the DSD for the data services of an evidence type in a
// country. extra holds further parameters: specification, evidence-type-id,
// and one per user-provided classification concept (concept Identifier →
// value) after a DSD:ERR:0005 answer.
func (c *Client) DataServices(ctx context.Context, classification, country string, extra map[string]string) ([]*edm.DataServiceEvidenceType, error) {
	p := params("evidence-type-classification", classification, "country-code", country)
	for k, v := range extra {
		p.Set(k, v)
	}
	a, err := c.Query(ctx, csdiscovery.DataServiceDirectory, QueryDataServices, p)
	if err != nil {
		return nil, err
	}
	return a.Response.DataServices(), nil
}

func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

// Query runs one query of a service and returns the verified answer. The
// steps are those of the package documentation.
func (c *Client) Query(ctx context.Context, svc csdiscovery.Service, queryID string, p url.Values) (*Answer, error) {
	// 1. Base URL (SPEC.md §5).
	base, err := c.base(ctx, svc)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for k, v := range p {
		q[k] = v
	}
	q.Set("queryId", queryID)
	path := string(svc)
	if c.cfg.CountryInPath {
		path += "/" + url.PathEscape(strings.ToUpper(c.cfg.Country))
	}
	u := strings.TrimSuffix(base, "/") + "/" + path + "/rest/search?" + q.Encode()
	key := string(c.cfg.Version) + " " + u

	// 2. Cache.
	now := c.cfg.Now()
	if a := c.cached(key, now); a != nil {
		return a, nil
	}

	// 3. HTTP (SPEC.md §3.1).
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	req.Header.Set("Accept", "application/x-ebrs+xml")
	req.Header.Set("Accept-Version", string(c.cfg.Version))
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: HTTP status %s from %s", ErrTransport, resp.Status, u)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", ErrTransport, err)
	}
	if int64(len(body)) > c.cfg.MaxAnswer {
		return nil, fmt.Errorf("%w: answer larger than %d bytes", ErrMalformed, c.cfg.MaxAnswer)
	}

	// 4. Signature (TDD 3.6.2); only the verified body is used after this.
	v, err := jades.Verify(resp.Header, body, jades.VerifyOptions{Trust: c.cfg.Trust, Now: now, MaxAge: c.cfg.MaxSignatureAge})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}

	// 5. Answer.
	m, _, err := edm.ParseBytes(v.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// Accept-Version selects the form of the answer: a v2.0 answer carries
	// SpecificationIdentifier oots-cs:v2.0, a v1 answer has no such slot
	// (SPEC.md §3.1). An answer of the other form would be read by the
	// rules of a version it does not follow.
	if got := m.Version(); got != c.cfg.Version {
		return nil, fmt.Errorf("%w: the query asked Accept-Version %s, the answer is %s", ErrVersion, c.cfg.Version, got)
	}
	switch m := m.(type) {
	case *edm.ErrorResponse:
		if len(m.Exceptions) == 0 {
			return nil, fmt.Errorf("%w: failure without exception", ErrMalformed)
		}
		return nil, &ServiceError{Exception: m.Exceptions[0]}
	case *edm.ServiceResponse:
		want := map[string]edm.Kind{QueryRequirements: edm.KindEBRequirements, QueryEvidenceTypes: edm.KindEBEvidenceTypes, QueryDataServices: edm.KindDSDResponse}[queryID]
		if want != "" && m.Kind() != want {
			return nil, fmt.Errorf("%w: a %s answer to %s", ErrMalformed, m.Kind(), queryID)
		}
		a := &Answer{Response: m, Verified: v, Expires: now}
		if lifetime, ok := freshness(resp.Header, now, c.cfg.TTL); ok {
			a.Expires = now.Add(lifetime)
			// The cache does not serve an answer older than
			// MaxSignatureAge allows, which the query would refuse.
			if c.cfg.MaxSignatureAge > 0 {
				if limit := v.SignedAt.Add(c.cfg.MaxSignatureAge); limit.Before(a.Expires) {
					a.Expires = limit
				}
			}
			if a.Expires.After(now) {
				c.store(key, a, now)
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("%w: a %s message", ErrMalformed, m.Kind())
}

func (c *Client) base(ctx context.Context, svc csdiscovery.Service) (string, error) {
	static := c.cfg.EBURL
	if svc == csdiscovery.DataServiceDirectory {
		static = c.cfg.DSDURL
	}
	if static != "" {
		return static, nil
	}
	r, err := c.cfg.Discovery.Lookup(ctx, csdiscovery.Query{Country: c.cfg.Country, Service: svc, Major: c.cfg.Major, Environment: c.cfg.Environment})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	return r.URL.String(), nil
}

// freshness reads the caching fields of an answer as a private cache does
// (RFC 9111; the client's cache serves only its own queries) and returns how
// long from now the answer may be served from the cache, or false when it
// may not be stored or reused:
//
//   - no-store, or no-cache without field names, in any Cache-Control field
//     line: not reused (the client cannot revalidate; §5.2.2.4, §5.2.2.5).
//     A no-cache naming fields leaves the rest of the answer reusable;
//   - max-age gives the freshness lifetime (§5.2.2.1); s-maxage is for
//     shared caches and ignored (§5.2.2.10); without max-age, Expires minus
//     Date does (§5.3; an invalid Expires is in the past); with neither, the
//     answer gets ttl as its heuristic lifetime (§4.2.2);
//   - a max-age that is not delta-seconds, or repeated with different
//     values, makes the answer stale (§4.2.1, §1.2.2); a value beyond
//     2^31 seconds counts as 2^31;
//   - the lifetime is at most ttl, and Age is subtracted (§4.2.3, §5.1);
//   - a field line that ends inside a quoted string is not reused.
//
// Directive names are compared without regard to case, arguments may be
// tokens or quoted strings, and commas inside quoted strings do not
// separate directives (§5.2, RFC 9110 §5.6).
func freshness(h http.Header, now time.Time, ttl time.Duration) (time.Duration, bool) {
	dirs, ok := cacheDirectives(h.Values("Cache-Control"))
	if !ok {
		return 0, false
	}
	var maxAge []string
	for _, d := range dirs {
		switch d.name {
		case "no-store":
			return 0, false
		case "no-cache":
			if d.arg == "" {
				return 0, false
			}
		case "max-age":
			maxAge = append(maxAge, d.arg)
		}
	}
	lifetime := ttl
	switch {
	case len(maxAge) > 0:
		secs, ok := deltaSeconds(maxAge[0])
		for _, a := range maxAge[1:] {
			if s, ok2 := deltaSeconds(a); !ok2 || s != secs {
				ok = false
			}
		}
		if !ok {
			return 0, false
		}
		lifetime = min(secs, ttl)
	case len(h.Values("Expires")) > 0:
		exp, err := http.ParseTime(h.Values("Expires")[0])
		if err != nil || len(h.Values("Expires")) > 1 {
			return 0, false
		}
		date := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			date = d
		}
		lifetime = min(exp.Sub(date), ttl)
	}
	if v := h.Get("Age"); v != "" {
		first, _, _ := strings.Cut(v, ",")
		if age, ok := deltaSeconds(strings.TrimSpace(first)); ok {
			lifetime -= age
		}
	}
	if lifetime <= 0 {
		return 0, false
	}
	return lifetime, true
}

// directive is one Cache-Control directive: its name in lower case and its
// argument, unquoted ("" when absent).
type directive struct{ name, arg string }

// cacheDirectives splits Cache-Control field lines into directives, at the
// commas outside quoted strings. A line ending inside a quoted string is
// malformed (false): what it says cannot be known, so nothing is reused.
func cacheDirectives(lines []string) ([]directive, bool) {
	var out []directive
	for _, line := range lines {
		start, quoted, escaped := 0, false, false
		for i := 0; i <= len(line); i++ {
			if i < len(line) {
				c := line[i]
				switch {
				case escaped:
					escaped = false
					continue
				case quoted && c == '\\':
					escaped = true
					continue
				case c == '"':
					quoted = !quoted
					continue
				case c != ',' || quoted:
					continue
				}
			}
			item := strings.Trim(line[start:i], " \t")
			start = i + 1
			if item == "" {
				continue
			}
			name, arg, _ := strings.Cut(item, "=")
			out = append(out, directive{strings.ToLower(strings.Trim(name, " \t")), unquote(strings.Trim(arg, " \t"))})
		}
		if quoted {
			return nil, false
		}
	}
	return out, true
}

// unquote returns the content of a quoted string (RFC 9110 §5.6.4), or s
// itself when it is not one.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// maxDeltaSeconds is the value a delta-seconds too large to represent
// counts as (RFC 9111 §1.2.2).
const maxDeltaSeconds = 1 << 31

// deltaSeconds parses RFC 9111 delta-seconds: one or more digits.
func deltaSeconds(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		if n < maxDeltaSeconds {
			n = n*10 + int(s[i]-'0')
		}
	}
	return time.Duration(min(n, maxDeltaSeconds)) * time.Second, true
}

func (c *Client) cached(key string, now time.Time) *Answer {
	if c.cfg.TTL < 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.cache[key]
	if !ok || !now.Before(a.Expires) {
		return nil
	}
	cp := *a
	cp.Cached = true
	return &cp
}

func (c *Client) store(key string, a *Answer, now time.Time) {
	if c.cfg.TTL < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) >= c.cfg.MaxEntries {
		// Drop the expired entries, then, if still full, the one that
		// expires first.
		var first string
		for k, e := range c.cache {
			if !now.Before(e.Expires) {
				delete(c.cache, k)
			} else if first == "" || e.Expires.Before(c.cache[first].Expires) {
				first = k
			}
		}
		if len(c.cache) >= c.cfg.MaxEntries {
			delete(c.cache, first)
		}
	}
	c.cache[key] = a
}

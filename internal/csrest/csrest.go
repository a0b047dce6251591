// Package csrest is the RegRep 4 REST binding as the OOTS Common Services
// use it (SPEC.md §3.1), shared by the Evidence Broker and DSD servers (eb,
// dsd): reading the query parameters of «base»/rest/search strictly (each at
// most once, bounded sizes, no control characters), the Accept-Version
// negotiation (oots-cs:v2.0 or the 1.x form), paging parameters, and writing
// an answer with HTTP 200, Content-Type application/x-ebrs+xml and the
// response signature (package jades: digest header and detached JAdES JWS).
package csrest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/jades"
)

// ContentType is the media type of RegRep answers.
const ContentType = "application/x-ebrs+xml"

// HeaderAcceptVersion is the request header that selects the interface
// version (TDD 3.6.2).
const HeaderAcceptVersion = "Accept-Version"

// Parameter names of the REST binding common to every query.
const (
	ParamQueryID    = "queryId"
	ParamStartIndex = "startIndex"
	ParamMaxResults = "maxResults"
)

// Limits on a query string.
const (
	MaxQuery  = 8 << 10 // bytes of the raw query string
	MaxValue  = 1 << 10 // bytes of one decoded value
	MaxParams = 32
)

// ParamError says why a query string was refused: the parameter concerned
// (the detail of the EB:ERR:0003 / DSD:ERR:0003 answer) and the cause.
type ParamError struct {
	Param string
	Cause string
}

// Error returns "parameter <name>: <cause>".
func (e *ParamError) Error() string { return "parameter " + e.Param + ": " + e.Cause }

// Params reads a raw query string: name=value pairs separated by "&",
// percent-decoded. A repeated name, an empty name, a value that is not UTF-8
// or holds control characters, and anything beyond the limits are refused.
// The names are returned in order of appearance.
func Params(raw string) (map[string]string, []string, error) {
	if len(raw) > MaxQuery {
		return nil, nil, &ParamError{Param: "query", Cause: fmt.Sprintf("longer than %d bytes", MaxQuery)}
	}
	m := map[string]string{}
	var order []string
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || name == "" || !clean(name) {
			return nil, nil, &ParamError{Param: printable(k), Cause: "malformed parameter name"}
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, nil, &ParamError{Param: name, Cause: "malformed percent-encoding"}
		}
		if len(val) > MaxValue {
			return nil, nil, &ParamError{Param: name, Cause: fmt.Sprintf("value longer than %d bytes", MaxValue)}
		}
		if !clean(val) {
			return nil, nil, &ParamError{Param: name, Cause: "value is not UTF-8 text without control characters"}
		}
		if _, dup := m[name]; dup {
			return nil, nil, &ParamError{Param: name, Cause: "given more than once"}
		}
		if len(m) == MaxParams {
			return nil, nil, &ParamError{Param: name, Cause: fmt.Sprintf("more than %d parameters", MaxParams)}
		}
		m[name] = val
		order = append(order, name)
	}
	return m, order, nil
}

func clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

func printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strconv.QuoteToASCII(s)
}

// ErrVersion: the Accept-Version header names no version this server speaks.
var ErrVersion = errors.New("unsupported Accept-Version")

// Version reads the Accept-Version header: oots-cs:v2.0 selects the 2.0 form;
// no header, oots-cs:v1 or oots-cs:v1.0, v1.1, v1.2 the 1.x form. Several
// comma-separated values are allowed; the first supported one wins.
func Version(h http.Header) (edm.Version, error) {
	vals := h.Values(HeaderAcceptVersion)
	if len(vals) == 0 {
		return edm.CSv1, nil
	}
	for _, line := range vals {
		for _, v := range strings.Split(line, ",") {
			switch strings.TrimSpace(v) {
			case string(edm.CSv20), "oots-cs:v2", "oots-cs:v2.0.0", "oots-cs:v2.0.1":
				return edm.CSv20, nil
			case string(edm.CSv1), "oots-cs:v1.0", "oots-cs:v1.1", "oots-cs:v1.2":
				return edm.CSv1, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %q", ErrVersion, strings.Join(vals, ","))
}

// Page is the paging of a query (RegRep 4 Part 2, REST binding canonical
// parameters startIndex and maxResults).
type Page struct {
	Start, Max int  // Max 0: no limit
	Asked      bool // a paging parameter was given
}

// ReadPage reads startIndex and maxResults from params and deletes them.
func ReadPage(params map[string]string) (Page, error) {
	var p Page
	for _, name := range []string{ParamStartIndex, ParamMaxResults} {
		v, ok := params[name]
		if !ok {
			continue
		}
		delete(params, name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return p, &ParamError{Param: name, Cause: "not an integer between 0 and 1000000"}
		}
		p.Asked = true
		if name == ParamStartIndex {
			p.Start = n
		} else {
			p.Max = n
		}
	}
	return p, nil
}

// Bounds returns the slice bounds of the page over total results.
func (p Page) Bounds(total int) (int, int) {
	lo := min(p.Start, total)
	hi := total
	if p.Max > 0 {
		hi = min(lo+p.Max, total)
	}
	return lo, hi
}

// Signer signs answers: an ECDSA P-256 key and its chain (signing
// certificate first), as jades.Sign wants them.
type Signer struct {
	Key   crypto.Signer
	Chain []*x509.Certificate
}

// NewID returns "urn:uuid:" and a random (version 4) UUID read from rnd
// (crypto/rand when nil).
func NewID(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	return uuid.NewURN(rnd)
}

// Answer is a signed answer ready to send: its headers and body. Send
// writes it with HTTP 200 — the binding reports failures in the RegRep
// status, SPEC.md §3.1.
type Answer struct {
	Header  http.Header
	Body    []byte
	expires time.Time
	gen     any
}

// NewAnswer signs body (when signer is not nil) and returns the answer.
func NewAnswer(body []byte, signer *Signer, now time.Time) (*Answer, error) {
	h := http.Header{}
	h.Set("Content-Type", ContentType)
	if signer != nil {
		if err := jades.Sign(h, body, signer.Key, signer.Chain, now); err != nil {
			return nil, err
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &Answer{Header: h, Body: body}, nil
}

// Send writes the answer with HTTP 200.
func (a *Answer) Send(w http.ResponseWriter) error {
	h := w.Header()
	for k, v := range a.Header {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(a.Body)
	return err
}

// Cache keeps signed answers by query for a while, so that a repeated query
// costs neither the answer's construction nor an ES256 signature. An entry
// is valid for one registry generation (the snapshot it was computed from)
// and until it expires; a repeated answer carries the same object ids and
// signing time as the first. It is safe for concurrent use.
type Cache struct {
	mu      sync.RWMutex
	entries map[string]*Answer
	ttl     time.Duration
	max     int
}

// NewCache returns a cache of at most max answers, each kept for ttl. A zero
// ttl or max gives a cache that keeps nothing.
func NewCache(ttl time.Duration, max int) *Cache {
	return &Cache{entries: map[string]*Answer{}, ttl: ttl, max: max}
}

// Get returns the answer to key computed for generation gen, if still
// fresh at now.
func (c *Cache) Get(key string, gen any, now time.Time) *Answer {
	if c == nil || c.max == 0 {
		return nil
	}
	c.mu.RLock()
	a := c.entries[key]
	c.mu.RUnlock()
	if a == nil || a.gen != gen || !now.Before(a.expires) {
		return nil
	}
	return a
}

// Put keeps the answer to key for generation gen.
func (c *Cache) Put(key string, gen any, now time.Time, a *Answer) {
	if c == nil || c.max == 0 || c.ttl <= 0 {
		return
	}
	a.gen, a.expires = gen, now.Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries) // simple and bounded: the working set refills
	}
	c.entries[key] = a
}

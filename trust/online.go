package trust

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ErrRevocationUnknown: the revocation status of a certificate could not be
// established online (no responder answered, no distribution point served a
// usable CRL, or the certificate names neither) and the policy of its trust
// anchor is RevocationRequire.
var ErrRevocationUnknown = errors.New("certificate revocation status unknown")

// RevocationPolicy says what a missing answer about revocation means for
// the certificates under a trust anchor.
type RevocationPolicy string

// Revocation policies.
const (
	// RevocationRequire refuses a certificate whose status no OCSP
	// responder or CRL distribution point establishes.
	RevocationRequire RevocationPolicy = "require"
	// RevocationPrefer asks online and refuses a certificate found
	// revoked, but accepts one whose status cannot be established (the
	// responders are down), with a warning in the log. The default.
	RevocationPrefer RevocationPolicy = "prefer"
	// RevocationOff does not ask online at all (the store's offline CRLs
	// still apply).
	RevocationOff RevocationPolicy = "off"
)

// ParseRevocationPolicy reads "require", "prefer" or "off"; "" is prefer.
func ParseRevocationPolicy(s string) (RevocationPolicy, error) {
	switch p := RevocationPolicy(s); p {
	case RevocationRequire, RevocationPrefer, RevocationOff:
		return p, nil
	case "":
		return RevocationPrefer, nil
	}
	return "", fmt.Errorf("trust: revocation policy %q is not require, prefer or off", s)
}

// Sources and results of an online revocation check, as counted by
// Online.Counts and written in the log.
const (
	SourceOCSP       = "ocsp" // an OCSP responder answered (RFC 6960)
	SourceCRL        = "crl"  // a CRL from a distribution point (RFC 5280 §4.2.1.13)
	SourceNone       = "none" // nothing answered
	ResultGood       = "good" // not revoked
	ResultRevoked    = "revoked"
	ResultUnknown    = "unknown"  // status not established
	DecisionAccepted = "accepted" // the certificate passed
	DecisionRefused  = "refused"  // the certificate was refused
)

// Log attribute keys.
const (
	logSubject  = "subject"
	logSerial   = "serial"
	logSource   = "source"
	logResult   = "result"
	logPolicy   = "policy"
	logDecision = "decision"
	logCause    = "cause"
)

// Online checks the revocation of the certificates a Store validates by
// asking the OCSP responders named in their authority information access
// (RFC 6960, request by HTTP POST, appendix A.1) and, when no responder
// gives an answer, the CRLs of their distribution points (RFC 5280
// §4.2.1.13, over http or https; LDAP is not fetched). Every certificate of
// a validated chain but the trust anchor is checked against its issuer;
// a directly trusted certificate (an anchor itself) is not checked online:
// removing it from the store is its revocation.
//
// An OCSP answer counts only when it is signed by the issuer or by a
// responder certificate the issuer issued for OCSP signing
// (id-kp-OCSPSigning, RFC 6960 §4.2.2.2) and is current: thisUpdate not in
// the future, nextUpdate not past. Answers are cached until their
// nextUpdate, CRLs until theirs, both at most MaxCacheAge; a responder or
// distribution point that failed is not asked again for FailureBackoff.
//
// Limits: OCSP responses signed with Ed25519 are verified only when the
// responder is the issuer itself (no embedded delegated certificate);
// delta CRLs and indirect CRLs are not read.
//
// Configure the exported fields before the first use; Online is then safe
// for concurrent use.
type Online struct {
	// Policy applies under every anchor without an entry in
	// AnchorPolicies. Default RevocationPrefer.
	Policy RevocationPolicy
	// AnchorPolicies are policies by trust anchor, keyed by the lower-case
	// hex SHA-256 of the anchor certificate (Fingerprint).
	AnchorPolicies map[string]RevocationPolicy
	// Client makes the requests; default an http.Client without proxy
	// settings beyond the environment's. Timeout bounds each request.
	Client *http.Client
	// Timeout bounds one request to a responder or distribution point;
	// default 5 s.
	Timeout time.Duration
	// MaxOCSPSize bounds an OCSP response (default 64 KiB); MaxCRLSize a
	// CRL (default 8 MiB).
	MaxOCSPSize, MaxCRLSize int64
	// MaxCacheAge bounds how long an answer or a CRL is reused, whatever
	// its nextUpdate; default 1 h. An OCSP answer without nextUpdate is
	// reused at most 5 minutes.
	MaxCacheAge time.Duration
	// FailureBackoff is how long a responder or distribution point that
	// failed is not asked again; default 30 s.
	FailureBackoff time.Duration
	// MaxEntries bounds the cached answers and CRLs; default 10000.
	MaxEntries int
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives a line for every refusal and every acceptance
	// without a known status; default slog.Default().
	Logger *slog.Logger

	mu     sync.Mutex
	status map[string]cachedStatus // by issuer key hash and serial
	crls   map[string]cachedCRL    // by URL
	down   map[string]time.Time    // URL → not before
	counts map[Outcome]uint64
}

// Outcome is one counted result of a check of one certificate.
type Outcome struct {
	// Source is SourceOCSP, SourceCRL or SourceNone.
	Source string
	// Result is ResultGood, ResultRevoked or ResultUnknown.
	Result string
	// Policy is the policy that applied.
	Policy RevocationPolicy
	// Decision is DecisionAccepted or DecisionRefused.
	Decision string
}

type cachedStatus struct {
	revoked   bool
	revokedAt time.Time
	source    string
	until     time.Time
}

type cachedCRL struct {
	crl   *x509.RevocationList
	until time.Time
}

// Fingerprint is the key of a trust anchor in Online.AnchorPolicies: the
// lower-case hex SHA-256 of its DER encoding.
func Fingerprint(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

func (o *Online) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Online) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

func (o *Online) policyFor(anchor *x509.Certificate) RevocationPolicy {
	if p, ok := o.AnchorPolicies[Fingerprint(anchor)]; ok && p != "" {
		return p
	}
	if o.Policy == "" {
		return RevocationPrefer
	}
	return o.Policy
}

func orDefault[T int64 | time.Duration | int](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// Counts returns how many certificates were checked online, by outcome.
func (o *Online) Counts() map[Outcome]uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[Outcome]uint64, len(o.counts))
	for k, v := range o.counts {
		m[k] = v
	}
	return m
}

// SortedOutcomes returns the keys of a Counts map in a stable order.
func SortedOutcomes(m map[Outcome]uint64) []Outcome {
	keys := make([]Outcome, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return strings.Join([]string{a.Source, a.Result, string(a.Policy), a.Decision}, "\x00") <
			strings.Join([]string{b.Source, b.Result, string(b.Policy), b.Decision}, "\x00")
	})
	return keys
}

func (o *Online) count(oc Outcome) {
	o.mu.Lock()
	if o.counts == nil {
		o.counts = map[Outcome]uint64{}
	}
	o.counts[oc]++
	o.mu.Unlock()
}

// checkChain checks every certificate of chain (leaf first, anchor last)
// but the anchor, under the anchor's policy. Errors wrap ErrRevoked or
// ErrRevocationUnknown.
func (o *Online) checkChain(ctx context.Context, chain []*x509.Certificate) error {
	if len(chain) < 2 {
		return nil
	}
	pol := o.policyFor(chain[len(chain)-1])
	if pol == RevocationOff {
		return nil
	}
	for i := 0; i+1 < len(chain); i++ {
		c, issuer := chain[i], chain[i+1]
		st, source, cause := o.lookup(ctx, c, issuer)
		oc := Outcome{Source: source, Policy: pol, Decision: DecisionAccepted}
		attrs := []any{slog.String(logSubject, c.Subject.String()), slog.String(logSerial, c.SerialNumber.String()),
			slog.String(logSource, source), slog.String(logPolicy, string(pol))}
		switch {
		case st == nil:
			oc.Result = ResultUnknown
			attrs = append(attrs, slog.String(logResult, ResultUnknown), slog.String(logCause, cause))
			if pol == RevocationRequire {
				oc.Decision = DecisionRefused
				o.count(oc)
				o.logger().Warn("revocation status unknown: certificate refused by policy require", append(attrs, slog.String(logDecision, DecisionRefused))...)
				return fmt.Errorf("trust: %w: %q (serial %s): %s", ErrRevocationUnknown, c.Subject.String(), c.SerialNumber, cause)
			}
			o.count(oc)
			o.logger().Warn("revocation status unknown: certificate accepted by policy prefer", append(attrs, slog.String(logDecision, DecisionAccepted))...)
		case st.revoked:
			oc.Result, oc.Decision = ResultRevoked, DecisionRefused
			o.count(oc)
			o.logger().Warn("certificate revoked", append(attrs, slog.String(logResult, ResultRevoked), slog.String(logDecision, DecisionRefused))...)
			return fmt.Errorf("trust: %w: %q (serial %s) since %s, by %s", ErrRevoked, c.Subject.String(), c.SerialNumber,
				st.revokedAt.UTC().Format(time.RFC3339), source)
		default:
			oc.Result = ResultGood
			o.count(oc)
		}
	}
	return nil
}

func statusKey(c, issuer *x509.Certificate) string {
	h := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	return string(h[:]) + c.SerialNumber.String()
}

// lookup returns the cached or fetched status of c, the source that gave
// it, or nil and why there is none.
func (o *Online) lookup(ctx context.Context, c, issuer *x509.Certificate) (*cachedStatus, string, string) {
	now := o.now()
	key := statusKey(c, issuer)
	o.mu.Lock()
	if st, ok := o.status[key]; ok && now.Before(st.until) {
		o.mu.Unlock()
		return &st, st.source, ""
	}
	o.mu.Unlock()

	var causes []string
	for _, u := range limitURLs(c.OCSPServer) {
		st, err := o.askOCSP(ctx, u, c, issuer, now)
		if err != nil {
			causes = append(causes, fmt.Sprintf("OCSP %s: %v", u, err))
			continue
		}
		if st == nil {
			causes = append(causes, fmt.Sprintf("OCSP %s: status unknown to the responder", u))
			continue
		}
		o.remember(key, *st)
		return st, SourceOCSP, ""
	}
	for _, u := range limitURLs(c.CRLDistributionPoints) {
		crl, err := o.crl(ctx, u, issuer, now)
		if err != nil {
			causes = append(causes, fmt.Sprintf("CRL %s: %v", u, err))
			continue
		}
		st := &cachedStatus{source: SourceCRL}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				st.revoked, st.revokedAt = true, e.RevocationTime
				break
			}
		}
		return st, SourceCRL, ""
	}
	if len(causes) == 0 {
		return nil, SourceNone, "the certificate names no OCSP responder and no http CRL distribution point"
	}
	return nil, SourceNone, strings.Join(causes, "; ")
}

// limitURLs keeps the first three http(s) URLs: a certificate cannot make
// a check ask more places than that.
func limitURLs(urls []string) []string {
	var out []string
	for _, u := range urls {
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			out = append(out, u)
			if len(out) == 3 {
				break
			}
		}
	}
	return out
}

func (o *Online) remember(key string, st cachedStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.status == nil {
		o.status = map[string]cachedStatus{}
	}
	o.makeRoom(len(o.status)+len(o.crls), func(now time.Time) {
		for k, v := range o.status {
			if !now.Before(v.until) {
				delete(o.status, k)
			}
		}
	})
	o.status[key] = st
}

// makeRoom drops expired entries, then arbitrary ones, while the cache
// is full. Called with o.mu held.
func (o *Online) makeRoom(n int, dropExpired func(time.Time)) {
	limit := orDefault(o.MaxEntries, 10000)
	if n < limit {
		return
	}
	dropExpired(o.now())
	for k := range o.status {
		if len(o.status)+len(o.crls) < limit {
			return
		}
		delete(o.status, k)
	}
	for k := range o.crls {
		if len(o.status)+len(o.crls) < limit {
			return
		}
		delete(o.crls, k)
	}
}

// isDown reports whether u failed less than FailureBackoff ago.
func (o *Online) isDown(u string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.down[u]
	return ok && now.Before(t)
}

func (o *Online) markDown(u string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down == nil {
		o.down = map[string]time.Time{}
	}
	if len(o.down) >= orDefault(o.MaxEntries, 10000) {
		clear(o.down)
	}
	o.down[u] = now.Add(orDefault(o.FailureBackoff, 30*time.Second))
}

var errBackoff = errors.New("failed recently, not asked again yet")

// fetch GETs (body nil) or POSTs body to u, reading at most max bytes.
func (o *Online) fetch(ctx context.Context, u string, body []byte, contentType string, max int64, now time.Time) ([]byte, error) {
	if o.isDown(u, now) {
		return nil, errBackoff
	}
	ctx, cancel := context.WithTimeout(ctx, orDefault(o.Timeout, 5*time.Second))
	defer cancel()
	method := http.MethodGet
	var rd io.Reader
	if body != nil {
		method, rd = http.MethodPost, bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		o.markDown(u, now)
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		o.markDown(u, now)
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		o.markDown(u, now)
		return nil, err
	}
	if int64(len(b)) > max {
		o.markDown(u, now)
		return nil, fmt.Errorf("answer larger than %d bytes", max)
	}
	return b, nil
}

// askOCSP asks the responder at u about c. It returns nil, nil when the
// responder does not know c.
func (o *Online) askOCSP(ctx context.Context, u string, c, issuer *x509.Certificate, now time.Time) (*cachedStatus, error) {
	req, err := ocsp.CreateRequest(c, issuer, nil)
	if err != nil {
		return nil, err
	}
	der, err := o.fetch(ctx, u, req, "application/ocsp-request", orDefault(o.MaxOCSPSize, 64<<10), now)
	if err != nil {
		return nil, err
	}
	r, err := ParseOCSP(der, c, issuer, now)
	if err != nil {
		o.markDown(u, now)
		return nil, err
	}
	maxAge := orDefault(o.MaxCacheAge, time.Hour)
	until := now.Add(maxAge)
	if r.NextUpdate.IsZero() {
		until = now.Add(min(maxAge, 5*time.Minute))
	} else if r.NextUpdate.Before(until) {
		until = r.NextUpdate
	}
	switch r.Status {
	case ocsp.Good:
		return &cachedStatus{source: SourceOCSP, until: until}, nil
	case ocsp.Revoked:
		return &cachedStatus{source: SourceOCSP, until: until, revoked: true, revokedAt: r.RevokedAt}, nil
	}
	return nil, nil
}

// clockSkew is the tolerance on an answer's thisUpdate in the future.
const clockSkew = 5 * time.Minute

// ParseOCSP parses an OCSP response (RFC 6960 §4.2.1) about c, issued by
// issuer, and verifies it as of now: signed by issuer or by a certificate
// issuer issued with the id-kp-OCSPSigning extended key usage and valid
// at now (§4.2.2.2), thisUpdate not in the future, nextUpdate (when
// present) not past (§4.2.2.1).
func ParseOCSP(der []byte, c, issuer *x509.Certificate, now time.Time) (*ocsp.Response, error) {
	// The signature is checked below: x/crypto/ocsp neither knows Ed25519
	// nor requires the OCSP signing usage of a delegated responder.
	r, err := ocsp.ParseResponseForCert(der, c, nil)
	if err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	signer := issuer
	if r.Certificate != nil && !r.Certificate.Equal(issuer) {
		d := r.Certificate
		if !bytes.Equal(d.RawIssuer, issuer.RawSubject) {
			return nil, errors.New("OCSP responder certificate not issued by the certificate's issuer")
		}
		if err := d.CheckSignatureFrom(issuer); err != nil {
			return nil, fmt.Errorf("OCSP responder certificate: %w", err)
		}
		ok := false
		for _, u := range d.ExtKeyUsage {
			ok = ok || u == x509.ExtKeyUsageOCSPSigning
		}
		if !ok {
			return nil, errors.New("OCSP responder certificate lacks the OCSP signing extended key usage")
		}
		if now.Before(d.NotBefore) || now.After(d.NotAfter) {
			return nil, errors.New("OCSP responder certificate not valid now")
		}
		signer = d
	}
	if err := checkOCSPSignature(r, signer); err != nil {
		return nil, err
	}
	if r.ThisUpdate.After(now.Add(clockSkew)) {
		return nil, fmt.Errorf("OCSP response thisUpdate %s is in the future", r.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if !r.NextUpdate.IsZero() && now.After(r.NextUpdate) {
		return nil, fmt.Errorf("OCSP response expired at %s (nextUpdate)", r.NextUpdate.UTC().Format(time.RFC3339))
	}
	return r, nil
}

func checkOCSPSignature(r *ocsp.Response, signer *x509.Certificate) error {
	if r.SignatureAlgorithm == x509.UnknownSignatureAlgorithm {
		// An Ed25519 key signs with Ed25519 only (RFC 8419): there is no
		// other algorithm to confuse it with.
		if k, ok := signer.PublicKey.(ed25519.PublicKey); ok {
			if ed25519.Verify(k, r.TBSResponseData, r.Signature) {
				return nil
			}
			return errors.New("bad OCSP signature: Ed25519 verification failure")
		}
		return errors.New("bad OCSP signature: unknown signature algorithm")
	}
	if err := signer.CheckSignature(r.SignatureAlgorithm, r.TBSResponseData, r.Signature); err != nil {
		return fmt.Errorf("bad OCSP signature: %w", err)
	}
	return nil
}

// crl returns the CRL of distribution point u, cached or fetched, verified
// against issuer and current at now.
func (o *Online) crl(ctx context.Context, u string, issuer *x509.Certificate, now time.Time) (*x509.RevocationList, error) {
	o.mu.Lock()
	cc, ok := o.crls[u]
	o.mu.Unlock()
	if ok && now.Before(cc.until) && bytes.Equal(cc.crl.RawIssuer, issuer.RawSubject) && cc.crl.CheckSignatureFrom(issuer) == nil {
		return cc.crl, nil
	}
	der, err := o.fetch(ctx, u, nil, "", orDefault(o.MaxCRLSize, 8<<20), now)
	if err != nil {
		return nil, err
	}
	crl, err := ParseCRL(der, issuer, now)
	if err != nil {
		o.markDown(u, now)
		return nil, err
	}
	until := now.Add(orDefault(o.MaxCacheAge, time.Hour))
	if crl.NextUpdate.Before(until) {
		until = crl.NextUpdate
	}
	o.mu.Lock()
	if o.crls == nil {
		o.crls = map[string]cachedCRL{}
	}
	o.makeRoom(len(o.status)+len(o.crls), func(now time.Time) {
		for k, v := range o.crls {
			if !now.Before(v.until) {
				delete(o.crls, k)
			}
		}
	})
	o.crls[u] = cachedCRL{crl: crl, until: until}
	o.mu.Unlock()
	return crl, nil
}

// ParseCRL parses a CRL (DER, or PEM "X509 CRL") from a distribution
// point and verifies it as of now: issued and signed by issuer, thisUpdate
// not in the future, nextUpdate present and not past (RFC 5280 §5.1.2.5:
// a CRL past its nextUpdate is no answer about the present).
func ParseCRL(data []byte, issuer *x509.Certificate, now time.Time) (*x509.RevocationList, error) {
	if b, _ := pem.Decode(data); b != nil && b.Type == "X509 CRL" {
		data = b.Bytes
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return nil, errors.New("CRL not issued by the certificate's issuer")
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("CRL signature: %w", err)
	}
	if crl.ThisUpdate.After(now.Add(clockSkew)) {
		return nil, fmt.Errorf("CRL thisUpdate %s is in the future", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if crl.NextUpdate.IsZero() || now.After(crl.NextUpdate) {
		return nil, fmt.Errorf("CRL is stale (nextUpdate %s)", crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	return crl, nil
}

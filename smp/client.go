package smp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/trust"
)

// Errors of a lookup, wrapped in a *LookupError; callers branch with
// errors.Is. ErrSignature, ErrUntrusted and ErrBadDocument (sign.go) may
// accompany ErrBadAnswer.
var (
	// ErrParticipantUnknown: the participant has no BDXL record, or its SMP
	// does not know it.
	ErrParticipantUnknown = errors.New("participant unknown")
	// ErrDocumentNotRegistered: the participant is known but does not
	// receive the document type, or not in the process asked, or not over
	// an accepted transport profile, or at no endpoint in service at the
	// time of the lookup.
	ErrDocumentNotRegistered = errors.New("document type not registered for the participant")
	// ErrUnreachable: the DNS or the SMP did not answer, or answered with a
	// server error or an HTTP status that asks to come back later (408
	// Request Timeout, 429 Too Many Requests): worth trying again.
	ErrUnreachable = errors.New("SMP unreachable")
	// ErrBadAnswer: the answer is refused: malformed, oversized, about
	// another participant or document type, badly signed, signed by an
	// untrusted certificate, a second redirect or one signed by another
	// certificate than it names or outside the dates it publishes for
	// that certificate, or with an endpoint certificate that is not
	// acceptable, or with no endpoint in service at the time of the
	// lookup that publishes a certificate in use then
	// (ErrNoCertificateInUse).
	ErrBadAnswer = errors.New("bad SMP answer")
)

// LookupError is a failed lookup: its kind, what was asked, where, and why.
type LookupError struct {
	Kind         error
	Participant  ID
	DocumentType ID
	// URL is the SMP URL asked, when the lookup got that far.
	URL    string
	Detail string
	Err    error
}

// Error returns "smp: <kind> (<participant>, <document type>) at <URL>:
// <detail>: <cause>".
func (e *LookupError) Error() string {
	s := fmt.Sprintf("smp: %v (participant %s, document type %s)", e.Kind, e.Participant, e.DocumentType)
	if e.URL != "" {
		s += " at " + e.URL
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
func (e *LookupError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Target is where to send a document: the result of Client.Resolve.
type Target struct {
	// URL of the receiving access point.
	URL string
	// Certificate of the receiving access point (for encryption and to
	// check its receipts' signatures): of those the endpoint publishes,
	// its encryption certificate in use at the time of the lookup
	// (Endpoint.CertificateAt).
	Certificate *x509.Certificate
	// TransportProfile of the endpoint, e.g. TransportEBMS3AS4.
	TransportProfile string
	// SMP is the SMP URL the answer came from and Signer its signing
	// certificate.
	SMP    string
	Signer *x509.Certificate
}

// Resolver finds where to send a document type to a participant in a
// process. *Client implements it; an access point that resolves some
// partners by discovery depends on this interface (or declares its own with
// the same method).
type Resolver interface {
	Resolve(ctx context.Context, participant, documentType, process ID) (Target, error)
}

var _ Resolver = (*Client)(nil)

// Client looks endpoints up: BDXL (or a fixed SMP), then the SMP, with
// signature and certificate checks and a cache. It is safe for concurrent
// use; the zero value of each optional field means its documented default.
type Client struct {
	// BDXL finds the SMP of a participant. Either BDXL or SMP is required.
	BDXL *bdxl.Resolver
	// SMP is a fixed SMP base URL used instead of BDXL.
	SMP string
	// LegacyZone, if set instead of BDXL and SMP, locates the SMP the
	// legacy Peppol way: http://<bdxl.LegacyName(participant, LegacyZone)>,
	// the host name resolved by the system resolver (CNAME/A records).
	LegacyZone string
	// Flavour of the SMP: OASIS1 (default), OASIS2 or Peppol. It selects
	// the paths asked.
	Flavour Flavour
	// Trust validates the SMP's signing certificate. Required.
	Trust *trust.Store
	// EndpointTrust, if set, validates the endpoint certificates (path,
	// validity); without it they are only checked to parse and to be valid
	// at the time of the lookup.
	EndpointTrust *trust.Store
	// TransportProfiles lists the accepted transport profiles, preferred
	// first; default any.
	TransportProfiles []string
	// HTTP is the HTTP client; default one with a 10s timeout.
	HTTP *http.Client
	// MaxBytes bounds an SMP answer; default MaxDocument (1 MiB).
	MaxBytes int64
	// CacheTTL is how long a resolved target is reused; default 10 minutes,
	// negative disables the cache.
	CacheTTL time.Duration
	// Now is the clock of certificate checks and the cache; default
	// time.Now.
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	t       Target
	expires time.Time
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Validate reports the first configuration error, naming the field.
func (c *Client) Validate() error {
	switch {
	case c.BDXL == nil && c.SMP == "" && c.LegacyZone == "":
		return errors.New("smp: Client.BDXL, Client.SMP or Client.LegacyZone is required")
	case c.Trust == nil:
		return errors.New("smp: Client.Trust (the SMP signing certificate trust store) is required")
	case c.Flavour != "" && !c.Flavour.Valid():
		return fmt.Errorf("smp: Client.Flavour %q is not %s, %s or %s", c.Flavour, OASIS1, OASIS2, Peppol)
	}
	if c.SMP != "" {
		if u, err := url.Parse(c.SMP); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("smp: Client.SMP %q is not an absolute URL", c.SMP)
		}
	}
	return nil
}

// Resolve returns where to send documentType to participant in process:
// the SMP located by BDXL (step 1), its signed service metadata (step 2),
// the signature and the SMP's certificate checked (step 3), a redirect of
// the document, or (SMP 2.0) of the process, followed once when the
// document redirecting is about what was asked (step 3a), the answer
// checked to be about what was asked (step 4), the process and, of its
// endpoints with an accepted transport profile, the most preferred in
// service now whose encryption certificate is in use now (step 5, the
// others skipped: Endpoint.CertificateAt), that certificate checked (step
// 6). The result is cached, not beyond the endpoint's or the
// certificate's window, nor beyond the activation of a certificate that
// would then be preferred, or of an endpoint or certificate that would
// let a more preferred endpoint be taken.
//
// Errors are *LookupError with kind ErrParticipantUnknown,
// ErrDocumentNotRegistered, ErrUnreachable or ErrBadAnswer.
func (c *Client) Resolve(ctx context.Context, participant, documentType, process ID) (Target, error) {
	if err := c.Validate(); err != nil {
		return Target{}, err
	}
	key := participantKey(participant) + "\x00" + documentType.String() + "\x00" + process.String()
	now := c.now()
	if t, ok := c.fromCache(key, now); ok {
		return t, nil
	}
	fail := func(kind error, u string, cause error, format string, a ...any) error {
		return &LookupError{Kind: kind, Participant: participant, DocumentType: documentType, URL: u, Detail: fmt.Sprintf(format, a...), Err: cause}
	}

	// 1. The SMP.
	base, err := c.locate(ctx, participant)
	if err != nil {
		switch {
		case errors.Is(err, bdxl.ErrNotRegistered):
			return Target{}, fail(ErrParticipantUnknown, "", err, "")
		case errors.Is(err, bdxl.ErrUnreachable):
			return Target{}, fail(ErrUnreachable, "", err, "")
		default:
			return Target{}, fail(ErrBadAnswer, "", err, "")
		}
	}

	// 2. The signed service metadata.
	u := c.metadataURL(base, participant, documentType)
	body, status, err := c.get(ctx, u)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return Target{}, fail(ErrBadAnswer, u, err, "")
		}
		return Target{}, fail(ErrUnreachable, u, err, "")
	}
	switch {
	case status == http.StatusNotFound:
		// Unknown participant or unregistered document type: the service
		// group tells which.
		gu := c.groupURL(base, participant)
		_, gstatus, gerr := c.get(ctx, gu)
		if gerr == nil && gstatus == http.StatusNotFound {
			return Target{}, fail(ErrParticipantUnknown, gu, nil, "the SMP does not know the participant")
		}
		return Target{}, fail(ErrDocumentNotRegistered, u, nil, "the SMP has no metadata for the document type")
	case transient(status):
		return Target{}, fail(ErrUnreachable, u, nil, "HTTP status %d", status)
	case status != http.StatusOK:
		return Target{}, fail(ErrBadAnswer, u, nil, "HTTP status %d", status)
	}

	// 3. Signature and signing certificate.
	m, _, signer, err := VerifyServiceMetadata(body, c.Trust, now)
	if err != nil {
		return Target{}, fail(ErrBadAnswer, u, err, "")
	}

	// signerUntil is when the redirect's window of the certificate the
	// answer is signed with ends; zero when not given.
	var signerUntil time.Time

	// 3a. A redirect to another SMP is followed once: the document's (SMP
	// 1.0 and Peppol Redirect, SMP 2.0 Redirect for any process), or that
	// of the process asked (SMP 2.0: the Redirect of the ProcessMetadata
	// listing it; other processes' endpoints do not matter then). That
	// SMP's answer must verify against the same trust store, be signed by
	// the certificate the redirect names (SMP 1.0 and Peppol
	// CertificateUID) or by one of those it carries (SMP 2.0 Certificate,
	// 0..n) for that use while the redirect publishes it in use, and not
	// redirect the process again. For that use: of the TypeCode signing or
	// of none (Redirect.SignsMetadata); the SMP 2.0 schema's Redirect
	// Certificate is "the certificate used to validate information signed
	// by the destination SMP", and its TypeCode "the use of the
	// certificate being provided" (SMP-AggregateComponents-2.0.xsd,
	// RedirectType and CertificateType), so a certificate the redirect
	// publishes for another use does not vouch for the other SMP's
	// signature, even while listed beside one that does. In use: its
	// ActivationDate and ExpirationDate (Validity).
	//
	// A document that names a participant and document type (SMP 2.0;
	// an SMP 1.0 or Peppol Redirect names neither) must name those asked
	// before its redirect is followed: another's document, even signed
	// by a trusted SMP, does not say where this participant's metadata is.
	if redirect := m.redirectFor(process); redirect != nil {
		if err := m.about(participant, documentType); err != nil {
			return Target{}, fail(ErrBadAnswer, u, nil, "the document redirecting to %s %v", redirect.URL, err)
		}
		ru, err := c.redirectURL(redirect.URL, participant, documentType)
		if err != nil {
			return Target{}, fail(ErrBadAnswer, u, err, "the redirect")
		}
		body, status, err := c.get(ctx, ru)
		switch {
		case errors.Is(err, errTooLarge):
			return Target{}, fail(ErrBadAnswer, ru, err, "")
		case err != nil:
			return Target{}, fail(ErrUnreachable, ru, err, "")
		case status == http.StatusNotFound:
			return Target{}, fail(ErrDocumentNotRegistered, ru, nil, "the SMP redirected to (from %s) has no metadata for the document type", u)
		case transient(status):
			return Target{}, fail(ErrUnreachable, ru, nil, "HTTP status %d", status)
		case status != http.StatusOK:
			return Target{}, fail(ErrBadAnswer, ru, nil, "HTTP status %d", status)
		}
		m2, _, signer2, err := VerifyServiceMetadata(body, c.Trust, now)
		if err != nil {
			return Target{}, fail(ErrBadAnswer, ru, err, "")
		}
		if again := m2.redirectFor(process); again != nil {
			return Target{}, fail(ErrBadAnswer, ru, nil, "the SMP redirected to (from %s) redirects again, to %s", u, again.URL)
		}
		if uid := redirect.CertificateUID; uid != "" && !MatchesCertificateUID(signer2, uid) {
			return Target{}, fail(ErrBadAnswer, ru, ErrUntrusted, "signed by %q, not by the certificate %q the redirect from %s names", signer2.Subject, uid, u)
		}
		if rc := redirect.Certificates; len(rc) > 0 {
			// listed is whether the signer is among the certificates,
			// others the TypeCodes it is listed with for another use, and
			// signing the entry of it for signing whose window holds
			// now, else the last of them.
			listed, signing := false, -1
			var others []string
			for i, c := range rc {
				if !bytes.Equal(c, signer2.Raw) {
					continue
				}
				listed = true
				if !redirect.SignsMetadata(i) {
					if t := strconv.Quote(redirect.typeCode(i)); !slices.Contains(others, t) {
						others = append(others, t)
					}
					continue
				}
				if signing = i; redirect.validity(i).In(now) {
					break
				}
			}
			switch v := redirect.validity(signing); {
			case !listed:
				return Target{}, fail(ErrBadAnswer, ru, ErrUntrusted, "signed by %q, not by any of the %d certificates the redirect from %s carries", signer2.Subject, len(rc), u)
			case signing < 0:
				return Target{}, fail(ErrBadAnswer, ru, ErrUntrusted, "signed by %q, which the redirect from %s carries with the TypeCode %s, not %q: a certificate for another use than signing the SMP's metadata",
					signer2.Subject, u, strings.Join(others, " and "), CertificateSigning)
			case !v.In(now):
				return Target{}, fail(ErrBadAnswer, ru, ErrUntrusted, "signed by %q, which the redirect from %s publishes for use %s, not at %s", signer2.Subject, u, v, now.Format(time.RFC3339))
			default:
				// The cached target is not used beyond the window.
				signerUntil = v.Expiration
			}
		}
		m, signer, u = m2, signer2, ru
	}

	// 4. About what was asked.
	if m.Participant.Value == "" {
		// Only an SMP 1.0 or Peppol Redirect names no participant, and
		// a redirected answer redirecting again has been refused.
		return Target{}, fail(ErrBadAnswer, u, nil, "the answer names no participant")
	}
	if err := m.about(participant, documentType); err != nil {
		return Target{}, fail(ErrBadAnswer, u, nil, "the answer %v", err)
	}

	// 5. Process and endpoint: of the endpoints of the process with an
	// accepted transport profile, in the client's order of preference,
	// the first in service now that publishes an encryption certificate
	// in use now (selectEndpoint); the others are skipped.
	var eps []Endpoint
	for _, p := range m.Processes {
		if p.ID == process || p.ID.Value == "" {
			eps = append(eps, p.Endpoints...)
		}
	}
	if len(eps) == 0 {
		return Target{}, fail(ErrDocumentNotRegistered, u, nil, "no endpoint for process %s", process)
	}
	e, ec, certUntil, err := c.selectEndpoint(eps, now)
	if err != nil {
		kind := ErrDocumentNotRegistered
		if errors.Is(err, ErrNoCertificateInUse) {
			kind = ErrBadAnswer
		}
		return Target{}, fail(kind, u, err, "process %s", process)
	}

	// 6. The endpoint's certificate in use, checked itself.
	cert, err := x509.ParseCertificate(ec.Certificate)
	if err != nil {
		return Target{}, fail(ErrBadAnswer, u, fmt.Errorf("%w: %w", ErrUntrusted, err), "the certificate of endpoint %s", e.URL)
	}
	if c.EndpointTrust != nil {
		if _, err := c.EndpointTrust.Verify(cert, trust.AnyPurpose, now); err != nil {
			return Target{}, fail(ErrBadAnswer, u, fmt.Errorf("%w: %w", ErrUntrusted, err), "the certificate of endpoint %s", e.URL)
		}
	} else if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return Target{}, fail(ErrBadAnswer, u, ErrUntrusted, "the certificate of endpoint %s is not valid now (%s to %s)", e.URL, cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	}
	t := Target{URL: e.URL, Certificate: cert, TransportProfile: e.TransportProfile, SMP: u, Signer: signer}
	c.toCache(key, t, now, e.Expiration, cert.NotAfter, signerUntil, certUntil)
	return t, nil
}

// about reports, when m names a participant and a document type, whether
// they are those asked: "is about participant …" or "is about document
// type …" when not. An SMP 1.0 or Peppol Redirect names neither, and
// passes.
func (m *ServiceMetadata) about(participant, documentType ID) error {
	if m.Participant.Value != "" && participantKey(m.Participant) != participantKey(participant) {
		return fmt.Errorf("is about participant %s", m.Participant)
	}
	if m.DocumentType.Value != "" && m.DocumentType != documentType {
		return fmt.Errorf("is about document type %s", m.DocumentType)
	}
	return nil
}

// redirectURL is the URL of the metadata a redirect points to: the
// redirect's URL itself when it is a service metadata resource (its path has
// a /services/ segment), else that URL taken as the base URL of the other SMP.
func (c *Client) redirectURL(target string, p, d ID) (string, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("redirect URL %q is not an absolute http(s) URL", target)
	}
	if strings.Contains(u.EscapedPath(), "/services/") {
		return target, nil
	}
	return c.metadataURL(strings.TrimSuffix(target, "/"), p, d), nil
}

// MatchesCertificateUID reports whether c is the certificate a
// Redirect's CertificateUID names, as the client checks the signer of the
// answer an SMP 1.0 or Peppol redirect leads to. SMP 1.0 calls it the
// certificate's "Subject Unique Identifier" without fixing a form;
// implementations publish the subject distinguished name, its common name
// or its serialNumber attribute, so each is accepted (compared without
// regard to case and spaces after commas).
func MatchesCertificateUID(c *x509.Certificate, uid string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ", ", ","))
	}
	want := norm(uid)
	for _, got := range []string{c.Subject.String(), c.Subject.CommonName, c.Subject.SerialNumber} {
		if got != "" && norm(got) == want {
			return true
		}
	}
	return false
}

func (c *Client) fromCache(key string, now time.Time) (Target, bool) {
	if c.CacheTTL < 0 {
		return Target{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cache[key]
	if !ok || !now.Before(e.expires) {
		return Target{}, false
	}
	return e.t, true
}

// toCache keeps t for the cache's time to live, not beyond any of limits
// (zero: none).
func (c *Client) toCache(key string, t Target, now time.Time, limits ...time.Time) {
	if c.CacheTTL < 0 {
		return
	}
	ttl := c.CacheTTL
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	exp := now.Add(ttl)
	for _, limit := range limits {
		if !limit.IsZero() && limit.Before(exp) {
			exp = limit
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[string]cached{}
	}
	c.cache[key] = cached{t: t, expires: exp}
}

// Forget empties the cache.
func (c *Client) Forget() {
	c.mu.Lock()
	c.cache = nil
	c.mu.Unlock()
}

// selectEndpoint returns the endpoint a lookup at now takes among eps,
// the certificate it encrypts to, and until when that choice holds (zero:
// unbounded, short of the endpoint's Expiration): the end of the
// certificate's window or the activation of one that would then be
// preferred (Endpoint.certificateAt), or the instant an endpoint skipped
// before it may be taken.
//
// The candidates are the endpoints with an accepted transport profile,
// the most preferred first (TransportProfiles), in the order of the
// document among equals. Each is taken or skipped in turn: skipped when
// it is not in service at now (its ActivationDate and ExpirationDate,
// SMP 1.0 ServiceActivationDate and ServiceExpirationDate), or when it
// publishes no encryption certificate in use at now (SMP 2.0 Certificate
// ActivationDate and ExpirationDate: a roll-over published with a gap).
// The SMP 2.0 schema lets a ProcessMetadata carry "one or more Endpoint
// elements", each of which "contains information about the network
// endpoint of the Participant", each Certificate with "the date from
// which the embedded certificate can be used" and "the date from which
// the embedded certificate can no longer be used", and an endpoint its
// "Activation date of the service" and "Expiration date of the service"
// (SMP 2.0 ServiceMetadata, cac:ProcessMetadata, cac:Endpoint,
// cac:Certificate); it says nothing of how a sender chooses among
// several endpoints. This package's reading: an endpoint that cannot be
// used at the time of the lookup is not published for that time, and the
// next that can is. SMP 1.0 (ServiceEndpointList, "one or more
// endpoints") reads alike.
//
// A certificate in use that fails its own check (Client.Resolve, step 6)
// does not make the lookup try the next endpoint: the SMP says to use it,
// and the answer is refused.
//
// When no candidate is taken, the error names every endpoint tried and
// why it was skipped, and wraps ErrNoCertificateInUse when one of them
// was skipped for want of a certificate.
func (c *Client) selectEndpoint(eps []Endpoint, now time.Time) (Endpoint, EndpointCertificate, time.Time, error) {
	var candidates []Endpoint
	for _, e := range eps {
		if c.rank(e) >= 0 {
			candidates = append(candidates, e)
		}
	}
	slices.SortStableFunc(candidates, func(a, b Endpoint) int { return c.rank(b) - c.rank(a) })
	profiles := "any"
	if len(c.TransportProfiles) > 0 {
		profiles = strings.Join(c.TransportProfiles, ", ")
	}
	if len(candidates) == 0 {
		var published []string
		for _, e := range eps {
			published = append(published, e.TransportProfile)
		}
		return Endpoint{}, EndpointCertificate{}, time.Time{}, fmt.Errorf("no endpoint with an accepted transport profile (%s): the endpoints are %s", profiles, strings.Join(published, ", "))
	}
	// retry is the first instant after now at which an endpoint skipped
	// may be taken: its activation, or that of one of its certificates.
	var retry time.Time
	later := func(t time.Time) {
		if t.After(now) && (retry.IsZero() || t.Before(retry)) {
			retry = t
		}
	}
	var skipped []string
	noCertificate := false
	for i, e := range candidates {
		if v := e.validity(); !v.In(now) {
			skipped = append(skipped, fmt.Sprintf("[%d] endpoint %s (%s) is not in service at %s: in service %s", i+1, e.URL, e.TransportProfile, now.Format(time.RFC3339), v))
			later(e.Activation)
			continue
		}
		ec, until, none := e.certificateAt(CertificateEncryption, now)
		if none != "" {
			skipped = append(skipped, fmt.Sprintf("[%d] %s", i+1, none))
			noCertificate = true
			for _, c := range e.Certificates {
				later(c.Activation)
			}
			continue
		}
		if !retry.IsZero() && (until.IsZero() || retry.Before(until)) {
			until = retry
		}
		return e, ec, until, nil
	}
	err := fmt.Errorf("%d endpoint(s) with an accepted transport profile (%s), none in service with an encryption certificate in use at %s: %s",
		len(candidates), profiles, now.Format(time.RFC3339), strings.Join(skipped, "; "))
	if noCertificate {
		err = fmt.Errorf("%w: %w", ErrNoCertificateInUse, err)
	}
	return Endpoint{}, EndpointCertificate{}, time.Time{}, err
}

// rank is how much an endpoint's transport profile is preferred: the
// higher the more, -1 when not accepted, 0 for any when TransportProfiles
// is empty.
func (c *Client) rank(e Endpoint) int {
	if len(c.TransportProfiles) == 0 {
		return 0
	}
	i := slices.Index(c.TransportProfiles, e.TransportProfile)
	if i < 0 {
		return -1
	}
	return len(c.TransportProfiles) - i
}

func (c *Client) locate(ctx context.Context, p ID) (string, error) {
	if c.SMP != "" {
		return strings.TrimSuffix(c.SMP, "/"), nil
	}
	if c.BDXL == nil {
		name, err := bdxl.LegacyName(bdxl.Participant{Scheme: p.Scheme, Value: p.Value}, c.LegacyZone)
		if err != nil {
			return "", &bdxl.Error{Kind: bdxl.ErrBadRecord, Participant: bdxl.Participant{Scheme: p.Scheme, Value: p.Value}, Err: err}
		}
		return "http://" + name, nil
	}
	u, err := c.BDXL.Lookup(ctx, bdxl.Participant{Scheme: p.Scheme, Value: p.Value})
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func (c *Client) prefix(base string) string {
	if c.Flavour == OASIS2 {
		return base + strings.TrimSuffix(PathSMP2, "/")
	}
	return base
}

func (c *Client) groupURL(base string, p ID) string {
	return c.prefix(base) + "/" + p.PathSegment()
}

func (c *Client) metadataURL(base string, p, d ID) string {
	return c.groupURL(base, p) + "/services/" + d.PathSegment()
}

var errTooLarge = errors.New("answer larger than the limit")

// get fetches u, reading at most MaxBytes of a 200 answer.
func (c *Client) get(ctx context.Context, u string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, resp.StatusCode, nil
	}
	max := c.MaxBytes
	if max <= 0 {
		max = MaxDocument
	}
	if resp.ContentLength > max {
		return nil, resp.StatusCode, fmt.Errorf("%w: Content-Length %d, limit %d bytes", errTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if int64(len(b)) > max {
		return nil, resp.StatusCode, fmt.Errorf("%w: more than %d bytes", errTooLarge, max)
	}
	return b, resp.StatusCode, nil
}

// transient reports an HTTP status of an SMP that may not be the same a
// while later: a server error, 408 Request Timeout, 429 Too Many Requests
// (RFC 9110 §15.5.9, RFC 6585 §4).
func transient(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
}

// Package bdxl finds the Service Metadata Publisher (SMP) of a participant by
// DNS: OASIS Business Document Metadata Service Location 1.0 (BDXL) as the
// eDelivery BDXL profile and the Peppol SML specification use it.
//
// The participant identifier is hashed into a DNS name (Name):
//
//	base32(SHA-256(lower-case(value))), without "=" padding, lower-case
//	+ "." + scheme + "." + zone
//
// for example 0088:123456789 in scheme iso6523-actorid-upis under the zone
// edelivery.tech.ec.europa.eu gives
// "<52 characters>.iso6523-actorid-upis.edelivery.tech.ec.europa.eu".
//
// An ebCore party identifier (OASIS ebCore Party Id Type; a scheme that
// begins with EBCorePrefix, as eDelivery SMP writes them) is hashed whole,
// and no scheme label follows (the eDelivery BDXL profile, as the
// Commission's dynamic discovery client and SML compute it): the scheme and
// the value joined by ":" make one URN, and
//
//	base32(SHA-256(lower-case(URN))) + "." + zone
//
// so "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088" with value
// "123456789", "urn:oasis:names:tc:ebcore:partyid-type:iso6523" with value
// "0088:123456789" (the OASIS SMP form, "…:iso6523::0088:123456789") and the
// whole URN without a scheme ("::urn:…", the eDelivery URL form) are the same
// participant under the same name. Its
// U-NAPTR records (RFC 4848) with the service "Meta:SMP" give the SMP's base
// URL (Resolver.Lookup). The legacy Peppol form (LegacyName: "B-" and the
// hexadecimal MD5 of the lower-cased value, resolved by CNAME/A records to
// the SMP host, URL "http://<name>/") is computed for publishers that still
// serve it; it needs no NAPTR lookup.
//
// The DNS client and the NAPTR record handling are those of package
// csdiscovery (Client.LookupNAPTR, SortNAPTR, NAPTR.URI): answers are bounded
// in size, non-terminal chains are bounded and loops detected, and only the
// constant U-NAPTR regexp form is accepted.
//
// Errors are *Error values whose Kind tells "participant not registered"
// (ErrNotRegistered: the name does not exist, or has no Meta:SMP record) from
// "the DNS answer is wrong or hostile" (ErrBadRecord) and "the DNS cannot be
// reached" (ErrUnreachable).
//
// DNSSEC: a csdiscovery.Client with DNSSEC set to DNSSECAuto or
// DNSSECRequire validates the answers from its trust anchor (the root, or
// the SML zone's own DS); an answer not proven authentic is an
// ErrBadRecord wrapping csdiscovery.ErrInsecure.
//
// Not implemented: the CNAME-based legacy lookup itself
// (the standard resolver does it when the SMP URL is fetched), and identifier
// schemes whose value is case-sensitive (the value is always lower-cased, as
// Peppol's iso6523-actorid-upis requires).
package bdxl

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/oots-go/oots/csdiscovery"
)

// Service is the NAPTR service field of an SMP record (BDXL 1.0,
// eDelivery BDXL profile).
const Service = "Meta:SMP"

// Zones of the European Commission's SML (eDelivery BDMSL) instances.
const (
	ZoneEDelivery     = "edelivery.tech.ec.europa.eu"
	ZoneEDeliveryTest = "acc.edelivery.tech.ec.europa.eu"
)

// Participant is a participant identifier: its scheme (e.g.
// "iso6523-actorid-upis") and value (e.g. "0088:123456789").
type Participant struct {
	Scheme, Value string
}

// EBCorePrefix begins every ebCore party identifier (OASIS ebCore Party Id
// Type 1.0); it is compared without regard to case.
const EBCorePrefix = "urn:oasis:names:tc:ebcore:partyid-type:"

// EBCore returns p as one ebCore party identifier URN (the scheme and the
// value joined by ":", or the value alone when there is no scheme) and true,
// or "" and false when p is not an ebCore party identifier.
func (p Participant) EBCore() (string, bool) {
	urn := p.Value
	if p.Scheme != "" {
		urn = p.Scheme + ":" + p.Value
	}
	if len(urn) < len(EBCorePrefix) || !strings.EqualFold(urn[:len(EBCorePrefix)], EBCorePrefix) {
		return "", false
	}
	return urn, true
}

// String returns "scheme::value", the form of the SMP URL paths.
func (p Participant) String() string {
	if p.Scheme == "" {
		return p.Value
	}
	return p.Scheme + "::" + p.Value
}

// ErrIdentifier is returned by ParseParticipant and Name for an identifier
// that cannot be placed in the DNS.
var ErrIdentifier = errors.New("bdxl: bad participant identifier")

// ParseParticipant reads "scheme::value". A string without "::" is a value
// without scheme.
func ParseParticipant(s string) (Participant, error) {
	var p Participant
	if scheme, value, ok := strings.Cut(s, "::"); ok {
		p = Participant{Scheme: scheme, Value: value}
	} else {
		p = Participant{Value: s}
	}
	return p, p.check()
}

func (p Participant) check() error {
	if strings.TrimSpace(p.Value) == "" {
		return fmt.Errorf("%w: empty value", ErrIdentifier)
	}
	if _, ebcore := p.EBCore(); p.Scheme != "" && !ebcore {
		if len(p.Scheme) > 63 {
			return fmt.Errorf("%w: scheme %q is longer than a DNS label (63)", ErrIdentifier, p.Scheme)
		}
		for _, c := range p.Scheme {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%w: scheme %q has %q, not a DNS label character", ErrIdentifier, p.Scheme, c)
			}
		}
	}
	return nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Hash returns the eDelivery/Peppol BDXL hash of an identifier value: the
// base32 encoding (RFC 4648 §6) of the SHA-256 of the lower-cased value,
// without padding, lower-cased (52 characters, one DNS label).
func Hash(value string) string {
	h := sha256.Sum256([]byte(strings.ToLower(value)))
	return strings.ToLower(b32.EncodeToString(h[:]))
}

// LegacyHash returns the Peppol SML legacy label: "B-" and the lower-case
// hexadecimal MD5 of the lower-cased value.
func LegacyHash(value string) string {
	h := md5.Sum([]byte(strings.ToLower(value)))
	return "B-" + hex.EncodeToString(h[:])
}

// Name returns the DNS name whose NAPTR records locate p's SMP under zone:
// Hash(value).scheme.zone (the scheme label is left out when empty), or
// Hash(URN).zone for an ebCore party identifier (see EBCore).
func Name(p Participant, zone string) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	if urn, ok := p.EBCore(); ok {
		return join(Hash(urn), "", zone), nil
	}
	return join(Hash(p.Value), p.Scheme, zone), nil
}

// LegacyName returns the Peppol legacy host name of p's SMP under zone:
// LegacyHash(value).scheme.zone, or LegacyHash(URN).zone for an ebCore
// party identifier (by the same rule as Name; no published record shows
// this legacy form for ebCore). The SMP's base URL is "http://" + name +
// "/".
func LegacyName(p Participant, zone string) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	if urn, ok := p.EBCore(); ok {
		return join(LegacyHash(urn), "", zone), nil
	}
	return join(LegacyHash(p.Value), p.Scheme, zone), nil
}

func join(hash, scheme, zone string) string {
	labels := []string{hash}
	if scheme != "" {
		labels = append(labels, strings.ToLower(scheme))
	}
	if z := strings.Trim(strings.ToLower(zone), "."); z != "" {
		labels = append(labels, z)
	}
	return strings.Join(labels, ".")
}

// Errors of a lookup, wrapped in an *Error; callers branch with errors.Is.
var (
	// ErrNotRegistered: the participant's name does not exist in the zone
	// or has no usable Meta:SMP record: the participant is unknown to the
	// network.
	ErrNotRegistered = errors.New("participant not registered in the BDXL zone")
	// ErrBadRecord: the answer is malformed or hostile: a record loop, too
	// many non-terminal records, a regexp other than the constant U-NAPTR
	// form, a URL of a scheme not accepted, an oversized answer.
	ErrBadRecord = errors.New("bad BDXL record")
	// ErrUnreachable: the DNS server did not answer, or answered with a
	// failure code.
	ErrUnreachable = errors.New("BDXL DNS unreachable")
)

// Error is a lookup error: its kind, the participant, the name looked up and
// the cause.
type Error struct {
	Kind        error
	Participant Participant
	Name        string
	Detail      string
	Err         error
}

// Error returns "bdxl: <kind> for <participant> (<name>): <detail>: <cause>".
func (e *Error) Error() string {
	s := fmt.Sprintf("%v for %s (%s)", e.Kind, e.Participant, e.Name)
	if !strings.HasPrefix(s, "bdxl: ") {
		s = "bdxl: " + s
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

// NAPTRLookup is what a Resolver needs of a DNS client;
// *csdiscovery.Client implements it.
type NAPTRLookup interface {
	LookupNAPTR(ctx context.Context, name string) ([]csdiscovery.NAPTR, error)
}

var _ NAPTRLookup = (*csdiscovery.Client)(nil)

// Resolver finds SMPs by U-NAPTR lookup. The zero value of each field but DNS
// and Zone means its documented default. It is safe for concurrent use.
type Resolver struct {
	// DNS asks the DNS server; typically a *csdiscovery.Client.
	DNS NAPTRLookup
	// Zone is the SML zone, e.g. ZoneEDelivery.
	Zone string
	// MaxRewrites bounds the non-terminal NAPTR records followed; default 4.
	MaxRewrites int
	// AllowHTTP accepts http SMP URLs besides https (SMP 1.0 and Peppol SMPs
	// are commonly served over http on port 80; their answers are signed).
	AllowHTTP bool
}

// Validate reports the first configuration error, naming the field.
func (r *Resolver) Validate() error {
	switch {
	case r.DNS == nil:
		return errors.New("bdxl: Resolver.DNS is not set")
	case strings.Trim(r.Zone, ".") == "":
		return errors.New("bdxl: Resolver.Zone is not set")
	case r.MaxRewrites < 0:
		return errors.New("bdxl: Resolver.MaxRewrites is negative")
	}
	return nil
}

// Lookup returns the base URL of p's SMP: the NAPTR records of Name(p, Zone)
// with service Meta:SMP (case-insensitive), in order and preference (RFC
// 3403 §4.1), the first terminal U record whose constant URI is an accepted
// URL; non-terminal records are followed to their replacement, at most
// MaxRewrites times and never back to a name already visited.
func (r *Resolver) Lookup(ctx context.Context, p Participant) (*url.URL, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	first, err := Name(p, r.Zone)
	if err != nil {
		return nil, err
	}
	fail := func(kind error, cause error, format string, a ...any) error {
		return &Error{Kind: kind, Participant: p, Name: first, Detail: fmt.Sprintf(format, a...), Err: cause}
	}
	max := r.MaxRewrites
	if max == 0 {
		max = 4
	}
	name := first
	visited := map[string]bool{}
	for step := 0; ; step++ {
		if visited[name] {
			return nil, fail(ErrBadRecord, nil, "NAPTR records loop back to %s", name)
		}
		if step > max {
			return nil, fail(ErrBadRecord, nil, "more than %d non-terminal NAPTR records in a row", max)
		}
		visited[name] = true
		recs, err := r.DNS.LookupNAPTR(ctx, name)
		cause := dnsCause(err)
		switch {
		case errors.Is(err, csdiscovery.ErrNoRecord):
			if name != first {
				return nil, fail(ErrBadRecord, cause, "the NAPTR chain leads to %s, which has no record", name)
			}
			return nil, fail(ErrNotRegistered, cause, "")
		case errors.Is(err, csdiscovery.ErrUnreachable):
			return nil, fail(ErrUnreachable, cause, "")
		case err != nil:
			return nil, fail(ErrBadRecord, cause, "")
		}
		csdiscovery.SortNAPTR(recs)
		var problems []string
		next := ""
		for _, n := range recs {
			if !strings.EqualFold(n.Service, Service) {
				continue
			}
			if n.Terminal() {
				uri, err := n.URI()
				if err == nil {
					var u *url.URL
					if u, err = r.checkURL(uri); err == nil {
						return u, nil
					}
				}
				problems = append(problems, err.Error())
				continue
			}
			if n.NonTerminal() && n.Regexp == "" {
				next = n.Replacement
				break
			}
			problems = append(problems, fmt.Sprintf("record %s is neither a terminal U-NAPTR record nor a plain non-terminal one", n))
		}
		if next == "" {
			if len(problems) == 0 {
				if name != first {
					return nil, fail(ErrBadRecord, nil, "the NAPTR chain leads to %s, which has no %s record", name, Service)
				}
				return nil, fail(ErrNotRegistered, nil, "no %s record", Service)
			}
			return nil, fail(ErrBadRecord, nil, "%s", strings.Join(problems, "; "))
		}
		name = next
	}
}

// dnsCause restates an error of the DNS client without its Common Services
// wording: the server asked, what it answered, and the underlying cause.
func dnsCause(err error) error {
	var ce *csdiscovery.Error
	if !errors.As(err, &ce) {
		return err
	}
	msg := fmt.Sprintf("DNS server %s: %s", ce.Server, ce.Detail)
	if ce.Err != nil {
		return fmt.Errorf("%s: %w", msg, ce.Err)
	}
	return errors.New(msg)
}

func (r *Resolver) checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("SMP URL %q: %v", s, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && r.AllowHTTP:
	default:
		return nil, fmt.Errorf("SMP URL %q: scheme %q is not accepted (https only unless AllowHTTP)", s, u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("SMP URL %q is not a base URL (host, no user, query or fragment)", s)
	}
	return u, nil
}

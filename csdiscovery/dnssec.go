package csdiscovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// This file validates answers with DNSSEC (RFC 4033, 4034, 4035, 5155) as a
// validating stub: the client asks its server with the DO and CD bits and
// checks every signature itself, from a configured trust anchor down to the
// zone of the name looked up (RFC 4035 §5):
//
//  1. the anchor's DNSKEY RRset, signed by a key the anchor names (a DS
//     digest or the DNSKEY itself);
//  2. for each label below the anchor down to the name: the DS RRset of
//     that name, signed by the current zone, makes it the next secure zone
//     (its DNSKEY RRset signed by a key a DS names); a signed NSEC or NSEC3
//     record matching the name, with NS but neither DS nor SOA in its type
//     bitmap, or a signed NSEC3 opt-out span covering it, proves an
//     unsigned delegation (RFC 4035 §5.2, RFC 5155 §8.9);
//  3. the answer's RRsets (NAPTR, CNAME), signed by the current zone and not
//     expanded from a wildcard; a negative answer must carry signed NSEC or
//     NSEC3 records that match or cover the name.
//
// Limits, stated so that nothing is implied: the wildcard part of a proof
// of non-existence (RFC 4035 §5.4, RFC 5155 §8.4) is not checked, and
// wildcard-expanded answers are refused (Common Services records are not
// wildcards); a CNAME leading out of the zone is refused; keys are not
// cached across lookups (the Resolver caches the discovered URL instead);
// RFC 5011 rollover of the trust anchor is not followed: the anchors are
// configuration.

// DNSSECMode says whether and when answers must be validated.
type DNSSECMode string

// The DNSSEC modes.
const (
	// DNSSECOff takes answers as the server gives them (the zero value).
	DNSSECOff DNSSECMode = "off"
	// DNSSECAuto validates whenever the name is below a trust anchor: the
	// answer must be proven authentic, or the name proven to lie in an
	// unsigned zone (a signed proof that the delegation has no DS). An
	// answer that can be neither is refused with ErrInsecure.
	DNSSECAuto DNSSECMode = "auto"
	// DNSSECRequire accepts only answers proven authentic: an unsigned
	// zone, or a name outside every trust anchor, is refused.
	DNSSECRequire DNSSECMode = "require"
)

func (m DNSSECMode) validates() bool { return m == DNSSECAuto || m == DNSSECRequire }

func (m DNSSECMode) check() error {
	switch m {
	case "", DNSSECOff, DNSSECAuto, DNSSECRequire:
		return nil
	}
	return fmt.Errorf("DNSSEC mode %q is none of off, auto, require", string(m))
}

// ParseDNSSECMode reads "off", "auto" or "require" ("" is off).
func ParseDNSSECMode(s string) (DNSSECMode, error) {
	m := DNSSECMode(strings.ToLower(strings.TrimSpace(s)))
	if m == "" {
		m = DNSSECOff
	}
	return m, m.check()
}

// ErrInsecure is wrapped, with ErrBadRecord, by the errors of a lookup
// whose answer DNSSEC validation could not prove authentic: a bad or
// expired signature, a key the anchor does not name, a stripped signature,
// an unsigned zone where validation is required.
var ErrInsecure = errors.New("DNSSEC validation failed")

// RootTrustAnchors is the root zone's trust anchors in zone-file form: the
// DS records of KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696), as
// IANA publishes them in root-anchors.xml.
const RootTrustAnchors = `. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`

// ParseTrustAnchors reads DS or DNSKEY records in zone-file form (one a
// line; comments with ";"), all of one owner: the zone validation starts
// from. A private or test zone is anchored with its own DS or DNSKEY.
func ParseTrustAnchors(text string) ([]dns.RR, error) {
	if len(text) > maxTrustAnchorText {
		return nil, fmt.Errorf("csdiscovery: trust anchors: text longer than %d bytes", maxTrustAnchorText)
	}
	zp := dns.NewZoneParser(strings.NewReader(text), ".", "")
	var rrs []dns.RR
	owner := ""
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch r := rr.(type) {
		case *dns.DS:
			if !digestSupported(r.DigestType) {
				return nil, fmt.Errorf("csdiscovery: trust anchor %s: digest type %d is not supported (SHA-256 or SHA-384)", r, r.DigestType)
			}
		case *dns.DNSKEY:
		default:
			return nil, fmt.Errorf("csdiscovery: trust anchor %s is neither DS nor DNSKEY", rr)
		}
		if !algorithmSupported(algorithmOf(rr)) {
			return nil, fmt.Errorf("csdiscovery: trust anchor %s: algorithm %d is not supported", rr, algorithmOf(rr))
		}
		n := strings.ToLower(rr.Header().Name)
		if !dns.IsFqdn(n) {
			return nil, fmt.Errorf("csdiscovery: trust anchor %s: owner name %q is not a fully qualified domain name", rr, n)
		}
		if len(rrs) > 0 && n != owner {
			return nil, fmt.Errorf("csdiscovery: trust anchors of two zones (%s and %s); give those of one", owner, n)
		}
		owner = n
		rrs = append(rrs, rr)
		if len(rrs) > 16 {
			return nil, errors.New("csdiscovery: more than 16 trust anchors")
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("csdiscovery: trust anchors: %w", err)
	}
	if len(rrs) == 0 {
		return nil, errors.New("csdiscovery: no trust anchor in the text")
	}
	return rrs, nil
}

// maxTrustAnchorText bounds the anchors' text: 16 DNSKEY records of the
// largest key (RSA-4096, about 700 bytes each in presentation form) fit in it.
const maxTrustAnchorText = 64 << 10

func algorithmOf(rr dns.RR) uint8 {
	switch r := rr.(type) {
	case *dns.DS:
		return r.Algorithm
	case *dns.DNSKEY:
		return r.Algorithm
	}
	return 0
}

// algorithmSupported lists the signing algorithms accepted (RFC 8624 §3.1
// MUST and RECOMMENDED): RSA/SHA-256 and SHA-512, ECDSA P-256 and P-384,
// Ed25519. RSA/SHA-1 and older are refused.
func algorithmSupported(a uint8) bool {
	switch a {
	case dns.RSASHA256, dns.RSASHA512, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return true
	}
	return false
}

// digestSupported lists the DS digests accepted (RFC 8624 §3.3): SHA-256
// and SHA-384; SHA-1 is refused.
func digestSupported(d uint8) bool { return d == dns.SHA256 || d == dns.SHA384 }

func (c *Client) anchors() ([]dns.RR, error) {
	if len(c.TrustAnchors) > 0 {
		return c.TrustAnchors, nil
	}
	return ParseTrustAnchors(RootTrustAnchors)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// insecure returns an ErrBadRecord error wrapping ErrInsecure.
func insecure(format string, a ...any) *Error {
	return &Error{Kind: ErrBadRecord, Detail: fmt.Sprintf(format, a...), Err: ErrInsecure}
}

// validator is the state of one validated lookup: the deepest zone found
// on the way to the name, and its validated keys (nil when the name was
// proven to be in an unsigned zone).
type validator struct {
	c      *Client
	zone   string // canonical FQDN, "." for the root
	keys   []*dns.DNSKEY
	secure bool
	// why says how the name was found insecure (for the error of
	// DNSSECRequire).
	why string
}

// fqdn returns the canonical (lower-case, trailing dot) form of a name.
func fqdn(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// newValidator establishes the chain of trust from the anchor to the zone
// of qname (steps 1 and 2 of the file comment).
func (c *Client) newValidator(ctx context.Context, qname string) (*validator, error) {
	anchors, err := c.anchors()
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Detail: "trust anchors", Err: err}
	}
	name := fqdn(qname)
	v := &validator{c: c, zone: strings.ToLower(anchors[0].Header().Name)}
	if !dns.IsSubDomain(v.zone, name) {
		v.why = fmt.Sprintf("the name is outside the trust anchor's zone %s", v.zone)
		return v, nil
	}
	if v.keys, err = v.zoneKeys(ctx, v.zone, anchors); err != nil {
		return nil, err
	}
	v.secure = true
	labels := dns.SplitDomainName(name)
	below := len(labels) - dns.CountLabel(v.zone)
	for i := below - 1; i >= 0; i-- {
		child := fqdn(strings.Join(labels[i:], "."))
		done, err := v.descend(ctx, child)
		if err != nil || done {
			return v, err
		}
	}
	return v, nil
}

// descend asks for the DS RRset of child, a name one label below the ground
// covered so far, and moves the validator into child when it is a signed
// zone. It returns done when nothing below needs asking: the name is proven
// to be in an unsigned zone, or child does not exist.
func (v *validator) descend(ctx context.Context, child string) (done bool, err error) {
	resp, err := v.c.exchange(ctx, strings.TrimSuffix(child, "."), dns.TypeDS, true)
	if err != nil {
		return false, err
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return true, nil // nothing below exists; the answer to the question will be judged
	default:
		return false, rcodeError(resp)
	}
	ds, err := v.verifiedSet(resp.Answer, child, dns.TypeDS)
	if err != nil {
		return false, err
	}
	if len(ds) > 0 {
		keys, err := v.zoneKeys(ctx, child, ds)
		if err != nil {
			return false, err
		}
		v.zone, v.keys = child, keys
		return false, nil
	}
	// No DS: a proof of an unsigned delegation, or child is no zone cut.
	for _, rr := range v.verifiedDenials(resp.Ns) {
		switch r := rr.(type) {
		case *dns.NSEC:
			if fqdn(r.Hdr.Name) == child && hasType(r.TypeBitMap, dns.TypeNS) && !hasType(r.TypeBitMap, dns.TypeDS) && !hasType(r.TypeBitMap, dns.TypeSOA) {
				v.secure, v.keys, v.why = false, nil, fmt.Sprintf("%s is an unsigned delegation (signed NSEC without DS)", child)
				return true, nil
			}
		case *dns.NSEC3:
			if r.Match(child) && hasType(r.TypeBitMap, dns.TypeNS) && !hasType(r.TypeBitMap, dns.TypeDS) && !hasType(r.TypeBitMap, dns.TypeSOA) {
				v.secure, v.keys, v.why = false, nil, fmt.Sprintf("%s is an unsigned delegation (signed NSEC3 without DS)", child)
				return true, nil
			}
			if r.Flags&1 == 1 && r.Cover(child) && v.enclosed(resp.Ns, child) {
				v.secure, v.keys, v.why = false, nil, fmt.Sprintf("%s lies in a signed NSEC3 opt-out span", child)
				return true, nil
			}
		}
	}
	return false, nil
}

// enclosed reports whether a verified NSEC3 record matches the parent of
// child: with the opt-out span covering child, the closest encloser proof
// of RFC 5155 §7.2.1.
func (v *validator) enclosed(ns []dns.RR, child string) bool {
	parent := "."
	if i, end := dns.NextLabel(child, 0); !end {
		parent = child[i:]
	}
	for _, rr := range v.verifiedDenials(ns) {
		if r, ok := rr.(*dns.NSEC3); ok && r.Match(parent) {
			return true
		}
	}
	return false
}

func hasType(bitmap []uint16, t uint16) bool {
	for _, b := range bitmap {
		if b == t {
			return true
		}
	}
	return false
}

// zoneKeys fetches the DNSKEY RRset of zone and returns it once a signature
// by a key named by trusted (DS records, or DNSKEYs of a trust anchor)
// verifies it (RFC 4035 §5.2).
func (v *validator) zoneKeys(ctx context.Context, zone string, trusted []dns.RR) ([]*dns.DNSKEY, error) {
	resp, err := v.c.exchange(ctx, strings.TrimSuffix(zone, "."), dns.TypeDNSKEY, true)
	if err != nil {
		return nil, err
	}
	if e := rcodeError(resp); e != nil {
		return nil, insecure("no DNSKEY RRset for %s: %s", zone, e.Detail)
	}
	var set []dns.RR
	var keys []*dns.DNSKEY
	for _, rr := range resp.Answer {
		if k, ok := rr.(*dns.DNSKEY); ok && fqdn(k.Hdr.Name) == zone {
			set = append(set, k)
			if k.Protocol == 3 && k.Flags&dns.ZONE != 0 && k.Flags&dns.REVOKE == 0 {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil, insecure("%s has no DNSKEY record (the zone is unsigned, or signatures were stripped)", zone)
	}
	var entry []*dns.DNSKEY
	for _, k := range keys {
		for _, t := range trusted {
			if keyMatches(k, t) {
				entry = append(entry, k)
				break
			}
		}
	}
	if len(entry) == 0 {
		return nil, insecure("no DNSKEY of %s matches its DS or trust anchor (key tags %s)", zone, keyTags(keys))
	}
	if err := v.verify(set, resp.Answer, zone, entry); err != nil {
		return nil, insecure("DNSKEY RRset of %s: %v", zone, err)
	}
	return keys, nil
}

// keyMatches reports whether key k is the one a DS record or an anchor
// DNSKEY names (RFC 4034 §5.1.4 digest).
func keyMatches(k *dns.DNSKEY, t dns.RR) bool {
	if !algorithmSupported(k.Algorithm) {
		return false
	}
	switch a := t.(type) {
	case *dns.DS:
		if a.KeyTag != k.KeyTag() || a.Algorithm != k.Algorithm || !digestSupported(a.DigestType) {
			return false
		}
		d := k.ToDS(a.DigestType)
		return d != nil && strings.EqualFold(d.Digest, a.Digest)
	case *dns.DNSKEY:
		return a.Algorithm == k.Algorithm && a.PublicKey == k.PublicKey && a.Flags == k.Flags
	}
	return false
}

func keyTags(keys []*dns.DNSKEY) string {
	var s []string
	for _, k := range keys {
		s = append(s, fmt.Sprint(k.KeyTag()))
	}
	return strings.Join(s, ", ")
}

// Bounds on the work one answer can cause (the "KeyTrap" attacks,
// CVE-2023-50387 and CVE-2023-50868: many keys sharing a tag, many
// signatures, costly NSEC3 hashing).
const (
	// maxSignatureChecks bounds the signature verifications for one RRset.
	maxSignatureChecks = 8
	// maxNSEC3Iterations: NSEC3 records with more iterations are ignored,
	// as RFC 9276 §3.2 allows (a proof that needs them fails).
	maxNSEC3Iterations = 100
)

// verify checks that one RRSIG among sigs over set, made by the signer zone
// with one of keys, verifies now and is not a wildcard expansion. At most
// maxSignatureChecks verifications are tried.
func (v *validator) verify(set, sigs []dns.RR, signer string, keys []*dns.DNSKEY) error {
	if len(set) == 0 {
		return errors.New("empty RRset")
	}
	h := set[0].Header()
	owner := fqdn(h.Name)
	var problems []string
	checks := 0
	for _, rr := range sigs {
		s, ok := rr.(*dns.RRSIG)
		if !ok || s.TypeCovered != h.Rrtype || fqdn(s.Hdr.Name) != owner {
			continue
		}
		switch {
		case fqdn(s.SignerName) != signer:
			problems = append(problems, fmt.Sprintf("signature by %s, not by the zone %s", s.SignerName, signer))
			continue
		case int(s.Labels) != dns.CountLabel(owner):
			problems = append(problems, "a wildcard expansion (refused)")
			continue
		case !algorithmSupported(s.Algorithm):
			problems = append(problems, fmt.Sprintf("algorithm %d is not supported", s.Algorithm))
			continue
		case !s.ValidityPeriod(v.c.now()):
			problems = append(problems, fmt.Sprintf("signature (key tag %d) outside its validity period %s to %s", s.KeyTag,
				dns.TimeToString(s.Inception), dns.TimeToString(s.Expiration)))
			continue
		}
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm {
				continue
			}
			if checks++; checks > maxSignatureChecks {
				return fmt.Errorf("%s %s: more than %d signature checks needed; refused", owner, dns.TypeToString[h.Rrtype], maxSignatureChecks)
			}
			if err := s.Verify(k, set); err != nil {
				problems = append(problems, fmt.Sprintf("signature with key %d does not verify: %v", s.KeyTag, err))
				continue
			}
			clampTTL(set, s, v.c.now())
			return nil
		}
		problems = append(problems, fmt.Sprintf("no valid key with tag %d", s.KeyTag))
	}
	if len(problems) == 0 {
		return fmt.Errorf("%s %s is not signed", owner, dns.TypeToString[h.Rrtype])
	}
	return fmt.Errorf("%s %s: %s", owner, dns.TypeToString[h.Rrtype], strings.Join(problems, "; "))
}

// clampTTL lowers the TTL of a verified RRset to the signed original TTL and
// to the time left until the signature expires (RFC 4035 §5.3.3): the TTL
// itself is not signed, and a record must not be kept beyond what its
// signature vouches for.
func clampTTL(set []dns.RR, s *dns.RRSIG, now time.Time) {
	limit := s.OrigTtl
	if left := int64(s.Expiration) - now.Unix(); left >= 0 && left < int64(limit) {
		limit = uint32(left)
	}
	for _, rr := range set {
		if h := rr.Header(); h.Ttl > limit {
			h.Ttl = limit
		}
	}
}

// rrset returns the records of section with the given owner and type.
func rrset(section []dns.RR, owner string, t uint16) []dns.RR {
	var set []dns.RR
	for _, rr := range section {
		h := rr.Header()
		if h.Rrtype == t && h.Class == dns.ClassINET && fqdn(h.Name) == owner {
			set = append(set, rr)
		}
	}
	return set
}

// verifiedSet returns the RRset of owner and type in section once verified
// with the current zone's keys, nil when there is none.
func (v *validator) verifiedSet(section []dns.RR, owner string, t uint16) ([]dns.RR, error) {
	set := rrset(section, owner, t)
	if len(set) == 0 {
		return nil, nil
	}
	if err := v.verify(set, section, v.zone, v.keys); err != nil {
		return nil, insecure("%v", err)
	}
	return set, nil
}

// verifiedDenials returns the NSEC and NSEC3 records of section whose
// RRset verifies with the current zone's keys; others are dropped.
func (v *validator) verifiedDenials(section []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range section {
		h := rr.Header()
		if h.Rrtype != dns.TypeNSEC && h.Rrtype != dns.TypeNSEC3 {
			continue
		}
		if n3, ok := rr.(*dns.NSEC3); ok && (n3.Iterations > maxNSEC3Iterations || n3.Hash != dns.SHA1) {
			continue
		}
		if v.verify([]dns.RR{rr}, section, v.zone, v.keys) == nil {
			out = append(out, rr)
		}
	}
	return out
}

// checkAnswer validates the response to the question (step 3 of the file
// comment) and leaves in its answer section only the RRsets it verified.
func (v *validator) checkAnswer(resp *dns.Msg, qname string) error {
	if !v.secure {
		if v.c.DNSSEC == DNSSECRequire {
			return insecure("validated answers are required and %s", v.why)
		}
		return nil
	}
	name := fqdn(qname)
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil // a failure code: reported as such
	}
	var kept []dns.RR
	owner := name
	for hop := 0; ; hop++ {
		if hop > maxCNAMEs {
			return fail(ErrBadRecord, "CNAME chain from %s loops or is longer than %d", qname, maxCNAMEs)
		}
		if c, err := v.verifiedSet(resp.Answer, owner, dns.TypeCNAME); err != nil {
			return err
		} else if len(c) > 0 {
			kept = append(kept, c[0])
			owner = fqdn(c[0].(*dns.CNAME).Target)
			if !dns.IsSubDomain(v.zone, owner) {
				return insecure("CNAME from %s leads out of the validated zone %s to %s", name, v.zone, owner)
			}
			continue
		}
		break
	}
	set, err := v.verifiedSet(resp.Answer, owner, dns.TypeNAPTR)
	if err != nil {
		return err
	}
	if len(set) > 0 {
		resp.Answer = append(kept, set...)
		return nil
	}
	// A negative answer: NXDOMAIN or NODATA must come with signed NSEC or
	// NSEC3 records that match or cover the name (RFC 4035 §5.4, RFC 5155
	// §8.4-8.5; the wildcard part is not checked).
	for _, rr := range v.verifiedDenials(resp.Ns) {
		switch r := rr.(type) {
		case *dns.NSEC:
			if covers(r, owner) {
				resp.Answer = kept
				return nil
			}
		case *dns.NSEC3:
			if r.Match(owner) && !hasType(r.TypeBitMap, dns.TypeNAPTR) || r.Cover(owner) {
				resp.Answer = kept
				return nil
			}
		}
	}
	return insecure("the answer for %s has no signed NAPTR RRset and no signed proof that there is none", owner)
}

// covers reports whether an NSEC record proves that name has no NAPTR
// record: it is the name's own NSEC without NAPTR in its bitmap, or the name
// falls between its owner and next name in canonical order (RFC 4034 §6.1).
func covers(r *dns.NSEC, name string) bool {
	owner, next := fqdn(r.Hdr.Name), fqdn(r.NextDomain)
	if owner == name {
		return !hasType(r.TypeBitMap, dns.TypeNAPTR)
	}
	after := canonicalLess(owner, name)
	before := canonicalLess(name, next)
	if canonicalLess(owner, next) {
		return after && before
	}
	return after || before // the last NSEC of the zone wraps to the apex
}

// canonicalLess orders names as RFC 4034 §6.1 does: label by label from
// the right, each compared as lower-case octets.
func canonicalLess(a, b string) bool {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		x, y := labelOctets(la[i]), labelOctets(lb[j])
		if x != y {
			return x < y
		}
	}
	return len(la) < len(lb)
}

// labelOctets returns a label's lower-case octets from its presentation
// form.
func labelOctets(l string) string {
	s, err := unescape(l)
	if err != nil {
		s = l
	}
	return strings.ToLower(s)
}

package csdiscovery

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// This file holds the NAPTR record (RFC 3403 §4.1) and the U-NAPTR rewrite
// (RFC 4848 §2): what the Common Services discovery uses, and what a BDXL
// lookup of an SMP (eDelivery BDXL profile, also U-NAPTR) needs. It does not
// depend on the rest of the package.

// TypeNAPTR is the DNS RR type code of NAPTR (RFC 3403 §4).
const TypeNAPTR = dns.TypeNAPTR

// NAPTR is one Naming Authority Pointer record (RFC 3403 §4.1).
type NAPTR struct {
	// Owner is the name the record is published at, lower-case, without
	// the trailing dot.
	Owner string
	// TTL is the record's time to live in seconds.
	TTL uint32
	// Order and Preference rank the records: lower first (RFC 3403 §4.1).
	Order, Preference uint16
	// Flags: "U" is terminal with a URI in Regexp (RFC 4848); "" is
	// non-terminal, the next name being Replacement. Compared without
	// regard to case.
	Flags string
	// Service is the application service parameter, e.g. "Meta:SMP" in
	// BDXL.
	Service string
	// Regexp is the substitution expression, e.g. "!^.*$!https://…!".
	Regexp string
	// Replacement is the next domain name for a non-terminal record, "" for
	// the root (no replacement), lower-case without the trailing dot.
	Replacement string
	// Validated says that the record came in an answer DNSSEC validation
	// proved authentic (Client.DNSSEC).
	Validated bool
}

// String returns the record in zone-file presentation form.
func (n NAPTR) String() string {
	repl := n.Replacement
	if repl == "" {
		repl = "."
	}
	return fmt.Sprintf("%s %d IN NAPTR %d %d %q %q %q %s", n.Owner, n.TTL, n.Order, n.Preference, n.Flags, n.Service, n.Regexp, repl)
}

// Terminal reports whether the record ends the lookup with a URI (flag "U").
func (n NAPTR) Terminal() bool { return strings.EqualFold(n.Flags, "u") }

// NonTerminal reports whether the record points to another name to look up
// (empty flags and a replacement, RFC 3403 §4.1 "FLAGS").
func (n NAPTR) NonTerminal() bool { return n.Flags == "" }

// SortNAPTR orders records for processing: by Order, then by Preference
// (RFC 3403 §4.1). The sort is stable.
func SortNAPTR(rs []NAPTR) {
	slices.SortStableFunc(rs, func(a, b NAPTR) int {
		if c := cmp.Compare(a.Order, b.Order); c != 0 {
			return c
		}
		return cmp.Compare(a.Preference, b.Preference)
	})
}

// maxURI bounds the URI a record may yield.
const maxURI = 2048

// URI returns the URI of a terminal U-NAPTR record. RFC 4848 §2.2 restricts
// the regexp of such a record to a constant URI that replaces the whole
// string, "!.*!<URI>!" in its grammar (the form of its samples and of the
// EC's reference SML), and requires an empty replacement. OASIS BDXL's
// samples, and the SMLs of eDelivery and Peppol, anchor the same match as
// "^.*$"; both are read, with any delimiter RFC 3402 allows:
//
//	<delim> .* <delim> <URI> <delim>
//	<delim> ^.*$ <delim> <URI> <delim>
//
// — no back-references, no flags. Anything else is refused with an error saying what is wrong:
// a general regular-expression engine is not run on input from the DNS.
func (n NAPTR) URI() (string, error) {
	if !n.Terminal() {
		return "", fmt.Errorf("record has flags %q, not the terminal \"U\"", n.Flags)
	}
	if n.Replacement != "" {
		return "", fmt.Errorf("terminal record has replacement %q; U-NAPTR requires \".\" (RFC 4848 §2.2)", n.Replacement)
	}
	re := n.Regexp
	if re == "" {
		return "", fmt.Errorf("terminal record has an empty regexp")
	}
	delim := re[0]
	// RFC 3402 §3.2: the delimiter is any character but a digit, a flag
	// letter or the escape character.
	if delim == '\\' || delim == 'i' || delim >= '0' && delim <= '9' || delim < 0x21 || delim > 0x7e {
		return "", fmt.Errorf("regexp %q: %q cannot be a delimiter", re, delim)
	}
	parts := strings.Split(re[1:], string(delim))
	if len(parts) != 3 {
		return "", fmt.Errorf("regexp %q is not of the form %c.*%c<URI>%c", re, delim, delim, delim)
	}
	if parts[0] != ".*" && parts[0] != "^.*$" {
		return "", fmt.Errorf("regexp %q matches %q; U-NAPTR allows only .* (RFC 4848 §2.2) or ^.*$", re, parts[0])
	}
	if parts[2] != "" {
		return "", fmt.Errorf("regexp %q has flags %q after the last delimiter; none are allowed", re, parts[2])
	}
	uri := parts[1]
	switch {
	case uri == "":
		return "", fmt.Errorf("regexp %q yields an empty URI", re)
	case len(uri) > maxURI:
		return "", fmt.Errorf("regexp yields a URI of %d bytes, more than %d", len(uri), maxURI)
	case strings.ContainsAny(uri, `\`):
		return "", fmt.Errorf("regexp %q: escapes and back-references are not allowed in a U-NAPTR URI", re)
	}
	for i := 0; i < len(uri); i++ {
		if uri[i] <= 0x20 || uri[i] >= 0x7f {
			return "", fmt.Errorf("regexp %q: URI has the byte %#x at %d", re, uri[i], i)
		}
	}
	return uri, nil
}

// fromWire converts a NAPTR record decoded by miekg/dns, whose
// character-strings come in presentation form, back to their octets, and
// checks what RFC 3403 §4.1 requires of them.
func fromWire(r *dns.NAPTR) (NAPTR, error) {
	n := NAPTR{Order: r.Order, Preference: r.Preference, TTL: r.Hdr.Ttl}
	var err error
	if n.Owner, err = wireName(r.Hdr.Name); err != nil {
		return n, fmt.Errorf("NAPTR owner: %w", err)
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&n.Flags, r.Flags}, {&n.Service, r.Service}, {&n.Regexp, r.Regexp}} {
		if *f.dst, err = unescape(f.src); err != nil {
			return n, err
		}
	}
	for _, c := range n.Flags {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return n, fmt.Errorf("NAPTR flags %q are not alphanumeric (RFC 3403 §4.1)", n.Flags)
		}
	}
	if n.Replacement, err = wireName(r.Replacement); err != nil {
		return n, fmt.Errorf("NAPTR replacement: %w", err)
	}
	return n, nil
}

// unescape turns a character-string in presentation form (RFC 1035 §5.1:
// "\X" for X, "\DDD" for the octet DDD) back into its octets.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("character-string %q ends with an escape", s)
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v > 255 {
				return "", fmt.Errorf("character-string %q has the escape \\%s", s, s[i+1:i+4])
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Package uuid makes and checks the UUIDs of messages, registry objects and
// evidence (RFC 9562): random ones (version 4, §5.4) drawn from a reader the
// caller owns, and name-based ones (version 5, §5.5) that are the same for
// the same name at every run.
//
// A random source that fails is always an error: an identifier is never
// made up from the clock or from zeros, so two messages can never share one
// because the platform's randomness broke.
package uuid

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// UUID is the 128 bits of a UUID in network byte order (RFC 9562 §4).
type UUID [16]byte

// URNPrefix begins the URN form of a UUID (RFC 9562 §4, "urn:uuid:"),
// which the RegRep identifiers of OOTS use.
const URNPrefix = "urn:uuid:"

// NameSpaceDNS returns the name space of names that are domain names (RFC
// 9562 §6.6).
func NameSpaceDNS() UUID {
	return UUID{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
}

// NameSpaceURL returns the name space of names that are URLs (RFC 9562
// §6.6).
func NameSpaceURL() UUID {
	return UUID{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
}

// ErrSyntax is returned by Parse for text that is not a UUID.
var ErrSyntax = errors.New("uuid: not a UUID in 8-4-4-4-12 hexadecimal form")

// Random returns a random (version 4) UUID of 122 bits read from r. It
// returns the reader's error, wrapped, when r cannot give 16 bytes.
func Random(r io.Reader) (UUID, error) {
	var u UUID
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return UUID{}, fmt.Errorf("uuid: reading the random source: %w", err)
	}
	u.set(4)
	return u, nil
}

// New returns the text of a random (version 4) UUID read from r, as
// Random does.
func New(r io.Reader) (string, error) {
	u, err := Random(r)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// NewURN returns "urn:uuid:" and a random (version 4) UUID read from r, as
// Random does.
func NewURN(r io.Reader) (string, error) {
	u, err := Random(r)
	if err != nil {
		return "", err
	}
	return u.URN(), nil
}

// Name returns the name-based (version 5, SHA-1) UUID of name in
// namespace: the first 16 bytes of SHA-1(namespace ‖ name) with the
// version and variant set (RFC 9562 §5.5).
func Name(namespace UUID, name string) UUID {
	h := sha1.New()
	h.Write(namespace[:])
	io.WriteString(h, name)
	var u UUID
	copy(u[:], h.Sum(nil))
	u.set(5)
	return u
}

// set writes the version in bits 48–51 and the variant 0b10 in bits 64–65.
func (u *UUID) set(version byte) {
	u[6] = u[6]&0x0f | version<<4
	u[8] = u[8]&0x3f | 0x80
}

// Version is the version field of u (bits 48–51).
func (u UUID) Version() int { return int(u[6] >> 4) }

// String is the canonical text of u: 8-4-4-4-12 lower-case hexadecimal
// digits.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// URN is "urn:uuid:" and the text of u.
func (u UUID) URN() string { return URNPrefix + u.String() }

// Parse reads a UUID in its canonical text form, 8-4-4-4-12 hexadecimal
// digits of either case, without braces or a URN prefix. It returns
// ErrSyntax for any other text.
func Parse(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, ErrSyntax
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return UUID{}, ErrSyntax
	}
	return u, nil
}

// Valid reports whether s is a UUID in its canonical text form (Parse).
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// ValidURN reports whether s is "urn:uuid:" followed by a UUID in its
// canonical text form.
func ValidURN(s string) bool {
	rest, ok := strings.CutPrefix(s, URNPrefix)
	return ok && Valid(rest)
}

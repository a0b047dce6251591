package dnsserver

import (
	"errors"
	"fmt"
	"strings"
)

// The tests read and write messages byte by byte, independently of
// miekg/dns, which the server uses: readName and appendName are their
// small codec of names.

const maxName = 255 // wire octets of a name (RFC 1035 §2.3.4)

// readName reads an uncompressed name: labels of 1 to 63 octets of
// printable ASCII other than "." and "\" (names of this server's zone are
// host names and service labels), at most 255 octets in all.
func readName(msg []byte, off int) (string, int, error) {
	var b strings.Builder
	start := off
	for {
		if off >= len(msg) {
			return "", 0, errors.New("name runs past the end of the message")
		}
		l := int(msg[off])
		if l == 0 {
			if off+1-start > maxName {
				return "", 0, fmt.Errorf("name longer than %d octets", maxName)
			}
			return b.String(), off + 1, nil
		}
		if l&0xc0 != 0 {
			return "", 0, fmt.Errorf("label type %#x (compression) is not accepted in a question", l&0xc0)
		}
		if off+1+l > len(msg) {
			return "", 0, errors.New("label runs past the end of the message")
		}
		if off+1+l-start > maxName {
			return "", 0, fmt.Errorf("name longer than %d octets", maxName)
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		for _, c := range msg[off+1 : off+1+l] {
			if c <= 0x20 || c >= 0x7f || c == '.' || c == '\\' {
				return "", 0, fmt.Errorf("label has the byte %#x", c)
			}
			b.WriteByte(c)
		}
		off += 1 + l
	}
}

// appendName appends a canonical name (validated, lower-case, no trailing
// dot) in uncompressed wire form.
func appendName(b []byte, name string) []byte {
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

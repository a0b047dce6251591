package dnsserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// DNS message constants (RFC 1035 §3.2, §4.1; RFC 3403 §4; RFC 6891 §6).
const (
	headerLen = 12
	classIN   = 1
	classANY  = 255

	typeA     = 1
	typeNS    = 2
	typeSOA   = 6
	typeAAAA  = 28
	typeNAPTR = 35
	typeOPT   = 41
	typeIXFR  = 251
	typeAXFR  = 252
	typeANY   = 255

	rcodeSuccess  = 0
	rcodeFormErr  = 1
	rcodeServFail = 2
	rcodeNXDomain = 3
	rcodeNotImp   = 4
	rcodeRefused  = 5
	// rcodeBadVers is the extended RCODE 16 (RFC 6891 §6.1.3): upper 8 bits
	// 1 in the OPT record, lower 4 bits 0 in the header.
	rcodeBadVers = 16

	// minUDPSize is the UDP payload every DNS speaker accepts (RFC 1035
	// §4.2.1); maxUDPSize caps what an EDNS0 requester may announce.
	minUDPSize = 512
	maxUDPSize = 4096
	// MaxQuery bounds the size of a query: a single question with an OPT
	// record needs far less; larger messages are dropped (UDP) or end the
	// connection (TCP).
	MaxQuery = 1024
	maxName  = 255 // wire octets of a name (RFC 1035 §2.3.4)
)

// ErrFormat is wrapped by the errors of ParseQuery for a malformed query;
// the server answers such a query with FORMERR when its header is readable.
var ErrFormat = errors.New("dnsserver: malformed query")

// Query is a parsed DNS query: one question and, optionally, an EDNS0 OPT
// record.
type Query struct {
	ID     uint16
	Opcode uint8
	// RD is the "recursion desired" bit, copied into the answer.
	RD bool
	// Name is the question's name as sent (case kept, RFC 4343), without
	// the trailing dot; "" for the root.
	Name        string
	Type, Class uint16
	// EDNS tells whether the query carried an OPT record; UDPSize is the
	// payload size it announced and EDNSVersion its version.
	EDNS        bool
	UDPSize     uint16
	EDNSVersion uint8
	// question is the question section in wire form, echoed in the answer.
	question []byte
}

// ParseQuery reads a query message (RFC 1035 §4.1): a header with QR clear,
// exactly one question, no answer or authority records, and at most one
// additional record, an EDNS0 OPT record (RFC 6891). Names in the question
// must not be compressed. The opcode is returned, not checked. Errors wrap
// ErrFormat; when the header was readable the returned Query holds its ID,
// opcode and RD bit (and is nil otherwise).
func ParseQuery(msg []byte) (*Query, error) {
	if len(msg) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, shorter than a header", ErrFormat, len(msg))
	}
	if len(msg) > MaxQuery {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrFormat, len(msg), MaxQuery)
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x8000 != 0 {
		return nil, fmt.Errorf("%w: the message is a response", ErrFormat)
	}
	q := &Query{ID: binary.BigEndian.Uint16(msg), Opcode: uint8(flags>>11) & 0xf, RD: flags&0x0100 != 0}
	qd, an, ns, ar := binary.BigEndian.Uint16(msg[4:]), binary.BigEndian.Uint16(msg[6:]), binary.BigEndian.Uint16(msg[8:]), binary.BigEndian.Uint16(msg[10:])
	switch {
	case qd != 1:
		return q, fmt.Errorf("%w: %d questions, want 1", ErrFormat, qd)
	case an != 0 || ns != 0:
		return q, fmt.Errorf("%w: a query with %d answer and %d authority records", ErrFormat, an, ns)
	case ar > 1:
		return q, fmt.Errorf("%w: %d additional records, at most one OPT record is read", ErrFormat, ar)
	}
	name, off, err := readName(msg, headerLen)
	if err != nil {
		return q, fmt.Errorf("%w: question: %v", ErrFormat, err)
	}
	if off+4 > len(msg) {
		return q, fmt.Errorf("%w: the question ends early", ErrFormat)
	}
	q.Name = name
	q.Type, q.Class = binary.BigEndian.Uint16(msg[off:]), binary.BigEndian.Uint16(msg[off+2:])
	off += 4
	q.question = msg[headerLen:off]
	if ar == 1 {
		// OPT: root name, type 41, CLASS = UDP payload size, TTL =
		// extended RCODE, version, flags; RDATA options (ignored).
		if off+11 > len(msg) || msg[off] != 0 {
			return q, fmt.Errorf("%w: the additional record is not an OPT record with the root name", ErrFormat)
		}
		if t := binary.BigEndian.Uint16(msg[off+1:]); t != typeOPT {
			return q, fmt.Errorf("%w: additional record of type %d, only OPT (41) is accepted", ErrFormat, t)
		}
		q.EDNS = true
		q.UDPSize = binary.BigEndian.Uint16(msg[off+3:])
		q.EDNSVersion = msg[off+6]
		rdlen := int(binary.BigEndian.Uint16(msg[off+9:]))
		off += 11 + rdlen
		if off > len(msg) {
			return q, fmt.Errorf("%w: the OPT record's data overruns the message", ErrFormat)
		}
	}
	if off != len(msg) {
		return q, fmt.Errorf("%w: %d bytes after the last record", ErrFormat, len(msg)-off)
	}
	return q, nil
}

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

// appendString appends a <character-string> (RFC 1035 §3.3): validated to
// be at most 255 octets when the record was stored.
func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// rr is a resource record to write: its owner, type, TTL and RDATA (an
// owner equal to the question's name is written as a pointer to it, see
// appendRR).
type rr struct {
	owner string
	typ   uint16
	ttl   uint32
	data  []byte
}

// appendRR appends a record; an owner equal to the question's name is
// written as a pointer to offset 12 (RFC 1035 §4.1.4).
func appendRR(b []byte, r rr, qname string) []byte {
	if strings.EqualFold(r.owner, qname) {
		b = append(b, 0xc0, headerLen)
	} else {
		b = appendName(b, r.owner)
	}
	b = binary.BigEndian.AppendUint16(b, r.typ)
	b = binary.BigEndian.AppendUint16(b, classIN)
	b = binary.BigEndian.AppendUint32(b, r.ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.data)))
	return append(b, r.data...)
}

// reply builds an answer message. aa sets the authoritative bit; an OPT
// record announcing maxUDPSize is added when the query had one.
type reply struct {
	q                  *Query
	rcode              int
	aa, tc             bool
	answer, authority  []rr
	withQuestion, edns bool
}

func (r *reply) bytes() []byte {
	b := make([]byte, headerLen, 512)
	var id uint16
	var flags uint16 = 0x8000 // QR
	if r.q != nil {
		id = r.q.ID
		flags |= uint16(r.q.Opcode&0xf) << 11
		if r.q.RD {
			flags |= 0x0100
		}
	}
	if r.aa {
		flags |= 0x0400
	}
	if r.tc {
		flags |= 0x0200
	}
	flags |= uint16(r.rcode & 0xf)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], flags)
	qname := "\x00" // no question: no owner is compressed
	if r.withQuestion && r.q != nil && r.q.question != nil {
		binary.BigEndian.PutUint16(b[4:], 1)
		b = append(b, r.q.question...)
		qname = r.q.Name
	}
	binary.BigEndian.PutUint16(b[6:], uint16(len(r.answer)))
	binary.BigEndian.PutUint16(b[8:], uint16(len(r.authority)))
	for _, a := range r.answer {
		b = appendRR(b, a, qname)
	}
	for _, a := range r.authority {
		b = appendRR(b, a, qname)
	}
	if r.edns {
		binary.BigEndian.PutUint16(b[10:], 1)
		b = append(b, 0) // root
		b = binary.BigEndian.AppendUint16(b, typeOPT)
		b = binary.BigEndian.AppendUint16(b, maxUDPSize)
		b = append(b, byte(r.rcode>>4), 0, 0, 0) // extended RCODE, version 0, flags
		b = binary.BigEndian.AppendUint16(b, 0)
	}
	return b
}

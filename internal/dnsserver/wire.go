package dnsserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// DNS message constants (RFC 1035 §3.2, §4.1; RFC 3403 §4; RFC 6891 §6).
// Messages are decoded and encoded with github.com/miekg/dns; this file
// holds what the server checks on top of it.
const (
	headerLen = 12
	classIN   = dns.ClassINET

	typeA     = dns.TypeA
	typeSOA   = dns.TypeSOA
	typeAAAA  = dns.TypeAAAA
	typeNAPTR = dns.TypeNAPTR
	typeOPT   = dns.TypeOPT
	typeIXFR  = dns.TypeIXFR
	typeAXFR  = dns.TypeAXFR
	typeANY   = dns.TypeANY

	rcodeFormErr  = dns.RcodeFormatError
	rcodeServFail = dns.RcodeServerFailure
	rcodeNXDomain = dns.RcodeNameError
	rcodeNotImp   = dns.RcodeNotImplemented
	rcodeRefused  = dns.RcodeRefused
	// rcodeBadVers is the extended RCODE 16 (RFC 6891 §6.1.3), carried in
	// the OPT record.
	rcodeBadVers = dns.RcodeBadVers

	// minUDPSize is the UDP payload every DNS speaker accepts (RFC 1035
	// §4.2.1); maxUDPSize caps what an EDNS0 requester may announce.
	minUDPSize = 512
	maxUDPSize = 4096
	// MaxQuery bounds the size of a query: a single question with an OPT
	// record needs far less; larger messages are dropped (UDP) or end the
	// connection (TCP).
	MaxQuery = 1024
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
	// question is the question, echoed in the answer.
	question *dns.Question
}

// ParseQuery reads a query message (RFC 1035 §4.1): a header with QR clear,
// exactly one question, no answer or authority records, and at most one
// additional record, an EDNS0 OPT record (RFC 6891). The opcode is
// returned, not checked. Errors wrap ErrFormat; when the header was readable
// the returned Query holds its ID, opcode and RD bit (and is nil otherwise).
func ParseQuery(msg []byte) (*Query, error) {
	if len(msg) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, shorter than a header", ErrFormat, len(msg))
	}
	if len(msg) > MaxQuery {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrFormat, len(msg), MaxQuery)
	}
	// The section counts are checked on the header itself: miekg/dns
	// forgives a count larger than what follows, a query must not.
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
	m := new(dns.Msg)
	if err := m.Unpack(msg); err != nil {
		return q, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if len(m.Question) != 1 || len(m.Extra) != int(ar) {
		return q, fmt.Errorf("%w: the sections do not hold what the header announces", ErrFormat)
	}
	question := m.Question[0]
	if strings.Contains(question.Name, `\`) {
		return q, fmt.Errorf("%w: question: name %q has a label with a byte a host name has not", ErrFormat, question.Name)
	}
	q.Name = strings.TrimSuffix(question.Name, ".")
	q.Type, q.Class = question.Qtype, question.Qclass
	if ar == 1 {
		opt, ok := m.Extra[0].(*dns.OPT)
		if !ok || opt.Hdr.Name != "." {
			return q, fmt.Errorf("%w: the additional record is not an OPT record with the root name", ErrFormat)
		}
		q.EDNS, q.UDPSize, q.EDNSVersion = true, opt.UDPSize(), opt.Version()
	}
	q.question = &question
	return q, nil
}

// reply builds an answer message. aa sets the authoritative bit; an OPT
// record announcing maxUDPSize is added when the query had one.
type reply struct {
	q                  *Query
	rcode              int
	aa, tc             bool
	answer, authority  []dns.RR
	withQuestion, edns bool
}

func (r *reply) bytes() []byte {
	m := new(dns.Msg)
	m.Response, m.Authoritative, m.Truncated, m.Rcode = true, r.aa, r.tc, r.rcode
	if r.q != nil {
		m.Id, m.Opcode, m.RecursionDesired = r.q.ID, int(r.q.Opcode), r.q.RD
		if r.withQuestion && r.q.question != nil {
			m.Question = []dns.Question{*r.q.question}
		}
	}
	m.Answer, m.Ns = r.answer, r.authority
	if r.edns || r.rcode > 0xf {
		m.SetEdns0(maxUDPSize, false)
	}
	m.Compress = true
	b, err := m.Pack()
	if err != nil {
		// Only records this server made are packed: a failure is a bug,
		// answered as a server failure without records.
		m.Answer, m.Ns, m.Rcode = nil, nil, rcodeServFail
		if b, err = m.Pack(); err != nil {
			return nil
		}
	}
	return b
}

package csdiscovery

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// This file is a small DNS stub client (RFC 1035 §4) for one question type
// the standard library cannot ask: NAPTR. It sends a recursive query to one
// configured server over UDP, retries over TCP when the answer is truncated
// (RFC 1035 §4.2.2, RFC 7766 §5), and parses the answer section with limits,
// following CNAMEs inside the answer.

const (
	classIN    = 1
	typeCNAME  = 5
	headerLen  = 12
	maxNameLen = 255 // wire octets, RFC 1035 §2.3.4
	maxRecords = 256 // answer records considered
	maxCNAMEs  = 8   // CNAME hops within one answer
	maxJumps   = 64  // compression pointers in one name
)

// DNS response codes (RFC 1035 §4.1.1).
const (
	rcodeSuccess  = 0
	rcodeNXDomain = 3
)

var rcodeNames = map[int]string{1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}

// Client asks one DNS server for NAPTR records.
type Client struct {
	// Server is the DNS server, "host:port" (an IP address: the client does
	// not resolve the server's name through itself).
	Server string
	// Timeout bounds each attempt (UDP try or TCP exchange). Default 2s.
	Timeout time.Duration
	// Attempts is the number of UDP tries before giving up. Default 2.
	Attempts int
	// MaxResponse bounds the size of a response in bytes; a larger one is
	// refused with ErrBadRecord. Default 16 KiB.
	MaxResponse int
	// Rand is the source of query IDs. Default crypto/rand.
	Rand io.Reader
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 2 * time.Second
}

func (c *Client) attempts() int {
	if c.Attempts > 0 {
		return c.Attempts
	}
	return 2
}

func (c *Client) maxResponse() int {
	if c.MaxResponse > 0 {
		return c.MaxResponse
	}
	return 16 << 10
}

// LookupNAPTR returns the NAPTR records of name (CNAMEs in the answer
// followed) and the answer's owner after those CNAMEs. Errors are *Error
// values: ErrNoRecord for NXDOMAIN or an answer without NAPTR records,
// ErrUnreachable when the server does not answer or answers with a failure
// code, ErrBadRecord for a response that is malformed, oversize, or does not
// answer the question.
func (c *Client) LookupNAPTR(ctx context.Context, name string) ([]NAPTR, error) {
	qname, err := canonicalName(name)
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Name: name, Detail: "invalid name to look up", Err: err}
	}
	if _, _, err := net.SplitHostPort(c.Server); err != nil {
		return nil, &Error{Kind: ErrUnreachable, Name: qname, Server: c.Server, Detail: "server is not host:port", Err: err}
	}
	var idb [2]byte
	rnd := c.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, idb[:]); err != nil {
		return nil, fmt.Errorf("csdiscovery: query id: %w", err)
	}
	id := binary.BigEndian.Uint16(idb[:])
	query := buildQuery(id, qname, TypeNAPTR)

	resp, err := c.exchangeUDP(ctx, id, query)
	if err == nil && resp.truncated {
		resp, err = c.exchangeTCP(ctx, id, query)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Name, e.Server = qname, c.Server
			return nil, e
		}
		return nil, &Error{Kind: ErrUnreachable, Name: qname, Server: c.Server, Err: err}
	}
	recs, aerr := answerNAPTR(resp, qname)
	if aerr != nil {
		aerr.Name, aerr.Server = qname, c.Server
		return nil, aerr
	}
	return recs, nil
}

// exchangeUDP sends the query and waits for the matching response, ignoring
// datagrams with another ID or question (spoofing, late answers), retrying
// on timeout.
func (c *Client) exchangeUDP(ctx context.Context, id uint16, query []byte) (*response, error) {
	var lastErr error
	for attempt := 0; attempt < c.attempts(); attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp, err := c.tryUDP(ctx, id, query)
		if err == nil {
			return resp, nil
		}
		var e *Error
		if errors.As(err, &e) {
			return nil, err // a response came, and it is bad: do not ask again
		}
		lastErr = err
	}
	return nil, lastErr
}

func (c *Client) tryUDP(ctx context.Context, id uint16, query []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", c.Server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(query); err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, c.ioError(ctx, err)
		}
		if n > c.maxResponse() {
			return nil, fail(ErrBadRecord, "UDP response of %d bytes, more than the limit of %d", n, c.maxResponse())
		}
		resp, err := parseResponse(buf[:n])
		if resp == nil || resp.id != id || !sameQuestion(resp, query) {
			continue // not the answer to this query
		}
		if err != nil {
			return nil, &Error{Kind: ErrBadRecord, Detail: "malformed UDP response", Err: err}
		}
		return resp, nil
	}
}

// exchangeTCP asks again over TCP (2-byte length prefix, RFC 1035 §4.2.2).
func (c *Client) exchangeTCP(ctx context.Context, id uint16, query []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	msg := make([]byte, 2+len(query))
	binary.BigEndian.PutUint16(msg, uint16(len(query)))
	copy(msg[2:], query)
	if _, err := conn.Write(msg); err != nil {
		return nil, err
	}
	var lb [2]byte
	if _, err := io.ReadFull(conn, lb[:]); err != nil {
		return nil, c.ioError(ctx, err)
	}
	n := int(binary.BigEndian.Uint16(lb[:]))
	if n > c.maxResponse() {
		return nil, fail(ErrBadRecord, "TCP response of %d bytes, more than the limit of %d", n, c.maxResponse())
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return nil, c.ioError(ctx, err)
	}
	resp, err := parseResponse(buf)
	if resp != nil && (resp.id != id || !sameQuestion(resp, query)) {
		return nil, fail(ErrBadRecord, "TCP response does not answer the query (id or question differ)")
	}
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Detail: "malformed TCP response", Err: err}
	}
	if resp.truncated {
		return nil, fail(ErrBadRecord, "TCP response is truncated")
	}
	return resp, nil
}

// ioError explains a read error: the context's end (cancellation, or the
// attempt's timeout), or the network error itself.
func (c *Client) ioError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("no answer within %s: %w", c.timeout(), cerr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer within %s: %w", c.timeout(), err)
	}
	return err
}

// buildQuery encodes a query with recursion desired and one question.
func buildQuery(id uint16, name string, qtype uint16) []byte {
	b := make([]byte, headerLen, headerLen+len(name)+6)
	binary.BigEndian.PutUint16(b[0:], id)
	b[2] = 0x01 // RD
	binary.BigEndian.PutUint16(b[4:], 1)
	b = appendName(b, name)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = binary.BigEndian.AppendUint16(b, classIN)
	return b
}

// appendName appends a canonical (validated) name in wire form.
func appendName(b []byte, name string) []byte {
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

// canonicalName validates a domain name for a query and returns it
// lower-case without the trailing dot: labels of 1 to 63 letters, digits,
// hyphens or underscores (the underscore for service labels such as BDXL's),
// at most 253 characters.
func canonicalName(name string) (string, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" || len(name) > 253 {
		return "", fmt.Errorf("name %q: must have 1 to 253 characters", name)
	}
	for _, l := range strings.Split(name, ".") {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("name %q: label %q must have 1 to 63 characters", name, l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("name %q: label %q has the character %q", name, l, c)
			}
		}
	}
	return name, nil
}

// response is a parsed DNS response: header fields, the question, and the
// answer section (other sections are not read).
type response struct {
	id        uint16
	truncated bool
	rcode     int
	qname     string
	qtype     uint16
	answers   []rr
	msg       []byte
}

// rr is one resource record, RDATA left in the message.
type rr struct {
	name       string
	typ, class uint16
	ttl        uint32
	off, end   int // RDATA bounds in msg
}

// parseResponse parses a response message (RFC 1035 §4.1). When the header
// and question parse but the rest does not, it returns both the response
// (to match it to the query) and the error.
func parseResponse(msg []byte) (*response, error) {
	if len(msg) < headerLen {
		return nil, fmt.Errorf("message of %d bytes is shorter than a header", len(msg))
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	r := &response{
		id:        binary.BigEndian.Uint16(msg[0:]),
		truncated: flags&0x0200 != 0,
		rcode:     int(flags & 0x000f),
		msg:       msg,
	}
	if flags&0x8000 == 0 {
		return nil, errors.New("message is a query, not a response")
	}
	if op := (flags >> 11) & 0xf; op != 0 {
		return nil, fmt.Errorf("opcode %d is not a standard query", op)
	}
	qd := binary.BigEndian.Uint16(msg[4:])
	an := int(binary.BigEndian.Uint16(msg[6:]))
	if qd != 1 {
		return nil, fmt.Errorf("response has %d questions, want 1", qd)
	}
	off := headerLen
	var err error
	r.qname, off, err = readName(msg, off)
	if err != nil {
		return nil, fmt.Errorf("question: %w", err)
	}
	if off+4 > len(msg) {
		return nil, errors.New("question ends early")
	}
	r.qtype = binary.BigEndian.Uint16(msg[off:])
	if class := binary.BigEndian.Uint16(msg[off+2:]); class != classIN {
		return nil, fmt.Errorf("question class %d is not IN", class)
	}
	off += 4
	if r.truncated {
		return r, nil // the answer section may be cut anywhere
	}
	if an > maxRecords {
		return r, fmt.Errorf("%d answer records, more than the limit of %d", an, maxRecords)
	}
	for i := 0; i < an; i++ {
		var a rr
		a.name, off, err = readName(msg, off)
		if err != nil {
			return r, fmt.Errorf("answer %d: %w", i, err)
		}
		if off+10 > len(msg) {
			return r, fmt.Errorf("answer %d ends early", i)
		}
		a.typ = binary.BigEndian.Uint16(msg[off:])
		a.class = binary.BigEndian.Uint16(msg[off+2:])
		a.ttl = binary.BigEndian.Uint32(msg[off+4:])
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		off += 10
		if off+rdlen > len(msg) {
			return r, fmt.Errorf("answer %d: data of %d bytes overruns the message", i, rdlen)
		}
		a.off, a.end = off, off+rdlen
		off += rdlen
		r.answers = append(r.answers, a)
	}
	return r, nil
}

// sameQuestion reports whether resp answers the question of query.
func sameQuestion(resp *response, query []byte) bool {
	qname, off, err := readName(query, headerLen)
	if err != nil || off+2 > len(query) {
		return false
	}
	return resp.qname == qname && resp.qtype == binary.BigEndian.Uint16(query[off:])
}

// answerNAPTR extracts the NAPTR records for qname from a response,
// following CNAMEs in the answer section.
func answerNAPTR(resp *response, qname string) ([]NAPTR, *Error) {
	switch resp.rcode {
	case rcodeSuccess:
	case rcodeNXDomain:
		return nil, fail(ErrNoRecord, "the name does not exist (NXDOMAIN)")
	default:
		name := rcodeNames[resp.rcode]
		if name == "" {
			name = fmt.Sprintf("RCODE %d", resp.rcode)
		}
		return nil, fail(ErrUnreachable, "the server answered %s", name)
	}
	owner := qname
	seen := map[string]bool{owner: true}
	for hop := 0; ; hop++ {
		var cname string
		for _, a := range resp.answers {
			if a.name == owner && a.class == classIN && a.typ == typeCNAME {
				target, end, err := readName(resp.msg[:a.end], a.off)
				if err != nil || end != a.end {
					return nil, &Error{Kind: ErrBadRecord, Detail: "malformed CNAME", Err: err}
				}
				cname = target
				break
			}
		}
		if cname == "" {
			break
		}
		if hop >= maxCNAMEs || seen[cname] {
			return nil, fail(ErrBadRecord, "CNAME chain from %s loops or is longer than %d", qname, maxCNAMEs)
		}
		seen[cname] = true
		owner = cname
	}
	var recs []NAPTR
	for _, a := range resp.answers {
		if a.name != owner || a.class != classIN || a.typ != TypeNAPTR {
			continue
		}
		n, err := parseNAPTRData(resp.msg, a.off, a.end)
		if err != nil {
			return nil, &Error{Kind: ErrBadRecord, Detail: "malformed NAPTR record", Err: err}
		}
		n.Owner, n.TTL = a.name, a.ttl
		recs = append(recs, n)
	}
	if len(recs) == 0 {
		return nil, fail(ErrNoRecord, "no NAPTR record in the answer")
	}
	return recs, nil
}

// readName reads a possibly compressed domain name at off (RFC 1035 §4.1.4)
// and returns it lower-case without the trailing dot ("" for the root) and
// the offset after it. Compression pointers must point backwards, so that a
// name cannot loop; labels must be printable and free of dots.
func readName(msg []byte, off int) (string, int, error) {
	var b strings.Builder
	end := -1 // offset after the name in the original position
	wire := 0
	for jumps := 0; ; {
		if off >= len(msg) {
			return "", 0, errors.New("name runs past the end of the message")
		}
		l := int(msg[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				if end < 0 {
					end = off + 1
				}
				return b.String(), end, nil
			}
			if off+1+l > len(msg) {
				return "", 0, errors.New("label runs past the end of the message")
			}
			wire += 1 + l
			if wire+1 > maxNameLen {
				return "", 0, fmt.Errorf("name longer than %d octets", maxNameLen)
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			for _, c := range msg[off+1 : off+1+l] {
				if c <= 0x20 || c >= 0x7f || c == '.' || c == '\\' {
					return "", 0, fmt.Errorf("label has the byte %#x", c)
				}
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
			off += 1 + l
		case 0xc0:
			if off+2 > len(msg) {
				return "", 0, errors.New("compression pointer runs past the end of the message")
			}
			ptr := int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			if ptr >= off {
				return "", 0, errors.New("compression pointer does not point backwards")
			}
			if jumps++; jumps > maxJumps {
				return "", 0, errors.New("too many compression pointers")
			}
			if end < 0 {
				end = off + 2
			}
			off = ptr
		default:
			return "", 0, fmt.Errorf("label type %#x is not supported", l&0xc0)
		}
	}
}

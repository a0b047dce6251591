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

	"github.com/miekg/dns"
)

// This file is a DNS stub client (RFC 1035 §4) for the question types the
// standard library cannot ask: NAPTR, and the DNSKEY and DS records of
// DNSSEC validation (dnssec.go). Messages are encoded and decoded with
// github.com/miekg/dns; the exchange is ours, so that it stays bounded and
// strict: one configured server over UDP, a retry over TCP when the answer is
// truncated (RFC 1035 §4.2.2, RFC 7766 §5), datagrams with another ID or
// question ignored (spoofing, late answers), responses bounded in size and
// record count, CNAMEs inside the answer followed a bounded number of times.

const (
	maxRecords = 256 // records considered in one section
	maxCNAMEs  = 8   // CNAME hops within one answer
	// ednsSize is the UDP payload size announced with EDNS(0) when DNSSEC
	// records are asked for (the DNS Flag Day 2020 value): larger answers
	// come truncated and are asked again over TCP.
	ednsSize = 1232
)

// Client asks one DNS server for NAPTR records, and validates the answers
// with DNSSEC when DNSSEC says so (see dnssec.go).
type Client struct {
	// Server is the DNS server, "host:port" (an IP address: the client does
	// not resolve the server's name through itself).
	Server string
	// Timeout bounds each attempt (UDP try or TCP exchange). Default 2s.
	Timeout time.Duration
	// Attempts is the number of UDP tries before giving up. Default 2.
	Attempts int
	// MaxResponse bounds the size of a response in bytes; a larger one is
	// refused with ErrBadRecord. Default 16 KiB (64 KiB when DNSSEC
	// validates: signatures and keys make answers larger).
	MaxResponse int
	// Rand is the source of query IDs. Default crypto/rand.
	Rand io.Reader
	// DNSSEC says whether answers are validated; the zero value is
	// DNSSECOff. See DNSSECMode.
	DNSSEC DNSSECMode
	// TrustAnchors are the DS or DNSKEY records validation starts from, in
	// zone-file form (ParseTrustAnchors); nil means RootTrustAnchors, the
	// root zone's key-signing keys.
	TrustAnchors []dns.RR
	// Now is the clock signatures are checked against; default time.Now.
	Now func() time.Time
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
	switch {
	case c.MaxResponse > 0:
		return c.MaxResponse
	case c.DNSSEC.validates():
		return 64 << 10
	}
	return 16 << 10
}

// LookupNAPTR returns the NAPTR records of name (CNAMEs in the answer
// followed) and the answer's owner after those CNAMEs. Errors are *Error
// values: ErrNoRecord for NXDOMAIN or an answer without NAPTR records,
// ErrUnreachable when the server does not answer or answers with a failure
// code, ErrBadRecord for a response that is malformed, oversize, or does not
// answer the question, ErrInsecure (with ErrBadRecord) when DNSSEC
// validation is asked for and the answer is not proven authentic.
func (c *Client) LookupNAPTR(ctx context.Context, name string) ([]NAPTR, error) {
	qname, err := canonicalName(name)
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Name: name, Detail: "invalid name to look up", Err: err}
	}
	if _, _, err := net.SplitHostPort(c.Server); err != nil {
		return nil, &Error{Kind: ErrUnreachable, Name: qname, Server: c.Server, Detail: "server is not host:port", Err: err}
	}
	if err := c.DNSSEC.check(); err != nil {
		return nil, &Error{Kind: ErrBadRecord, Name: qname, Server: c.Server, Detail: "client configuration", Err: err}
	}
	var v *validator
	if c.DNSSEC.validates() {
		// Establish the chain of trust down to the zone of the name before
		// the question itself (RFC 4035 §5).
		if v, err = c.newValidator(ctx, qname); err != nil {
			return nil, c.named(err, qname)
		}
	}
	resp, err := c.exchange(ctx, qname, dns.TypeNAPTR, v != nil)
	if err != nil {
		return nil, c.named(err, qname)
	}
	if v != nil {
		if err := v.checkAnswer(resp, qname); err != nil {
			return nil, c.named(err, qname)
		}
	}
	recs, aerr := answerNAPTR(resp, qname)
	if aerr != nil {
		return nil, c.named(aerr, qname)
	}
	for i := range recs {
		recs[i].Validated = v != nil && v.secure
	}
	return recs, nil
}

// named returns err as an *Error naming the lookup and the server.
func (c *Client) named(err error, qname string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Name, e.Server = qname, c.Server
		return e
	}
	return &Error{Kind: ErrUnreachable, Name: qname, Server: c.Server, Err: err}
}

// exchange asks the server one question (qname canonical, without the
// trailing dot) and returns the response that answers it. With dnssec, the
// query carries EDNS(0) with the DO bit (RFC 4035 §3.2.1) and the CD bit, the
// client validating for itself (RFC 4035 §3.2.2).
func (c *Client) exchange(ctx context.Context, qname string, qtype uint16, dnssec bool) (*dns.Msg, error) {
	var idb [2]byte
	rnd := c.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, idb[:]); err != nil {
		return nil, fmt.Errorf("csdiscovery: query id: %w", err)
	}
	q := new(dns.Msg)
	q.Id = binary.BigEndian.Uint16(idb[:])
	q.RecursionDesired = true
	q.Question = []dns.Question{{Name: dns.Fqdn(qname), Qtype: qtype, Qclass: dns.ClassINET}}
	if dnssec {
		q.SetEdns0(ednsSize, true)
		q.CheckingDisabled = true
	}
	query, err := q.Pack()
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Detail: "cannot encode the query", Err: err}
	}
	resp, err := c.exchangeUDP(ctx, q, query)
	if err == nil && resp.Truncated {
		resp, err = c.exchangeTCP(ctx, q, query)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// exchangeUDP sends the query and waits for the matching response, ignoring
// datagrams with another ID or question (spoofing, late answers), retrying
// on timeout.
func (c *Client) exchangeUDP(ctx context.Context, q *dns.Msg, query []byte) (*dns.Msg, error) {
	var lastErr error
	for attempt := 0; attempt < c.attempts(); attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp, err := c.tryUDP(ctx, q, query)
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

func (c *Client) tryUDP(ctx context.Context, q *dns.Msg, query []byte) (*dns.Msg, error) {
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
		if resp == nil || !answers(resp, q) {
			continue // not the answer to this query
		}
		if err != nil {
			return nil, &Error{Kind: ErrBadRecord, Detail: "malformed UDP response", Err: err}
		}
		return resp, nil
	}
}

// exchangeTCP asks again over TCP (2-byte length prefix, RFC 1035 §4.2.2).
func (c *Client) exchangeTCP(ctx context.Context, q *dns.Msg, query []byte) (*dns.Msg, error) {
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
	if resp != nil && !answers(resp, q) {
		return nil, fail(ErrBadRecord, "TCP response does not answer the query (id or question differ)")
	}
	if err != nil {
		return nil, &Error{Kind: ErrBadRecord, Detail: "malformed TCP response", Err: err}
	}
	if resp.Truncated {
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

// wireName returns a name from a message lower-case without the trailing
// dot ("" for the root), refusing the bytes a host name never has: those
// miekg/dns presents escaped (controls, spaces, dots inside a label…).
func wireName(name string) (string, error) {
	if i := strings.IndexByte(name, '\\'); i >= 0 {
		return "", fmt.Errorf("name %q: a label has the byte escaped as %q", name, name[i:min(len(name), i+4)])
	}
	return strings.TrimSuffix(strings.ToLower(name), "."), nil
}

// parseResponse decodes a response message (RFC 1035 §4.1). When the header
// and question decode but the rest does not, it returns both the response
// (to match it to the query) and the error.
func parseResponse(msg []byte) (*dns.Msg, error) {
	if len(msg) < 12 {
		return nil, fmt.Errorf("message of %d bytes is shorter than a header", len(msg))
	}
	m := new(dns.Msg)
	err := m.Unpack(msg)
	if len(m.Question) != 1 {
		if err == nil {
			err = fmt.Errorf("response has %d questions, want 1", len(m.Question))
		}
		return nil, err
	}
	switch {
	case !m.Response:
		return nil, errors.New("message is a query, not a response")
	case m.Opcode != dns.OpcodeQuery:
		return nil, fmt.Errorf("opcode %d is not a standard query", m.Opcode)
	case m.Question[0].Qclass != dns.ClassINET:
		return nil, fmt.Errorf("question class %d is not IN", m.Question[0].Qclass)
	}
	if err != nil {
		if m.Truncated {
			return m, nil // the sections may be cut anywhere
		}
		return m, err
	}
	for _, s := range []struct {
		name string
		rrs  []dns.RR
	}{{"answer", m.Answer}, {"authority", m.Ns}, {"additional", m.Extra}} {
		if len(s.rrs) > maxRecords {
			return m, fmt.Errorf("%d %s records, more than the limit of %d", len(s.rrs), s.name, maxRecords)
		}
	}
	return m, nil
}

// answers reports whether resp answers query q: same ID and question.
func answers(resp, q *dns.Msg) bool {
	return resp.Id == q.Id && len(resp.Question) == 1 &&
		strings.EqualFold(resp.Question[0].Name, q.Question[0].Name) && resp.Question[0].Qtype == q.Question[0].Qtype
}

// rcodeError maps a response code other than NOERROR to the error kinds.
func rcodeError(resp *dns.Msg) *Error {
	switch resp.Rcode {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeNameError:
		return fail(ErrNoRecord, "the name does not exist (NXDOMAIN)")
	}
	name, ok := dns.RcodeToString[resp.Rcode]
	if !ok {
		name = fmt.Sprintf("RCODE %d", resp.Rcode)
	}
	return fail(ErrUnreachable, "the server answered %s", name)
}

// followCNAMEs returns the owner the records of qname are at after the
// CNAMEs of the answer section.
func followCNAMEs(answer []dns.RR, qname string) (string, *Error) {
	owner := qname
	seen := map[string]bool{owner: true}
	for hop := 0; ; hop++ {
		var cname string
		for _, rr := range answer {
			c, ok := rr.(*dns.CNAME)
			if !ok || c.Hdr.Class != dns.ClassINET {
				continue
			}
			if n, err := wireName(c.Hdr.Name); err != nil || n != owner {
				continue
			}
			target, err := wireName(c.Target)
			if err != nil {
				return "", &Error{Kind: ErrBadRecord, Detail: "malformed CNAME", Err: err}
			}
			cname = target
			break
		}
		if cname == "" {
			return owner, nil
		}
		if hop >= maxCNAMEs || seen[cname] {
			return "", fail(ErrBadRecord, "CNAME chain from %s loops or is longer than %d", qname, maxCNAMEs)
		}
		seen[cname] = true
		owner = cname
	}
}

// answerNAPTR extracts the NAPTR records for qname from a response,
// following CNAMEs in the answer section.
func answerNAPTR(resp *dns.Msg, qname string) ([]NAPTR, *Error) {
	if e := rcodeError(resp); e != nil {
		return nil, e
	}
	owner, e := followCNAMEs(resp.Answer, qname)
	if e != nil {
		return nil, e
	}
	var recs []NAPTR
	for _, rr := range resp.Answer {
		r, ok := rr.(*dns.NAPTR)
		if !ok || r.Hdr.Class != dns.ClassINET {
			continue
		}
		if n, err := wireName(r.Hdr.Name); err != nil || n != owner {
			continue
		}
		n, err := fromWire(r)
		if err != nil {
			return nil, &Error{Kind: ErrBadRecord, Detail: "malformed NAPTR record", Err: err}
		}
		recs = append(recs, n)
	}
	if len(recs) == 0 {
		return nil, fail(ErrNoRecord, "no NAPTR record in the answer")
	}
	return recs, nil
}

// Package dnsserver is a small authoritative DNS server for one zone on a
// loopback address, in pure Go: what the demo network and the tests of
// eDelivery dynamic discovery (BDXL, package bdxl; Common Services
// discovery, package csdiscovery) publish their NAPTR records with, on a
// machine with nothing but Go.
//
// It implements the parts of DNS such a zone needs: queries over UDP and
// TCP on one port (RFC 1035 §4.2, RFC 7766), NAPTR records in the RFC 3403
// §4.1 wire format, A and AAAA records, the zone's SOA record, NXDOMAIN and
// NODATA answers with the SOA in the authority section (RFC 2308), EDNS0
// (RFC 6891: the requester's UDP payload size, at most 4096, BADVERS for a
// version other than 0), and the TC bit when an answer does not fit a UDP
// message, the client then asking again over TCP. The records live in
// memory and can be changed while the server runs (Server.SetNAPTR,
// Server.SetAddrs, Server.Delete).
//
// Anything else is refused: names outside the zone and classes other than
// IN with REFUSED, zone transfers (AXFR, IXFR) with REFUSED, opcodes other
// than QUERY with NOTIMP, malformed queries with FORMERR (or no answer when
// even the header is unreadable). Queries are bounded to MaxQuery bytes,
// TCP connections in number and idle time.
//
// Messages are decoded and encoded with github.com/miekg/dns (wire.go); the
// transport, the limits and the zone's answers are this package's.
//
// Not implemented: recursion, DNSSEC (the DNSSEC tests use a signed zone
// served by NSD, see internal/dnstest), DNS NOTIFY/UPDATE, delegations.
package dnsserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/oots-go/oots/csdiscovery"
)

// Limits of the in-memory table.
const (
	// MaxRecords bounds the NAPTR records, and separately the addresses,
	// of one name.
	MaxRecords = 32
)

// Config configures a Server. Zero fields take the documented defaults.
type Config struct {
	// Zone is the zone the server is authoritative for, e.g.
	// "demo.oots.test"; required.
	Zone string
	// Addr is the UDP and TCP address, "host:port"; default
	// "127.0.0.1:0" (a free port, the same for UDP and TCP).
	Addr string
	// TTL of every record, and the negative-caching TTL; default 60 s.
	TTL uint32
	// MaxConns bounds the TCP connections served at once; default 64.
	MaxConns int
	// IdleTimeout closes a TCP connection without a query for that long;
	// default 10 s.
	IdleTimeout time.Duration
	// Logger receives a debug line per query; default slog.Default().
	Logger *slog.Logger
}

// Validate names the first wrong field.
func (c *Config) Validate() error {
	if c.Zone == "" {
		return errors.New("dnsserver: Config.Zone is required")
	}
	if _, err := canonical(c.Zone); err != nil {
		return fmt.Errorf("dnsserver: Config.Zone: %w", err)
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return fmt.Errorf("dnsserver: Config.Addr: %w", err)
		}
	}
	if c.MaxConns < 0 {
		return errors.New("dnsserver: Config.MaxConns must not be negative")
	}
	if c.IdleTimeout < 0 {
		return errors.New("dnsserver: Config.IdleTimeout must not be negative")
	}
	return nil
}

// Stats counts what the server answered since it started.
type Stats struct {
	// Queries is the number of queries answered; UDP and TCP split them by
	// transport.
	Queries, UDP, TCP uint64
	// NAPTR, A and AAAA count the queries for those types.
	NAPTR, A, AAAA uint64
	// NXDomain, Refused, NotImp and FormErr count the answers with those
	// codes; Truncated those sent with the TC bit.
	NXDomain, Refused, NotImp, FormErr, Truncated uint64
}

type counters struct {
	queries, udp, tcp, naptr, a, aaaa, nxdomain, refused, notimp, formerr, truncated atomic.Uint64
}

// entry holds the records of one name.
type entry struct {
	naptr []csdiscovery.NAPTR
	addrs []netip.Addr
}

// Server is a running authoritative DNS server. Its methods are safe for
// concurrent use.
type Server struct {
	cfg  Config
	zone string
	log  *slog.Logger
	udp  net.PacketConn
	tcp  net.Listener

	mu     sync.RWMutex
	names  map[string]*entry
	serial uint32
	conns  map[net.Conn]struct{}

	stats  counters
	sem    chan struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
}

// Start opens the UDP and TCP sockets and serves until Close.
func Start(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.TTL == 0 {
		cfg.TTL = 60
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 64
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	zone, _ := canonical(cfg.Zone)
	s := &Server{cfg: cfg, zone: zone, log: cfg.Logger, names: map[string]*entry{}, serial: 1,
		conns: map[net.Conn]struct{}{}, sem: make(chan struct{}, cfg.MaxConns)}
	if err := s.listen(); err != nil {
		return nil, err
	}
	s.wg.Add(2)
	go s.serveUDP()
	go s.serveTCP()
	return s, nil
}

// listen opens TCP and UDP on the same port; with port 0 it tries free
// TCP ports until the same UDP port is free too.
func (s *Server) listen() error {
	host, port, _ := net.SplitHostPort(s.cfg.Addr)
	var lastErr error
	for range 20 {
		tl, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return fmt.Errorf("dnsserver: %w", err)
		}
		p := strconv.Itoa(tl.Addr().(*net.TCPAddr).Port)
		ul, err := net.ListenPacket("udp", net.JoinHostPort(host, p))
		if err == nil {
			s.tcp, s.udp = tl, ul
			return nil
		}
		tl.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return fmt.Errorf("dnsserver: no port free for both UDP and TCP: %w", lastErr)
}

// Addr returns the address the server listens on, "host:port" (UDP and
// TCP).
func (s *Server) Addr() string { return s.tcp.Addr().String() }

// Zone returns the zone, lower-case without the trailing dot.
func (s *Server) Zone() string { return s.zone }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{Queries: c.queries.Load(), UDP: c.udp.Load(), TCP: c.tcp.Load(), NAPTR: c.naptr.Load(), A: c.a.Load(), AAAA: c.aaaa.Load(),
		NXDomain: c.nxdomain.Load(), Refused: c.refused.Load(), NotImp: c.notimp.Load(), FormErr: c.formerr.Load(), Truncated: c.truncated.Load()}
}

// SetNAPTR replaces the NAPTR records of name (in the zone); no records
// removes them. Each record's flags, service and regexp must fit a DNS
// character-string (255 octets) and its replacement be a valid name or ""
// (the root); Owner and TTL are ignored (the name and Config.TTL are used).
func (s *Server) SetNAPTR(name string, recs []csdiscovery.NAPTR) error {
	n, err := s.inZone(name)
	if err != nil {
		return err
	}
	if len(recs) > MaxRecords {
		return fmt.Errorf("dnsserver: %d NAPTR records for %s, more than %d", len(recs), n, MaxRecords)
	}
	cp := make([]csdiscovery.NAPTR, len(recs))
	for i, r := range recs {
		for _, f := range [...]struct{ name, v string }{{"Flags", r.Flags}, {"Service", r.Service}, {"Regexp", r.Regexp}} {
			if len(f.v) > 255 {
				return fmt.Errorf("dnsserver: NAPTR record %d of %s: %s has %d octets, more than 255", i, n, f.name, len(f.v))
			}
		}
		if r.Replacement != "" {
			if r.Replacement, err = canonical(r.Replacement); err != nil {
				return fmt.Errorf("dnsserver: NAPTR record %d of %s: Replacement: %w", i, n, err)
			}
		}
		r.Owner, r.TTL = n, s.cfg.TTL
		cp[i] = r
	}
	s.update(n, func(e *entry) { e.naptr = cp })
	return nil
}

// SetAddrs replaces the A and AAAA records of name (in the zone); no
// addresses removes them.
func (s *Server) SetAddrs(name string, addrs []netip.Addr) error {
	n, err := s.inZone(name)
	if err != nil {
		return err
	}
	if len(addrs) > MaxRecords {
		return fmt.Errorf("dnsserver: %d addresses for %s, more than %d", len(addrs), n, MaxRecords)
	}
	cp := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if !a.IsValid() {
			return fmt.Errorf("dnsserver: an invalid address for %s", n)
		}
		cp = append(cp, a.Unmap())
	}
	s.update(n, func(e *entry) { e.addrs = cp })
	return nil
}

// Delete removes every record of name; it reports whether there were any.
func (s *Server) Delete(name string) bool {
	n, err := canonical(name)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.names[n]
	if ok {
		delete(s.names, n)
		s.serial++
	}
	return ok
}

func (s *Server) update(n string, f func(*entry)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.names[n]
	if e == nil {
		e = &entry{}
	}
	f(e)
	if len(e.naptr) == 0 && len(e.addrs) == 0 {
		delete(s.names, n)
	} else {
		s.names[n] = e
	}
	s.serial++
}

// inZone validates name and checks it is the zone or under it.
func (s *Server) inZone(name string) (string, error) {
	n, err := canonical(name)
	if err != nil {
		return "", fmt.Errorf("dnsserver: %w", err)
	}
	if !within(n, s.zone) {
		return "", fmt.Errorf("dnsserver: name %q is not in the zone %s", n, s.zone)
	}
	return n, nil
}

func within(n, zone string) bool { return n == zone || strings.HasSuffix(n, "."+zone) }

// canonical validates a name and returns it lower-case without the
// trailing dot: labels of 1 to 63 letters, digits, hyphens or underscores,
// at most 253 characters.
func canonical(name string) (string, error) {
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if n == "" || len(n) > 253 {
		return "", fmt.Errorf("name %q: must have 1 to 253 characters", name)
	}
	for _, l := range strings.Split(n, ".") {
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
	return n, nil
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := errors.Join(s.udp.Close(), s.tcp.Close())
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, addr, err := s.udp.ReadFrom(buf)
		if err != nil {
			if s.closed.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Warn("dns: UDP read failed", slog.String("error", err.Error()))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		resp := s.answer(buf[:n], false)
		if resp == nil {
			continue
		}
		s.stats.udp.Add(1)
		if _, err := s.udp.WriteTo(resp, addr); err != nil && !s.closed.Load() {
			s.log.Debug("dns: UDP write failed", slog.String("error", err.Error()))
		}
	}
}

func (s *Server) serveTCP() {
	defer s.wg.Done()
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if s.closed.Load() {
				return
			}
			s.log.Warn("dns: TCP accept failed", slog.String("error", err.Error()))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			c.Close() // too many connections
			continue
		}
		s.mu.Lock()
		if s.closed.Load() {
			s.mu.Unlock()
			c.Close()
			<-s.sem
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
				<-s.sem
				s.wg.Done()
			}()
			s.serveConn(c)
		}()
	}
}

// serveConn answers the length-prefixed queries of one connection
// (RFC 1035 §4.2.2, RFC 7766 §6.2.1: several queries per connection).
func (s *Server) serveConn(c net.Conn) {
	buf := make([]byte, MaxQuery)
	for {
		c.SetDeadline(time.Now().Add(s.cfg.IdleTimeout))
		var lb [2]byte
		if _, err := io.ReadFull(c, lb[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(lb[:]))
		if n < headerLen || n > MaxQuery {
			return // not a query this server reads
		}
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			return
		}
		resp := s.answer(buf[:n], true)
		if resp == nil {
			return
		}
		s.stats.tcp.Add(1)
		out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(resp)), uint16(len(resp)))
		if _, err := c.Write(append(out, resp...)); err != nil {
			return
		}
	}
}

// answer returns the response to a query message, or nil when it gets
// none (unreadable header, or a response rather than a query).
func (s *Server) answer(msg []byte, tcp bool) []byte {
	q, err := ParseQuery(msg)
	if q == nil {
		return nil
	}
	s.stats.queries.Add(1)
	r := &reply{q: q, withQuestion: err == nil, edns: err == nil && q.EDNS}
	switch {
	case err != nil:
		r.rcode = rcodeFormErr
	case q.Opcode != 0:
		r.rcode = rcodeNotImp
	case q.EDNS && q.EDNSVersion != 0:
		r.rcode = rcodeBadVers
	default:
		s.resolve(q, r)
	}
	switch r.rcode {
	case rcodeFormErr:
		s.stats.formerr.Add(1)
	case rcodeNotImp:
		s.stats.notimp.Add(1)
	case rcodeRefused:
		s.stats.refused.Add(1)
	case rcodeNXDomain:
		s.stats.nxdomain.Add(1)
	}
	s.log.Debug("dns query", slog.String("name", q.Name), slog.Int("type", int(q.Type)), slog.Int("rcode", r.rcode), slog.Bool("tcp", tcp))
	out := r.bytes()
	limit := 65535
	if !tcp {
		limit = minUDPSize
		if q.EDNS && err == nil {
			limit = min(max(int(q.UDPSize), minUDPSize), maxUDPSize)
		}
	}
	if len(out) > limit {
		if tcp {
			return (&reply{q: q, rcode: rcodeServFail, withQuestion: true, edns: r.edns}).bytes()
		}
		s.stats.truncated.Add(1)
		r.tc, r.answer, r.authority = true, nil, nil
		out = r.bytes()
	}
	return out
}

// resolve fills the answer to a well-formed standard query.
func (s *Server) resolve(q *Query, r *reply) {
	switch q.Type {
	case typeNAPTR:
		s.stats.naptr.Add(1)
	case typeA:
		s.stats.a.Add(1)
	case typeAAAA:
		s.stats.aaaa.Add(1)
	}
	n := strings.ToLower(q.Name)
	if q.Class != classIN || !within(n, s.zone) || q.Type == typeAXFR || q.Type == typeIXFR {
		r.rcode = rcodeRefused
		return
	}
	r.aa = true
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, exists := s.names[n]
	exists = exists || n == s.zone
	if !exists {
		for k := range s.names { // an empty non-terminal exists too
			if strings.HasSuffix(k, "."+n) {
				exists = true
				break
			}
		}
	}
	if !exists {
		r.rcode = rcodeNXDomain
		r.authority = []dns.RR{s.soa()}
		return
	}
	if n == s.zone && (q.Type == typeSOA || q.Type == typeANY) {
		r.answer = append(r.answer, s.soa())
	}
	if e != nil {
		// Owners are written as the question spells the name (RFC 4343),
		// so that they compress to a pointer to it.
		if q.Type == typeNAPTR || q.Type == typeANY {
			for _, rec := range e.naptr {
				r.answer = append(r.answer, s.naptr(q.Name, rec))
			}
		}
		for _, a := range e.addrs {
			switch {
			case a.Is4() && (q.Type == typeA || q.Type == typeANY):
				r.answer = append(r.answer, &dns.A{Hdr: s.hdr(q.Name, typeA), A: a.AsSlice()})
			case a.Is6() && (q.Type == typeAAAA || q.Type == typeANY):
				r.answer = append(r.answer, &dns.AAAA{Hdr: s.hdr(q.Name, typeAAAA), AAAA: a.AsSlice()})
			}
		}
	}
	if len(r.answer) == 0 {
		r.authority = []dns.RR{s.soa()} // NODATA (RFC 2308 §2.2)
	}
}

// hdr is the header of a record of this zone.
func (s *Server) hdr(owner string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: dns.Fqdn(owner), Rrtype: t, Class: dns.ClassINET, Ttl: s.cfg.TTL}
}

// soa is the zone's SOA record; s.mu is held.
func (s *Server) soa() dns.RR {
	return &dns.SOA{Hdr: s.hdr(s.zone, typeSOA), Ns: "ns." + s.zone + ".", Mbox: "hostmaster." + s.zone + ".",
		Serial: s.serial, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: s.cfg.TTL}
}

// naptr is a NAPTR record (RFC 3403 §4.1) at owner. Its character-strings
// are given to miekg/dns in presentation form.
func (s *Server) naptr(owner string, r csdiscovery.NAPTR) dns.RR {
	return &dns.NAPTR{Hdr: s.hdr(owner, typeNAPTR), Order: r.Order, Preference: r.Preference,
		Flags: escape(r.Flags), Service: escape(r.Service), Regexp: escape(r.Regexp), Replacement: dns.Fqdn(r.Replacement)}
}

// escape writes a character-string in presentation form (RFC 1035 §5.1).
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

package csdiscovery_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

// fakeDNS is an in-process test double of a DNS server, for the hostile
// answers a real server will not send. It listens on one loopback port for
// UDP and TCP; handle gets the query (ID, name, and whether it came over
// TCP) and returns the raw messages to send back (several datagrams over
// UDP; the first one over TCP).
type fakeDNS struct {
	addr    string
	handle  func(q fakeQuery) [][]byte
	udpSeen atomic.Int32
	tcpSeen atomic.Int32
}

type fakeQuery struct {
	id    uint16
	name  string // as sent, wire labels joined by dots
	qtype uint16
	tcp   bool
	raw   []byte
}

func startFake(t *testing.T, handle func(q fakeQuery) [][]byte) *fakeDNS {
	t.Helper()
	f := &fakeDNS{handle: handle}
	var pc net.PacketConn
	var l net.Listener
	for i := 0; ; i++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			f.addr = pc.LocalAddr().String()
			break
		}
		pc.Close()
		if i > 20 {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { pc.Close(); l.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			f.udpSeen.Add(1)
			q, ok := parseFakeQuery(buf[:n])
			if !ok {
				continue
			}
			for _, m := range f.handle(q) {
				pc.WriteTo(m, from)
			}
		}
	}()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				f.tcpSeen.Add(1)
				var lb [2]byte
				if _, err := io.ReadFull(conn, lb[:]); err != nil {
					return
				}
				msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
				if _, err := io.ReadFull(conn, msg); err != nil {
					return
				}
				q, ok := parseFakeQuery(msg)
				if !ok {
					return
				}
				q.tcp = true
				out := f.handle(q)
				if len(out) == 0 {
					return
				}
				conn.Write(binary.BigEndian.AppendUint16(nil, uint16(len(out[0]))))
				conn.Write(out[0])
			}()
		}
	}()
	return f
}

func parseFakeQuery(m []byte) (fakeQuery, bool) {
	if len(m) < 12 {
		return fakeQuery{}, false
	}
	q := fakeQuery{id: binary.BigEndian.Uint16(m), raw: append([]byte(nil), m...)}
	off := 12
	var labels []string
	for off < len(m) && m[off] != 0 {
		l := int(m[off])
		if off+1+l > len(m) {
			return q, false
		}
		labels = append(labels, string(m[off+1:off+1+l]))
		off += 1 + l
	}
	if off+5 > len(m) {
		return q, false
	}
	q.name = strings.Join(labels, ".")
	q.qtype = binary.BigEndian.Uint16(m[off+1:])
	return q, true
}

// fakeRR is one answer record; name "" stands for a pointer to the question
// name (offset 12), as real servers compress it.
type fakeRR struct {
	name  []byte // wire form; nil: pointer to the question name
	typ   uint16
	ttl   uint32
	rdata []byte
}

func wireName(name string) []byte {
	var b []byte
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

// reply builds a response to q: flags QR|RD|RA plus extra (e.g. TC), rcode,
// the question echoed, and the answers.
func reply(q fakeQuery, extra uint16, rcode int, answers ...fakeRR) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, q.id)
	binary.BigEndian.PutUint16(b[2:], 0x8180|extra|uint16(rcode))
	binary.BigEndian.PutUint16(b[4:], 1)
	binary.BigEndian.PutUint16(b[6:], uint16(len(answers)))
	b = append(b, wireName(q.name)...)
	b = binary.BigEndian.AppendUint16(b, q.qtype)
	b = binary.BigEndian.AppendUint16(b, 1)
	for _, a := range answers {
		if a.name == nil {
			b = append(b, 0xc0, 12)
		} else {
			b = append(b, a.name...)
		}
		b = binary.BigEndian.AppendUint16(b, a.typ)
		b = binary.BigEndian.AppendUint16(b, 1)
		b = binary.BigEndian.AppendUint32(b, a.ttl)
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.rdata)))
		b = append(b, a.rdata...)
	}
	return b
}

func naptrData(order, pref uint16, flags, service, regexp, replacement string) []byte {
	b := binary.BigEndian.AppendUint16(nil, order)
	b = binary.BigEndian.AppendUint16(b, pref)
	for _, s := range []string{flags, service, regexp} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return append(b, wireName(replacement)...)
}

func uRecord(url string) fakeRR {
	return fakeRR{typ: csdiscovery.TypeNAPTR, ttl: 60, rdata: naptrData(100, 10, "U", "svc", "!^.*$!"+url+"!", "")}
}

const fakeName = "fr.eb.v2.cs.acc." + csdiscovery.DefaultZone

var fakeQ = csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}

func lookupFake(t *testing.T, f *fakeDNS, cfg csdiscovery.Config) (*csdiscovery.Result, error) {
	t.Helper()
	cfg.Server = f.addr
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second // the fake answers at once: generous for a loaded machine
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 1
	}
	return newResolver(t, cfg).Lookup(context.Background(), fakeQ)
}

func TestFakeDNSHostileAnswers(t *testing.T) {
	const good = "https://query.cs.acc.oots.tech.ec.europa.eu/"
	chainTo := func(i int) string { return "n" + strconv.Itoa(i) + ".chain." + csdiscovery.DefaultZone }
	for _, c := range []struct {
		name   string
		handle func(q fakeQuery) [][]byte
		cfg    csdiscovery.Config
		want   error  // nil: success with URL good
		text   string // in the error
	}{
		{"plain answer", func(q fakeQuery) [][]byte { return [][]byte{reply(q, 0, 0, uRecord(good))} }, csdiscovery.Config{}, nil, ""},
		{"spoofed id first, then the answer", func(q fakeQuery) [][]byte {
			spoof := q
			spoof.id++
			return [][]byte{reply(spoof, 0, 0, uRecord("https://evil.example/")), reply(q, 0, 0, uRecord(good))}
		}, csdiscovery.Config{}, nil, ""},
		{"answer to another question only", func(q fakeQuery) [][]byte {
			other := q
			other.name = "evil.example"
			return [][]byte{reply(other, 0, 0, uRecord("https://evil.example/"))}
		}, csdiscovery.Config{Timeout: 300 * time.Millisecond}, csdiscovery.ErrUnreachable, "no answer within"},
		{"no answer at all", func(q fakeQuery) [][]byte { return nil }, csdiscovery.Config{Attempts: 2, Timeout: 100 * time.Millisecond}, csdiscovery.ErrUnreachable, "no answer within"},
		{"SERVFAIL", func(q fakeQuery) [][]byte { return [][]byte{reply(q, 0, 2)} }, csdiscovery.Config{}, csdiscovery.ErrUnreachable, "SERVFAIL"},
		{"REFUSED", func(q fakeQuery) [][]byte { return [][]byte{reply(q, 0, 5)} }, csdiscovery.Config{}, csdiscovery.ErrUnreachable, "REFUSED"},
		{"NXDOMAIN", func(q fakeQuery) [][]byte { return [][]byte{reply(q, 0, 3)} }, csdiscovery.Config{}, csdiscovery.ErrNoRecord, "NXDOMAIN"},
		{"empty answer", func(q fakeQuery) [][]byte { return [][]byte{reply(q, 0, 0)} }, csdiscovery.Config{}, csdiscovery.ErrNoRecord, "no NAPTR record"},
		{"records of another owner", func(q fakeQuery) [][]byte {
			r := uRecord("https://evil.example/")
			r.name = wireName("evil.example")
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrNoRecord, "no NAPTR record"},
		{"truncated, then TCP", func(q fakeQuery) [][]byte {
			if !q.tcp {
				return [][]byte{reply(q, 0x0200, 0)}
			}
			return [][]byte{reply(q, 0, 0, uRecord(good))}
		}, csdiscovery.Config{}, nil, ""},
		{"truncated over TCP too", func(q fakeQuery) [][]byte { return [][]byte{reply(q, 0x0200, 0)} }, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "TCP response is truncated"},
		{"TCP answer to another id", func(q fakeQuery) [][]byte {
			if !q.tcp {
				return [][]byte{reply(q, 0x0200, 0)}
			}
			q.id++
			return [][]byte{reply(q, 0, 0, uRecord(good))}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "does not answer the query"},
		{"oversize UDP answer", func(q fakeQuery) [][]byte {
			var rs []fakeRR
			for i := 0; i < 40; i++ {
				rs = append(rs, uRecord(good+strings.Repeat("x", 100)))
			}
			return [][]byte{reply(q, 0, 0, rs...)}
		}, csdiscovery.Config{MaxResponse: 1024}, csdiscovery.ErrBadRecord, "more than the limit"},
		{"oversize TCP answer", func(q fakeQuery) [][]byte {
			if !q.tcp {
				return [][]byte{reply(q, 0x0200, 0)}
			}
			var rs []fakeRR
			for i := 0; i < 40; i++ {
				rs = append(rs, uRecord(good+strings.Repeat("x", 100)))
			}
			return [][]byte{reply(q, 0, 0, rs...)}
		}, csdiscovery.Config{MaxResponse: 1024}, csdiscovery.ErrBadRecord, "more than the limit"},
		{"too many records", func(q fakeQuery) [][]byte {
			var rs []fakeRR
			for i := 0; i < 300; i++ {
				rs = append(rs, fakeRR{typ: 1, rdata: []byte{127, 0, 0, 1}})
			}
			return [][]byte{reply(q, 0, 0, rs...)}
		}, csdiscovery.Config{MaxResponse: 60000}, csdiscovery.ErrBadRecord, "more than the limit of 256"},
		{"compression loop", func(q fakeQuery) [][]byte {
			m := reply(q, 0, 0, uRecord(good))
			// Point the answer's name at itself.
			at := 12 + len(wireName(q.name)) + 4
			m[at], m[at+1] = 0xc0|byte(at>>8), byte(at)
			return [][]byte{m}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "compression pointers"},
		{"NAPTR string overruns its record", func(q fakeQuery) [][]byte {
			r := uRecord(good)
			r.rdata[4] = 200
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "overflow"},
		{"NAPTR data after the replacement", func(q fakeQuery) [][]byte {
			r := uRecord(good)
			r.rdata = append(r.rdata, 0)
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "bad rdlength"},
		{"label with a control byte", func(q fakeQuery) [][]byte {
			r := uRecord(good)
			r.rdata = naptrData(100, 10, "", "svc", "", "a\x00b.example")
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "label has the byte"},
		{"regexp with a back-reference", func(q fakeQuery) [][]byte {
			r := uRecord(good)
			r.rdata = naptrData(100, 10, "U", "svc", `!^(.*)$!https://\1/!`, "")
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "U-NAPTR allows only .* (RFC 4848 §2.2) or ^.*$"},
		{"regexp with the i flag", func(q fakeQuery) [][]byte {
			r := uRecord(good)
			r.rdata = naptrData(100, 10, "U", "svc", `!^.*$!`+good+`!i`, "")
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "flags"},
		{"javascript URL", func(q fakeQuery) [][]byte {
			return [][]byte{reply(q, 0, 0, uRecord("javascript:alert(1)"))}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "not accepted"},
		{"URL with credentials", func(q fakeQuery) [][]byte {
			return [][]byte{reply(q, 0, 0, uRecord("https://user:pw@evil.example/"))}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "user information"},
		{"bad record first, good one next", func(q fakeQuery) [][]byte {
			bad := uRecord("http://plain.example/")
			bad.rdata = naptrData(10, 10, "U", "svc", "!^.*$!http://plain.example/!", "")
			return [][]byte{reply(q, 0, 0, bad, uRecord(good))}
		}, csdiscovery.Config{}, nil, ""},
		{"S flag only", func(q fakeQuery) [][]byte {
			r := uRecord(good)
			r.rdata = naptrData(100, 10, "S", "svc", "", "_https._tcp.example")
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "not U-NAPTR"},
		{"CNAME to the records", func(q fakeQuery) [][]byte {
			target := "target." + csdiscovery.DefaultZone
			r := uRecord(good)
			r.name = wireName(target)
			return [][]byte{reply(q, 0, 0, fakeRR{typ: 5, ttl: 60, rdata: wireName(target)}, r)}
		}, csdiscovery.Config{}, nil, ""},
		{"CNAME loop", func(q fakeQuery) [][]byte {
			a, b := "a."+csdiscovery.DefaultZone, "b."+csdiscovery.DefaultZone
			return [][]byte{reply(q, 0, 0,
				fakeRR{typ: 5, rdata: wireName(a)},
				fakeRR{name: wireName(a), typ: 5, rdata: wireName(b)},
				fakeRR{name: wireName(b), typ: 5, rdata: wireName(a)})}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "CNAME chain"},
		{"non-terminal chain too long", func(q fakeQuery) [][]byte {
			i := 0
			if strings.HasPrefix(q.name, "n") {
				i, _ = strconv.Atoi(strings.TrimPrefix(strings.Split(q.name, ".")[0], "n"))
			}
			r := fakeRR{name: nil, typ: csdiscovery.TypeNAPTR, ttl: 60, rdata: naptrData(100, 10, "", "svc", "", chainTo(i+1))}
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "more than 4 non-terminal"},
		{"non-terminal chain of 3", func(q fakeQuery) [][]byte {
			i := 0
			if strings.HasPrefix(q.name, "n") {
				i, _ = strconv.Atoi(strings.TrimPrefix(strings.Split(q.name, ".")[0], "n"))
			}
			if i == 3 {
				return [][]byte{reply(q, 0, 0, uRecord(good))}
			}
			r := fakeRR{name: nil, typ: csdiscovery.TypeNAPTR, ttl: 60, rdata: naptrData(100, 10, "", "svc", "", chainTo(i+1))}
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, nil, ""},
		{"non-terminal with regexp and replacement", func(q fakeQuery) [][]byte {
			r := fakeRR{typ: csdiscovery.TypeNAPTR, rdata: naptrData(100, 10, "", "svc", "!^.*$!x!", chainTo(1))}
			return [][]byte{reply(q, 0, 0, r)}
		}, csdiscovery.Config{}, csdiscovery.ErrBadRecord, "both a regexp and a replacement"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := startFake(t, c.handle)
			res, err := lookupFake(t, f, c.cfg)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if res.URL.String() != good {
					t.Fatalf("got %s, want %s", res.URL, good)
				}
				return
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v mentioning %q", err, c.want, c.text)
			}
			var de *csdiscovery.Error
			if !errors.As(err, &de) || de.Name != fakeName || de.Server != f.addr {
				t.Errorf("error %#v does not name the lookup and the server", err)
			}
		})
	}
}

// Nothing listens: the client says so quickly and precisely.
func TestUnreachableServer(t *testing.T) {
	port, err := dnstest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, csdiscovery.Config{Server: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Timeout: 300 * time.Millisecond, Attempts: 1})
	if _, err := r.Lookup(context.Background(), fakeQ); !errors.Is(err, csdiscovery.ErrUnreachable) {
		t.Errorf("got %v, want ErrUnreachable", err)
	}
	// A cancelled context stops the lookup.
	f := startFake(t, func(fakeQuery) [][]byte { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = newResolver(t, csdiscovery.Config{Server: f.addr, Timeout: 10 * time.Second})
	if _, err := r.Lookup(ctx, fakeQ); !errors.Is(err, csdiscovery.ErrUnreachable) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want ErrUnreachable wrapping context.Canceled", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  csdiscovery.Config
		text string
	}{
		{csdiscovery.Config{}, "Config.Server is required"},
		{csdiscovery.Config{Server: "dns.example:53"}, "Config.Server"},
		{csdiscovery.Config{Server: "127.0.0.1"}, "Config.Server"},
		{csdiscovery.Config{Server: "127.0.0.1:53", Zone: "bad zone"}, "Config.Zone"},
		{csdiscovery.Config{Static: map[string]string{"eb": "http://x.example/"}}, `Config.Static["eb"]`},
		{csdiscovery.Config{Static: map[string]string{"eb": "https://x.example/?q=1"}}, `Config.Static["eb"]`},
		{csdiscovery.Config{Server: "127.0.0.1:53", MaxResponse: 100}, "Config.MaxResponse"},
		{csdiscovery.Config{Server: "127.0.0.1:53", MinTTL: time.Hour, MaxTTL: time.Minute}, "Config.MinTTL"},
		{csdiscovery.Config{Server: "127.0.0.1:53", Timeout: -1}, "negative"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%+v: got %v, want an error naming %s", c.cfg, err, c.text)
		}
		if _, err := csdiscovery.New(c.cfg); err == nil {
			t.Errorf("%+v: New accepted it", c.cfg)
		}
	}
	if err := (csdiscovery.Config{Server: "[::1]:5353"}).Validate(); err != nil {
		t.Errorf("IPv6 server: %v", err)
	}
}

func TestQueryName(t *testing.T) {
	for _, c := range []struct {
		q    csdiscovery.Query
		zone string
		want string // "" : error
	}{
		{csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, "", "fr.eb.v2.cs.acc.oots.tech.ec.europa.eu"},
		{csdiscovery.Query{Country: "el", Service: csdiscovery.DataServiceDirectory, Major: 1, Environment: csdiscovery.Production}, "", "el.dsd.v1.cs.prod.oots.tech.ec.europa.eu"},
		{csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: "test"}, "example.test", "fr.eb.v2.cs.test.example.test"},
		{csdiscovery.Query{Country: "fra", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, "", ""},
		{csdiscovery.Query{Country: "f1", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}, "", ""},
		{csdiscovery.Query{Country: "fr", Service: "sr", Major: 2, Environment: csdiscovery.Acceptance}, "", ""},
		{csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 0, Environment: csdiscovery.Acceptance}, "", ""},
		{csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2}, "", ""},
		{csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: "acc.evil"}, "", ""},
		{csdiscovery.Query{Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: "a c"}, "", ""},
	} {
		got, err := c.q.Name(c.zone)
		if c.want == "" && err == nil || c.want != "" && got != c.want {
			t.Errorf("%+v in %q: got %q, %v; want %q", c.q, c.zone, got, err, c.want)
		}
	}
}

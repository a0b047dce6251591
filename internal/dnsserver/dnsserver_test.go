package dnsserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

const zone = "demo.oots.test"

// answerWait bounds the wait for an answer the server must give: generous,
// for a loaded machine; a wait for no answer is short instead.
const answerWait = 10 * time.Second

func start(t testing.TB) *Server {
	t.Helper()
	s, err := Start(Config{Zone: zone, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func smpRecord(url string) csdiscovery.NAPTR {
	return csdiscovery.NAPTR{Order: 100, Preference: 10, Flags: "U", Service: bdxl.Service, Regexp: "!^.*$!" + url + "!"}
}

// The BDXL resolver finds a participant's SMP through the server over real
// UDP; once the record is removed the participant is not registered.
func TestBDXLLookup(t *testing.T) {
	s := start(t)
	p := bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0007:AP-SE"}
	name, err := bdxl.Name(p, zone)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetNAPTR(name, []csdiscovery.NAPTR{smpRecord("https://127.0.0.1:8443/")}); err != nil {
		t.Fatal(err)
	}
	r := &bdxl.Resolver{DNS: &csdiscovery.Client{Server: s.Addr(), Timeout: answerWait}, Zone: zone}
	u, err := r.Lookup(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "https://127.0.0.1:8443/" {
		t.Errorf("SMP URL %s", u)
	}
	st := s.Stats()
	if st.NAPTR != 1 || st.UDP != 1 || st.TCP != 0 || st.Truncated != 0 {
		t.Errorf("stats after one lookup: %+v", st)
	}

	if !s.Delete(name) {
		t.Fatal("Delete reported no records")
	}
	_, err = r.Lookup(context.Background(), p)
	if !errors.Is(err, bdxl.ErrNotRegistered) {
		t.Fatalf("lookup after Delete: %v, want ErrNotRegistered", err)
	}
	if st := s.Stats(); st.NXDomain != 1 {
		t.Errorf("NXDomain %d, want 1", st.NXDomain)
	}
}

// manyRecords returns n NAPTR records whose answer exceeds 512 bytes.
func manyRecords(n int) []csdiscovery.NAPTR {
	var recs []csdiscovery.NAPTR
	for i := range n {
		r := smpRecord(fmt.Sprintf("https://smp-%02d.%s/%s/", i, zone, strings.Repeat("p", 40)))
		r.Order = uint16(i)
		recs = append(recs, r)
	}
	return recs
}

// An answer larger than a UDP message is sent truncated; the client asks
// again over TCP and gets every record.
func TestTruncationAndTCP(t *testing.T) {
	s := start(t)
	name := "big." + zone
	want := manyRecords(20)
	if err := s.SetNAPTR(name, want); err != nil {
		t.Fatal(err)
	}
	got, err := (&csdiscovery.Client{Server: s.Addr(), Timeout: answerWait}).LookupNAPTR(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		w.Owner, w.TTL = name, 60
		if got[i] != w {
			t.Errorf("record %d: %+v, want %+v", i, got[i], w)
		}
	}
	if st := s.Stats(); st.Truncated != 1 || st.TCP != 1 || st.UDP != 1 {
		t.Errorf("stats %+v, want one truncated UDP answer and one TCP answer", st)
	}
}

// query builds a query message.
func query(id uint16, opcode int, name string, qtype, class uint16) []byte {
	b := make([]byte, headerLen)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], uint16(opcode)<<11|0x0100)
	binary.BigEndian.PutUint16(b[4:], 1)
	b = appendName(b, name)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, class)
}

// withOPT adds an EDNS0 OPT record.
func withOPT(q []byte, size uint16, version byte) []byte {
	binary.BigEndian.PutUint16(q[10:], 1)
	q = append(q, 0)
	q = binary.BigEndian.AppendUint16(q, typeOPT)
	q = binary.BigEndian.AppendUint16(q, size)
	q = append(q, 0, version, 0, 0)
	return binary.BigEndian.AppendUint16(q, 0)
}

// header is what the tests read of an answer.
type header struct {
	id                uint16
	rcode             int
	aa, tc, rd        bool
	qd, an, ns, ar    int
	firstType, nsType uint16
	size              int
}

func readHeader(t *testing.T, b []byte) header {
	t.Helper()
	if len(b) < headerLen {
		t.Fatalf("answer of %d bytes", len(b))
	}
	f := binary.BigEndian.Uint16(b[2:])
	if f&0x8000 == 0 {
		t.Fatal("answer without QR")
	}
	h := header{id: binary.BigEndian.Uint16(b), rcode: int(f & 0xf), aa: f&0x0400 != 0, tc: f&0x0200 != 0, rd: f&0x0100 != 0,
		qd: int(binary.BigEndian.Uint16(b[4:])), an: int(binary.BigEndian.Uint16(b[6:])), ns: int(binary.BigEndian.Uint16(b[8:])),
		ar: int(binary.BigEndian.Uint16(b[10:])), size: len(b)}
	// Skip the question and read the first record's type.
	off := headerLen
	if h.qd == 1 {
		_, o, err := readName(b, off)
		if err != nil {
			t.Fatalf("question of the answer: %v", err)
		}
		off = o + 4
	}
	if h.an+h.ns > 0 && off+2 < len(b) {
		if b[off]&0xc0 == 0xc0 {
			off += 2
		} else {
			_, o, err := readName(b, off)
			if err != nil {
				t.Fatalf("record owner: %v", err)
			}
			off = o
		}
		typ := binary.BigEndian.Uint16(b[off:])
		if h.an > 0 {
			h.firstType = typ
		} else {
			h.nsType = typ
		}
	}
	if h.ar == 1 && b[len(b)-11] == 0 {
		h.rcode |= int(b[len(b)-6]) << 4 // extended RCODE of the OPT record
	}
	return h
}

// exchangeUDP sends q and reads the answer, waiting up to wait for it.
func exchangeUDP(t *testing.T, addr string, q []byte, wait time.Duration) ([]byte, error) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write(q); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	return buf[:n], err
}

func TestAnswers(t *testing.T) {
	s := start(t)
	if err := s.SetNAPTR("x.bdxl."+zone, []csdiscovery.NAPTR{smpRecord("https://smp.example/")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAddrs("smp."+zone, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNAPTR("big."+zone, manyRecords(20)); err != nil {
		t.Fatal(err)
	}
	formErr := query(7, 0, "x."+zone, typeNAPTR, classIN)
	binary.BigEndian.PutUint16(formErr[4:], 2) // two questions announced, one sent
	for _, c := range []struct {
		name  string
		q     []byte
		want  header // compared: rcode, aa, tc, qd, an, ns, firstType, nsType
		check func(t *testing.T, h header)
	}{
		{"NAPTR", query(1, 0, "X.BDXL."+zone, typeNAPTR, classIN), header{rcode: 0, aa: true, qd: 1, an: 1, firstType: typeNAPTR}, nil},
		{"A", query(1, 0, "smp."+zone, typeA, classIN), header{aa: true, qd: 1, an: 1, firstType: typeA}, nil},
		{"AAAA", query(1, 0, "smp."+zone, typeAAAA, classIN), header{aa: true, qd: 1, an: 1, firstType: typeAAAA}, nil},
		{"ANY", query(1, 0, "smp."+zone, typeANY, classIN), header{aa: true, qd: 1, an: 2, firstType: typeA}, nil},
		{"SOA at the apex", query(1, 0, zone, typeSOA, classIN), header{aa: true, qd: 1, an: 1, firstType: typeSOA}, nil},
		{"NODATA: other type", query(1, 0, "smp."+zone, 16, classIN), header{aa: true, qd: 1, ns: 1, nsType: typeSOA}, nil},
		{"NODATA: empty non-terminal", query(1, 0, "bdxl."+zone, typeNAPTR, classIN), header{aa: true, qd: 1, ns: 1, nsType: typeSOA}, nil},
		{"NXDOMAIN", query(1, 0, "nobody."+zone, typeNAPTR, classIN), header{rcode: rcodeNXDomain, aa: true, qd: 1, ns: 1, nsType: typeSOA}, nil},
		{"outside the zone", query(1, 0, "example.org", typeA, classIN), header{rcode: rcodeRefused, qd: 1}, nil},
		{"zone suffix without a dot", query(1, 0, "x"+zone, typeA, classIN), header{rcode: rcodeRefused, qd: 1}, nil},
		{"class CH", query(1, 0, "smp."+zone, typeA, 3), header{rcode: rcodeRefused, qd: 1}, nil},
		{"zone transfer", query(1, 0, zone, typeAXFR, classIN), header{rcode: rcodeRefused, qd: 1}, nil},
		{"opcode STATUS", query(1, 2, zone, typeSOA, classIN), header{rcode: rcodeNotImp, qd: 1}, nil},
		{"malformed", formErr, header{rcode: rcodeFormErr}, func(t *testing.T, h header) {
			if h.id != 7 {
				t.Errorf("id %d, want 7", h.id)
			}
		}},
		{"EDNS version 1", withOPT(query(1, 0, zone, typeSOA, classIN), 1232, 1), header{rcode: rcodeBadVers, qd: 1}, nil},
		{"large answer without EDNS", query(1, 0, "big."+zone, typeNAPTR, classIN), header{aa: true, tc: true, qd: 1}, func(t *testing.T, h header) {
			if h.size > 512 {
				t.Errorf("truncated answer of %d bytes", h.size)
			}
		}},
		{"large answer with EDNS 4096", withOPT(query(1, 0, "big."+zone, typeNAPTR, classIN), 4096, 0), header{aa: true, qd: 1, an: 20, firstType: typeNAPTR}, func(t *testing.T, h header) {
			if h.size <= 512 || h.ar != 1 {
				t.Errorf("answer of %d bytes with %d additional records, want > 512 and the OPT record", h.size, h.ar)
			}
		}},
		{"large answer with EDNS 100 (taken as 512)", withOPT(query(1, 0, "big."+zone, typeNAPTR, classIN), 100, 0), header{aa: true, tc: true, qd: 1}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := exchangeUDP(t, s.Addr(), c.q, answerWait)
			if err != nil {
				t.Fatal(err)
			}
			h := readHeader(t, b)
			got := header{rcode: h.rcode, aa: h.aa, tc: h.tc, qd: h.qd, an: h.an, ns: h.ns, firstType: h.firstType, nsType: h.nsType}
			if got != c.want {
				t.Errorf("answer %+v, want %+v", got, c.want)
			}
			if !h.rd {
				t.Error("RD not copied")
			}
			if c.check != nil {
				c.check(t, h)
			}
		})
	}
}

// Messages that are not queries get no answer; the server keeps serving.
func TestNoAnswer(t *testing.T) {
	s := start(t)
	resp := query(1, 0, zone, typeSOA, classIN)
	resp[2] |= 0x80 // QR: a response
	for name, msg := range map[string][]byte{"short": {1, 2, 3}, "response": resp, "oversize": make([]byte, MaxQuery+1)} {
		// Waiting for no answer: a short wait cannot fail falsely.
		if _, err := exchangeUDP(t, s.Addr(), msg, 500*time.Millisecond); err == nil {
			t.Errorf("%s: got an answer", name)
		}
	}
	if b, err := exchangeUDP(t, s.Addr(), query(2, 0, zone, typeSOA, classIN), answerWait); err != nil || readHeader(t, b).an != 1 {
		t.Fatalf("server no longer answers: %v", err)
	}
	if st := s.Stats(); st.Queries != 1 {
		t.Errorf("%d queries counted, want 1", st.Queries)
	}
}

// Several queries on one TCP connection; an oversize length ends it.
func TestTCP(t *testing.T) {
	s := start(t)
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(answerWait))
	for i := range 3 {
		q := query(uint16(i), 0, zone, typeSOA, classIN)
		c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(q))))
		c.Write(q)
		var lb [2]byte
		if _, err := io.ReadFull(c, lb[:]); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, binary.BigEndian.Uint16(lb[:]))
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
		if h := readHeader(t, b); h.id != uint16(i) || h.an != 1 {
			t.Errorf("query %d: %+v", i, h)
		}
	}
	c.Write([]byte{0xff, 0xff})
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after an oversize length")
	}
}

func TestConfigAndRecords(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Config.Zone is required"},
		{Config{Zone: "bad zone"}, "Config.Zone"},
		{Config{Zone: zone, Addr: "nohostport"}, "Config.Addr"},
		{Config{Zone: zone, MaxConns: -1}, "Config.MaxConns"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
	s := start(t)
	long := smpRecord("https://" + strings.Repeat("a", 250) + "/")
	for name, err := range map[string]error{
		"outside the zone":  s.SetNAPTR("example.org", nil),
		"bad name":          s.SetNAPTR("a b."+zone, nil),
		"long regexp":       s.SetNAPTR("x."+zone, []csdiscovery.NAPTR{long}),
		"bad replacement":   s.SetNAPTR("x."+zone, []csdiscovery.NAPTR{{Replacement: "a..b"}}),
		"too many records":  s.SetNAPTR("x."+zone, manyRecords(MaxRecords+1)),
		"invalid address":   s.SetAddrs("x."+zone, []netip.Addr{{}}),
		"address elsewhere": s.SetAddrs("x.example.org", []netip.Addr{netip.MustParseAddr("127.0.0.1")}),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if s.Delete("x." + zone) {
		t.Error("Delete of a name without records reported records")
	}
}

// The server answers NAPTR lookups as dnsmasq does for the same records.
func TestSameAsDnsmasq(t *testing.T) {
	name, err := bdxl.Name(bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0007:AP-SE"}, zone)
	if err != nil {
		t.Fatal(err)
	}
	recs := []csdiscovery.NAPTR{smpRecord("https://smp.example/"), {Order: 200, Preference: 5, Service: bdxl.Service, Replacement: "next." + zone}}
	var dm []dnstest.Record
	for _, r := range recs {
		dm = append(dm, dnstest.Record{Name: name, Order: int(r.Order), Preference: int(r.Preference), Flags: r.Flags, Service: r.Service, Regexp: r.Regexp, Replacement: r.Replacement})
	}
	dmAddr := dnstest.Start(t, zone, dm)
	s := start(t)
	if err := s.SetNAPTR(name, recs); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []string{name, "nobody." + zone} {
		want, werr := (&csdiscovery.Client{Server: dmAddr}).LookupNAPTR(ctx, n)
		got, gerr := (&csdiscovery.Client{Server: s.Addr()}).LookupNAPTR(ctx, n)
		for _, l := range [][]csdiscovery.NAPTR{want, got} {
			for i := range l {
				l[i].TTL = 0
			}
			slices.SortFunc(l, func(a, b csdiscovery.NAPTR) int { return int(a.Order) - int(b.Order) })
		}
		if !reflect.DeepEqual(got, want) || (werr == nil) != (gerr == nil) {
			t.Errorf("%s: got %+v, %v; dnsmasq %+v, %v", n, got, gerr, want, werr)
		}
		var we, ge *csdiscovery.Error
		if errors.As(werr, &we) && errors.As(gerr, &ge) && we.Kind != ge.Kind {
			t.Errorf("%s: error kind %v, dnsmasq %v", n, ge.Kind, we.Kind)
		}
	}
}

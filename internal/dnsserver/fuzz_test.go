package dnsserver

import (
	"encoding/binary"
	"io"
	"log/slog"
	"testing"

	"github.com/oots-go/oots/csdiscovery"
)

// FuzzParseQuery feeds arbitrary messages to the query parser and to the
// whole answering path: no panic, every answer is a response with the
// query's ID that fits its transport.
func FuzzParseQuery(f *testing.F) {
	f.Add(query(1, 0, "x."+zone, typeNAPTR, classIN))
	f.Add(withOPT(query(2, 0, "big."+zone, typeNAPTR, classIN), 4096, 0))
	f.Add(withOPT(query(3, 0, zone, typeSOA, classIN), 512, 1))
	f.Add(query(4, 5, zone, typeAXFR, 3))
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1})
	s := &Server{cfg: Config{TTL: 60}, zone: zone, log: slog.New(slog.NewTextHandler(io.Discard, nil)), names: map[string]*entry{}}
	s.names["x."+zone] = &entry{naptr: []csdiscovery.NAPTR{smpRecord("https://smp.example/")}}
	s.names["big."+zone] = &entry{naptr: manyRecords(20)}
	f.Fuzz(func(t *testing.T, msg []byte) {
		q, err := ParseQuery(msg)
		if err == nil && (q == nil || q.question == nil) {
			t.Fatalf("accepted query %+v", q)
		}
		for _, tcp := range []bool{false, true} {
			resp := s.answer(msg, tcp)
			if resp == nil {
				if q != nil {
					t.Fatal("no answer to a query with a readable header")
				}
				continue
			}
			if len(resp) < headerLen || resp[2]&0x80 == 0 || binary.BigEndian.Uint16(resp) != q.ID {
				t.Fatalf("answer %x to %x", resp, msg)
			}
			limit := 65535
			if !tcp {
				limit = maxUDPSize
				if !q.EDNS {
					limit = minUDPSize
				}
			}
			if len(resp) > limit {
				t.Fatalf("answer of %d bytes over %s", len(resp), map[bool]string{true: "TCP", false: "UDP"}[tcp])
			}
		}
	})
}

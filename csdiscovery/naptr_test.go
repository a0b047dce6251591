package csdiscovery

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestURI(t *testing.T) {
	const u = "https://query.cs.acc.oots.tech.ec.europa.eu/"
	for _, c := range []struct {
		n    NAPTR
		want string // "" : error
		text string
	}{
		{NAPTR{Flags: "U", Regexp: "!^.*$!" + u + "!"}, u, ""},
		{NAPTR{Flags: "u", Regexp: "!^.*$!" + u + "!"}, u, ""},
		{NAPTR{Flags: "U", Regexp: "#^.*$#" + u + "#"}, u, ""},
		{NAPTR{Flags: "U", Regexp: "!^.*$!" + u + "!", Replacement: "x.example"}, "", "replacement"},
		{NAPTR{Flags: "", Regexp: "!^.*$!" + u + "!"}, "", "not the terminal"},
		{NAPTR{Flags: "S", Regexp: "!^.*$!" + u + "!"}, "", "not the terminal"},
		{NAPTR{Flags: "U"}, "", "empty regexp"},
		{NAPTR{Flags: "U", Regexp: "!^(.*)$!https://\\1/!"}, "", "only ^.*$"},
		{NAPTR{Flags: "U", Regexp: "!^.*!" + u + "!"}, "", "only ^.*$"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!" + u + "!i"}, "", "flags"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!" + u}, "", "not of the form"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!https://a!b/!"}, "", "not of the form"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!!"}, "", "empty URI"},
		{NAPTR{Flags: "U", Regexp: "\\^.*$\\" + u + "\\"}, "", "cannot be a delimiter"},
		{NAPTR{Flags: "U", Regexp: "1^.*$1" + u + "1"}, "", "cannot be a delimiter"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!https://a b/!"}, "", "byte"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!https://a\\.b/!"}, "", "escapes"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!https://" + strings.Repeat("a", 3000) + "/!"}, "", "more than"},
	} {
		got, err := c.n.URI()
		if c.want != "" && (err != nil || got != c.want) || c.want == "" && (err == nil || !strings.Contains(err.Error(), c.text)) {
			t.Errorf("%q flags %q: got %q, %v; want %q / error with %q", c.n.Regexp, c.n.Flags, got, err, c.want, c.text)
		}
	}
}

func TestSortNAPTR(t *testing.T) {
	rs := []NAPTR{{Order: 20, Preference: 1, Service: "a"}, {Order: 10, Preference: 20, Service: "b"}, {Order: 10, Preference: 10, Service: "c"}, {Order: 10, Preference: 10, Service: "d"}}
	SortNAPTR(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.Service)
	}
	if strings.Join(got, "") != "cdba" {
		t.Errorf("order %v", got)
	}
}

// sampleResponse is a response as dnsmasq sends it for one U-NAPTR record,
// plus a CNAME, for the fuzz seeds.
func sampleResponse() []byte {
	q := buildQuery(0x1234, "fr.eb.v2.cs.acc.oots.tech.ec.europa.eu", TypeNAPTR)
	m := append([]byte(nil), q...)
	m[2], m[3] = 0x85, 0x80
	binary.BigEndian.PutUint16(m[6:], 2)
	rdata := binary.BigEndian.AppendUint16(nil, 100)
	rdata = binary.BigEndian.AppendUint16(rdata, 10)
	for _, s := range []string{"U", "svc", "!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!"} {
		rdata = append(rdata, byte(len(s)))
		rdata = append(rdata, s...)
	}
	rdata = append(rdata, 0)
	rr := func(name []byte, typ uint16, data []byte) {
		m = append(m, name...)
		m = binary.BigEndian.AppendUint16(m, typ)
		m = binary.BigEndian.AppendUint16(m, classIN)
		m = binary.BigEndian.AppendUint32(m, 300)
		m = binary.BigEndian.AppendUint16(m, uint16(len(data)))
		m = append(m, data...)
	}
	rr([]byte{0xc0, 12}, TypeNAPTR, rdata)
	rr([]byte{1, 'x', 0xc0, 12}, typeCNAME, []byte{0xc0, 12})
	return m
}

func TestParseSampleResponse(t *testing.T) {
	resp, err := parseResponse(sampleResponse())
	if err != nil {
		t.Fatal(err)
	}
	recs, e := answerNAPTR(resp, "fr.eb.v2.cs.acc.oots.tech.ec.europa.eu")
	if e != nil {
		t.Fatal(e)
	}
	if len(recs) != 1 || recs[0].TTL != 300 || recs[0].Service != "svc" {
		t.Fatalf("%v", recs)
	}
	if u, err := recs[0].URI(); err != nil || u != "https://query.cs.acc.oots.tech.ec.europa.eu/" {
		t.Errorf("%q %v", u, err)
	}
}

// FuzzParseResponse feeds arbitrary messages to the response parser and the
// NAPTR extraction: no panic, and what is accepted stays within the limits.
func FuzzParseResponse(f *testing.F) {
	f.Add(sampleResponse())
	f.Add(buildQuery(1, "a.example", TypeNAPTR))
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 35, 0, 1})
	f.Fuzz(func(t *testing.T, msg []byte) {
		resp, err := parseResponse(msg)
		if err != nil || resp == nil {
			return
		}
		if len(resp.answers) > maxRecords {
			t.Fatalf("accepted %d answers", len(resp.answers))
		}
		recs, e := answerNAPTR(resp, resp.qname)
		if e != nil {
			return
		}
		for _, n := range recs {
			if len(n.Owner) > 253 || len(n.Replacement) > 253 {
				t.Fatalf("name too long: %q %q", n.Owner, n.Replacement)
			}
			if u, err := n.URI(); err == nil && (u == "" || len(u) > maxURI || strings.ContainsAny(u, " \\")) {
				t.Fatalf("URI %q accepted", u)
			}
		}
	})
}

// FuzzURI checks the U-NAPTR rewrite on arbitrary regexps: an accepted
// regexp is exactly delim ^.*$ delim URI delim, and the URI comes back.
func FuzzURI(f *testing.F) {
	for _, s := range []string{"!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!", "!^(.*)$!\\1!", "", "!!!", "#^.*$#x#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, re string) {
		u, err := NAPTR{Flags: "U", Regexp: re}.URI()
		if err != nil {
			return
		}
		d := re[:1]
		if re != d+"^.*$"+d+u+d {
			t.Fatalf("accepted %q giving %q", re, u)
		}
	})
}

package csdiscovery

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
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
		// RFC 4848 §2.2's own form, as its samples and the EC's reference
		// SML write it.
		{NAPTR{Flags: "U", Regexp: "!.*!" + u + "!"}, u, ""},
		{NAPTR{Flags: "u", Regexp: "#.*#" + u + "#"}, u, ""},
		{NAPTR{Flags: "U", Regexp: "!.+!" + u + "!"}, "", "only .* (RFC 4848 §2.2) or ^.*$"},
		{NAPTR{Flags: "U", Regexp: "!.*$!" + u + "!"}, "", "only .* (RFC 4848 §2.2) or ^.*$"},
		{NAPTR{Flags: "U", Regexp: "!^.*$!" + u + "!", Replacement: "x.example"}, "", "replacement"},
		{NAPTR{Flags: "", Regexp: "!^.*$!" + u + "!"}, "", "not the terminal"},
		{NAPTR{Flags: "S", Regexp: "!^.*$!" + u + "!"}, "", "not the terminal"},
		{NAPTR{Flags: "U"}, "", "empty regexp"},
		{NAPTR{Flags: "U", Regexp: "!^(.*)$!https://\\1/!"}, "", "or ^.*$"},
		{NAPTR{Flags: "U", Regexp: "!^.*!" + u + "!"}, "", "or ^.*$"},
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

// sampleResponse is a response as a server sends it for one U-NAPTR
// record, plus a CNAME, for the fuzz seeds.
func sampleResponse() []byte {
	m := new(dns.Msg)
	m.SetQuestion("fr.eb.v2.cs.acc.oots.tech.ec.europa.eu.", dns.TypeNAPTR)
	m.Id = 0x1234
	m.Response, m.Authoritative, m.RecursionAvailable = true, true, true
	hdr := func(name string, t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 300}
	}
	m.Answer = []dns.RR{
		&dns.NAPTR{Hdr: hdr("fr.eb.v2.cs.acc.oots.tech.ec.europa.eu.", dns.TypeNAPTR), Order: 100, Preference: 10,
			Flags: "U", Service: "svc", Regexp: "!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!", Replacement: "."},
		&dns.CNAME{Hdr: hdr("x.fr.eb.v2.cs.acc.oots.tech.ec.europa.eu.", dns.TypeCNAME), Target: "fr.eb.v2.cs.acc.oots.tech.ec.europa.eu."},
	}
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return b
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

// Character-strings come from miekg/dns in presentation form; the octets
// are restored before the U-NAPTR rules judge them.
func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`abc`: "abc", `a\"b`: `a"b`, `a\\1`: `a\1`, `\000x`: "\x00x", `\255`: "\xff"} {
		if got, err := unescape(in); err != nil || got != want {
			t.Errorf("unescape(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`x\`, `\256`} {
		if _, err := unescape(in); err == nil {
			t.Errorf("unescape(%q) accepted", in)
		}
	}
}

// FuzzParseResponse feeds arbitrary messages to the response parser and the
// NAPTR extraction: no panic, and what is accepted stays within the limits.
func FuzzParseResponse(f *testing.F) {
	f.Add(sampleResponse())
	q := new(dns.Msg)
	q.SetQuestion("a.example.", dns.TypeNAPTR)
	qb, _ := q.Pack()
	f.Add(qb)
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 35, 0, 1})
	f.Fuzz(func(t *testing.T, msg []byte) {
		resp, err := parseResponse(msg)
		if err != nil || resp == nil {
			return
		}
		if len(resp.Answer) > maxRecords {
			t.Fatalf("accepted %d answers", len(resp.Answer))
		}
		qname, err := wireName(resp.Question[0].Name)
		if err != nil {
			return
		}
		recs, e := answerNAPTR(resp, qname)
		if e != nil {
			return
		}
		for _, n := range recs {
			if len(n.Owner) > 253 || len(n.Replacement) > 253 || strings.Contains(n.Owner+n.Replacement, `\`) {
				t.Fatalf("bad name: %q %q", n.Owner, n.Replacement)
			}
			if u, err := n.URI(); err == nil && (u == "" || len(u) > maxURI || strings.ContainsAny(u, " \\")) {
				t.Fatalf("URI %q accepted", u)
			}
		}
	})
}

// FuzzURI checks the U-NAPTR rewrite on arbitrary regexps: an accepted
// regexp is exactly delim ^.*$ delim URI delim or delim .* delim URI delim
// (RFC 4848's own form), and the URI comes back.
func FuzzURI(f *testing.F) {
	for _, s := range []string{"!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!", "!^(.*)$!\\1!", "", "!!!", "#^.*$#x#", "#.*#0#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, re string) {
		u, err := NAPTR{Flags: "U", Regexp: re}.URI()
		if err != nil {
			return
		}
		d := re[:1]
		if re != d+"^.*$"+d+u+d && re != d+".*"+d+u+d {
			t.Fatalf("accepted %q giving %q", re, u)
		}
	})
}

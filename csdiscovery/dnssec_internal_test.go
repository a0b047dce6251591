package csdiscovery

import (
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// An answer with many signatures by keys sharing one tag costs at most
// maxSignatureChecks verifications (the KeyTrap attack), and a good
// signature after the bound is not reached.
func TestVerifyBoundsSignatureChecks(t *testing.T) {
	now := time.Now()
	key := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "z.test.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := key.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	set := []dns.RR{&dns.NAPTR{Hdr: dns.RR_Header{Name: "a.z.test.", Rrtype: dns.TypeNAPTR, Class: dns.ClassINET, Ttl: 300},
		Order: 1, Preference: 1, Flags: "U", Regexp: "!^.*$!https://x.example/!", Replacement: "."}}
	sign := func() *dns.RRSIG {
		s := &dns.RRSIG{Hdr: dns.RR_Header{Name: "a.z.test.", Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: 300},
			TypeCovered: dns.TypeNAPTR, Algorithm: key.Algorithm, Labels: 3, OrigTtl: 300, KeyTag: key.KeyTag(), SignerName: "z.test.",
			Inception: uint32(now.Add(-time.Hour).Unix()), Expiration: uint32(now.Add(time.Hour).Unix())}
		if err := s.Sign(priv.(crypto.Signer), set); err != nil {
			t.Fatal(err)
		}
		return s
	}
	v := &validator{c: &Client{Now: func() time.Time { return now }}}
	good := sign()
	if err := v.verify(set, []dns.RR{good}, "z.test.", []*dns.DNSKEY{key}); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	// The TTL is not signed: one raised on the way is brought back to the
	// signed original TTL, and to the time left before the signature
	// expires.
	set[0].Header().Ttl = 86400
	if err := v.verify(set, []dns.RR{good}, "z.test.", []*dns.DNSKEY{key}); err != nil || set[0].Header().Ttl != 300 {
		t.Errorf("raised TTL: %v, TTL %d, want 300", err, set[0].Header().Ttl)
	}
	soon := &validator{c: &Client{Now: func() time.Time { return now.Add(time.Hour - 10*time.Second) }}}
	if err := soon.verify(set, []dns.RR{good}, "z.test.", []*dns.DNSKEY{key}); err != nil || set[0].Header().Ttl > 10 {
		t.Errorf("signature expiring in 10 s: %v, TTL %d", err, set[0].Header().Ttl)
	}
	// A signature by another zone, even a valid one, does not count for
	// this zone.
	if err := v.verify(set, []dns.RR{good}, "other.test.", []*dns.DNSKEY{key}); err == nil || !strings.Contains(err.Error(), "not by the zone other.test.") {
		t.Errorf("signer of another zone: %v", err)
	}
	// A signature outside its validity period does not count.
	late := &validator{c: &Client{Now: func() time.Time { return now.Add(2 * time.Hour) }}}
	if err := late.verify(set, []dns.RR{good}, "z.test.", []*dns.DNSKEY{key}); err == nil || !strings.Contains(err.Error(), "validity period") {
		t.Errorf("expired: %v", err)
	}
	var sigs []dns.RR
	for range 3 * maxSignatureChecks {
		bad := sign()
		bad.Signature = good.Signature[:10] + strings.Repeat("A", len(good.Signature)-12) + good.Signature[len(good.Signature)-2:]
		sigs = append(sigs, bad)
	}
	sigs = append(sigs, good)
	err = v.verify(set, sigs, "z.test.", []*dns.DNSKEY{key})
	if err == nil || !strings.Contains(err.Error(), "signature checks") {
		t.Fatalf("got %v, want the bound on signature checks", err)
	}
}

package csdiscovery_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

// The signed zone of these tests: Common Services records for FR (a
// NAPTR) and DE (a CNAME to FR's), and an unsigned delegation "child".
const (
	signedOrigin = "dnssec.oots.test"
	signedURL    = "https://query.cs.acc.example/"
)

var signedRecords = []string{
	`fr.eb.v2.cs.acc IN NAPTR 100 10 "U" "" "!^.*$!` + signedURL + `!" .`,
	`de.eb.v2.cs.acc IN CNAME fr.eb.v2.cs.acc`,
	`nl.eb.v2.cs.acc IN CNAME target.elsewhere.example.`,
	`*.wild IN NAPTR 100 10 "U" "" "!^.*$!https://wild.example/!" .`,
	`child IN NS ns.child`,
	`ns.child IN A 127.0.0.1`,
}

func signedQuery(country string) csdiscovery.Query {
	return csdiscovery.Query{Country: country, Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}
}

func dnssecResolver(t *testing.T, server, anchor string, mode csdiscovery.DNSSECMode, now func() time.Time) *csdiscovery.Resolver {
	t.Helper()
	return newResolver(t, csdiscovery.Config{Server: server, Zone: signedOrigin, DNSSEC: mode, TrustAnchors: anchor, Now: now, Timeout: 10 * time.Second})
}

// A zone signed with ldns-signzone and served by NSD validates, with NSEC
// and with NSEC3 denial alike: the NAPTR answer, a CNAME to it, a signed
// "no such name", and a signed unsigned delegation (accepted in auto mode,
// refused when validation is required).
func TestDNSSECSignedZone(t *testing.T) {
	for _, nsec3 := range []bool{false, true} {
		name := "NSEC"
		if nsec3 {
			name = "NSEC3"
		}
		t.Run(name, func(t *testing.T) {
			z := dnstest.SignZone(t, t.TempDir(), signedOrigin, signedRecords, nsec3)
			server := dnstest.StartNSD(t, signedOrigin, z.File)
			ctx := context.Background()
			for _, mode := range []csdiscovery.DNSSECMode{csdiscovery.DNSSECAuto, csdiscovery.DNSSECRequire} {
				r := dnssecResolver(t, server, z.DS, mode, nil)
				for _, cc := range []string{"FR", "DE"} {
					res, err := r.Lookup(ctx, signedQuery(cc))
					if err != nil {
						t.Fatalf("%s %s: %v", mode, cc, err)
					}
					if res.URL.String() != signedURL || res.Source != "dns" || !res.Validated {
						t.Errorf("%s %s: got %s from %s, validated %v", mode, cc, res.URL, res.Source, res.Validated)
					}
				}
				_, err := r.Lookup(ctx, signedQuery("SE"))
				if !errors.Is(err, csdiscovery.ErrNoRecord) || errors.Is(err, csdiscovery.ErrInsecure) {
					t.Errorf("%s: unknown country: got %v, want ErrNoRecord from a signed denial", mode, err)
				}
			}
			// Below the unsigned delegation: the NSEC/NSEC3 proof that
			// "child" has no DS makes the name insecure, which auto accepts
			// (the referral has no NAPTR record) and require refuses.
			under := "fr.eb.v2.cs.acc.child." + signedOrigin
			anchors, err := csdiscovery.ParseTrustAnchors(z.DS)
			if err != nil {
				t.Fatal(err)
			}
			auto := &csdiscovery.Client{Server: server, DNSSEC: csdiscovery.DNSSECAuto, TrustAnchors: anchors}
			if _, err := auto.LookupNAPTR(ctx, under); !errors.Is(err, csdiscovery.ErrNoRecord) {
				t.Errorf("auto, under the unsigned delegation: got %v, want ErrNoRecord", err)
			}
			strict := &csdiscovery.Client{Server: server, DNSSEC: csdiscovery.DNSSECRequire, TrustAnchors: anchors}
			if _, err := strict.LookupNAPTR(ctx, under); !errors.Is(err, csdiscovery.ErrInsecure) || !strings.Contains(err.Error(), "unsigned delegation") {
				t.Errorf("require, under the unsigned delegation: got %v, want ErrInsecure naming the unsigned delegation", err)
			}
			// A signed CNAME out of the zone leads where validation cannot
			// follow: refused.
			if _, err := dnssecResolver(t, server, z.DS, csdiscovery.DNSSECAuto, nil).Lookup(ctx, signedQuery("NL")); !errors.Is(err, csdiscovery.ErrInsecure) || !strings.Contains(err.Error(), "out of the validated zone") {
				t.Errorf("CNAME out of the zone: got %v, want ErrInsecure", err)
			}
			// A record expanded from a wildcard is refused, although its
			// signature verifies: records are not wildcards, and the proof
			// that no closer name exists is not checked.
			wild := csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: "wild"}
			if _, err := dnssecResolver(t, server, z.DS, csdiscovery.DNSSECAuto, nil).Lookup(ctx, wild); !errors.Is(err, csdiscovery.ErrInsecure) || !strings.Contains(err.Error(), "wildcard") {
				t.Errorf("wildcard: got %v, want ErrInsecure naming the wildcard", err)
			}
			if res, err := dnssecResolver(t, server, "", csdiscovery.DNSSECOff, nil).Lookup(ctx, wild); err != nil || res.URL.String() != "https://wild.example/" {
				t.Errorf("wildcard without validation: %v, %v; the server should expand it", res, err)
			}
			// Signatures have a validity period: two years on, they have
			// expired.
			later := func() time.Time { return time.Now().AddDate(2, 0, 0) }
			if _, err := dnssecResolver(t, server, z.DS, csdiscovery.DNSSECAuto, later).Lookup(ctx, signedQuery("FR")); !errors.Is(err, csdiscovery.ErrInsecure) || !strings.Contains(err.Error(), "validity period") {
				t.Errorf("expired signatures: got %v, want ErrInsecure", err)
			}
		})
	}
}

// Forged answers are refused: a zone file whose NAPTR record was changed
// after signing (served with the old RRSIG by a second server), a zone
// signed with another key, the zone without its signatures, and the NAPTR
// RRset with its signature stripped. Without validation the forgery would
// have been taken.
func TestDNSSECForgedAnswers(t *testing.T) {
	dir := t.TempDir()
	z := dnstest.SignZone(t, dir, signedOrigin, signedRecords, false)
	signed, err := os.ReadFile(z.File)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if !strings.Contains(string(signed), signedURL) {
		t.Fatalf("the signed zone lacks the NAPTR record:\n%s", signed)
	}
	tampered := write("tampered.zone", strings.ReplaceAll(string(signed), signedURL, "https://evil.example/"))
	var stripped []string
	for _, l := range strings.Split(string(signed), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[3] == "RRSIG" && f[4] == "NAPTR" {
			continue
		}
		stripped = append(stripped, l)
	}
	strippedFile := write("stripped.zone", strings.Join(stripped, "\n"))
	other := dnstest.SignZone(t, t.TempDir(), signedOrigin, signedRecords, false)
	unsigned := filepath.Join(dir, signedOrigin+".zone")

	ctx := context.Background()
	for _, c := range []struct {
		name, file, text string
		forged           bool // the zone's data is forged (not merely unsigned)
	}{
		{"NAPTR changed after signing", tampered, "does not verify", true},
		{"zone signed with another key", other.File, "matches its DS or trust anchor", false},
		{"zone without signatures", unsigned, "no DNSKEY record", false},
		{"NAPTR signature stripped", strippedFile, "is not signed", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			server := dnstest.StartNSD(t, signedOrigin, c.file)
			for _, mode := range []csdiscovery.DNSSECMode{csdiscovery.DNSSECAuto, csdiscovery.DNSSECRequire} {
				res, err := dnssecResolver(t, server, z.DS, mode, nil).Lookup(ctx, signedQuery("FR"))
				if !errors.Is(err, csdiscovery.ErrInsecure) || !errors.Is(err, csdiscovery.ErrBadRecord) || !strings.Contains(err.Error(), c.text) {
					t.Errorf("%s: got %v, %v; want ErrInsecure mentioning %q", mode, res, err, c.text)
				}
			}
			if c.forged {
				res, err := dnssecResolver(t, server, "", csdiscovery.DNSSECOff, nil).Lookup(ctx, signedQuery("FR"))
				if err != nil || res.URL.String() != "https://evil.example/" || res.Validated {
					t.Errorf("without validation: got %v, %v; the forgery should have been taken", res, err)
				}
			}
		})
	}
}

// A name outside the trust anchor's zone cannot be validated: auto takes it
// as unsigned, require refuses it.
func TestDNSSECOutsideAnchor(t *testing.T) {
	server := startDNSMasq(t)
	other := "example.org. IN DS 12345 13 2 " + strings.Repeat("ab", 32)
	r := newResolver(t, csdiscovery.Config{Server: server, Zone: zone, DNSSEC: csdiscovery.DNSSECAuto, TrustAnchors: other})
	if _, err := r.Lookup(context.Background(), csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}); err != nil {
		t.Errorf("auto: %v", err)
	}
	r = newResolver(t, csdiscovery.Config{Server: server, Zone: zone, DNSSEC: csdiscovery.DNSSECRequire, TrustAnchors: other})
	if _, err := r.Lookup(context.Background(), csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}); !errors.Is(err, csdiscovery.ErrInsecure) || !strings.Contains(err.Error(), "outside the trust anchor") {
		t.Errorf("require: got %v, want ErrInsecure", err)
	}
}

func TestParseTrustAnchors(t *testing.T) {
	if rrs, err := csdiscovery.ParseTrustAnchors(csdiscovery.RootTrustAnchors); err != nil || len(rrs) != 2 {
		t.Fatalf("root anchors: %v, %v", rrs, err)
	}
	for _, c := range []struct{ text, want string }{
		{"", "no trust anchor"},
		{"example.org. IN A 192.0.2.1", "neither DS nor DNSKEY"},
		{"example.org. IN DS 1 13 1 " + strings.Repeat("ab", 20), "digest type 1"},
		{"example.org. IN DS 1 5 2 " + strings.Repeat("ab", 32), "algorithm 5"},
		{" IN DS 1 13 2 " + strings.Repeat("ab", 32) + "\na.org. IN DS 1 13 2 " + strings.Repeat("ab", 32), "not a fully qualified"},
		{strings.Repeat(";", 70_000), "longer than"},
		{"a.org. IN DS 1 13 2 " + strings.Repeat("ab", 32) + "\nb.org. IN DS 1 13 2 " + strings.Repeat("ab", 32), "two zones"},
	} {
		if _, err := csdiscovery.ParseTrustAnchors(c.text); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.text, err, c.want)
		}
	}
	if _, err := csdiscovery.New(csdiscovery.Config{Server: "127.0.0.1:53", DNSSEC: "sometimes"}); err == nil || !strings.Contains(err.Error(), "Config.DNSSEC") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := csdiscovery.New(csdiscovery.Config{Server: "127.0.0.1:53", TrustAnchors: "junk"}); err == nil || !strings.Contains(err.Error(), "Config.TrustAnchors") {
		t.Errorf("bad anchors: %v", err)
	}
}

// FuzzParseTrustAnchors: no panic, and what is accepted is DS or DNSKEY
// records of one zone with supported algorithms.
func FuzzParseTrustAnchors(f *testing.F) {
	f.Add(csdiscovery.RootTrustAnchors)
	f.Add("example.org. IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==")
	f.Add("$ORIGIN x.\n@ DS 1 13 2 00")
	f.Fuzz(func(t *testing.T, text string) {
		rrs, err := csdiscovery.ParseTrustAnchors(text)
		if err != nil {
			return
		}
		if len(rrs) == 0 || len(rrs) > 16 {
			t.Fatalf("accepted %d anchors", len(rrs))
		}
		for _, rr := range rrs {
			if !strings.EqualFold(rr.Header().Name, rrs[0].Header().Name) {
				t.Fatalf("anchors of two zones accepted: %v", rrs)
			}
		}
	})
}

// BenchmarkLookupNAPTRDNSSEC measures a validated look-up against NSD on
// loopback: DNSKEY, the DS queries down the name, the NAPTR RRset and the
// signature checks, no cache (Client, not Resolver).
func BenchmarkLookupNAPTRDNSSEC(b *testing.B) {
	z := dnstest.SignZone(b, b.TempDir(), signedOrigin, signedRecords, true)
	server := dnstest.StartNSD(b, signedOrigin, z.File)
	anchors, err := csdiscovery.ParseTrustAnchors(z.DS)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []csdiscovery.DNSSECMode{csdiscovery.DNSSECOff, csdiscovery.DNSSECRequire} {
		b.Run(string(mode), func(b *testing.B) {
			c := &csdiscovery.Client{Server: server, DNSSEC: mode, TrustAnchors: anchors}
			for b.Loop() {
				if _, err := c.LookupNAPTR(context.Background(), "fr.eb.v2.cs.acc."+signedOrigin); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

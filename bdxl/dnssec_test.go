package bdxl_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

// A BDXL look-up in a zone signed with ldns-signzone and served by NSD is
// validated with DNSSEC; the same zone with the SMP URL changed after
// signing is refused, and an unregistered participant is a signed "no such
// name", not a validation failure.
func TestDNSSEC(t *testing.T) {
	const origin = "sml.dnssec.oots.test"
	p := bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:5798000000001"}
	n, err := bdxl.Name(p, origin)
	if err != nil {
		t.Fatal(err)
	}
	rel := strings.TrimSuffix(n, "."+origin)
	// A second participant's record in RFC 4848's own form ("!.*!", as the
	// EC's reference SML writes it) rather than OASIS BDXL's ("!^.*$!").
	p2 := bdxl.Participant{Scheme: p.Scheme, Value: "0088:5798000000002"}
	n2, err := bdxl.Name(p2, origin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	z := dnstest.SignZone(t, dir, origin, []string{rel + ` IN NAPTR 100 10 "U" "Meta:SMP" "!^.*$!https://smp.example.eu/!" .`,
		strings.TrimSuffix(n2, "."+origin) + ` IN NAPTR 100 10 "U" "Meta:SMP" "!.*!https://smp2.example.eu/!" .`}, true)
	anchors, err := csdiscovery.ParseTrustAnchors(z.DS)
	if err != nil {
		t.Fatal(err)
	}
	resolver := func(server string) *bdxl.Resolver {
		return &bdxl.Resolver{DNS: &csdiscovery.Client{Server: server, DNSSEC: csdiscovery.DNSSECRequire, TrustAnchors: anchors}, Zone: origin}
	}
	ctx := context.Background()
	r := resolver(dnstest.StartNSD(t, origin, z.File))
	u, err := r.Lookup(ctx, p)
	if err != nil || u.String() != "https://smp.example.eu/" {
		t.Fatalf("got %v, %v", u, err)
	}
	if u, err := r.Lookup(ctx, p2); err != nil || u.String() != "https://smp2.example.eu/" {
		t.Errorf("the RFC 4848 form: got %v, %v", u, err)
	}
	if _, err := r.Lookup(ctx, bdxl.Participant{Scheme: p.Scheme, Value: "0088:unknown"}); !errors.Is(err, bdxl.ErrNotRegistered) {
		t.Errorf("unregistered: got %v, want ErrNotRegistered", err)
	}

	signed, err := os.ReadFile(z.File)
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(dir, "forged.zone")
	if err := os.WriteFile(forged, []byte(strings.ReplaceAll(string(signed), "https://smp.example.eu/", "https://smp.evil.example/")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = resolver(dnstest.StartNSD(t, origin, forged)).Lookup(ctx, p)
	if !errors.Is(err, bdxl.ErrBadRecord) || !errors.Is(err, csdiscovery.ErrInsecure) {
		t.Errorf("forged: got %v, want ErrBadRecord wrapping csdiscovery.ErrInsecure", err)
	}
}

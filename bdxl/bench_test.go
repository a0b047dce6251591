package bdxl_test

import (
	"context"
	"testing"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
)

// BenchmarkName: hashing one participant identifier into its BDXL name.
func BenchmarkName(b *testing.B) {
	p := bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:5798000000001"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bdxl.Name(p, bdxl.ZoneEDelivery); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup: one U-NAPTR lookup over UDP against dnsmasq on loopback
// (no cache in bdxl: every iteration asks the server).
func BenchmarkLookup(b *testing.B) {
	p := bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:bench"}
	n, _ := bdxl.Name(p, zone)
	server := dnstest.Start(b, zone, []dnstest.Record{{Name: n, Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://smp.example.eu/!"}})
	r := &bdxl.Resolver{DNS: &csdiscovery.Client{Server: server}, Zone: zone}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Lookup(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

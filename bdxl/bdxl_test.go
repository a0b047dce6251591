package bdxl_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
	"github.com/oots-go/oots/internal/testenv"
)

const zone = "sml.test.oots.example"

var participants = []bdxl.Participant{
	{Scheme: "iso6523-actorid-upis", Value: "0088:5798000000001"},
	{Scheme: "iso6523-actorid-upis", Value: "9915:AbC-Test"},
	{Scheme: "urn-oasis-names-tc-ebcore-partyid-type-iso6523", Value: "0088::123456789"},
	{Value: "no-scheme"},
}

// TestHashPython checks both hashes against Python's hashlib and base64, an
// implementation independent of ours.
func TestHashPython(t *testing.T) {
	py := testenv.Python(t)
	for _, p := range participants {
		script := `import hashlib,base64,sys
v=sys.argv[1].lower().encode()
print(base64.b32encode(hashlib.sha256(v).digest()).decode().rstrip("=").lower())
print("B-"+hashlib.md5(v).hexdigest())`
		out, err := exec.Command(py, "-c", script, p.Value).Output()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Fields(string(out))
		if got := bdxl.Hash(p.Value); got != lines[0] {
			t.Errorf("Hash(%q) = %s, Python %s", p.Value, got, lines[0])
		}
		if got := bdxl.LegacyHash(p.Value); got != lines[1] {
			t.Errorf("LegacyHash(%q) = %s, Python %s", p.Value, got, lines[1])
		}
	}
}

func TestName(t *testing.T) {
	p := bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:5798000000001"}
	n, err := bdxl.Name(p, bdxl.ZoneEDelivery+".")
	if err != nil {
		t.Fatal(err)
	}
	hash, rest, _ := strings.Cut(n, ".")
	if len(hash) != 52 || strings.ToLower(hash) != hash || rest != "iso6523-actorid-upis.edelivery.tech.ec.europa.eu" {
		t.Errorf("Name = %s", n)
	}
	// The value is case-insensitive; the scheme label is lower-cased.
	n2, _ := bdxl.Name(bdxl.Participant{Scheme: "ISO6523-ACTORID-UPIS", Value: "0088:5798000000001"}, bdxl.ZoneEDelivery)
	if n2 != n {
		t.Errorf("case changes the name: %s, %s", n, n2)
	}
	ln, _ := bdxl.LegacyName(p, bdxl.ZoneEDelivery)
	if !strings.HasPrefix(ln, "B-") || !strings.HasSuffix(ln, ".iso6523-actorid-upis.edelivery.tech.ec.europa.eu") {
		t.Errorf("LegacyName = %s", ln)
	}
	for _, bad := range []bdxl.Participant{{Scheme: "x", Value: " "}, {Scheme: "bad.scheme", Value: "1"}, {Scheme: strings.Repeat("s", 64), Value: "1"}} {
		if _, err := bdxl.Name(bad, zone); !errors.Is(err, bdxl.ErrIdentifier) {
			t.Errorf("Name(%+v): %v", bad, err)
		}
	}
	got, err := bdxl.ParseParticipant("iso6523-actorid-upis::0088:1")
	if err != nil || got != (bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:1"}) || got.String() != "iso6523-actorid-upis::0088:1" {
		t.Errorf("ParseParticipant: %+v %v", got, err)
	}
}

// commissionNames are participants and the owner names that the European
// Commission's SML tooling published for them, in the zone
// 0195.iso6523.participants.ecosystem.org of its federated dynamic discovery
// test infrastructure (github.com/ec-edelivery/dynamic-discovery-federated-infrastructure,
// config/invoice-sg, commit 176633d3): an ebCore party identifier is hashed
// whole and gets no scheme label, a Peppol identifier is hashed without its
// scheme, which follows as a label.
var commissionNames = []struct {
	p    bdxl.Participant
	name string // relative to the zone, as published (upper case)
}{
	{bdxl.Participant{Scheme: "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0195", Value: "test01"}, "SW7FCYYKJI7YP27JILCJRNPIODTJYYO2DH3CAVWPSNPX3GJKGNZA"},
	{bdxl.Participant{Scheme: "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0195", Value: "test02"}, "SWDXXVXUUTFABXJAAWCM4EUDZJUMNLUWJ3HZZY7QARWGRKA7Q4HQ"},
	{bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0195:test01"}, "RYATFMWWQQHEY4T7VPPCXY7Z36T2FOL6QYXRGYF3V7S5LGJUAH2Q.iso6523-actorid-upis"},
	{bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0195:test02"}, "SQOK3QIXO5V26IRVUCVR2GJVZNVR5AFNB57ABHELYAI72ZIQ7ITQ.iso6523-actorid-upis"},
}

const commissionZone = "0195.iso6523.participants.ecosystem.org"

// TestNameCommission computes the names the Commission published, and the
// same name for each way of writing an ebCore party identifier: with the
// catalog's scheme (eDelivery SMP), with the catalog alone as scheme (OASIS
// SMP, "…:iso6523::0195:test01"), and whole without a scheme
// ("::urn:…", the eDelivery URL form); a scheme with ":" is not a DNS label,
// and only an ebCore scheme may have one.
func TestNameCommission(t *testing.T) {
	for _, c := range commissionNames {
		want := strings.ToLower(c.name) + "." + commissionZone
		forms := []bdxl.Participant{c.p, {Scheme: strings.ToUpper(c.p.Scheme), Value: strings.ToUpper(c.p.Value)}}
		if urn, ok := c.p.EBCore(); ok {
			catalog, rest, _ := strings.Cut(strings.TrimPrefix(urn, bdxl.EBCorePrefix), ":")
			forms = append(forms,
				bdxl.Participant{Scheme: bdxl.EBCorePrefix + catalog, Value: rest},
				bdxl.Participant{Value: urn})
			for _, s := range []string{bdxl.EBCorePrefix + catalog + "::" + rest, "::" + urn} {
				p, err := bdxl.ParseParticipant(s)
				if err != nil {
					t.Errorf("ParseParticipant(%q): %v", s, err)
				}
				forms = append(forms, p)
			}
		}
		for _, p := range forms {
			if got, err := bdxl.Name(p, commissionZone); err != nil || got != want {
				t.Errorf("Name(%+v) = %s, %v; the Commission publishes %s", p, got, err, want)
			}
		}
	}
	if _, err := bdxl.Name(bdxl.Participant{Scheme: "urn:example:scheme", Value: "1"}, zone); !errors.Is(err, bdxl.ErrIdentifier) {
		t.Errorf("a scheme with ':' that is not ebCore: %v", err)
	}
}

// TestDNSMasqCommission looks the participants up in a real DNS server
// that serves the Commission's names as it published them (upper case).
func TestDNSMasqCommission(t *testing.T) {
	var records []dnstest.Record
	for i, c := range commissionNames {
		records = append(records, dnstest.Record{Name: c.name + "." + commissionZone, Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP",
			Regexp: fmt.Sprintf("!.*!https://smp%d.example.eu/!", i)})
	}
	server := dnstest.Start(t, commissionZone, records)
	r := &bdxl.Resolver{DNS: &csdiscovery.Client{Server: server}, Zone: commissionZone}
	for i, c := range commissionNames {
		u, err := r.Lookup(context.Background(), c.p)
		if want := fmt.Sprintf("https://smp%d.example.eu/", i); err != nil || u.String() != want {
			t.Errorf("%s: %v, %v; want %s", c.p, u, err, want)
		}
	}
}

func name(t *testing.T, value string) string {
	t.Helper()
	n, err := bdxl.Name(bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: value}, zone)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDNSMasq looks participants up in a real DNS server.
func TestDNSMasq(t *testing.T) {
	loopA, loopB := "loop-a."+zone, "loop-b."+zone
	records := []dnstest.Record{
		{Name: name(t, "0088:ok"), Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://smp.example.eu/!"},
		{Name: name(t, "0088:ok"), Order: 100, Preference: 5, Flags: "U", Service: "Meta:OTHER", Regexp: "!^.*$!https://other.example.eu/!"},
		{Name: name(t, "0088:pref"), Order: 100, Preference: 20, Flags: "U", Service: "meta:smp", Regexp: "!^.*$!https://second.example.eu/!"},
		{Name: name(t, "0088:pref"), Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://first.example.eu/smp/!"},
		{Name: name(t, "0088:chain"), Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: "next." + zone},
		{Name: "next." + zone, Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://chained.example.eu/!"},
		{Name: name(t, "0088:loop"), Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: loopA},
		{Name: loopA, Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: loopB},
		{Name: loopB, Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: loopA},
		{Name: name(t, "0088:backref"), Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: `!^(.*)$!https://\1/!`},
		{Name: name(t, "0088:http"), Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!http://plain.example.eu/!"},
		{Name: name(t, "0088:otheronly"), Order: 100, Preference: 10, Flags: "U", Service: "Meta:OTHER", Regexp: "!^.*$!https://other.example.eu/!"},
		{Name: name(t, "0088:dangling"), Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: "nowhere." + zone},
	}
	server := dnstest.Start(t, zone, records)
	r := &bdxl.Resolver{DNS: &csdiscovery.Client{Server: server}, Zone: zone}
	ctx := context.Background()
	for _, c := range []struct {
		value string
		want  string
		err   error
	}{
		{"0088:ok", "https://smp.example.eu/", nil},
		{"0088:OK", "https://smp.example.eu/", nil},
		{"0088:pref", "https://first.example.eu/smp/", nil},
		{"0088:chain", "https://chained.example.eu/", nil},
		{"0088:unknown", "", bdxl.ErrNotRegistered},
		{"0088:otheronly", "", bdxl.ErrNotRegistered},
		{"0088:loop", "", bdxl.ErrBadRecord},
		{"0088:backref", "", bdxl.ErrBadRecord},
		{"0088:http", "", bdxl.ErrBadRecord},
		{"0088:dangling", "", bdxl.ErrBadRecord},
	} {
		u, err := r.Lookup(ctx, bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: c.value})
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: got %v, %v; want %v", c.value, u, err, c.err)
			} else {
				t.Logf("%s: %v", c.value, err)
			}
			continue
		}
		if err != nil || u.String() != c.want {
			t.Errorf("%s: got %v, %v; want %s", c.value, u, err, c.want)
		}
	}
	r.AllowHTTP = true
	if u, err := r.Lookup(ctx, bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:http"}); err != nil || u.String() != "http://plain.example.eu/" {
		t.Errorf("AllowHTTP: %v %v", u, err)
	}
	// A loop names the record that loops.
	_, err := r.Lookup(ctx, bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:loop"})
	if err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("loop error: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	r := &bdxl.Resolver{DNS: &csdiscovery.Client{Server: "127.0.0.1:1", Timeout: 100 * time.Millisecond, Attempts: 1}, Zone: zone}
	_, err := r.Lookup(context.Background(), bdxl.Participant{Scheme: "iso6523-actorid-upis", Value: "0088:x"})
	if !errors.Is(err, bdxl.ErrUnreachable) {
		t.Fatalf("got %v", err)
	}
}

func TestValidate(t *testing.T) {
	if err := (&bdxl.Resolver{Zone: zone}).Validate(); err == nil || !strings.Contains(err.Error(), "DNS") {
		t.Errorf("missing DNS: %v", err)
	}
	if err := (&bdxl.Resolver{DNS: &csdiscovery.Client{}}).Validate(); err == nil || !strings.Contains(err.Error(), "Zone") {
		t.Errorf("missing zone: %v", err)
	}
}

func FuzzParseParticipant(f *testing.F) {
	for _, p := range participants {
		f.Add(p.String())
	}
	f.Add("::")
	f.Add("a::b::c")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := bdxl.ParseParticipant(s)
		if err != nil {
			return
		}
		n, err := bdxl.Name(p, zone)
		if err != nil {
			t.Fatalf("parsed %q but Name fails: %v", s, err)
		}
		if !strings.HasSuffix(n, "."+zone) {
			t.Fatalf("name %s", n)
		}
	})
}

package bdxl_test

import (
	"context"
	"errors"
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

package smp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/smp"
)

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// TestEndpointDates: an SMP 2.0 endpoint is in service from the start of
// its ActivationDate and during all of its ExpirationDate, in the dates'
// time zone, as our server publishes it and our client reads it.
func TestEndpointDates(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	cet := time.FixedZone("", 3600)
	// Days D to D+4 in +01:00, within the fixture certificates' validity.
	active := startOfDay(f.ap.Sign.Cert.NotBefore.In(cet)).AddDate(0, 0, 2)
	expired := active.AddDate(0, 0, 5)
	m := f.metadata()
	m.Processes[0].Endpoints[0].Activation, m.Processes[0].Endpoints[0].Expiration = active, expired
	store := smp.NewMemoryStore()
	store.PutParticipant(ctx, participant)
	store.PutServiceMetadata(ctx, m)
	hs := f.server(t, store, smp.OASIS1, f.smpCred)

	doc := string(get(t, hs.URL+smp.PathSMP2+participant.PathSegment()+"/services/"+docType.PathSegment()))
	for _, want := range []string{
		"<cbc:ActivationDate>" + active.Format("2006-01-02") + "+01:00</cbc:ActivationDate>",
		"<cbc:ExpirationDate>" + active.AddDate(0, 0, 4).Format("2006-01-02") + "+01:00</cbc:ExpirationDate>",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("published without %s:\n%s", want, doc)
		}
	}

	for _, c := range windowBoundaries(active, expired) {
		c2 := &smp.Client{SMP: hs.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return c.at }}
		_, err := c2.Resolve(ctx, participant, docType, process)
		switch {
		case c.in && err != nil:
			t.Errorf("%s (%s): %v", c.name, c.at.UTC().Format(time.RFC3339Nano), err)
		case !c.in && !errors.Is(err, smp.ErrDocumentNotRegistered):
			t.Errorf("%s (%s): in service (%v)", c.name, c.at.UTC().Format(time.RFC3339Nano), err)
		}
	}
}

// TestReadDates: what an SMP 2.0 date means, and the errors of one that is
// not an xs:date.
func TestReadDates(t *testing.T) {
	f := getFixture(t)
	var b bytes.Buffer
	writeXML(&b, smp.ServiceMetadataElement(f.metadata(), smp.OASIS2))
	doc := func(activation, expiration string) []byte {
		return []byte(strings.Replace(b.String(), "</cbc:AddressURI>",
			"</cbc:AddressURI><cbc:ActivationDate>"+activation+"</cbc:ActivationDate><cbc:ExpirationDate>"+expiration+"</cbc:ExpirationDate>", 1))
	}
	day := func(y int, m time.Month, d int, loc *time.Location) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	for _, c := range []struct {
		activation, expiration string
		from, until            time.Time // in service from, out of service from
	}{
		{"2026-12-06", "2026-12-10", day(2026, 12, 6, time.UTC), day(2026, 12, 11, time.UTC)},
		{"2026-12-06Z", "2026-12-10Z", day(2026, 12, 6, time.UTC), day(2026, 12, 11, time.UTC)},
		{"2026-12-06+01:00", "2026-12-10+01:00", day(2026, 12, 5, time.UTC).Add(23 * time.Hour), day(2026, 12, 10, time.UTC).Add(23 * time.Hour)},
		{"2026-12-06-05:30", "2026-12-31-05:30", day(2026, 12, 6, time.UTC).Add(5*time.Hour + 30*time.Minute), day(2027, 1, 1, time.UTC).Add(5*time.Hour + 30*time.Minute)},
		{"2024-02-28+14:00", "2024-02-28-14:00", day(2024, 2, 27, time.UTC).Add(10 * time.Hour), day(2024, 2, 29, time.UTC).Add(14 * time.Hour)},
		{"2026-12-06-00:00", "2026-12-06+00:00", day(2026, 12, 6, time.UTC), day(2026, 12, 7, time.UTC)},
	} {
		m, _, err := smp.ParseServiceMetadata(doc(c.activation, c.expiration))
		if err != nil {
			t.Errorf("%s / %s: %v", c.activation, c.expiration, err)
			continue
		}
		e := m.Processes[0].Endpoints[0]
		if !e.Activation.Equal(c.from) || !e.Expiration.Equal(c.until) {
			t.Errorf("%s / %s: in service from %s until %s, want from %s until %s", c.activation, c.expiration,
				e.Activation.UTC().Format(time.RFC3339), e.Expiration.UTC().Format(time.RFC3339), c.from.Format(time.RFC3339), c.until.Format(time.RFC3339))
		}
	}
	for _, c := range []struct{ activation, want string }{
		{"2026-12-06T10:00:00Z", `cbc:ActivationDate "2026-12-06T10:00:00Z" is not an xs:date (YYYY-MM-DD, optionally followed by Z or ±hh:mm): the time zone T10:00:00Z is not Z or ±hh:mm`},
		{"2026-02-29", "February has no day 29"},
		{"2026-13-01", "no month 13"},
		{"0000-01-01", "there is no year 0000"},
		{"26-12-06", "not of the form YYYY-MM-DD"},
		{"2026-12-06+15:00", "the time zone +15:00 is not within ±14:00"},
		{"2026-12-06+01", "the time zone +01 is not Z or ±hh:mm"},
		{"2026-12-O6", "not of the form YYYY-MM-DD"},
	} {
		_, _, err := smp.ParseServiceMetadata(doc(c.activation, "2030-01-01"))
		if !errors.Is(err, smp.ErrBadDocument) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "cbc:ActivationDate") {
			t.Errorf("%s: %v, want %q", c.activation, err, c.want)
		}
	}
	if _, _, err := smp.ParseServiceMetadata(doc("2026-12-06", "2030-01-32")); err == nil || !strings.Contains(err.Error(), `cbc:ExpirationDate "2030-01-32"`) {
		t.Errorf("a bad expiration date: %v", err)
	}

	// SMP 1.0 has instants (xs:dateTime), read as they are; a date alone
	// there is read as in SMP 2.0.
	b.Reset()
	m := f.metadata()
	m.Processes[0].Endpoints[0].Activation = time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	m.Processes[0].Endpoints[0].Expiration = time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC)
	writeXML(&b, smp.ServiceMetadataElement(m, smp.OASIS1))
	got, _, err := smp.ParseServiceMetadata(b.Bytes())
	if e := got.Processes[0].Endpoints[0]; err != nil || !e.Activation.Equal(m.Processes[0].Endpoints[0].Activation) || !e.Expiration.Equal(m.Processes[0].Endpoints[0].Expiration) {
		t.Errorf("SMP 1.0 instants: %+v %v", got, err)
	}
	dated := strings.NewReplacer("2026-12-06T09:30:00Z", "2026-12-06", "2026-12-10T17:00:00Z", "2026-12-10+01:00").Replace(b.String())
	got, _, err = smp.ParseServiceMetadata([]byte(dated))
	if e := got.Processes[0].Endpoints[0]; err != nil || !e.Activation.Equal(day(2026, 12, 6, time.UTC)) || !e.Expiration.Equal(day(2026, 12, 10, time.UTC).Add(23*time.Hour)) {
		t.Errorf("SMP 1.0 dates: %+v %v\n%s", got, err, dated)
	}
}

// TestWriteDates: the SMP 2.0 dates our writer publishes for endpoint
// instants, judged by xmllint against the OASIS SMP 2.0 schema and read
// back by xmllint and by our reader.
func TestWriteDates(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i, c := range []struct {
		name                   string
		activation, expiration time.Time
		// what is written, and the instants it is read back as
		wantActivation, wantExpiration string
		from, until                    time.Time
	}{
		{"days starting in +01:00", at("2026-12-06T00:00:00+01:00"), at("2026-12-11T00:00:00+01:00"),
			"2026-12-06+01:00", "2026-12-10+01:00", at("2026-12-06T00:00:00+01:00"), at("2026-12-11T00:00:00+01:00")},
		{"days starting in UTC", at("2026-12-06T00:00:00Z"), at("2026-12-11T00:00:00Z"),
			"2026-12-06Z", "2026-12-10Z", at("2026-12-06T00:00:00Z"), at("2026-12-11T00:00:00Z")},
		{"days starting in -05:00", at("2026-12-06T00:00:00-05:00"), at("2027-01-01T00:00:00-05:00"),
			"2026-12-06-05:00", "2026-12-31-05:00", at("2026-12-06T00:00:00-05:00"), at("2027-01-01T00:00:00-05:00")},
		{"within a day: in service for less", at("2026-12-06T09:00:00+01:00"), at("2026-12-11T09:00:00+01:00"),
			"2026-12-07+01:00", "2026-12-10+01:00", at("2026-12-07T00:00:00+01:00"), at("2026-12-11T00:00:00+01:00")},
		{"an offset with seconds: UTC", time.Date(2026, 12, 6, 0, 0, 0, 0, time.FixedZone("LMT", 3600+17)), time.Date(2026, 12, 11, 0, 0, 0, 0, time.FixedZone("LMT", 3600+17)),
			"2026-12-06Z", "2026-12-09Z", at("2026-12-06T00:00:00Z"), at("2026-12-10T00:00:00Z")},
		{"an offset beyond 14 hours: UTC", time.Date(2026, 12, 6, 0, 0, 0, 0, time.FixedZone("", 15*3600)), time.Date(2026, 12, 11, 0, 0, 0, 0, time.FixedZone("", 15*3600)),
			"2026-12-06Z", "2026-12-09Z", at("2026-12-06T00:00:00Z"), at("2026-12-10T00:00:00Z")},
	} {
		m := f.metadata()
		e := &m.Processes[0].Endpoints[0]
		e.Activation, e.Expiration = c.activation, c.expiration
		var b bytes.Buffer
		if err := writeXML(&b, smp.ServiceMetadataElement(m, smp.OASIS2)); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "dates.xml")
		os.WriteFile(p, b.Bytes(), 0o600)
		schema, _ := filepath.Abs("testdata/xsd/smp2/ServiceMetadata-2.0.xsd")
		if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err != nil {
			t.Errorf("%d %s: not valid SMP 2.0: %v\n%s\n%s", i, c.name, err, out, b.Bytes())
		}
		if got := xpath(t, xmllint, p, "string(//*[local-name()='ActivationDate'])"); got != c.wantActivation {
			t.Errorf("%d %s: ActivationDate %q, want %q", i, c.name, got, c.wantActivation)
		}
		if got := xpath(t, xmllint, p, "string(//*[local-name()='ExpirationDate'])"); got != c.wantExpiration {
			t.Errorf("%d %s: ExpirationDate %q, want %q", i, c.name, got, c.wantExpiration)
		}
		got, _, err := smp.ParseServiceMetadata(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if g := got.Processes[0].Endpoints[0]; !g.Activation.Equal(c.from) || !g.Expiration.Equal(c.until) {
			t.Errorf("%d %s: read back in service from %s until %s, want from %s until %s", i, c.name, g.Activation, g.Expiration, c.from, c.until)
		}
	}
}

// TestFractionalSeconds: an SMP 1.0 ServiceActivationDate or
// ServiceExpirationDate (xs:dateTime) with a fraction of a second, as a
// peer may publish it, is read to the nanosecond and published again with
// it, in UTC: xmllint finds our signed document valid against the OASIS
// SMP 1.0 schema and reads the fraction in it.
func TestFractionalSeconds(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	var b bytes.Buffer
	writeXML(&b, smp.ServiceMetadataElement(f.metadata(), smp.OASIS1))
	peer := strings.Replace(b.String(), "<Certificate>",
		"<ServiceActivationDate>2026-12-06T09:30:00.123456789Z</ServiceActivationDate><ServiceExpirationDate>2030-01-10T17:00:00.5+01:00</ServiceExpirationDate><Certificate>", 1)
	m, _, err := smp.ParseServiceMetadata([]byte(peer))
	if err != nil {
		t.Fatal(err)
	}
	e := m.Processes[0].Endpoints[0]
	from, until := time.Date(2026, 12, 6, 9, 30, 0, 123456789, time.UTC), time.Date(2030, 1, 10, 16, 0, 0, 5e8, time.UTC)
	if !e.Activation.Equal(from) || !e.Expiration.Equal(until) {
		t.Fatalf("read in service from %s until %s", e.Activation.Format(time.RFC3339Nano), e.Expiration.Format(time.RFC3339Nano))
	}

	store := smp.NewMemoryStore()
	store.PutParticipant(context.Background(), participant)
	if err := store.PutServiceMetadata(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	doc := get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+docType.PathSegment())
	p := filepath.Join(t.TempDir(), "metadata.xml")
	os.WriteFile(p, doc, 0o600)
	schema, _ := filepath.Abs("testdata/xsd/smp1/bdx-smp-201605.xsd")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err != nil {
		t.Errorf("not valid SMP 1.0: %v\n%s\n%s", err, out, doc)
	}
	for _, c := range []struct{ local, want string }{
		{"ServiceActivationDate", "2026-12-06T09:30:00.123456789Z"},
		{"ServiceExpirationDate", "2030-01-10T16:00:00.5Z"},
	} {
		if got := xpath(t, xmllint, p, "string(//*[local-name()='"+c.local+"'])"); got != c.want {
			t.Errorf("%s %q, want %q", c.local, got, c.want)
		}
	}
	again, _, err := smp.ParseServiceMetadata(doc)
	if err != nil {
		t.Fatal(err)
	}
	if g := again.Processes[0].Endpoints[0]; !g.Activation.Equal(from) || !g.Expiration.Equal(until) {
		t.Errorf("read back in service from %s until %s", g.Activation.Format(time.RFC3339Nano), g.Expiration.Format(time.RFC3339Nano))
	}
}

// TestHour24: XML Schema's xs:dateTime lets the hour be 24 at the end of a
// day (24:00:00, no minute, second or fraction of one), the first instant
// of the next day: xmllint finds such a ServiceActivationDate valid against
// the OASIS SMP 1.0 schema, and our reader reads that instant; it refuses
// with xmllint a time past it.
func TestHour24(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	var b bytes.Buffer
	writeXML(&b, smp.ServiceMetadataElement(f.metadata(), smp.OASIS1))
	// The ServiceMetadata alone: a document the schema validates unsigned.
	open := `<SignedServiceMetadata xmlns="` + smp.NamespaceSMP1 + `"><ServiceMetadata>`
	if !strings.HasPrefix(b.String(), open) {
		t.Fatalf("written as %s", b.Bytes())
	}
	unsigned := `<ServiceMetadata xmlns="` + smp.NamespaceSMP1 + `">` + strings.TrimSuffix(strings.TrimPrefix(b.String(), open), "</SignedServiceMetadata>")
	schema, _ := filepath.Abs("testdata/xsd/smp1/bdx-smp-201605.xsd")
	dir := t.TempDir()
	for i, c := range []struct {
		value string
		want  time.Time // zero: not an xs:dateTime
	}{
		{"2026-12-06T24:00:00Z", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{"2026-12-31T24:00:00.000+01:00", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"2026-12-06T24:00:00", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{"2026-12-06T24:00:01Z", time.Time{}},
		{"2026-12-06T24:00:00.5Z", time.Time{}},
	} {
		doc := strings.Replace(unsigned, "<Certificate>", "<ServiceActivationDate>"+c.value+"</ServiceActivationDate><Certificate>", 1)
		p := filepath.Join(dir, fmt.Sprintf("%d.xml", i))
		os.WriteFile(p, []byte(doc), 0o600)
		out, lintErr := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput()
		if (lintErr == nil) != !c.want.IsZero() {
			t.Errorf("%s: xmllint: %v\n%s", c.value, lintErr, out)
		}
		m, _, err := smp.ParseServiceMetadata([]byte(doc))
		switch {
		case c.want.IsZero() && !errors.Is(err, smp.ErrBadDocument):
			t.Errorf("%s: read as %+v %v", c.value, m, err)
		case !c.want.IsZero() && (err != nil || !m.Processes[0].Endpoints[0].Activation.Equal(c.want)):
			t.Errorf("%s: %+v %v, want %s", c.value, m, err, c.want)
		}
	}
}

// boundary is an instant around a window of whole days, and whether it is
// inside.
type boundary struct {
	name string
	at   time.Time
	in   bool
}

// windowBoundaries are the instants that judge a window from the start of
// the day active to the end of the day before expired (the first instant
// after it).
func windowBoundaries(active, expired time.Time) []boundary {
	return []boundary{
		{"the day before the activation date, at noon UTC", active.Add(-12 * time.Hour), false},
		{"just before the activation date", active.Add(-time.Nanosecond), false},
		{"the start of the activation date", active, true},
		{"the expiration date, at noon UTC", expired.Add(-12 * time.Hour), true},
		{"the last instant of the expiration date", expired.Add(-time.Nanosecond), true},
		{"the day after the expiration date", expired, false},
	}
}

package edm

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// The official patterns, as witnesses of what must be accepted: TDD 2.0.1
// R-EDM-REQ-C008 (requirements) and R-EDM-REQ-C027 (classifications), and
// TDD 1.0 R-EB-SUB-C012 and R-EB-SUB-C001 (case-insensitive, here anchored
// at the start, where the official ones are not).
var officialSR = []*regexp.Regexp{
	regexp.MustCompile(`^https://sr(\.[a-zA-Z]+)?\.oots\.tech\.ec\.europa\.eu/requirements/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`),
	regexp.MustCompile(`^https://sr(\.[a-zA-Z]+)?\.oots\.tech\.ec\.europa\.eu/evidencetypeclassifications/(oots|[A-Z]{2})/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`),
	regexp.MustCompile(`(?i)^https://sr\.oots\.tech\.europa\.eu/requirements/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`),
	regexp.MustCompile(`(?i)^https://sr\.oots\.tech\.europa\.eu/evidencetypeclassifications/[a-z]{2}/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`),
}

func officiallyValid(s string) bool {
	for _, re := range officialSR {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func TestParseSRID(t *testing.T) {
	const u = "19f0783e-7cdc-4146-9ff9-e331514ffb74"
	for _, tc := range []struct {
		in   string
		want SRID
		ok   bool
	}{
		{"https://sr.oots.tech.ec.europa.eu/requirements/" + u, SRID{Kind: SRRequirements, UUID: u}, true},
		{"https://sr.acc.oots.tech.ec.europa.eu/requirements/" + u, SRID{Env: "acc", Kind: SRRequirements, UUID: u}, true},
		{"https://sr.oots.tech.europa.eu/requirements/" + u, SRID{V1: true, Kind: SRRequirements, UUID: u}, true},
		{"https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/FI/" + u, SRID{Env: "acc", Kind: SREvidenceTypeClassifications, Country: "FI", UUID: u}, true},
		{"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/oots/" + u, SRID{Kind: SREvidenceTypeClassifications, Country: "oots", UUID: u}, true},
		{"https://sr.oots.tech.europa.eu/evidencetypeclassifications/de/" + u, SRID{V1: true, Kind: SREvidenceTypeClassifications, Country: "de", UUID: u}, true},
		{"https://sr.oots.tech.ec.europa.eu.evil.example/requirements/" + u, SRID{}, false},
		{"https://sr.a-b.oots.tech.ec.europa.eu/requirements/" + u, SRID{}, false},
		{"https://sr..oots.tech.ec.europa.eu/requirements/" + u, SRID{}, false},
		{"http://sr.oots.tech.ec.europa.eu/requirements/" + u, SRID{}, false},
		{"https://sr.oots.tech.ec.europa.eu/requirements/FI/" + u, SRID{}, false},
		{"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/" + u, SRID{}, false},
		{"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/FIN/" + u, SRID{}, false},
		{"https://sr.oots.tech.ec.europa.eu/requirements/" + u[:35], SRID{}, false},
		{"https://sr.oots.tech.ec.europa.eu/datamodels/" + u, SRID{}, false},
	} {
		got, err := ParseSRID(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSRID(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotSRID) {
			t.Errorf("ParseSRID(%q): %v does not wrap ErrNotSRID", tc.in, err)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("ParseSRID(%q).String() = %q", tc.in, got.String())
		}
		if officiallyValid(tc.in) && err != nil {
			t.Errorf("ParseSRID refuses %q, which the official rules accept", tc.in)
		}
	}
}

// Every identifier the acceptance Common Services published is one.
func TestParseSRIDCaptured(t *testing.T) {
	dir := testenv.Spec(t, "edm-2.0-oots-france/common_services")
	re := regexp.MustCompile(`https://sr\.[^<"]*/(requirements|evidencetypeclassifications)/[^<"]*`)
	n := 0
	for _, name := range []string{"eb_requirements_catalogue.xml", "eb_evidence_types_fr.xml", "dsd_data_services_fi.xml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range re.FindAllString(string(b), -1) {
			n++
			id, err := ParseSRID(s)
			if err != nil || id.Env != "acc" || id.V1 {
				t.Errorf("%s: %q: %+v %v", name, s, id, err)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d identifiers found", n)
	}
}

func TestSRHostsAndEnvironments(t *testing.T) {
	const u = "2129edec-edba-5941-9cc4-c1835c0c498c"
	v1 := "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/" + u
	v2 := "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/" + u
	acc := "https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/" + u
	if got := SRHost2ID(v1); got != v2 {
		t.Errorf("SRHost2ID(v1) = %s", got)
	}
	if got := SRHost2ID(acc); got != acc {
		t.Errorf("SRHost2ID(acc) = %s", got)
	}
	if got := SRInEnv(v1, "acc"); got != acc {
		t.Errorf("SRInEnv(v1, acc) = %s", got)
	}
	if got := SRInEnv(acc, ""); got != v2 {
		t.Errorf("SRInEnv(acc, \"\") = %s", got)
	}
	if !SameSRID(v1, v2) || SameSRID(v2, acc) || SameSRID(v1, acc) {
		t.Error("SameSRID: the two hosts of one environment are the same identifier, two environments are not")
	}
	if got := ClassificationID("acc", SRTestSegment, u); got != "https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/oots/"+u || !officiallyValid(got) {
		t.Errorf("ClassificationID = %s", got)
	}
	if got := RequirementID("", u); got != SRHost2+"requirements/"+u || !officiallyValid(got) {
		t.Errorf("RequirementID = %s", got)
	}
	if SRBase("") != SRHost2 || SRBase("acc") != "https://sr.acc.oots.tech.ec.europa.eu/" {
		t.Error("SRBase")
	}
	for _, env := range []string{"", "acc", "Test"} {
		if err := ValidSREnv(env); err != nil {
			t.Errorf("ValidSREnv(%q): %v", env, err)
		}
	}
	for _, env := range []string{"a.b", "acc-1", "é"} {
		if err := ValidSREnv(env); !errors.Is(err, ErrNotSRID) {
			t.Errorf("ValidSREnv(%q) = %v", env, err)
		}
	}
}

// FuzzParseSRID: what ParseSRID accepts prints back as the same string;
// what the official patterns accept, it accepts.
func FuzzParseSRID(f *testing.F) {
	for _, s := range []string{
		"https://sr.acc.oots.tech.ec.europa.eu/requirements/00000000-0000-0000-0000-000000000000",
		"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/oots/00000000-0000-0000-0000-000000000000",
		"https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/2129edec-edba-5941-9cc4-c1835c0c498c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseSRID(s)
		if err != nil {
			if officiallyValid(s) {
				t.Fatalf("refuses %q, which the official rules accept: %v", s, err)
			}
			return
		}
		if id.String() != s && !(id.V1 && strings.EqualFold(id.String(), s)) {
			t.Fatalf("ParseSRID(%q).String() = %q", s, id.String())
		}
	})
}

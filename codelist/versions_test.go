package codelist

import (
	"encoding/xml"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oots-go/oots/internal/testenv"
)

func TestValidIn(t *testing.T) {
	tests := []struct {
		list, code, spec string
		want             bool
		err              error
	}{
		// Gender: a code list in 2.0, the XSD enumeration in 1.x.
		{"Gender", "1", SpecV2_0, true, nil},
		{"Gender", "9", SpecV2_0, true, nil},
		{"Gender", "7", SpecV2_0, false, nil}, // the list has neither 7 nor 8
		{"Gender", "Female", SpecV2_0, true, nil},
		{"Gender", "female", SpecV2_0, false, nil},
		{"Gender", "Female", SpecV1_2, true, nil},
		{"Gender", "1", SpecV1_2, false, nil},
		{"Gender", "Unspecified", SpecV1_0, true, nil},
		// OOTS_Country renames EEA_Country.
		{"OOTS_Country", "EL", SpecV2_0, true, nil},
		{"OOTS_Country", "EU", SpecV2_0, true, nil},
		{"OOTS_Country", "NO", SpecV2_0, true, nil},
		{"OOTS_Country", "GR", SpecV2_0, false, nil},
		{"OOTS_Country", "JP", SpecV2_0, false, nil},
		{"OOTS_Country", "CH", SpecV2_0, false, nil},
		{"OOTS_Country", "EL", SpecV1_2, false, ErrNotInVersion},
		{"EEA_Country", "EL", SpecV1_2, true, nil},
		{"EEA_Country", "EL", SpecV2_0, false, ErrNotInVersion},
		// Removed in 2.0.
		{"JurisdictionLevel", "NUTS1", SpecV1_2, true, nil},
		{"JurisdictionLevel", "NUTS1", SpecV2_0, false, ErrNotInVersion},
		{"LAU2022", "FR123", SpecV1_2, false, ErrCodesUnknown},
		{"LAU2022", "FR123", SpecV2_0, false, ErrNotInVersion},
		// EB:ERR:0004 is withdrawn in 2.0; the Common Services versions map.
		{"EBErrorCodes", "EB:ERR:0004", SpecV1_2, true, nil},
		{"EBErrorCodes", "EB:ERR:0004", "oots-cs:v1", true, nil},
		{"EBErrorCodes", "EB:ERR:0004", SpecV2_0, false, nil},
		{"EBErrorCodes", "EB:ERR:0004", "oots-cs:v2.0", false, nil},
		{"EBErrorCodes", "EB:ERR:0003", "oots-cs:v2.0", true, nil},
		// Codes not established.
		{"SRSearchErrorCodes", "SR:ERR:0001", SpecV2_0, false, ErrCodesUnknown},
		{"SRSearchErrorCodes", "SR:ERR:0001", SpecV1_0, false, ErrNotInVersion},
		// Unchanged lists, and the procedure supplement by version.
		{"LevelsOfAssurance", "High", SpecV2_0, true, nil},
		{"Procedures", "R1", SpecV1_0, true, nil},
		{"Procedures", "X7", SpecV1_0, false, nil},
		{"Procedures", "X7", SpecV1_2, true, nil},
		{"Procedures", "AM1", SpecV2_0, true, nil},
		{"CountryIdentificationCode", "JP", SpecV2_0, true, nil},
		{"NutsCodes", "FR1", SpecV2_0, true, nil},
		{"NoSuchList", "x", SpecV2_0, false, ErrUnknownList},
		{"Gender", "1", "oots-edm:v3.0", false, ErrNotInVersion},
	}
	for _, tt := range tests {
		got, err := ValidIn(tt.list, tt.code, tt.spec)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ValidIn(%q, %q, %q) = %v, %v; want %v, %v", tt.list, tt.code, tt.spec, got, err, tt.want, tt.err)
		}
	}
}

// Each version has at most one edition of a list name.
func TestEditionsOnePerVersion(t *testing.T) {
	seen := map[[2]string]bool{}
	for _, e := range Editions() {
		if len(e.Versions) == 0 {
			t.Errorf("edition %s has no version", e.Name)
		}
		for _, v := range e.Versions {
			k := [2]string{e.Name, v}
			if seen[k] {
				t.Errorf("two editions of %s in %s", e.Name, v)
			}
			seen[k] = true
		}
		if !e.Official && e.List != nil && len(e.List.Notes) == 0 {
			t.Errorf("hand-built edition %s says nothing of its sources", e.Name)
		}
	}
	// Every generated list is in every version it was not replaced in.
	for _, l := range All() {
		found := false
		for _, e := range Editions() {
			found = found || e.List == l
		}
		if !found {
			t.Errorf("generated list %s has no edition", l.ShortName)
		}
	}
}

// The 2.0 EB list is the 2022-12 one without EB:ERR:0004, row for row.
func TestEBErrorCodesV2(t *testing.T) {
	var want []Code
	for _, c := range EBErrorCodes().Codes() {
		if c.Value != "EB:ERR:0004" {
			want = append(want, c)
		}
	}
	if diff := cmp.Diff(want, EBErrorCodesV2().Codes()); diff != "" {
		t.Errorf("EBErrorCodesV2 (-want +got):\n%s", diff)
	}
	if EBErrorCodesV2().Len() != EBErrorCodes().Len()-1 {
		t.Errorf("EBErrorCodesV2 has %d rows", EBErrorCodesV2().Len())
	}
}

// The 1.x Gender edition is the enumeration of the official 1.0 schema,
// read from the XSD itself.
func TestGenderTypeIsTheXSDEnumeration(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xsd/sdg/SDG-GenericMetadataProfile-v1.0.0.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Simple []struct {
			Name  string `xml:"name,attr"`
			Enums []struct {
				Value string `xml:"value,attr"`
			} `xml:"restriction>enumeration"`
		} `xml:"simpleType"`
	}
	if err := xml.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range schema.Simple {
		if s.Name == "GenderType" {
			for _, e := range s.Enums {
				want = append(want, e.Value)
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no GenderType enumeration in the schema")
	}
	slices.Sort(want)
	var got []string
	for _, c := range GenderType().Codes() {
		got = append(got, c.Value)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GenderType (-xsd +list):\n%s", diff)
	}
	// The 2.0 list keeps the eIDAS profile of the enumeration.
	for _, g := range want {
		if c, ok := Gender().Lookup(g); !ok || c.Names[ColumnProfile] != ProfileEIDAS {
			t.Errorf("Gender lacks %s of the eIDAS profile", g)
		}
	}
	for _, c := range Gender().Codes() {
		numeric := regexp.MustCompile(`^[0-9]$`).MatchString(c.Value)
		if numeric != (c.Names[ColumnProfile] == ProfileEIDAS2) {
			t.Errorf("Gender %s has profile %q", c.Value, c.Names[ColumnProfile])
		}
	}
}

// Every country the acceptance Common Services (answering oots-cs:v2.0)
// publish a jurisdiction for is an OOTS country.
func TestOOTSCountriesCoverAcceptanceCatalogue(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/common_services/eb_requirements_catalogue.xml"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`<sdg:AdminUnitLevel1>([^<]*)</sdg:AdminUnitLevel1>`)
	seen := map[string]bool{}
	for _, m := range re.FindAllSubmatch(b, -1) {
		seen[string(m[1])] = true
	}
	if len(seen) < 5 {
		t.Fatalf("only %d countries in the catalogue", len(seen))
	}
	for cc := range seen {
		if ok, err := ValidIn("OOTS_Country", cc, "oots-cs:v2.0"); !ok || err != nil {
			t.Errorf("the acceptance catalogue names country %q, not in OOTS_Country (%v)", cc, err)
		}
	}
	if !seen["EL"] {
		t.Log("the catalogue does not name Greece")
	}
}

// The hand-built country lists: 31 codes, sorted, names from ISO 3166
// except EU.
func TestOOTSCountries(t *testing.T) {
	for _, l := range []*List{OOTSCountries(), EEACountries()} {
		if l.Len() != 31 {
			t.Errorf("%s has %d codes, want 30 countries and EU", l.ShortName, l.Len())
		}
		codes := l.Codes()
		if !slices.IsSortedFunc(codes, func(a, b Code) int { return strings.Compare(a.Value, b.Value) }) {
			t.Errorf("%s is not sorted", l.ShortName)
		}
		for _, c := range codes {
			if (c.Name() == "") != (c.Value == "EU") {
				t.Errorf("%s %s has name %q", l.ShortName, c.Value, c.Name())
			}
		}
	}
	if c, _ := OOTSCountries().Lookup("EL"); c.Name() != "Greece" {
		t.Errorf("EL is named %q", c.Name())
	}
}

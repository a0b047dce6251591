package codelist

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

const nsSchematron = "http://purl.oclc.org/dsdl/schematron"

var (
	embeddedList = regexp.MustCompile(`(?s)^\( false\(\) or \( contains\('\x7f(.*)\x7f',concat\('\x7f',\.,'\x7f'\)\) \) \)\s*$`)
	identifiedBy = regexp.MustCompile(`constraints identified by '([^']+)'`)
)

// TestOfficialSchematronAgrees compares the generated lists with the copies
// of the same lists that the official TDD 1.0 Schematron rules embed in their
// assertions (contains('␡R1␡S1␡…␡', concat('␡', ., '␡')), ␡ being U+007F),
// produced by the EC's own tooling from the same Genericode files: an
// independent reading of the files. Each copy must be, value for value, one
// column of the list (the codes, or e.g. the exception types).
func TestOfficialSchematronAgrees(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Spec(t, "tdd-1.0/sch"), "*.sch"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Schematron files: %v", err)
	}
	bySource := make(map[string]*List)
	for _, l := range All() {
		bySource[strings.TrimSuffix(filepath.Base(l.Source), ".gc")] = l
	}
	checked := make(map[string]int)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		doc.Root.Walk(func(e *xmltree.Element) bool {
			if !e.Is(nsSchematron, "assert") {
				return true
			}
			m := identifiedBy.FindStringSubmatch(e.DeepText())
			if m == nil {
				return true
			}
			l, ok := bySource[m[1]]
			if !ok {
				return true // an assertion about something else than a code list
			}
			tm := embeddedList.FindStringSubmatch(e.SelectAttr("", "test"))
			if tm == nil {
				t.Errorf("%s %s: unexpected test %.80q", filepath.Base(f), e.SelectAttr("", "id"), e.SelectAttr("", "test"))
				return false
			}
			where := filepath.Base(f) + " " + e.SelectAttr("", "id")
			if compareEmbedded(t, where, l, tm[1]) {
				checked[l.ShortName]++
			}
			return false
		})
	}
	// Lists of which some assertion embeds every code.
	for _, name := range []string{"AgentClassification", "CountryIdentificationCode", "DSDErrorCodes", "EBErrorCodes",
		"EDMErrorCodes", "ErrorSeverity", "JurisdictionLevel", "LanguageCode", "LoA", "OOTSMediaTypes", "Procedures"} {
		if checked[name] == 0 {
			t.Errorf("no Schematron assertion embeds all the codes of %s", name)
		}
	}
	t.Logf("assertions embedding a whole list: %v", checked)
}

// schematronDefects are values of the official Schematron's copies that are
// no value of the list, each a defect of the copy, by rule id.
var schematronDefects = map[string]string{
	// '␡IPEP␡ERRP␡': the delimiter between IP and EP is missing, so the
	// rule accepts ERRP alone as the error provider's classification.
	"R-EDM-ERR-C008": "IPEP",
	// '␡␡rs:Authentication…': a doubled delimiter, harmless.
	"R-EDM-ERR-C013": "",
}

// compareEmbedded checks that the values of a Schematron copy are values
// of one column of l, and reports whether the copy is the whole code column.
func compareEmbedded(t *testing.T, where string, l *List, s string) (wholeKey bool) {
	t.Helper()
	rule := where[strings.IndexByte(where, ' ')+1:]
	var got []string
	for _, v := range strings.Split(s, "\x7f") {
		if d, ok := schematronDefects[rule]; ok && v == d {
			continue
		}
		if tv := strings.TrimSpace(v); tv != v {
			// The EC tooling kept the tab of "\timage/svg+xml", which we
			// trim (it trimmed the space of "IP " as we do).
			t.Logf("%s: the Schematron keeps %q of %s: the rule rejects %q", where, v, l.ShortName, tv)
			v = tv
		}
		got = append(got, v)
	}
	slices.Sort(got)
	got = slices.Compact(got)
	for j, f := range l.fields {
		col := make(map[string]bool)
		for _, r := range l.rows {
			col[r[j]] = true
		}
		n := 0
		for _, v := range got {
			if col[v] {
				n++
			}
		}
		if n < len(got) {
			continue
		}
		if n < len(col) {
			t.Logf("%s: the Schematron accepts %d of the %d values of %s column %s", where, n, len(col), l.ShortName, f)
		}
		return j == 0 && n == len(col)
	}
	t.Errorf("%s: the values %.300q are no column of %s", where, got, l.ShortName)
	return false
}

// TestSchematronRejectsSVG asks the official Schematron engine about what the
// MediaTypes documentation states: because its copy of the list keeps the
// tab of "\timage/svg+xml", rule R-EDM-RESP-C023 rejects the format
// image/svg+xml, which MediaTypes accepts, and accepts image/png.
func TestSchematronRejectsSVG(t *testing.T) {
	rules := testenv.Spec(t, "tdd-1.0/sch/EDM-RESP-C.sch")
	sample, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-2-evidence-response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`<sdg:Format>[^<]*</sdg:Format>`)
	if !format.Match(sample) {
		t.Fatal("the sample has no sdg:Format")
	}
	cases := []struct {
		mediaType string
		fires     bool
	}{{"image/svg+xml", true}, {"image/png", false}}
	docs := map[string][]byte{}
	for _, tt := range cases {
		if !MediaTypes().Contains(tt.mediaType) {
			t.Errorf("MediaTypes does not contain %s", tt.mediaType)
		}
		docs[tt.mediaType] = format.ReplaceAll(sample, []byte("<sdg:Format>"+tt.mediaType+"</sdg:Format>"))
	}
	got := saxontest.Run(t, docs, map[string][]string{rules: {cases[0].mediaType, cases[1].mediaType}})["EDM-RESP-C.sch"]
	for _, tt := range cases {
		fired := false
		for _, f := range got[tt.mediaType] {
			if f.ID == saxontest.Failed {
				t.Fatalf("%s: %s", tt.mediaType, f.Location)
			}
			fired = fired || f.ID == "R-EDM-RESP-C023"
		}
		if fired != tt.fires {
			t.Errorf("%s: R-EDM-RESP-C023 fired = %v, want %v\n%v", tt.mediaType, fired, tt.fires, got[tt.mediaType])
		}
	}
}

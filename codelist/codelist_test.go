package codelist

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func sourceFile(tb testing.TB, l *List) []byte {
	tb.Helper()
	b, err := os.ReadFile(testenv.Spec(tb, "tdd-1.0/codelists/"+l.Source))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Every list has one row per <Row> of its file, counted without any parser.
func TestRowCounts(t *testing.T) {
	for _, l := range All() {
		t.Run(l.ShortName, func(t *testing.T) {
			want := bytes.Count(sourceFile(t, l), []byte("<Row>"))
			if want == 0 {
				t.Fatalf("%s has no <Row>", l.Source)
			}
			if l.Len() != want || len(l.Codes()) != want {
				t.Errorf("Len() = %d, len(Codes()) = %d; the file has %d <Row>", l.Len(), len(l.Codes()), want)
			}
		})
	}
}

// SPEC.md §2.6: Procedures has the 21 SDGR Annex II codes.
func TestProcedures(t *testing.T) {
	want := strings.Fields("R1 S1 T1 T2 T3 U1 U2 U3 U4 V1 V2 V3 V4 W1 W2 X1 X2 X3 X4 X5 X6")
	var got []string
	for _, c := range Procedures().Codes() {
		got = append(got, c.Value)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Procedures codes (-want +got):\n%s", diff)
	}
	if c, _ := Procedures().Lookup("R1"); c.Name() != "Requesting a birth certificate" {
		t.Errorf("R1 name = %q", c.Name())
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		list *List
		code string
		want bool
	}{
		{Procedures(), "R1", true},
		{Procedures(), "X6", true},
		{Procedures(), "X7", false}, // added after 2022-12: ProceduresSupplement
		{Procedures(), "r1", false}, // exact match
		{Procedures(), " R1", false},
		{Procedures(), "", false},
		{LevelsOfAssurance(), "Low", true},
		{LevelsOfAssurance(), "Substantial", true},
		{LevelsOfAssurance(), "High", true},
		{LevelsOfAssurance(), "high", false},
		{LevelsOfAssurance(), "http://eidas.europa.eu/LoA/High", false},
		{MediaTypes(), "application/pdf", true},
		{MediaTypes(), "image/jpeg", true},
		{MediaTypes(), "image/svg+xml", true},    // spelt "\timage/svg+xml" in the file
		{MediaTypes(), "\timage/svg+xml", false}, // ... and trimmed
		{MediaTypes(), "text/plain", false},
		{AgentClassifications(), "ER", true},
		{AgentClassifications(), "IP", true}, // spelt "IP " in the file
		{AgentClassifications(), "IP ", false},
		{AgentClassifications(), "ERRP", true},
		{AgentClassifications(), "XX", false},
		{EDMErrorCodes(), "EDM:ERR:0001", true},
		{EDMErrorCodes(), "EDM:ERR:0008", true},
		{EDMErrorCodes(), "EDM:ERR:0009", false},
		{EBErrorCodes(), "EB:ERR:0001", true},
		{EBErrorCodes(), "EB:ERR:0004", true},
		{EBErrorCodes(), "EB:ERR:0008", false},
		{DSDErrorCodes(), "DSD:ERR:0005", true},
		{DSDErrorCodes(), "DSD:ERR:005", false},
		{LCMErrorCodes(), "LCM:ERR:0001", true},
		{ErrorSeverities(), "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error", true},
		{ErrorSeverities(), "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired", true},
		{ErrorSeverities(), "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:DSDErrorResponse:AdditionalInput", true},
		{ErrorSeverities(), "Error", false},
		{IdentifierSchemes(), "VAT", true},
		{IdentifierSchemes(), "EORI", true},
		{IdentifierSchemes(), "eidas", false},
		{JurisdictionLevels(), "Country", true},
		{JurisdictionLevels(), "NUTS3", true},
		{JurisdictionLevels(), "LAU", true},
		{JurisdictionLevels(), "NUTS4", false},
		{Countries(), "DE", true},
		{Countries(), "DEU", true}, // alpha-3 codes are in the list too
		{Countries(), "EL", true},  // the list spells Greece EL (EU usage), not ISO's GR
		{Countries(), "GR", false},
		{Countries(), "de", false},
		{Languages(), "EN", true},
		{Languages(), "ENG", true},
		{Languages(), "en", false},
		{EAS(), "0088", true},
		{EAS(), "9930", true},
		{EAS(), "88", false},
		{NUTS(), "AT111", true},
		{NUTS(), "AT", true},
		{NUTS(), "AT999", false},
	}
	for _, tt := range tests {
		if got := tt.list.Contains(tt.code); got != tt.want {
			t.Errorf("%s.Contains(%q) = %v, want %v", tt.list.ShortName, tt.code, got, tt.want)
		}
		if _, got := tt.list.Lookup(tt.code); got != tt.want {
			t.Errorf("%s.Lookup(%q) found = %v, want %v", tt.list.ShortName, tt.code, got, tt.want)
		}
	}
}

// The error catalogues carry message and exception type (SPEC.md §2.4).
func TestEDMErrorCodes(t *testing.T) {
	want := map[string][2]string{
		"EDM:ERR:0001": {"Failed Authentication", "rs:AuthenticationExceptionType"},
		"EDM:ERR:0002": {"Missing Authorization", "rs:AuthorizationExceptionType"},
		"EDM:ERR:0003": {"Syntactically or semantically invalid request", "rs:InvalidRequestExceptionType"},
		"EDM:ERR:0004": {"Object not found", "rs:ObjectNotFoundExceptionType"},
		"EDM:ERR:0005": {"Exceeding timeout period", "rs:TimeoutExceptionType"},
		"EDM:ERR:0006": {"Referenced object that cannot be resolved", "rs:UnresolvedReferenceExceptionType"},
		"EDM:ERR:0007": {"Optional feature or capability is not supported", "rs:UnsupportedCapabilityExceptionType"},
		"EDM:ERR:0008": {"Problem during the processing of a QueryRequest", "query:QueryExceptionType"},
	}
	if EDMErrorCodes().Len() != len(want) {
		t.Errorf("EDMErrorCodes has %d codes, want %d", EDMErrorCodes().Len(), len(want))
	}
	for code, w := range want {
		c, ok := EDMErrorCodes().Lookup(code)
		if !ok {
			t.Errorf("%s missing", code)
			continue
		}
		if got := [2]string{c.Names[ColumnValue], c.Names[ColumnType]}; got != w {
			t.Errorf("%s = %q, want %q", code, got, w)
		}
	}
	if len(EDMErrorCodes().Notes) == 0 || !strings.Contains(EDMErrorCodes().Notes[0], "not well-formed") {
		t.Errorf("EDMErrorCodes.Notes = %q, want the erratum recorded", EDMErrorCodes().Notes)
	}
}

func TestColumns(t *testing.T) {
	tests := []struct {
		list       *List
		code, col  string
		want       string
		wantLookup bool
	}{
		{LevelsOfAssurance(), "High", ColumnURI, "http://eidas.europa.eu/LoA/High", true},
		{LevelsOfAssurance(), "Substantial", ColumnURI, "http://eidas.europa.eu/LoA/Substiantial", true}, // sic
		{MediaTypes(), "application/xml", ColumnStructure, "structured", true},
		{MediaTypes(), "image/jpeg", ColumnValue, ".jpeg", true},
		{ErrorSeverities(), "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:DSDErrorResponse:AdditionalInput", ColumnApplicableErrorCode, "DSD:ERR:005", true},
		{DSDErrorCodes(), "DSD:ERR:0005", ColumnType, "rs:ObjectNotFoundExceptionType", true},
		{Countries(), "DE", "name", "Germany", true},
		{Countries(), "DE", "numericcode", "276", true},
		{Countries(), "DE", "ref", "DEU", true},
		{Languages(), "DE", "german", "Deutsch", true},
		{NUTS(), "AT111", "Name", "Mittelburgenland", true}, // rows say "name", the ColumnSet "Name"
		{EAS(), "0088", "Name", "EAN Location Code", true},
	}
	for _, tt := range tests {
		c, ok := tt.list.Lookup(tt.code)
		if ok != tt.wantLookup {
			t.Errorf("%s.Lookup(%q) found = %v", tt.list.ShortName, tt.code, ok)
			continue
		}
		if got := c.Names[tt.col]; got != tt.want {
			t.Errorf("%s %q column %s = %q, want %q", tt.list.ShortName, tt.code, tt.col, got, tt.want)
		}
	}
	if c, _ := NUTS().Lookup("AT111"); c.Name() != "Mittelburgenland" {
		t.Errorf("NUTS AT111 Name() = %q", c.Name())
	}
	if c, _ := Countries().Lookup("FR"); c.Name() != "France" {
		t.Errorf("Countries FR Name() = %q", c.Name())
	}
}

// OOTSMediaTypes gives image/jpeg twice: Lookup returns the first row in
// document order, LookupAll both.
func TestDuplicateCodes(t *testing.T) {
	all := MediaTypes().LookupAll("image/jpeg")
	var ext []string
	for _, c := range all {
		ext = append(ext, c.Names[ColumnValue])
	}
	if diff := cmp.Diff([]string{".jpeg", ".jpg"}, ext); diff != "" {
		t.Errorf("LookupAll(image/jpeg) (-want +got):\n%s", diff)
	}
	if MediaTypes().LookupAll("text/plain") != nil {
		t.Error("LookupAll of an absent code is not nil")
	}
	if got := len(MediaTypes().LookupAll("application/pdf")); got != 1 {
		t.Errorf("LookupAll(application/pdf) has %d rows", got)
	}
}

func TestCodesSorted(t *testing.T) {
	for _, l := range All() {
		cs := l.Codes()
		if !slices.IsSortedFunc(cs, func(a, b Code) int { return strings.Compare(a.Value, b.Value) }) {
			t.Errorf("%s.Codes() is not sorted", l.ShortName)
		}
		for _, c := range cs {
			if c.Value == "" || strings.TrimSpace(c.Value) != c.Value {
				t.Errorf("%s has code %q", l.ShortName, c.Value)
			}
			if !l.Contains(c.Value) {
				t.Errorf("%s.Contains(%q) = false for a code of Codes()", l.ShortName, c.Value)
			}
		}
	}
	// Codes returns the caller's copy.
	cs := Procedures().Codes()
	cs[0].Names[ColumnValue] = "changed"
	if c, _ := Procedures().Lookup(cs[0].Value); c.Names[ColumnValue] == "changed" {
		t.Error("changing a Code returned by Codes changed the list")
	}
}

func TestByNameAndAll(t *testing.T) {
	all := All()
	if len(all) != 15 {
		t.Errorf("All() has %d lists, want 15", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b *List) int { return strings.Compare(a.ShortName, b.ShortName) }) {
		t.Error("All() is not sorted by ShortName")
	}
	all[0] = nil
	if All()[0] == nil {
		t.Error("All() returns the package's slice")
	}
	names := map[string]*List{
		"Procedures": Procedures(), "CountryIdentificationCode": Countries(), "LoA": LevelsOfAssurance(),
		"OOTSMediaTypes": MediaTypes(), "LanguageCode": Languages(), "EDMErrorCodes": EDMErrorCodes(),
		"EBErrorCodes": EBErrorCodes(), "DSDErrorCodes": DSDErrorCodes(), "LCMErrorCodes": LCMErrorCodes(),
		"ErrorSeverity": ErrorSeverities(), "IdentifierSchemes": IdentifierSchemes(),
		"AgentClassification": AgentClassifications(), "JurisdictionLevel": JurisdictionLevels(),
		"EAS": EAS(), "Nuts": NUTS(),
	}
	for name, want := range names {
		if got, ok := ByName(name); !ok || got != want {
			t.Errorf("ByName(%q) = %v, %v", name, got, ok)
		}
	}
	if _, ok := ByName("Gender"); ok {
		t.Error("ByName(Gender) found a list")
	}
	if l, ok := ByURI("urn:sr.oots.tech.europa.eu:codelists:loa"); !ok || l != LevelsOfAssurance() {
		t.Errorf("ByURI(loa) = %v, %v", l, ok)
	}
	if l, ok := ByURI("urn:sr.oots.tech.europa.eu:codelists:procedures-2022-12"); !ok || l != Procedures() {
		t.Errorf("ByURI(procedures-2022-12) = %v, %v", l, ok)
	}
	for _, l := range all[1:] {
		if l.Version == "" || l.CanonicalURI == "" || l.CanonicalVersionURI == "" || l.Source == "" {
			t.Errorf("%s: identification incomplete: %+v", l.ShortName, l)
		}
	}
}

func TestKnownProcedure(t *testing.T) {
	tests := []struct {
		code, spec string
		want       bool
	}{
		{"R1", "oots-edm:v1.0", true},
		{"X6", "oots-edm:v2.0", true},
		{"X7", "oots-edm:v1.0", false},
		{"X7", "oots-edm:v1.1", false},
		{"X7", "oots-edm:v1.2", true},
		{"V5", "oots-edm:v2.0", true},
		{"X9", "oots-edm:v2.0", true},
		{"AM1", "oots-edm:v2.0", true},
		{"00", "oots-edm:v2.0", true},
		{"X8", "oots-edm:v2.0", false},
		{"R1", "", true},
		{"AM1", "", false},
	}
	for _, tt := range tests {
		if got := KnownProcedure(tt.code, tt.spec); got != tt.want {
			t.Errorf("KnownProcedure(%q, %q) = %v, want %v", tt.code, tt.spec, got, tt.want)
		}
	}
	for _, c := range ProceduresSupplement().Codes() {
		if Procedures().Contains(c.Value) {
			t.Errorf("supplement code %s is already in the generated list", c.Value)
		}
	}
	if _, ok := ByName(ProceduresSupplement().ShortName); ok {
		if l, _ := ByName("Procedures"); l == ProceduresSupplement() {
			t.Error("ByName returns the supplement")
		}
	}
}

// Parse reads each official file (but EDMErrorCodes, which is not
// well-formed) to the same list as the generated one.
func TestParseMatchesGenerated(t *testing.T) {
	for _, l := range All() {
		t.Run(l.ShortName, func(t *testing.T) {
			got, err := Parse(sourceFile(t, l), l.Source)
			if l == EDMErrorCodes() {
				var se *xmltree.SyntaxError
				if !errors.As(err, &se) || !errors.Is(err, xmltree.ErrSyntax) {
					t.Fatalf("Parse(EDMErrorCodes) err = %v, want the published file's syntax error", err)
				}
				if !strings.Contains(err.Error(), l.Source) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(l.Codes(), got.Codes()); diff != "" {
				t.Errorf("codes differ (-generated +parsed):\n%s", diff)
			}
			if diff := cmp.Diff(l.Columns, got.Columns); diff != "" {
				t.Errorf("columns differ (-generated +parsed):\n%s", diff)
			}
			if l.CanonicalVersionURI != got.CanonicalVersionURI || l.Key != got.Key || l.LocationURI != got.LocationURI {
				t.Errorf("identification differs: %v / %v", l, got)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"not XML", "CodeList", xmltree.ErrSyntax},
		{"DTD", `<!DOCTYPE x [<!ENTITY a "b">]><x/>`, xmltree.ErrDTD},
		{"other root", `<CodeList/>`, ErrNotCodeList},
		{"no identification", `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/"/>`, ErrInvalid},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.doc), "test.gc")
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "codelist: test.gc: ") {
			t.Errorf("%s: err = %q, want it prefixed with the package and source", tt.name, err)
		}
	}
}

// The lists are shared by every goroutine of the process; their index is
// built on first use.
func TestConcurrentFirstUse(t *testing.T) {
	l := &List{fields: NUTS().fields, rows: NUTS().rows}
	done := make(chan bool)
	for range 8 {
		go func() { done <- l.Contains("SE224") && !l.Contains("SE999") }()
	}
	for range 8 {
		if !<-done {
			t.Error("wrong answer during concurrent first use")
		}
	}
}

// Every list written as Genericode reads back to the same list; the
// exported EDMErrorCodes is well-formed.
func TestMarshalGenericode(t *testing.T) {
	if _, err := ProceduresSupplement().MarshalGenericode(); !errors.Is(err, ErrInvalid) {
		t.Errorf("ProceduresSupplement (no canonical URI): err = %v, want ErrInvalid", err)
	}
	for _, l := range All() {
		b, err := l.MarshalGenericode()
		if err != nil {
			t.Fatalf("%s: %v", l.ShortName, err)
		}
		got, err := Parse(b, l.ShortName+".gc")
		if err != nil {
			t.Fatalf("%s: %v", l.ShortName, err)
		}
		if diff := cmp.Diff(l.Codes(), got.Codes()); diff != "" {
			t.Errorf("%s: codes differ (-list +exported):\n%s", l.ShortName, diff)
		}
		if diff := cmp.Diff(l.Columns, got.Columns); diff != "" {
			t.Errorf("%s: columns differ (-list +exported):\n%s", l.ShortName, diff)
		}
		if got.CanonicalVersionURI != l.CanonicalVersionURI || got.Version != l.Version || got.Key != l.Key {
			t.Errorf("%s: identification differs: %v", l.ShortName, got)
		}
	}
}

package genericode

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func TestParseMinimal(t *testing.T) {
	b, err := os.ReadFile("testdata/minimal.gc")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &CodeList{
		ShortName: "Colours", LongName: "Colours", Version: "1",
		CanonicalURI: "urn:example:colours", CanonicalVersionURI: "urn:example:colours-1",
		AgencyName: "EX", AgencyID: "42",
		Columns: []Column{
			{ID: "code", ShortName: "Code", Use: "required", Type: "normalizedString"},
			{ID: "name-Value", ShortName: "Name", Use: "optional", Type: "string", Lang: "Value"},
			{ID: "fr", ShortName: "French", Use: "optional", Type: "string", Lang: "fr"},
		},
		Key: "code",
		Rows: []Row{
			{Line: 19, Values: map[string]string{"code": "RED", "name-Value": "Red", "fr": "rouge"}},
			{Line: 24, Values: map[string]string{"code": "BLUE", "name-Value": "Blue"}},
			{Line: 29, Values: map[string]string{"code": "GREEN", "fr": "vert"}},
			{Line: 33, Values: map[string]string{"code": "BLUE", "name-Value": ""}},
		},
		Notes: []string{
			`rows refer to column "FR", which the ColumnSet defines as "fr": read case-insensitively`,
			`whitespace removed around 1 code value(s): " GREEN "`,
			`1 code(s) appear in more than one row (the Key is not unique): "BLUE"`,
		},
	}
	if diff := cmp.Diff(want, cl); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	fields, rows := cl.Table()
	if diff := cmp.Diff([]string{"code", "name-Value", "fr"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	wantRows := [][]string{{"BLUE", "Blue", ""}, {"BLUE", "", ""}, {"GREEN", "", "vert"}, {"RED", "Red", "rouge"}}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

const head = `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">`

const ident = `<Identification><ShortName>L</ShortName><Version>1</Version><CanonicalUri>urn:l</CanonicalUri><CanonicalVersionUri>urn:l-1</CanonicalVersionUri></Identification>`

const cols = `<ColumnSet><Column Id="code" Use="required"><ShortName>Code</ShortName></Column><Column Id="n" Use="optional"><ShortName>N</ShortName></Column><Key Id="k"><ShortName>K</ShortName><ColumnRef Ref="code"/></Key></ColumnSet>`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
		msg  string // in the error text
	}{
		{"not XML", `<gc:CodeList`, xmltree.ErrSyntax, ""},
		{"DTD", `<!DOCTYPE gc:CodeList [<!ENTITY x "y">]>` + head + `</gc:CodeList>`, xmltree.ErrDTD, ""},
		{"other root", `<CodeList><Identification/></CodeList>`, ErrNotCodeList, "document element is CodeList"},
		{"code list set", `<gc:CodeListSet xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/"/>`, ErrNotCodeList, "CodeListSet"},
		{"no identification", head + `</gc:CodeList>`, ErrInvalid, "missing Identification"},
		{"no version", head + `<Identification><ShortName>L</ShortName></Identification></gc:CodeList>`, ErrInvalid, "missing Version"},
		{"empty short name", head + `<Identification><ShortName> </ShortName></Identification></gc:CodeList>`, ErrInvalid, "empty ShortName"},
		{"no column set", head + ident + `</gc:CodeList>`, ErrInvalid, "missing ColumnSet"},
		{"column set ref", head + ident + `<ColumnSetRef><CanonicalVersionUri>urn:x</CanonicalVersionUri></ColumnSetRef></gc:CodeList>`, ErrUnsupported, "ColumnSetRef"},
		{"no key", head + ident + `<ColumnSet><Column Id="code"/></ColumnSet></gc:CodeList>`, ErrInvalid, "no Key"},
		{"key to nothing", head + ident + `<ColumnSet><Column Id="code"/><Key Id="k"><ColumnRef Ref="id"/></Key></ColumnSet></gc:CodeList>`, ErrInvalid, `undefined column "id"`},
		{"column without id", head + ident + `<ColumnSet><Column/></ColumnSet></gc:CodeList>`, ErrInvalid, "Column without Id"},
		{"duplicate column", head + ident + `<ColumnSet><Column Id="a"/><Column Id="a"/></ColumnSet></gc:CodeList>`, ErrInvalid, `duplicate Column Id "a"`},
		{"two-column key", head + ident + `<ColumnSet><Column Id="a"/><Column Id="b"/><Key Id="k"><ColumnRef Ref="a"/><ColumnRef Ref="b"/></Key></ColumnSet></gc:CodeList>`, ErrUnsupported, "several columns"},
		{"no rows", head + ident + cols + `</gc:CodeList>`, ErrInvalid, "missing SimpleCodeList"},
		{"empty list", head + ident + cols + `<SimpleCodeList/></gc:CodeList>`, ErrInvalid, "no Row"},
		{"undefined column", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="code"><SimpleValue>A</SimpleValue></Value><Value ColumnRef="x"><SimpleValue>B</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, `undefined column "x"`},
		{"no code", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="n"><SimpleValue>B</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, "without a value for key column"},
		{"blank code", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="code"><SimpleValue> </SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, "without a value for key column"},
		{"two values", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="code"><SimpleValue>A</SimpleValue></Value><Value ColumnRef="code"><SimpleValue>B</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, "two Values"},
		{"complex value", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="code"><ComplexValue><x/></ComplexValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrUnsupported, "ComplexValue"},
		{"value without simple value", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="code"/></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, "without SimpleValue"},
		{"past last column", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="n"><SimpleValue>B</SimpleValue></Value><Value><SimpleValue>C</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, "after the last column"},
		{"stray element", head + ident + cols + `<SimpleCodeList><Item/></SimpleCodeList></gc:CodeList>`, ErrInvalid, "unexpected element Item"},
		{"markup in value", head + ident + cols + `<SimpleCodeList><Row><Value ColumnRef="code"><SimpleValue>A<b/></SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, ErrInvalid, "element content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := Parse([]byte(tt.doc))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v (list %+v)", err, tt.want, cl)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to say %q", err, tt.msg)
			}
			var e *Error
			if errors.As(err, &e) && e.Line == 0 {
				t.Errorf("err %q has no line", err)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse([]byte(head + ident + cols + "<SimpleCodeList>\n<Row/></SimpleCodeList></gc:CodeList>"))
	want := `genericode: line 2: invalid Genericode: Row without a value for key column "code" (at /gc:CodeList/SimpleCodeList/Row)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}

// officialFiles returns the published .gc files of the shared folder.
func officialFiles(tb testing.TB) []string {
	tb.Helper()
	dir := testenv.Spec(tb, "tdd-1.0/codelists")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.gc"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no .gc files in %s: %v", dir, err)
	}
	slices.Sort(files)
	return files
}

// Every published file parses, except EDMErrorCodes whose 2022-12 edition
// is not well-formed (the generator corrects it; see its errata table).
func TestOfficialFiles(t *testing.T) {
	for _, f := range officialFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := Parse(b)
		if filepath.Base(f) == "EDMErrorCodes-CodeList.gc" {
			if !errors.Is(err, xmltree.ErrSyntax) {
				t.Errorf("%s: err = %v, want a syntax error (the published file is malformed)", f, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got, want := len(cl.Rows), strings.Count(string(b), "<Row>"); got != want {
			t.Errorf("%s: %d rows, the file has %d <Row>", f, got, want)
		}
	}
}

// FuzzParse checks that Parse never panics, and that what it accepts keeps
// its invariants: a non-empty code in every row, columns that exist, a
// sorted Table with one cell per field.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/minimal.gc"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(head + ident + cols + `<SimpleCodeList><Row><Value><SimpleValue>A</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`))
	for _, file := range officialFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fuzzSeed(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cl, err := Parse(b)
		if err != nil {
			if cl != nil {
				t.Fatal("list and error both returned")
			}
			return
		}
		ids := make(map[string]bool)
		for _, c := range cl.Columns {
			ids[c.ID] = true
		}
		if !ids[cl.Key] {
			t.Fatalf("key %q is not a column", cl.Key)
		}
		for _, r := range cl.Rows {
			if c := cl.Code(r); c == "" || strings.TrimSpace(c) != c {
				t.Fatalf("row with code %q", c)
			}
			for id := range r.Values {
				if !ids[id] {
					t.Fatalf("row value for undefined column %q", id)
				}
			}
		}
		fields, rows := cl.Table()
		if len(rows) != len(cl.Rows) || fields[0] != cl.Key {
			t.Fatalf("Table: %d rows for %d, fields %q", len(rows), len(cl.Rows), fields)
		}
		for i, r := range rows {
			if len(r) != len(fields) {
				t.Fatalf("row %d has %d cells for %d fields", i, len(r), len(fields))
			}
			if i > 0 && rows[i-1][0] > r[0] {
				t.Fatalf("Table not sorted at row %d", i)
			}
		}
		again, err := Parse(b)
		if err != nil || !cmp.Equal(cl, again) {
			t.Fatalf("second parse differs: %v", err)
		}
		checkRoundTrip(t, cl)
	})
}

func BenchmarkParseNUTS(b *testing.B) {
	data, err := os.ReadFile(testenv.Spec(b, "tdd-1.0/codelists/External/NutsCodes.gc"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, f := range append(officialFiles(t), "testdata/minimal.gc") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := Parse(b)
		if err != nil {
			continue // EDMErrorCodes: not well-formed
		}
		checkRoundTrip(t, cl)
	}
}

func TestMarshalMinimal(t *testing.T) {
	b, err := os.ReadFile("testdata/minimal.gc")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">`,
		`<Column Id="fr" Use="optional">`,
		`<Data Type="string" Lang="fr"/>`,
		`<Value ColumnRef="code">`,
		`<SimpleValue>GREEN</SimpleValue>`,
		`<Value ColumnRef="fr">`, // was "FR"
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Marshal output lacks %s:\n%s", want, out)
		}
	}
}

// checkRoundTrip checks that Marshal writes a document Parse reads back to
// the same list, without notes (the leniencies were applied the first time).
func checkRoundTrip(t *testing.T, cl *CodeList) {
	t.Helper()
	out, err := cl.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
	}
	ignore := cmp.Options{
		cmp.FilterPath(func(p cmp.Path) bool {
			s := p.String()
			return s == "Rows.Line" || s == "Notes" || s == "Columns.ShortName" || s == "Columns.Type"
		}, cmp.Ignore()),
	}
	if diff := cmp.Diff(cl, again, ignore); diff != "" {
		t.Fatalf("%s: Parse(Marshal()) differs (-first +second):\n%s", cl.ShortName, diff)
	}
	if len(again.Notes) > 0 && !strings.Contains(strings.Join(again.Notes, " "), "more than one row") {
		t.Fatalf("%s: second parse has notes %q", cl.ShortName, again.Notes)
	}
}

// fuzzSeed returns a Genericode file cut to its first rows when it is large
// (the ISO and NUTS lists are 0.3 to 0.5 MB): mutating and minimizing
// inputs that size stalls the fuzzer for minutes. TestOfficialFiles reads
// the whole files.
func fuzzSeed(b []byte) []byte {
	const maxSeed = 64 << 10
	if len(b) <= maxSeed {
		return b
	}
	rows := bytes.Split(b, []byte("<Row>"))
	end := bytes.LastIndex(b, []byte("</SimpleCodeList>"))
	if len(rows) < 12 || end < 0 {
		return b
	}
	seed := bytes.Join(rows[:11], []byte("<Row>"))
	seed = seed[:bytes.LastIndex(seed, []byte("</Row>"))+len("</Row>")]
	return append(seed, b[end:]...)
}

func TestFuzzSeed(t *testing.T) {
	for _, f := range officialFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seed := fuzzSeed(b)
		if len(seed) > 64<<10 {
			t.Errorf("%s: seed of %d bytes", f, len(seed))
		}
		if filepath.Base(f) == "EDMErrorCodes-CodeList.gc" {
			continue
		}
		cl, err := Parse(seed)
		if err != nil {
			t.Errorf("%s: seed does not parse: %v", f, err)
			continue
		}
		if len(b) > 64<<10 && len(cl.Rows) != 10 {
			t.Errorf("%s: seed has %d rows", f, len(cl.Rows))
		}
	}
}

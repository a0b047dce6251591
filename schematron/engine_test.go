package schematron

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oots-go/oots/internal/testenv"

	"github.com/google/go-cmp/cmp"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
)

func mustCompile(t *testing.T, sch string) *Schema {
	t.Helper()
	s, err := Compile(strings.NewReader(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">` + sch + `</sch:schema>`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustParse(t *testing.T, doc string) *xmltree.Document {
	t.Helper()
	d, err := xmltree.ParseBytes([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type fired struct{ ID, Path, Text string }

func runFired(t *testing.T, s *Schema, doc string) []fired {
	t.Helper()
	rep, err := s.Run(mustParse(t, doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []fired
	for _, r := range rep.Results {
		out = append(out, fired{r.ID, r.Path, r.Text})
	}
	return out
}

func TestEngineSemantics(t *testing.T) {
	tests := []struct {
		name, sch, doc string
		want           []fired
	}{
		{
			name: "first matching rule of a pattern wins, in document order",
			sch: `<sch:pattern>
				<sch:rule context="b[@x]"><sch:report test="true()" id="specific"/></sch:rule>
				<sch:rule context="b"><sch:report test="true()" id="general"/></sch:rule>
			</sch:pattern>`,
			doc:  `<a><b/><b x="1"/><c><b/></c></a>`,
			want: []fired{{"general", "/a/b[1]", ""}, {"specific", "/a/b[2]", ""}, {"general", "/a/c/b", ""}},
		},
		{
			name: "each pattern sees every node",
			sch: `<sch:pattern><sch:rule context="b"><sch:report test="true()" id="p1"/></sch:rule></sch:pattern>
				<sch:pattern><sch:rule context="b"><sch:report test="true()" id="p2"/></sch:rule></sch:pattern>`,
			doc:  `<a><b/></a>`,
			want: []fired{{"p1", "/a/b", ""}, {"p2", "/a/b", ""}},
		},
		{
			name: "assert fires when false, report when true",
			sch: `<sch:pattern><sch:rule context="a">
				<sch:assert test="@n = 1" id="A1">n is <sch:value-of select="@n"/></sch:assert>
				<sch:assert test="@n = 2" id="A2">n is <sch:value-of select="@n"/></sch:assert>
				<sch:report test="@n = 1" id="R1">reported <sch:name/></sch:report>
			</sch:rule></sch:pattern>`,
			doc:  `<a n="1"/>`,
			want: []fired{{"A2", "/a", "n is 1"}, {"R1", "/a", "reported a"}},
		},
		{
			name: "rule lets see earlier lets and schema lets",
			sch: `<sch:let name="limit" value="3"/>
				<sch:pattern><sch:rule context="a">
					<sch:let name="n" value="count(b)"/>
					<sch:let name="m" value="$n * 2"/>
					<sch:assert test="$m le $limit" id="L">too many: <sch:value-of select="$m"/> &gt; <sch:value-of select="$limit"/></sch:assert>
				</sch:rule></sch:pattern>`,
			doc:  `<a><b/><b/></a>`,
			want: []fired{{"L", "/a", "too many: 4 > 3"}},
		},
		{
			name: "attribute contexts",
			sch: `<sch:pattern><sch:rule context="a/@code">
				<sch:assert test=". = ('X','Y')" id="CODE">bad code '<sch:value-of select="."/>'</sch:assert>
			</sch:rule></sch:pattern>`,
			doc:  `<r><a code="X"/><a code="Z"/></r>`,
			want: []fired{{"CODE", "/r/a[2]/@code", "bad code 'Z'"}},
		},
		{
			name: "namespaces bind by URI, not by the document's prefixes",
			sch: `<sch:ns prefix="p" uri="urn:x"/>
				<sch:pattern><sch:rule context="p:a"><sch:assert test="p:b" id="NS"/></sch:rule></sch:pattern>`,
			doc:  `<q:a xmlns:q="urn:x"><b/></q:a>`,
			want: []fired{{"NS", "/q:a", ""}},
		},
		{
			name: "/node() matches the document element",
			sch:  `<sch:pattern><sch:rule context="/node()"><sch:assert test="local-name()='root'" id="ROOT">root is <sch:value-of select="name()"/></sch:assert></sch:rule></sch:pattern>`,
			doc:  `<!-- comment --><other/>`,
			want: []fired{{"ROOT", "/other", "root is other"}},
		},
		{
			name: "abstract pattern instantiated with is-a and params",
			sch: `<sch:pattern abstract="true" id="required">
					<sch:rule context="$parent"><sch:assert test="$child" id="REQ">missing <sch:value-of select="'$child'"/></sch:assert></sch:rule>
				</sch:pattern>
				<sch:pattern is-a="required" id="r1"><sch:param name="parent" value="a"/><sch:param name="child" value="b"/></sch:pattern>`,
			doc:  `<a><c/></a>`,
			want: []fired{{"REQ", "/a", "missing b"}},
		},
		{
			name: "abstract rule and extends",
			sch: `<sch:pattern>
					<sch:rule abstract="true" id="named"><sch:assert test="@name" id="NAMED"/></sch:rule>
					<sch:rule context="item"><sch:extends rule="named"/><sch:assert test="@qty" id="QTY"/></sch:rule>
				</sch:pattern>`,
			doc:  `<list><item qty="1"/><item name="x"/></list>`,
			want: []fired{{"NAMED", "/list/item[1]", ""}, {"QTY", "/list/item[2]", ""}},
		},
		{
			name: "diagnostics are appended to findings",
			sch: `<sch:pattern><sch:rule context="a"><sch:assert test="false()" id="D" diagnostics="d1">main</sch:assert></sch:rule></sch:pattern>
				<sch:diagnostics><sch:diagnostic id="d1">value <sch:value-of select="@v"/></sch:diagnostic></sch:diagnostics>`,
			doc:  `<a v="7"/>`,
			want: []fired{{"D", "/a", "main"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runFired(t, mustCompile(t, tc.sch), tc.doc)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindingsCarryFlagsAndDiagnostics(t *testing.T) {
	s := mustCompile(t, `<sch:pattern><sch:rule context="a" flag="warning">
			<sch:assert test="false()" id="F1" diagnostics="d">first</sch:assert>
			<sch:assert test="false()" id="F2" flag="fatal">second</sch:assert>
			<sch:assert test="false()" id="F3" role="info">third</sch:assert>
		</sch:rule></sch:pattern>
		<sch:pattern><sch:rule context="a"><sch:assert test="false()" id="F4">fourth</sch:assert></sch:rule></sch:pattern>
		<sch:pattern><sch:rule context="a"><sch:let name="w" value="@v * 10"/><sch:assert test="false()" id="F5" diagnostics="d w">fifth</sch:assert></sch:rule></sch:pattern>
		<sch:diagnostics><sch:diagnostic id="d">v=<sch:value-of select="@v"/></sch:diagnostic><sch:diagnostic id="w">w=<sch:value-of select="$w"/></sch:diagnostic></sch:diagnostics>`)
	rep, err := s.Run(mustParse(t, `<a v="1"/>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []check.Finding{
		{Rule: "F1", Flag: check.Warning, Location: "/a", Message: "first [v=1]"},
		{Rule: "F2", Flag: check.Fatal, Location: "/a", Message: "second"},
		{Rule: "F3", Flag: check.Warning, Location: "/a", Message: "third"},
		{Rule: "F4", Flag: check.Error, Location: "/a", Message: "fourth"},
		{Rule: "F5", Flag: check.Error, Location: "/a", Message: "fifth [v=1] [w=10]"},
	}
	if diff := cmp.Diff(want, rep.Findings()); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct{ name, sch, want string }{
		{"not schematron", `<schema/>`, "not sch:schema"},
		{"bad query binding", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xquery"/>`, "queryBinding"},
		{"rule without context", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern><sch:rule/></sch:pattern></sch:schema>`, "without context"},
		{"bad test", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern><sch:rule context="a"><sch:assert test="count(" id="X"/></sch:rule></sch:pattern></sch:schema>`, "test of X"},
		{"unknown prefix", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern><sch:rule context="zz:a"><sch:assert test="1" id="X"/></sch:rule></sch:pattern></sch:schema>`, "rule context"},
		{"unknown variable", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern><sch:rule context="a"><sch:assert test="$nope" id="X"/></sch:rule></sch:pattern></sch:schema>`, "test of X"},
		{"unknown abstract pattern", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern is-a="nope"/></sch:schema>`, "is-a"},
		{"include without file system", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:include href="x.sch"/></sch:schema>`, "include"},
		{"not well-formed", `<sch:schema`, "not well-formed"},
		{"unknown diagnostic", `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern><sch:rule context="a"><sch:assert test="1" id="X" diagnostics="nope"/></sch:rule></sch:pattern></sch:schema>`, "diagnostic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(strings.NewReader(tc.sch))
			if err == nil {
				t.Fatal("compiled")
			}
			if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrSchema mentioning %q", err, tc.want)
			}
		})
	}
}

func TestEvaluationError(t *testing.T) {
	// matches() on two nodes is a type error (XPTY0004): Saxon stops, so do we.
	s := mustCompile(t, `<sch:pattern><sch:rule context="a"><sch:assert test="matches(b, 'x')" id="M"/></sch:rule></sch:pattern>`)
	_, err := s.Run(mustParse(t, `<a><b/><b/></a>`), nil)
	var ee *EvalError
	if !errors.Is(err, ErrEvaluation) || !errors.As(err, &ee) || ee.Location != "/a" {
		t.Fatalf("err = %v, want an *EvalError at /a", err)
	}
	rs := &RuleSet{Schemas: []*Schema{s}}
	fs := rs.Validate(mustParse(t, `<a><b/><b/></a>`))
	if len(fs) != 1 || fs[0].Rule != RuleEvaluationError || fs[0].Flag != check.Fatal {
		t.Errorf("Validate = %v, want one fatal %s finding", fs, RuleEvaluationError)
	}
}

func TestLoadInclude(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/main.sch": {Data: []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
			<sch:include href="parts/p.sch"/></sch:schema>`)},
		"rules/parts/p.sch": {Data: []byte(`<sch:pattern xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:rule context="a"><sch:assert test="b" id="INC"/></sch:rule></sch:pattern>`)},
	}
	s, err := Load(fsys, "rules/main.sch")
	if err != nil {
		t.Fatal(err)
	}
	if got := runFired(t, s, `<a/>`); len(got) != 1 || got[0].ID != "INC" {
		t.Errorf("fired %v, want INC", got)
	}
	rs, err := LoadDir(fsys, "rules")
	if err != nil || len(rs.Schemas) != 1 {
		t.Fatalf("LoadDir: %v, %v", rs, err)
	}
}

func TestForKind(t *testing.T) {
	for _, tc := range []struct {
		kind, version string
		files         []string
	}{
		{KindEDMResponse, "oots-edm:v1.0", []string{"tdd-1.0/EDM-RESP-S.sch", "tdd-1.0/EDM-RESP-C.sch"}},
		{KindEBError, "oots-edm:v1.2", []string{"tdd-1.0/EB-ERR.sch"}},
		{KindLCMSuccess, "oots-cs:v1", []string{"tdd-1.0/LCM-SUC.sch"}},
		{KindEDMRequest, "oots-edm:v2.0", []string{"edm-2.0/EDM-REQ-S-2.0.sch", "edm-2.0/EDM-REQ-C-2.0.sch"}},
		{KindEBMS, "oots-edm:v2.0", []string{"edm-2.0/EDM-ebMS-2.0.sch"}},
		{KindEDMError, SetLegacy099, []string{"legacy-0.99/evidence_exception.sch"}},
	} {
		files, err := Files(tc.kind, tc.version)
		if err != nil || !equalStrings(files, tc.files) {
			t.Errorf("Files(%s, %s) = %v, %v; want %v", tc.kind, tc.version, files, err, tc.files)
		}
		rs, err := ForKind(tc.kind, tc.version)
		if err != nil || len(rs.Schemas) != len(tc.files) {
			t.Errorf("ForKind(%s, %s): %v", tc.kind, tc.version, err)
		}
		again, _ := ForKind(tc.kind, tc.version)
		if again != rs {
			t.Errorf("ForKind(%s, %s) not cached", tc.kind, tc.version)
		}
	}
	for _, tc := range [][2]string{{KindEBMS, "oots-edm:v1.0"}, {KindDSDResponse, "oots-cs:v2.0"}, {"NOPE", "oots-edm:v1.0"}, {KindEDMRequest, "oots-edm:v9"}} {
		if _, err := ForKind(tc[0], tc[1]); !errors.Is(err, ErrNoRules) {
			t.Errorf("ForKind(%s, %s) = %v, want ErrNoRules", tc[0], tc[1], err)
		}
	}
}

// TestEmbeddedRulesCompile: every embedded rule file compiles, and the
// official ones are byte-for-byte the files of the shared specification.
func TestEmbeddedRulesCompile(t *testing.T) {
	for _, set := range []string{SetTDD10, SetLegacy099, SetEDM20} {
		rs, err := LoadDir(Rules(), set)
		if err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		t.Logf("%s: %d files", set, len(rs.Schemas))
	}
	for _, set := range []string{SetTDD10, SetLegacy099} {
		entries, err := fs.ReadDir(Rules(), set)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			ours, _ := fs.ReadFile(Rules(), path.Join(set, e.Name()))
			official, err := os.ReadFile(testenv.Spec(t, set+"/sch/"+e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, official) {
				t.Errorf("embedded %s/%s differs from the official file", set, e.Name())
			}
		}
	}
}

func TestSVRL(t *testing.T) {
	s := mustCompile(t, `<sch:ns prefix="p" uri="urn:x"/><sch:pattern id="P"><sch:rule context="p:a"><sch:report test="true()" id="R" role="info">hi <sch:value-of select="@v"/></sch:report></sch:rule></sch:pattern>`)
	rep, err := s.Run(mustParse(t, `<a xmlns="urn:x" v="1"/>`), &Options{FiredRules: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteSVRL(&b, rep); err != nil {
		t.Fatal(err)
	}
	doc := mustParse(t, b.String())
	ids, err := svrlIDs([]byte(b.String()))
	if err != nil || !equalStrings(ids, []string{"R"}) {
		t.Errorf("SVRL ids %v, %v", ids, err)
	}
	var kinds []string
	for _, e := range doc.Root.Elements() {
		kinds = append(kinds, e.Local)
	}
	want := []string{"ns-prefix-in-attribute-values", "active-pattern", "fired-rule", "successful-report"}
	if !equalStrings(kinds, want) {
		t.Errorf("SVRL children %v, want %v\n%s", kinds, want, b.String())
	}
	if !strings.Contains(b.String(), `location="/*[local-name()='a' and namespace-uri()='urn:x']"`) {
		t.Errorf("SVRL location not Saxon style:\n%s", b.String())
	}
}

// TestConcurrentValidate: the cached rule sets are shared by goroutines
// validating different documents (run with -race).
func TestConcurrentValidate(t *testing.T) {
	docs := edm20Docs(t)
	done := make(chan []string)
	for g := 0; g < 8; g++ {
		go func(g int) {
			var got []string
			for i := range edm20Cases {
				c := edm20Cases[(i+g)%len(edm20Cases)]
				doc, err := xmltree.ParseBytes(docs[(i+g)%len(edm20Cases)], nil)
				if err != nil {
					got = append(got, err.Error())
					continue
				}
				rs, err := ForKind(c.kind, "oots-edm:v2.0")
				if err != nil {
					got = append(got, err.Error())
					continue
				}
				set := map[string]bool{}
				for _, f := range rs.Validate(doc) {
					set[f.Rule] = true
				}
				if ids := sortedKeys(set); !equalStrings(ids, c.all()) {
					got = append(got, c.name+": "+strings.Join(ids, " "))
				}
			}
			done <- got
		}(g)
	}
	for g := 0; g < 8; g++ {
		if bad := <-done; len(bad) > 0 {
			t.Error(bad)
		}
	}
}

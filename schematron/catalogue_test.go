package schematron

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// alterC001 makes the official R-EDM-REQ-C001 of EDM-REQ-C.sch demand a
// specification identifier no message carries, with flag fatal (the TDD 1.0
// assertions carry none, hence "error"), so that it fails every valid
// request: a request refused with that id was judged by the altered copy.
func alterC001(tb testing.TB) func(rel string, b []byte) []byte {
	return testenv.Replace(tb, "OOTS-EDM/sch/EDM-REQ-C.sch", `test="rim:Value='oots-edm:v1.0'" id="R-EDM-REQ-C001"`,
		`test="rim:Value='oots-edm:v9.9'" flag="fatal" id="R-EDM-REQ-C001"`)
}

func fileSum(tb testing.TB, p string) string {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func ruleIDs(fs []check.Finding, flag check.Flag) []string {
	var out []string
	for _, f := range fs {
		if f.Flag == flag {
			out = append(out, f.Rule)
		}
	}
	return out
}

func TestCatalogueOfficialTree(t *testing.T) {
	root := testenv.OfficialTree(t, alterC001(t))
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Without a directory the embedded files accept the official sample.
	var builtin *Catalogue
	rs, err := builtin.ForKind(KindEDMRequest, "oots-edm:v1.0")
	if err != nil {
		t.Fatal(err)
	}
	if fatal := ruleIDs(rs.Validate(doc), check.Fatal); len(fatal) != 0 {
		t.Fatalf("embedded rules refuse the official sample: %v", fatal)
	}

	// The repository root, OOTS-EDM and OOTS-EDM/sch name the same files.
	sch := filepath.Join(root, "OOTS-EDM", "sch")
	for _, dir := range []string{root, filepath.Join(root, "OOTS-EDM"), sch} {
		c, err := NewCatalogue(Official{Version: "oots-edm:v1.0", FS: os.DirFS(dir), Name: dir})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		rs, err := c.ForKind(KindEDMRequest, "oots-edm:v1.0")
		if err != nil {
			t.Fatal(err)
		}
		if fatal := ruleIDs(rs.Validate(doc), check.Fatal); len(fatal) != 1 || fatal[0] != "R-EDM-REQ-C001" {
			t.Errorf("%s: fatal findings %v, want the altered R-EDM-REQ-C001", dir, fatal)
		}
		// Another version keeps the embedded files.
		other, err := c.ForKind(KindEDMRequest, "oots-edm:v1.1")
		if err != nil || other != mustForKind(t, KindEDMRequest, "oots-edm:v1.1") {
			t.Errorf("%s: oots-edm:v1.1 is not judged by the embedded files: %v", dir, err)
		}
		if got := c.Official()["oots-edm:v1.0"]; filepath.Clean(got) != sch {
			t.Errorf("Official() = %q, want %q", got, sch)
		}
	}

	c, err := NewCatalogue(Official{Version: "oots-edm:v1.0", FS: os.DirFS(root), Name: root})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Entry{}
	for _, e := range entries {
		byKey[e.Kind+" "+e.Version] = e
	}
	req := byKey["EDM-REQ oots-edm:v1.0"]
	want := []File{{"EDM-REQ-S.sch", fileSum(t, filepath.Join(sch, "EDM-REQ-S.sch"))}, {"EDM-REQ-C.sch", fileSum(t, filepath.Join(sch, "EDM-REQ-C.sch"))}}
	if req.Origin != OriginOfficial || filepath.Clean(req.Dir) != sch || !equalFiles(req.Files, want) {
		t.Errorf("EDM-REQ v1.0 = %+v, want official %s %v", req, sch, want)
	}
	if official := fileSum(t, testenv.Spec(t, "tdd-1.0/sch/EDM-REQ-C.sch")); req.Files[1].SHA256 == official {
		t.Error("the checksum of the altered copy equals the original's")
	}
	// The embedded files of another version: checksums of the official
	// files they are copies of.
	resp := byKey["EDM-RESP oots-edm:v1.2"]
	want = []File{{"EDM-RESP-S.sch", fileSum(t, testenv.Spec(t, "tdd-1.0/sch/EDM-RESP-S.sch"))}, {"EDM-RESP-C.sch", fileSum(t, testenv.Spec(t, "tdd-1.0/sch/EDM-RESP-C.sch"))}}
	if resp.Origin != OriginBuiltIn || resp.Dir != "schematron/rules/tdd-1.0" || !equalFiles(resp.Files, want) {
		t.Errorf("EDM-RESP v1.2 = %+v, want built-in tdd-1.0 %v", resp, want)
	}
	// TDD 1.0 has no EDM-ebMS.sch, and there is no embedded v1 header set.
	if e := byKey["EBMS oots-edm:v1.0"]; e.Origin != "" || !strings.Contains(e.Note, "EDM-ebMS.sch not in") {
		t.Errorf("EBMS v1.0 = %+v, want no rules and a note", e)
	}
	if e := byKey["EBMS oots-edm:v2.0"]; e.Origin != OriginBuiltIn || e.Dir != "schematron/rules/edm-2.0" || e.Note != "" {
		t.Errorf("EBMS v2.0 = %+v", e)
	}
	if e := byKey["DSD-RESP oots-cs:v2.0"]; e.Origin != "" || e.Note == "" {
		t.Errorf("DSD-RESP cs v2.0 = %+v", e)
	}
}

func mustForKind(tb testing.TB, kind, version string) *RuleSet {
	tb.Helper()
	rs, err := ForKind(kind, version)
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

func equalFiles(a, b []File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCatalogueFallBack: a kind whose files the directory lacks keeps the
// embedded set and says so; the included files are checksummed too.
func TestCatalogueFallBack(t *testing.T) {
	hdr, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/requete.entete.xml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xmltree.ParseBytes(hdr, nil)
	if err != nil {
		t.Fatal(err)
	}
	main := []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
		<sch:ns prefix="eb" uri="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"/>
		<sch:include href="codelist-include/spec.sch"/></sch:schema>`)
	inc := []byte(`<sch:pattern xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:rule context="eb:Property[@name='SpecificationId']">
		<sch:assert test=".='oots-edm:v2.1'" id="R-TEST-SPEC" flag="fatal">not 2.1</sch:assert></sch:rule></sch:pattern>`)
	fsys := fstest.MapFS{
		"OOTS-EDM/sch/EDM-ebMS.sch":                   {Data: main},
		"OOTS-EDM/sch/codelist-include/spec.sch":      {Data: inc},
		"OOTS-EDM/sch/EDM-REQ-S.sch":                  {Data: main}, // EDM-REQ-C.sch missing
		"OOTS-EDM/xsd/SDG-GenericMetadataProfile.xsd": {Data: []byte("<xs:schema/>")},
	}
	c, err := NewCatalogue(Official{Version: "oots-edm:v2.0", FS: fsys, Name: "tdd-2.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.ForKind(KindEBMS, "oots-edm:v2.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(rs.Validate(doc), check.Fatal); len(got) != 1 || got[0] != "R-TEST-SPEC" {
		t.Errorf("EBMS v2.0 fatal findings %v, want R-TEST-SPEC of the directory", got)
	}
	if rs, _ := c.ForKind(KindEDMRequest, "oots-edm:v2.0"); rs != mustForKind(t, KindEDMRequest, "oots-edm:v2.0") {
		t.Error("EDM-REQ without EDM-REQ-C.sch is not judged by the embedded files")
	}
	entries, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Kind + " " + e.Version {
		case "EBMS oots-edm:v2.0":
			sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
			want := []File{{"EDM-ebMS.sch", sum(main)}, {"codelist-include/spec.sch", sum(inc)}}
			if e.Origin != OriginOfficial || e.Dir != "tdd-2.0.1/OOTS-EDM/sch" || !equalFiles(e.Files, want) {
				t.Errorf("EBMS entry %+v, want %v", e, want)
			}
		case "EDM-REQ oots-edm:v2.0":
			if e.Origin != OriginBuiltIn || e.Note != "EDM-REQ-C.sch not in tdd-2.0.1/OOTS-EDM/sch: the built-in files" {
				t.Errorf("EDM-REQ entry %+v, want built-in with a note", e)
			}
		}
	}
}

func TestCatalogueErrors(t *testing.T) {
	good := fstest.MapFS{"EDM-ERR-S.sch": {Data: []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"/>`)}, "EDM-ERR-C.sch": {Data: []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"/>`)}}
	for _, tc := range []struct {
		name string
		dirs []Official
		is   error
		text string
	}{
		{"cs version", []Official{{Version: "oots-cs:v1", FS: good, Name: "d"}}, nil, "can be given for"},
		{"twice", []Official{{Version: "oots-edm:v1.2", FS: good, Name: "a"}, {Version: "oots-edm:v1.2", FS: good, Name: "b"}}, nil, "two directories"},
		{"empty", []Official{{Version: "oots-edm:v1.2", FS: fstest.MapFS{"README.md": {}}, Name: "d"}}, ErrNoSchematron, ""},
		{"no official names", []Official{{Version: "oots-edm:v1.2", FS: fstest.MapFS{"mine.sch": {Data: good["EDM-ERR-S.sch"].Data}}, Name: "d"}}, nil, "none of the official rule files"},
		{"broken", []Official{{Version: "oots-edm:v1.2", FS: fstest.MapFS{"EDM-ERR-S.sch": {Data: []byte("<sch:schema")}, "EDM-ERR-C.sch": good["EDM-ERR-C.sch"]}, Name: "d"}}, nil, "EDM-ERR-S.sch"},
	} {
		_, err := NewCatalogue(tc.dirs...)
		if err == nil || tc.is != nil && !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: NewCatalogue = %v", tc.name, err)
		}
	}
}

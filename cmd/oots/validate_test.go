package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func TestValidateCommand(t *testing.T) {
	req := testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml")
	v2 := testenv.Spec(t, "edm-2.0-oots-france/messages/reponse.xml")
	dir := t.TempDir()
	dtd := filepath.Join(dir, "dtd.xml")
	os.WriteFile(dtd, []byte(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`), 0o644)
	badCode := filepath.Join(dir, "bad-code.xml")
	b, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(badCode, bytes.Replace(b, []byte(`value="R1"`), []byte(`value="ZZ9"`), 1), 0o644)
	// A document that is no OOTS message: its kind cannot be told.
	unknown := filepath.Join(dir, "unknown.xml")
	os.WriteFile(unknown, []byte(`<x:Thing xmlns:x="urn:example"/>`), 0o644)
	rulesDir := filepath.Join(dir, "rules")
	os.Mkdir(rulesDir, 0o755)
	os.WriteFile(filepath.Join(rulesDir, "v2.sch"), []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
	<sch:ns prefix="query" uri="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>
	<sch:ns prefix="rim" uri="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0"/>
	<sch:pattern><sch:rule context="query:QueryRequest">
	<sch:assert id="ONLY-V2" flag="error" test="rim:Slot[@name='SpecificationIdentifier']/rim:SlotValue/rim:Value = 'oots-edm:v2.0'">not v2.0</sch:assert>
	</sch:rule></sch:pattern></sch:schema>`), 0o644)
	os.WriteFile(filepath.Join(rulesDir, "any.sch"), []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
	<sch:pattern><sch:rule context="/*">
	<sch:report id="SEEN" flag="info" test="true()">the rule files ran</sch:report>
	</sch:rule></sch:pattern></sch:schema>`), 0o644)

	tests := []struct {
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		// The official rules run after the structural checks: their
		// informational reports show it.
		{[]string{"validate", req}, 0, []string{"EDM-REQ oots-edm:v1.0 valid (2 findings)", "info R-EDM-REQ-S008"}, ""},
		{[]string{"validate", "--rules", rulesDir, req}, 1, []string{"error ONLY-V2 /query:QueryRequest: not v2.0"}, ""},
		// --rules runs every file on every input, whatever its kind.
		{[]string{"validate", "--rules", rulesDir, unknown}, 1, []string{"fatal", "info SEEN"}, ""},
		{[]string{"validate", "--format", "svrl", req}, 0, []string{`<svrl:failed-assert`, `id="R-EDM-REQ-S008" role="info"`}, ""},
		{[]string{"validate", "--rules", filepath.Join(dir, "missing"), req}, 2, nil, "--rules"},
		{[]string{"validate", req, v2}, 0, []string{"EDM-RESP oots-edm:v2.0 valid"}, ""},
		{[]string{"validate", badCode}, 1, []string{"INVALID", `OOTS-CODELIST Procedure: procedure "ZZ9" is not in code list Procedures`}, ""},
		{[]string{"validate", dtd}, 1, []string{"fatal OOTS-XML", "DTD"}, ""},
		{[]string{"validate", filepath.Join(dir, "none.xml")}, 2, nil, "none.xml"},
		{[]string{"validate"}, 2, nil, "usage: oots validate"},
		{[]string{"validate", "--format", "yaml", req}, 2, nil, "usage: oots validate"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		ok := code == tt.code && strings.Contains(errOut, tt.stderr)
		for _, s := range tt.stdout {
			ok = ok && strings.Contains(out, s)
		}
		if !ok {
			t.Errorf("oots %q = %d\nstdout: %s\nstderr: %s", tt.args, code, out, errOut)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	req := testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml")
	// The official error sample with a severity outside the code list
	// (R-EDM-ERR-C014): invalid.
	sample, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/education-2-error-response-preview-required.xml"))
	if err != nil {
		t.Fatal(err)
	}
	errResp := filepath.Join(t.TempDir(), "error-response.xml")
	os.WriteFile(errResp, bytes.Replace(sample, []byte("EDMErrorResponse:PreviewRequired\x7f"), []byte("EDMErrorResponse:Bogus"), 1), 0o644)
	code, out, errOut := runCLI(t, "validate", "--format", "json", req, errResp)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per file, got %q", out)
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got = append(got, m)
	}
	if got[0]["file"] != req || got[0]["kind"] != "EDM-REQ" || got[0]["specification"] != "oots-edm:v1.0" || got[0]["valid"] != true {
		t.Errorf("first line %v", got[0])
	}
	// A valid file may carry informational findings (the official rules'
	// reports), nothing that invalidates it.
	if fs, ok := got[0]["findings"].([]any); !ok {
		t.Errorf("findings must be a list: %v", got[0]["findings"])
	} else {
		for _, f := range fs {
			if flag := f.(map[string]any)["flag"]; flag != "info" && flag != "warning" {
				t.Errorf("valid file with a %v finding: %v", flag, f)
			}
		}
	}
	fs, _ := got[1]["findings"].([]any)
	if got[1]["kind"] != "EDM-ERR" || got[1]["valid"] != false || len(fs) == 0 {
		t.Fatalf("second line %v", got[1])
	}
	f := fs[0].(map[string]any)
	for _, k := range []string{"rule", "flag", "location", "message"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding without %q: %v", k, f)
		}
	}
}

func TestFmtCommand(t *testing.T) {
	for _, rel := range []string{
		"tdd-1.0/xml/edm/birth-1-evidence-request.xml",
		"edm-2.0-oots-france/messages/reponse.xml",
		"tdd-1.0/xml/dsd/4-4-3-Query-Error-Response-of-the-DSD-requesting-additional-User-Provided-Attributes-Birth-Certificate-DSD-ERR005.xml",
		// ebMS headers go through the as4 model.
		"tdd-1.0/xml/edm/birth-1-evidence-request.ebms-header.xml",
		"tdd-1.0/xml/edm/birth-2-evidence-response.ebms-header.xml",
		"tdd-1.0/xml/edm/education-request.ebms-header.xml",
		"tdd-1.0/xml/edm/education-response.ebms-header.xml",
		"edm-2.0-oots-france/messages/requete.entete.xml",
		"edm-2.0-oots-france/messages/reponse.entete.xml",
		"edm-2.0-oots-france/messages/erreur.entete.xml",
		// Incomplete headers (no eb:MessageInfo): a plain tree round trip.
		"legacy-0.99/xml/edm/birth/oots_request_header.xml",
		"legacy-0.99/xml/edm/birth/oots_response_header.xml",
	} {
		path := testenv.Spec(t, rel)
		code, out, errOut := runCLI(t, "fmt", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", rel, code, errOut)
		}
		in, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if c1, c2 := canon(t, in), canon(t, []byte(out)); !bytes.Equal(c1, c2) {
			t.Errorf("%s: fmt changed the document:\n%s\n%s", rel, c1, c2)
		}
	}
	dir := t.TempDir()
	notOOTS := filepath.Join(dir, "x.xml")
	os.WriteFile(notOOTS, []byte(`<x/>`), 0o644)
	if code, _, errOut := runCLI(t, "fmt", notOOTS); code != 1 || !strings.Contains(errOut, "not an OOTS message") {
		t.Errorf("fmt on a non-message: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "fmt"); code != 2 {
		t.Errorf("fmt without file: %d", code)
	}
	if code, _, _ := runCLI(t, "fmt", filepath.Join(dir, "none.xml")); code != 2 {
		t.Errorf("fmt on a missing file: %d", code)
	}
}

// canon is exclusive c14n without comments and insignificant whitespace.
func canon(t *testing.T, b []byte) []byte {
	t.Helper()
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc.Root.StripInsignificant()
	return doc.Root.Canonical()
}

// EDM 2.0 messages with the identifiers of the acceptance environment of
// the Semantic Repository (sr.acc.…, which the acceptance Common Services
// publish) and the test segment "oots" of evidence type classifications
// are valid, as the official rules R-EDM-REQ-C008 and C027 accept them; a
// host of another domain is not.
func TestValidateAcceptanceEnvironmentURIs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"requete.xml", "reponse.xml"} {
		b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/"+name))
		if err != nil {
			t.Fatal(err)
		}
		acc := bytes.ReplaceAll(b, []byte("https://sr.oots.tech.ec.europa.eu/"), []byte("https://sr.acc.oots.tech.ec.europa.eu/"))
		test := bytes.ReplaceAll(acc, []byte("/evidencetypeclassifications/DE/"), []byte("/evidencetypeclassifications/oots/"))
		evil := bytes.ReplaceAll(b, []byte("https://sr.oots.tech.ec.europa.eu/"), []byte("https://sr.oots.tech.ec.europa.eu.evil.example/"))
		for _, tc := range []struct {
			label string
			doc   []byte
			code  int
		}{{"acc", acc, 0}, {"oots-segment", test, 0}, {"other-domain", evil, 1}} {
			if bytes.Equal(tc.doc, b) {
				t.Fatalf("%s %s: the edit changed nothing", name, tc.label)
			}
			f := filepath.Join(dir, tc.label+"-"+name)
			os.WriteFile(f, tc.doc, 0o644)
			code, out, errOut := runCLI(t, "validate", f)
			if code != tc.code {
				t.Errorf("%s %s: exit %d, want %d\n%s%s", name, tc.label, code, tc.code, out, errOut)
			}
		}
	}
}

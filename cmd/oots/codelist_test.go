package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// codelistCLI runs "oots codelist args..." and returns exit code and output.
func codelistCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, append([]string{"codelist"}, args...))
	return code, out.String(), errOut.String()
}

func TestCodelistCommand(t *testing.T) {
	gc := filepath.Join(t.TempDir(), "gender.gc")
	err := os.WriteFile(gc, []byte(`<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
<Identification><ShortName>Gender</ShortName><Version>1</Version><CanonicalUri>urn:g</CanonicalUri><CanonicalVersionUri>urn:g-1</CanonicalVersionUri></Identification>
<ColumnSet><Column Id="code"/><Key Id="k"><ColumnRef Ref="code"/></Key></ColumnSet>
<SimpleCodeList><Row><Value><SimpleValue>Female</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.gc")
	if err := os.WriteFile(bad, []byte(`<CodeList/>`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		code     int
		stdout   string // contained in the output
		stderr   string
		notInOut string
	}{
		{nil, 0, "Procedures\t2022-12\t21\turn:sr.oots.tech.europa.eu:codelists:procedures-2022-12\n", "", ""},
		{[]string{"loa"}, 0, "Substantial\tSubstantial degree of confidence", "", ""},
		{[]string{"OOTSMediaTypes"}, 0, "# whitespace removed around 1 code value(s)", "", ""},
		{[]string{"urn:sr.oots.tech.europa.eu:codelists:edmerrorcodes", "EDM:ERR:0004"}, 0, "EDM:ERR:0004\tok\tObject not found\n", "", ""},
		{[]string{"Procedures", "R1", "X7"}, 1, "X7\tunknown in Procedures 2022-12\n", "", ""},
		{[]string{"-spec", "oots-edm:v2.0", "Procedures", "R1", "X7"}, 0, "X7\tok\tShort-term rental\n", "", "unknown"},
		{[]string{"-file", gc, "Female", "Male"}, 1, "Female\tok\t\nMale\tunknown in Gender 1\n", "", ""},
		{[]string{"-file", bad}, 2, "", "not a Genericode 1.0 CodeList", ""},
		{[]string{"-file", filepath.Join(t.TempDir(), "none.gc")}, 2, "", "none.gc", ""},
		{[]string{"Gender"}, 2, "", `no code list "Gender"`, ""},
		{[]string{"-nope"}, 2, "", "usage: oots codelist", ""},
		{[]string{"-export", "EDMErrorCodes"}, 0, "<SimpleValue>Problem during the processing of a QueryRequest</SimpleValue>", "", ""},
		{[]string{"-export", "EDMErrorCodes", "EDM:ERR:0001"}, 2, "", "usage: oots codelist", ""},
	}
	for _, tt := range tests {
		code, out, errOut := codelistCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) ||
			(tt.notInOut != "" && strings.Contains(out, tt.notInOut)) {
			t.Errorf("oots codelist %q = %d\nstdout: %.400s\nstderr: %s", tt.args, code, out, errOut)
		}
	}
}

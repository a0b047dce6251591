package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/wssec"
)

// officialTree is the TDD 1.0 rule files laid out as the official
// repository, with R-EDM-REQ-C001 altered to fail every request (fatally).
func officialTree(t *testing.T) string {
	t.Helper()
	return testenv.OfficialTree(t, testenv.Replace(t, "OOTS-EDM/sch/EDM-REQ-C.sch",
		`test="rim:Value='oots-edm:v1.0'" id="R-EDM-REQ-C001"`, `test="rim:Value='oots-edm:v9.9'" flag="fatal" id="R-EDM-REQ-C001"`))
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeConfig writes a serve configuration whose rules section names dir
// (relative to the file when rel is set) for oots-edm:v1.0.
func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	cfgDir := filepath.Dir(dir)
	rel, err := filepath.Rel(cfgDir, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cfgDir, "oots.yaml")
	if err := os.WriteFile(p, []byte("pmode: pmode.yaml\nrules:\n  1.0: "+rel+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRulesCommand(t *testing.T) {
	root := officialTree(t)
	sch := filepath.Join(root, "OOTS-EDM", "sch")
	cfg := writeConfig(t, root)
	for _, args := range [][]string{{"rules", "-official", "1.0=" + root}, {"rules", "-config", cfg}, {"rules", "-official", "oots-edm:v1.0=" + filepath.Join(root, "OOTS-EDM")}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("oots %q = %d: %s", args, code, errOut)
		}
		// The official files, with the checksums of the files on disk.
		for _, want := range []string{
			"oots-edm:v1.0  EDM-REQ   official  " + sch + "\n    " + sha256File(t, filepath.Join(sch, "EDM-REQ-S.sch")) + "  EDM-REQ-S.sch\n    " + sha256File(t, filepath.Join(sch, "EDM-REQ-C.sch")) + "  EDM-REQ-C.sch\n",
			"oots-edm:v1.0  EBMS      none\n    note: EDM-ebMS.sch not in " + sch,
			// Another version keeps the embedded copies of the same official files.
			"oots-edm:v1.2  EDM-RESP  built-in  schematron/rules/tdd-1.0\n    note: the TDD 1.0 files, their fixed SpecificationIdentifier set to oots-edm:v1.2 (no files of this version are built in)\n    " + sha256File(t, testenv.Spec(t, "tdd-1.0/sch/EDM-RESP-S.sch")) + "  EDM-RESP-S.sch\n",
			"oots-edm:v2.0  EBMS      built-in  schematron/rules/edm-2.0\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("oots %q: missing\n%s\nin\n%s", args, want, out)
			}
		}
	}

	code, out, errOut := runCLI(t, "rules", "-json", "-config", cfg)
	if code != 0 {
		t.Fatalf("rules -json = %d: %s", code, errOut)
	}
	var entries []schematron.Entry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("rules -json: %v\n%s", err, out)
	}
	found := false
	for _, e := range entries {
		if e.Kind == "EDM-REQ" && e.Version == "oots-edm:v1.0" {
			found = e.Origin == "official" && e.Dir == sch && len(e.Files) == 2 && e.Files[1].SHA256 == sha256File(t, filepath.Join(sch, "EDM-REQ-C.sch"))
		}
	}
	if !found || len(entries) != 4*4+2*9 {
		t.Errorf("rules -json: %d entries, official EDM-REQ v1.0 found: %v", len(entries), found)
	}

	// Without configuration: every EDM kind is built-in or has none.
	code, out, _ = runCLI(t, "rules")
	if code != 0 || strings.Contains(out, "official") || !strings.Contains(out, "oots-edm:v1.0  EDM-REQ   built-in  schematron/rules/tdd-1.0") {
		t.Errorf("rules without configuration = %d:\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"rules", "-official", "3.1=" + root}, "not an EDM version"},
		{[]string{"rules", "-official", "1.2"}, "not VERSION=DIR"},
		{[]string{"rules", "-official", "1.2=" + filepath.Join(root, "missing")}, "rules.1.2"},
		{[]string{"rules", "-official", "1.2=" + filepath.Join(root, "OOTS-EDM", "xsd")}, "no .sch files"},
		{[]string{"rules", "extra"}, "usage: oots rules"},
		{[]string{"demo", "-dir", t.TempDir(), "-official", "1.2=" + filepath.Join(root, "missing")}, "rules.1.2"},
		{[]string{"conformance", "run", "-out", t.TempDir(), "-official", "2.0=" + filepath.Join(root, "OOTS-EDM", "xsd")}, "no .sch files"},
	} {
		if code, _, errOut := runCLI(t, tc.args...); code != 2 || !strings.Contains(errOut, tc.err) {
			t.Errorf("oots %q = %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.err)
		}
	}
}

// TestValidateOfficial: a valid request is refused with the id of the
// altered official rule when the rule files are given for its version (by
// flag or by the configuration), and accepted with the embedded rules.
func TestValidateOfficial(t *testing.T) {
	root := officialTree(t)
	cfg := writeConfig(t, root)
	req := testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml")
	if code, out, errOut := runCLI(t, "validate", req); code != 0 || strings.Contains(out, "R-EDM-REQ-C001") {
		t.Fatalf("embedded rules: %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"-official", "1.0=" + root}, {"-config", cfg}, {"-format", "json", "-official", "1.0.1=" + root}} {
		args = append(append([]string{"validate"}, args...), req)
		code, out, errOut := runCLI(t, args...)
		if code != 1 || !strings.Contains(out, "R-EDM-REQ-C001") {
			t.Errorf("oots %q = %d, want 1 and R-EDM-REQ-C001\n%s%s", args, code, out, errOut)
		}
	}
	// The official files of another version do not judge v1.0.
	if code, out, errOut := runCLI(t, "validate", "-official", "1.2="+root, req); code != 0 {
		t.Errorf("official files for 1.2 judged a v1.0 request: %d\n%s%s", code, out, errOut)
	}
	// SVRL with the official files.
	if code, out, _ := runCLI(t, "validate", "-format", "svrl", "-official", "1.0="+root, req); code != 1 || !strings.Contains(out, `id="R-EDM-REQ-C001"`) {
		t.Errorf("svrl: %d\n%s", code, out)
	}
}

// TestValidateRulesEveryInput: --rules with the root of an official tree
// runs every rule file on every input, also on messages with one slot
// removed, whose kind may no longer be told.
func TestValidateRulesEveryInput(t *testing.T) {
	root := testenv.OfficialTree(t, nil)
	dir := t.TempDir()
	slot := regexp.MustCompile(`(?s)<rim:Slot name="([A-Za-z]+)">.*?</rim:Slot>`)
	n := 0
	for _, sample := range []string{"tdd-1.0/xml/edm/birth-1-evidence-request.xml", "tdd-1.0/xml/edm/birth-2-evidence-response.xml", "tdd-1.0/xml/edm/education-2-error-response-preview-required.xml"} {
		b, err := os.ReadFile(testenv.Spec(t, sample))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range slot.FindAllSubmatchIndex(b, -1) {
			// Drop one top-level-looking slot (non-nested match) at a time.
			out := append(append([]byte{}, b[:m[0]]...), b[m[1]:]...)
			p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(sample), ".xml")+"-without-"+string(b[m[2]:m[3]])+".xml")
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if n < 10 || len(files) == 0 {
		t.Fatalf("only %d mutants", n)
	}
	code, out, errOut := runCLI(t, append([]string{"validate", "-format", "json", "--rules", root}, files...)...)
	if code == 2 {
		t.Fatalf("validate = 2: %s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d results for %d files", len(lines), len(files))
	}
	// Every official file has an informational report or assertion on
	// every EDM message (R-EDM-*-S008 and the like); at least one rule of
	// the official files must have judged each input, and no input may
	// have been judged by nothing but the structural checks.
	for _, l := range lines {
		var r validateResult
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		ran := false
		for _, f := range r.Findings {
			if strings.HasPrefix(f.Rule, "R-") || f.Rule == schematron.RuleEvaluationError {
				ran = true
			}
			if f.Rule == ruleNoRules {
				t.Errorf("%s: %s", r.File, f.Message)
			}
		}
		if !ran {
			t.Errorf("%s: no rule of the official files ran: %+v", r.File, r.Findings)
		}
	}
}

// TestJudgeWith: the judge of oots serve's access point judges OOTS
// messages by the catalogue's rules and leaves other payloads alone.
func TestJudgeWith(t *testing.T) {
	root := officialTree(t)
	cat, err := newCatalogue("rules", map[string]string{"1.0": root}, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	fired := func(j func([]byte) (string, []check.Finding, bool)) bool {
		what, fs, ok := j(b)
		if !ok || what != "EDM-REQ oots-edm:v1.0" {
			t.Fatalf("judged as %q, %v", what, ok)
		}
		for _, f := range fs {
			if f.Rule == "R-EDM-REQ-C001" && f.Invalidates() {
				return true
			}
		}
		return false
	}
	if fired(judgeWith(nil)) || !fired(judgeWith(cat)) {
		t.Error("R-EDM-REQ-C001: want it from the official directory only")
	}
	// An ebMS header is judged by the EBMS rules of its version.
	hdr, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/requete.entete.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		doc  []byte
		want string
	}{{hdr, ""}, {bytes.Replace(hdr, []byte(">e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24<"), []byte(">conversation-1<"), 1), "R-EDM-ebMS-017"}} {
		what, fs, ok := judgeWith(cat)(tc.doc)
		var broken []string
		for _, f := range fs {
			if f.Invalidates() {
				broken = append(broken, f.Rule)
			}
		}
		if !ok || what != "EBMS oots-edm:v2.0" || strings.Join(broken, " ") != tc.want {
			t.Errorf("header judged as %q %v: %v, want %q", what, ok, broken, tc.want)
		}
	}
	for _, p := range [][]byte{[]byte("%PDF-1.7\n"), []byte(`<x:Thing xmlns:x="urn:example"/>`)} {
		if _, _, ok := judgeWith(cat)(p); ok {
			t.Errorf("%q was judged", p)
		}
	}
}

// TestServeJudgesWithOfficialFiles: two oots serve nodes whose rules
// section names the official tree (one rule altered) carry a valid v1.0
// request and each logs that it breaks that rule, with its id; the
// message is still delivered (the access point refuses nothing for the
// business rules).
func TestServeJudgesWithOfficialFiles(t *testing.T) {
	root := officialTree(t)
	n := writeServeNet(t, wssec.AS4v20, "", nil, "rules: {\"1.0\": "+root+"}\n")
	logs := map[string]*syncBuffer{}
	for _, name := range serveParties {
		ctx, cancel := context.WithCancel(context.Background())
		logs[name] = &syncBuffer{}
		done := make(chan int)
		go func(name string) {
			env := &Env{Stdin: strings.NewReader(""), Stdout: logs[name], Stderr: logs[name], Getenv: func(string) string { return "" }}
			done <- Main(ctx, env, []string{"serve", "-config", n.configs[name]})
		}(name)
		t.Cleanup(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("oots serve %s: exit %d\n%s", name, code, logs[name].String())
			}
		})
		waitReady(t, n.url(name, "/readyz"), logs[name])
	}
	doc, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(map[string]any{"clientKey": "k-rules", "leg": "ootsRequestLeg", "to": "AP_DE_01",
		"properties": []map[string]string{{"name": "originalSender", "value": "FR-1"}, {"name": "finalRecipient", "value": "DE-1"}},
		"payloads":   []map[string]any{{"mimeType": "application/x-ebrs+xml", "data": doc}}})
	resp, err := http.Post(n.url("AP_FR_01", "/api/v1/messages"), "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ MessageID string }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	waitDelivered(t, n.url("AP_FR_01", ""), st.MessageID)
	for name, dir := range map[string]string{"AP_FR_01": "submitted", "AP_DE_01": "received"} {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(logs[name].String(), `"direction":"`+dir+`"`) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		l := logs[name].String()
		judged := false
		for _, line := range strings.Split(l, "\n") {
			judged = judged || strings.Contains(line, `"msg":"document breaks business rules"`) &&
				strings.Contains(line, `"direction":"`+dir+`","message_id":"`+st.MessageID+`"`) &&
				strings.Contains(line, `"document":"EDM-REQ oots-edm:v1.0","rules":"R-EDM-REQ-C001"}`)
		}
		if !judged {
			t.Errorf("%s: no judgement by the official files in the log:\n%s", name, l)
		}
		// At start-up: the kinds of 1.0 the tree lacks (TDD 1.0 has no EDM-ebMS.sch).
		if !strings.Contains(l, `"msg":"business rules: the official directory lacks this kind's files","version":"oots-edm:v1.0","kind":"EBMS"`) {
			t.Errorf("%s: no start-up warning about EBMS:\n%s", name, l)
		}
	}
}

// FuzzOfficialVersion: a key of the rules section either names one of the
// versions official files can be given for, stably, or is an error.
func FuzzOfficialVersion(f *testing.F) {
	for _, s := range []string{"1.2", "2.0.1", "v1.0", "oots-edm:v2.0", "3", "", "1.", "oots-edm:vv1.2", " 1.1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		v, err := officialVersion(key)
		if err != nil {
			return
		}
		ok := false
		for _, o := range schematron.OfficialVersions() {
			ok = ok || v == o
		}
		if again, err := officialVersion(v); !ok || err != nil || again != v {
			t.Errorf("officialVersion(%q) = %q; again %q, %v", key, v, again, err)
		}
	})
}

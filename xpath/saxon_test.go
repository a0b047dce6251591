package xpath

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// saxonSkip reports cases that use XSLT functions (current()), which an
// XPath run cannot evaluate.
func saxonSkip(c evalCase) bool { return strings.Contains(c.expr, "current()") }

// runSaxon evaluates every case with Saxon-HE's XPath processor in one JVM
// run (testdata/SaxonEval.java) and returns its results in the format of
// format(), or !CODE for an error.
func runSaxon(t *testing.T, cases []evalCase) []string {
	t.Helper()
	testenv.Tool(t, "java")
	jar := testenv.File(t, "/usr/share/java/Saxon-HE.jar")
	dir := t.TempDir()
	docPath := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(docPath, []byte(testXML), 0o644); err != nil {
		t.Fatal(err)
	}
	exprs := make([]string, len(cases))
	for i, c := range cases {
		exprs[i] = c.expr
	}
	cf := filepath.Join(dir, "cases")
	if err := os.WriteFile(cf, []byte(strings.Join(exprs, "\x00")), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs("testdata/SaxonEval.java")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("java", "-cp", jar, src, docPath, cf).Output()
	if err != nil {
		t.Fatalf("saxon: %v\n%s", err, out)
	}
	res := strings.Split(string(out), "\n@@\n")
	if len(res) != len(cases) {
		t.Fatalf("saxon returned %d results for %d cases:\n%s", len(res), len(cases), out)
	}
	return res
}

// TestEvalCasesSaxon checks the expectations of the expression table
// against Saxon-HE, so the table (and therefore TestEvaluate) says what an
// independent processor says.
func TestEvalCasesSaxon(t *testing.T) {
	var cases []evalCase
	for _, c := range evalCases {
		if !saxonSkip(c) {
			cases = append(cases, c)
		}
	}
	res := runSaxon(t, cases)
	doc := testDoc(t)
	for i, c := range cases {
		got := strings.TrimSuffix(res[i], "\n")
		if got == c.want {
			continue
		}
		ours, err := runCase(t, doc, c)
		var xe *Error
		if errors.As(err, &xe) {
			ours = "!" + xe.Code
		}
		if knownSaxonDifference[c.expr] == got {
			continue
		}
		t.Errorf("%s\n saxon %s\n table %s\n ours  %s", c.expr, got, c.want, ours)
	}
}

// knownSaxonDifference lists where Saxon-HE answers differently, with the
// reason; the table keeps our answer.
var knownSaxonDifference = map[string]string{
	// Integers are 64-bit here; Saxon's are unbounded. XPath 2.0 §3.4
	// allows an implementation to raise FOAR0002 on overflow.
	"9223372036854775807 + 1": "1:9223372036854775808",
	// RE2 has no back-references; we refuse them at compile time.
	`matches('aa', '(a)\1')`: "1:true",
}

package webdriver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// AxeVersion is the version of axe-core that .ci/axe-core installs.
const AxeVersion = "4.14.1"

// AxeViolation is one rule axe-core found broken on a page, with the
// elements that break it.
type AxeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"` // minor, moderate, serious or critical
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Serious reports whether the violation is serious or critical.
func (v AxeViolation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

// String names the rule, its impact and the first elements that break it.
func (v AxeViolation) String() string {
	var where []string
	for i, n := range v.Nodes {
		if i == 3 {
			where = append(where, fmt.Sprintf("and %d more", len(v.Nodes)-3))
			break
		}
		where = append(where, fmt.Sprint(n.Target...))
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", "))
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
	axePath   string
)

// axeScript returns axe-core's browser bundle, installed by .ci/axe-core in
// <user cache dir>/oots-test/axe-core (or $OOTS_AXE_CORE_DIR), or skips the
// test (fails under OOTS_REQUIRE_VERIFIERS=1).
func axeScript(tb testing.TB) string {
	tb.Helper()
	axeOnce.Do(func() {
		dir := os.Getenv("OOTS_AXE_CORE_DIR")
		if dir == "" {
			c, err := os.UserCacheDir()
			if err != nil {
				c = filepath.Join(os.TempDir(), "cache")
			}
			dir = filepath.Join(c, "oots-test", "axe-core")
		}
		axePath = filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		b, err := os.ReadFile(axePath)
		axeSource, axeErr = string(b), err
	})
	if axeErr != nil {
		hint := fmt.Sprintf("bash .ci/axe-core, or npm install --prefix %s axe-core@%s", filepath.Dir(filepath.Dir(filepath.Dir(axePath))), AxeVersion)
		if testenv.Required() {
			tb.Fatalf("axe-core is missing and OOTS_REQUIRE_VERIFIERS=1: %s", hint)
		}
		tb.Skipf("axe-core is missing (%s)", hint)
	}
	return axeSource
}

// axeRun runs axe-core over the whole document with the WCAG 2.x A and AA
// rules and best practices, and returns its violations.
const axeRun = `
return axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
	resultTypes: ['violations'],
}).then((r) => r.violations.map((v) => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map((n) => ({target: n.target, html: n.html})),
})));
`

// Axe injects axe-core into the current page (when it is not there yet),
// runs it and returns every violation it finds. A test skips when axe-core
// is not installed (fails under OOTS_REQUIRE_VERIFIERS=1).
func (b *Browser) Axe() []AxeViolation {
	b.tb.Helper()
	src := axeScript(b.tb)
	var present bool
	b.Execute(`return typeof window.axe === 'object';`, &present)
	if !present {
		b.Execute(src+"\n;return true;", nil)
	}
	var out []AxeViolation
	b.Execute(axeRun, &out)
	return out
}

// AxeSerious returns the serious and critical violations axe-core finds on
// the current page, one sentence each (none: an empty slice).
func (b *Browser) AxeSerious() []string {
	b.tb.Helper()
	problems := []string{}
	for _, v := range b.Axe() {
		if v.Serious() {
			problems = append(problems, v.String())
		}
	}
	return problems
}

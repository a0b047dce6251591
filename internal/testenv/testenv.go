// Package testenv finds what tests need outside the module: the shared
// specification artifacts (../shared beside the repository) and the
// independent verifiers. A test that needs one of them and does not find it
// is skipped, unless OOTS_REQUIRE_VERIFIERS=1 is set (as CI does), in which
// case it fails: a skipped verifier in CI is a missing check.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	rootOnce sync.Once
	root     string
)

// RepoRoot returns the directory holding the module's go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	rootOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return
		}
		// internal/testenv/testenv.go → repository root.
		root = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	})
	if root == "" {
		tb.Fatal("testenv: cannot locate the repository root")
	}
	return root
}

// Required reports whether missing verifiers must fail tests instead of
// skipping them (OOTS_REQUIRE_VERIFIERS=1).
func Required() bool { return os.Getenv("OOTS_REQUIRE_VERIFIERS") == "1" }

func missing(tb testing.TB, what string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s is missing and OOTS_REQUIRE_VERIFIERS=1: run ../shared/verifiers/install.sh", what)
	}
	tb.Skipf("%s is missing (install with ../shared/verifiers/install.sh)", what)
}

// SharedDir returns the absolute path of ../shared beside the repository.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	d := filepath.Join(RepoRoot(tb), "..", "shared")
	if _, err := os.Stat(filepath.Join(d, "oots-spec", "SPEC.md")); err != nil {
		missing(tb, "../shared/oots-spec")
	}
	return d
}

// SpecDir returns the absolute path of ../shared/oots-spec.
func SpecDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(SharedDir(tb), "oots-spec")
}

// Spec returns the absolute path of a file under ../shared/oots-spec.
func Spec(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(SpecDir(tb), filepath.FromSlash(rel))
}

// Verifier returns the absolute path of a script in ../shared/verifiers
// (xsd.sh, schematron.sh, VerifyWSSignature.java) after checking that the
// tools it runs are installed.
func Verifier(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(SharedDir(tb), "verifiers", name)
	if _, err := os.Stat(p); err != nil {
		missing(tb, "verifier "+name)
	}
	switch name {
	case "xsd.sh":
		Tool(tb, "xmllint")
	case "schematron.sh":
		Tool(tb, "java")
		File(tb, "/usr/share/java/Saxon-HE.jar")
		File(tb, "/usr/lib/python3/dist-packages/lxml/isoschematron")
	case "VerifyWSSignature.java":
		Tool(tb, "java")
	}
	return p
}

// slowTools are the programs whose start alone costs seconds on a loaded
// machine: a JVM, a Node.js server. Tests that need one are skipped by
// `go test -short`; the full run uses them.
var slowTools = map[string]bool{"java": true, "javac": true, "node": true}

// SkipShort skips the test under `go test -short`: it starts a JVM, a
// browser or an external server, or runs for seconds. The full run (and CI,
// with OOTS_REQUIRE_VERIFIERS=1) still runs it.
func SkipShort(tb testing.TB, what string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("%s: skipped by -short (run without -short to include it)", what)
	}
}

// Tool returns the path of an executable on PATH, or skips/fails the test.
// Under -short, a test needing a slow tool (a JVM, Node.js) is skipped.
func Tool(tb testing.TB, bin string) string {
	tb.Helper()
	if slowTools[bin] {
		SkipShort(tb, bin)
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		missing(tb, bin)
	}
	return p
}

// File checks that a file or directory installed by a package exists.
func File(tb testing.TB, path string) string {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(tb, path)
	}
	return path
}

// Python returns the Debian interpreter (/usr/bin/python3) after checking
// that it can import the given modules (for example "cryptography", "lxml").
func Python(tb testing.TB, modules ...string) string {
	tb.Helper()
	py := File(tb, "/usr/bin/python3")
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			missing(tb, "python3 module "+m)
		}
	}
	return py
}

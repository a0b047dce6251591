package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// sbinDirs are where Debian installs daemons (dnsmasq, nsd, knotd), which a
// non-root PATH often lacks.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// Sbin returns the path of a daemon executable, looked up on PATH and then
// in the sbin directories. When it is absent the test is skipped, or fails
// under OOTS_REQUIRE_VERIFIERS=1, with a message naming the Debian package
// that provides it (for example Sbin(t, "dnsmasq", "dnsmasq-base")). The
// programs are browsers and servers: under -short the test is skipped.
func Sbin(tb testing.TB, bin, debianPackage string) string {
	tb.Helper()
	SkipShort(tb, bin)
	if p, err := exec.LookPath(bin); err == nil {
		return p
	}
	for _, d := range sbinDirs {
		if p, err := exec.LookPath(filepath.Join(d, bin)); err == nil {
			return p
		}
	}
	if Required() {
		tb.Fatalf("%s is missing and OOTS_REQUIRE_VERIFIERS=1: apt-get install %s", bin, debianPackage)
	}
	tb.Skipf("%s is missing (apt-get install %s)", bin, debianPackage)
	return ""
}

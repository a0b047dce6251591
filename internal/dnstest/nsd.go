package dnstest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// This file signs zones with ldns-signzone (Debian package ldnsutils) and
// serves them with NSD (Debian package nsd), an authoritative server that
// answers with the RRSIG, NSEC and NSEC3 records of a signed zone: what the
// tests of DNSSEC validation need, dnsmasq serving no signed zones.

// Signed is a zone signed by SignZone.
type Signed struct {
	// Origin is the zone's name, without the trailing dot.
	Origin string
	// File is the signed zone file.
	File string
	// DS is the DS record of the zone's key in zone-file form: the trust
	// anchor that validates the zone.
	DS string
}

// SignZone writes the records (zone-file lines relative to origin, without
// SOA or apex NS, which it adds) into dir, makes an ECDSA P-256 key for the
// zone with ldns-keygen, and signs the zone with ldns-signzone (NSEC3 when
// nsec3 is set, NSEC otherwise). The test is skipped when ldnsutils is not
// installed (failed under OOTS_REQUIRE_VERIFIERS=1).
func SignZone(tb testing.TB, dir, origin string, records []string, nsec3 bool) Signed {
	tb.Helper()
	keygen := testenv.Sbin(tb, "ldns-keygen", "ldnsutils")
	signzone := testenv.Sbin(tb, "ldns-signzone", "ldnsutils")
	origin = strings.TrimSuffix(origin, ".")
	text := fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ IN NS ns.%s.\nns IN A 127.0.0.1\n%s\n",
		origin, origin, origin, origin, strings.Join(records, "\n"))
	file := filepath.Join(dir, origin+".zone")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	run := func(bin string, args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			tb.Fatalf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(out.String())
	}
	key := run(keygen, "-a", "ECDSAP256SHA256", "-k", origin)
	args := []string{}
	if nsec3 {
		args = append(args, "-n", "-t", "0")
	}
	run(signzone, append(args, "-f", file+".signed", file, key)...)
	ds, err := os.ReadFile(filepath.Join(dir, key+".ds"))
	if err != nil {
		tb.Fatal(err)
	}
	return Signed{Origin: origin, File: file + ".signed", DS: string(ds)}
}

// StartNSD serves the zone file for origin with NSD on a loopback port
// until the test ends and returns its address ("127.0.0.1:port"). The test
// is skipped when NSD is not installed (failed under
// OOTS_REQUIRE_VERIFIERS=1).
func StartNSD(tb testing.TB, origin, zoneFile string) string {
	tb.Helper()
	bin := testenv.Sbin(tb, "nsd", "nsd")
	origin = strings.TrimSuffix(origin, ".")
	var err error
	for try := 0; try < 5; try++ {
		var addr string
		var retry bool
		addr, retry, err = startNSD(tb, bin, origin, zoneFile)
		if err == nil {
			return addr
		}
		if !retry {
			break
		}
	}
	tb.Fatal(err)
	return ""
}

func startNSD(tb testing.TB, bin, origin, zoneFile string) (addr string, retry bool, err error) {
	port, err := FreePort()
	if err != nil {
		return "", false, err
	}
	dir := tb.TempDir()
	abs, err := filepath.Abs(zoneFile)
	if err != nil {
		return "", false, err
	}
	conf := fmt.Sprintf(`server:
  ip-address: 127.0.0.1
  port: %d
  username: ""
  chroot: ""
  zonesdir: %q
  database: ""
  pidfile: %q
  xfrdfile: %q
  zonelistfile: %q
  xfrdir: %q
  server-count: 1
  tcp-count: 16
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: %s
  zonefile: %q
`, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "xfrd.state"), filepath.Join(dir, "zone.list"), dir, origin, abs)
	confFile := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		return "", false, err
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "-d", "-c", confFile)
	return serve(tb, "nsd", cmd, addr, "ready-probe."+origin)
}

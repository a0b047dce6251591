// Package dnstest starts real DNS servers for the tests of every lookup
// that goes through DNS NAPTR (Common Services discovery, BDXL): dnsmasq
// (Debian package dnsmasq-base) on a loopback port, serving given NAPTR
// records authoritatively for a zone (other names in the zone are
// NXDOMAIN); and NSD (Debian package nsd) serving a zone signed with
// ldns-signzone (Debian package ldnsutils), for DNSSEC validation (nsd.go).
// It is a test helper, not part of the library.
package dnstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/testenv"
)

// Record is one NAPTR record in dnsmasq's --naptr-record form.
type Record struct {
	Name              string
	Order, Preference int
	Flags, Service    string
	Regexp            string
	Replacement       string
}

func (r Record) arg() string {
	return fmt.Sprintf("--naptr-record=%s,%d,%d,%s,%s,%s,%s", r.Name, r.Order, r.Preference, r.Flags, r.Service, r.Regexp, r.Replacement)
}

// Start runs dnsmasq for zone with records until the test ends and returns
// its address ("127.0.0.1:port"). Records have a TTL of 300s. The test is
// skipped when dnsmasq is not installed (failed under
// OOTS_REQUIRE_VERIFIERS=1).
func Start(tb testing.TB, zone string, records []Record) string {
	tb.Helper()
	bin := testenv.Sbin(tb, "dnsmasq", "dnsmasq-base")
	var err error
	for try := 0; try < 5; try++ {
		var addr string
		var retry bool
		addr, retry, err = start(tb, bin, zone, records)
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

func start(tb testing.TB, bin, zone string, records []Record) (addr string, retry bool, err error) {
	port, err := FreePort()
	if err != nil {
		return "", false, err
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--pid-file=",
		"--no-resolv", "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
		"--port=" + strconv.Itoa(port), "--local=/" + zone + "/", "--local-ttl=300",
	}
	for _, r := range records {
		args = append(args, r.arg())
	}
	cmd := exec.Command(bin, args...)
	return serve(tb, "dnsmasq", cmd, addr, "ready-probe."+zone)
}

// FreePort returns a port free for both UDP and TCP on 127.0.0.1.
func FreePort() (int, error) {
	for i := 0; i < 20; i++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port")
}

// serve starts a DNS server's command (killed with the test process) and
// waits until it answers on addr: a look-up of probe, a name of its zone
// that does not exist, gets "no such record". exited reports a server
// that stopped by itself (a port taken by another process, say), which
// the caller may retry on another port.
func serve(tb testing.TB, name string, cmd *exec.Cmd, addr, probe string) (string, bool, error) {
	killWithParent(cmd)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return "", false, fmt.Errorf("starting %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	c := &csdiscovery.Client{Server: addr, Timeout: 200 * time.Millisecond, Attempts: 1}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			return "", true, fmt.Errorf("%s exited: %v: %s", name, err, stderr.String())
		default:
		}
		if _, err := c.LookupNAPTR(context.Background(), probe); errors.Is(err, csdiscovery.ErrNoRecord) {
			tb.Cleanup(stop)
			return addr, false, nil
		}
	}
	stop()
	return "", false, fmt.Errorf("%s did not answer on %s within 10s: %s", name, addr, stderr.String())
}

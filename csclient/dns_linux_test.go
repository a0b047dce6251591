//go:build linux

package csclient_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/testenv"
)

// TestNAPTRDiscovery: the client finds our Common Services by DNS NAPTR,
// answered by a real DNS server (dnsmasq) started on a loopback port.
func TestNAPTRDiscovery(t *testing.T) {
	bin := testenv.Sbin(t, "dnsmasq", "dnsmasq-base")
	e := newEnv(t)
	const zone = "oots.test"
	port := freeUDPTCPPort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--pid-file=",
		"--no-resolv", "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
		"--port=" + strconv.Itoa(port), "--local=/" + zone + "/",
		"--naptr-record=se.eb.v2.cs.acc." + zone + ",100,10,U,x-oots-cs,!^.*$!" + e.srv.URL + "/!",
		"--naptr-record=se.dsd.v2.cs.acc." + zone + ",100,10,U,x-oots-cs,!^.*$!" + e.srv.URL + "/!",
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	r, err := csdiscovery.New(csdiscovery.Config{Server: addr, Zone: zone, AllowHTTP: true, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := csclient.New(csclient.Config{Discovery: r, Country: "SE", Environment: csdiscovery.Acceptance, Trust: e.roots})
	if err != nil {
		t.Fatal(err)
	}
	var reqs int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		rs, err := c.Requirements(context.Background(), "T2", "SE")
		if err == nil {
			reqs = len(rs)
			break
		}
		if !errors.Is(err, csclient.ErrDiscovery) || time.Now().After(deadline) {
			t.Fatalf("%v (dnsmasq: %s)", err, stderr.String())
		}
	}
	if reqs != 1 {
		t.Errorf("%d requirements, want 1", reqs)
	}
	// No record for another country: a discovery error.
	c, _ = csclient.New(csclient.Config{Discovery: r, Country: "FR", Environment: csdiscovery.Acceptance, Trust: e.roots})
	if _, err := c.Requirements(context.Background(), "T2", "SE"); !errors.Is(err, csclient.ErrDiscovery) {
		t.Errorf("unknown country: %v, want ErrDiscovery", err)
	}
}

func freeUDPTCPPort(t *testing.T) int {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

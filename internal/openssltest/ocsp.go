// Package openssltest runs OpenSSL's own OCSP responder (`openssl ocsp`,
// the Debian package openssl) on loopback for tests: an independent
// implementation of RFC 6960 answering from an index file in the format of
// `openssl ca`, which the test edits to revoke certificates.
package openssltest

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/oots-go/oots/internal/testenv"
)

// OCSP is a running `openssl ocsp` responder.
type OCSP struct {
	// URL is where it answers (HTTP POST of RFC 6960 appendix A.1).
	URL string

	tb      testing.TB
	index   string
	cmd     *exec.Cmd
	mu      sync.Mutex
	entries map[string]string // serial (hex) → index line
	order   []string
	stopped bool
	start   time.Time
	ca      *x509.Certificate
	version int
}

// Signer is the certificate and PEM private key (PKCS#8) that sign the
// responses: the issuing CA itself, or a delegated responder it issued
// with the OCSP signing extended key usage.
type Signer struct {
	Cert *x509.Certificate
	Key  []byte
}

var acceptLine = regexp.MustCompile(`ACCEPT .*:(\d+)`)

// StartOCSP starts `openssl ocsp` answering for the certificates issued by
// ca, its responses signed by signer and valid for nextUpdate (rounded up
// to whole minutes; 0: no nextUpdate). It skips the test when openssl is
// missing (fails under OOTS_REQUIRE_VERIFIERS=1) and stops the responder
// at the end of the test.
func StartOCSP(tb testing.TB, ca *x509.Certificate, signer Signer, nextUpdate time.Duration) *OCSP {
	tb.Helper()
	bin := testenv.Tool(tb, "openssl")
	dir := tb.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	signerFile := write("signer.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signer.Cert.Raw}))
	keyFile := write("signer.key", signer.Key)
	o := &OCSP{tb: tb, index: filepath.Join(dir, "index.txt"), entries: map[string]string{}, start: time.Now().Truncate(time.Second), ca: ca}
	o.writeIndex()
	args := []string{"ocsp", "-index", o.index, "-port", "0", "-CA", caFile, "-rsigner", signerFile, "-rkey", keyFile, "-ignore_err"}
	if nextUpdate > 0 {
		args = append(args, "-nmin", fmt.Sprint(int((nextUpdate+time.Minute-1)/time.Minute)))
	}
	o.cmd = exec.Command(bin, args...)
	out, err := o.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	o.cmd.Stderr = o.cmd.Stdout
	if err := o.cmd.Start(); err != nil {
		tb.Fatalf("openssltest: %v", err)
	}
	tb.Cleanup(o.Stop)
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := acceptLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p := <-port:
		o.URL = "http://127.0.0.1:" + p + "/"
	case <-time.After(20 * time.Second):
		tb.Fatal("openssltest: openssl ocsp did not start listening within 20 s")
	}
	return o
}

// indexTime is the time format of the index file (UTCTime).
func indexTime(t time.Time) string { return t.UTC().Format("060102150405Z") }

func serialHex(c *x509.Certificate) string {
	s := strings.ToUpper(c.SerialNumber.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

func dn(c *x509.Certificate) string {
	var b strings.Builder
	for _, n := range c.Subject.Names {
		t := n.Type.String()
		switch t {
		case "2.5.4.3":
			t = "CN"
		case "2.5.4.10":
			t = "O"
		case "2.5.4.6":
			t = "C"
		}
		fmt.Fprintf(&b, "/%s=%v", t, n.Value)
	}
	return b.String()
}

// Good lists c as valid.
func (o *OCSP) Good(c *x509.Certificate) {
	o.set(c, fmt.Sprintf("V\t%s\t\t%s\tunknown\t%s", indexTime(c.NotAfter), serialHex(c), dn(c)))
}

// Revoke lists c as revoked since at.
func (o *OCSP) Revoke(c *x509.Certificate, at time.Time) {
	o.set(c, fmt.Sprintf("R\t%s\t%s\t%s\tunknown\t%s", indexTime(c.NotAfter), indexTime(at), serialHex(c), dn(c)))
}

func (o *OCSP) set(c *x509.Certificate, line string) {
	o.tb.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	k := serialHex(c)
	if _, ok := o.entries[k]; !ok {
		o.order = append(o.order, k)
	}
	o.entries[k] = line
	o.writeIndex()
	o.poke()
}

// poke sends the responder a throwaway request (about the CA itself): openssl ocsp looks for a
// changed index before it waits for a connection, so the change is seen
// from the request after this one.
func (o *OCSP) poke() {
	if o.URL == "" || o.stopped {
		return
	}
	req, err := ocsp.CreateRequest(o.ca, o.ca, nil)
	if err != nil {
		o.tb.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Post(o.URL, "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// writeIndex replaces the index file by a new one (a new inode, which
// openssl ocsp notices and reloads before its next answer). Called with
// o.mu held or before the responder starts.
func (o *OCSP) writeIndex() {
	var b strings.Builder
	for _, k := range o.order {
		b.WriteString(o.entries[k])
		b.WriteByte('\n')
	}
	tmp := o.index + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		o.tb.Fatal(err)
	}
	// openssl compares modification times in whole seconds: each
	// version of the file gets a later second than the one before.
	o.version++
	mt := o.start.Add(time.Duration(o.version) * time.Second)
	if err := os.Chtimes(tmp, mt, mt); err != nil {
		o.tb.Fatal(err)
	}
	if err := os.Rename(tmp, o.index); err != nil {
		o.tb.Fatal(err)
	}
}

// Stop ends the responder: later requests are refused (a responder down).
func (o *OCSP) Stop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stopped || o.cmd == nil || o.cmd.Process == nil {
		return
	}
	o.stopped = true
	_ = o.cmd.Process.Kill()
	_ = o.cmd.Wait()
}

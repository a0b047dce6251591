package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo: `oots demo` starts the network, prints where to begin, serves
// the portal there over HTTPS with its demo CA, and stops cleanly.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }},
			[]string{"demo", "-dir", dir, "-port", "0", "-countries", "DE,FR,SE"})
	}()
	begin := regexp.MustCompile(`Begin here: (https://\S+)/ `)
	var url string
	if !waitFor(60*time.Second, func() bool {
		m := begin.FindStringSubmatch(stdout.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}) {
		cancel()
		t.Fatalf("no start line:\n%s\n%s", stdout.String(), stderr.String())
	}
	for _, want := range []string{"SE access point is found by BDXL", "tls-ca.cert.pem", "DE    https://", "FR    https://"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, stdout.String())
		}
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "keys", "tls-ca.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := c.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("portal: HTTP %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "DE", "oots.db")); err != nil {
		t.Errorf("no SQLite database for DE: %v", err)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// TestReloadPartners: what SIGHUP does. A partner's certificates changed
// in the P-Mode file replace the node's copies without a restart, and a
// file that cannot be read changes nothing.
func TestReloadPartners(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v115, "", nil, "")
	load := func() (*serveConfig, error) {
		return loadServeConfig(n.configs["AP_FR_01"], func(string) string { return "" }, false)
	}
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := c.nodeConfig(quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg.Store, cfg.TempDir = db, t.TempDir()
	node, err := ap.New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	metrics := func() string {
		w := httptest.NewRecorder()
		node.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		return w.Body.String()
	}
	third, err := pki.LoadParty(n.dir, "third-party")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`role="partner-signing"`, `party="AP_DE_01"`, fmt.Sprintf("subject=%q", third.Sign.Cert.Subject.String()),
		fmt.Sprintf(`serial="%s"`, third.Sign.Cert.SerialNumber)}
	// hasSeries reports whether a series of the certificate metric has
	// every label of want (in whatever order the exposition writes them).
	hasSeries := func(text string) bool {
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "oots_ap_certificate_not_after_seconds{") {
				continue
			}
			all := true
			for _, l := range want {
				all = all && strings.Contains(line, l)
			}
			if all {
				return true
			}
		}
		return false
	}
	if hasSeries(metrics()) {
		t.Fatal("the new certificate is there before the reload")
	}

	pm := filepath.Join(n.dir, "pmode.yaml")
	b, err := os.ReadFile(pm)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), "signingCertificate: AP_DE_01.sign.cert.pem", "signingCertificate: third-party.sign.cert.pem", 1))
	if err := os.WriteFile(pm, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := reloadPartners(node, load, quiet); err != nil {
		t.Fatal(err)
	}
	if !hasSeries(metrics()) {
		t.Fatalf("after the reload the metrics lack %s:\n%s", want, metrics())
	}

	os.Remove(filepath.Join(n.dir, "ca.cert.pem"))
	if err := reloadPartners(node, load, quiet); err == nil || !strings.Contains(err.Error(), "keys.trust") {
		t.Fatalf("reload without the trust file: %v", err)
	}
	if !hasSeries(metrics()) {
		t.Fatal("a refused reload changed the partners")
	}
}

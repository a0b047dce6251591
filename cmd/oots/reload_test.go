package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// TestReloadPartners: what SIGHUP does. A partner's certificates changed
// in the P-Mode file replace the node's copies without a restart, and a
// file that cannot be read changes nothing.
func TestReloadPartners(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v115, "", nil, "")
	r := reloaderOf(t, n)
	node := r.node
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
	if err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !hasSeries(metrics()) {
		t.Fatalf("after the reload the metrics lack %s:\n%s", want, metrics())
	}

	os.Remove(filepath.Join(n.dir, "ca.cert.pem"))
	if err := r.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "keys.trust") {
		t.Fatalf("reload without the trust file: %v", err)
	}
	if !hasSeries(metrics()) {
		t.Fatal("a refused reload changed the partners")
	}
}

// TestServeReloadsPModeOnHangup: kill -HUP gives a running oots serve
// process its P-Mode file anew. A partner that moved to another endpoint
// (here: the P-Mode named a port where nothing listens) is reached after
// the reload by the message that was waiting for its retry, without a
// restart; a P-Mode file whose leg does not suit the node's keys is
// refused, logged, and changes nothing.
func TestServeReloadsPModeOnHangup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	bin := ootsBinary(t)
	n := writeServeNet(t, wssec.AS4v20, "{timeout: 1m, count: 60, strategy: CONSTANT}", nil, "")
	pmFile := filepath.Join(n.dir, "pmode.yaml")
	good, err := os.ReadFile(pmFile)
	if err != nil {
		t.Fatal(err)
	}
	deEndpoint := fmt.Sprintf("endpoint: http://127.0.0.1:%d/as4", n.ports["AP_DE_01"])
	moved := strings.Replace(string(good), deEndpoint, fmt.Sprintf("endpoint: http://127.0.0.1:%d/as4", freePort(t)), 1)
	if moved == string(good) {
		t.Fatal("the P-Mode has no endpoint of AP_DE_01")
	}
	if err := os.WriteFile(pmFile, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	frLog := filepath.Join(n.dir, "fr.log")
	fr := startProc(t, bin, n.configs["AP_FR_01"], frLog, n.url("AP_FR_01", "/readyz"))
	startProc(t, bin, n.configs["AP_DE_01"], filepath.Join(n.dir, "de.log"), n.url("AP_DE_01", "/readyz"))
	api := n.url("AP_FR_01", "")
	id, code := submitJSON(t, api, "k1", "to the moved partner")
	if code != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", code)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if state, attempts := getStatus(t, api, id); attempts > 0 {
			if state != "queued" {
				t.Fatalf("before the reload: %s after %d attempts, want queued for a retry", state, attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt in 20 s:\n%s", fileString(frLog))
		}
	}

	// A leg of the other profile, with the right endpoint: refused, logged.
	wrongLeg := strings.Replace(string(good), "profile: "+string(wssec.AS4v20), "profile: "+string(wssec.AS4v115), 1)
	if err := os.WriteFile(pmFile, []byte(wrongLeg), 0o644); err != nil {
		t.Fatal(err)
	}
	hangup := func() {
		t.Helper()
		if err := fr.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	hangup()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(fileString(frLog).String(), "reload refused") ||
		!strings.Contains(fileString(frLog).String(), "security.profile"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no refusal logged:\n%s", fileString(frLog))
		}
	}
	time.Sleep(3 * time.Second) // two retries' time: still not delivered
	if state, _ := getStatus(t, api, id); state != "queued" {
		t.Fatalf("after a refused reload: %s, want queued", state)
	}

	if err := os.WriteFile(pmFile, good, 0o644); err != nil {
		t.Fatal(err)
	}
	hangup()
	waitDelivered(t, api, id)
}

// TestConnectorsKeep: with connectors, a reloaded P-Mode may add partners
// and other services' legs, but not change the evidence exchange's legs
// or their actions, nor drop a party a route of requester.routes leads
// to; the requester's default route follows the P-Mode in use.
func TestConnectorsKeep(t *testing.T) {
	leg := func(name, action string) pmode.Leg {
		return pmode.Leg{Name: name, Service: pmode.Service{Value: as4.OOTSQueryManager}, Action: action}
	}
	started := &pmode.Config{Self: "AP_FR_01",
		Parties: []pmode.Party{{Name: "AP_FR_01"}, {Name: "AP_DE_01"}},
		Legs:    []pmode.Leg{leg("req", exchange.ActionRequest), leg("resp", exchange.ActionResponse), leg("err", exchange.ActionError)}}
	c := &serveConfig{Requester: &serveRequester{Routes: map[string]string{"urn:de": "AP_DE_01"}}}
	keep := c.connectorsKeep(started)
	edited := func(edit func(pm *pmode.Config)) *pmode.Config {
		pm := *started
		pm.Parties = slices.Clone(started.Parties)
		pm.Legs = slices.Clone(started.Legs)
		edit(&pm)
		return &pm
	}
	withIT := edited(func(pm *pmode.Config) {
		pm.Parties = append(pm.Parties, pmode.Party{Name: "AP_IT_01"})
		pm.Legs = append(pm.Legs, pmode.Leg{Name: "notice", Service: pmode.Service{Value: "urn:example:notices"}, Action: "Notify"})
	})
	for name, c := range map[string]struct {
		pm   *pmode.Config
		want string // in the error; "" for none
	}{
		"a partner and another service's leg added": {withIT, ""},
		"the request leg renamed":                   {edited(func(pm *pmode.Config) { pm.Legs[0].Name = "request" }), "legs of the evidence exchange"},
		"another leg of the exchange's service":     {edited(func(pm *pmode.Config) { pm.Legs = append(pm.Legs, leg("req2", exchange.ActionRequest)) }), "legs of the evidence exchange"},
		"the routed party dropped":                  {edited(func(pm *pmode.Config) { pm.Parties = pm.Parties[:1] }), "requester.routes.urn:de"},
	} {
		err := keep(c.pm)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if (&serveConfig{}).connectorsKeep(started) != nil {
		t.Error("without connectors: a check")
	}

	inUse := started
	route, err := c.Requester.route(func() *pmode.Config { return inUse })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := route(edm.Identifier{Value: "AP_IT_01"}); err == nil {
		t.Fatal("a route to a party the P-Mode lacks")
	}
	inUse = withIT
	if p, err := route(edm.Identifier{Value: "AP_IT_01"}); err != nil || p != "AP_IT_01" {
		t.Fatalf("after the reload: %q, %v", p, err)
	}
}

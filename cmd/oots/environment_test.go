package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/dnsserver"
	"github.com/oots-go/oots/internal/dnstest"
	"github.com/oots-go/oots/internal/tlsprofile"
	"github.com/oots-go/oots/wssec"
)

// commonServicesTLS serves our Evidence Broker and DSD (demo data, a test
// signing CA) over HTTPS with the TLS profile on loopback, and writes the
// signing root and the TLS certificate into dir (cs-root.pem, cs-tls.pem).
func commonServicesTLS(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	return commonServicesTLSWrapped(t, dir, func(h http.Handler) http.Handler { return h })
}

// commonServicesTLSWrapped is commonServicesTLS with a handler in front of
// the services (another URL layout).
func commonServicesTLSWrapped(t *testing.T, dir string, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	reg := cstest.DemoRegistry(t)
	signer, _ := cstest.Signer(t)
	ebh, err := eb.NewHandler(eb.Config{Registry: reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	dsdh, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/eb/", ebh)
	mux.Handle("/dsd/", dsdh)
	srv := httptest.NewUnstartedServer(wrap(mux))
	srv.TLS = tlsprofile.Server()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	root := signer.Chain[len(signer.Chain)-1]
	write := func(name string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cs-root.pem", root.Raw)
	write("cs-tls.pem", srv.Certificate().Raw)
	return srv
}

// doctorEnvironment runs oots doctor -json and returns its findings of
// the environment rule.
func doctorEnvironment(t *testing.T, config string, args ...string) []check.Finding {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	Main(context.Background(), env, append([]string{"doctor", "-config", config, "-no-database", "-json"}, args...))
	var all, mine []check.Finding
	if err := json.Unmarshal(out.Bytes(), &all); err != nil {
		t.Fatalf("doctor output: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, f := range all {
		if f.Rule == ruleEnvironment {
			mine = append(mine, f)
		}
	}
	return mine
}

func findingsText(fs []check.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f.Flag) + " " + f.Location + ": " + f.Message + "\n")
	}
	return b.String()
}

func hasErrors(fs []check.Finding) bool { return !check.Valid(fs) }

// TestDoctorEnvironment: oots doctor checks the chosen environment end to
// end against our own Common Services on loopback: the NAPTR records from
// our DNS server, TLS against the profile of TDD 3.7, a query whose signed
// answer verifies under the configured root. The same set-up checked as
// production is refused: its root is a test root.
func TestDoctorEnvironment(t *testing.T) {
	const zone = "cs.doctor.test"
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	srv := commonServicesTLS(t, n.dir)
	dns, err := dnsserver.Start(dnsserver.Config{Zone: zone, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dns.Close() })
	for _, svc := range []string{"eb", "dsd"} {
		rec := csdiscovery.NAPTR{Order: 100, Preference: 10, Flags: "U", Regexp: "!^.*$!" + srv.URL + "/!"}
		if err := dns.SetNAPTR("fr."+svc+".v2.cs.acc."+zone, []csdiscovery.NAPTR{rec}); err != nil {
			t.Fatal(err)
		}
	}
	config := n.configs["AP_FR_01"]
	section := "commonServices: {environment: acceptance, country: FR, dns: " + dns.Addr() + ", zone: " + zone +
		", dnssec: off, trust: [cs-root.pem], tlsRoots: [cs-tls.pem]}\n"
	appendConfig(t, config, section)

	fs := doctorEnvironment(t, config)
	text := findingsText(fs)
	if hasErrors(fs) {
		t.Fatalf("acceptance: errors\n%s", text)
	}
	for _, want := range []string{
		"acceptance: discovery under cs.acc." + zone + ", DNSSEC off",
		"DNSSEC validation is off",
		"DNS: fr.eb.v2.cs.acc." + zone + " gives " + srv.URL + "/, not validated",
		"DNS: fr.dsd.v2.cs.acc." + zone + " gives " + srv.URL + "/",
		"TLS to " + strings.TrimPrefix(srv.URL, "https://") + ": TLS 1.3",
		"query: a signed EB-REQ answer, signature verified up to \"oots cs test CA\"",
		"commonServices.dsd: query: a signed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("acceptance: the findings lack %q:\n%s", want, text)
		}
	}

	// The same set-up as production: the test root is refused, before any
	// query and on the answer's chain.
	fs = doctorEnvironment(t, config, "-env", "production")
	text = findingsText(fs)
	if !hasErrors(fs) || !strings.Contains(text, `"oots cs test CA" is a test root; the production environment's Common Services do not sign under it`) {
		t.Errorf("production with a test root: want an error naming the root\n%s", text)
	}
	// The production names are not published in our zone.
	if !strings.Contains(text, "fr.eb.v2.cs.prod."+zone) {
		t.Errorf("production: the discovery name is not the production one\n%s", text)
	}
}

// TestDoctorTestingServices: with environment testing, the discovery name
// has the testing label and the queries carry the country in the path, as
// the Commission's Testing Services lay them out; our services stand behind
// a front that answers only that layout.
func TestDoctorTestingServices(t *testing.T) {
	const zone = "cs.itb.test"
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := commonServicesTLSWrapped(t, n.dir, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.Path)
			mu.Unlock()
			svc, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
			tail, ok := strings.CutPrefix(rest, "FR/")
			if !ok {
				http.NotFound(w, r)
				return
			}
			r.URL.Path = "/" + svc + "/" + tail
			h.ServeHTTP(w, r)
		})
	})
	dns, err := dnsserver.Start(dnsserver.Config{Zone: zone, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dns.Close() })
	for _, svc := range []string{"eb", "dsd"} {
		rec := csdiscovery.NAPTR{Order: 100, Preference: 10, Flags: "U", Regexp: "!^.*$!" + srv.URL + "/!"}
		if err := dns.SetNAPTR("fr."+svc+".v2.cs.testing."+zone, []csdiscovery.NAPTR{rec}); err != nil {
			t.Fatal(err)
		}
	}
	config := n.configs["AP_FR_01"]
	appendConfig(t, config, "commonServices: {environment: testing, country: FR, dns: "+dns.Addr()+", zone: "+zone+
		", dnssec: off, trust: [cs-root.pem], tlsRoots: [cs-tls.pem]}\n")
	fs := doctorEnvironment(t, config)
	text := findingsText(fs)
	if hasErrors(fs) {
		t.Fatalf("testing: errors\n%s", text)
	}
	for _, want := range []string{"query layout «base»/<eb|dsd>/FR/rest/search", "ignore Accept-Version",
		"DNS: fr.eb.v2.cs.testing." + zone, "commonServices.eb: query: a signed EB-REQ answer"} {
		if !strings.Contains(text, want) {
			t.Errorf("testing: the findings lack %q:\n%s", want, text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(paths, "/eb/FR/rest/search") || !slices.Contains(paths, "/dsd/FR/rest/search") {
		t.Errorf("paths asked: %v", paths)
	}
}

// TestDoctorEnvironmentDNSSEC: the discovery records come from a zone
// signed with ldns-signzone and served by NSD; doctor reports them
// validated with DNSSEC from the zone's DS.
func TestDoctorEnvironmentDNSSEC(t *testing.T) {
	const zone = "cs.dnssec-doctor.test"
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	srv := commonServicesTLS(t, n.dir)
	z := dnstest.SignZone(t, t.TempDir(), zone, []string{
		`fr.eb.v2.cs.acc IN NAPTR 100 10 "U" "" "!^.*$!` + srv.URL + `/!" .`,
		`fr.dsd.v2.cs.acc IN NAPTR 100 10 "U" "" "!^.*$!` + srv.URL + `/!" .`,
	}, true)
	addr := dnstest.StartNSD(t, zone, z.File)
	if err := os.WriteFile(filepath.Join(n.dir, "anchors.txt"), []byte(z.DS), 0o644); err != nil {
		t.Fatal(err)
	}
	config := n.configs["AP_FR_01"]
	appendConfig(t, config, "commonServices: {environment: acc, country: FR, dns: "+addr+", zone: "+zone+
		", dnssec: require, dnssecAnchors: anchors.txt, trust: [cs-root.pem], tlsRoots: [cs-tls.pem]}\n")
	fs := doctorEnvironment(t, config)
	text := findingsText(fs)
	if hasErrors(fs) || !strings.Contains(text, "DNS: fr.eb.v2.cs.acc."+zone+" gives "+srv.URL+"/, validated with DNSSEC") {
		t.Errorf("signed zone: want a validated answer and no error\n%s", text)
	}
	// cs-discover with the same anchors.
	code, out, errOut := runCLI(t, "cs-discover", "-server", addr, "-zone", zone, "-env", "acceptance", "-dnssec", "require",
		"-dnssec-anchors", filepath.Join(n.dir, "anchors.txt"), "FR", "dsd")
	if code != 0 || !strings.Contains(out, srv.URL+"/ (DNSSEC validated)") {
		t.Errorf("cs-discover: exit %d, %q, %q", code, out, errOut)
	}
}

// Each wrong field of the commonServices section is named at start-up.
func TestCommonServicesConfigErrors(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	good, err := os.ReadFile(n.configs["AP_FR_01"])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ section, want string }{
		{"{country: FR, dns: 127.0.0.1:53, trust: [ca.cert.pem]}", "commonServices.environment: required"},
		{"{environment: staging, country: FR, dns: 127.0.0.1:53, trust: [ca.cert.pem]}", "commonServices.environment"},
		{"{environment: acc, country: FRA, dns: 127.0.0.1:53, trust: [ca.cert.pem]}", "commonServices.country"},
		{"{environment: acc, country: FR, dns: dns.example, trust: [ca.cert.pem]}", "commonServices.dns"},
		{"{environment: acc, country: FR, dns: 127.0.0.1:53}", "commonServices.trust: required"},
		{"{environment: acc, country: FR, dns: 127.0.0.1:53, trust: [missing.pem]}", "commonServices.trust[0]"},
		{"{environment: acc, country: FR, dns: 127.0.0.1:53, trust: [ca.cert.pem], dnssec: sometimes}", "commonServices.dnssec"},
		{"{environment: acc, country: FR, dns: 127.0.0.1:53, trust: [ca.cert.pem], dnssecAnchors: missing.txt}", "commonServices.dnssecAnchors"},
	} {
		file := filepath.Join(n.dir, "bad.yaml")
		if err := os.WriteFile(file, append(append([]byte(nil), good...), "commonServices: "+c.section+"\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readServeConfig(file, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming %s", c.section, err, c.want)
		}
	}
}

func appendConfig(t *testing.T, file, yaml string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(b, yaml...), 0o644); err != nil {
		t.Fatal(err)
	}
}

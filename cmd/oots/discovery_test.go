package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/internal/dnstest"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

const discoveryZone = "sml.serve.test.example"

// discoveryServeNet is a serve network where AP_FR_01's P-Mode has neither
// endpoint nor encryption certificate for AP_DE_01: AP_FR_01 finds it by
// BDXL (a real dnsmasq) and our SMP, where AP_DE_01 is published as
// participant 0088:de.
func discoveryServeNet(t *testing.T) *serveNet {
	t.Helper()
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	opt := &pki.Options{Now: time.Now().Add(-time.Hour)}
	ca, err := pki.NewCA("SMP test CA", wssec.AS4v115, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteFiles(n.dir, "smp-ca"); err != nil {
		t.Fatal(err)
	}
	signer, err := pki.Issue(ca, "smp", wssec.AS4v115, opt)
	if err != nil {
		t.Fatal(err)
	}
	st := smp.NewMemoryStore()
	srv, err := smp.NewServer(smp.Config{Store: st, Key: signer.Sign.Signer(), Certificate: signer.Sign.Cert})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	deCert, err := serveReadCert("DE", filepath.Join(n.dir, "AP_DE_01.enc.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	de := smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:de"}
	docType := smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:evidence-request::QueryRequest##EDM-2.0"}
	process := smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:evidence-exchange"}
	ctx := context.Background()
	if err := st.PutParticipant(ctx, de); err != nil {
		t.Fatal(err)
	}
	if err := st.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: de, DocumentType: docType,
		Processes: []smp.Process{{ID: process, Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportEBMS3AS4,
			URL: n.url("AP_DE_01", "/as4"), Certificate: deCert.Raw}}}}}); err != nil {
		t.Fatal(err)
	}
	name, err := bdxl.Name(bdxl.Participant{Scheme: de.Scheme, Value: de.Value}, discoveryZone)
	if err != nil {
		t.Fatal(err)
	}
	dns := dnstest.Start(t, discoveryZone, []dnstest.Record{
		{Name: name, Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!" + hs.URL + "!"}})

	pm, err := os.ReadFile(filepath.Join(n.dir, "pmode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fr := strings.Replace(string(pm), "    endpoint: "+n.url("AP_DE_01", "/as4")+"\n", "", 1)
	fr = strings.Replace(fr, "    encryptionCertificate: AP_DE_01.enc.cert.pem\n", "", 1)
	if fr == string(pm) {
		t.Fatal("AP_DE_01's endpoint not found in the P-Mode")
	}
	if err := os.WriteFile(filepath.Join(n.dir, "pmode-fr.yaml"), []byte(fr), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(n.configs["AP_FR_01"])
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(cfg), "pmode: pmode.yaml", "pmode: pmode-fr.yaml", 1) + `discovery:
  dns: ` + dns + `
  zone: ` + discoveryZone + `
  flavour: oasis-smp-1
  allowHTTP: true
  smpTrust: [smp-ca.cert.pem]
  endpointTrust: [ca.cert.pem]
  documentType: "` + docType.String() + `"
  process: "` + process.String() + `"
  partners:
    AP_DE_01: {participant: "` + de.String() + `"}
`
	if err := os.WriteFile(n.configs["AP_FR_01"], []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestServeDiscovery: oots serve sends to a partner found by discovery,
// and oots doctor reports the discovery settings.
func TestServeDiscovery(t *testing.T) {
	n := discoveryServeNet(t)
	for _, name := range serveParties {
		n.startInProcess(t, name)
	}
	id, code := submitJSON(t, n.url("AP_FR_01", ""), "k1", "hello")
	if code != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", code)
	}
	waitDelivered(t, n.url("AP_FR_01", ""), id)
	resp, err := http.Get(n.url("AP_DE_01", "/api/v1/inbox/"+id))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DE inbox: HTTP %d", resp.StatusCode)
	}
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := Main(context.Background(), env, []string{"doctor", "-config", n.configs["AP_FR_01"], "-no-database"}); code != 0 {
		t.Errorf("doctor: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"DOCTOR-DISCOVERY", "BDXL zone " + discoveryZone, "SMP flavour oasis-smp-1",
		"resolved by discovery: participant iso6523-actorid-upis::0088:de",
		"discovered endpoint " + n.url("AP_DE_01", "/as4")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestServeDiscoveryConfigErrors: each wrong discovery field is named.
func TestServeDiscoveryConfigErrors(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	base, err := os.ReadFile(n.configs["AP_FR_01"])
	if err != nil {
		t.Fatal(err)
	}
	good := "discovery:\n  dns: 127.0.0.1:53\n  zone: sml.example\n  smpTrust: [ca.cert.pem]\n  documentType: \"d::x\"\n  process: \"p::y\"\n  partners:\n    AP_DE_01: {participant: \"iso6523-actorid-upis::0088:de\"}\n"
	for _, tc := range []struct{ old, new, want string }{
		{"dns: 127.0.0.1:53", "dns: dns.example:53", "discovery.dns"},
		{"zone: sml.example", "zone: \"\"", "discovery.zone"},
		{"zone: sml.example", "zone: sml.example\n  flavour: smp-9", "discovery.flavour"},
		{"smpTrust: [ca.cert.pem]", "smpTrust: []", "discovery.smpTrust"},
		{"smpTrust: [ca.cert.pem]", "smpTrust: [missing.pem]", "discovery.smpTrust"},
		{"{participant: \"iso6523-actorid-upis::0088:de\"}", "{}", "discovery.partners.AP_DE_01.participant"},
		{"  process: \"p::y\"\n", "", "discovery.partners.AP_DE_01.process"},
		{"AP_DE_01: {", "AP_XX_01: {", "Discovered[AP_XX_01]"},
		{"zone: sml.example", "zone: sml.example\n  zonez: x", "zonez"},
		{"zone: sml.example", "zone: sml.example\n  dnssec: sometimes", "discovery.dnssec"},
		{"zone: sml.example", "zone: sml.example\n  dnssecAnchors: missing.txt", "discovery.dnssecAnchors"},
	} {
		file := filepath.Join(n.dir, "bad.yaml")
		os.WriteFile(file, []byte(string(base)+strings.Replace(good, tc.old, tc.new, 1)), 0o644)
		var out, errOut bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		code := Main(context.Background(), env, []string{"serve", "-config", file})
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("want exit 2 naming %q; got %d: %s", tc.want, code, errOut.String())
		}
	}
}

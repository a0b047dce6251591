package csdiscovery_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/testenv"
)

func TestProfiles(t *testing.T) {
	for _, c := range []struct {
		name, label, search string
	}{
		{"acceptance", "acc", "https://q.example/eb/rest/search"},
		{"ACC", "acc", "https://q.example/eb/rest/search"},
		{"testing", "testing", "https://q.example/eb/FR/rest/search"},
		{"production", "prod", "https://q.example/eb/rest/search"},
		{"prod", "prod", "https://q.example/eb/rest/search"},
	} {
		p, err := csdiscovery.ProfileByName(c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(p.Environment) != c.label || p.DNSSEC != csdiscovery.DNSSECAuto {
			t.Errorf("%s: label %q, DNSSEC %q", c.name, p.Environment, p.DNSSEC)
		}
		if u, err := p.SearchURL("https://q.example/", csdiscovery.EvidenceBroker, "fr"); err != nil || u != c.search {
			t.Errorf("%s: search URL %q, %v; want %q", c.name, u, err, c.search)
		}
		n, err := csdiscovery.Query{Country: "FR", Service: csdiscovery.DataServiceDirectory, Major: 2, Environment: p.Environment}.Name(p.Zone)
		if want := "fr.dsd.v2.cs." + c.label + ".oots.tech.ec.europa.eu"; err != nil || n != want {
			t.Errorf("%s: discovery name %q, %v; want %q", c.name, n, err, want)
		}
	}
	if _, err := csdiscovery.ProfileByName("staging"); err == nil {
		t.Error("an unknown environment was accepted")
	}
	testing_, _ := csdiscovery.ProfileByName("testing")
	if _, err := testing_.SearchURL("https://q.example/", csdiscovery.EvidenceBroker, "F1"); err == nil {
		t.Error("a bad country was put in the path")
	}
	test := &x509.Certificate{Subject: pkix.Name{CommonName: "European Commission Root CA - 2 test"}}
	prod := &x509.Certificate{Subject: pkix.Name{CommonName: "European Commission Root CA - 2"}}
	for _, c := range []struct {
		env  string
		root *x509.Certificate
		ok   bool
	}{{"acceptance", test, true}, {"acceptance", prod, false}, {"testing", test, true}, {"production", prod, true}, {"production", test, false}} {
		p, _ := csdiscovery.ProfileByName(c.env)
		if err := p.CheckRoot(c.root); (err == nil) != c.ok {
			t.Errorf("%s with %q: %v", c.env, c.root.Subject.CommonName, err)
		}
	}
}

// The root that the answers captured on the Commission's acceptance Common
// Services chain to ("European Commission Root CA - 2 test") is accepted
// by the acceptance and testing profiles and refused by production.
func TestProfileCapturedAcceptanceRoot(t *testing.T) {
	raw, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/common_services/eb_requirements_fr.headers"))
	if err != nil {
		t.Fatal(err)
	}
	var jws string
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "oots-response-sig:"); ok {
			jws = strings.TrimSpace(v)
		}
	}
	protected, _, _ := strings.Cut(jws, ".")
	hb, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		X5c []string `json:"x5c"`
	}
	if err := json.Unmarshal(hb, &h); err != nil || len(h.X5c) == 0 {
		t.Fatalf("x5c: %v", err)
	}
	der, err := base64.StdEncoding.DecodeString(h.X5c[len(h.X5c)-1])
	if err != nil {
		t.Fatal(err)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if root.Subject.CommonName != "European Commission Root CA - 2 test" {
		t.Fatalf("the capture's chain ends with %q", root.Subject.CommonName)
	}
	for env, ok := range map[string]bool{"acceptance": true, "testing": true, "production": false} {
		p, _ := csdiscovery.ProfileByName(env)
		if err := p.CheckRoot(root); (err == nil) != ok {
			t.Errorf("%s: %v", env, err)
		}
	}
}

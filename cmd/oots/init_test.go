package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// doctorClean runs oots doctor offline and fails on any error finding.
func doctorClean(t *testing.T, cfg string) []check.Finding {
	t.Helper()
	code, fs := runDoctorJSON(t, "-config", cfg, "-offline")
	for _, f := range fs {
		if f.Flag == check.Error || f.Flag == check.Fatal {
			t.Errorf("%s: %s %s %s: %s", cfg, f.Flag, f.Rule, f.Location, f.Message)
		}
	}
	if code != 0 {
		t.Errorf("doctor %s: exit %d", cfg, code)
	}
	return fs
}

// TestInit: oots init makes a node that oots doctor passes, for each
// profile, with keys of that profile; it never overwrites a node.
func TestInit(t *testing.T) {
	for profile, want := range map[string]string{"as4-1.15": "RSA-2048, profile eDelivery-AS4-1.15", "as4-2.0": "Ed25519, profile eDelivery-AS4-2.0"} {
		t.Run(profile, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fr")
			if code, _, errOut := runCLI(t, "init", "-dir", dir, "-name", "AP_FR_01", "-profile", profile); code != 0 {
				t.Fatalf("init: exit %d: %s", code, errOut)
			}
			cfg := filepath.Join(dir, "oots.yaml")
			fs := doctorClean(t, cfg)
			if !hasFinding(fs, ruleKey, check.Info, want) {
				t.Errorf("no key finding %q: %v", want, fs)
			}
			for _, f := range []string{"oots.yaml", "keys/AP_FR_01.sign.key.pem", "keys/AP_FR_01.enc.key.pem"} {
				if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, %v; want 0600 (a secret)", f, fi.Mode().Perm(), err)
				}
			}
			// The API is closed: the configuration has a token.
			c, err := readServeConfig(cfg, nil)
			if err != nil || len(c.API.Token) < 32 || c.API.InsecureOpen {
				t.Errorf("api: %+v, %v", c.API, err)
			}

			// A second init into the same directory changes nothing.
			key := filepath.Join(dir, "keys/AP_FR_01.sign.key.pem")
			before, _ := os.ReadFile(key)
			code, _, errOut := runCLI(t, "init", "-dir", dir, "-name", "AP_FR_01", "-profile", profile)
			if code != 2 || !strings.Contains(errOut, "does not overwrite") {
				t.Errorf("second init: exit %d: %s", code, errOut)
			}
			// Even when only a key is left of an earlier node.
			os.Remove(cfg)
			os.Remove(filepath.Join(dir, "pmode.yaml"))
			if code, _, errOut := runCLI(t, "init", "-dir", dir, "-name", "AP_FR_01", "-profile", profile); code != 2 || !strings.Contains(errOut, "exists") {
				t.Errorf("init over a key: exit %d: %s", code, errOut)
			}
			if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
				t.Error("the signing key was overwritten")
			}
		})
	}
}

// TestInitCSR: with -csr, oots init writes requests for the eDelivery PKI,
// signed by the node's keys, and no certificate.
func TestInitCSR(t *testing.T) {
	for profile, keyType := range map[string]string{"as4-1.15": "rsa", "as4-2.0": "ed25519"} {
		t.Run(profile, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "n")
			if code, _, errOut := runCLI(t, "init", "-dir", dir, "-name", "AP_PT_01", "-profile", profile, "-csr", "-org", "Agência", "-country", "PT"); code != 0 {
				t.Fatalf("init: exit %d: %s", code, errOut)
			}
			b, err := os.ReadFile(filepath.Join(dir, "keys/AP_PT_01.sign.csr.pem"))
			if err != nil {
				t.Fatal(err)
			}
			blk, _ := pem.Decode(b)
			csr, err := x509.ParseCertificateRequest(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if err := csr.CheckSignature(); err != nil {
				t.Errorf("CSR signature: %v", err)
			}
			if csr.Subject.CommonName != "AP_PT_01" || csr.Subject.Country[0] != "PT" || csr.Subject.Organization[0] != "Agência" {
				t.Errorf("subject %v", csr.Subject)
			}
			kb, _ := os.ReadFile(filepath.Join(dir, "keys/AP_PT_01.sign.key.pem"))
			k, err := pki.ParseKeyPEM(kb)
			if err != nil {
				t.Fatal(err)
			}
			switch k := k.(type) {
			case *rsa.PrivateKey:
				if keyType != "rsa" || !k.PublicKey.Equal(csr.PublicKey) {
					t.Errorf("RSA key does not match the CSR")
				}
			case ed25519.PrivateKey:
				if keyType != "ed25519" || !k.Public().(ed25519.PublicKey).Equal(csr.PublicKey) {
					t.Errorf("Ed25519 key does not match the CSR")
				}
				if _, err := os.Stat(filepath.Join(dir, "keys/AP_PT_01.enc.pub.pem")); err != nil {
					t.Errorf("X25519 public key: %v", err)
				}
			default:
				t.Errorf("key %T", k)
			}
			for _, f := range []string{"keys/AP_PT_01.sign.cert.pem", "trust.pem"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s written with -csr", f)
				}
			}
			// Until the PKI's certificate is there, the doctor says so.
			code, fs := runDoctorJSON(t, "-config", filepath.Join(dir, "oots.yaml"), "-offline")
			if code != 1 || len(fs) == 0 || !strings.Contains(fs[len(fs)-1].Message+fs[0].Message, "sign.cert.pem") {
				t.Errorf("doctor before the certificate: exit %d: %v", code, fs)
			}
		})
	}
}

func TestInitBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-name", "AP_FR_01"}, "usage"},
		{[]string{"-dir", dir + "/a", "-name", "AP FR"}, "-name"},
		{[]string{"-dir", dir + "/b", "-name", "AP_FR_01", "-profile", "as4-3"}, "-profile"},
		{[]string{"-dir", dir + "/c", "-name", "AP_FR_01", "-listen", "8080"}, "-listen"},
		{[]string{"-dir", dir + "/d", "-name", "AP_FR_01", "-endpoint", "ftp://x/as4"}, "-endpoint"},
	} {
		code, _, errOut := runCLI(t, append([]string{"init"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d: %s", tc.args, code, errOut)
		}
	}
}

// legParties returns the initiator and responder parties of a leg.
func legParties(t *testing.T, pmFile, leg string) (init, resp []string) {
	t.Helper()
	b, err := os.ReadFile(pmFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pmode.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Leg(leg)
	if err != nil {
		t.Fatal(err)
	}
	return l.Initiator.Parties, l.Responder.Parties
}

// TestPartnerAdd: a partner added from oots init's certificate bundle
// is listed on the legs by its role, its CA becomes a trust anchor, the
// P-Mode keeps its comments, and oots doctor passes; the same partner
// cannot be added twice, nor a partner without an encryption certificate.
func TestPartnerAdd(t *testing.T) {
	root := t.TempDir()
	fr, de, it := filepath.Join(root, "fr"), filepath.Join(root, "de"), filepath.Join(root, "it")
	for _, n := range [][2]string{{fr, "AP_FR_01"}, {de, "AP_DE_01"}, {it, "AP_IT_01"}} {
		if code, _, errOut := runCLI(t, "init", "-dir", n[0], "-name", n[1], "-profile", "as4-2.0"); code != 0 {
			t.Fatalf("init %s: %s", n[1], errOut)
		}
	}
	cfg := filepath.Join(fr, "oots.yaml")
	pm := filepath.Join(fr, "pmode.yaml")
	code, out, errOut := runCLI(t, "partner", "add", "-config", cfg, "-name", "AP_DE_01", "-endpoint", "https://ap.de.example/as4",
		"-role", "provider", "-cert", filepath.Join(de, "AP_DE_01.partner.pem"))
	if code != 0 {
		t.Fatalf("partner add: exit %d: %s%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "partner", "add", "-config", cfg, "-name", "AP_IT_01", "-endpoint", "https://ap.it.example/as4",
		"-role", "requester", "-cert", filepath.Join(it, "AP_IT_01.partner.pem"))
	if code != 0 {
		t.Fatalf("partner add: exit %d: %s", code, errOut)
	}
	for _, tc := range []struct {
		leg       string
		init, rsp []string
	}{
		// DE provides: it answers FR's requests; IT requests: FR answers it.
		{"ootsRequestLeg", []string{"AP_FR_01", "AP_IT_01"}, []string{"AP_FR_01", "AP_DE_01"}},
		{"ootsResponseLeg", []string{"AP_FR_01", "AP_DE_01"}, []string{"AP_FR_01", "AP_IT_01"}},
		// EDM errors go where responses go.
		{"ootsErrorLeg", []string{"AP_FR_01", "AP_DE_01"}, []string{"AP_FR_01", "AP_IT_01"}},
	} {
		i, r := legParties(t, pm, tc.leg)
		if !slices.Equal(i, tc.init) || !slices.Equal(r, tc.rsp) {
			t.Errorf("%s: initiator %v responder %v, want %v %v", tc.leg, i, r, tc.init, tc.rsp)
		}
	}
	b, _ := os.ReadFile(pm)
	if !strings.Contains(string(b), "# Partners are added with oots partner add") {
		t.Error("the P-Mode lost its comments")
	}
	tb, _ := os.ReadFile(filepath.Join(fr, "trust.pem"))
	if n := strings.Count(string(tb), "BEGIN CERTIFICATE"); n != 3 {
		t.Errorf("trust.pem holds %d certificates, want FR's, DE's and IT's CA", n)
	}
	fs := doctorClean(t, cfg)
	if hasFinding(fs, rulePartner, check.Error, "") {
		t.Errorf("partner findings: %v", fs)
	}

	// Twice: refused, nothing changed.
	code, _, errOut = runCLI(t, "partner", "add", "-config", cfg, "-name", "AP_DE_01", "-endpoint", "https://ap.de.example/as4",
		"-cert", filepath.Join(de, "AP_DE_01.partner.pem"))
	if after, _ := os.ReadFile(pm); code != 2 || !strings.Contains(errOut, "already has a party AP_DE_01") || !bytes.Equal(after, b) {
		t.Errorf("second add: exit %d: %s", code, errOut)
	}
	// Only the signing certificate of an AS4 2.0 partner: no encryption
	// certificate.
	sign := filepath.Join(de, "keys/AP_DE_01.sign.cert.pem")
	code, _, errOut = runCLI(t, "partner", "add", "-config", cfg, "-name", "AP_DE_02", "-endpoint", "https://ap.de.example/as4", "-cert", sign)
	if code != 2 || !strings.Contains(errOut, "no encryption certificate") {
		t.Errorf("add without an encryption certificate: exit %d: %s", code, errOut)
	}
	// A wrong role or endpoint.
	for _, args := range [][]string{{"-role", "judge"}, {"-endpoint", "mailto:x"}} {
		a := append([]string{"partner", "add", "-config", cfg, "-name", "AP_DE_03", "-endpoint", "https://x/as4", "-cert", sign}, args...)
		if code, _, errOut := runCLI(t, a...); code != 2 || !strings.Contains(errOut, args[0]) {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
}

// addDomibusPartner makes a node AP_FR_01 and one named partner (for its
// certificates) with oots init, adds the party named party of the Domibus
// export to the first with oots partner add -domibus, and returns the
// first's configuration, the partner's folder and the party as the P-Mode
// now lists it under want.
func addDomibusPartner(t *testing.T, export, partner, party, want string) (cfg, other string, p *pmode.Party) {
	t.Helper()
	root := t.TempDir()
	fr := filepath.Join(root, "fr")
	other = filepath.Join(root, "other")
	for _, n := range [][2]string{{fr, "AP_FR_01"}, {other, partner}} {
		if code, _, errOut := runCLI(t, "init", "-dir", n[0], "-name", n[1], "-profile", "as4-1.15"); code != 0 {
			t.Fatalf("init %s: %s", n[1], errOut)
		}
	}
	cfg = filepath.Join(fr, "oots.yaml")
	code, _, errOut := runCLI(t, "partner", "add", "-config", cfg, "-domibus", export, "-party", party,
		"-cert", filepath.Join(other, partner+".partner.pem"))
	if code != 0 {
		t.Fatalf("partner add -domibus: exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(filepath.Join(fr, "pmode.yaml"))
	c, err := pmode.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = c.Party(want); err != nil {
		t.Fatal(err)
	}
	return cfg, other, p
}

// TestPartnerAddDomibus: the party of a Domibus P-Mode export (the official
// OOTS sample) is added with its identifiers and endpoint.
func TestPartnerAddDomibus(t *testing.T) {
	export := testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml")
	cfg, other, p := addDomibusPartner(t, export, "blue_gw", "blue_gw", "blue_gw")
	if p.Endpoint != "http://localhost:8080/domibus/services/msh" || len(p.IDs) != 1 || p.IDs[0].Value != "blue_gw" {
		t.Errorf("party %+v", p)
	}
	doctorClean(t, cfg)
	code, _, errOut := runCLI(t, "partner", "add", "-config", cfg, "-domibus", export, "-party", "red_gw", "-cert", filepath.Join(other, "blue_gw.partner.pem"))
	if code != 2 || !strings.Contains(errOut, "red_gw") {
		t.Errorf("a party not in the export: exit %d: %s", code, errOut)
	}
}

// TestPartnerAddDomibusWithPull: a party is taken from a Domibus P-Mode
// whose processes oots could not run (the Domibus sample's pull process),
// as only its parties are read; its name is matched ignoring case, as
// Domibus refers to parties.
func TestPartnerAddDomibusWithPull(t *testing.T) {
	export, _ := filepath.Abs(filepath.Join("..", "..", "as4", "pmode", "testdata", "domibus", "gw-sample-blue.xml"))
	if b, err := os.ReadFile(export); err != nil {
		t.Fatal(err)
	} else if _, err := pmode.ImportDomibus(b); err == nil || !strings.Contains(err.Error(), "pull") {
		t.Fatalf("the sample imports whole (%v): it no longer shows what this test is for", err)
	}
	_, _, p := addDomibusPartner(t, export, "red_gw", "RED_GW", "red_gw")
	if p.Endpoint != "http://localhost:8180/domibus/services/msh" || len(p.IDs) != 1 || p.IDs[0] != (pmode.PartyID{Type: "urn:oasis:names:tc:ebcore:partyid-type:unregistered", Value: "domibus-red"}) {
		t.Errorf("party %+v", p)
	}
}

// FuzzAddPartyNode: any P-Mode text either is refused or gives one that
// lists the new party.
func FuzzAddPartyNode(f *testing.F) {
	f.Add([]byte("self: A\nparties:\n  - {name: A, ids: [{value: A}]}\nlegs:\n  - {name: l, action: ExecuteQueryRequest, initiator: {parties: [A]}, responder: {parties: [A]}}\n"))
	f.Add([]byte("parties: []\nlegs: []\n"))
	f.Add([]byte("- a\n"))
	for _, p := range []string{"ap/examples/as4-1.15/pmode.yaml", "ap/examples/as4-2.0/pmode.yaml"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", p)); err == nil {
			f.Add(b)
		}
	}
	p := &partner{party: pmode.Party{Name: "AP_ZZ_01", IDs: []pmode.PartyID{{Value: "AP_ZZ_01"}}, Endpoint: "https://z/as4"}, role: "provider"}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := addPartyNode(src, p, "A")
		if err != nil {
			return
		}
		if !bytes.Contains(out, []byte("AP_ZZ_01")) {
			t.Errorf("the party is missing from\n%s", out)
		}
	})
}

// TestPartnerAddBounds: certificate files too large or with too many
// certificates are refused before they are parsed.
func TestPartnerAddBounds(t *testing.T) {
	root := t.TempDir()
	fr := filepath.Join(root, "fr")
	if code, _, errOut := runCLI(t, "init", "-dir", fr, "-name", "AP_FR_01", "-profile", "as4-1.15"); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	card, _ := os.ReadFile(filepath.Join(fr, "AP_FR_01.partner.pem"))
	big := filepath.Join(root, "big.pem")
	os.WriteFile(big, append(card, bytes.Repeat([]byte("x"), maxPartnerFile)...), 0o644)
	many := filepath.Join(root, "many.pem")
	os.WriteFile(many, bytes.Repeat(card, maxPartnerCerts/2+1), 0o644)
	cfg := filepath.Join(fr, "oots.yaml")
	for file, want := range map[string]string{big: "bytes, more than", many: "more than 16 certificates"} {
		code, _, errOut := runCLI(t, "partner", "add", "-config", cfg, "-name", "AP_XX_01", "-endpoint", "https://x/as4", "-cert", file)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d: %s", filepath.Base(file), code, errOut)
		}
	}
}

// FuzzParseCertsPEM: any input gives certificates or an error, never more
// than the bound.
func FuzzParseCertsPEM(f *testing.F) {
	ca, err := pki.NewCA("fuzz CA", wssec.AS4v20, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pki.CertPEM(ca.Cert))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := parseCertsPEM(b)
		if err == nil && (len(cs) == 0 || len(cs) > maxPartnerCerts) {
			t.Errorf("%d certificates without an error", len(cs))
		}
	})
}

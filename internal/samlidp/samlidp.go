// Package samlidp runs a real, independent SAML 2.0 identity provider for
// tests: pysaml2 (Debian's python3-pysaml2) with xmlsec1, configured by a
// small script (idp.py) as an eIDAS-like node: eIDAS attribute names
// (natural person), signed responses, signed assertions encrypted with
// AES-256-GCM and RSA-OAEP, ECDSA-SHA256 signatures, a login form, test
// accounts with their level of assurance, and signed metadata. Tests skip
// when python3-pysaml2 or xmlsec1 is missing, and fail instead under
// OOTS_REQUIRE_VERIFIERS=1 (internal/testenv); CI installs both from
// .ci/debian-packages.
package samlidp

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
)

//go:embed idp.py
var script []byte

// Account is a test account: password, level of assurance and eIDAS
// attributes by FriendlyName.
type Account struct {
	Password   string            `json:"password"`
	LoA        string            `json:"loa"`
	Attributes map[string]string `json:"attributes"`
}

// Accounts are the test accounts, all with the password "pw": marie
// (substantial), lowe (low).
var Accounts = map[string]Account{
	"marie": {Password: "pw", LoA: "http://eidas.europa.eu/LoA/substantial", Attributes: map[string]string{
		"PersonIdentifier": "BE/NL/1234567890", "FamilyName": "Janssens", "FirstName": "Marie", "DateOfBirth": "1985-04-12", "Gender": "Female",
	}},
	"lowe": {Password: "pw", LoA: "http://eidas.europa.eu/LoA/low", Attributes: map[string]string{
		"PersonIdentifier": "BE/NL/555", "FamilyName": "Lowe", "FirstName": "Jan", "DateOfBirth": "1970-01-31",
	}},
}

// attributes are the eIDAS names of the natural person's attributes (eIDAS
// SAML Attribute Profile §2.2), by FriendlyName.
var attributes = map[string]string{
	"PersonIdentifier": "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier",
	"FamilyName":       "http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName",
	"FirstName":        "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
	"DateOfBirth":      "http://eidas.europa.eu/attributes/naturalperson/DateOfBirth",
	"Gender":           "http://eidas.europa.eu/attributes/naturalperson/Gender",
	"PlaceOfBirth":     "http://eidas.europa.eu/attributes/naturalperson/PlaceOfBirth",
}

// IdP is an identity provider prepared by New and run by Start.
type IdP struct {
	// URL is its base URL; EntityID is URL + "/metadata", also where its
	// signed metadata is; SSO is its HTTP-POST single sign-on service and
	// SSORedirect its HTTP-Redirect one.
	URL, EntityID, SSO, SSORedirect string
	// Cert is the certificate of its signing key (ECDSA P-256), which
	// also signs its metadata.
	Cert *x509.Certificate
	// Accounts are the accounts it knows; New sets the package's
	// Accounts, a test may change them before Start.
	Accounts map[string]Account

	dir, py string
	port    int
	cmd     *exec.Cmd
	done    chan struct{}
}

// New checks that pysaml2 and xmlsec1 are installed (else skips, or fails
// under OOTS_REQUIRE_VERIFIERS=1), chooses a loopback port and makes the
// signing key, so that the service provider can be configured before Start.
func New(tb testing.TB) *IdP {
	tb.Helper()
	py := testenv.Python(tb, "saml2")
	testenv.Tool(tb, "xmlsec1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := tb.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eIDAS test node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	write(tb, filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	write(tb, filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	return &IdP{URL: u, EntityID: u + "/metadata", SSO: u + "/sso/post", SSORedirect: u + "/sso/redirect", Cert: cert, Accounts: Accounts, dir: dir, py: py, port: port}
}

func write(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// Start runs the identity provider with the metadata of its service
// providers (which give it their ACS and encryption certificates). It is
// stopped at the end of the test.
func (p *IdP) Start(tb testing.TB, spMetadata ...[]byte) {
	tb.Helper()
	var sps []string
	for i, md := range spMetadata {
		f := filepath.Join(p.dir, fmt.Sprintf("sp%d.xml", i))
		write(tb, f, md)
		sps = append(sps, f)
	}
	write(tb, filepath.Join(p.dir, "idp.py"), script)
	conf, err := json.Marshal(map[string]any{
		"port": p.port, "base": p.URL, "keyFile": filepath.Join(p.dir, "key.pem"), "certFile": filepath.Join(p.dir, "cert.pem"),
		"spMetadata": sps, "attributes": attributes, "accounts": p.Accounts,
	})
	if err != nil {
		tb.Fatal(err)
	}
	write(tb, filepath.Join(p.dir, "conf.json"), conf)
	cmd := exec.Command(p.py, filepath.Join(p.dir, "idp.py"), filepath.Join(p.dir, "conf.json"))
	cmd.Dir = p.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "listening") {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
		cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() && stderr.Len() > 0 {
			tb.Logf("pysaml2 identity provider: %s", stderr.String())
		}
	})
	select {
	case ok := <-ready:
		if !ok {
			<-p.done
			tb.Fatalf("the pysaml2 identity provider exited before listening: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("the pysaml2 identity provider did not start in 30 s")
	}
}

// Stop ends the identity provider (the process Start began).
func (p *IdP) Stop() {
	if p.cmd == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

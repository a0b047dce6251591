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
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// testAccounts returns the test accounts, fresh on each call, all with the
// password "pw": marie (substantial), lowe (low).
func testAccounts() map[string]Account {
	return map[string]Account{
		"marie": {Password: "pw", LoA: "http://eidas.europa.eu/LoA/substantial", Attributes: map[string]string{
			"PersonIdentifier": "BE/NL/1234567890", "FamilyName": "Janssens", "FirstName": "Marie", "DateOfBirth": "1985-04-12", "Gender": "Female",
		}},
		"lowe": {Password: "pw", LoA: "http://eidas.europa.eu/LoA/low", Attributes: map[string]string{
			"PersonIdentifier": "BE/NL/555", "FamilyName": "Lowe", "FirstName": "Jan", "DateOfBirth": "1970-01-31",
		}},
	}
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
	// Accounts are the accounts it knows; New sets the test accounts
	// marie and lowe, a test may change them before Start.
	Accounts map[string]Account

	dir, py, host string
	port          int
	cmd           *exec.Cmd
	done          chan struct{}
	stderr        syncBuffer
}

// Available reports why pysaml2 cannot run here (python3, its module
// saml2 or xmlsec1 missing), or nil.
func Available() error {
	if _, err := exec.LookPath("xmlsec1"); err != nil {
		return fmt.Errorf("xmlsec1 is not installed (Debian package xmlsec1)")
	}
	py, err := python()
	if err != nil {
		return fmt.Errorf("python3 is not installed")
	}
	if out, err := exec.Command(py, "-c", "import saml2").CombinedOutput(); err != nil {
		return fmt.Errorf("pysaml2 is not installed (Debian package python3-pysaml2): %s", strings.TrimSpace(string(out)))
	}
	return nil
}

// python returns Debian's interpreter, whose path holds python3-pysaml2.
func python() (string, error) {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3", nil
	}
	return exec.LookPath("python3")
}

// New checks that pysaml2 and xmlsec1 are installed (else skips, or fails
// under OOTS_REQUIRE_VERIFIERS=1), chooses a loopback port and makes the
// signing key, so that the service provider can be configured before Start.
func New(tb testing.TB) *IdP {
	tb.Helper()
	testenv.Python(tb, "saml2")
	testenv.Tool(tb, "xmlsec1")
	p, err := Prepare(tb.TempDir(), "127.0.0.1", 0)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Prepare is New outside tests: the identity provider's files go in dir,
// it will listen on host:port (0: a free port).
func Prepare(dir, host string, port int) (*IdP, error) {
	py, err := python()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
	if err != nil {
		return nil, err
	}
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eIDAS test node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	u := "http://" + net.JoinHostPort(host, fmt.Sprint(port))
	return &IdP{URL: u, EntityID: u + "/metadata", SSO: u + "/sso/post", SSORedirect: u + "/sso/redirect", Cert: cert, Accounts: testAccounts(),
		dir: dir, py: py, host: host, port: port}, nil
}

// Start runs the identity provider with the metadata of its service
// providers (which give it their ACS and encryption certificates). It is
// stopped at the end of the test.
func (p *IdP) Start(tb testing.TB, spMetadata ...[]byte) {
	tb.Helper()
	err := p.Run(spMetadata...)
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() && p.stderr.Len() > 0 {
			tb.Logf("pysaml2 identity provider: %s", p.stderr.String())
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// Run starts the identity provider and returns when it listens; Stop ends
// it.
func (p *IdP) Run(spMetadata ...[]byte) error {
	var sps []string
	for i, md := range spMetadata {
		f := filepath.Join(p.dir, fmt.Sprintf("sp%d.xml", i))
		if err := os.WriteFile(f, md, 0o600); err != nil {
			return err
		}
		sps = append(sps, f)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "idp.py"), script, 0o600); err != nil {
		return err
	}
	conf, err := json.Marshal(map[string]any{
		"host": p.host, "port": p.port, "base": p.URL, "keyFile": filepath.Join(p.dir, "key.pem"), "certFile": filepath.Join(p.dir, "cert.pem"),
		"spMetadata": sps, "attributes": attributes, "accounts": p.Accounts,
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.dir, "conf.json"), conf, 0o600); err != nil {
		return err
	}
	cmd := exec.Command(p.py, filepath.Join(p.dir, "idp.py"), filepath.Join(p.dir, "conf.json"))
	cmd.Dir = p.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		return err
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
	select {
	case ok := <-ready:
		if !ok {
			<-p.done
			return fmt.Errorf("the pysaml2 identity provider exited before listening: %s", p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		p.Stop()
		return errors.New("the pysaml2 identity provider did not start in 30 s")
	}
	return nil
}

// Stop ends the identity provider (the process Run began).
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

// syncBuffer collects the process's standard error.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

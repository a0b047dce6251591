// Package oidcop runs a real, independent OpenID provider for tests: the
// certified npm package oidc-provider on Node.js, on loopback, configured
// by a small script (op.mjs) with one client, test accounts and signing
// keys given by the test. Tests skip when Node.js or the package is
// missing, and fail instead under OOTS_REQUIRE_VERIFIERS=1
// (internal/testenv); CI installs the package with .ci/oidc-provider.
package oidcop

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oots-go/oots/internal/testenv"
)

// Version is the version of oidc-provider that .ci/oidc-provider installs.
const Version = "9.13.3"

//go:embed op.mjs
var script []byte

// Module returns node and the entry point of oidc-provider installed in
// <user cache dir>/oots-test/oidc-provider (or $OOTS_OIDC_PROVIDER_DIR), or
// skips the test (fails under OOTS_REQUIRE_VERIFIERS=1).
func Module(tb testing.TB) (node, module string) {
	tb.Helper()
	node = testenv.Tool(tb, "node")
	dir := os.Getenv("OOTS_OIDC_PROVIDER_DIR")
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = filepath.Join(os.TempDir(), "cache")
		}
		dir = filepath.Join(c, "oots-test", "oidc-provider")
	}
	module = filepath.Join(dir, "node_modules", "oidc-provider", "lib", "index.js")
	hint := fmt.Sprintf("bash .ci/oidc-provider, or npm install --prefix %s oidc-provider@%s", dir, Version)
	if _, err := os.Stat(module); err != nil {
		if testenv.Required() {
			tb.Fatalf("oidc-provider is missing and OOTS_REQUIRE_VERIFIERS=1: %s", hint)
		}
		tb.Skipf("oidc-provider is missing (%s)", hint)
	}
	return node, module
}

// Account is a test account: its password and its claims.
type Account struct {
	Password string         `json:"password"`
	Claims   map[string]any `json:"claims"`
}

// Config is what op.mjs reads.
type Config struct {
	Port      int                `json:"port"`
	Issuer    string             `json:"issuer"`
	Module    string             `json:"module"`
	JWKS      jose.JSONWebKeySet `json:"jwks"`
	Clients   []map[string]any   `json:"clients"`
	Accounts  map[string]Account `json:"accounts"`
	ACRValues []string           `json:"acrValues"`
	// Conform puts the scope's claims at the userinfo endpoint only.
	Conform bool `json:"conform"`
	// RedirectPrefix, when set, accepts every redirect URI beginning
	// with it.
	RedirectPrefix string `json:"redirectPrefix,omitempty"`
}

// Client ID and secret of the one client Start registers.
const (
	ClientID     = "oots-portal"
	ClientSecret = "a-secret-of-32-characters-or-more"
)

// testAccounts returns the test accounts, fresh on each call: marie has an
// eIDAS identifier (FR/DE/1234567890), jean has none. Both passwords are
// "pw".
func testAccounts() map[string]Account {
	return map[string]Account{
		"marie": {Password: "pw", Claims: map[string]any{
			"family_name": "Dupont", "given_name": "Marie", "birthdate": "1985-04-12", "gender": "female",
			"birthplace": "Lyon", "eidas_id": "FR/DE/1234567890",
		}},
		"jean": {Password: "pw", Claims: map[string]any{
			"family_name": "Martin", "given_name": "Jean", "birthdate": "1970-01-31",
		}},
	}
}

// RSAKey returns a new private RSA signing key as a JWK with kid.
func RSAKey(tb testing.TB, kid string) jose.JSONWebKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

// FreePort returns a loopback port free at the time of the call.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Provider is a running oidc-provider.
type Provider struct {
	Issuer string
	cmd    *exec.Cmd
	done   chan struct{}
}

// Start starts oidc-provider on port (0: a free one) with the signing key,
// the client ClientID (redirect URI redirectURI, client_secret_basic, code
// flow, PKCE required), the test accounts marie and jean and the acr values eidas2, eidas1,
// eidas3; edit may change the configuration. Besides profile, the scopes
// email (email, email_verified) and groups (groups, the claim the
// operator's console maps to roles) give the accounts' claims of those
// names. It is stopped at the end of
// the test or by Stop.
func Start(tb testing.TB, port int, key jose.JSONWebKey, redirectURI string, edit ...func(*Config)) *Provider {
	tb.Helper()
	node, module := Module(tb)
	if port == 0 {
		port = FreePort(tb)
	}
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	conf := Config{
		Port: port, Issuer: issuer, Module: module,
		JWKS: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key}},
		Clients: []map[string]any{{
			"client_id": ClientID, "client_secret": ClientSecret,
			"redirect_uris": []string{redirectURI}, "response_types": []string{"code"},
			"grant_types": []string{"authorization_code"}, "token_endpoint_auth_method": "client_secret_basic",
		}},
		Accounts:  testAccounts(),
		ACRValues: []string{"eidas2", "eidas1", "eidas3"},
	}
	for _, e := range edit {
		e(&conf)
	}
	b, err := json.Marshal(conf)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	path, js := filepath.Join(dir, "op.json"), filepath.Join(dir, "op.mjs")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(js, script, 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, js, path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Provider{Issuer: issuer, cmd: cmd, done: make(chan struct{})}
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
	tb.Cleanup(p.Stop)
	select {
	case ok := <-ready:
		if !ok {
			<-p.done
			tb.Fatalf("oidc-provider exited before listening: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("oidc-provider did not start in 30 s")
	}
	return p
}

// Stop ends the provider (its process, which Start began).
func (p *Provider) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Browser returns an HTTP client with a cookie jar that follows redirects,
// as a browser would for a login.
func Browser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// LogIn drives a code flow in c: it gets start (the application's login
// route, which sends the browser to the provider), posts the provider's
// login form as login (password "pw") at the acr value, and follows the
// redirects back to the application. It returns the last answer, its body
// read.
func LogIn(tb testing.TB, c *http.Client, start, login, acr string) (*http.Response, []byte) {
	tb.Helper()
	resp, err := c.Get(start)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindSubmatch(page)
	if m == nil {
		tb.Fatalf("no login form at %s (HTTP %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	action, _ := resp.Request.URL.Parse(string(m[1]))
	resp, err = c.PostForm(action.String(), url.Values{"login": {login}, "password": {"pw"}, "acr": {acr}})
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}

package demonet_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/internal/oidcop"
)

var opForm = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// TestOIDCLogin: with Config.OIDC naming an OpenID provider for France
// (oidc-provider on loopback), a French citizen logs in at a node's portal
// through it, and the portal shows them logged in; the other countries keep
// the demo identity providers.
func TestOIDCLogin(t *testing.T) {
	oidcop.Module(t)
	op := oidcop.Start(t, 0, oidcop.RSAKey(t, "k1"), "https://127.0.0.1/unused", func(c *oidcop.Config) {
		c.RedirectPrefix = "https://127.0.0.1:"
	})
	claims := oidc.StandardClaims
	claims.Identifier = "eidas_id"
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, OIDC: map[string]oidc.Provider{"FR": {
		Issuer: op.Issuer, ClientID: oidcop.ClientID, ClientSecret: oidcop.ClientSecret, Claims: &claims,
		ACR: map[string]eid.LoA{"eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh},
	}}})
	de := n.Nodes[0]

	// logIn logs in at the OpenID provider from a new browser and
	// returns the browser and the portal's page after the login.
	logIn := func(login, acr string) (*http.Client, int, string) {
		t.Helper()
		c := *n.Client()
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Jar = jar
		resp, err := c.Get(de.PortalURL + "/login?eid=FR")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(resp.Request.URL.String(), op.Issuer) {
			t.Fatalf("the portal's login for FR went to %s, not to the OpenID provider", resp.Request.URL)
		}
		m := opForm.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no login form: %.300s", page)
		}
		action, _ := resp.Request.URL.Parse(string(m[1]))
		resp, err = c.PostForm(action.String(), url.Values{"login": {login}, "password": {"pw"}, "acr": {acr}})
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(resp.Request.URL.String(), de.PortalURL) {
			t.Fatalf("the login ended at %s, not at the portal", resp.Request.URL)
		}
		return &c, resp.StatusCode, string(page)
	}
	c, status, page := logIn("marie", "eidas2")
	if status != http.StatusOK || !strings.Contains(page, "Marie Dupont") {
		t.Fatalf("after the login: HTTP %d: %.500s", status, page)
	}
	// A refused login says why, and that trying again will not help.
	for _, tc := range []struct{ login, acr, want string }{
		{"jean", "eidas3", "does not give the European (eIDAS) identifier"},
		{"marie", "eidas1", "lower than this service requires"},
	} {
		if _, status, page := logIn(tc.login, tc.acr); status != http.StatusUnauthorized || !strings.Contains(page, tc.want) {
			t.Errorf("%s at %s: HTTP %d, want 401 saying %q: %.800s", tc.login, tc.acr, status, tc.want, page)
		}
	}

	// Germany stays with its demo identity provider.
	resp, err := c.Get(de.PortalURL + "/login?eid=DE")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), n.Nodes[0].IdPURL) {
		t.Fatalf("the portal's login for DE went to %s, not to the demo identity provider", resp.Request.URL)
	}
}

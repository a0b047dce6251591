package demonet_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
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
	claims := oidc.StandardClaims()
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

// loginOIDC answers the country choice with France and logs in as who at
// the OpenID provider's form.
func (u *user) loginOIDC(at string, who idp.User) {
	u.t.Helper()
	u.b.Find("a[href*='eid=FR']")
	u.page(at + "-eid-country")
	u.b.Find("a[href*='eid=FR']").ClickAway()
	u.b.Find("input[name=login]")
	u.b.Execute(`document.querySelector("input[name=login]").value = arguments[0];
		document.querySelector("input[name=password]").value = "pw";
		document.querySelector("input[name=acr]").value = "eidas2";`, nil, who.Local)
	u.b.Find("form button[type=submit]").Click()
}

// TestOIDCJourney: a French citizen whose eID is an OpenID provider
// (oidc-provider on loopback, with the demo citizen's attributes) asks the
// German portal for evidence from France, logs in again at the French
// preview space through the same provider, and sees and approves the
// evidence, in headless Chromium.
func TestOIDCJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journey")
	}
	oidcop.Module(t)
	who := demo.Users("FR")[0]
	op := oidcop.Start(t, 0, oidcop.RSAKey(t, "k1"), "https://127.0.0.1/unused", func(c *oidcop.Config) {
		c.RedirectPrefix = "https://127.0.0.1:"
		c.Accounts = map[string]oidcop.Account{who.Local: {Password: "pw", Claims: map[string]any{
			"family_name": who.Person.FamilyName, "given_name": who.Person.GivenName, "birthdate": who.Person.DateOfBirth,
			"eidas_id": "FR/DE/" + who.Local,
		}}}
	})
	claims := oidc.StandardClaims()
	claims.Identifier = "eidas_id"
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, T1: time.Minute, T2: time.Minute, T3: time.Minute,
		OIDC: map[string]oidc.Provider{"FR": {
			Issuer: op.Issuer, ClientID: oidcop.ClientID, ClientSecret: oidcop.ClientSecret, Claims: &claims,
			ACR: map[string]eid.LoA{"eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh},
		}}})
	u := newUser(t, n)
	u.b.Get(n.Node("DE").PortalURL + "/")
	u.page("portal-home")
	u.b.Execute(`document.getElementById("procedure").value=arguments[0]; document.getElementById("country").value=arguments[1];`, nil, "R1", "FR")
	u.b.Find("form[action='/start'] button").ClickAway()
	u.loginOIDC("portal", who)
	u.request()
	u.expect("portal-preview-link", "Go to the preview")
	u.b.Find("a[href*='/preview/']").ClickAway()
	u.expect("preview-start", "Log in to see the evidence")
	u.b.Find("a[href*='/login']").ClickAway()
	u.loginOIDC("preview", who)
	seen := u.expect("preview-evidence", "Approve")
	if !strings.Contains(seen, who.Person.FamilyName) || !strings.Contains(seen, who.Person.DateOfBirth) {
		t.Errorf("the preview does not show the subject's evidence:\n%s", seen)
	}
	u.b.Find("button[value=approve]").ClickAway()
	if text := u.submit(); !strings.Contains(text, "DE-") {
		t.Errorf("no reference number:\n%s", text)
	}
}

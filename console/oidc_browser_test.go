package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/internal/oidcop"
	"github.com/oots-go/oots/internal/webdriver"
)

// TestBrowserOIDCLogin logs an operator in through the OpenID provider in
// headless Chromium, the provider on another site than the console
// (127.0.0.1 and localhost): the session cookie, SameSite=Strict, set on
// the callback that ends a navigation from the provider's site, reaches
// the console on the page after, as the landing page is there to make sure.
func TestBrowserOIDCLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	oidcop.Module(t)
	o := oidcop.Start(t, 0, oidcop.RSAKey(t, "k1"), "http://unused.example/cb", staff,
		func(c *oidcop.Config) { c.RedirectPrefix = "http://localhost:" })
	_, base := oidcConsole(t, tempDB(t), &resendingNode{}, o.Issuer, func(c *console.OIDC) {
		c.RedirectURL = strings.Replace(c.RedirectURL, "127.0.0.1", "localhost", 1)
	})
	site := strings.Replace(base, "127.0.0.1", "localhost", 1)
	b := webdriver.Start(t)
	b.Timeout = 15 * time.Second
	b.Get(site + "/console/login")
	b.Find("#oidc-login").ClickAway()
	if !strings.HasPrefix(b.URL(), o.Issuer) {
		t.Fatalf("the login link led to %s, not to the provider %s", b.URL(), o.Issuer)
	}
	b.Find(`input[name="login"]`).SendKeys("olivia")
	b.Find(`input[name="password"]`).SendKeys("pw")
	b.Find(`button[type="submit"]`).ClickAway()
	if got := b.WaitForText(".who", "oidc:olivia (operator)", b.Timeout); got != "oidc:olivia (operator)" {
		t.Fatalf("after the provider, the console at %s shows %q, not olivia's session", b.URL(), got)
	}
	if !strings.HasPrefix(b.URL(), site+"/console/") || strings.Contains(b.URL(), "/login") {
		t.Errorf("the console page after the login is %s", b.URL())
	}
}

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/oidcop"
	"github.com/oots-go/oots/wssec"
)

// TestServeConsoleOIDC: staff log in through a real OpenID provider
// (oidc-provider) to the console of an "oots serve" configured by its
// console.oidc section, the client secret read from its file and the
// callback on the admin listener. An operator by her group starts at the
// login page's link, lands on the console as oidc:olivia (operator), reads
// the messages page and is refused the P-Mode download, which is the
// administrators'; an administrator by his group sees her login in the
// audit trail; a staff member whose groups give no role is refused.
func TestServeConsoleOIDC(t *testing.T) {
	if testing.Short() {
		t.Skip("a node and an OpenID provider")
	}
	oidcop.Module(t)
	apiPort := freePort(t)
	admin := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	op := oidcop.Start(t, 0, oidcop.RSAKey(t, "k1"), admin+"/console/oidc/callback", func(c *oidcop.Config) {
		c.Accounts = map[string]oidcop.Account{
			"olivia": {Password: "pw", Claims: map[string]any{"preferred_username": "olivia", "email": "olivia@example.org", "email_verified": true,
				"groups": []string{"staff", "oots-operators"}}},
			"nina": {Password: "pw", Claims: map[string]any{"preferred_username": "nina", "groups": []string{"staff"}}},
			"ada":  {Password: "pw", Claims: map[string]any{"preferred_username": "ada", "groups": []string{"oots-admins"}}},
		}
	})
	n := writeServeNet(t, wssec.AS4v20, "", nil, fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:%d}\n", apiPort))
	cfg := n.configs["AP_FR_01"]
	writeSecret(t, filepath.Join(filepath.Dir(cfg), "oidc.secret"), []byte(oidcop.ClientSecret+"\n"))
	appendConfig(t, cfg, fmt.Sprintf(`console:
  enabled: true
  oidc:
    name: Example SSO
    issuer: %s
    clientId: %s
    clientSecretFile: oidc.secret
    redirectURL: %s/console/oidc/callback
    roles:
      administrator: [oots-admins]
      operator: [oots-operators]
      auditor: [oots-auditors]
`, op.Issuer, oidcop.ClientID, admin))
	n.startInProcess(t, "AP_FR_01")

	link := regexp.MustCompile(`<a class="button" id="oidc-login" href="([^"]+)">Log in with Example SSO</a>`)
	// login logs the staff member in from the login page's link and
	// returns the browser and the last answer.
	login := func(name string) (*http.Client, int, string) {
		t.Helper()
		c := oidcop.Browser(t)
		page := getBody(t, c, admin+"/console/login?next="+url.QueryEscape("/console/messages"))
		m := link.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no link to the provider on the login page:\n%s", page)
		}
		resp, body := oidcop.LogIn(t, c, admin+strings.ReplaceAll(m[1], "&amp;", "&"), name, "eidas2")
		return c, resp.StatusCode, string(body)
	}
	status := func(c *http.Client, u string) int {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	olivia, st, body := login("olivia")
	if st != http.StatusOK || !strings.Contains(body, `content="0;url=/console/messages"`) {
		t.Fatalf("olivia's login: HTTP %d, want the page that moves on to /console/messages:\n%s", st, body)
	}
	if page := getBody(t, olivia, admin+"/console/messages"); !strings.Contains(page, `<span class="who">oidc:olivia (operator)</span>`) {
		t.Fatalf("the messages page does not show olivia as an operator:\n%s", page)
	}
	if st := status(olivia, admin+"/console/pmode"); st != http.StatusForbidden {
		t.Errorf("the P-Mode download, an administrator's, by an operator: HTTP %d", st)
	}

	ada, st, _ := login("ada")
	if st != http.StatusOK {
		t.Fatalf("ada's login: HTTP %d", st)
	}
	audit := getBody(t, ada, admin+"/console/audit?action=login")
	if !strings.Contains(audit, "oidc:olivia") || !strings.Contains(audit, "ok (oidc, sub olivia)") {
		t.Errorf("the audit trail lacks olivia's login:\n%s", audit)
	}

	nina, st, body := login("nina")
	if st != http.StatusForbidden || !strings.Contains(body, "gives no role on this console") {
		t.Errorf("nina, whose groups give no role: HTTP %d\n%s", st, body)
	}
	if resp, err := nina.Get(admin + "/console/messages"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if !strings.HasSuffix(resp.Request.URL.Path, "/console/login") {
			t.Errorf("after a refused login, the messages page ends at %s, not the login page", resp.Request.URL)
		}
	}
	if audit := getBody(t, ada, admin+"/console/audit?action=login"); !strings.Contains(audit, "denied (oidc): no role") {
		t.Errorf("the audit trail lacks nina's refusal:\n%s", audit)
	}
}

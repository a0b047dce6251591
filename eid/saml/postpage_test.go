package saml

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestPostPagePolicy: the page of the HTTP-POST binding carries its own
// Content-Security-Policy, in place of the application's (which allows no
// inline script), letting exactly the page's one inline script run, by its
// hash, and nothing else load; the page has no other script (no event
// handler attribute), and the script comes after the form it sends. A
// browser under the policy so sends the AuthnRequest by itself, as
// Chromium witnesses in cmd/oots TestServeSAMLJourneyBrowser.
func TestPostPagePolicy(t *testing.T) {
	a := newTestSP(t, nil)
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'") // the application's
	a.Begin(rec, httptest.NewRequest("GET", testBase+"/login?eid=BE", nil), "app-state", "/login/callback")
	res := rec.Result()
	body := rec.Body.String()
	if res.StatusCode != 200 || !strings.Contains(body, `name="SAMLRequest"`) {
		t.Fatalf("Begin: %s\n%s", res.Status, body)
	}
	csps := res.Header.Values("Content-Security-Policy")
	if len(csps) != 1 {
		t.Fatalf("Content-Security-Policy %q, want the page's own policy alone", csps)
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(body, -1)
	if len(scripts) != 1 || strings.Count(body, "<script") != 1 {
		t.Fatalf("want one inline script, found %d:\n%s", len(scripts), body)
	}
	h := sha256.Sum256([]byte(scripts[0][1]))
	want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "';"
	if csp := csps[0]; !strings.HasPrefix(csp, "default-src 'none'; ") || !strings.Contains(csp, want) || strings.Count(csp, "script-src") != 1 {
		t.Errorf("Content-Security-Policy %q, want default-src 'none' and only the page's script (%s)", csp, want)
	}
	if !strings.Contains(scripts[0][1], "submit()") || strings.Index(body, "</form>") > strings.Index(body, "<script>") {
		t.Errorf("the script does not send the form that precedes it:\n%s", body)
	}
	if m := regexp.MustCompile(`<[^>]*\son[a-z]+=`).FindString(body); m != "" {
		t.Errorf("an event handler attribute, which the policy does not let run: %s", m)
	}
}

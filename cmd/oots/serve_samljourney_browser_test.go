package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/samlidp"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/internal/webdriver"
	"github.com/oots-go/oots/journal"
)

// TestServeSAMLJourneyBrowser is the journey of TestServeSAMLJourney with a
// real browser as the citizen's, headless Chromium (internal/webdriver),
// where that test posts the forms itself: the browser witnesses what a
// browser does with the node's pages and cookies. The eIDAS node, pysaml2,
// is another site (127.0.0.2) than the preview space (127.0.0.1), as a
// member state's node is, so that its answer comes to our assertion
// consumer service by a cross-site POST, which carries none of the preview
// space's SameSite=Lax cookies: the ACS answers it with a redirect, and
// the login is finished on the GET that follows, where they are sent.
//
// Chromium opens the preview link and follows its login link; the
// preview space's page sends the signed AuthnRequest to the node by
// itself; the citizen fills in the node's login form; the node's page
// posts the response back by itself; the browser lands on the evidence
// with its decision form. A second browser profile, with fresh cookies
// and the same link, sees the start page, not the evidence, the document
// or a decision it could take. The citizen approves, the browser is sent
// back to the portal, and the requester gets the evidence.
func TestServeSAMLJourneyBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes, the Common Services, a Python eIDAS node and Chromium")
	}
	// Each of these skips the test, or fails it under
	// OOTS_REQUIRE_VERIFIERS=1, when Chromium, pysaml2 or xmlsec1 is
	// missing. The portal, where the preview space sends the citizen
	// back, is not looked up.
	marie := webdriver.StartWith(t, webdriver.Options{AcceptInsecureCerts: true,
		Args: []string{"--host-resolver-rules=MAP portal.de.example ~NOTFOUND"}})
	stranger := webdriver.StartWith(t, webdriver.Options{AcceptInsecureCerts: true})
	// Pages and the waits for them get 15 s, not the default 5: Chromium
	// is slow on a loaded machine.
	marie.Timeout, stranger.Timeout = 15*time.Second, 15*time.Second
	env := startSAMLJourney(t, samlCrossSiteIdP(t))

	j, r := env.journey(t)
	link, _ := url.Parse(r.Exchange.PreviewURL)
	page := env.PreviewBase + link.Path

	// The preview link: the start page and its login link, then the
	// node's login form, reached without a click.
	marie.Get(r.Exchange.PreviewURL)
	if h := marie.Find("h1").Text(); h != "Preview your evidence" {
		t.Fatalf("the preview link shows %q, want the start page", h)
	}
	marie.Find(`a[href*="/login"]`).ClickAway()
	samlBrowserAt(t, marie, env.IdP.SSO, "the node's login form, sent to it by the preview space's page")
	marie.Find("#user").SendKeys("marie")
	marie.Find("#password").SendKeys("pw")
	marie.Find("#submit").ClickAway()

	// The node's page posts the response to the ACS by itself; the
	// callback; the evidence.
	samlBrowserAt(t, marie, page, "the evidence, after the node's answer")
	if h := marie.Find("h1").Text(); h != "Your evidence" {
		t.Fatalf("after the login, %s shows %q, want the evidence:\n%s", marie.URL(), h, samlBrowserText(marie))
	}
	if text := samlBrowserText(marie); !strings.Contains(text, env.Who.FamilyName) || !strings.Contains(text, "Certificate of birth") {
		t.Errorf("the evidence page does not show Marie's certificate of birth:\n%s", text)
	}
	// The login's state cookie is spent; the viewer cookie is the
	// preview space's own (HttpOnly, Secure, SameSite=Lax).
	if c, ok := marie.Cookie("oots_preview_login"); ok {
		t.Errorf("the login's state cookie is still set: %+v", c)
	}
	if c, ok := marie.Cookie("oots_preview_view"); !ok || !c.HTTPOnly || !c.Secure || c.SameSite != "Lax" {
		t.Errorf("viewer cookie %+v (set: %v), want HttpOnly, Secure, SameSite=Lax", c, ok)
	}
	csrf := marie.Find(`input[name="csrf"]`).Attr("value")

	// Another browser profile with the same link: the start page, no
	// evidence; the document not served; a decision with Marie's form
	// token refused, Marie's decision still to take.
	stranger.Get(r.Exchange.PreviewURL)
	if h := stranger.Find("h1").Text(); h != "Preview your evidence" {
		t.Errorf("a browser that did not log in sees %q at the preview link, want the start page", h)
	}
	if text := samlBrowserText(stranger); strings.Contains(text, env.Who.FamilyName) || len(stranger.FindAll(`button.approve, input[name="csrf"]`)) != 0 {
		t.Errorf("a browser that did not log in sees the evidence or its decision form:\n%s", text)
	}
	stranger.Get(page + "/file/1")
	var kind string
	stranger.Execute(`return document.contentType`, &kind)
	if h := stranger.Find("h1").Text(); kind != "text/html" || h != "Unknown preview link" {
		t.Errorf("a browser that did not log in is served the document: %s %q", kind, h)
	}
	stranger.Get(r.Exchange.PreviewURL)
	stranger.Execute(`const f = document.createElement("form"); f.method = "post"; f.action = arguments[0];
		for (const [k, v] of [["csrf", arguments[1]], ["decision", "refuse"]]) {
			const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.append(i);
		}
		document.body.append(f); f.submit();`, nil, page+"/decide", csrf)
	samlBrowserAt(t, stranger, page+"/decide", "the answer to the decision")
	if h := stranger.Find("h1").Text(); h != "Something went wrong" {
		t.Errorf("a browser that did not log in, deciding with Marie's form token, is answered %q", h)
	}

	// Marie approves; the browser goes back to the portal; the
	// requester has the register's PDF.
	marie.Find("button.approve").ClickAway()
	samlBrowserAt(t, marie, "https://portal.de.example/return?journey="+j.ID, "the portal, after the approval")
	r = env.delivered(t, j, env.Doc)
	if n := env.Reg.Others.Load(); n != 0 {
		t.Errorf("the register was asked %d times for someone else", n)
	}
	fr := samlJourneyJournal(t, "fr", r.Exchange.ID, journal.OutcomeOK)
	find(t, fr, journal.EventPreviewShown)
	find(t, fr, journal.EventPreviewApproved)
	for _, e := range fr {
		if e.Event == journal.EventPreviewRefused {
			t.Errorf("FR journaled %s", e.Event)
		}
	}
}

// samlCrossSiteIdP prepares the pysaml2 eIDAS node of the browser journey
// on 127.0.0.2, another loopback address than the preview space's: a site
// is a scheme and a host (HTML Standard, "site"; an IP address is its own
// host), and the node's is then another than the preview space's whatever
// a browser makes of the schemes, http and https.
func samlCrossSiteIdP(t *testing.T) *samlidp.IdP {
	t.Helper()
	testenv.Python(t, "saml2")
	testenv.Tool(t, "xmlsec1")
	idp, err := samlidp.Prepare(t.TempDir(), "127.0.0.2", 0)
	if err != nil {
		if testenv.Required() {
			t.Fatalf("the eIDAS node on 127.0.0.2: %v", err)
		}
		t.Skipf("the eIDAS node cannot listen on 127.0.0.2 (a second loopback address): %v", err)
	}
	return idp
}

// samlBrowserAt waits for b to be at a page whose URL begins with prefix,
// and fails the test, naming what was awaited and showing the page, when
// it is not within ten seconds.
func samlBrowserAt(t *testing.T, b *webdriver.Browser, prefix, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(b.URL(), prefix); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("want %s (%s…); the browser stays at %s, %q:\n%s", what, prefix, b.URL(), b.Title(), samlBrowserText(b))
		}
	}
}

// samlBrowserText is the text of b's page.
func samlBrowserText(b *webdriver.Browser) string {
	var s string
	b.Execute(`return document.body ? document.body.innerText : ""`, &s)
	return s
}

package demonet_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/webdriver"
)

// user is a person who goes through the journey in the browser.
type user struct {
	t    *testing.T
	b    *webdriver.Browser
	n    *demonet.Network
	shot atomic.Int32
	dir  string
}

func newUser(t *testing.T, n *demonet.Network) *user {
	b := webdriver.StartWith(t, webdriver.Options{AcceptInsecureCerts: true})
	b.Timeout = 15 * time.Second
	dir := os.Getenv("OOTS_E2E_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &user{t: t, b: b, n: n, dir: dir}
}

// page records the current page: a screenshot kept as a test artifact
// (OOTS_E2E_SCREENSHOTS names the folder) and the accessibility check.
func (u *user) page(name string) string {
	u.t.Helper()
	i := u.shot.Add(1)
	u.b.Screenshot(filepath.Join(u.dir, fmt.Sprintf("%02d-%s.png", i, name)))
	if problems := u.b.CheckA11y(); len(problems) > 0 {
		u.t.Errorf("%s (%s): accessibility: %v", name, u.b.URL(), problems)
	}
	return u.text()
}

// text is the text of the page's main element, read in one script call so
// that a page refreshing itself cannot make it stale.
func (u *user) text() string {
	var s string
	u.b.Execute(`const m = document.querySelector("main"); return m ? m.innerText : ""`, &s)
	return s
}

func (u *user) expect(name, want string) string {
	u.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(u.text(), want) {
			break
		}
	}
	text := u.page(name)
	if !strings.Contains(text, want) {
		u.t.Fatalf("%s: page %s does not say %q:\n%s", name, u.b.URL(), want, text)
	}
	return text
}

// start opens the portal of node, chooses the procedure and the evidence
// country, and logs in at the identity provider of the user's country.
func (u *user) start(portal *demonet.Node, procedure, country string, who idp.User, company bool) {
	u.t.Helper()
	u.b.Get(portal.PortalURL + "/")
	u.page("portal-home")
	u.b.Execute(`document.getElementById("procedure").value=arguments[0]; document.getElementById("country").value=arguments[1];`, nil, procedure, country)
	u.b.Find("form[action='/start'] button").ClickAway()
	u.login("portal", who, company)
}

// login answers the country choice and, when it asks, the identity
// provider's page; it reports whether the provider asked. Within the
// provider's session (demonet.IdPSession) it sends the browser straight
// back to the application without asking.
func (u *user) login(at string, who idp.User, company bool) (asked bool) {
	u.t.Helper()
	u.b.Find("a[href*='eid=" + who.Country + "']")
	u.page(at + "-eid-country")
	choice := u.b.URL()
	u.b.Find("a[href*='eid=" + who.Country + "']").ClickAway()
	// Either state, whichever comes: the provider's login page, or a page
	// of the application that is not the country choice.
	idpURL := u.n.Node(who.Country).IdPURL
	u.b.WaitFor(func() bool {
		if _, err := u.b.Lookup("#pin"); err == nil {
			asked = true
			return true
		}
		now := u.b.URL()
		return now != choice && !strings.HasPrefix(now, idpURL)
	}, u.b.Timeout)
	if !asked {
		return false
	}
	companyName := ""
	if company {
		companyName = who.Represents[0].LegalPerson.LegalName
	}
	var ok bool
	u.b.Execute(`for (const r of document.querySelectorAll("input[name=account]")) {
		const label = document.querySelector("label[for='" + r.id + "']").textContent;
		const details = document.getElementById(r.getAttribute("aria-describedby")).textContent;
		if (details.includes(arguments[0]) && (arguments[1] === "" ? !label.includes("acting for") : label.includes(arguments[1]))) { r.checked = true; return true }
	} return false`, &ok, who.Local, companyName)
	if !ok {
		u.t.Fatalf("no account %s (company %v) on the login page", who.Local, company)
	}
	u.b.Find("#pin").SendKeys(who.PIN)
	u.page(at + "-eid-login")
	u.b.Find("button[value=login]").ClickAway()
	return true
}

// logout ends the browser's session at the identity provider of country
// and checks the confirmation: the next login there asks again.
func (u *user) logout(country string) {
	u.t.Helper()
	u.b.Get(u.n.Node(country).IdPURL + idp.PathLogout)
	u.expect("eid-logged-out", "no longer remembers your login")
}

// request gives the explicit request for the requirement on the page.
func (u *user) request() {
	u.t.Helper()
	u.expect("explicit-request", "I request the evidence")
	u.b.Find("input[name=explicit]").Click()
	u.b.Find("input[name=explicit]").Submit()
}

// openPreview waits for the portal's preview link, follows it and logs in
// at the provider as who; it returns the URL of the journey page it left
// and whether the identity provider asked for the login.
func (u *user) openPreview(who idp.User, company bool) (journey string, asked bool) {
	u.t.Helper()
	u.expect("portal-preview-link", "Go to the preview")
	journey = u.b.URL()
	u.b.Find("a[href*='/preview/']").ClickAway()
	u.expect("preview-start", "Log in to see the evidence")
	u.b.Find("a[href*='/login']").ClickAway()
	return journey, u.login("preview", who, company)
}

// preview follows the preview link, logs in at the provider, and approves
// or refuses; it returns the text of the preview page.
func (u *user) preview(who idp.User, company, approve bool) string {
	u.t.Helper()
	u.openPreview(who, company)
	return u.decide(approve)
}

// decide approves or refuses the evidence the preview shows; it returns
// the text of the preview page.
func (u *user) decide(approve bool) string {
	u.t.Helper()
	u.b.Find("button[value=approve]") // the evidence, not a page before it
	text := u.expect("preview-evidence", "Approve")
	if approve {
		u.b.Find("button[value=approve]").ClickAway()
	} else {
		u.b.Find("button[value=refuse]").ClickAway()
	}
	return text
}

// answer answers the DSD's question on the page with value.
func (u *user) answer(value string) {
	u.t.Helper()
	u.expect("portal-dsd-question", "Continue")
	var ok bool
	u.b.Execute(`for (const s of document.querySelectorAll("main select")) {
		for (const o of s.options) if (o.value === arguments[0]) { s.value = o.value; return true }
	} return false`, &ok, value)
	if !ok {
		u.t.Fatalf("no question with the answer %q on %s:\n%s", value, u.b.URL(), u.b.PageSource())
	}
	u.page("portal-dsd-answered")
	u.b.Find("main select").Submit()
}

// chooseProvider picks the provider whose label contains name.
func (u *user) chooseProvider(name string) {
	u.t.Helper()
	u.expect("portal-choose-provider", name)
	var ok bool
	u.b.Execute(`for (const r of document.querySelectorAll("input[name=provider]")) {
		if (document.querySelector("label[for='" + r.id + "']").textContent.includes(arguments[0])) { r.checked = true; return true }
	} return false`, &ok, name)
	if !ok {
		u.t.Fatalf("no provider %q on %s", name, u.b.URL())
	}
	u.b.Find("input[name=provider]").Submit()
}

// submit submits the procedure and returns the confirmation page.
func (u *user) submit() string {
	u.t.Helper()
	u.expect("portal-evidence", "Check and submit the procedure")
	u.b.Find("a[href$='/submit']").ClickAway()
	u.expect("portal-summary", "Submit")
	u.b.Find("main form button[type=submit]").ClickAway()
	return u.expect("portal-submitted", "reference")
}

// await waits, without reloading, until the page says want: the journey
// page updates itself while an answer is expected.
func (u *user) await(name, want string, within time.Duration) string {
	u.t.Helper()
	u.b.WaitFor(func() bool { return strings.Contains(u.text(), want) }, within)
	return u.expect(name, want)
}

// support returns the "details for support" of the page's failed
// requirements (closed by default, so not in its visible text).
func (u *user) support() string {
	var s string
	u.b.Execute(`return Array.from(document.querySelectorAll("details.support")).map(d => d.textContent).join("\n")`, &s)
	return s
}

// status returns the text of the journey page's live status region.
func (u *user) status() string {
	var s string
	u.b.Execute(`const e = document.getElementById("journey-status"); return e ? e.innerText : ""`, &s)
	return s
}

// noWaitingBeside fails the test when the journey page, in a final state,
// still says it waits.
func (u *user) noWaitingBeside(state string) {
	u.t.Helper()
	if s := u.status(); strings.Contains(s, "waiting") {
		u.t.Errorf("%s: the status says %q", state, s)
	}
}

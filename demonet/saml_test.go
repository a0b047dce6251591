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
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/samlidp"
	"github.com/oots-go/oots/internal/testenv"
)

// startSAMLNet starts a network of DE and FR whose French eIDs log in at an
// eIDAS-like node (pysaml2 on loopback, by HTTP-Redirect, its metadata
// fetched and verified), and that node with the metadata of every portal
// and preview space; who is its one account.
func startSAMLNet(t *testing.T, who idp.User) (*demonet.Network, *samlidp.IdP) {
	node := samlidp.New(t)
	node.Accounts = map[string]samlidp.Account{who.Local: {Password: "pw", LoA: "http://eidas.europa.eu/LoA/substantial", Attributes: map[string]string{
		"PersonIdentifier": "FR/DE/" + who.Local, "FamilyName": who.Person.FamilyName, "FirstName": who.Person.GivenName, "DateOfBirth": who.Person.DateOfBirth,
	}}}
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, T1: time.Minute, T2: time.Minute, T3: time.Minute,
		SAML: map[string]saml.Node{"FR": {EntityID: node.EntityID, MetadataURL: node.EntityID, Anchor: node.Cert, Binding: saml.Redirect}}})
	var mds [][]byte
	for _, nd := range n.Nodes {
		for _, base := range []string{nd.PortalURL, nd.PreviewURL} {
			resp, err := n.Client().Get(base + saml.MetadataPath)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("metadata of %s: HTTP %d", base, resp.StatusCode)
			}
			mds = append(mds, b)
		}
	}
	node.Start(t, mds...)
	return n, node
}

var samlForm = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)".*?</form>`)
var samlInput = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)

// TestSAMLLogin: a French citizen logs in at the German portal through the
// eIDAS-like node, with an HTTP client; the portal shows them logged in.
func TestSAMLLogin(t *testing.T) {
	testenv.SkipShort(t, "a demo network and a Python SAML identity provider (seconds)")
	who := demo.Users("FR")[0]
	n, node := startSAMLNet(t, who)
	c := *n.Client()
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	resp, err := c.Get(n.Node("DE").PortalURL + "/login?eid=FR")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), node.SSORedirect) {
		t.Fatalf("the portal's login for FR went to %s, not to the eIDAS node", resp.Request.URL)
	}
	post := func(page []byte, set url.Values) []byte {
		t.Helper()
		m := samlForm.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no form: %.500s", page)
		}
		v := url.Values{}
		for _, in := range samlInput.FindAllSubmatch(m[0], -1) {
			v.Set(string(in[1]), strings.ReplaceAll(string(in[2]), "&#x2B;", "+"))
		}
		for k := range set {
			v.Set(k, set.Get(k))
		}
		resp, err := c.PostForm(strings.ReplaceAll(string(m[1]), "&amp;", "&"), v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	page = post(page, url.Values{"user": {who.Local}, "password": {"pw"}})
	page = post(page, nil)
	if !strings.Contains(string(page), who.Person.FamilyName) {
		t.Fatalf("after the login the portal does not show the citizen: %.800s", page)
	}
}

// TestSAMLJourney: a French citizen whose eID goes through an eIDAS node
// (pysaml2) asks the German portal for evidence from France, logs in again
// at the French preview space through the same node, and sees and approves
// the evidence, in headless Chromium.
func TestSAMLJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journey")
	}
	who := demo.Users("FR")[0]
	n, _ := startSAMLNet(t, who)
	u := newUser(t, n)
	u.b.Get(n.Node("DE").PortalURL + "/")
	u.page("portal-home")
	u.b.Execute(`document.getElementById("procedure").value=arguments[0]; document.getElementById("country").value=arguments[1];`, nil, "R1", "FR")
	u.b.Find("form[action='/start'] button").ClickAway()
	u.loginSAML("portal", who)
	u.request()
	u.expect("portal-preview-link", "Go to the preview")
	u.b.Find("a[href*='/preview/']").ClickAway()
	u.expect("preview-start", "Log in to see the evidence")
	u.b.Find("a[href*='/login']").ClickAway()
	u.loginSAML("preview", who)
	seen := u.expect("preview-evidence", "Approve")
	if !strings.Contains(seen, who.Person.FamilyName) || !strings.Contains(seen, who.Person.DateOfBirth) {
		t.Errorf("the preview does not show the subject's evidence:\n%s", seen)
	}
	u.b.Find("button[value=approve]").ClickAway()
	if text := u.submit(); !strings.Contains(text, "DE-") {
		t.Errorf("no reference number:\n%s", text)
	}
}

// loginSAML answers the country choice with France and logs in as who at
// the eIDAS node's form.
func (u *user) loginSAML(at string, who idp.User) {
	u.t.Helper()
	u.b.Find("a[href*='eid=FR']")
	u.page(at + "-eid-country")
	u.b.Find("a[href*='eid=FR']").ClickAway()
	u.b.Find("input[name=user]")
	u.b.Execute(`document.querySelector("input[name=user]").value = arguments[0];
		document.querySelector("input[name=password]").value = "pw";`, nil, who.Local)
	u.b.Find("#submit").Click()
}

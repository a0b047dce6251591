package portal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/webdriver"
)

// TestBrowser drives a journey in headless Chromium with the demo identity
// providers of two countries (so the login begins with the choice of the
// eID's country): log in, the steps of T2, the explicit request, waiting,
// the preview link, the evidence, submission; with the accessibility
// checks of each page. PORTAL_SCREENSHOTS=dir keeps a screenshot of each.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	b := webdriver.Start(t)
	// Pages and the waits for them get 15 s, not the default 5: Chromium
	// is slow on a loaded machine.
	b.Timeout = 15 * time.Second
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	var portalURL string
	e := newEnv(t, "FR", func(c *Config) {
		portalURL = c.BaseURL
		trusted := map[string]idp.Trusted{}
		for _, cc := range []string{"DE", "FI"} {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
			t.Cleanup(srv.Close)
			prov, err := idp.New(idp.Config{Country: cc, Issuer: srv.URL, Key: key, Users: demo.Users(cc), Logger: quiet,
				Clients: map[string]idp.Registration{"portal-fr": {Name: c.Name, RedirectURIs: []string{c.BaseURL + "/login/callback"}, Country: "FR"}}})
			if err != nil {
				t.Fatal(err)
			}
			h = prov
			trusted[cc] = idp.Trusted{Issuer: srv.URL, Key: prov.PublicKey()}
		}
		client, err := idp.NewClient(idp.ClientConfig{ClientID: "portal-fr", Providers: trusted, Name: c.Name, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		c.Authenticator = client
	})
	shots := os.Getenv("PORTAL_SCREENSHOTS")
	check := func(name string) {
		t.Helper()
		if faults := b.CheckA11y(); len(faults) > 0 {
			t.Errorf("%s: accessibility faults: %q", name, faults)
		}
		if shots != "" {
			b.Screenshot(filepath.Join(shots, name+".png"))
		}
	}

	b.Get(portalURL + "/?lang=fr")
	if h := b.Find("h1").Text(); h != "Effectuer une démarche en ligne" {
		t.Errorf("home heading %q", h)
	}
	check("1-home")
	b.Find(`#procedure option[value="T2"]`).Click()
	b.Find(`#country option[value="DE"]`).Click()
	b.Find(`form[action="/start"] button`).Click()

	// The identity provider: the country of the eID, then the login.
	b.Find(`a[href*="eid=DE"]`).Click()
	user := demo.Users("DE")[0]
	b.Find(`label[for="account"]`).Click()
	b.Find("#pin").SendKeys(user.PIN)
	b.Find(`button[value="login"]`).Click()

	b.WaitFor(func() bool { return strings.Contains(b.URL(), "/journeys/") }, b.Timeout)
	if got := b.Find(".user strong").Text(); got != user.Person.GivenName+" "+user.Person.FamilyName {
		t.Errorf("logged in as %q, want %s", got, user.Name())
	}
	jid := strings.TrimPrefix(b.URL()[strings.Index(b.URL(), "/journeys/"):], "/journeys/")
	check("2-evidence-type")
	if st := e.svc.starts[0]; st.Subject.Person.Identifier != "DE/FR/"+user.Local {
		t.Errorf("subject %+v", st.Subject.Person)
	}

	b.Find(`label[for="r0-et0"]`).Click()
	b.Find(`#req-0 button`).Click()
	b.Find(`label[for="r0-p1"]`).Click()
	check("3-provider")
	b.Find(`#req-0 button`).Click()
	b.Find(`label[for="r0-consent"]`)
	b.Find(`#r1-q0 option[value="true"]`).Click()
	b.Find(`#req-1 button`).Click()
	b.Find(`label[for="r1-consent"]`)

	// Without the box: the error, nothing sent.
	b.Find(`#req-0 form[action$="/request"] button`).Click()
	if a := b.Find(`#req-0 .alert`).Text(); !strings.Contains(a, "cochez la case") {
		t.Errorf("alert %q", a)
	}
	check("4-explicit-request-error")
	if n := e.svc.requestCount(); n != 0 {
		t.Fatalf("%d requests without the explicit request", n)
	}
	b.Find(`label[for="r0-consent"]`).Click()
	b.Find(`#req-0 form[action$="/request"] button`).Click()
	b.WaitFor(func() bool { return e.svc.requestCount() == 1 }, b.Timeout)
	if n := len(b.FindAll(`meta[http-equiv="refresh"]`)); n != 0 {
		t.Errorf("the waiting page reloads itself (%d meta refresh)", n)
	}
	b.Find(`#journey-status[role="status"][data-poll$="/status"]`)
	check("5-waiting")

	// While the answer is pending the user ticks the other requirement's
	// box: the page's live updates leave it ticked.
	b.Find(`label[for="r1-consent"]`).Click()
	ticked := func() bool {
		var on bool
		b.Execute(`const c = document.getElementById("r1-consent"); return c !== null && c.checked`, &on)
		return on
	}
	if !ticked() {
		t.Fatal("the box of the second requirement is not ticked after a click")
	}

	// The preview link; the test's "preview space" is the portal's return
	// page, as a provider would send the user back.
	e.svc.preview(jid, 0, portalURL+"/return?journey="+jid+"&requirement=0")
	b.WaitFor(func() bool { _, err := b.Lookup(`#req-0 a.button`); return err == nil }, b.Timeout)
	if !ticked() {
		t.Error("the live update unticked the box of the second requirement")
	}
	check("6-preview")
	e.svc.returned(jid, 0)
	b.Find(`#req-0 a.button`).Click()
	b.WaitFor(func() bool { return strings.HasSuffix(strings.Split(b.URL(), "#")[0], "/return") }, b.Timeout)
	if got := b.Find(`#journey-status`).Text(); !strings.Contains(got, "Bon retour") {
		t.Errorf("status back from the preview: %q", got)
	}
	b.Find(`label[for="r1-consent"]`).Click()
	e.svc.deliver(jid, 0, "Abiturzeugnis", []byte("%PDF-1.7"))
	// The page updates itself until the evidence is there, and the box
	// ticked meanwhile stays ticked.
	b.WaitFor(func() bool { _, err := b.Lookup(`#req-0 table`); return err == nil }, b.Timeout)
	if !ticked() {
		t.Error("the live update unticked the box of the second requirement")
	}
	if got := b.Find(`#journey-status`).Text(); strings.Contains(got, "Bon retour") || strings.Contains(got, "attendons") {
		t.Errorf("a waiting message beside the evidence: %q", got)
	}
	check("7-evidence")

	b.Find(`#req-1 form[action$="/request"] button`).Click()
	b.WaitFor(func() bool { return e.svc.requestCount() == 2 }, b.Timeout)
	e.svc.fail(jid, 1, "EDM:ERR:0004", "")
	b.WaitFor(func() bool { _, err := b.Lookup(`#req-1 form[action$="/skip"]`); return err == nil }, b.Timeout)
	check("8-failed")
	b.Find(`#req-1 form[action$="/skip"] button`).Click()
	b.Find(`a[href$="/submit"]`).Click()
	check("9-summary")
	b.Find(`form[action$="/submit"] button`).Click()
	ref := b.Find(".ref").Text()
	if !strings.HasPrefix(ref, "FR-2026-") && !strings.HasPrefix(ref, "FR-") {
		t.Errorf("reference %q", ref)
	}
	check("10-submitted")

	// The session cookie is HttpOnly and SameSite=Lax in the browser too.
	c, ok := b.Cookie(cookieSession)
	if !ok || !c.HTTPOnly || c.SameSite != "Lax" {
		t.Errorf("session cookie %+v", c)
	}
}

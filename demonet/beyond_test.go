package demonet_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/provider"
)

// brokenRegister is a data service that breaks the structured birth records
// of one person (a date of birth that is no xsd:date), as a faulty register
// would.
type brokenRegister struct {
	provider.DataService
	familyName string
}

var dateOfBirth = regexp.MustCompile(`<DateOfBirth>[^<]*</DateOfBirth>`)

func (b *brokenRegister) Find(ctx context.Context, q provider.Query) (*provider.Result, error) {
	res, err := b.DataService.Find(ctx, q)
	if err != nil || q.Subject.Person == nil || q.Subject.Person.FamilyName != b.familyName {
		return res, err
	}
	for i := range res.Matches {
		for j, d := range res.Matches[i].Documents {
			if d.Format == "application/xml" {
				d.Content = dateOfBirth.ReplaceAll(d.Content, []byte("<DateOfBirth>31.12.1999</DateOfBirth>"))
				res.Matches[i].Documents[j] = d
			}
		}
	}
	return res, nil
}

// previewConsent follows the preview link, logs in at the provider, gives
// the consent to background exchanges and approves; it returns the text of
// the preview page.
func (u *user) previewConsent(who idp.User) string {
	u.t.Helper()
	u.openPreview(who, false)
	text := u.expect("preview-evidence", "Approve")
	u.b.Find("input[name=consent]").Click()
	u.page("preview-consent-ticked")
	u.b.Find("button[value=approve]").Click()
	return text
}

// as keeps the screenshots of u apart from those of the test's other
// users, in a folder with suffix.
func (u *user) as(suffix string) *user {
	u.t.Helper()
	u.dir += "_" + suffix
	if err := os.MkdirAll(u.dir, 0o755); err != nil {
		u.t.Fatal(err)
	}
	return u
}

// has reports whether the page has an element matching css, without
// waiting.
func (u *user) has(css string) bool {
	var ok bool
	u.b.Execute(`return document.querySelector(arguments[0]) !== null`, &ok, css)
	return ok
}

// fillForm opens the pre-filled application form from the summary, checks
// the pre-filled values, corrects field to value and submits; it returns
// the confirmation page.
func (u *user) fillForm(want map[string]string, field, value string) string {
	u.t.Helper()
	u.expect("portal-evidence", "Check and submit the procedure")
	u.b.Find("a[href$='/submit']").Click()
	u.expect("portal-summary", "pre-filled from your evidence")
	u.b.Find("a[href$='/form']").Click()
	u.expect("portal-form", "We have filled in this form with the data of your evidence")
	for name, v := range want {
		if got := u.b.Find("input[name=" + name + "]").Attr("value"); got != v {
			u.t.Errorf("form field %s pre-filled with %q, want %q", name, got, v)
		}
	}
	in := u.b.Find("input[name=" + field + "]")
	in.Clear()
	in.SendKeys(value)
	u.page("portal-form-corrected")
	u.b.Find("main form button[type=submit]").Click()
	return u.expect("portal-submitted", "reference")
}

// withdraw logs in at the consents page of a provider's preview space and
// withdraws the only valid consent.
func (u *user) withdraw(at *demonet.Node, who idp.User) {
	u.t.Helper()
	u.b.Get(at.PreviewURL + provider.ConsentsPath)
	u.expect("consents-start", "Log in")
	u.b.Find("a[href*='/consents/login']").Click()
	u.login("consents", who, false)
	text := u.expect("consents", "Consents to exchanges without preview")
	if !strings.Contains(text, "your consent") {
		u.t.Errorf("the provider's page does not show the evidence sent under the consent:\n%s", text)
	}
	u.b.Find("form[action='/consents/withdraw'] button").Click()
	text = u.expect("consents-withdrawn", "The consent has been withdrawn.")
	if !strings.Contains(text, "withdrawn on") {
		u.t.Errorf("the consent is not listed as withdrawn:\n%s", text)
	}
}

// dataUseJSON fetches the JSON export of the portal's data-use view with
// the browser's session.
func (u *user) dataUseJSON(portal *demonet.Node) []map[string]any {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodGet, portal.PortalURL+"/my-data?format=json", nil)
	if err != nil {
		u.t.Fatal(err)
	}
	for _, c := range u.b.Cookies() {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := u.n.Client().Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		u.t.Fatalf("JSON export: HTTP %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var out struct {
		Exchanges []map[string]any `json:"exchanges"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		u.t.Fatalf("JSON export: %v: %s", err, b)
	}
	return out.Exchanges
}

// bases counts the exchanges of a data-use export by basis.
func bases(uses []map[string]any) map[string]int {
	out := map[string]int{}
	for _, u := range uses {
		s, _ := u["basis"].(string)
		out[s]++
	}
	return out
}

// TestBeyondOnceOnly drives the extension of docs/beyond-once-only.md in
// headless Chromium: consent at the preview, a background exchange without
// preview that pre-fills the application form, the data-use view and its
// export, the withdrawal of the consent and the fall-back to the preview, a
// standard-profile node (SE) answering a consent-enabled requester, and
// structured evidence that does not match its data model. Afterwards every
// message the network exchanged is checked with the rules of its version.
func TestBeyondOnceOnly(t *testing.T) {
	t.Parallel() // waits for timeouts most of the time; runs beside the other long tests
	if testing.Short() {
		t.Skip("browser journeys")
	}
	frPeople, sePeople := idp.DemoUsers("FR"), idp.DemoUsers("SE")
	broken := frPeople[2]
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR", "SE"}, T1: time.Minute, T2: time.Minute, T3: time.Minute,
		DataService: func(cc string, ds provider.DataService) provider.DataService {
			if cc == "FR" {
				return &brokenRegister{DataService: ds, familyName: broken.Person.FamilyName}
			}
			return ds
		}})
	de, fr := n.Node("DE"), n.Node("FR")

	t.Run("beyond", func(t *testing.T) {
		t.Run("consent", func(t *testing.T) {
			t.Parallel()
			who := frPeople[0]
			p := who.Person

			// 1. The first request of R1 is a background request, but
			// France holds no consent: the preview, where the user
			// consents.
			u := newUser(t, n)
			u.start(de, "R1", "FR", who, false)
			u.request()
			seen := u.previewConsent(who)
			if !strings.Contains(seen, p.FamilyName) || !strings.Contains(seen, "without this preview") {
				t.Errorf("the preview does not show the evidence and the consent offer:\n%s", seen)
			}
			u.submit()

			// 2. A second R1 journey at the same portal, in another
			// browser: the evidence arrives without a preview and
			// pre-fills the form, which the user corrects.
			u2 := newUser(t, n).as("background")
			u2.start(de, "R1", "FR", who, false)
			u2.request()
			u2.expect("portal-background-done", "Check and submit the procedure")
			if u2.has("a[href*='/preview/']") {
				t.Error("the background exchange under a consent shows a preview link")
			}
			text := u2.fillForm(map[string]string{"family_name": p.FamilyName, "given_name": p.GivenName, "date_of_birth": p.DateOfBirth},
				"place_of_birth", "Corrected Place")
			if !strings.Contains(text, "Corrected Place") || !strings.Contains(text, "corrected by you") {
				t.Errorf("the confirmation does not show the corrected value:\n%s", text)
			}

			// 3. The data-use view shows both exchanges, one on the
			// preview, one on the consent, and so does its export.
			u2.b.Get(de.PortalURL + "/my-data")
			text = u2.expect("portal-data-use", "How your data was used")
			if !strings.Contains(text, "your approval at the preview") || !strings.Contains(text, "your consent at the evidence provider") {
				t.Errorf("the data-use view does not show both exchanges with their basis:\n%s", text)
			}
			uses := u2.dataUseJSON(de)
			if b := bases(uses); b["preview"] != 1 || b["consent"] != 1 {
				t.Errorf("JSON export: bases %v, want one preview and one consent: %v", b, uses)
			}

			// 4. The consent withdrawn at the provider: the next
			// background request falls back to the preview.
			u2.withdraw(fr, who)
			u3 := newUser(t, n).as("withdrawn")
			u3.start(de, "R1", "FR", who, false)
			u3.request()
			if seen := u3.preview(who, false, true); !strings.Contains(seen, p.FamilyName) {
				t.Errorf("the preview after the withdrawal does not show the evidence:\n%s", seen)
			}
			u3.submit()
			if b := bases(u3.dataUseJSON(de)); b["preview"] != 2 || b["consent"] != 1 {
				t.Errorf("JSON export after the withdrawal: bases %v, want 2 preview and 1 consent", b)
			}
		})
		t.Run("standard-node", func(t *testing.T) {
			t.Parallel()
			who := sePeople[0]
			u := newUser(t, n)
			u.start(de, "R1", "SE", who, false)
			u.request()
			u.openPreview(who, false)
			seen := u.expect("preview-evidence", "Approve")
			if u.has("input[name=consent]") {
				t.Error("the standard-profile node offers a consent")
			}
			if !strings.Contains(seen, who.Person.FamilyName) {
				t.Errorf("the preview does not show the subject's evidence:\n%s", seen)
			}
			u.b.Find("button[value=approve]").Click()
			u.submit()
		})
		t.Run("broken-evidence", func(t *testing.T) {
			t.Parallel()
			u := newUser(t, n)
			u.start(de, "R1", "FR", broken, false)
			u.request()
			text := u.expect("portal-broken-evidence", "EDM:ERR:0008")
			if !strings.Contains(text, "DateOfBirth") || strings.Contains(text, "31.12.1999") {
				t.Errorf("the refusal does not name the wrong field, or shows its value:\n%s", text)
			}
		})
	})

	kinds := checkExchanged(t, n)
	t.Logf("messages checked: %v", kinds)
}

// TestBeyondExpiredConsent: a consent past its validity is not relied on;
// the background request falls back to the preview.
func TestBeyondExpiredConsent(t *testing.T) {
	t.Parallel() // waits for timeouts most of the time; runs beside the other long tests
	if testing.Short() {
		t.Skip("browser journeys")
	}
	const validity = 20 * time.Second
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, ConsentValidity: validity})
	de, fr := n.Node("DE"), n.Node("FR")
	who := idp.DemoUsers("FR")[1]

	u := newUser(t, n)
	u.start(de, "R1", "FR", who, false)
	u.request()
	u.previewConsent(who)
	given := time.Now()
	u.submit()

	time.Sleep(time.Until(given.Add(validity + time.Second)))
	u2 := newUser(t, n).as("expired")
	u2.b.Get(fr.PreviewURL + provider.ConsentsPath)
	u2.b.Find("a[href*='/consents/login']").Click()
	u2.login("consents", who, false)
	if text := u2.expect("consents", "Consents to exchanges without preview"); !strings.Contains(text, "expired") {
		t.Errorf("the consent is not shown as expired:\n%s", text)
	}
	u2.start(de, "R1", "FR", who, false)
	u2.request()
	u2.preview(who, false, true)
	u2.submit()
	if b := bases(u2.dataUseJSON(de)); b["preview"] != 2 || b["consent"] != 0 {
		t.Errorf("JSON export: bases %v, want 2 preview", b)
	}
	checkExchanged(t, n)
}

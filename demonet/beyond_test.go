package demonet_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
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
	u.b.Find("button[value=approve]").ClickAway()
	return text
}

// previewConsentFor follows the preview link and logs in at the provider;
// when the consent form offers procedure also besides the journey's own
// (ticked, the only one ticked), it gives the consent for both; it
// approves and returns the text of the preview page and whether it gave
// the consent.
func (u *user) previewConsentFor(who idp.User, current, also string) (string, bool) {
	u.t.Helper()
	u.openPreview(who, false)
	text := u.expect("preview-evidence", "Approve")
	if !u.has("input[name=procedure][value='" + also + "']") {
		u.b.Find("button[value=approve]").ClickAway()
		return text, false
	}
	var ticked string
	u.b.Execute(`return Array.from(document.querySelectorAll("input[name=procedure]:checked")).map(e => e.value).join(" ")`, &ticked)
	if ticked != current {
		u.t.Errorf("the consent form ticks %q, want the journey's procedure %s alone", ticked, current)
	}
	u.b.Find("input[name=consent]").Click()
	u.b.Find("input[name=procedure][value='" + also + "']").Click()
	u.page("preview-consent-ticked")
	u.b.Find("button[value=approve]").ClickAway()
	return text, true
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
	u.b.Find("a[href$='/submit']").ClickAway()
	u.expect("portal-summary", "pre-filled from your evidence")
	u.b.Find("a[href$='/form']").ClickAway()
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
	u.b.Find("main form button[type=submit]").ClickAway()
	return u.expect("portal-submitted", "reference")
}

// withdraw logs in at the consents page of a provider's preview space and
// withdraws the only valid consent; it returns the page before the
// withdrawal and the evidence sent about the user as the page's JSON export
// lists it.
func (u *user) withdraw(at *demonet.Node, who idp.User) (string, []map[string]any) {
	u.t.Helper()
	u.b.Get(at.PreviewURL + provider.ConsentsPath)
	u.expect("consents-start", "Log in")
	u.b.Find("a[href*='/consents/login']").ClickAway()
	u.login("consents", who, false)
	before := u.expect("consents", "Consents to exchanges without preview")
	if !strings.Contains(before, "your consent") {
		u.t.Errorf("the provider's page does not show the evidence sent under the consent:\n%s", before)
	}
	var export struct {
		Disclosures []map[string]any `json:"disclosures"`
	}
	u.getJSON(at.PreviewURL+provider.ConsentsPath+"?format=json", &export)
	u.b.Find("form[action='/consents/withdraw'] button").ClickAway()
	u.expect("consents-withdraw-confirm", "Withdraw your consent?")
	u.b.Find("form[action='/consents/withdraw'] input[name=confirm]").Submit()
	text := u.expect("consents-withdrawn", "The consent has been withdrawn.")
	if !strings.Contains(text, "withdrawn on") {
		u.t.Errorf("the consent is not listed as withdrawn:\n%s", text)
	}
	return before, export.Disclosures
}

// getJSON fetches a JSON document with the cookies the browser holds for
// the page it shows (same host) and decodes it into v.
func (u *user) getJSON(url string, v any) {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
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
		u.t.Fatalf("%s: HTTP %d %s: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		u.t.Fatalf("%s: %v: %s", url, err, b)
	}
}

// formats returns the MIME types of "title (format)" entries, sorted.
func formats(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		if i := strings.LastIndex(s, "("); i >= 0 && strings.HasSuffix(s, ")") {
			out = append(out, s[i+1:len(s)-1])
		}
	}
	slices.Sort(out)
	return out
}

// sameDocuments checks that the portal's data-use export (received) and
// the provider's record of the evidence sent (documents) list the same
// formats for each journey (ebMS conversation) that both know.
func sameDocuments(t *testing.T, uses, disclosures []map[string]any) {
	t.Helper()
	received, sent := map[string][]string{}, map[string][]string{}
	for _, u := range uses {
		j, _ := u["journey"].(string)
		received[j] = append(received[j], formats(u["received"])...)
	}
	for _, d := range disclosures {
		c, _ := d["conversation"].(string)
		sent[c] = append(sent[c], formats(d["documents"])...)
	}
	compared := 0
	for c, s := range sent {
		r, ok := received[c]
		if !ok {
			continue
		}
		slices.Sort(r)
		slices.Sort(s)
		if compared++; !slices.Equal(r, s) {
			t.Errorf("journey %s: the provider lists %v as sent, the portal %v as received", c, s, r)
		}
	}
	if compared == 0 {
		t.Errorf("no journey in both the portal's export %v and the provider's %v", uses, disclosures)
	}
}

// dataUseJSON fetches the JSON export of the portal's data-use view with
// the browser's session.
func (u *user) dataUseJSON(portal *demonet.Node) []map[string]any {
	u.t.Helper()
	var out struct {
		Exchanges []map[string]any `json:"exchanges"`
	}
	u.getJSON(portal.PortalURL+"/my-data?format=json", &out)
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
// headless Chromium: consent at a preview of one procedure (T2) for a
// second procedure too (R1), a background exchange of that second
// procedure without preview that pre-fills the application form, the
// data-use view and its export, the withdrawal of the consent and the
// fall-back to the preview; the same in EDM 2.0 with Finland (structured
// evidence as MainEvidence, its PDF as HumanReadableVersion); a
// standard-profile node (SE) answering a consent-enabled requester; and
// structured evidence that does not match its data model. Both sides list
// the same documents as exchanged. Afterwards every message the network
// exchanged is checked with the rules of its version (1.0 and 2.0).
func TestBeyondOnceOnly(t *testing.T) {
	t.Parallel() // long (headless browsers, mostly): runs beside the other long tests
	if testing.Short() {
		t.Skip("browser journeys")
	}
	frPeople, fiPeople, sePeople := demo.Users("FR"), demo.Users("FI"), demo.Users("SE")
	broken := frPeople[2]
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR", "FI", "SE"}, T1: time.Minute, T2: time.Minute, T3: time.Minute,
		DataService: func(cc string, ds provider.DataService) provider.DataService {
			if cc == "FR" {
				return &brokenRegister{DataService: ds, familyName: broken.Person.FamilyName}
			}
			return ds
		}})
	de, fr, fi := n.Node("DE"), n.Node("FR"), n.Node("FI")

	t.Run("beyond", func(t *testing.T) {
		t.Run("consent", func(t *testing.T) {
			t.Parallel()
			who := frPeople[0]
			p := who.Person

			// 1. Procedure T2 needs a diploma and a proof of birth; its
			// first requests are background requests, but France holds
			// no consent: a preview each. At the birth record's the
			// consent form offers T2 (ticked) and R1; the user consents
			// for both.
			u := newUser(t, n)
			u.start(de, "T2", "FR", who, false)
			consented := 0
			for range 2 {
				u.request()
				seen, gave := u.previewConsentFor(who, "T2", "R1")
				if gave {
					consented++
					if !strings.Contains(seen, p.FamilyName) || !strings.Contains(seen, "without this preview") {
						t.Errorf("the preview does not show the evidence and the consent offer:\n%s", seen)
					}
				}
			}
			if consented != 1 {
				t.Fatalf("the consent for R1 was offered at %d previews of T2, want one (the birth record's)", consented)
			}
			u.submit()

			// 2. A journey of the second procedure, R1, at the same
			// portal in another browser: the birth record arrives
			// without a preview and pre-fills the form, which the user
			// corrects.
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

			// 3. The data-use view shows the exchanges of both
			// procedures, those of T2 on the preview, that of R1 on the
			// consent, and so does its export.
			u2.b.Get(de.PortalURL + "/my-data")
			text = u2.expect("portal-data-use", "How your data was used")
			if !strings.Contains(text, "your approval at the preview") || !strings.Contains(text, "your consent at the evidence provider") {
				t.Errorf("the data-use view does not show both exchanges with their basis:\n%s", text)
			}
			uses := u2.dataUseJSON(de)
			if b := bases(uses); b["preview"] != 2 || b["consent"] != 1 {
				t.Errorf("JSON export: bases %v, want two preview (T2) and one consent (R1): %v", b, uses)
			}
			for _, use := range uses {
				basis, _ := use["basis"].(string)
				if want := map[string]string{"preview": "T2", "consent": "R1"}[basis]; use["procedure"] != want {
					t.Errorf("JSON export: exchange on %v for procedure %v, want %s", use["basis"], use["procedure"], want)
				}
			}

			// 4. The consent withdrawn at the provider, whose page lists
			// it for both procedures and the same documents as the
			// portal: the next background request falls back to the
			// preview.
			before, sent := u2.withdraw(fr, who)
			if !strings.Contains(before, "R1, T2") {
				t.Errorf("the provider's page does not list the consent's procedures:\n%s", before)
			}
			sameDocuments(t, uses, sent)
			u3 := newUser(t, n).as("withdrawn")
			u3.start(de, "R1", "FR", who, false)
			u3.request()
			if seen := u3.preview(who, false, true); !strings.Contains(seen, p.FamilyName) {
				t.Errorf("the preview after the withdrawal does not show the evidence:\n%s", seen)
			}
			u3.submit()
			if b := bases(u3.dataUseJSON(de)); b["preview"] != 3 || b["consent"] != 1 {
				t.Errorf("JSON export after the withdrawal: bases %v, want 3 preview and 1 consent", b)
			}
		})
		t.Run("edm-2.0", func(t *testing.T) {
			t.Parallel()
			who := fiPeople[0]
			p := who.Person

			// Finland speaks EDM 2.0 (its DSD entry): R1 with a preview,
			// where the user consents, then R1 again pre-filled without
			// a preview.
			u := newUser(t, n)
			u.start(de, "R1", "FI", who, false)
			u.request()
			if seen := u.previewConsent(who); !strings.Contains(seen, p.FamilyName) {
				t.Errorf("the 2.0 preview does not show the evidence:\n%s", seen)
			}
			u.submit()
			u2 := newUser(t, n).as("background")
			u2.start(de, "R1", "FI", who, false)
			u2.request()
			u2.fillForm(map[string]string{"family_name": p.FamilyName, "given_name": p.GivenName, "date_of_birth": p.DateOfBirth},
				"place_of_birth", "Espoo")
			uses := u2.dataUseJSON(de)
			if b := bases(uses); b["preview"] != 1 || b["consent"] != 1 {
				t.Errorf("JSON export: bases %v, want one preview and one consent: %v", b, uses)
			}
			for _, use := range uses {
				if f := formats(use["received"]); !slices.Equal(f, []string{"application/pdf", "application/xml"}) {
					t.Errorf("received %v, want the structured evidence and its human-readable version", use["received"])
				}
			}
			_, sent := u2.withdraw(fi, who)
			sameDocuments(t, uses, sent)

			// Every answer of Finland with evidence is a 2.0 package:
			// the XML as MainEvidence, the PDF as HumanReadableVersion.
			answers := 0
			for id, doc := range exchanged(t, n) {
				m, _, err := edm.ParseBytes(doc)
				r, ok := m.(*edm.QueryResponse)
				if err != nil || !ok || len(r.EvidenceProvider) == 0 || !strings.HasPrefix(r.EvidenceProvider[0].Identifier.Value, "FI-") {
					continue
				}
				answers++
				if r.Version() != edm.V2_0 || len(r.Packages) != 1 || len(r.Packages[0].Evidence) != 2 ||
					r.Packages[0].Evidence[0].Role() != edm.RoleMainEvidence || r.Packages[0].Evidence[1].Role() != edm.RoleHumanReadableVersion ||
					r.Packages[0].Evidence[0].Metadata.Distribution[0].Format != "application/xml" ||
					r.Packages[0].Evidence[1].Metadata.Distribution[0].Format != "application/pdf" {
					t.Errorf("%s: Finland's answer is not a 2.0 package of the XML and its PDF: %s", id, doc)
				}
			}
			if answers != 2 {
				t.Errorf("%d evidence answers of Finland, want 2", answers)
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
			u.b.Find("button[value=approve]").ClickAway()
			u.submit()
		})
		t.Run("broken-evidence", func(t *testing.T) {
			t.Parallel()
			u := newUser(t, n)
			u.start(de, "R1", "FR", broken, false)
			u.request()
			text := u.expect("portal-broken-evidence", "technical problem")
			if s := u.support(); !strings.Contains(s, "EDM:ERR:0008") || !strings.Contains(s, "DateOfBirth") || strings.Contains(text+s, "31.12.1999") {
				t.Errorf("the details for support do not name the wrong field, or the page shows its value:\n%s\n%s", text, s)
			}
			u.noWaitingBeside("error")
		})
	})

	kinds := checkExchanged(t, n)
	t.Logf("messages checked: %v", kinds)
	for _, k := range []string{"EDM-REQ oots-edm:v1.0", "EDM-RESP oots-edm:v1.0", "EDM-ERR oots-edm:v1.0",
		"EDM-REQ oots-edm:v2.0", "EDM-RESP oots-edm:v2.0", "EDM-ERR oots-edm:v2.0"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the exchanged messages", k)
		}
	}
}

// TestBeyondExpiredConsent: a consent past its validity is not relied on;
// the background request falls back to the preview.
func TestBeyondExpiredConsent(t *testing.T) {
	t.Parallel() // long (headless browsers, mostly): runs beside the other long tests
	if testing.Short() {
		t.Skip("browser journeys")
	}
	const validity = 20 * time.Second
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, ConsentValidity: validity})
	de, fr := n.Node("DE"), n.Node("FR")
	who := demo.Users("FR")[1]

	u := newUser(t, n)
	u.start(de, "R1", "FR", who, false)
	u.request()
	u.previewConsent(who)
	given := time.Now()
	u.submit()

	time.Sleep(time.Until(given.Add(validity + time.Second)))
	u2 := newUser(t, n).as("expired")
	u2.b.Get(fr.PreviewURL + provider.ConsentsPath)
	u2.b.Find("a[href*='/consents/login']").ClickAway()
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

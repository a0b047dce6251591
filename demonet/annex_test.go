package demonet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/provider"
)

// fetched is what the browser got for a link of the page it is on: the
// status, the media type and the first bytes.
type fetched struct {
	Href   string `json:"href"`
	Status int    `json:"status"`
	Type   string `json:"type"`
	Start  string `json:"start"`
}

// fetchAll fetches, from the current page and with its cookies, every link
// matched by css.
func (u *user) fetchAll(css string) []fetched {
	u.t.Helper()
	var out []fetched
	u.b.Execute(`return Promise.all(Array.from(document.querySelectorAll(arguments[0])).map(a =>
		fetch(a.href, {credentials: "same-origin"}).then(r => r.text().then(t => ({href: a.getAttribute("href"), status: r.status,
			type: r.headers.get("content-type"), start: t.slice(0, 5)})))))`, &out, css)
	return out
}

// TestSupplementaryDocuments walks, in headless Chromium, a journey whose
// evidence comes with an annex and a translation: procedure S1 at the
// German portal, which asks for annexes and translations, for a Finnish
// certificate of residence (Finland speaks EDM 2.0; its certificate is in
// Finnish, with an annex and translations into English and Swedish). The
// preview lists every document the answer will carry (the certificate, its
// annex, its English translation: the language of the user), each
// viewable; the portal shows every document received, labelled by its
// role, each downloadable. The answer is a 2.0 package of the three,
// joined by associations typed after their roles, and every message of the
// exchange passes our rules of its version.
func TestSupplementaryDocuments(t *testing.T) {
	t.Parallel() // waits for the network most of the time; runs beside the other long tests
	if testing.Short() {
		t.Skip("browser journey")
	}
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FI"}, T1: time.Minute, T2: time.Minute, T3: time.Minute})
	de := n.Node("DE")
	who := demo.Users("FI")[0]
	u := newUser(t, n)
	u.start(de, "S1", "FI", who, false)
	u.request()
	journey, _ := u.openPreview(who, false)
	seen := u.expect("preview-every-document", "Approve")
	var roles []string
	u.b.Execute(`return Array.from(document.querySelectorAll("section[data-role]")).map(s => s.dataset.role)`, &roles)
	want := []string{edm.RoleMainEvidence, edm.RoleAnnex, edm.RoleTranslation}
	if !slices.Equal(roles, want) || !strings.Contains(seen, "Annex to document 1") || !strings.Contains(seen, "Translation of document 1") ||
		!strings.Contains(seen, "Certificate of residence (translation)") || strings.Contains(seen, "Intyg om bosättning") {
		t.Fatalf("the preview lists %v, want %v:\n%s", roles, want, seen)
	}
	var objects int
	u.b.Execute(`return document.querySelectorAll("section[data-role] object[type='application/pdf']").length`, &objects)
	if objects != len(want) {
		t.Errorf("%d documents shown in the page, want %d", objects, len(want))
	}
	files := u.fetchAll("section[data-role] > p > a[href*='/file/']")
	if len(files) != len(want) {
		t.Fatalf("the preview links %d files, want %d: %+v", len(files), len(want), files)
	}
	for _, f := range files {
		if f.Status != 200 || f.Type != "application/pdf" || f.Start != "%PDF-" {
			t.Errorf("preview file %+v", f)
		}
	}
	u.b.Find("button[value=approve]").ClickAway()
	// Back at the portal: by the ReturnLocation, or, when the approval came
	// before the second request reached the provider, by hand.
	u.b.WaitFor(func() bool {
		t := u.text()
		return strings.Contains(t, "Welcome back") || strings.Contains(t, "Check and submit") || strings.Contains(t, "recorded")
	}, 30*time.Second)
	if strings.Contains(u.text(), "recorded") {
		u.b.Get(journey)
	}
	text := u.expect("portal-every-document", "Check and submit the procedure")
	var rows [][]string
	u.b.Execute(`return Array.from(document.querySelectorAll("tr[data-role]")).map(r => [r.dataset.role, r.cells[1].textContent])`, &rows)
	wantRows := [][]string{{edm.RoleMainEvidence, "Evidence"}, {edm.RoleAnnex, "Annex to Asuinpaikkatodistus"}, {edm.RoleTranslation, "Translation of Asuinpaikkatodistus"}}
	if !slices.EqualFunc(rows, wantRows, slices.Equal) {
		t.Fatalf("the portal lists %q, want %q:\n%s", rows, wantRows, text)
	}
	got := u.fetchAll("tr[data-role] a[href*='/evidence/']")
	if len(got) != len(want) {
		t.Fatalf("the portal links %d files, want %d", len(got), len(want))
	}
	for _, f := range got {
		if f.Status != 200 || f.Type != "application/pdf" || f.Start != "%PDF-" {
			t.Errorf("portal file %+v", f)
		}
	}
	u.submit()

	// The answer as exchanged: one package of the three documents, each
	// supplementary one the source of an association to the main one,
	// typed after its role.
	answers := 0
	for id, doc := range exchanged(t, n) {
		m, _, err := edm.ParseBytes(doc)
		r, ok := m.(*edm.QueryResponse)
		if err != nil || !ok {
			continue
		}
		answers++
		if len(r.Packages) != 1 || len(r.Packages[0].Evidence) != 3 || len(r.Packages[0].Associations) != 2 {
			t.Fatalf("%s: not a package of three documents: %s", id, doc)
		}
		p := r.Packages[0]
		main := p.Evidence[0]
		for i, o := range p.Evidence[1:] {
			a := p.Associations[i]
			typ := map[string]string{edm.RoleAnnex: provider.AssociationAnnex, edm.RoleTranslation: provider.AssociationTranslation}[o.Role()]
			if a.SourceObject != o.ID || a.TargetObject != main.ID || a.AssociationType != typ {
				t.Errorf("%s: association %+v of %s", id, a, o.Role())
			}
		}
	}
	if answers != 1 {
		t.Errorf("%d evidence answers, want 1", answers)
	}
	kinds := checkExchanged(t, n)
	if kinds["EDM-RESP oots-edm:v2.0"] != 1 || kinds["EDM-REQ oots-edm:v2.0"] != 2 {
		t.Errorf("messages exchanged: %v", kinds)
	}
}

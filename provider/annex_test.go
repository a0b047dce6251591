package provider_test

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/provider"
)

// withSupplements gives every PDF document of the register an annex and
// translations into French and Swedish.
func withSupplements(e *env) {
	for i := range e.records.People {
		for k, docs := range e.records.People[i].Evidence {
			for j, d := range docs {
				if d.Format != "application/pdf" {
					continue
				}
				d.Annexes = []provider.Document{{ID: d.ID + "-annex", Title: "Annex: register extract", Format: "application/pdf",
					Content: pdf.Text("Annex", []string{"register extract"})}}
				d.Translations = []provider.Document{
					{ID: d.ID + "-fr", Title: "Acte de naissance", Language: "FR", Format: "application/pdf", Content: pdf.Text("Acte de naissance", []string{"traduction"})},
					{ID: d.ID + "-sv", Title: "Födelsebevis", Language: "SV", Format: "application/pdf", Content: pdf.Text("Födelsebevis", []string{"översättning"})},
				}
				e.records.People[i].Evidence[k][j] = d
			}
		}
	}
}

// packageOf returns the single package of an answer and its attachments by
// cid: reference.
func packageOf(t *testing.T, m *exchange.Message) (*edm.Package, map[string]exchange.Attachment) {
	t.Helper()
	if m.Response == nil || len(m.Response.Packages) != 1 {
		t.Fatalf("answer %+v", m)
	}
	parts := map[string]exchange.Attachment{}
	for _, a := range m.Attachments {
		parts["cid:"+a.ContentID] = a
	}
	return m.Response.Packages[0], parts
}

func roles(p *edm.Package) []string {
	var out []string
	for _, o := range p.Evidence {
		out = append(out, o.Role())
	}
	return out
}

// TestSupplementaryDocuments: a 2.0 request asking for the annexes and the
// French translation gets one package with the main evidence, its annex
// and its French translation (not the Swedish one, not asked for), each its
// own payload, each joined to the main evidence by an association typed
// after its role from the supplementary document to the main one (the
// official 2.0.1 R-EDM-RESP-S052 to S061), with metadata of its identifier
// and distribution alone (R-EDM-RESP-S063). Documents not asked for are not
// sent.
func TestSupplementaryDocuments(t *testing.T) {
	e := newEnv(t, "", withoutPreview)
	withSupplements(e)
	cases := []struct {
		name      string
		v         edm.Version
		da        edm.Distribution
		roles     []string
		languages []string
	}{
		{"annex and French translation", edm.V2_0, edm.Distribution{Format: "application/pdf", Language: []string{"FR"},
			AssociatedDocumentRequest: []string{edm.RoleAnnex, edm.RoleTranslation}},
			[]string{edm.RoleMainEvidence, edm.RoleAnnex, edm.RoleTranslation}, []string{"FR"}},
		{"every translation when no language is asked", edm.V2_0, edm.Distribution{Format: "application/pdf",
			AssociatedDocumentRequest: []string{edm.RoleTranslation}},
			[]string{edm.RoleMainEvidence, edm.RoleTranslation, edm.RoleTranslation}, []string{"FR", "SV"}},
		{"annex only", edm.V2_0, edm.Distribution{Format: "application/pdf", AssociatedDocumentRequest: []string{edm.RoleAnnex}},
			[]string{edm.RoleMainEvidence, edm.RoleAnnex}, nil},
		{"nothing asked", edm.V2_0, edm.Distribution{Format: "application/pdf"}, []string{edm.RoleMainEvidence}, nil},
		{"a translation into a language there is none of", edm.V2_0, edm.Distribution{Format: "application/pdf", Language: []string{"IT"},
			AssociatedDocumentRequest: []string{edm.RoleTranslation}}, []string{edm.RoleMainEvidence}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(e.send.all())
			q := e.request(tc.v, berlin, user(t, anna))
			q.EvidenceRequest.DistributedAs = []edm.Distribution{tc.da}
			e.deliver(e.message(q, "c-"+newUUID(), newUUID()))
			as := e.answers(n) // checked with our rules of 2.0
			if len(as) != 1 {
				t.Fatalf("%d answers", len(as))
			}
			p, parts := packageOf(t, as[0])
			if got := roles(p); !slices.Equal(got, tc.roles) {
				t.Fatalf("roles %v, want %v", got, tc.roles)
			}
			if len(as[0].Attachments) != len(tc.roles) {
				t.Errorf("%d attachments for %d documents", len(as[0].Attachments), len(tc.roles))
			}
			main := p.Evidence[0]
			if len(p.Associations) != len(p.Evidence)-1 {
				t.Fatalf("%d associations for %d supplementary documents", len(p.Associations), len(p.Evidence)-1)
			}
			var langs []string
			for i, o := range p.Evidence[1:] {
				a := p.Associations[i]
				want := map[string]string{edm.RoleAnnex: provider.AssociationAnnex, edm.RoleTranslation: provider.AssociationTranslation}[o.Role()]
				if a.AssociationType != want || a.SourceObject != o.ID || a.TargetObject != main.ID {
					t.Errorf("association %s %s → %s, want %s %s → %s", a.AssociationType, a.SourceObject, a.TargetObject, want, o.ID, main.ID)
				}
				md := o.Metadata
				if md.IsAbout != nil || md.IssuingAuthority != nil || md.IsConformantTo != nil || md.IssuingDate != "" || md.ValidityPeriod != nil {
					t.Errorf("%s carries what belongs to the main evidence: %+v", o.Role(), md)
				}
				part, ok := parts[o.RepositoryItemRef.Href]
				if !ok || !strings.HasPrefix(string(part.Data), "%PDF-") || part.MimeType != "application/pdf" {
					t.Errorf("%s: payload %q %q", o.Role(), o.RepositoryItemRef.Href, part.MimeType)
				}
				if o.Role() == edm.RoleTranslation {
					langs = append(langs, md.Distribution[0].Language...)
				}
			}
			if !slices.Equal(langs, tc.languages) {
				t.Errorf("translations into %v, want %v", langs, tc.languages)
			}
		})
	}
	t.Run("1.x has no packages", func(t *testing.T) {
		n := len(e.send.all())
		q := e.request(edm.V1_0, berlin, user(t, anna))
		e.deliver(e.message(q, "c-"+newUUID(), ""))
		as := e.answers(n)
		if len(as) != 1 || as[0].Response == nil || len(as[0].Response.Evidence) != 1 || len(as[0].Attachments) != 1 {
			t.Fatalf("answer %+v", as)
		}
	})
}

// TestSupplementaryTranslationWithoutLanguage: a data service that returns
// a translation without its language is a defect of the register: the
// request is refused, nothing is sent.
func TestSupplementaryTranslationWithoutLanguage(t *testing.T) {
	e := newEnv(t, "", withoutPreview)
	withSupplements(e)
	for i := range e.records.People {
		for k := range e.records.People[i].Evidence {
			for j := range e.records.People[i].Evidence[k] {
				for l := range e.records.People[i].Evidence[k][j].Translations {
					e.records.People[i].Evidence[k][j].Translations[l].Language = ""
				}
			}
		}
	}
	q := e.request(edm.V2_0, berlin, user(t, anna))
	e.deliver(e.message(q, "c", newUUID()))
	as := e.answers(0)
	if len(as) != 1 || as[0].Response != nil {
		t.Fatalf("answer %+v", as)
	}
}

var sectionRE = regexp.MustCompile(`data-role="([A-Za-z]+)"`)

// TestPreviewShowsEverySupplement: the preview lists every document the
// answer will carry (the main evidence, its annex, its translation), each
// viewable, and the answer after the approval carries exactly those, byte
// for byte.
func TestPreviewShowsEverySupplement(t *testing.T) {
	e := newEnv(t, "", nil)
	withSupplements(e)
	u := user(t, anna)
	q := e.request(edm.V2_0, berlin, u)
	q.EvidenceRequest.DistributedAs = []edm.Distribution{{Format: "application/pdf", Language: []string{"FR"},
		AssociatedDocumentRequest: []string{edm.RoleAnnex, edm.RoleTranslation}}}
	xid := newUUID()
	link := e.first(q, "conv-s", xid)
	b := e.browser()
	p := b.loginAndSee(e, link, subject(u, eid.LoASubstantial))
	var got []string
	for _, m := range sectionRE.FindAllStringSubmatch(p.body, -1) {
		got = append(got, m[1])
	}
	want := []string{edm.RoleMainEvidence, edm.RoleAnnex, edm.RoleTranslation}
	if !slices.Equal(got, want) || !strings.Contains(p.body, "Annex to document 1") || !strings.Contains(p.body, "Translation of document 1") {
		t.Fatalf("preview lists %v, want %v\n%s", got, want, p.body)
	}
	token := tokenOf(t, link)
	var shown []string
	for i := range want {
		f := b.get("/preview/" + token + "/file/" + strconv.Itoa(i+1))
		if f.status != http.StatusOK || f.hdr.Get("Content-Type") != "application/pdf" {
			t.Fatalf("file %d: %d %v", i+1, f.status, f.hdr)
		}
		shown = append(shown, f.body)
	}
	if f := b.get("/preview/" + token + "/file/4"); f.status != http.StatusNotFound {
		t.Errorf("a fourth document: %d", f.status)
	}
	b.decide(token, p, "approve")
	n := len(e.send.all())
	// A second request asking for more than was previewed gets what was
	// previewed.
	q2 := second(q, link)
	et := *q2.EvidenceRequest
	et.DistributedAs = []edm.Distribution{{Format: "application/pdf", AssociatedDocumentRequest: []string{edm.RoleAnnex, edm.RoleTranslation}}}
	q2.EvidenceRequest = &et
	e.deliver(e.message(q2, "conv-s", xid))
	as := e.answers(n)
	if len(as) != 1 {
		t.Fatalf("%d answers", len(as))
	}
	pk, parts := packageOf(t, as[0])
	if r := roles(pk); !slices.Equal(r, want) {
		t.Fatalf("sent %v, previewed %v", r, want)
	}
	for i, o := range pk.Evidence {
		if string(parts[o.RepositoryItemRef.Href].Data) != shown[i] {
			t.Errorf("document %d sent is not the one shown", i+1)
		}
	}
}

// TestPreviewShowsHumanReadableVersion: the preview of structured evidence
// asked for with its human-readable version shows both, the PDF too: the
// user approves the PDF that goes with the data.
func TestPreviewShowsHumanReadableVersion(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V2_0, berlin, u)
	q.EvidenceRequest.DistributedAs = []edm.Distribution{{Format: datamodel.MimeXML, ConformsTo: datamodel.BirthRecord().URI,
		AssociatedDocumentRequest: []string{edm.RoleHumanReadableVersion}}}
	xid := newUUID()
	link := e.first(q, "conv-h", xid)
	b := e.browser()
	p := b.loginAndSee(e, link, subject(u, eid.LoASubstantial))
	var got []string
	for _, m := range sectionRE.FindAllStringSubmatch(p.body, -1) {
		got = append(got, m[1])
	}
	if want := []string{edm.RoleMainEvidence, edm.RoleHumanReadableVersion}; !slices.Equal(got, want) || !strings.Contains(p.body, `type="application/pdf"`) {
		t.Fatalf("preview lists %v, want %v\n%s", got, want, p.body)
	}
	token := tokenOf(t, link)
	if f := b.get("/preview/" + token + "/file/2"); f.status != http.StatusOK || f.hdr.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(f.body, "%PDF-") {
		t.Errorf("the human-readable version: %d %v", f.status, f.hdr)
	}
}

package portal

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/requester"
)

// deliverPackage answers requirement i with an EDM 2.0 package: a main
// evidence, its annex and its French translation.
func (s *serviceDouble) deliverPackage(jid string, i int) []requester.Evidence {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, r := s.requirement(jid, i)
	main := fmt.Sprintf("ev-%d-main", i)
	if r.Exchange == nil {
		r.Exchange = &requester.Exchange{}
	}
	r.Exchange.Evidence = []requester.Evidence{
		{ID: main, Title: "Birth certificate", Format: "application/pdf", Issuer: "Registry office", IssuingDate: "2026-11-01", Role: edm.RoleMainEvidence, Language: "DE"},
		{ID: main + "-annex", Title: "Register extract", Format: "application/pdf", Role: edm.RoleAnnex, Of: main},
		{ID: main + "-fr", Title: "Acte de naissance", Format: "application/pdf", Role: edm.RoleTranslation, Language: "FR", Of: main},
	}
	for _, e := range r.Exchange.Evidence {
		s.files[jid+"/"+e.ID] = &requester.File{Name: e.ID + ".pdf", MimeType: "application/pdf", Data: []byte("%PDF-1.7 " + e.ID)}
	}
	r.Exchange.Error = nil
	r.Step = requester.StepDone
	s.updateState(j)
	return r.Exchange.Evidence
}

var roleRowRE = regexp.MustCompile(`<tr data-role="([A-Za-z]+)"><td>([^<]*)</td><td[^>]*>([^<]*)</td>`)

// TestEveryDocumentReceived: a procedure configured to want annexes and
// translations asks for them; the journey page lists every document of the
// received package labelled by its role and the evidence it goes with, and
// each downloads.
func TestEveryDocumentReceived(t *testing.T) {
	e := newEnv(t, "FR", func(c *Config) {
		c.Procedures = demoProcedures(t)
		for i := range c.Procedures {
			if c.Procedures[i].Code == "R1" {
				c.Procedures[i].AssociatedDocuments = []string{edm.RoleAnnex, edm.RoleTranslation}
			}
		}
	})
	e.auth.as(person("1234", "Max", "Mustermann"))
	b := e.browser()
	p := b.start("R1", "DE")
	wantStatus(t, p, http.StatusOK)
	jid := journeyID(t, p)
	if st := e.svc.starts[0]; !slices.Equal(st.AssociatedDocuments, []string{edm.RoleAnnex, edm.RoleTranslation}) {
		t.Errorf("StartRequest.AssociatedDocuments = %v", st.AssociatedDocuments)
	}
	ev := e.svc.deliverPackage(jid, 0)
	p = b.get("/journeys/" + jid)
	var rows [][]string
	for _, m := range roleRowRE.FindAllStringSubmatch(p.body, -1) {
		rows = append(rows, m[1:])
	}
	want := [][]string{
		{edm.RoleMainEvidence, "Birth certificate", "Evidence"},
		{edm.RoleAnnex, "Register extract", "Annex to Birth certificate"},
		{edm.RoleTranslation, "Acte de naissance (FR)", "Translation of Birth certificate"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("rows %q, want %q\n%s", rows, want, p.body)
	}
	for _, x := range ev {
		mustContain(t, p, `href="/journeys/`+jid+`/evidence/`+x.ID+`"`)
		f := b.get("/journeys/" + jid + "/evidence/" + x.ID)
		wantStatus(t, f, http.StatusOK)
		if f.body != "%PDF-1.7 "+x.ID {
			t.Errorf("file %s: %q", x.ID, f.body)
		}
	}
}

// TestAssociatedDocumentsValidate: a procedure asking for a document of no
// EDM role is a configuration error.
func TestAssociatedDocumentsValidate(t *testing.T) {
	e := newEnv(t, "FR", nil)
	c := e.cfg
	c.Procedures = demoProcedures(t)
	c.Procedures[0].AssociatedDocuments = []string{"Appendix"}
	if err := c.Validate(); err == nil {
		t.Fatal("a procedure asking for an Appendix is accepted")
	}
}

package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/requester"
)

// deliverStructured answers a requirement with structured evidence (and
// its PDF), as the connector stores a 2.0 package.
func (s *serviceDouble) deliverStructured(jid string, i int, title, conformsTo string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, r := s.requirement(jid, i)
	r.Exchange.Evidence = []requester.Evidence{
		{ID: fmt.Sprintf("ev-%d-xml", i), Title: title, Format: datamodel.MimeXML, ConformsTo: conformsTo, Issuer: "Registry office",
			IssuingDate: "2026-11-01", Size: int64(len(data)), Role: "MainEvidence"},
		{ID: fmt.Sprintf("ev-%d-pdf", i), Title: title, Format: "application/pdf", Issuer: "Registry office", IssuingDate: "2026-11-01", Size: 8,
			Role: "HumanReadableVersion"},
	}
	r.Exchange.Error = nil
	r.Step = requester.StepDone
	s.files[jid+"/"+r.Exchange.Evidence[0].ID] = &requester.File{Name: "evidence.xml", MimeType: datamodel.MimeXML, Data: data}
	s.files[jid+"/"+r.Exchange.Evidence[1].ID] = &requester.File{Name: "evidence.pdf", MimeType: "application/pdf", Data: []byte("%PDF-1.7")}
	s.updateState(j)
}

// TestPrefill: procedure R1 with a birth record in XML: the summary offers
// the application form, pre-filled from the evidence with the source of
// each value; a missing required value or a wrong date is refused with
// the error in text; the submission keeps what the user corrected.
func TestPrefill(t *testing.T) {
	e := newEnv(t, "FR", nil)
	e.auth.as(person("1234", "Max", "Mustermann"))
	b := e.browser()
	jid := journeyID(t, b.start("R1", "FI"))
	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	doc, err := datamodel.BirthRecord().Encode(datamodel.MimeXML, map[string]string{"Identifier": "b1", "IssuingCountry": "FI",
		"RegistrationNumber": "G-77", "IssueDate": "2024-01-15", "Child/FamilyName": "Mustermann", "Child/GivenName": "Maks",
		"Child/DateOfBirth": "1990-04-12", "Child/PlaceOfBirth": "Turku"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.deliverStructured(jid, 0, "Certificate of birth", datamodel.BirthRecord().Aliases[0], doc)

	p := b.get("/journeys/" + jid + "/submit")
	wantStatus(t, p, http.StatusOK)
	mustContain(t, p, `href="/journeys/`+jid+`/form"`, "pre-filled from your evidence", "Submit the procedure")

	p = b.get("/journeys/" + jid + "/form")
	wantStatus(t, p, http.StatusOK)
	checkPage(t, "form", p.body)
	mustContain(t, p, "Application form", `name="family_name" value="Mustermann"`, `name="given_name" value="Maks"`,
		`name="date_of_birth" value="1990-04-12"`, `name="place_of_birth" value="Turku"`, `name="birth_registration" value="G-77"`,
		"Filled in from: Certificate of birth.", `<label for="f-family_name">`)

	// Errors: stated in text, linked, and the field marked.
	form := url.Values{"family_name": {""}, "given_name": {"Max"}, "date_of_birth": {"12.04.1990"}, "place_of_birth": {"Turku"}, "birth_registration": {"G-77"}}
	p = b.post("/journeys/"+jid+"/form", form)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	checkPage(t, "form with errors", p.body)
	mustContain(t, p, `role="alert"`, "Enter the Family name.", "Date of birth must be a date as YYYY-MM-DD.", `href="#f-family_name"`,
		`aria-invalid="true"`, `value="12.04.1990"`)

	// The user corrects the given name and submits.
	form.Set("family_name", "Mustermann")
	form.Set("date_of_birth", "1990-04-12")
	p = b.post("/journeys/"+jid+"/form", form)
	wantStatus(t, p, http.StatusOK)
	m := regexp.MustCompile(`<strong class="ref">([^<]+)</strong>`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no reference:\n%s", p.body)
	}
	mustContain(t, p, "corrected by you (the evidence said Maks)", "Certificate of birth")
	sub, err := e.portal.Submission(context.Background(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FormValue{}
	for _, v := range sub.Form {
		got[v.Name] = v
	}
	if v := got["given_name"]; v.Value != "Max" || v.Prefilled != "Maks" || !v.Corrected() {
		t.Errorf("given_name %+v", v)
	}
	if v := got["family_name"]; v.Value != "Mustermann" || v.Corrected() || v.Source != "Certificate of birth" {
		t.Errorf("family_name %+v", v)
	}
	// Submitted once: the form leads to the submission.
	if p := b.get("/journeys/" + jid + "/form"); !strings.HasPrefix(p.url.Path, "/submissions/") {
		t.Errorf("form after submission: %s", p.url)
	}
}

// TestPrefillNone: a procedure without a form has no form page; a form
// without structured evidence is empty and says so.
func TestPrefillNone(t *testing.T) {
	e := newEnv(t, "FR", nil)
	e.auth.as(person("1234", "Max", "Mustermann"))
	b := e.browser()
	jid := journeyID(t, b.start("S1", "FI"))
	wantStatus(t, b.get("/journeys/"+jid+"/form"), http.StatusNotFound)

	jid = journeyID(t, b.start("R1", "FI"))
	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	e.svc.deliver(jid, 0, "Certificate of birth", []byte("%PDF-1.7"))
	p := b.get("/journeys/" + jid + "/form")
	wantStatus(t, p, http.StatusOK)
	mustContain(t, p, "holds no structured data", `name="family_name" value=""`)
	mustNotContain(t, p, "Filled in from")
}

// TestFormConfig: a form naming an unknown data model field is refused.
func TestFormConfig(t *testing.T) {
	c := Config{Procedures: []Procedure{{Code: "R1", Titles: map[string]string{"en": "x"}, Form: &Form{Fields: []FormField{
		{Name: "x", Label: map[string]string{"en": "X"}, Sources: []Source{{Model: datamodel.BirthRecord().URI, Path: "Child/Eyes"}}}}}}}}
	err := c.Procedures[0].Form.validate("R1")
	if err == nil || !strings.Contains(err.Error(), "Child/Eyes") {
		t.Errorf("validate: %v", err)
	}
}

// TestPreferStructured: with Config.PreferStructured the portal asks for
// the XML distribution before the request, for a procedure with a form
// whose provider offers it; without it, no format is chosen.
func TestPreferStructured(t *testing.T) {
	for _, prefer := range []bool{false, true} {
		e := newEnv(t, "FR", func(c *Config) { c.PreferStructured = prefer })
		e.auth.as(person("1234", "Max", "Mustermann"))
		b := e.browser()
		jid := journeyID(t, b.start("T2", "FI"))
		b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma},
			"evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
		b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "provider": {"DE-EP-T2"}})
		b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}, "explicit": {"yes"}})
		if n := e.svc.requestCount(); n != 1 {
			t.Fatalf("%d requests", n)
		}
		got := ""
		for _, c := range e.svc.choices {
			if c.Format != "" {
				got = c.Format
			}
		}
		if want := map[bool]string{false: "", true: "application/xml"}[prefer]; got != want {
			t.Errorf("prefer %v: format chosen %q, want %q", prefer, got, want)
		}
	}
}

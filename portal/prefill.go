package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

// Form is the application form of a procedure, which the portal pre-fills
// from the structured evidence of the journey (package datamodel) for the
// user to check and correct before submitting. The mapping from data model
// fields to form fields is declared by each FormField's Sources.
type Form struct {
	Fields []FormField
}

// FormField is one field of a Form.
type FormField struct {
	// Name is the form field's name (lower-case letters, digits, "_").
	Name string
	// Label by language; "en" is required. Without a label in a language
	// the label of the first source's data model field is used, then
	// English.
	Label map[string]string
	// Date: the value must be an xsd:date (YYYY-MM-DD); otherwise text.
	Date bool
	// Required: the form is not accepted without a value.
	Required bool
	// Sources are the data model fields that pre-fill it, the first one
	// found in the journey's evidence winning.
	Sources []Source
}

// Source is a field of a data model: the model's URI (or an alias) and
// the field's path ("Child/FamilyName").
type Source struct {
	Model string
	Path  string
}

var formFieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// validate checks the form of procedure code.
func (f *Form) validate(code string) error {
	seen := map[string]bool{}
	for i, fl := range f.Fields {
		if !formFieldName.MatchString(fl.Name) {
			return fmt.Errorf("procedure %s: form.Fields[%d]: name %q is not lower-case letters, digits and _", code, i, fl.Name)
		}
		if seen[fl.Name] {
			return fmt.Errorf("procedure %s: form: field %s appears twice", code, fl.Name)
		}
		seen[fl.Name] = true
		if fl.Label["en"] == "" {
			return fmt.Errorf("procedure %s: form: field %s has no English label", code, fl.Name)
		}
		for _, s := range fl.Sources {
			m, err := datamodel.Lookup(s.Model)
			if err != nil {
				return fmt.Errorf("procedure %s: form: field %s: %w", code, fl.Name, err)
			}
			if m.Field(s.Path) == nil {
				return fmt.Errorf("procedure %s: form: field %s: %s is not a field of %s", code, fl.Name, s.Path, m.URI)
			}
		}
	}
	return nil
}

func src(m *datamodel.Model, path string) Source { return Source{Model: m.URI, Path: path} }

// demoForms are the application forms of the demo procedures R1 (from the
// birth record) and T2 (from the diploma and the birth record).
func demoForms() map[string]*Form {
	b, d := datamodel.BirthRecord(), datamodel.SecondaryDiploma()
	label := func(en, de, fr, fi, sv string) map[string]string {
		return map[string]string{"en": en, "de": de, "fr": fr, "fi": fi, "sv": sv}
	}
	family := FormField{Name: "family_name", Required: true, Label: label("Family name", "Familienname", "Nom de famille", "Sukunimi", "Efternamn"),
		Sources: []Source{src(b, "Child/FamilyName"), src(d, "Holder/FamilyName")}}
	given := FormField{Name: "given_name", Required: true, Label: label("Given name", "Vorname", "Prénom", "Etunimi", "Förnamn"),
		Sources: []Source{src(b, "Child/GivenName"), src(d, "Holder/GivenName")}}
	born := FormField{Name: "date_of_birth", Date: true, Required: true, Label: label("Date of birth", "Geburtsdatum", "Date de naissance", "Syntymäaika", "Födelsedatum"),
		Sources: []Source{src(b, "Child/DateOfBirth"), src(d, "Holder/DateOfBirth")}}
	return map[string]*Form{
		"R1": {Fields: []FormField{family, given, born,
			{Name: "place_of_birth", Label: label("Place of birth", "Geburtsort", "Lieu de naissance", "Syntymäpaikka", "Födelseort"), Sources: []Source{src(b, "Child/PlaceOfBirth")}},
			{Name: "birth_registration", Label: label("Birth registration number", "Nummer des Geburtseintrags", "Numéro d'acte de naissance", "Syntymän rekisterinumero", "Födelsens registreringsnummer"),
				Sources: []Source{src(b, "RegistrationNumber")}},
		}},
		"T2": {Fields: []FormField{family, given, born,
			{Name: "school", Required: true, Label: label("School", "Schule", "Établissement", "Koulu", "Skola"), Sources: []Source{src(d, "School/Name")}},
			{Name: "qualification", Required: true, Label: label("Qualification", "Abschluss", "Diplôme", "Tutkinto", "Examen"), Sources: []Source{src(d, "Qualification")}},
			{Name: "award_date", Date: true, Label: label("Awarded on", "Verliehen am", "Obtenu le", "Myönnetty", "Utfärdad den"), Sources: []Source{src(d, "AwardDate")}},
			{Name: "final_grade", Label: label("Final grade", "Abschlussnote", "Note finale", "Loppuarvosana", "Slutbetyg"), Sources: []Source{src(d, "FinalGrade")}},
		}},
	}
}

// FormValue is a field of a submitted form: the value the user submitted,
// the value pre-filled from the evidence (if any) and where it came from.
type FormValue struct {
	Name      string `json:"name"`
	Label     string `json:"label"`
	Value     string `json:"value"`
	Prefilled string `json:"prefilled,omitempty"`
	Source    string `json:"source,omitempty"` // the evidence's title
}

// Corrected reports whether the user changed a pre-filled value.
func (v FormValue) Corrected() bool { return v.Source != "" && v.Value != v.Prefilled }

// prefilled is a value read from the evidence.
type prefilled struct{ value, source string }

// prefill reads the structured evidence of the journey (requester.Structured)
// and returns the form's values by field name. Evidence that cannot be
// read is left out (logged): the user fills the field in.
func (p *Portal) prefill(rq *request, j *requester.Journey, f *Form) map[string]prefilled {
	byModel := map[string]map[string]string{} // by the model's URI
	titles := map[string]string{}
	for _, r := range j.Requirements {
		if r.Exchange == nil || r.Step != requester.StepDone {
			continue
		}
		for _, e := range r.Exchange.Evidence {
			m, err := datamodel.Lookup(e.ConformsTo)
			if err != nil || byModel[m.URI] != nil || !datamodel.Structured(e.Format) {
				continue
			}
			file, err := p.cfg.Service.Evidence(rq.r.Context(), j.ID, e.ID)
			if err != nil {
				p.log.Warn("portal: reading structured evidence", logJourney, j.ID, logEvidence, e.ID, logErr, err)
				continue
			}
			vals, err := requester.Structured(e, file)
			if err != nil {
				p.log.Warn("portal: structured evidence not read", logJourney, j.ID, logEvidence, e.ID, logErr, err)
				continue
			}
			byModel[m.URI], titles[m.URI] = vals, e.Title
		}
	}
	out := map[string]prefilled{}
	for _, fl := range f.Fields {
		for _, s := range fl.Sources {
			m, err := datamodel.Lookup(s.Model)
			if err != nil {
				continue
			}
			if v := byModel[m.URI][s.Path]; v != "" {
				out[fl.Name] = prefilled{v, titles[m.URI]}
				break
			}
		}
	}
	return out
}

// formData is the content of the form page.
type formData struct {
	Journey  *journeyData
	Action   string
	Fields   []formFieldView
	Errors   []formFieldView // the fields with an error, for the summary
	Filled   int             // how many fields were pre-filled
	Prefills bool
}

// Summary is the form's error summary (package ui): the fields in error,
// each linked, in lang.
func (f formData) Summary(lang string) ui.ErrorSummary {
	s := ui.ErrorSummary{Lang: lang}
	if len(f.Errors) > 0 {
		s.Intro = translate(lang, "formErrors")
	}
	for _, e := range f.Errors {
		s.Errors = append(s.Errors, ui.FieldError{Field: e.ID, Text: e.Error})
	}
	return s
}

type formFieldView struct {
	Name, ID, Label, Value, Error, ErrorID, HintID, Source string
	Date, Required                                         bool
}

func (fl *FormField) label(lang string) string {
	if l := fl.Label[lang]; l != "" {
		return l
	}
	for _, s := range fl.Sources {
		if m, err := datamodel.Lookup(s.Model); err == nil {
			if f := m.Field(s.Path); f != nil && f.Label[lang] != "" {
				return f.Label[lang]
			}
		}
	}
	return fl.Label["en"]
}

// formFor returns the journey (ready to submit, not submitted) and the
// form of its procedure; errNotFound when the procedure has none.
func (p *Portal) formFor(rq *request) (*requester.Journey, *journeyData, *Form, error) {
	j, d, err := p.ownJourneyView(rq)
	if err != nil {
		return nil, nil, nil, err
	}
	f := p.procedures[j.Procedure].Form
	if f == nil {
		return nil, nil, nil, errNotFound
	}
	return j, d, f, nil
}

// formPage shows the application form pre-filled from the evidence
// (GET /journeys/{id}/form).
func (p *Portal) formPage(rq *request) error {
	j, d, f, err := p.formFor(rq)
	if err != nil {
		return err
	}
	if d.Reference != "" {
		return rq.redirect(d.ReferenceURL)
	}
	if !d.Ready {
		return rq.redirect("/journeys/" + url.PathEscape(d.ID))
	}
	pre := p.prefill(rq, j, f)
	values := map[string]string{}
	for k, v := range pre {
		values[k] = v.value
	}
	p.renderForm(rq, http.StatusOK, d, f, pre, values, nil)
	return nil
}

func (p *Portal) renderForm(rq *request, status int, d *journeyData, f *Form, pre map[string]prefilled, values, errs map[string]string) {
	fd := formData{Journey: d, Action: "/journeys/" + url.PathEscape(d.ID) + "/form"}
	for _, fl := range f.Fields {
		v := formFieldView{Name: fl.Name, ID: "f-" + fl.Name, Label: fl.label(rq.lang), Value: values[fl.Name], Error: errs[fl.Name],
			ErrorID: "f-" + fl.Name + "-error", HintID: "f-" + fl.Name + "-hint", Source: pre[fl.Name].source, Date: fl.Date, Required: fl.Required}
		if v.Source != "" {
			fd.Filled++
		}
		fd.Fields = append(fd.Fields, v)
		if v.Error != "" {
			fd.Errors = append(fd.Errors, v)
		}
	}
	fd.Prefills = fd.Filled > 0
	// The fields in error are listed in the form's error summary
	// (formData.Summary), not in an alert of their own.
	p.render(rq, status, "form", rq.t("formTitle"), fd, "", "")
}

// submitForm checks the form and stores the submission with the values
// the user confirmed or corrected (POST /journeys/{id}/form).
func (p *Portal) submitForm(rq *request) error {
	j, d, f, err := p.formFor(rq)
	if err != nil {
		return err
	}
	if d.Reference != "" {
		return rq.redirect(d.ReferenceURL)
	}
	if !d.Ready {
		return &userError{status: http.StatusConflict, key: "errNotReady"}
	}
	pre := p.prefill(rq, j, f)
	values, errs := map[string]string{}, map[string]string{}
	for _, fl := range f.Fields {
		v := strings.TrimSpace(rq.r.PostForm.Get(fl.Name))
		if len(v) > 500 {
			v = v[:500]
		}
		values[fl.Name] = v
		switch {
		case v == "" && fl.Required:
			errs[fl.Name] = rq.t("formRequired", fl.label(rq.lang))
		case v != "" && fl.Date && !isDate(v):
			errs[fl.Name] = rq.t("formDate", fl.label(rq.lang))
		}
	}
	if len(errs) > 0 {
		p.renderForm(rq, http.StatusUnprocessableEntity, d, f, pre, values, errs)
		return nil
	}
	var form []FormValue
	for _, fl := range f.Fields {
		form = append(form, FormValue{Name: fl.Name, Label: fl.label("en"), Value: values[fl.Name], Prefilled: pre[fl.Name].value, Source: pre[fl.Name].source})
	}
	return p.store(rq, j, d, form)
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == 10
}

// preferStructured chooses a structured format for requirement r before
// its request (Config.PreferStructured), when the procedure has a form and
// the chosen provider offers one; a refusal leaves the default format.
func (p *Portal) preferStructured(rq *request, j *requester.Journey, r *requester.Requirement) {
	if !p.cfg.PreferStructured || p.procedures[j.Procedure].Form == nil {
		return
	}
	for _, pv := range r.Providers {
		if pv.ID != r.ChosenProvider {
			continue
		}
		for _, f := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
			if !slices.Contains(pv.Formats, f) {
				continue
			}
			if _, err := p.cfg.Service.Choose(rq.r.Context(), j.ID, r.ID, requester.Choice{Format: f}); err != nil {
				p.log.Warn("portal: structured format not chosen", logJourney, j.ID, logRequirement, r.ID, logErr, err)
			}
			return
		}
	}
}

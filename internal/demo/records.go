package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/provider"
)

// demoType is an evidence type of the demo data set in one country.
type demoType struct {
	procedure, classification string
	title                     docTitle
}

// docTitle is the title of a demo document as a register of its country
// gives it: in the country's language (local), with the English beside it.
type docTitle struct {
	local, en string
}

// String is the title: "Geburtsurkunde (Certificate of birth)"; the
// English alone where the country's language gives none.
func (t docTitle) String() string {
	switch {
	case t.local == "" || t.local == t.en:
		return t.en
	case t.en == "":
		return t.local
	}
	return t.local + " (" + t.en + ")"
}

// structuredData is "structured data" in the language of each demo
// country, for the titles of the structured versions of a document.
var structuredData = map[string]string{"DE": "strukturierte Daten", "FR": "données structurées", "FI": "rakenteiset tiedot", "SE": "strukturerade data"}

// structured is the title of the structured version of a document titled
// t in country.
func (t docTitle) structured(country string) docTitle {
	s := docTitle{en: t.en + ", structured data"}
	if t.local != "" && t.local != t.en && structuredData[country] != "" {
		s.local = t.local + ", " + structuredData[country]
	}
	return s
}

// languageOf is the language of each demo country, as the data set writes
// it (EDM: ISO 639-1 in capitals).
var languageOf = map[string]string{"DE": "DE", "FR": "FR", "FI": "FI", "SE": "SV"}

// demoTypes reads the evidence types of a country from the demo data set
// of the Common Services, by the procedure their requirement serves first
// (R1 birth, S1 residence, T2 diploma, X1 business registration).
func demoTypes(ctx context.Context, country string) ([]demoType, error) {
	reg, err := csregistry.Open(ctx, csregistry.Config{SkipRules: true})
	if err != nil {
		return nil, fmt.Errorf("demo: data set: %w", err)
	}
	if err := Load(ctx, reg); err != nil {
		return nil, fmt.Errorf("demo: data set: %w", err)
	}
	var out []demoType
	for _, r := range reg.Snapshot().Requirements() {
		if len(r.Frameworks) == 0 || len(r.Frameworks[0].RelatedTo) == 0 {
			continue
		}
		proc := r.Frameworks[0].RelatedTo[0].Identifier.Value
		for _, l := range r.Lists {
			if !slices.Contains(l.Countries(), country) {
				continue
			}
			for _, t := range l.Types {
				var title docTitle
				for _, tt := range t.Title {
					switch {
					case strings.EqualFold(tt.Lang, "EN") && title.en == "":
						title.en = tt.Value
					case strings.EqualFold(tt.Lang, languageOf[country]) && title.local == "":
						title.local = tt.Value
					}
				}
				if title.en == "" && len(t.Title) > 0 {
					title.en = t.Title[0].Value
				}
				out = append(out, demoType{proc, t.EvidenceTypeClassification, title})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("demo: data set: no evidence types for country %q", country)
	}
	return out, nil
}

// Records returns the demo register of a country (one of
// Countries): the test persons of Users(country), keyed on their
// eIDAS identifier "CC/CC/local" (the relying-party part is the register's
// country; matching ignores it), each with a birth certificate and a school-leaving diploma (PDF, and
// XML and JSON after the data models datamodel.BirthRecord() and
// datamodel.SecondaryDiploma(), with the PDF as their human-readable
// version) and a certificate of residence (PDF; Finland's in Finnish, with
// an annex and translations into English and Swedish); and the
// companies they represent, each with an extract of the business register
// (PDF). The evidence types are those of the demo data set
// (CommonServices). Each country has two persons with the same names and
// date of birth, whom names alone cannot tell apart. In Sweden, Åsa
// Lindström's certificate of residence is deferred (handling) for
// DeferFor after it is first asked for.
func Records(ctx context.Context, country string) (*provider.Records, error) {
	users := Users(country)
	if users == nil {
		return nil, fmt.Errorf("demo: no register for country %q (have %v)", country, Countries())
	}
	types, err := demoTypes(ctx, country)
	if err != nil {
		return nil, err
	}
	rs := &provider.Records{}
	for _, u := range users {
		p := u.Identified(country)
		rec := provider.PersonRecord{Key: "person:" + u.Local, Person: p, Evidence: map[string][]provider.Document{}}
		for _, t := range types {
			if docs := demoPersonEvidence(country, t, p); docs != nil {
				rec.Evidence[t.classification] = docs
			}
		}
		rs.People = append(rs.People, rec)
		for _, c := range u.Represents {
			lp := c.Identified(country, country)
			crec := provider.CompanyRecord{Key: "company:" + c.Local, Company: lp, Representatives: []string{p.Identifier}, Evidence: map[string][]provider.Document{}}
			for _, t := range types {
				if t.procedure == "X1" {
					crec.Evidence[t.classification] = []provider.Document{demoCompanyEvidence(country, t, lp)}
				}
			}
			rs.Companies = append(rs.Companies, crec)
		}
	}
	demoDeferrals(types, rs)
	return rs, nil
}

func demoDocID(parts ...string) string {
	return uuid.Name(demoNS, strings.Join(parts, "\x00")).String()
}

// demoNS is the name space of the demo documents' identifiers.
var demoNS = uuid.Name(uuid.NameSpaceURL(), "https://github.com/oots-go/oots/provider#demo")

func demoPersonEvidence(country string, t demoType, p eid.NaturalPerson) []provider.Document {
	_, local, _ := eid.LocalID(p.Identifier)
	fields := []provider.Field{{Label: "Family name", Value: p.FamilyName}, {Label: "Given name", Value: p.GivenName}, {Label: "Date of birth", Value: p.DateOfBirth}}
	var title docTitle
	var issued string
	switch t.procedure {
	case "R1":
		title.en = "Certificate of birth"
		fields = append(fields, provider.Field{Label: "Place of birth", Value: p.PlaceOfBirth}, provider.Field{Label: "Sex", Value: p.Gender}, provider.Field{Label: "Registration number", Value: "G-" + local})
		issued = "2024-01-15"
	case "S1":
		title.en, issued = "Certificate of residence", "2025-06-02"
		addr := p.CurrentAddress
		if addr == "" {
			addr = p.PlaceOfBirth
		}
		fields = append(fields, provider.Field{Label: "Address", Value: addr}, provider.Field{Label: "Resident since", Value: "2015-04-01"})
	case "T2":
		title.en, issued = "Upper secondary school leaving certificate", "2008-06-30"
		fields = append(fields, provider.Field{Label: "School", Value: "Gymnasium " + p.PlaceOfBirth}, provider.Field{Label: "Final grade", Value: "2.1"})
	default:
		return nil
	}
	if t.title.en != "" {
		title = t.title
	}
	fields = append(fields, provider.Field{Label: "Issuing country", Value: country}, provider.Field{Label: "Issued on", Value: issued})
	lines := []string{}
	for _, f := range fields {
		lines = append(lines, f.Label+": "+f.Value)
	}
	lines = append(lines, "", "This document was issued electronically through the Once-Only Technical System.")
	docs := []provider.Document{{
		ID: demoDocID(country, local, t.classification, "pdf"), Title: title.String(), IssuingDate: issued, Language: "EN",
		Format: "application/pdf", Content: pdf.Text(title.String(), lines), Fields: fields,
	}}
	sd := title.structured(country).String()
	switch t.procedure {
	case "R1":
		docs = append(docs, structured(datamodel.BirthRecord(), docs[0], sd, func(ext string) string { return demoDocID(country, local, t.classification, ext) }, map[string]string{
			"Identifier": demoDocID(country, local, "birth"), "IssuingCountry": country, "RegistrationNumber": "G-" + local, "IssueDate": issued,
			"Child/Identifier": p.Identifier, "Child/FamilyName": p.FamilyName, "Child/GivenName": p.GivenName,
			"Child/DateOfBirth": p.DateOfBirth, "Child/PlaceOfBirth": p.PlaceOfBirth, "Child/Gender": p.Gender})...)
	case "T2":
		docs = append(docs, structured(datamodel.SecondaryDiploma(), docs[0], sd, func(ext string) string { return demoDocID(country, local, t.classification, ext) }, map[string]string{
			"Identifier": demoDocID(country, local, "diploma"), "IssuingCountry": country, "IssueDate": issued,
			"Holder/Identifier": p.Identifier, "Holder/FamilyName": p.FamilyName, "Holder/GivenName": p.GivenName,
			"Holder/DateOfBirth": p.DateOfBirth, "School/Name": "Gymnasium " + p.PlaceOfBirth, "School/Country": country,
			"Qualification": "Upper secondary school leaving certificate", "AwardDate": issued, "FinalGrade": "2.1"})...)
	}
	if t.procedure == "S1" {
		docs[0].ValidFrom, docs[0].ValidTo = issued, "2026-06-02"
		if country == "FI" {
			addr := p.CurrentAddress
			if addr == "" {
				addr = p.PlaceOfBirth
			}
			residenceInFinnish(&docs[0], p, local, addr, "2015-04-01")
		}
	}
	return docs
}

func demoCompanyEvidence(country string, t demoType, c eid.LegalPerson) provider.Document {
	_, local, _ := eid.LocalID(c.Identifier)
	title := docTitle{en: "Extract from the business register"}
	if t.title.en != "" {
		title = t.title
	}
	fields := []provider.Field{{Label: "Legal name", Value: c.LegalName}, {Label: "Registration number", Value: local}, {Label: "VAT number", Value: c.VATRegistration},
		{Label: "Registered address", Value: c.RegisteredAddress}, {Label: "Status", Value: "Active"}, {Label: "Issuing country", Value: country}, {Label: "Issued on", Value: "2025-09-01"}}
	var lines []string
	for _, f := range fields {
		lines = append(lines, f.Label+": "+f.Value)
	}
	return provider.Document{ID: demoDocID(country, local, t.classification, "pdf"), Title: title.String(), IssuingDate: "2025-09-01", Language: "EN",
		Format: "application/pdf", Content: pdf.Text(title.String(), lines), Fields: fields}
}

// structured returns the structured versions of a demo document, titled
// title: XML and JSON after the data model m (ConformsTo: the model's 1.x distribution
// URI, as the demo data set of the DSD lists it), each with the PDF as its
// human-readable version. Values that do not fit the model are left out
// (a demo person without a sex code, say).
func structured(m *datamodel.Model, pdf provider.Document, title string, id func(ext string) string, values map[string]string) []provider.Document {
	for k, v := range values {
		if f := m.Field(k); f == nil || f.Type == datamodel.Code && !slices.Contains(f.Codes, v) {
			delete(values, k)
		}
	}
	var fields []provider.Field
	for _, f := range m.Fields {
		if v := values[f.Path]; v != "" {
			fields = append(fields, provider.Field{Label: f.LabelIn("en"), Value: v})
		}
	}
	uri := m.URI
	if len(m.Aliases) > 0 {
		uri = m.Aliases[0]
	}
	hr := pdf
	var out []provider.Document
	for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
		b, err := m.Encode(mime, values)
		if err != nil {
			continue // a demo value that does not fit: no structured version
		}
		ext := "xml"
		if mime == datamodel.MimeJSON {
			ext = "json"
		}
		out = append(out, provider.Document{ID: id(ext), Title: title, IssuingDate: pdf.IssuingDate, Language: pdf.Language,
			Format: mime, ConformsTo: uri, Content: b, Fields: fields, HumanReadableVersion: &hr})
	}
	return out
}

// Authorities returns the evidence providers of a country in the demo
// data set (CommonServices) with the evidence types and formats the DSD
// says they serve, each backed by ds. A user may consent to background
// exchanges of an evidence type (ConsentPolicy) for the procedures whose
// requirements it fulfils in the Evidence Broker (provider.ServedType.
// ConsentProcedures): the birth record for R1 and T2, every other type for
// its own procedure.
func Authorities(ctx context.Context, country string, ds provider.DataService) ([]provider.Authority, error) {
	reg, err := csregistry.Open(ctx, csregistry.Config{SkipRules: true})
	if err != nil {
		return nil, fmt.Errorf("demo: data set: %w", err)
	}
	if err := Load(ctx, reg); err != nil {
		return nil, fmt.Errorf("demo: data set: %w", err)
	}
	snap := reg.Snapshot()
	procedures := map[string][]string{} // evidence type classification → procedures
	for _, r := range snap.Requirements() {
		var procs []string
		for _, f := range r.Frameworks {
			for _, rel := range f.RelatedTo {
				if !slices.Contains(procs, rel.Identifier.Value) {
					procs = append(procs, rel.Identifier.Value)
				}
			}
		}
		slices.Sort(procs)
		for _, l := range r.Lists {
			for _, t := range l.Types {
				procedures[t.EvidenceTypeClassification] = procs
			}
		}
	}
	byID := map[string]*provider.Authority{}
	var order []string
	for _, s := range snap.AllDataServices() {
		var formats []provider.Format
		for _, d := range s.Type.DistributedAs {
			for _, f := range d.Formats() {
				formats = append(formats, provider.Format{Format: f, ConformsTo: d.ConformsTo})
			}
		}
		for _, acc := range s.Providers {
			pub := acc.Publisher
			if pub.Jurisdiction == nil || pub.Jurisdiction.AdminUnitLevel1 != country {
				continue
			}
			a, ok := byID[pub.Identifier.Value]
			if !ok {
				a = &provider.Authority{Agent: edm.Agent{Identifier: pub.Identifier, Name: pub.Name, Address: pub.Address}, DataService: ds,
					MinLoA: eid.LoASubstantial}
				byID[pub.Identifier.Value] = a
				order = append(order, pub.Identifier.Value)
			}
			a.EvidenceTypes = append(a.EvidenceTypes, provider.ServedType{Classification: s.Type.EvidenceTypeClassification, Formats: formats,
				ConsentProcedures: procedures[s.Type.EvidenceTypeClassification]})
		}
	}
	var out []provider.Authority
	for _, id := range order {
		out = append(out, *byID[id])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("demo: data set: no evidence providers in %q", country)
	}
	return out, nil
}

// DeferFor is how long the demo register keeps its deferred evidence
// (see Records) not ready after the first request for it: long enough
// to see the deferral, short enough for the journey to complete.
const DeferFor = 10 * time.Second

// demoDeferred is the person of the demo register whose certificate of
// residence (procedure S1) is deferred: Åsa Lindström of the Swedish
// register (Users("SE")), for handling.
const demoDeferredPerson = "person:198211192466"

// demoDeferrals marks the deferred evidence of the demo register.
func demoDeferrals(types []demoType, rs *provider.Records) {
	for i := range rs.People {
		p := &rs.People[i]
		if p.Key != demoDeferredPerson {
			continue
		}
		for _, t := range types {
			if t.procedure == "S1" && p.Evidence[t.classification] != nil {
				if p.Pending == nil {
					p.Pending = map[string]*provider.Pending{}
				}
				p.Pending[t.classification] = &provider.Pending{Reason: provider.DeferHandling, For: DeferFor}
			}
		}
	}
}

// ProcedureTitles returns the titles of the demo procedures (codes of the
// code list Procedures) by language ("en", "de", …), as the demo data set of
// the Common Services gives them: the titles of the reference frameworks
// that implement each procedure, in the five languages of the pages. They
// are the one table of the procedures' titles: the portal offers the
// procedures under them (portal.DemoProcedures), and the preview spaces name
// the procedures by them (ProcedureNames).
func ProcedureTitles(ctx context.Context) (map[string]map[string]string, error) {
	reg, err := csregistry.Open(ctx, csregistry.Config{SkipRules: true})
	if err != nil {
		return nil, fmt.Errorf("demo: data set: %w", err)
	}
	if err := Load(ctx, reg); err != nil {
		return nil, fmt.Errorf("demo: data set: %w", err)
	}
	out := map[string]map[string]string{}
	for _, r := range reg.Snapshot().Requirements() {
		for _, f := range r.Frameworks {
			for _, rel := range f.RelatedTo {
				code := rel.Identifier.Value
				if out[code] == nil {
					out[code] = map[string]string{}
				}
				for _, t := range f.Title {
					if l := strings.ToLower(t.Lang); out[code][l] == "" && t.Value != "" {
						out[code][l] = t.Value
					}
				}
			}
		}
	}
	return out, nil
}

// ProcedureNames returns the names of the demo procedures by page language
// for provider.Config.ProcedureNames: ProcedureTitles without English. The
// code list Procedures names them in English only, so the translations are
// the demo's own data; in English the code list's name stands.
func ProcedureNames(ctx context.Context) (map[string]map[string]string, error) {
	titles, err := ProcedureTitles(ctx)
	return ProcedureNamesOf(titles), err
}

// ProcedureNamesOf is ProcedureNames from titles that ProcedureTitles gave
// already (a copy without English), for a caller that needs both without
// loading the data set twice.
func ProcedureNamesOf(titles map[string]map[string]string) map[string]map[string]string {
	out := make(map[string]map[string]string, len(titles))
	for code, byLang := range titles {
		out[code] = make(map[string]string, len(byLang))
		for l, t := range byLang {
			if l != "en" {
				out[code][l] = t
			}
		}
	}
	return out
}

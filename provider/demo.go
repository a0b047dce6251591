package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/uuid"
)

// DemoCountries are the countries of the demo data set (csregistry.Demo)
// and of the demo identity providers (idp.DemoUsers).
var DemoCountries = []string{"DE", "FR", "FI", "SE"}

// demoType is an evidence type of the demo data set in one country.
type demoType struct {
	procedure, classification, title string
}

// demoTypes reads the evidence types of a country from the demo data set
// of the Common Services, by the procedure their requirement serves first
// (R1 birth, S1 residence, T2 diploma, X1 business registration).
func demoTypes(ctx context.Context, country string) ([]demoType, error) {
	reg, err := csregistry.Open(ctx, csregistry.Config{SkipRules: true})
	if err != nil {
		return nil, fmt.Errorf("provider: demo data: %w", err)
	}
	if err := reg.LoadDemo(ctx); err != nil {
		return nil, fmt.Errorf("provider: demo data: %w", err)
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
				title := ""
				if len(t.Title) > 0 {
					title = t.Title[0].Value
				}
				out = append(out, demoType{proc, t.EvidenceTypeClassification, title})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("provider: demo data: no evidence types for country %q", country)
	}
	return out, nil
}

// DemoRecords returns the demo register of a country (one of
// DemoCountries): the test persons of idp.DemoUsers(country), keyed on their
// eIDAS identifier "CC/CC/local" (the relying-party part is the register's
// country; matching ignores it), each with a birth certificate and a school-leaving diploma (PDF, and
// XML and JSON after the data models datamodel.BirthRecord and
// datamodel.SecondaryDiploma, with the PDF as their human-readable
// version) and a certificate of residence (PDF; Finland's in Finnish, with
// an annex and translations into English and Swedish); and the
// companies they represent, each with an extract of the business register
// (PDF). The evidence types are those of the demo data set
// (csregistry.Demo). Each country has two persons with the same names and
// date of birth, whom names alone cannot tell apart. In Sweden, Åsa
// Lindström's certificate of residence is deferred (handling) for
// DemoDeferFor after it is first asked for.
func DemoRecords(ctx context.Context, country string) (*Records, error) {
	users := idp.DemoUsers(country)
	if users == nil {
		return nil, fmt.Errorf("provider: no demo register for country %q (have %v)", country, DemoCountries)
	}
	types, err := demoTypes(ctx, country)
	if err != nil {
		return nil, err
	}
	rs := &Records{}
	for _, u := range users {
		p := u.Identified(country)
		rec := PersonRecord{Key: "person:" + u.Local, Person: p, Evidence: map[string][]Document{}}
		for _, t := range types {
			if docs := demoPersonEvidence(country, t, p); docs != nil {
				rec.Evidence[t.classification] = docs
			}
		}
		rs.People = append(rs.People, rec)
		for _, c := range u.Represents {
			lp := c.Identified(country, country)
			crec := CompanyRecord{Key: "company:" + c.Local, Company: lp, Representatives: []string{p.Identifier}, Evidence: map[string][]Document{}}
			for _, t := range types {
				if t.procedure == "X1" {
					crec.Evidence[t.classification] = []Document{demoCompanyEvidence(country, t, lp)}
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
var demoNS = uuid.Name(uuid.NameSpaceURL, "https://github.com/oots-go/oots/provider#demo")

func demoPersonEvidence(country string, t demoType, p eid.NaturalPerson) []Document {
	_, local, _ := eid.LocalID(p.Identifier)
	fields := []Field{{"Family name", p.FamilyName}, {"Given name", p.GivenName}, {"Date of birth", p.DateOfBirth}}
	var title, issued string
	switch t.procedure {
	case "R1":
		title = "Certificate of birth"
		fields = append(fields, Field{"Place of birth", p.PlaceOfBirth}, Field{"Sex", p.Gender}, Field{"Registration number", "G-" + local})
		issued = "2024-01-15"
	case "S1":
		title, issued = "Certificate of residence", "2025-06-02"
		addr := p.CurrentAddress
		if addr == "" {
			addr = p.PlaceOfBirth
		}
		fields = append(fields, Field{"Address", addr}, Field{"Resident since", "2015-04-01"})
	case "T2":
		title, issued = "Upper secondary school leaving certificate", "2008-06-30"
		fields = append(fields, Field{"School", "Gymnasium " + p.PlaceOfBirth}, Field{"Final grade", "2.1"})
	default:
		return nil
	}
	if t.title != "" {
		title = t.title
	}
	fields = append(fields, Field{"Issuing country", country}, Field{"Issued on", issued})
	lines := []string{}
	for _, f := range fields {
		lines = append(lines, f.Label+": "+f.Value)
	}
	lines = append(lines, "", "This document was issued electronically through the Once-Only Technical System.")
	docs := []Document{{
		ID: demoDocID(country, local, t.classification, "pdf"), Title: title, IssuingDate: issued, Language: "EN",
		Format: "application/pdf", Content: PDF(title, lines), Fields: fields,
	}}
	switch t.procedure {
	case "R1":
		docs = append(docs, structured(datamodel.BirthRecord, docs[0], func(ext string) string { return demoDocID(country, local, t.classification, ext) }, map[string]string{
			"Identifier": demoDocID(country, local, "birth"), "IssuingCountry": country, "RegistrationNumber": "G-" + local, "IssueDate": issued,
			"Child/Identifier": p.Identifier, "Child/FamilyName": p.FamilyName, "Child/GivenName": p.GivenName,
			"Child/DateOfBirth": p.DateOfBirth, "Child/PlaceOfBirth": p.PlaceOfBirth, "Child/Gender": p.Gender})...)
	case "T2":
		docs = append(docs, structured(datamodel.SecondaryDiploma, docs[0], func(ext string) string { return demoDocID(country, local, t.classification, ext) }, map[string]string{
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

func demoCompanyEvidence(country string, t demoType, c eid.LegalPerson) Document {
	_, local, _ := eid.LocalID(c.Identifier)
	title := "Extract from the business register"
	if t.title != "" {
		title = t.title
	}
	fields := []Field{{"Legal name", c.LegalName}, {"Registration number", local}, {"VAT number", c.VATRegistration},
		{"Registered address", c.RegisteredAddress}, {"Status", "Active"}, {"Issuing country", country}, {"Issued on", "2025-09-01"}}
	var lines []string
	for _, f := range fields {
		lines = append(lines, f.Label+": "+f.Value)
	}
	return Document{ID: demoDocID(country, local, t.classification, "pdf"), Title: title, IssuingDate: "2025-09-01", Language: "EN",
		Format: "application/pdf", Content: PDF(title, lines), Fields: fields}
}

// structured returns the structured versions of a demo document: XML and
// JSON after the data model m (ConformsTo: the model's 1.x distribution
// URI, as the demo data set of the DSD lists it), each with the PDF as its
// human-readable version. Values that do not fit the model are left out
// (a demo person without a sex code, say).
func structured(m *datamodel.Model, pdf Document, id func(ext string) string, values map[string]string) []Document {
	for k, v := range values {
		if f := m.Field(k); f == nil || f.Type == datamodel.Code && !slices.Contains(f.Codes, v) {
			delete(values, k)
		}
	}
	var fields []Field
	for _, f := range m.Fields {
		if v := values[f.Path]; v != "" {
			fields = append(fields, Field{f.LabelIn("en"), v})
		}
	}
	uri := m.URI
	if len(m.Aliases) > 0 {
		uri = m.Aliases[0]
	}
	hr := pdf
	var out []Document
	for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
		b, err := m.Encode(mime, values)
		if err != nil {
			continue // a demo value that does not fit: no structured version
		}
		ext := "xml"
		if mime == datamodel.MimeJSON {
			ext = "json"
		}
		out = append(out, Document{ID: id(ext), Title: pdf.Title + " (structured data)", IssuingDate: pdf.IssuingDate, Language: pdf.Language,
			Format: mime, ConformsTo: uri, Content: b, Fields: fields, HumanReadableVersion: &hr})
	}
	return out
}

// DemoAuthorities returns the evidence providers of a country in the demo
// data set (csregistry.Demo) with the evidence types and formats the DSD
// says they serve, each backed by ds. A user may consent to background
// exchanges of an evidence type (ConsentPolicy) for the procedures whose
// requirements it fulfils in the Evidence Broker (ServedType.
// ConsentProcedures): the birth record for R1 and T2, every other type for
// its own procedure.
func DemoAuthorities(ctx context.Context, country string, ds DataService) ([]Authority, error) {
	reg, err := csregistry.Open(ctx, csregistry.Config{SkipRules: true})
	if err != nil {
		return nil, fmt.Errorf("provider: demo data: %w", err)
	}
	if err := reg.LoadDemo(ctx); err != nil {
		return nil, fmt.Errorf("provider: demo data: %w", err)
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
	byID := map[string]*Authority{}
	var order []string
	for _, s := range snap.AllDataServices() {
		var formats []Format
		for _, d := range s.Type.DistributedAs {
			for _, f := range d.Formats() {
				formats = append(formats, Format{Format: f, ConformsTo: d.ConformsTo})
			}
		}
		for _, acc := range s.Providers {
			pub := acc.Publisher
			if pub.Jurisdiction == nil || pub.Jurisdiction.AdminUnitLevel1 != country {
				continue
			}
			a, ok := byID[pub.Identifier.Value]
			if !ok {
				a = &Authority{Agent: edm.Agent{Identifier: pub.Identifier, Name: pub.Name, Address: pub.Address}, DataService: ds,
					MinLoA: eid.LoASubstantial}
				byID[pub.Identifier.Value] = a
				order = append(order, pub.Identifier.Value)
			}
			a.EvidenceTypes = append(a.EvidenceTypes, ServedType{Classification: s.Type.EvidenceTypeClassification, Formats: formats,
				ConsentProcedures: procedures[s.Type.EvidenceTypeClassification]})
		}
	}
	var out []Authority
	for _, id := range order {
		out = append(out, *byID[id])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("provider: demo data: no evidence providers in %q", country)
	}
	return out, nil
}

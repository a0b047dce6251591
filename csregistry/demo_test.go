package csregistry

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
)

var update = flag.Bool("update", false, "rewrite the demo data set")

func nameID(parts ...string) string { return strings.TrimPrefix(nameUUID(parts...), "urn:uuid:") }

type demoCountry struct {
	cc, lang, nuts        string
	scheme, capitalOffice string
	city, postCode        string
}

var demoCountries = []demoCountry{
	{"DE", "DE", "DE3", "9930", "Standesamt Berlin I", "Berlin", "13357"},
	{"FR", "FR", "FR1", "0009", "Service central d'état civil", "Nantes", "44035"},
	{"FI", "FI", "FI1B", "0037", "Digi- ja väestötietovirasto", "Helsinki", "00520"},
	{"SE", "SV", "SE11", "0007", "Skatteverket", "Stockholm", "17194"},
}

type demoProcedure struct {
	code, requirement, rfTitle string
	evidence                   map[string][2]string // country → local title, English title
	xml                        string               // SR data model of a structured distribution, or ""
	// also lists other procedures that need this requirement too, so that
	// their answers hold several requirements (T2: a diploma and a proof of
	// birth).
	also []string
	// company: the evidence is about a legal person.
	company bool
}

var demoProcedures = []demoProcedure{
	{"R1", "Proof of birth", "Requesting proof of registration of birth", map[string][2]string{
		"DE": {"Geburtsurkunde", "Certificate of birth"},
		"FR": {"Extrait d'acte de naissance", "Extract of birth certificate"},
		"FI": {"Syntymätodistus", "Birth certificate"},
		"SE": {"Personbevis om födelse", "Personal certificate of birth"},
	}, "certificate-of-birth-1.0.0", []string{"T2"}, false},
	{"S1", "Proof of residence", "Requesting proof of residence", map[string][2]string{
		"DE": {"Meldebescheinigung", "Certificate of registration of residence"},
		"FR": {"Attestation de domicile", "Certificate of residence"},
		"FI": {"Asuinpaikkatodistus", "Certificate of residence"},
		"SE": {"Personbevis med adress", "Personal certificate with address"},
	}, "", nil, false},
	{"T2", "Proof of secondary education completion", "Submitting an initial application for admission to public tertiary education institution", map[string][2]string{
		"DE": {"Zeugnis der allgemeinen Hochschulreife", "Higher education entrance qualification certificate"},
		"FR": {"Diplôme du baccalauréat", "Baccalaureate diploma"},
		"FI": {"Ylioppilastutkintotodistus", "Matriculation examination certificate"},
		"SE": {"Gymnasieexamen", "Upper secondary school diploma"},
	}, "secondary-education-diploma-1.0.0", nil, false},
	{"X1", "Proof of registration of a business", "Notification of business activity, permission for exercising a business activity, changes of business activity and the termination of a business activity", map[string][2]string{
		"DE": {"Handelsregisterauszug", "Extract from the commercial register"},
		"FR": {"Extrait Kbis", "Extract of registration in the trade and companies register"},
		"FI": {"Kaupparekisteriote", "Trade register extract"},
		"SE": {"Registreringsbevis", "Certificate of registration"},
	}, "", nil, true},
}

func demoRequirements() []*edm.Requirement {
	var out []*edm.Requirement
	for _, p := range demoProcedures {
		r := &edm.Requirement{
			Identifier: edm.ID("https://sr.oots.tech.europa.eu/requirements/" + nameID("demo requirement", p.code)),
			Name:       []edm.Text{edm.Lang("EN", p.requirement)},
		}
		for _, c := range demoCountries {
			ev := p.evidence[c.cc]
			for _, code := range append([]string{p.code}, p.also...) {
				r.ReferenceFramework = append(r.ReferenceFramework, edm.ReferenceFramework{
					Identifier:   edm.ID(nameID("demo procedure", code, c.cc)),
					Title:        procedureTitles(code),
					Description:  []edm.Text{edm.Lang("EN", "Procedure "+code+" of Annex II of Regulation (EU) 2018/1724 as implemented in "+c.cc+".")},
					RelatedTo:    []edm.ReferenceFramework{{Identifier: edm.ID(code)}},
					Jurisdiction: &edm.Jurisdiction{AdminUnitLevel1: c.cc},
				})
			}
			r.EvidenceTypeList = append(r.EvidenceTypeList, edm.EvidenceTypeList{
				Identifier: edm.ID(nameID("demo list", p.code, c.cc)),
				Name:       []edm.Text{edm.Lang("EN", p.requirement+" in "+c.cc)},
				EvidenceType: []edm.EvidenceType{{
					EvidenceTypeClassification: demoClassification(p.code, c.cc),
					Title:                      evidenceTitles(p.code, c, ev),
					Description:                []edm.Text{edm.Lang("EN", ev[1]+" issued by the competent authority of "+c.cc+".")},
					Jurisdiction:               []edm.Jurisdiction{{AdminUnitLevel1: c.cc}},
				}},
			})
		}
		out = append(out, r)
	}
	return out
}

// pageLanguages are the languages of the citizen-facing pages besides
// English, as EDM writes them.
var pageLanguages = []string{"DE", "FR", "FI", "SV"}

// demoProcedureNames are the names of the demo procedures (the reference
// frameworks' titles) in the page languages besides English. They are the
// demo data set's own: the code list Procedures names them in English only.
var demoProcedureNames = map[string]map[string]string{
	"R1": {"DE": "Nachweis der Geburtsregistrierung beantragen", "FR": "Demande de preuve de l'enregistrement d'une naissance",
		"FI": "Syntymän rekisteröintiä koskevan todisteen pyytäminen", "SV": "Begäran om bevis på registrering av födelse"},
	"S1": {"DE": "Wohnsitznachweis beantragen", "FR": "Demande de justificatif de résidence",
		"FI": "Asuinpaikkaa koskevan todisteen pyytäminen", "SV": "Begäran om bevis på bosättning"},
	"T2": {"DE": "Erstantrag auf Zulassung zu einer öffentlichen Hochschule", "FR": "Première demande d'admission dans un établissement public d'enseignement supérieur",
		"FI": "Ensimmäisen hakemuksen jättäminen julkiseen korkeakouluun", "SV": "Första ansökan om antagning till ett offentligt lärosäte"},
	"X1": {"DE": "Anmeldung, Erlaubnis, Änderung und Beendigung einer Geschäftstätigkeit",
		"FR": "Déclaration, autorisation, modification et cessation d'une activité commerciale",
		"FI": "Liiketoiminnan ilmoittaminen, lupa, muutokset ja lopettaminen",
		"SV": "Anmälan, tillstånd, ändring och upphörande av näringsverksamhet"},
}

// demoEvidenceNames are the titles of each country's evidence type (by
// procedure and country) in the page languages other than English and the
// country's own, so that a citizen whose language is not the provider's
// sees the evidence named in theirs. They too are the demo's own data.
var demoEvidenceNames = map[string]map[string]string{
	"R1/DE": {"FR": "Acte de naissance", "FI": "Syntymätodistus", "SV": "Födelsebevis"},
	"R1/FR": {"DE": "Auszug aus dem Geburtseintrag", "FI": "Ote syntymäasiakirjasta", "SV": "Utdrag ur födelseakt"},
	"R1/FI": {"DE": "Geburtsurkunde", "FR": "Acte de naissance", "SV": "Födelsebevis"},
	"R1/SE": {"DE": "Personenstandsbescheinigung über die Geburt", "FR": "Certificat d'état civil (naissance)", "FI": "Virkatodistus syntymästä"},
	"S1/DE": {"FR": "Attestation d'inscription du domicile", "FI": "Todistus asuinpaikan rekisteröinnistä", "SV": "Intyg om registrerad bosättning"},
	"S1/FR": {"DE": "Wohnsitzbescheinigung", "FI": "Asuinpaikkatodistus", "SV": "Intyg om bosättning"},
	"S1/FI": {"DE": "Wohnsitzbescheinigung", "FR": "Attestation de domicile", "SV": "Intyg om bosättning"},
	"S1/SE": {"DE": "Personenstandsbescheinigung mit Anschrift", "FR": "Certificat d'état civil avec adresse", "FI": "Virkatodistus osoitteineen"},
	"T2/DE": {"FR": "Certificat d'aptitude générale aux études supérieures (Abitur)", "FI": "Yleisen korkeakoulukelpoisuuden todistus (Abitur)", "SV": "Betyg om allmän högskolebehörighet (Abitur)"},
	"T2/FR": {"DE": "Zeugnis des Baccalauréat", "FI": "Baccalauréat-tutkintotodistus", "SV": "Examensbevis för baccalauréat"},
	"T2/FI": {"DE": "Zeugnis der finnischen Reifeprüfung", "FR": "Certificat de l'examen de fin d'études secondaires finlandais", "SV": "Studentexamensbetyg"},
	"T2/SE": {"DE": "Schwedisches Abschlusszeugnis der gymnasialen Oberstufe", "FR": "Diplôme suédois de fin d'études secondaires", "FI": "Ruotsalainen lukion päättötodistus"},
	"X1/DE": {"FR": "Extrait du registre du commerce", "FI": "Kaupparekisteriote", "SV": "Utdrag ur handelsregistret"},
	"X1/FR": {"DE": "Handelsregisterauszug (Kbis)", "FI": "Kaupparekisteriote (Kbis)", "SV": "Utdrag ur handelsregistret (Kbis)"},
	"X1/FI": {"DE": "Handelsregisterauszug", "FR": "Extrait du registre du commerce", "SV": "Handelsregisterutdrag"},
	"X1/SE": {"DE": "Registrierungsbescheinigung", "FR": "Certificat d'immatriculation", "FI": "Rekisteröintitodistus"},
}

// procedureTitles are the titles of procedure code: English first, then
// the other page languages.
func procedureTitles(code string) []edm.Text {
	for _, p := range demoProcedures {
		if p.code == code {
			out := []edm.Text{edm.Lang("EN", p.rfTitle)}
			for _, l := range pageLanguages {
				name := demoProcedureNames[code][l]
				if name == "" {
					panic("no name of demo procedure " + code + " in " + l)
				}
				out = append(out, edm.Lang(l, name))
			}
			return out
		}
	}
	panic("no demo procedure " + code)
}

// evidenceTitles are the titles of the evidence type of procedure code in
// country c (ev: local and English title): English, the country's language,
// then the other page languages.
func evidenceTitles(code string, c demoCountry, ev [2]string) []edm.Text {
	out := []edm.Text{edm.Lang("EN", ev[1]), edm.Lang(c.lang, ev[0])}
	for _, l := range pageLanguages {
		if l == c.lang {
			continue
		}
		title := demoEvidenceNames[code+"/"+c.cc][l]
		if title == "" {
			panic("no title of demo evidence " + code + "/" + c.cc + " in " + l)
		}
		out = append(out, edm.Lang(l, title))
	}
	return out
}

func demoClassification(code, cc string) string {
	return "https://sr.oots.tech.europa.eu/evidencetypeclassifications/" + cc + "/" + nameID("demo evidence type", code, cc)
}

// residence is the classification concept of the German registry offices
// (the TDD's example).
var residence = edm.InformationConcept{
	Identifier:      edm.ID("b07146b6-1468-41a7-a10f-ee2a61429dbc"),
	Type:            "Codelist",
	ValueExpression: "https://sr.oots.tech.europa.eu/ep-classification/de/countryresidence",
	Description:     []edm.Text{edm.Lang("EN", "Rules of responsibility for German citizens without residence information"), edm.Lang("DE", "Zuständigkeitsregelungen für deutsche Staatsangehörige ohne Wohnsitzinformation")},
}

// demoVersions are the EDM versions the access point of a country speaks
// (its AccessService's ConformsTo): oots-edm:v1.0, and for FI also
// oots-edm:v2.0, which a requester that speaks it chooses (the highest in
// common), so that the demo exchanges EDM 2.0 with Finland. The TDD 1.0
// rules of the DSD (R-DSD-SUB-C023, R-DSD-RESP-C015) require a ConformsTo
// oots-edm:v1.0, which FI keeps.
var demoVersions = map[string][]string{"FI": {"oots-edm:v1.0", "oots-edm:v2.0"}}

func demoProvider(c demoCountry, name, city, postCode, id string, concept ...edm.InformationConcept) edm.AccessService {
	versions := demoVersions[c.cc]
	if versions == nil {
		versions = []string{"oots-edm:v1.0"}
	}
	return edm.AccessService{
		Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:"+c.scheme, "AP-"+c.cc), // one access point (C3) per Member State
		ConformsTo: versions,
		Publisher: edm.Publisher{
			Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:"+c.scheme, c.cc+"-EP-"+id),
			Name:       []edm.Text{edm.Lang("EN", name)},
			Address: &edm.Address{FullAddress: postCode + " " + city, PostCode: postCode, PostCityName: city,
				AdminUnitLevel1: c.cc, AdminUnitLevel2: c.nuts},
			Jurisdiction:          &edm.Jurisdiction{AdminUnitLevel1: c.cc},
			ClassificationConcept: concept,
		},
	}
}

func demoDataServices() []*edm.DataServiceEvidenceType {
	var out []*edm.DataServiceEvidenceType
	for _, p := range demoProcedures {
		for _, c := range demoCountries {
			ev := p.evidence[c.cc]
			ds := &edm.DataServiceEvidenceType{
				Identifier:                     edm.ID(nameID("demo data service", p.code, c.cc)),
				EvidenceTypeClassification:     demoClassification(p.code, c.cc),
				Title:                          evidenceTitles(p.code, c, ev),
				Description:                    []edm.Text{edm.Lang("EN", ev[1]+" issued by the competent authority of "+c.cc+".")},
				DistributedAs:                  []edm.Distribution{{Format: "application/pdf"}},
				AuthenticationLevelOfAssurance: "Substantial",
			}
			if p.xml != "" {
				ds.DistributedAs = append(ds.DistributedAs, edm.Distribution{Format: "application/xml", ConformsTo: "https://sr.oots.tech.europa.eu/distributions/" + p.xml})
			}
			switch {
			case p.code == "R1" && c.cc == "DE":
				berlin, hamburg := residence, residence
				berlin.SupportedValue = &edm.SupportedValue{StringValue: []string{"ApplicantHasNeverBeenResidentInGermany", "ApplicantHasBeenResidentInGermany"}}
				hamburg.SupportedValue = &edm.SupportedValue{StringValue: []string{"ApplicantHasBeenResidentInGermany"}}
				ds.AccessService = []edm.AccessService{
					demoProvider(c, "Standesamt Berlin I", "Berlin", "13357", "BERLIN1", berlin),
					demoProvider(c, "Standesamt Hamburg-Nord", "Hamburg", "22083", "HAMBURG", hamburg),
				}
				ds.EvidenceProviderClassification = []edm.InformationConcept{residence}
			default:
				ds.AccessService = []edm.AccessService{demoProvider(c, c.capitalOffice, c.city, c.postCode, p.code)}
			}
			out = append(out, ds)
		}
	}
	return out
}

// demoData is the folder of the demo data set, which package internal/demo
// embeds.
const demoData = "../internal/demo/csdata"

// TestDemoData checks the committed demo data set against its definition
// above (rewritten with -update) and loads it with the official rules.
func TestDemoData(t *testing.T) {
	for name, sub := range map[string]*edm.SubmitObjectsRequest{
		"eb.xml":  ebSubmission(demoRequirements()),
		"dsd.xml": dsdSubmission(demoDataServices()),
	} {
		b, err := sub.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(demoData, name)
		if *update {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s is not what the definition gives; run go test -run DemoData -update", path)
		}
	}
	r, err := Open(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LoadDir(context.Background(), os.DirFS(demoData), "."); err != nil {
		t.Fatalf("the demo data set does not load with the official rules: %v", err)
	}
	s := r.Snapshot()
	if len(s.Requirements()) != 4 || len(s.AllDataServices()) != 16 {
		t.Errorf("%d requirements, %d data services; want 4 and 16", len(s.Requirements()), len(s.AllDataServices()))
	}
}

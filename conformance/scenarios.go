package conformance

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
)

// ErrScenarios is wrapped by the errors of ParseScenarios.
var ErrScenarios = errors.New("conformance: invalid scenario file")

// ScenarioFile is the YAML form of evidence exchange scenarios: what is
// common to them (version, procedure, requester, requirement, evidence
// type) and, per scenario, the providers asked, the subject, the preview
// and the expected answer. Example:
//
//	version: oots-edm:v1.0
//	procedure: R1
//	to: AP-DE                      # the node's party in the kit's P-Mode
//	requester: {scheme: "urn:cef.eu:names:identifier:EAS:0009", id: FR-ER-1, name: Mairie de Paris, country: FR}
//	requirement: {id: "https://sr.oots.tech.europa.eu/requirements/…", name: Proof of birth}
//	evidenceType: {classification: "https://sr.oots.tech.europa.eu/evidencetypeclassifications/…", title: Certificate of birth, format: application/pdf}
//	scenarios:
//	  - id: TC01
//	    name: basic request and response
//	    providers: [{scheme: "urn:cef.eu:names:identifier:EAS:9930", id: DE-EP-R1, name: Standesamt}]
//	    person: {id: "DE/FR/3f8a2c61d9", familyName: Müller, givenName: Anna, dateOfBirth: "1985-03-14", loa: High}
//	    preview: false
//	    want: {attachments: [application/pdf]}
//	  - id: TC03
//	    name: no evidence
//	    providers: [{scheme: "…", id: DE-EP-R1, name: Standesamt}]
//	    person: {id: "DE/FR/0000000000", familyName: Niemand, givenName: Anna, dateOfBirth: "1985-03-14"}
//	    want: {code: edm.EDMErr0004}
type ScenarioFile struct {
	Version        string            `yaml:"version"`
	Procedure      string            `yaml:"procedure"`
	To             string            `yaml:"to"`
	Requester      ScenarioAgent     `yaml:"requester"`
	Requirement    ScenarioReference `yaml:"requirement"`
	EvidenceType   ScenarioEvidence  `yaml:"evidenceType"`
	ReturnLocation string            `yaml:"returnLocation"`
	Scenarios      []ScenarioEntry   `yaml:"scenarios"`
}

// ScenarioEntry is one scenario of a scenario file. Exactly one of Person
// and Company is the subject. Procedure, Requirement and EvidenceType, when
// given, replace those of the file for this scenario.
type ScenarioEntry struct {
	ID        string          `yaml:"id"`
	Name      string          `yaml:"name"`
	Providers []ScenarioAgent `yaml:"providers"`
	Person    *struct {
		ID          string `yaml:"id"`
		FamilyName  string `yaml:"familyName"`
		GivenName   string `yaml:"givenName"`
		DateOfBirth string `yaml:"dateOfBirth"`
		LoA         string `yaml:"loa"`
	} `yaml:"person"`
	Company *struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name"`
		LoA  string `yaml:"loa"`
	} `yaml:"company"`
	Procedure    string             `yaml:"procedure"`
	Requirement  *ScenarioReference `yaml:"requirement"`
	EvidenceType *ScenarioEvidence  `yaml:"evidenceType"`
	// ExplicitRequest and PossibilityForPreview default to true (TC04,
	// TC05 set them false).
	ExplicitRequest       *bool `yaml:"explicitRequest"`
	PossibilityForPreview *bool `yaml:"possibilityForPreview"`
	Preview               bool  `yaml:"preview"`
	// Decision is approve, refuse or none (log in only); Approve is its
	// older form (true: approve, false: refuse).
	Decision  string   `yaml:"decision"`
	Approve   bool     `yaml:"approve"`
	PreviewAs string   `yaml:"previewAs"`
	Timeout   Duration `yaml:"timeout"`
	Want      struct {
		Code        edm.ErrorCode `yaml:"code"`
		Attachments []string      `yaml:"attachments"`
	} `yaml:"want"`
}

// ScenarioReference is a requirement of a scenario file.
type ScenarioReference struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// ScenarioEvidence is an evidence type of a scenario file.
type ScenarioEvidence struct {
	Classification string `yaml:"classification"`
	Title          string `yaml:"title"`
	Format         string `yaml:"format"`
}

// ScenarioAgent is an agent of a scenario file. Country, the requester's
// (ISO 3166 alpha-2), goes to its Address; oots-edm:v2.0 requires it
// (R-EDM-REQ-C073). A provider's Country is not used.
type ScenarioAgent struct {
	Scheme  string `yaml:"scheme"`
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Country string `yaml:"country"`
}

// Duration is a time.Duration written as "10s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("duration %q: %w", n.Value, err)
	}
	*d = Duration(v)
	return nil
}

// maxScenarioFile bounds a scenario file.
const maxScenarioFile = 1 << 20

// ParseScenarios reads a scenario file (ScenarioFile) and returns its
// scenarios. Unknown fields are errors; every error wraps ErrScenarios and
// names the field.
func ParseScenarios(b []byte) ([]Scenario, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrScenarios, fmt.Sprintf(format, a...))
	}
	if len(b) > maxScenarioFile {
		return nil, bad("larger than %d bytes", maxScenarioFile)
	}
	var f ScenarioFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, bad("%v", err)
	}
	v := edm.Version(f.Version)
	switch {
	case v != edm.V1_0 && v != edm.V1_1 && v != edm.V1_2 && v != edm.V2_0:
		return nil, bad("version %q: one of oots-edm:v1.0, v1.1, v1.2, v2.0", f.Version)
	case f.Procedure == "":
		return nil, bad("procedure is required")
	case f.To == "":
		return nil, bad("to (the node's party) is required")
	case f.Requester.ID == "" || f.Requester.Name == "":
		return nil, bad("requester: id and name are required")
	case v.Is2() && f.Requester.Country == "":
		return nil, bad("requester: country is required with oots-edm:v2.0 (R-EDM-REQ-C073: the address of the requester)")
	case len(f.Scenarios) == 0:
		return nil, bad("no scenarios")
	}
	if v.Is2() && f.ReturnLocation == "" {
		f.ReturnLocation = "https://conformance.invalid/return"
	}
	lang := func(s string) []edm.Text { return []edm.Text{edm.Lang("EN", s)} }
	var out []Scenario
	seen := map[string]bool{}
	for i, s := range f.Scenarios {
		where := fmt.Sprintf("scenarios[%d] (%s)", i, s.ID)
		sc, err := s.scenario(v, &f)
		if s.ID == "" || seen[s.ID] {
			err = fmt.Errorf("id missing or repeated (%q)", s.ID)
		}
		if err != nil {
			return nil, bad("%s: %v", where, err)
		}
		seen[s.ID] = true
		procedure, req, et := f.Procedure, f.Requirement, f.EvidenceType
		if s.Procedure != "" {
			procedure = s.Procedure
		}
		if s.Requirement != nil {
			req = *s.Requirement
		}
		if s.EvidenceType != nil {
			et = *s.EvidenceType
		}
		if req.ID == "" || et.Classification == "" {
			return nil, bad("%s: requirement.id and evidenceType.classification are required", where)
		}
		format := orDefault(et.Format, "application/pdf")
		for j, p := range s.Providers {
			if p.ID == "" || p.Name == "" {
				return nil, bad("%s: providers[%d]: id and name are required", where, j)
			}
			id, err := uuid.New(rand.Reader)
			if err != nil {
				return nil, err
			}
			q := edm.NewQueryRequest(v, id, time.Now())
			q.Procedure = procedure
			if !v.Is2() {
				q.ProcedureLang, q.Lang = "EN", "EN"
			}
			q.PossibilityForPreview = s.PossibilityForPreview == nil || *s.PossibilityForPreview
			q.ExplicitRequestGiven = s.ExplicitRequest == nil || *s.ExplicitRequest
			q.Requirements = []edm.Requirement{{Identifier: edm.ID(req.ID), Name: lang(orDefault(req.Name, "requirement"))}}
			q.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID(f.Requester.Scheme, f.Requester.ID), Name: lang(f.Requester.Name), Classification: "ER"}}
			if f.Requester.Country != "" {
				q.EvidenceRequester[0].Address = &edm.Address{AdminUnitLevel1: f.Requester.Country}
			}
			q.EvidenceProvider = &edm.Agent{Identifier: edm.SchemeID(p.Scheme, p.ID), Name: lang(p.Name)}
			if s.Person != nil {
				q.NaturalPerson = &edm.Person{LevelOfAssurance: orDefault(s.Person.LoA, "High"), FamilyName: s.Person.FamilyName,
					GivenName: s.Person.GivenName, DateOfBirth: s.Person.DateOfBirth}
				if s.Person.ID != "" {
					q.NaturalPerson.Identifier = &edm.Identifier{SchemeID: "eidas", Value: s.Person.ID}
				}
			} else {
				q.LegalPerson = &edm.LegalPerson{LevelOfAssurance: orDefault(s.Company.LoA, "High"), LegalName: s.Company.Name,
					LegalPersonIdentifier: &edm.Identifier{SchemeID: "eidas", Value: s.Company.ID}}
			}
			etID, err := uuid.New(rand.Reader)
			if err != nil {
				return nil, err
			}
			q.EvidenceRequest = &edm.DataServiceEvidenceType{Identifier: edm.ID(etID), EvidenceTypeClassification: et.Classification,
				Title: lang(orDefault(et.Title, "evidence")), DistributedAs: []edm.Distribution{{Format: format}}}
			sc.Requests = append(sc.Requests, &exchange.Message{To: f.To, OriginalSender: q.EvidenceRequester[0].Identifier,
				FinalRecipient: q.EvidenceProvider.Identifier, Request: q})
		}
		out = append(out, *sc)
	}
	return out, nil
}

// scenario checks an entry and returns its scenario without requests.
func (s *ScenarioEntry) scenario(v edm.Version, f *ScenarioFile) (*Scenario, error) {
	switch {
	case len(s.Providers) == 0:
		return nil, errors.New("providers: at least one")
	case (s.Person == nil) == (s.Company == nil):
		return nil, errors.New("exactly one of person and company is the subject")
	case s.Want.Code != "" && edm.NewException(s.Want.Code, "") == nil:
		return nil, fmt.Errorf("want.code %q is not an EDM error code", s.Want.Code)
	case s.Timeout < 0:
		return nil, errors.New("negative timeout")
	case !s.Preview && (s.Decision != "" || s.Approve || s.PreviewAs != ""):
		return nil, errors.New("decision, approve and previewAs need preview: true")
	case s.Decision != "" && s.Approve:
		return nil, errors.New("decision and approve are exclusive")
	}
	loa := ""
	if p := s.Person; p != nil {
		if p.FamilyName == "" || p.GivenName == "" || p.DateOfBirth == "" {
			return nil, errors.New("person: familyName, givenName and dateOfBirth are required")
		}
		if _, err := time.Parse("2006-01-02", p.DateOfBirth); err != nil {
			return nil, fmt.Errorf("person.dateOfBirth %q is not a date YYYY-MM-DD", p.DateOfBirth)
		}
		loa = p.LoA
	} else {
		if s.Company.ID == "" || s.Company.Name == "" {
			return nil, errors.New("company: id and name are required")
		}
		loa = s.Company.LoA
	}
	if loa != "" && !codelist.LevelsOfAssurance().Contains(loa) {
		return nil, fmt.Errorf("loa %q is not a level of assurance", loa)
	}
	d := Decision(s.Decision)
	switch {
	case s.Approve:
		d = Approve
	case d == "" && s.Preview:
		d = Refuse
	case d != "" && d != Approve && d != Refuse && d != LogInOnly:
		return nil, fmt.Errorf("decision %q: one of approve, refuse, none", s.Decision)
	}
	sc := &Scenario{ID: s.ID, Name: orDefault(s.Name, "scenario "+s.ID), Preview: s.Preview, Decision: d, PreviewAs: s.PreviewAs,
		Timeout: time.Duration(s.Timeout), Want: Expect{Code: s.Want.Code, Attachments: s.Want.Attachments}}
	if v.Is2() {
		sc.ReturnLocation = f.ReturnLocation
	}
	return sc, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// newUUID draws a random UUID from r for case c; a source that fails
// fails the case.
func newUUID(c *Case, r io.Reader) (string, bool) {
	s, err := uuid.New(r)
	if err != nil {
		c.fail("drawing a UUID: %v", err)
		return "", false
	}
	return s, true
}

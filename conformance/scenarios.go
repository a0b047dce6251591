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
//	requester: {scheme: "urn:cef.eu:names:identifier:EAS:0009", id: FR-ER-1, name: Mairie de Paris}
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
//	    want: {code: "EDM:ERR:0004"}
type ScenarioFile struct {
	Version      string                    `yaml:"version"`
	Procedure    string                    `yaml:"procedure"`
	To           string                    `yaml:"to"`
	Requester    ScenarioAgent             `yaml:"requester"`
	Requirement  struct{ ID, Name string } `yaml:"requirement"`
	EvidenceType struct {
		Classification string `yaml:"classification"`
		Title          string `yaml:"title"`
		Format         string `yaml:"format"`
	} `yaml:"evidenceType"`
	ReturnLocation string `yaml:"returnLocation"`
	Scenarios      []struct {
		ID        string          `yaml:"id"`
		Name      string          `yaml:"name"`
		Providers []ScenarioAgent `yaml:"providers"`
		Person    struct {
			ID          string `yaml:"id"`
			FamilyName  string `yaml:"familyName"`
			GivenName   string `yaml:"givenName"`
			DateOfBirth string `yaml:"dateOfBirth"`
			LoA         string `yaml:"loa"`
		} `yaml:"person"`
		Preview bool     `yaml:"preview"`
		Approve bool     `yaml:"approve"`
		Timeout Duration `yaml:"timeout"`
		Want    struct {
			Code        string   `yaml:"code"`
			Attachments []string `yaml:"attachments"`
		} `yaml:"want"`
	} `yaml:"scenarios"`
}

// ScenarioAgent is an agent of a scenario file.
type ScenarioAgent struct {
	Scheme string `yaml:"scheme"`
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
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
	case f.Requirement.ID == "":
		return nil, bad("requirement.id is required")
	case f.EvidenceType.Classification == "":
		return nil, bad("evidenceType.classification is required")
	case len(f.Scenarios) == 0:
		return nil, bad("no scenarios")
	}
	if v.Is2() && f.ReturnLocation == "" {
		f.ReturnLocation = "https://conformance.invalid/return"
	}
	format := f.EvidenceType.Format
	if format == "" {
		format = "application/pdf"
	}
	lang := func(s string) []edm.Text { return []edm.Text{edm.Lang("EN", s)} }
	var out []Scenario
	seen := map[string]bool{}
	for i, s := range f.Scenarios {
		where := fmt.Sprintf("scenarios[%d]", i)
		switch {
		case s.ID == "" || seen[s.ID]:
			return nil, bad("%s: id missing or repeated (%q)", where, s.ID)
		case len(s.Providers) == 0:
			return nil, bad("%s (%s): providers: at least one", where, s.ID)
		case s.Person.FamilyName == "" || s.Person.GivenName == "" || s.Person.DateOfBirth == "":
			return nil, bad("%s (%s): person: familyName, givenName and dateOfBirth are required", where, s.ID)
		case s.Want.Code != "" && edm.NewException(s.Want.Code, "") == nil:
			return nil, bad("%s (%s): want.code %q is not an EDM error code", where, s.ID, s.Want.Code)
		case s.Timeout < 0:
			return nil, bad("%s (%s): negative timeout", where, s.ID)
		}
		if _, err := time.Parse("2006-01-02", s.Person.DateOfBirth); err != nil {
			return nil, bad("%s (%s): person.dateOfBirth %q is not a date YYYY-MM-DD", where, s.ID, s.Person.DateOfBirth)
		}
		loa := s.Person.LoA
		if loa == "" {
			loa = "High"
		}
		if !codelist.LevelsOfAssurance.Contains(loa) {
			return nil, bad("%s (%s): person.loa %q is not a level of assurance", where, s.ID, loa)
		}
		seen[s.ID] = true
		sc := Scenario{ID: s.ID, Name: s.Name, Preview: s.Preview, Approve: s.Approve, ReturnLocation: f.ReturnLocation,
			Timeout: time.Duration(s.Timeout), Want: Expect{Code: s.Want.Code, Attachments: s.Want.Attachments}}
		if sc.Name == "" {
			sc.Name = "scenario " + s.ID
		}
		for j, p := range s.Providers {
			if p.ID == "" || p.Name == "" {
				return nil, bad("%s (%s): providers[%d]: id and name are required", where, s.ID, j)
			}
			q := edm.NewQueryRequest(v, uuidString(), time.Now())
			q.Procedure = f.Procedure
			if !v.Is2() {
				q.ProcedureLang, q.Lang = "EN", "EN"
			}
			q.PossibilityForPreview, q.ExplicitRequestGiven = true, true
			q.Requirements = []edm.Requirement{{Identifier: edm.ID(f.Requirement.ID), Name: lang(orDefault(f.Requirement.Name, "requirement"))}}
			q.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID(f.Requester.Scheme, f.Requester.ID), Name: lang(f.Requester.Name), Classification: "ER"}}
			q.EvidenceProvider = &edm.Agent{Identifier: edm.SchemeID(p.Scheme, p.ID), Name: lang(p.Name)}
			q.NaturalPerson = &edm.Person{LevelOfAssurance: loa, FamilyName: s.Person.FamilyName, GivenName: s.Person.GivenName, DateOfBirth: s.Person.DateOfBirth}
			if s.Person.ID != "" {
				q.NaturalPerson.Identifier = &edm.Identifier{SchemeID: "eidas", Value: s.Person.ID}
			}
			q.EvidenceRequest = &edm.DataServiceEvidenceType{Identifier: edm.ID(uuidString()), EvidenceTypeClassification: f.EvidenceType.Classification,
				Title: lang(orDefault(f.EvidenceType.Title, "evidence")), DistributedAs: []edm.Distribution{{Format: format}}}
			sc.Requests = append(sc.Requests, &exchange.Message{To: f.To, OriginalSender: q.EvidenceRequester[0].Identifier,
				FinalRecipient: q.EvidenceProvider.Identifier, Request: q})
		}
		out = append(out, sc)
	}
	return out, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func uuidString() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

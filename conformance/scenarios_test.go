package conformance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/provider"
)

// demoScenarioFile is the scenario file of the composed DE node: the same
// cases as projectathon, written as a tester would.
func demoScenarioFile(t *testing.T, birth provider.Authority) string {
	anna, jurgen := demoUser(t, "3f8a2c61d9").Identified("FR"), demoUser(t, "5c29d8e310")
	company, x1 := jurgen.Represents[0].Identified("DE", "FR"), demoAuthority(t, "DE-EP-X1")
	person := fmt.Sprintf("{id: %q, familyName: %q, givenName: %q, dateOfBirth: %q, loa: High}", anna.Identifier, anna.FamilyName, anna.GivenName, anna.DateOfBirth)
	nobody := fmt.Sprintf("{id: \"DE/FR/0000000000\", familyName: Niemand, givenName: %q, dateOfBirth: %q}", anna.GivenName, anna.DateOfBirth)
	ep := func(id string) string {
		return fmt.Sprintf("{scheme: %q, id: %s, name: %q}", birth.Agent.Identifier.SchemeID, id, birth.Agent.Name[0].Value)
	}
	return fmt.Sprintf(`version: oots-edm:v1.0
procedure: R1
to: AP-DE
requester: {scheme: "urn:cef.eu:names:identifier:EAS:0009", id: FR-ER-1, name: Mairie de Paris}
requirement: {id: "https://sr.oots.tech.europa.eu/requirements/7e3c2a10-4c1f-4b55-9a4e-2f8c9d0e1a2b", name: Proof of birth}
evidenceType: {classification: %q, title: Certificate of birth, format: application/pdf}
scenarios:
  - {id: TC01, name: basic request and response, providers: [%[2]s], person: %[4]s, want: {attachments: [application/pdf]}}
  - {id: TC03a, name: no evidence, providers: [%[2]s], person: %[5]s, want: {code: "EDM:ERR:0004"}}
  - {id: TC03b, name: register down, providers: [%[3]s], person: %[4]s, want: {code: "EDM:ERR:0008"}}
  - {id: TC06, name: preview approved, providers: [%[6]s], person: %[4]s, preview: true, approve: true, timeout: 5s}
  - {id: TC07, name: preview refused, providers: [%[6]s], person: %[4]s, preview: true, want: {code: "EDM:ERR:0008"}}
  - {id: TC08, name: two providers, providers: [%[6]s, %[7]s], person: %[4]s, preview: true, approve: true}
  - {id: TC02, name: legal person, providers: [%[8]s], company: {id: %[9]q, name: %[10]q}, procedure: X1,
     evidenceType: {classification: %[11]q, title: Certificate of registration}}
  - {id: TC04, name: no explicit request, providers: [%[2]s], person: %[4]s, explicitRequest: false, want: {code: "EDM:ERR:0003"}}
  - {id: TC05, name: preview not possible, providers: [%[6]s], person: %[4]s, possibilityForPreview: false, want: {code: "EDM:ERR:0007"}}
  - {id: TC09, name: another person at the preview, providers: [%[6]s], person: %[4]s, preview: true, decision: none, previewAs: %[12]q,
     want: {code: "EDM:ERR:0001"}}
`, birth.EvidenceTypes[0].Classification, ep("DE-EP-DIRECT"), ep("DE-EP-BROKEN"), person, nobody, ep("DE-EP-BERLIN1"), ep("DE-EP-BERLIN2"),
		ep("DE-EP-X1-DIRECT"), company.Identifier, company.LegalName, x1.EvidenceTypes[0].Classification, jurgen.Identified("FR").Identifier)
}

func TestParseScenarios(t *testing.T) {
	_, birth := newProviderNode(t)
	good := demoScenarioFile(t, birth)
	jurgen := demoUser(t, "5c29d8e310")
	company, x1 := jurgen.Represents[0].Identified("DE", "FR"), demoAuthority(t, "DE-EP-X1")
	sc, err := conformance.ParseScenarios([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc) != 10 || sc[0].ID != "TC01" || len(sc[5].Requests) != 2 || !sc[3].Preview || sc[3].Timeout.Seconds() != 5 ||
		sc[1].Want.Code != "EDM:ERR:0004" || sc[0].Requests[0].Request.EvidenceProvider.Identifier.Value != "DE-EP-DIRECT" {
		t.Errorf("parsed %+v", sc)
	}
	if sc[3].Decision != conformance.Approve || sc[4].Decision != conformance.Refuse || sc[9].Decision != conformance.LogInOnly ||
		sc[9].PreviewAs != jurgen.Identified("FR").Identifier {
		t.Errorf("decisions %q %q %q, previewAs %q", sc[3].Decision, sc[4].Decision, sc[9].Decision, sc[9].PreviewAs)
	}
	if q := sc[6].Requests[0].Request; q.NaturalPerson != nil || q.LegalPerson == nil || q.LegalPerson.LegalPersonIdentifier.Value != company.Identifier ||
		q.Procedure != "X1" || q.EvidenceRequest.EvidenceTypeClassification != x1.EvidenceTypes[0].Classification {
		t.Errorf("TC02 request %+v", q)
	}
	if q := sc[7].Requests[0].Request; q.ExplicitRequestGiven || !q.PossibilityForPreview {
		t.Errorf("TC04 explicit %v preview %v", q.ExplicitRequestGiven, q.PossibilityForPreview)
	}
	if q := sc[8].Requests[0].Request; !q.ExplicitRequestGiven || q.PossibilityForPreview {
		t.Errorf("TC05 explicit %v preview %v", q.ExplicitRequestGiven, q.PossibilityForPreview)
	}
	tests := []struct{ name, from, to, want string }{
		{"unknown field", "procedure: R1", "procedure: R1\nflavour: x", "field flavour not found"},
		{"version", "version: oots-edm:v1.0", "version: oots-edm:v3", "version \"oots-edm:v3\""},
		{"bad code", `code: "EDM:ERR:0004"`, `code: "EDM:ERR:9999"`, `want.code "EDM:ERR:9999"`},
		{"bad date", `dateOfBirth: "1985-03-14"`, `dateOfBirth: "14.03.1985"`, "person.dateOfBirth"},
		{"bad LoA", "loa: High", "loa: Extreme", `loa "Extreme"`},
		{"duplicate id", "id: TC03a", "id: TC01", "id missing or repeated"},
		{"no to", "to: AP-DE", "to: \"\"", "to (the node's party) is required"},
		{"bad timeout", "timeout: 5s", "timeout: soon", `duration "soon"`},
		{"bad decision", "decision: none", "decision: maybe", `decision "maybe"`},
		{"decision without preview", "explicitRequest: false", "explicitRequest: false, decision: refuse", "need preview: true"},
		{"both subjects", "procedure: X1", "procedure: X1, person: {familyName: a, givenName: b, dateOfBirth: \"2000-01-01\"}", "exactly one of person and company"},
		{"decision and approve", "decision: none", "decision: none, approve: true", "exclusive"},
		{"2.0 requester without country", "version: oots-edm:v1.0", "version: oots-edm:v2.0", "requester: country is required"},
	}
	for _, tc := range tests {
		in := strings.Replace(good, tc.from, tc.to, 1)
		if in == good {
			t.Fatalf("%s: the edit did not apply", tc.name)
		}
		_, err := conformance.ParseScenarios([]byte(in))
		if !errors.Is(err, conformance.ErrScenarios) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrScenarios saying %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParseScenarios(f *testing.F) {
	f.Add([]byte("version: oots-edm:v1.0\nprocedure: R1\nto: X\nrequester: {id: a, name: b}\nrequirement: {id: r}\nevidenceType: {classification: c}\nscenarios:\n  - {id: T, providers: [{id: p, name: n}], person: {familyName: f, givenName: g, dateOfBirth: \"2000-01-01\"}}\n"))
	f.Add([]byte("scenarios: [{timeout: x}]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := conformance.ParseScenarios(b)
		if err == nil {
			for _, s := range sc {
				if s.ID == "" || len(s.Requests) == 0 || s.Requests[0].Request == nil {
					t.Errorf("an accepted scenario without id or request: %+v", s)
				}
			}
		} else if !errors.Is(err, conformance.ErrScenarios) {
			t.Errorf("error %v does not wrap ErrScenarios", err)
		}
	})
}

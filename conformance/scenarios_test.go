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
	anna := demoUser(t, "3f8a2c61d9").Identified("FR")
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
`, birth.EvidenceTypes[0].Classification, ep("DE-EP-DIRECT"), ep("DE-EP-BROKEN"), person, nobody, ep("DE-EP-BERLIN1"), ep("DE-EP-BERLIN2"))
}

func TestParseScenarios(t *testing.T) {
	_, birth := newProviderNode(t)
	good := demoScenarioFile(t, birth)
	sc, err := conformance.ParseScenarios([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc) != 6 || sc[0].ID != "TC01" || len(sc[5].Requests) != 2 || !sc[3].Preview || sc[3].Timeout.Seconds() != 5 ||
		sc[1].Want.Code != "EDM:ERR:0004" || sc[0].Requests[0].Request.EvidenceProvider.Identifier.Value != "DE-EP-DIRECT" {
		t.Errorf("parsed %+v", sc)
	}
	tests := []struct{ name, edit, want string }{
		{"unknown field", "procedure: R1\nflavour: x", "field flavour not found"},
		{"version", "version: oots-edm:v1.0", "version \"oots-edm:v3\""},
		{"bad code", `code: "EDM:ERR:0004"`, `want.code "EDM:ERR:9999"`},
		{"bad date", `dateOfBirth: "1985-03-14"`, "person.dateOfBirth"},
		{"bad LoA", "loa: High", `person.loa "Extreme"`},
		{"duplicate id", "id: TC03a", "id missing or repeated"},
		{"no to", "to: AP-DE", "to (the node's party) is required"},
		{"bad timeout", "timeout: 5s", `duration "soon"`},
	}
	repl := map[string]string{"unknown field": "procedure: R1\nflavour: x", "version": "version: oots-edm:v3", "bad code": `code: "EDM:ERR:9999"`,
		"bad date": `dateOfBirth: "14.03.1985"`, "bad LoA": "loa: Extreme", "duplicate id": "id: TC01", "no to": "to: \"\"", "bad timeout": "timeout: soon"}
	for _, tc := range tests {
		from := tc.edit
		if tc.name == "unknown field" {
			from = "procedure: R1"
		}
		in := strings.Replace(good, from, repl[tc.name], 1)
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

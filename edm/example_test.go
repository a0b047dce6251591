package edm_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
)

// An evidence request of EDM 1.0: the builder sets the identifier and issue
// time, the caller the rest; Marshal refuses it while a required part is
// missing.
func ExampleNewQueryRequest() {
	q := edm.NewQueryRequest(edm.V1_0, "4ffb5281-179d-4578-adf2-39fd13ccc797", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	q.Procedure, q.ProcedureLang = "R1", "EN"
	q.ExplicitRequestGiven = true
	q.Requirements = []edm.Requirement{{
		Identifier: edm.ID("https://sr.oots.tech.europa.eu/requirements/315cfd75-6605-49c4-b0fe-799833b41099"),
		Name:       []edm.Text{edm.Lang("EN", "Proof of Birth")},
	}}
	q.EvidenceRequester = []edm.Agent{{
		Identifier:     edm.SchemeID("urn:cef.eu:names:identifier:EAS:0096", "DK22233223"),
		Name:           []edm.Text{edm.Lang("EN", "Denmark University Portal")},
		Classification: "ER",
	}}
	q.EvidenceProvider = &edm.Agent{
		Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:9930", "DE73524311"),
		Name:       []edm.Text{edm.Lang("EN", "Civil Registration Office Berlin I")},
	}
	q.NaturalPerson = &edm.Person{LevelOfAssurance: "High", FamilyName: "Smith", GivenName: "John", DateOfBirth: "1970-03-01"}

	if _, err := q.Marshal(); err != nil {
		fmt.Println(err)
	}
	q.EvidenceRequest = &edm.DataServiceEvidenceType{
		Identifier:                 edm.ID("2af27699-f131-4411-8fdb-9e8cd4e8bded"),
		EvidenceTypeClassification: "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e",
		Title:                      []edm.Text{edm.Lang("EN", "Certificate of Birth")},
		DistributedAs:              []edm.Distribution{{Format: "application/pdf"}},
	}
	out, err := q.Marshal()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "<rim:Slot ") || strings.Contains(line, "<query:") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// edm: message incomplete: EDM-REQ: query slot EvidenceRequest is missing
	// <query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:sdg="http://data.europa.eu/p4s" id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797">
	// <rim:Slot name="SpecificationIdentifier">
	// <rim:Slot name="IssueDateTime">
	// <rim:Slot name="Procedure">
	// <rim:Slot name="PossibilityForPreview">
	// <rim:Slot name="ExplicitRequestGiven">
	// <rim:Slot name="Requirements">
	// <rim:Slot name="EvidenceRequester">
	// <rim:Slot name="EvidenceProvider">
	// <query:ResponseOption returnType="LeafClassWithRepositoryItem"/>
	// <query:Query queryDefinition="DocumentQuery">
	// <rim:Slot name="NaturalPerson">
	// <rim:Slot name="EvidenceRequest">
}

// Parse detects the kind and version of a message, reads it into the typed
// model and reports what is wrong with it as findings.
func ExampleParse() {
	doc := `<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"
    xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:sdg="http://data.europa.eu/p4s"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797">
  <rim:Slot name="SpecificationIdentifier"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>oots-edm:v2.0</rim:Value></rim:SlotValue></rim:Slot>
  <rim:Slot name="IssueDateTime"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2026-08-06T10:00:00Z</rim:Value></rim:SlotValue></rim:Slot>
  <rim:Slot name="Procedure"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>T3</rim:Value></rim:SlotValue></rim:Slot>
  <rim:Slot name="PossibilityForPreview"><rim:SlotValue xsi:type="rim:BooleanValueType"><rim:Value>true</rim:Value></rim:SlotValue></rim:Slot>
  <rim:Slot name="ExplicitRequestGiven"><rim:SlotValue xsi:type="rim:BooleanValueType"><rim:Value>true</rim:Value></rim:SlotValue></rim:Slot>
  <rim:Slot name="EvidenceRequester"><rim:SlotValue xsi:type="rim:CollectionValueType"><rim:Element xsi:type="rim:AnyValueType">
    <sdg:Agent><sdg:Identifier schemeID="urn:cef.eu:names:identifier:EAS:0009">00000000000002</sdg:Identifier>
      <sdg:Name lang="FR">Ministère</sdg:Name><sdg:Classification>ER</sdg:Classification></sdg:Agent>
  </rim:Element></rim:SlotValue></rim:Slot>
  <query:ResponseOption returnType="LeafClassWithRepositoryItem"/>
  <query:Query queryDefinition="DocumentQuery"/>
</query:QueryRequest>`
	m, findings, err := edm.Parse(bytes.NewReader([]byte(doc)))
	if err != nil {
		fmt.Println(err)
		return
	}
	q := m.(*edm.QueryRequest)
	fmt.Println(m.Kind(), m.Version(), q.Procedure, q.EvidenceRequester[0].Name[0].Value)
	for _, f := range findings {
		fmt.Println(f)
	}
	// Output:
	// EDM-REQ oots-edm:v2.0 T3 Ministère
	// error OOTS-STRUCT-SLOT-MISSING /query:QueryRequest: required slot Requirements is missing
	// error OOTS-STRUCT-SLOT-MISSING /query:QueryRequest: required slot EvidenceProvider is missing
	// error OOTS-STRUCT-SLOT-MISSING /query:QueryRequest/query:Query: required slot EvidenceRequest is missing
	// error OOTS-CONTENT /query:QueryRequest/query:Query: exactly one of the slots NaturalPerson and LegalPerson is required
}

package edm

import (
	"time"

	"github.com/oots-go/oots/regrep"
)

// Messages of every kind built with the builders of this package, with the
// content of the TDD 1.0 examples (birth certificate, Germany/Denmark). They
// are checked by the independent verifiers in verify_test.go.

var (
	testTime    = time.Date(2022, 5, 19, 17, 8, 10, 872e6, time.UTC)
	testRequest = "4ffb5281-179d-4578-adf2-39fd13ccc797"
)

func testAddress() *Address {
	return &Address{FullAddress: "Prince Street 15, 1050 Copenhagen, Denmark", LocatorDesignator: "15", PostCode: "1050",
		PostCityName: "Copenhagen", Thoroughfare: "Prince Street", AdminUnitLevel1: "DK", AdminUnitLevel2: "DK011"}
}

func testRequester() Agent {
	return Agent{Identifier: SchemeID("urn:cef.eu:names:identifier:EAS:0096", "DK22233223"),
		Name: []Text{Lang("EN", "Denmark University Portal")}, Address: testAddress(), Classification: "ER"}
}

func testProvider() Agent {
	return Agent{Identifier: SchemeID("urn:cef.eu:names:identifier:EAS:9930", "DE73524311"),
		Name: []Text{Lang("EN", "Civil Registration Office Berlin I")}}
}

func testRequirement() Requirement {
	return Requirement{Identifier: ID("https://sr.oots.tech.europa.eu/requirements/315cfd75-6605-49c4-b0fe-799833b41099"),
		Name: []Text{Lang("EN", "Proof of Birth"), Lang("DE", "Geburtsnachweis")}}
}

const testETC = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"

func testEvidenceType() *DataServiceEvidenceType {
	return &DataServiceEvidenceType{
		Identifier:                 ID("2af27699-f131-4411-8fdb-9e8cd4e8bded"),
		EvidenceTypeClassification: testETC,
		Title:                      []Text{Lang("EN", "Certificate of Birth"), Lang("DE", "Geburtsurkunde")},
		DistributedAs: []Distribution{{Format: "application/xml",
			ConformsTo: "https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0"}},
	}
}

func testPerson() *Person {
	return &Person{LevelOfAssurance: "High", Identifier: &Identifier{SchemeID: "eidas", Value: "DK/DE/123123123"},
		FamilyName: "Smith", GivenName: "John", DateOfBirth: "1970-03-01", Gender: "Male",
		SectorSpecificAttribute: []Attribute{{AttributeName: "IBAN",
			AttributeURI: "http://eidas.europa.eu/attributes/naturalperson/banking/IBAN", AttributeValue: "DE02500105170137075032"}}}
}

func buildRequest() *QueryRequest {
	q := NewQueryRequest(V1_0, testRequest, testTime)
	q.Lang = "EN"
	q.Procedure, q.ProcedureLang = "R1", "EN"
	q.PossibilityForPreview = false
	q.ExplicitRequestGiven = true
	q.Requirements = []Requirement{testRequirement()}
	q.EvidenceRequester = []Agent{testRequester()}
	ep := testProvider()
	q.EvidenceProvider = &ep
	q.NaturalPerson = testPerson()
	q.EvidenceRequest = testEvidenceType()
	return q
}

func buildResponse() *QueryResponse {
	r := NewQueryResponse(buildRequest(), "166155eb-d7a7-4cac-9086-8a85f0116462", testTime.Add(2*time.Minute))
	ep := testProvider()
	ep.Classification = "EP"
	r.EvidenceProvider = []Agent{ep}
	ia := testProvider()
	r.Evidence = []*EvidenceObject{NewEvidenceObject("urn:uuid:f073cbe2-cf2a-4f46-b9ff-d4b0fde53ab1", Evidence{
		Identifier: ID("37a169f1-9cf6-4aa8-ac24-b083fa569173"),
		IsAbout: &IsAbout{NaturalPerson: &Person{Identifier: &Identifier{SchemeID: "eidas", Value: "DK/DE/123123123"},
			FamilyName: "Smith", GivenName: "John", DateOfBirth: "1970-03-01"}},
		IssuingAuthority: &ia,
		IsConformantTo:   &EvidenceType{EvidenceTypeClassification: testETC, Title: []Text{Lang("EN", "Certificate of Birth")}},
		IssuingDate:      "1970-03-03",
		Distribution: []Distribution{{Format: "application/xml", Language: []string{"DE"},
			ConformsTo: "https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0"}},
	}, "cid:attachment100001@example.oots.eu", "BirthCertificate", "", "")}
	return r
}

func buildErrorResponse() *ErrorResponse {
	exc := NewException("EDM:ERR:0002", "The server needs authorisation and preview on its side to process the request")
	exc.PreviewLocation = "https://preview.example.de/preview/2af27699"
	exc.PreviewDescription = []regrep.LocalizedString{{Lang: "EN", Value: "Please preview the evidence."}}
	exc.PreviewMethod = "GET"
	erp := testProvider()
	erp.Classification = "ERRP"
	return NewErrorResponse(buildRequest(), "b40f2d4c-8e52-4c8b-8a4f-28f0d5a0b9b1", erp, exc, testTime)
}

func testReferenceFramework() ReferenceFramework {
	return ReferenceFramework{Identifier: ID("118fd444-6443-42be-a084-c9fbfd1f674d"),
		Title:        []Text{Lang("EN", "Procedure #1 - Requesting proof of registration of birth")},
		RelatedTo:    []ReferenceFramework{{Identifier: ID("R1")}},
		Jurisdiction: &Jurisdiction{AdminUnitLevel1: "DE"}}
}

func buildEBRequirements() *ServiceResponse {
	r := NewServiceResponse(KindEBRequirements, CSv1)
	req := testRequirement()
	req.ReferenceFramework = []ReferenceFramework{testReferenceFramework()}
	r.Objects = []*Object{NewObject("urn:uuid:8c3ba281-73fd-4b22-852d-b7fc972db532", "Requirement", &req)}
	return r
}

func testEvidenceTypeList() EvidenceTypeList {
	return EvidenceTypeList{Identifier: ID("970918e4-1b27-41f0-be20-0a7c5fe4059f"),
		Name: []Text{Lang("EN", "List of Birth Certificates")},
		EvidenceType: []EvidenceType{{EvidenceTypeClassification: testETC,
			Title: []Text{Lang("EN", "Certificate of Birth")}, Jurisdiction: []Jurisdiction{{AdminUnitLevel1: "DE"}}}}}
}

func buildEBEvidenceTypes() *ServiceResponse {
	r := NewServiceResponse(KindEBEvidenceTypes, CSv1)
	req := testRequirement()
	req.ReferenceFramework = []ReferenceFramework{testReferenceFramework()}
	req.EvidenceTypeList = []EvidenceTypeList{testEvidenceTypeList()}
	r.Objects = []*Object{NewObject("urn:uuid:7b8a8ec6-71b9-4864-b147-f65debc14653", "Requirement", &req)}
	return r
}

func buildEBError() *ErrorResponse {
	return NewServiceError(CSv1, NewException("EB:ERR:0003", "country-code"))
}

func testAccessService() AccessService {
	return AccessService{Identifier: SchemeID("urn:cef.eu:names:identifier:EAS:0204", "11-IntermediaryPlatform-58"),
		ConformsTo: []string{"oots-edm:v1.0"},
		Publisher: Publisher{Identifier: SchemeID("urn:cef.eu:names:identifier:EAS:9930", "DE73524311"),
			Name:         []Text{Lang("EN", "Civil Registration Office Berlin I")},
			Address:      &Address{FullAddress: "Schönstedtstraße 5, 13357 Berlin, Germany", PostCode: "13357", PostCityName: "Berlin", AdminUnitLevel1: "DE", AdminUnitLevel2: "DE3"},
			Jurisdiction: &Jurisdiction{AdminUnitLevel1: "DE", AdminUnitLevel2: "DE3"}}}
}

func buildDSDResponse() *ServiceResponse {
	r := NewServiceResponse(KindDSDResponse, CSv1)
	d := testEvidenceType()
	d.AccessService = []AccessService{testAccessService()}
	d.AuthenticationLevelOfAssurance = "High"
	r.Objects = []*Object{NewObject("urn:uuid:4d66b7df-ad09-4098-942c-cb8da467af2a", "DataServiceEvidenceType", d)}
	return r
}

func buildDSDError() *ErrorResponse {
	exc := NewException("DSD:ERR:0005", "UserRequestedClassificationConcepts")
	exc.DataServiceEvidenceType = testEvidenceType()
	exc.UserRequestedClassificationConcepts = []InformationConcept{{Identifier: ID("b07146b6-1468-41a7-a10f-ee2a61429dbc"),
		Type: "Codelist", ValueExpression: "https://sr.oots.tech.europa.eu/ep-classification/de/countryresidence",
		Description: []Text{Lang("EN", "Rules of responsibility for German citizens without residence information")}}}
	return NewServiceError(CSv1, exc)
}

func buildEBSubmission() *SubmitObjectsRequest {
	s := NewSubmitObjectsRequest(KindEBSubmission, "urn:uuid:6d51920f-04a7-4482-be34-153e01b0b7a3")
	et := testEvidenceTypeList().EvidenceType[0]
	etl := testEvidenceTypeList()
	etl.EvidenceType = nil
	req := testRequirement()
	rf := testReferenceFramework()
	const (
		etID  = "urn:uuid:a1be6e74-e9ba-4d44-b04c-0376f367b8fd"
		etlID = "urn:uuid:91197b3c-890b-475f-a07e-709742e59f23"
		reqID = "urn:uuid:315cfd75-6605-49c4-b0fe-799833b41099"
		rfID  = "urn:uuid:b0c90eb4-6b66-4dd8-8c79-6d964ac3b9a1"
	)
	s.Objects = []*Object{
		NewLCMObject(etID, "EvidenceType", &et, ClassificationSchemeEB, "EvidenceType", "urn:uuid:35c299d8-9383-47ce-ad8c-0ed70ea52827"),
		NewLCMObject(etlID, "EvidenceTypeList", &etl, ClassificationSchemeEB, "EvidenceTypeList", "urn:uuid:4d44680b-432c-4b22-aa36-880d4ebd1b0d"),
		NewLCMObject(reqID, "Requirement", &req, ClassificationSchemeEB, "Requirement", "urn:uuid:22333046-3429-4684-85de-d9db69e236a1"),
		NewLCMObject(rfID, "ReferenceFramework", &rf, ClassificationSchemeEB, "ReferenceFramework", "urn:uuid:750869ec-aeac-4cc6-9386-75c86544e433"),
		NewAssociation("urn:uuid:826a2206-5dd0-45ff-abbc-23ba8f38477f", AssociationContainsEvidence, etlID, etID),
		NewAssociation("urn:uuid:3da4288b-e2ca-4d40-bde2-d3fc2dd04bab", AssociationFulfillsRequirement, etlID, reqID),
		NewAssociation("urn:uuid:d650d08b-4ca3-4d04-a5d2-255d83b84ce1", AssociationDerivesFromReferenceFramework, reqID, rfID),
	}
	return s
}

func buildDSDSubmission() *SubmitObjectsRequest {
	s := NewSubmitObjectsRequest(KindDSDSubmission, "urn:uuid:0d5e2b3a-7c4f-4e8e-9a51-3f7d2c1b6a90")
	as := testAccessService()
	d := testEvidenceType()
	const (
		epID  = "urn:uuid:a1be6e74-bbbb-4444-b04c-0376f367b8fd"
		dsdID = "urn:uuid:61165d22-657b-45fa-9240-f1ed35837c23"
	)
	s.Objects = []*Object{
		NewLCMObject(epID, "EvidenceProvider", &as, ClassificationSchemeDSD, "EvidenceProvider", "urn:uuid:a8bfb6c5-d8df-4a60-8351-2c5743e43481"),
		NewLCMObject(dsdID, "DataServiceEvidenceType", d, ClassificationSchemeDSD, "DataServiceEvidenceType", "urn:uuid:967d12d8-3c6b-4c8f-878b-da4c0a2f5561"),
		NewAssociation("urn:uuid:5b2c8f3e-1d4a-4f6b-9c7e-2a8d3f1e6b40", AssociationServesEvidenceType, epID, dsdID),
	}
	return s
}

func buildLCMSuccess() *RegistryResponse {
	return NewRegistryResponse("urn:uuid:6d51920f-04a7-4482-be34-153e01b0b7a3")
}

func buildLCMError() *RegistryResponse {
	return NewRegistryResponse("urn:uuid:6d51920f-04a7-4482-be34-153e01b0b7a3",
		NewException("LCM:ERR:0001", "A registry object in the Request does not comply with the specification"))
}

// buildLegalRequest is a request about a legal person, made by its
// authorised representative.
func buildLegalRequest() *QueryRequest {
	q := buildRequest()
	q.NaturalPerson = nil
	q.LegalPerson = &LegalPerson{LevelOfAssurance: "Substantial",
		LegalPersonIdentifier: &Identifier{SchemeID: "eidas", Value: "DK/DE/123456789"},
		LegalName:             "Smith Holding A/S",
		RegisteredAddress:     testAddress()}
	q.AuthorizedRepresentative = testPerson()
	return q
}

// built lists one built message per kind.
func built() map[Kind]Message {
	return map[Kind]Message{
		KindEvidenceRequest:  buildRequest(),
		KindEvidenceResponse: buildResponse(),
		KindEvidenceError:    buildErrorResponse(),
		KindEBRequirements:   buildEBRequirements(),
		KindEBEvidenceTypes:  buildEBEvidenceTypes(),
		KindEBError:          buildEBError(),
		KindEBSubmission:     buildEBSubmission(),
		KindDSDResponse:      buildDSDResponse(),
		KindDSDError:         buildDSDError(),
		KindDSDSubmission:    buildDSDSubmission(),
		KindLCMSuccess:       buildLCMSuccess(),
		KindLCMError:         buildLCMError(),
	}
}

package schematron

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// edm20Case is a v2.0 reference instance, or a mutant of one made by
// textual replacements, with the rule ids our EDM v2.0 files must fire on it:
// want at error level (fatal or error, the message is refused), warn at
// warning or info level (the message passes). The reference instances passed
// the official 2.0.1 rules, so they fire nothing.
type edm20Case struct {
	name   string
	sample string // file in edm-2.0-oots-france/messages
	kind   string
	edits  []string // old, new pairs applied in order, each everywhere it occurs
	want   []string
	warn   []string
}

// all returns the ids the case fires at any level, sorted.
func (c edm20Case) all() []string {
	set := map[string]bool{}
	for _, id := range c.want {
		set[id] = true
	}
	for _, id := range c.warn {
		set[id] = true
	}
	return sortedKeys(set)
}

const (
	smpReq  = "requete.xml"
	smpResp = "reponse.xml"
	smpErr  = "erreur.xml"

	slotPreview  = `<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>https://preview.example.eu/p/1</rim:Value></rim:SlotValue></rim:Slot>`
	slotReturn   = `<rim:Slot name="ReturnLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>http://portal.example.eu/back</rim:Value></rim:SlotValue></rim:Slot>`
	slotReturnS  = `<rim:Slot name="ReturnLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>https://portal.example.eu/back</rim:Value></rim:SlotValue></rim:Slot>`
	beforePFP    = `<rim:Slot name="PossibilityForPreview">`
	requesterIP  = `<sdg:Classification>IP</sdg:Classification>`
	ebmsExch     = `<eb:Property name="ExchangeId">1a2b3c4d-0000-4000-8000-000000000002</eb:Property>`
	responseOpt  = `<query:ResponseOption`
	evidenceReq  = `<rim:Slot name="EvidenceRequest">`
	naturalPID   = `<sdg:Identifier schemeID="eidas">FR/DE/123123123</sdg:Identifier>`
	unknownEAS   = `urn:cef.eu:names:identifier:EAS:4242` // not in the EAS code list
	reqProvider  = `schemeID="urn:cef.eu:names:identifier:EAS:9930"`
	reqRequester = `schemeID="urn:cef.eu:names:identifier:EAS:0009">00000000000002`
	respEPID     = "<sdg:Agent>\n        <sdg:Identifier schemeID=\"urn:cef.eu:names:identifier:EAS:0009\">00000000000001"
	respIssuerID = "<sdg:IssuingAuthority>\n              <sdg:Identifier schemeID=\"urn:cef.eu:names:identifier:EAS:0009\">"
	errProvID    = `<sdg:Identifier schemeID="urn:cef.eu:names:identifier:EAS:0009">00000000000001`
	errTimestamp = "</rim:Slot>\n  </rs:Exception>"

	// An EvidenceProviderClassification slot, answering a DSD question.
	epcSlot = `<rim:Slot name="EvidenceProviderClassification"><rim:SlotValue xsi:type="rim:CollectionValueType"><rim:Element xsi:type="rim:AnyValueType"><sdg:EvidenceProviderClassification><sdg:Identifier>0f5c4d8e-1a2b-4c3d-8e9f-000000000001</sdg:Identifier><sdg:Type>Region</sdg:Type><sdg:Description lang="EN">Region of the provider</sdg:Description><sdg:SupportedValue><sdg:StringValue>Bavaria</sdg:StringValue></sdg:SupportedValue></sdg:EvidenceProviderClassification></rim:Element></rim:SlotValue></rim:Slot>`
	// An AuthorizedRepresentative slot.
	arSlot = `<rim:Slot name="AuthorizedRepresentative"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Person><sdg:LevelOfAssurance>Substantial</sdg:LevelOfAssurance><sdg:Identifier schemeID="eidas">FR/DE/987654321</sdg:Identifier><sdg:FamilyName>Martin</sdg:FamilyName><sdg:GivenName>Anne</sdg:GivenName><sdg:DateOfBirth>1980-01-01</sdg:DateOfBirth><sdg:CurrentAddress><sdg:AdminUnitLevel1>BE</sdg:AdminUnitLevel1></sdg:CurrentAddress></sdg:Person></rim:SlotValue></rim:Slot>`

	previewRequired   = `urn:sr.oots.tech.ec.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired`
	previewRequired10 = `urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired`
	errPreviewSlot    = `<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>https://preview.example.eu/p/1</rim:Value></rim:SlotValue></rim:Slot>`
)

// ed returns its old, new pairs; with returns base followed by more, in a new
// slice.
func ed(pairs ...string) []string { return pairs }

func with(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

func ids(ids ...string) []string { return ids }

var (
	// The request as a legal person asks it.
	legalPerson = ed(`<rim:Slot name="NaturalPerson">`, `<rim:Slot name="LegalPerson">`,
		`<sdg:Person>`, `<sdg:LegalPerson>`, `</sdg:Person>`, `</sdg:LegalPerson>`,
		naturalPID, `<sdg:LegalPersonIdentifier schemeID="eidas">FR/DE/123123123</sdg:LegalPersonIdentifier><sdg:Identifier schemeID="VAT">FR12345678901</sdg:Identifier><sdg:RegisteredAddress><sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1></sdg:RegisteredAddress>`)
	withEPC = ed(responseOpt, epcSlot+responseOpt)
	withAR  = ed(evidenceReq, arSlot+evidenceReq)
	// The response whose evidence is about a legal person.
	legalSubject = ed(`<sdg:NaturalPerson>`, `<sdg:LegalPerson>`, `</sdg:NaturalPerson>`, `</sdg:LegalPerson>`,
		naturalPID, `<sdg:LegalPersonIdentifier schemeID="eidas">FR/DE/123123123</sdg:LegalPersonIdentifier>`)
	// The error asking for a preview (EDM:ERR:0002).
	authorization = ed(`rs:ObjectNotFoundExceptionType`, `rs:AuthorizationExceptionType`,
		`message="Object not found"`, `message="Missing Authorization"`,
		`urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error`, previewRequired,
		`code="EDM:ERR:0004"`, `code="EDM:ERR:0002"`,
		errTimestamp, "</rim:Slot>"+errPreviewSlot+"</rs:Exception>")
	// deferred turns the response into the deferred answer of TDD 1.0
	// R-EDM-RESP-S006 (status Unavailable), S014 and S016 (with
	// ResponseAvailableDateTime), S007 (no evidence: the list is replaced by
	// list, "" or an empty one).
	deferred = func(list string) []string {
		return ed(`ResponseStatusType:Success`, `ResponseStatusType:Unavailable`,
			"\n<rim:Slot name=\"EvidenceProvider\">", `<rim:Slot name="ResponseAvailableDateTime"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2026-08-07T09:30:00Z</rim:Value></rim:SlotValue></rim:Slot>`+"\n<rim:Slot name=\"EvidenceProvider\">",
			"  <rim:RegistryObjectList>\n    <rim:RegistryObject xsi:type=\"rim:RegistryPackageType\"", list+"<!-- ",
			"</rim:RegistryObjectList>\n</query:QueryResponse>", " -->\n</query:QueryResponse>")
	}
	withPreviewDescription = ed(`<rim:Slot name="Timestamp">`, `<rim:Slot name="PreviewDescription"><rim:SlotValue xsi:type="rim:InternationalStringValueType"><rim:Value><rim:LocalizedString xml:lang="EN" value="Preview"/></rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="Timestamp">`)
)

var edm20Cases = []edm20Case{
	// The reference instances, and variants the official rules are known to accept.
	{name: "request", sample: smpReq, kind: KindEDMRequest},
	{name: "response", sample: smpResp, kind: KindEDMResponse},
	{name: "error", sample: smpErr, kind: KindEDMError},
	{name: "request header", sample: "requete.entete.xml", kind: KindEBMS},
	{name: "response header", sample: "reponse.entete.xml", kind: KindEBMS},
	{name: "error header", sample: "erreur.entete.xml", kind: KindEBMS},
	{name: "request acceptance requirement", sample: smpReq, kind: KindEDMRequest, edits: ed(`https://sr.oots.tech.ec.europa.eu/requirements/`, `https://sr.acc.oots.tech.ec.europa.eu/requirements/`)},
	{name: "request test classification", sample: smpReq, kind: KindEDMRequest, edits: ed(`https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/`, `https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/oots/`)},
	{name: "request upper-case service id", sample: smpReq, kind: KindEDMRequest, edits: ed(`41170824-15d9-4c16-984e-63b75b937b8c`, `41170824-15D9-4C16-984E-63B75B937B8C`)},
	{name: "request preview", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, slotPreview+slotReturnS+beforePFP)},
	{name: "request classification", sample: smpReq, kind: KindEDMRequest, edits: withEPC},
	{name: "request legal person", sample: smpReq, kind: KindEDMRequest, edits: legalPerson},
	{name: "request representative", sample: smpReq, kind: KindEDMRequest, edits: withAR},
	{name: "request eidas2", sample: smpReq, kind: KindEDMRequest, edits: ed(`schemeID="eidas">FR/DE`, `schemeID="eidas2">FR/DE`)},
	{name: "request annex", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Language>EN</sdg:Language>`, `<sdg:Language>EN</sdg:Language><sdg:AssociatedDocumentRequest>Annex</sdg:AssociatedDocumentRequest>`)},
	{name: "request svg", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>image/svg+xml</sdg:Format>`)},
	{name: "request two formats, two DistributedAs", sample: smpReq, kind: KindEDMRequest, edits: ed("<sdg:Format>application/pdf</sdg:Format>\n        <sdg:Language>EN</sdg:Language>\n      </sdg:DistributedAs>", "<sdg:Format>application/pdf</sdg:Format><sdg:Format>image/png</sdg:Format>\n        <sdg:Language>EN</sdg:Language>\n      </sdg:DistributedAs><sdg:DistributedAs><sdg:Format>application/xml</sdg:Format><sdg:Format>application/json</sdg:Format><sdg:ConformsTo>https://sr.oots.tech.ec.europa.eu/datamodels/birth</sdg:ConformsTo><sdg:Language>DE</sdg:Language></sdg:DistributedAs>")},
	{name: "response two formats", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:Format>image/png</sdg:Format>`)},
	{name: "response xml among two formats with data model", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:Format>application/xml</sdg:Format><sdg:ConformsTo>https://sr.oots.tech.ec.europa.eu/datamodels/birth</sdg:ConformsTo>`)},
	{name: "response deferred", sample: smpResp, kind: KindEDMResponse, edits: deferred("")},
	{name: "response deferred, empty list", sample: smpResp, kind: KindEDMResponse, edits: deferred("<rim:RegistryObjectList/>")},
	{name: "response legal person", sample: smpResp, kind: KindEDMResponse, edits: legalSubject},
	{name: "response xml with data model", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/xml</sdg:Format><sdg:ConformsTo>https://sr.oots.tech.ec.europa.eu/datamodels/birth</sdg:ConformsTo>`)},
	{name: "error preview", sample: smpErr, kind: KindEDMError, edits: authorization},
	{name: "error preview 1.0 severity", sample: smpErr, kind: KindEDMError, edits: with(authorization, previewRequired, previewRequired10)},
	{name: "error preview description", sample: smpErr, kind: KindEDMError, edits: with(authorization, withPreviewDescription...)},

	// Request, structure (EDM-REQ-S).
	{name: "request root", sample: smpReq, kind: KindEDMRequest, edits: ed(`query:QueryRequest `, `query:QueryRequestX `, `</query:QueryRequest>`, `</query:QueryRequestX>`), want: ids("R-EDM-REQ-S001")},
	{name: "request namespace", sample: smpReq, kind: KindEDMRequest, edits: ed(`xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"`, `xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.1"`), want: ids("R-EDM-REQ-S002")},
	{name: "request id not urn:uuid", sample: smpReq, kind: KindEDMRequest, edits: ed(`id="urn:uuid:`, `id="`), want: ids("R-EDM-REQ-S004")},
	{name: "request no SpecificationIdentifier", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="SpecificationIdentifier"`, `name="Specification"`), want: ids("R-EDM-REQ-S005", "R-EDM-REQ-S019")},
	{name: "request no IssueDateTime", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="IssueDateTime"`, `name="Issued"`), want: ids("R-EDM-REQ-S006", "R-EDM-REQ-S019")},
	{name: "request no Procedure", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="Procedure"`, `name="Procedures"`), want: ids("R-EDM-REQ-S019"), warn: ids("R-EDM-REQ-S007")},
	{name: "request no PossibilityForPreview", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="PossibilityForPreview"`, `name="Preview"`), want: ids("R-EDM-REQ-S009", "R-EDM-REQ-S019")},
	{name: "request no ExplicitRequestGiven", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="ExplicitRequestGiven"`, `name="Explicit"`), want: ids("R-EDM-REQ-S010", "R-EDM-REQ-S019")},
	{name: "request no Requirements", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="Requirements"`, `name="Requirement"`), want: ids("R-EDM-REQ-S019"), warn: ids("R-EDM-REQ-S011")},
	{name: "request no EvidenceRequester", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="EvidenceRequester"`, `name="Requester"`), want: ids("R-EDM-REQ-S012", "R-EDM-REQ-S019")},
	{name: "request no EvidenceProvider", sample: smpReq, kind: KindEDMRequest, edits: ed(`name="EvidenceProvider"`, `name="Provider"`), want: ids("R-EDM-REQ-S013", "R-EDM-REQ-S019")},
	{name: "request no EvidenceRequest", sample: smpReq, kind: KindEDMRequest, edits: ed(evidenceReq, `<rim:Slot name="Request">`), want: ids("R-EDM-REQ-S015")},
	{name: "request no person", sample: smpReq, kind: KindEDMRequest, edits: ed(`<rim:Slot name="NaturalPerson">`, `<rim:Slot name="Someone">`), want: ids("R-EDM-REQ-S016")},
	{name: "request two persons", sample: smpReq, kind: KindEDMRequest, edits: ed(evidenceReq, `<rim:Slot name="LegalPerson"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:LegalPerson><sdg:LevelOfAssurance>High</sdg:LevelOfAssurance><sdg:LegalPersonIdentifier schemeID="eidas">FR/DE/123456789</sdg:LegalPersonIdentifier><sdg:LegalName>ACME</sdg:LegalName></sdg:LegalPerson></rim:SlotValue></rim:Slot>`+evidenceReq), want: ids("R-EDM-REQ-S016")},
	{name: "request unknown slot", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, `<rim:Slot name="Purpose"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>x</rim:Value></rim:SlotValue></rim:Slot>`+beforePFP), want: ids("R-EDM-REQ-S019")},
	{name: "request SpecificationIdentifier type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"SpecificationIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\"", "name=\"SpecificationIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-REQ-S020")},
	{name: "request IssueDateTime type", sample: smpReq, kind: KindEDMRequest, edits: ed(`xsi:type="rim:DateTimeValueType"`, `xsi:type="rim:StringValueType"`), want: ids("R-EDM-REQ-S021")},
	{name: "request PreviewLocation type", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, strings.Replace(slotPreview, "StringValueType", "AnyValueType", 1)+slotReturnS+beforePFP), want: ids("R-EDM-REQ-S023")},
	{name: "request PossibilityForPreview type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"PossibilityForPreview\">\n    <rim:SlotValue xsi:type=\"rim:BooleanValueType\"", "name=\"PossibilityForPreview\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-REQ-S024")},
	{name: "request ExplicitRequestGiven type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"ExplicitRequestGiven\">\n    <rim:SlotValue xsi:type=\"rim:BooleanValueType\"", "name=\"ExplicitRequestGiven\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-REQ-S025")},
	{name: "request Requirements type", sample: smpReq, kind: KindEDMRequest, edits: ed("<rim:SlotValue xsi:type=\"rim:CollectionValueType\"\n", "<rim:SlotValue xsi:type=\"rim:AnyValueType\"\n"), want: ids("R-EDM-REQ-S026")},
	{name: "request Requirements element type", sample: smpReq, kind: KindEDMRequest, edits: ed("<rim:Element xsi:type=\"rim:AnyValueType\">\n        <sdg:Requirement>", "<rim:Element xsi:type=\"rim:StringValueType\">\n        <sdg:Requirement>"), want: ids("R-EDM-REQ-S027")},
	{name: "request no sdg:Requirement", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Requirement>`, `<sdg:Need>`, `</sdg:Requirement>`, `</sdg:Need>`), want: ids("R-EDM-REQ-S037")},
	{name: "request requirement without name", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Name lang="EN">Proof of tertiary education diploma/certificate/degree</sdg:Name>`, ``), want: ids("R-EDM-REQ-S038")},
	{name: "request EvidenceRequester type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:CollectionValueType\"", "name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-REQ-S028")},
	{name: "request requester not an agent", sample: smpReq, kind: KindEDMRequest, edits: ed("<rim:Element xsi:type=\"rim:AnyValueType\">\n      <sdg:Agent>", "<rim:Element xsi:type=\"rim:AnyValueType\">\n      <sdg:Party><sdg:Agent>", "</sdg:Agent>\n    </rim:Element>", "</sdg:Agent></sdg:Party>\n    </rim:Element>"), want: ids("R-EDM-REQ-S039"), warn: ids("R-EDM-REQ-C208")},
	{name: "request requester element type", sample: smpReq, kind: KindEDMRequest, edits: ed("<rim:Element xsi:type=\"rim:AnyValueType\">\n      <sdg:Agent>", "<rim:Element xsi:type=\"rim:StringValueType\">\n      <sdg:Agent>"), want: ids("R-EDM-REQ-S029")},
	{name: "request requester jurisdiction", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Classification>ER</sdg:Classification>`, `<sdg:Jurisdiction><sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1></sdg:Jurisdiction><sdg:Classification>ER</sdg:Classification>`), want: ids("R-EDM-REQ-S040")},
	{name: "request EvidenceProvider type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"EvidenceProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"EvidenceProvider\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-REQ-S030")},
	{name: "request provider not an agent", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"EvidenceProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Agent>", "name=\"EvidenceProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Publisher>", "Civil Registration Office Berlin I</sdg:Name>\n    </sdg:Agent>", "Civil Registration Office Berlin I</sdg:Name>\n    </sdg:Publisher>"), want: ids("R-EDM-REQ-S042")},
	{name: "request provider without name", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Name lang="EN">Civil Registration Office Berlin I</sdg:Name>`, ``), want: ids("R-EDM-REQ-S043")},
	{name: "request classification slot type", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `"EvidenceProviderClassification"><rim:SlotValue xsi:type="rim:CollectionValueType"`, `"EvidenceProviderClassification"><rim:SlotValue xsi:type="rim:AnyValueType"`), want: ids("R-EDM-REQ-S031")},
	{name: "request classification element type", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `<rim:Element xsi:type="rim:AnyValueType"><sdg:EvidenceProviderClassification>`, `<rim:Element xsi:type="rim:StringValueType"><sdg:EvidenceProviderClassification>`), want: ids("R-EDM-REQ-S032")},
	{name: "request classification element", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `<sdg:EvidenceProviderClassification>`, `<sdg:Classification>`, `</sdg:EvidenceProviderClassification>`, `</sdg:Classification>`), want: ids("R-EDM-REQ-S041")},
	{name: "request EvidenceRequest type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"EvidenceRequest\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"EvidenceRequest\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-REQ-S033")},
	{name: "request not a DataServiceEvidenceType", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:DataServiceEvidenceType `, `<sdg:EvidenceType `, `</sdg:DataServiceEvidenceType>`, `</sdg:EvidenceType>`), want: ids("R-EDM-REQ-S044")},
	{name: "request evidence type extra element", sample: smpReq, kind: KindEDMRequest, edits: ed(`</sdg:DistributedAs>`, `</sdg:DistributedAs><sdg:AuthenticationLevelOfAssurance>High</sdg:AuthenticationLevelOfAssurance>`), want: ids("R-EDM-REQ-S045")},
	{name: "request NaturalPerson type", sample: smpReq, kind: KindEDMRequest, edits: ed("name=\"NaturalPerson\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"NaturalPerson\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-REQ-S035")},
	{name: "request NaturalPerson not a person", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Person>`, `<sdg:Human>`, `</sdg:Person>`, `</sdg:Human>`), want: ids("R-EDM-REQ-S046")},
	{name: "request LegalPerson type", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, "name=\"LegalPerson\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"LegalPerson\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-REQ-S034")},
	{name: "request LegalPerson not a legal person", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:LegalPerson>`, `<sdg:Company>`, `</sdg:LegalPerson>`, `</sdg:Company>`), want: ids("R-EDM-REQ-S047")},
	{name: "request representative type", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `"AuthorizedRepresentative"><rim:SlotValue xsi:type="rim:AnyValueType"`, `"AuthorizedRepresentative"><rim:SlotValue xsi:type="rim:StringValueType"`), want: ids("R-EDM-REQ-S036")},
	{name: "request representative not a person", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Person>`, `<rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Human>`, `</sdg:Person></rim:SlotValue></rim:Slot>`+evidenceReq, `</sdg:Human></rim:SlotValue></rim:Slot>`+evidenceReq), want: ids("R-EDM-REQ-S048")},
	{name: "request two representatives", sample: smpReq, kind: KindEDMRequest, edits: ed(evidenceReq, arSlot+arSlot+evidenceReq), warn: ids("R-EDM-REQ-S218")},
	{name: "request xml:lang", sample: smpReq, kind: KindEDMRequest, edits: ed(`id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000000"`, `id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000000" xml:lang="EN"`), warn: ids("R-EDM-REQ-S203")},
	{name: "request two previews", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, slotPreview+slotReturnS+slotPreview+slotReturnS+beforePFP), warn: ids("R-EDM-REQ-S212")},
	{name: "request preview without return", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, slotPreview+beforePFP), warn: ids("R-EDM-REQ-S213")},
	{name: "request no ResponseOption", sample: smpReq, kind: KindEDMRequest, edits: ed(`<query:ResponseOption returnType="LeafClassWithRepositoryItem"/>`, ``), warn: ids("R-EDM-REQ-S214")},
	{name: "request three requester agents", sample: smpReq, kind: KindEDMRequest, edits: ed(`<rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set">`, `<rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set"><rim:Element xsi:type="rim:AnyValueType"><sdg:Agent><sdg:Identifier schemeID="urn:oasis:names:tc:ebcore:partyid-type:unregistered:FR">OTHER</sdg:Identifier><sdg:Name lang="EN">Other</sdg:Name><sdg:Classification>IP</sdg:Classification></sdg:Agent></rim:Element>`), warn: ids("R-EDM-REQ-S220")},
	{name: "request transformation", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Language>EN</sdg:Language>`, `<sdg:Language>EN</sdg:Language><sdg:Transformation>https://sr.oots.tech.ec.europa.eu/x</sdg:Transformation>`), warn: ids("R-EDM-REQ-S223")},
	{name: "request no format", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, ``), warn: ids("R-EDM-REQ-S224")},

	// Request, content (EDM-REQ-C).
	{name: "request v1.2", sample: smpReq, kind: KindEDMRequest, edits: ed(`<rim:Value>oots-edm:v2.0</rim:Value>`, `<rim:Value>oots-edm:v1.2</rim:Value>`), want: ids("R-EDM-REQ-C001")},
	{name: "request date", sample: smpReq, kind: KindEDMRequest, edits: ed(`2026-08-06T10:00:00.000Z`, `06/08/2026 10:00`), want: ids("R-EDM-REQ-C002")},
	{name: "request procedure", sample: smpReq, kind: KindEDMRequest, edits: ed(`<rim:Value>T3</rim:Value>`, `<rim:Value>T8</rim:Value>`), want: ids("R-EDM-REQ-C003")},
	{name: "request preview over http", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, strings.Replace(slotPreview, "https:", "http:", 1)+slotReturnS+beforePFP), want: ids("R-EDM-REQ-C005")},
	{name: "request return over http", sample: smpReq, kind: KindEDMRequest, edits: ed(beforePFP, slotPreview+slotReturn+beforePFP), warn: ids("R-EDM-REQ-C205")},
	{name: "request boolean", sample: smpReq, kind: KindEDMRequest, edits: ed(`<rim:Value>false</rim:Value>`, `<rim:Value>no</rim:Value>`), warn: ids("R-EDM-REQ-C206")},
	{name: "request requirement upper-case", sample: smpReq, kind: KindEDMRequest, edits: ed(`f8a6a284-34e9-42c7-9733-63b5c4f4aa42`, `F8A6A284-34E9-42C7-9733-63B5C4F4AA42`), want: ids("R-EDM-REQ-C008")},
	{name: "request requirement TDD 1.0 host", sample: smpReq, kind: KindEDMRequest, edits: ed(`https://sr.oots.tech.ec.europa.eu/requirements/`, `https://sr.oots.tech.europa.eu/requirements/`), want: ids("R-EDM-REQ-C008")},
	{name: "request requirement name lang", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Name lang="EN">Proof of tertiary`, `<sdg:Name lang="">Proof of tertiary`), want: ids("R-EDM-REQ-C010"), warn: ids("R-EDM-REQ-C221")},
	{name: "request requirement description lang", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Description lang="EN">Proof that`, `<sdg:Description>Proof that`), want: ids("R-EDM-REQ-C094")},
	{name: "request requester classification empty", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Classification>ER</sdg:Classification>`, `<sdg:Classification></sdg:Classification>`), want: ids("R-EDM-REQ-C013"), warn: ids("R-EDM-REQ-C208", "R-EDM-REQ-C209")},
	{name: "request requester classification code", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Classification>ER</sdg:Classification>`, `<sdg:Classification>XX</sdg:Classification>`), want: ids("R-EDM-REQ-C014"), warn: ids("R-EDM-REQ-C208", "R-EDM-REQ-C209")},
	{name: "request requester EP", sample: smpReq, kind: KindEDMRequest, edits: ed(requesterIP, `<sdg:Classification>EP</sdg:Classification>`), warn: ids("R-EDM-REQ-C209")},
	{name: "request no ER", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Classification>ER</sdg:Classification>`, requesterIP), warn: ids("R-EDM-REQ-C208")},
	{name: "request requester without country", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1>`, ``), want: ids("R-EDM-REQ-C073")},
	{name: "request requester country", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1>Q1</sdg:AdminUnitLevel1>`), want: ids("R-EDM-REQ-C015")},
	{name: "request requester scheme missing", sample: smpReq, kind: KindEDMRequest, edits: ed(reqRequester, `>00000000000002`), warn: ids("R-EDM-REQ-C210", "R-EDM-REQ-C222")},
	{name: "request requester scheme code", sample: smpReq, kind: KindEDMRequest, edits: ed(reqRequester, `schemeID="`+unknownEAS+`">00000000000002`), want: ids("R-EDM-REQ-C012")},
	{name: "request requester identifier empty", sample: smpReq, kind: KindEDMRequest, edits: ed(`>00000000000002<`, `><`), warn: ids("R-EDM-REQ-C211")},
	{name: "request provider scheme missing", sample: smpReq, kind: KindEDMRequest, edits: ed(reqProvider, ``), want: ids("R-EDM-REQ-C017"), warn: ids("R-EDM-REQ-C210")},
	{name: "request provider scheme code", sample: smpReq, kind: KindEDMRequest, edits: ed(reqProvider, `schemeID="`+unknownEAS+`"`), want: ids("R-EDM-REQ-C018")},
	{name: "request provider scheme form", sample: smpReq, kind: KindEDMRequest, edits: ed(reqProvider, `schemeID="urn:example:scheme"`), warn: ids("R-EDM-REQ-C210")},
	{name: "request classification id", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `0f5c4d8e-1a2b-4c3d-8e9f-000000000001`, `region-1`), want: ids("R-EDM-REQ-C019")},
	{name: "request classification type", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `<sdg:Type>Region</sdg:Type>`, `<sdg:Type/>`), want: ids("R-EDM-REQ-C020")},
	{name: "request classification lang code", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `lang="EN">Region`, `lang="Q1">Region`), want: ids("R-EDM-REQ-C021"), warn: ids("R-EDM-REQ-C221")},
	{name: "request classification lang", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `lang="EN">Region`, `>Region`), want: ids("R-EDM-REQ-C022")},
	{name: "request classification value", sample: smpReq, kind: KindEDMRequest, edits: with(withEPC, `<sdg:StringValue>Bavaria</sdg:StringValue>`, ``), want: ids("R-EDM-REQ-C023")},
	{name: "request returnType", sample: smpReq, kind: KindEDMRequest, edits: ed(`returnType="LeafClassWithRepositoryItem"`, `returnType="LeafClass"`), want: ids("R-EDM-REQ-C024")},
	{name: "request queryDefinition", sample: smpReq, kind: KindEDMRequest, edits: ed(`queryDefinition="DocumentQuery"`, `queryDefinition="EvidenceQuery"`), want: ids("R-EDM-REQ-C025")},
	{name: "request no DistributedAs", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:DistributedAs>`, `<sdg:Distribution>`, `</sdg:DistributedAs>`, `</sdg:Distribution>`), want: ids("R-EDM-REQ-C032", "R-EDM-REQ-S045")},
	{name: "request service id", sample: smpReq, kind: KindEDMRequest, edits: ed(`41170824-15d9-4c16-984e-63b75b937b8c`, `birth-certificate`), want: ids("R-EDM-REQ-C026")},
	{name: "request classification country lower-case", sample: smpReq, kind: KindEDMRequest, edits: ed(`/evidencetypeclassifications/DE/`, `/evidencetypeclassifications/de/`), want: ids("R-EDM-REQ-C027")},
	{name: "request title lang", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Title lang="EN">`, `<sdg:Title>`), want: ids("R-EDM-REQ-C029")},
	{name: "request title lang code", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Title lang="EN">`, `<sdg:Title lang="Q1">`), want: ids("R-EDM-REQ-C028"), warn: ids("R-EDM-REQ-C221")},
	{name: "request description lang", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Description lang="EN">Birth`, `<sdg:Description>Birth`), want: ids("R-EDM-REQ-C031")},
	{name: "request description lang code", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Description lang="EN">Birth`, `<sdg:Description lang="Q1">Birth`), want: ids("R-EDM-REQ-C030"), warn: ids("R-EDM-REQ-C221")},
	{name: "request format", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>text/plain</sdg:Format>`), want: ids("R-EDM-REQ-C033")},
	{name: "request language lower-case", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Language>EN</sdg:Language>`, `<sdg:Language>en</sdg:Language>`), want: ids("R-EDM-REQ-C118")},
	{name: "request language three letters", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Language>EN</sdg:Language>`, `<sdg:Language>ENG</sdg:Language>`), want: ids("R-EDM-REQ-C118")},
	{name: "request associated document", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Language>EN</sdg:Language>`, `<sdg:Language>EN</sdg:Language><sdg:AssociatedDocumentRequest>Summary</sdg:AssociatedDocumentRequest>`), warn: ids("R-EDM-REQ-C219")},
	{name: "request data model", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:ConformsTo>https://sr.oots.tech.europa.eu/distributions/birth</sdg:ConformsTo>`), warn: ids("R-EDM-REQ-C220")},
	{name: "request no level of assurance", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, ``), want: ids("R-EDM-REQ-C036")},
	{name: "request level of assurance", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, `<sdg:LevelOfAssurance>Medium</sdg:LevelOfAssurance>`), want: ids("R-EDM-REQ-C037")},
	{name: "request person identifier empty", sample: smpReq, kind: KindEDMRequest, edits: ed(`>FR/DE/123123123<`, `><`), want: ids("R-EDM-REQ-C039"), warn: ids("R-EDM-REQ-C038")},
	{name: "request person identifier", sample: smpReq, kind: KindEDMRequest, edits: ed(`>FR/DE/123123123<`, `>FR-DE-1<`), want: ids("R-EDM-REQ-C039")},
	{name: "request person scheme missing", sample: smpReq, kind: KindEDMRequest, edits: ed(naturalPID, `<sdg:Identifier>FR/DE/123123123</sdg:Identifier>`), want: ids("R-EDM-REQ-C041", "R-EDM-REQ-C042")},
	{name: "request person scheme", sample: smpReq, kind: KindEDMRequest, edits: ed(`schemeID="eidas">`, `schemeID="national">`), want: ids("R-EDM-REQ-C042")},
	{name: "request date of birth", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:DateOfBirth>1992-10-22</sdg:DateOfBirth>`, `<sdg:DateOfBirth>22/10/1992</sdg:DateOfBirth>`), want: ids("R-EDM-REQ-C043")},
	{name: "request person country", sample: smpReq, kind: KindEDMRequest, edits: ed(`<sdg:DateOfBirth>1992-10-22</sdg:DateOfBirth>`, `<sdg:DateOfBirth>1992-10-22</sdg:DateOfBirth><sdg:CurrentAddress><sdg:AdminUnitLevel1>Q1</sdg:AdminUnitLevel1></sdg:CurrentAddress>`), want: ids("R-EDM-REQ-C045")},
	{name: "request eidas2 substantial", sample: smpReq, kind: KindEDMRequest, edits: ed(`schemeID="eidas">FR/DE`, `schemeID="eidas2">FR/DE`, `<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, `<sdg:LevelOfAssurance>Substantial</sdg:LevelOfAssurance>`), warn: ids("R-EDM-REQ-C214")},
	{name: "request legal person no level of assurance", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, ``), want: ids("R-EDM-REQ-C047")},
	{name: "request legal person level of assurance", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, `<sdg:LevelOfAssurance>Medium</sdg:LevelOfAssurance>`), want: ids("R-EDM-REQ-C048")},
	{name: "request legal person no identifier", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:LegalPersonIdentifier schemeID="eidas">FR/DE/123123123</sdg:LegalPersonIdentifier>`, ``), want: ids("R-EDM-REQ-C049")},
	{name: "request legal person identifier", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `>FR/DE/123123123</sdg:LegalPersonIdentifier>`, `>FR-1</sdg:LegalPersonIdentifier>`), want: ids("R-EDM-REQ-C050")},
	{name: "request legal person scheme missing", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:LegalPersonIdentifier schemeID="eidas">`, `<sdg:LegalPersonIdentifier>`), want: ids("R-EDM-REQ-C052", "R-EDM-REQ-C053")},
	{name: "request legal person scheme", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:LegalPersonIdentifier schemeID="eidas">`, `<sdg:LegalPersonIdentifier schemeID="VAT">`), want: ids("R-EDM-REQ-C053")},
	{name: "request legal person other identifier scheme", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:Identifier schemeID="VAT">`, `<sdg:Identifier>`), want: ids("R-EDM-REQ-C054")},
	{name: "request legal person country", sample: smpReq, kind: KindEDMRequest, edits: with(legalPerson, `<sdg:RegisteredAddress><sdg:AdminUnitLevel1>FR`, `<sdg:RegisteredAddress><sdg:AdminUnitLevel1>Q1`), want: ids("R-EDM-REQ-C056")},
	{name: "request representative no level of assurance", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<sdg:LevelOfAssurance>Substantial</sdg:LevelOfAssurance>`, ``), want: ids("R-EDM-REQ-C058")},
	{name: "request representative level of assurance", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<sdg:LevelOfAssurance>Substantial</sdg:LevelOfAssurance>`, `<sdg:LevelOfAssurance>Medium</sdg:LevelOfAssurance>`), want: ids("R-EDM-REQ-C059")},
	{name: "request representative no identifier", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<sdg:Identifier schemeID="eidas">FR/DE/987654321</sdg:Identifier>`, ``), want: ids("R-EDM-REQ-C060")},
	{name: "request representative identifier", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `>FR/DE/987654321<`, `>FR-2<`), want: ids("R-EDM-REQ-C061")},
	{name: "request representative scheme missing", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<sdg:Identifier schemeID="eidas">FR/DE/987654321`, `<sdg:Identifier>FR/DE/987654321`), want: ids("R-EDM-REQ-C062", "R-EDM-REQ-C063")},
	{name: "request representative scheme", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<sdg:Identifier schemeID="eidas">FR/DE/987654321`, `<sdg:Identifier schemeID="national">FR/DE/987654321`), want: ids("R-EDM-REQ-C063")},
	{name: "request representative date of birth", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `1980-01-01`, `01/01/1980`), want: ids("R-EDM-REQ-C064")},
	{name: "request representative country", sample: smpReq, kind: KindEDMRequest, edits: with(withAR, `<sdg:AdminUnitLevel1>BE</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1>Q1</sdg:AdminUnitLevel1>`), want: ids("R-EDM-REQ-C067")},

	// Response, structure (EDM-RESP-S).
	{name: "response root", sample: smpResp, kind: KindEDMResponse, edits: ed(`<query:QueryResponse`, `<query:QueryResponseX`, `</query:QueryResponse>`, `</query:QueryResponseX>`), want: ids("R-EDM-RESP-S001")},
	{name: "response namespace", sample: smpResp, kind: KindEDMResponse, edits: ed(`xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"`, `xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.1"`), want: ids("R-EDM-RESP-S002")},
	{name: "response no requestId", sample: smpResp, kind: KindEDMResponse, edits: ed(`requestId="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, ``), want: ids("R-EDM-RESP-S003")},
	{name: "response requestId", sample: smpResp, kind: KindEDMResponse, edits: ed(`requestId="urn:uuid:`, `requestId="`), want: ids("R-EDM-RESP-S004")},
	{name: "response no status", sample: smpResp, kind: KindEDMResponse, edits: ed(`status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"`, ``), want: ids("R-EDM-RESP-S005", "R-EDM-RESP-S006")},
	{name: "response status", sample: smpResp, kind: KindEDMResponse, edits: ed(`ResponseStatusType:Success`, `ResponseStatusType:Failure`), want: ids("R-EDM-RESP-S006")},
	{name: "response unavailable", sample: smpResp, kind: KindEDMResponse, edits: ed(`ResponseStatusType:Success`, `ResponseStatusType:Unavailable`), warn: ids("R-EDM-RESP-S202")},
	{name: "response no RegistryObjectList", sample: smpResp, kind: KindEDMResponse, edits: ed(`rim:RegistryObjectList>`, `rim:ObjectList>`), want: ids("R-EDM-RESP-S007")},
	{name: "response exception", sample: smpResp, kind: KindEDMResponse, edits: ed("</rim:RegistryObjectList>\n</query:QueryResponse>", `</rim:RegistryObjectList><rs:Exception xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" message="x"/></query:QueryResponse>`), want: ids("R-EDM-RESP-S008")},
	{name: "response no SpecificationIdentifier", sample: smpResp, kind: KindEDMResponse, edits: ed(`name="SpecificationIdentifier"`, `name="Specification"`), want: ids("R-EDM-RESP-S009", "R-EDM-RESP-S016"), warn: ids("R-EDM-RESP-S204")},
	{name: "response no EvidenceResponseIdentifier", sample: smpResp, kind: KindEDMResponse, edits: ed(`name="EvidenceResponseIdentifier"`, `name="ResponseIdentifier"`), want: ids("R-EDM-RESP-S010", "R-EDM-RESP-S016"), warn: ids("R-EDM-RESP-S204")},
	{name: "response no IssueDateTime", sample: smpResp, kind: KindEDMResponse, edits: ed(`name="IssueDateTime"`, `name="Issued"`), want: ids("R-EDM-RESP-S011", "R-EDM-RESP-S016"), warn: ids("R-EDM-RESP-S204")},
	{name: "response no EvidenceProvider", sample: smpResp, kind: KindEDMResponse, edits: ed(`name="EvidenceProvider"`, `name="Provider"`), want: ids("R-EDM-RESP-S012", "R-EDM-RESP-S016"), warn: ids("R-EDM-RESP-S204")},
	{name: "response no EvidenceRequester", sample: smpResp, kind: KindEDMResponse, edits: ed(`name="EvidenceRequester"`, `name="Requester"`), want: ids("R-EDM-RESP-S013", "R-EDM-RESP-S016"), warn: ids("R-EDM-RESP-S204")},
	{name: "response two availability dates", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:Slot name="EvidenceProvider">`, `<rim:Slot name="ResponseAvailableDateTime"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2026-08-07T10:00:00Z</rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="ResponseAvailableDateTime"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2026-08-07T10:00:00Z</rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="EvidenceProvider">`), warn: ids("R-EDM-RESP-S014")},
	{name: "response SpecificationIdentifier type", sample: smpResp, kind: KindEDMResponse, edits: ed("name=\"SpecificationIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\"", "name=\"SpecificationIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-RESP-S017")},
	{name: "response EvidenceResponseIdentifier type", sample: smpResp, kind: KindEDMResponse, edits: ed("name=\"EvidenceResponseIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\"", "name=\"EvidenceResponseIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-RESP-S018")},
	{name: "response IssueDateTime type", sample: smpResp, kind: KindEDMResponse, edits: ed(`xsi:type="rim:DateTimeValueType"`, `xsi:type="rim:StringValueType"`), want: ids("R-EDM-RESP-S019")},
	{name: "response EvidenceProvider type", sample: smpResp, kind: KindEDMResponse, edits: ed("name=\"EvidenceProvider\">\n  <rim:SlotValue xsi:type=\"rim:CollectionValueType\"", "name=\"EvidenceProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-RESP-S020")},
	{name: "response EvidenceRequester type", sample: smpResp, kind: KindEDMResponse, edits: ed("name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-RESP-S022")},
	{name: "response requester not an agent", sample: smpResp, kind: KindEDMResponse, edits: ed("name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Agent>", "name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Party>", "supérieur</sdg:Name>\n    </sdg:Agent>", "supérieur</sdg:Name>\n    </sdg:Party>"), want: ids("R-EDM-RESP-S027")},
	{name: "response requester without name", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Name lang="FR">Ministère de l'enseignement supérieur</sdg:Name>`, ``), want: ids("R-EDM-RESP-S028")},
	{name: "response availability type", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:Slot name="EvidenceProvider">`, `<rim:Slot name="ResponseAvailableDateTime"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>2026-08-07T10:00:00Z</rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="EvidenceProvider">`), want: ids("R-EDM-RESP-S023")},
	{name: "response package without id", sample: smpResp, kind: KindEDMResponse, edits: ed(`xsi:type="rim:RegistryPackageType" id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000016"`, `xsi:type="rim:RegistryPackageType"`), want: ids("R-EDM-RESP-S036")},
	{name: "response package id", sample: smpResp, kind: KindEDMResponse, edits: ed(`id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000016"`, `id="urn:uuid:package-16"`), want: ids("R-EDM-RESP-S037")},
	{name: "response no issuing date", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:IssuingDate>1970-03-03</sdg:IssuingDate>`, ``), want: ids("R-EDM-RESP-S062")},
	{name: "response no issuing authority", sample: smpResp, kind: KindEDMResponse, edits: ed(`IssuingAuthority>`, `IssuingAuthorityX>`), want: ids("R-EDM-RESP-S062")},
	{name: "response no IsConformantTo", sample: smpResp, kind: KindEDMResponse, edits: ed(`IsConformantTo>`, `IsConformantToX>`), want: ids("R-EDM-RESP-S062")},
	{name: "response no distribution", sample: smpResp, kind: KindEDMResponse, edits: ed(`Distribution>`, `DistributionX>`), want: ids("R-EDM-RESP-S062")},
	{name: "response no IsAbout", sample: smpResp, kind: KindEDMResponse, edits: ed(`IsAbout>`, `IsAboutX>`), want: ids("R-EDM-RESP-S062")},
	{name: "response no evidence identifier", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Identifier>1a2b3c4d-0000-4000-8000-000000000018</sdg:Identifier>`, ``), want: ids("R-EDM-RESP-S062")},
	{name: "response unpackaged", sample: smpResp, kind: KindEDMResponse, edits: ed(`xsi:type="rim:RegistryPackageType"`, `xsi:type="rim:ExtrinsicObjectType"`), warn: ids("R-EDM-RESP-S211")},
	{name: "response annex only", sample: smpResp, kind: KindEDMResponse, edits: ed(`classificationNode="MainEvidence"`, `classificationNode="Annex"`), want: ids("R-EDM-RESP-S050", "R-EDM-RESP-S063"), warn: ids("R-EDM-RESP-S213")},
	{name: "response node", sample: smpResp, kind: KindEDMResponse, edits: ed(`classificationNode="MainEvidence"`, `classificationNode="Evidence"`), warn: ids("R-EDM-RESP-S213", "R-EDM-RESP-S220")},
	{name: "response object id", sample: smpResp, kind: KindEDMResponse, edits: ed(`id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000017"`, `id="object-17"`), warn: ids("R-EDM-RESP-S214")},
	{name: "response two classifications", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:RepositoryItemRef`, `<rim:Classification id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000020" classificationScheme="urn:fdc:oots:classification:edm" classificationNode="Translation"/><rim:RepositoryItemRef`), want: ids("R-EDM-RESP-S050", "R-EDM-RESP-S063"), warn: ids("R-EDM-RESP-S215")},
	{name: "response no metadata", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:Slot name="EvidenceMetadata">`, `<rim:Slot name="Metadata">`), warn: ids("R-EDM-RESP-S216")},
	{name: "response no item", sample: smpResp, kind: KindEDMResponse, edits: ed(`rim:RepositoryItemRef`, `rim:ItemRef`), warn: ids("R-EDM-RESP-S217")},
	{name: "response service in package", sample: smpResp, kind: KindEDMResponse, edits: ed("</rim:RegistryObject>\n      </rim:RegistryObjectList>", `</rim:RegistryObject><rim:RegistryObject xsi:type="rim:ServiceType" id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000021"/></rim:RegistryObjectList>`), warn: ids("R-EDM-RESP-S218")},
	{name: "response scheme", sample: smpResp, kind: KindEDMResponse, edits: ed(`classificationScheme="urn:fdc:oots:classification:edm"`, `classificationScheme="urn:example"`), warn: ids("R-EDM-RESP-S219")},
	{name: "response classification id", sample: smpResp, kind: KindEDMResponse, edits: ed(`id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000019"`, `id="c19"`), warn: ids("R-EDM-RESP-S221")},
	{name: "response association", sample: smpResp, kind: KindEDMResponse, edits: ed("</rim:RegistryObject>\n      </rim:RegistryObjectList>", `</rim:RegistryObject><rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000022" sourceObject="urn:uuid:1a2b3c4d-0000-4000-8000-000000000017" targetObject="urn:uuid:1a2b3c4d-0000-4000-8000-000000000099" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasAnnex"/></rim:RegistryObjectList>`), warn: ids("R-EDM-RESP-S227")},
	{name: "response association without type", sample: smpResp, kind: KindEDMResponse, edits: ed("</rim:RegistryObject>\n      </rim:RegistryObjectList>", `</rim:RegistryObject><rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000022" sourceObject="urn:uuid:1a2b3c4d-0000-4000-8000-000000000017" targetObject="urn:uuid:1a2b3c4d-0000-4000-8000-000000000017"/></rim:RegistryObjectList>`), warn: ids("R-EDM-RESP-S226")},

	// Response, content (EDM-RESP-C).
	{name: "response v1.2", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:Value>oots-edm:v2.0</rim:Value>`, `<rim:Value>oots-edm:v1.2</rim:Value>`), want: ids("R-EDM-RESP-C002")},
	{name: "response identifier", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:Value>1a2b3c4d-0000-4000-8000-000000000004</rim:Value>`, `<rim:Value>response-4</rim:Value>`), want: ids("R-EDM-RESP-C003")},
	{name: "response date", sample: smpResp, kind: KindEDMResponse, edits: ed(`2026-08-06T10:00:00.000Z`, `06/08/2026 10:00`), want: ids("R-EDM-RESP-C004")},
	{name: "response availability date", sample: smpResp, kind: KindEDMResponse, edits: ed(`<rim:Slot name="EvidenceProvider">`, `<rim:Slot name="ResponseAvailableDateTime"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>tomorrow</rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="EvidenceProvider">`), want: ids("R-EDM-RESP-C005")},
	{name: "response provider scheme missing", sample: smpResp, kind: KindEDMResponse, edits: ed(respEPID, "<sdg:Agent>\n        <sdg:Identifier>00000000000001"), want: ids("R-EDM-RESP-C006"), warn: ids("R-EDM-RESP-C206")},
	{name: "response provider scheme code", sample: smpResp, kind: KindEDMResponse, edits: ed(respEPID, "<sdg:Agent>\n        <sdg:Identifier schemeID=\""+unknownEAS+"\">00000000000001"), want: ids("R-EDM-RESP-C007")},
	{name: "response provider country", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1>Q1</sdg:AdminUnitLevel1>`), want: ids("R-EDM-RESP-C008")},
	{name: "response provider without country", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1>`, ``), warn: ids("R-EDM-RESP-C216")},
	{name: "response provider classification empty", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Classification>EP</sdg:Classification>`, `<sdg:Classification/>`), want: ids("R-EDM-RESP-C010"), warn: ids("R-EDM-RESP-C204", "R-EDM-RESP-C205")},
	{name: "response provider classification code", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Classification>EP</sdg:Classification>`, `<sdg:Classification>XX</sdg:Classification>`), want: ids("R-EDM-RESP-C011"), warn: ids("R-EDM-RESP-C204", "R-EDM-RESP-C205")},
	{name: "response provider ER", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Classification>EP</sdg:Classification>`, `<sdg:Classification>ER</sdg:Classification>`), warn: ids("R-EDM-RESP-C204", "R-EDM-RESP-C205")},
	{name: "response provider scheme form", sample: smpResp, kind: KindEDMResponse, edits: ed(respEPID, "<sdg:Agent>\n        <sdg:Identifier schemeID=\"urn:example:scheme\">00000000000001"), warn: ids("R-EDM-RESP-C206")},
	{name: "response requester scheme missing", sample: smpResp, kind: KindEDMResponse, edits: ed(reqRequester, `>00000000000002`), want: ids("R-EDM-RESP-C012"), warn: ids("R-EDM-RESP-C206")},
	{name: "response requester scheme code", sample: smpResp, kind: KindEDMResponse, edits: ed(reqRequester, `schemeID="`+unknownEAS+`">00000000000002`), want: ids("R-EDM-RESP-C013")},
	{name: "response cid", sample: smpResp, kind: KindEDMResponse, edits: ed(`xlink:href="cid:`, `xlink:href="https://`), warn: ids("R-EDM-RESP-C207")},
	{name: "response evidence identifier", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Identifier>1a2b3c4d-0000-4000-8000-000000000018</sdg:Identifier>`, `<sdg:Identifier>evidence-18</sdg:Identifier>`), want: ids("R-EDM-RESP-C015")},
	{name: "response issuing date", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:IssuingDate>1970-03-03</sdg:IssuingDate>`, `<sdg:IssuingDate>03/03/1970</sdg:IssuingDate>`), want: ids("R-EDM-RESP-C016")},
	{name: "response classification country lower-case", sample: smpResp, kind: KindEDMResponse, edits: ed(`/evidencetypeclassifications/DE/`, `/evidencetypeclassifications/de/`), want: ids("R-EDM-RESP-C017")},
	{name: "response classification other host", sample: smpResp, kind: KindEDMResponse, edits: ed(`https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/`, `https://sr.oots.tech.ec.europa.eu.example/evidencetypeclassifications/`), want: ids("R-EDM-RESP-C017")},
	{name: "response acceptance classification", sample: smpResp, kind: KindEDMResponse, edits: ed(`https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/`, `https://sr.acc.oots.tech.ec.europa.eu/evidencetypeclassifications/oots/`)},
	{name: "response title lang", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Title lang="EN">`, `<sdg:Title>`), want: ids("R-EDM-RESP-C019")},
	{name: "response title lang code", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Title lang="EN">`, `<sdg:Title lang="Q1">`), want: ids("R-EDM-RESP-C018"), warn: ids("R-EDM-RESP-C215")},
	{name: "response description lang", sample: smpResp, kind: KindEDMResponse, edits: ed(`Certificate of Birth</sdg:Title>`, `Certificate of Birth</sdg:Title><sdg:Description>A birth certificate</sdg:Description>`), want: ids("R-EDM-RESP-C021")},
	{name: "response description lang code", sample: smpResp, kind: KindEDMResponse, edits: ed(`Certificate of Birth</sdg:Title>`, `Certificate of Birth</sdg:Title><sdg:Description lang="Q1">A birth certificate</sdg:Description>`), want: ids("R-EDM-RESP-C020"), warn: ids("R-EDM-RESP-C215")},
	{name: "response lang form", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Name lang="FR">Direction`, `<sdg:Name lang="fr-FR">Direction`), warn: ids("R-EDM-RESP-C215")},
	{name: "response person identifier empty", sample: smpResp, kind: KindEDMResponse, edits: ed(`>FR/DE/123123123<`, `><`), want: ids("R-EDM-RESP-C028"), warn: ids("R-EDM-RESP-C027")},
	{name: "response person identifier", sample: smpResp, kind: KindEDMResponse, edits: ed(`>FR/DE/123123123<`, `>FR-DE-1<`), want: ids("R-EDM-RESP-C028")},
	{name: "response person scheme missing", sample: smpResp, kind: KindEDMResponse, edits: ed(naturalPID, `<sdg:Identifier>FR/DE/123123123</sdg:Identifier>`), want: ids("R-EDM-RESP-C030", "R-EDM-RESP-C031")},
	{name: "response person scheme", sample: smpResp, kind: KindEDMResponse, edits: ed(`schemeID="eidas">`, `schemeID="national">`), want: ids("R-EDM-RESP-C031")},
	{name: "response date of birth", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:DateOfBirth>1992-10-22</sdg:DateOfBirth>`, `<sdg:DateOfBirth>22/10/1992</sdg:DateOfBirth>`), want: ids("R-EDM-RESP-C032")},
	{name: "response legal person no identifier", sample: smpResp, kind: KindEDMResponse, edits: with(legalSubject, `<sdg:LegalPersonIdentifier schemeID="eidas">FR/DE/123123123</sdg:LegalPersonIdentifier>`, ``), want: ids("R-EDM-RESP-C033")},
	{name: "response legal identifier", sample: smpResp, kind: KindEDMResponse, edits: with(legalSubject, `</sdg:LegalPersonIdentifier>`, `</sdg:LegalPersonIdentifier><sdg:LegalIdentifier schemeID="eidas">FR-1</sdg:LegalIdentifier>`), want: ids("R-EDM-RESP-C034")},
	{name: "response legal identifier scheme missing", sample: smpResp, kind: KindEDMResponse, edits: with(legalSubject, `</sdg:LegalPersonIdentifier>`, `</sdg:LegalPersonIdentifier><sdg:LegalIdentifier>FR/DE/123456789</sdg:LegalIdentifier>`), want: ids("R-EDM-RESP-C036", "R-EDM-RESP-C037")},
	{name: "response legal identifier scheme", sample: smpResp, kind: KindEDMResponse, edits: with(legalSubject, `</sdg:LegalPersonIdentifier>`, `</sdg:LegalPersonIdentifier><sdg:LegalIdentifier schemeID="VAT">FR/DE/123456789</sdg:LegalIdentifier>`), want: ids("R-EDM-RESP-C037")},
	{name: "response issuer scheme missing", sample: smpResp, kind: KindEDMResponse, edits: ed(respIssuerID, "<sdg:IssuingAuthority>\n              <sdg:Identifier>"), want: ids("R-EDM-RESP-C038")},
	{name: "response issuer scheme code", sample: smpResp, kind: KindEDMResponse, edits: ed(respIssuerID, "<sdg:IssuingAuthority>\n              <sdg:Identifier schemeID=\""+unknownEAS+"\">"), want: ids("R-EDM-RESP-C039")},
	{name: "response validity start", sample: smpResp, kind: KindEDMResponse, edits: ed(`</sdg:IssuingDate>`, `</sdg:IssuingDate><sdg:ValidityPeriod><sdg:StartDate>1970</sdg:StartDate><sdg:EndDate>2100-01-01</sdg:EndDate></sdg:ValidityPeriod>`), want: ids("R-EDM-RESP-C040")},
	{name: "response validity end", sample: smpResp, kind: KindEDMResponse, edits: ed(`</sdg:IssuingDate>`, `</sdg:IssuingDate><sdg:ValidityPeriod><sdg:StartDate>1970-03-03</sdg:StartDate><sdg:EndDate>never</sdg:EndDate></sdg:ValidityPeriod>`), want: ids("R-EDM-RESP-C041")},
	{name: "response xml without data model", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/xml</sdg:Format>`), want: ids("R-EDM-RESP-C044a")},
	{name: "response json without data model", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/json</sdg:Format>`), want: ids("R-EDM-RESP-C044b")},
	{name: "response xml among two formats without data model", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:Format>application/xml</sdg:Format>`), want: ids("R-EDM-RESP-C044a")},
	{name: "response transformation", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:Transformation>https://sr.oots.tech.ec.europa.eu/x</sdg:Transformation>`), warn: ids("R-EDM-RESP-C212")},
	{name: "response data model", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:ConformsTo>https://sr.oots.tech.europa.eu/distributions/birth</sdg:ConformsTo>`), warn: ids("R-EDM-RESP-C217")},
	{name: "response language", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format><sdg:Language>Q1</sdg:Language>`), want: ids("R-EDM-RESP-C026")},
	{name: "response format", sample: smpResp, kind: KindEDMResponse, edits: ed(`<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/msword</sdg:Format>`), want: ids("R-EDM-RESP-C023")},

	// Error response, structure (EDM-ERR-S).
	{name: "error root", sample: smpErr, kind: KindEDMError, edits: ed(`<query:QueryResponse`, `<query:QueryResponseX`, `</query:QueryResponse>`, `</query:QueryResponseX>`), want: ids("R-EDM-ERR-S001")},
	{name: "error namespace", sample: smpErr, kind: KindEDMError, edits: ed(`xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"`, `xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.1"`), want: ids("R-EDM-ERR-S02")},
	{name: "error requestId", sample: smpErr, kind: KindEDMError, edits: ed(`requestId="urn:uuid:`, `requestId="`), want: ids("R-EDM-ERR-S004")},
	{name: "error status", sample: smpErr, kind: KindEDMError, edits: ed(`ResponseStatusType:Failure`, `ResponseStatusType:Success`), want: ids("R-EDM-ERR-S06"), warn: ids("R-EDM-ERR-S202")},
	{name: "error RegistryObjectList", sample: smpErr, kind: KindEDMError, edits: ed(`<rs:Exception `, `<rim:RegistryObjectList/><rs:Exception `), want: ids("R-EDM-ERR-S07")},
	{name: "error no exception", sample: smpErr, kind: KindEDMError, edits: ed(`rs:Exception`, `rs:Problem`), want: ids("R-EDM-ERR-C011", "R-EDM-ERR-S08")},
	{name: "error no SpecificationIdentifier", sample: smpErr, kind: KindEDMError, edits: ed(`name="SpecificationIdentifier"`, `name="Specification"`), want: ids("R-EDM-ERR-S09"), warn: ids("R-EDM-ERR-S215")},
	{name: "error no EvidenceResponseIdentifier", sample: smpErr, kind: KindEDMError, edits: ed(`name="EvidenceResponseIdentifier"`, `name="ResponseIdentifier"`), want: ids("R-EDM-ERR-S10"), warn: ids("R-EDM-ERR-S215")},
	{name: "error no ErrorProvider", sample: smpErr, kind: KindEDMError, edits: ed(`name="ErrorProvider"`, `name="Provider"`), want: ids("R-EDM-ERR-S11"), warn: ids("R-EDM-ERR-S215")},
	{name: "error no EvidenceRequester", sample: smpErr, kind: KindEDMError, edits: ed(`name="EvidenceRequester"`, `name="Requester"`), warn: ids("R-EDM-ERR-S207", "R-EDM-ERR-S215")},
	{name: "error SpecificationIdentifier type", sample: smpErr, kind: KindEDMError, edits: ed("name=\"SpecificationIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\"", "name=\"SpecificationIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-ERR-S18")},
	{name: "error EvidenceResponseIdentifier type", sample: smpErr, kind: KindEDMError, edits: ed("name=\"EvidenceResponseIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:StringValueType\"", "name=\"EvidenceResponseIdentifier\">\n    <rim:SlotValue xsi:type=\"rim:AnyValueType\""), want: ids("R-EDM-ERR-S19")},
	{name: "error EvidenceRequester type", sample: smpErr, kind: KindEDMError, edits: ed("name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-ERR-S021")},
	{name: "error requester not an agent", sample: smpErr, kind: KindEDMError, edits: ed("name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Agent>", "name=\"EvidenceRequester\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Party>", "supérieur</sdg:Name>\n    </sdg:Agent>", "supérieur</sdg:Name>\n    </sdg:Party>"), warn: ids("R-EDM-ERR-S214")},
	{name: "error ErrorProvider type", sample: smpErr, kind: KindEDMError, edits: ed("name=\"ErrorProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\"", "name=\"ErrorProvider\">\n  <rim:SlotValue xsi:type=\"rim:StringValueType\""), want: ids("R-EDM-ERR-S020")},
	{name: "error provider not an agent", sample: smpErr, kind: KindEDMError, edits: ed("name=\"ErrorProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Agent>", "name=\"ErrorProvider\">\n  <rim:SlotValue xsi:type=\"rim:AnyValueType\">\n    <sdg:Party>", "<sdg:Classification>ERRP</sdg:Classification>\n    </sdg:Agent>", "<sdg:Classification>ERRP</sdg:Classification>\n    </sdg:Party>"), want: ids("R-EDM-ERR-S026")},
	{name: "error no timestamp", sample: smpErr, kind: KindEDMError, edits: ed(`<rim:Slot name="Timestamp">`, `<rim:Slot name="Time">`), want: ids("R-EDM-ERR-S12"), warn: ids("R-EDM-ERR-S216")},
	{name: "error preview method", sample: smpErr, kind: KindEDMError, edits: ed(errTimestamp, `</rim:Slot><rim:Slot name="PreviewMethod"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>GET</rim:Value></rim:SlotValue></rim:Slot></rs:Exception>`), warn: ids("R-EDM-ERR-S212", "R-EDM-ERR-S216")},
	{name: "error two preview locations", sample: smpErr, kind: KindEDMError, edits: with(authorization, errPreviewSlot, errPreviewSlot+errPreviewSlot), warn: ids("R-EDM-ERR-S213")},
	{name: "error two preview descriptions", sample: smpErr, kind: KindEDMError, edits: with(with(authorization, withPreviewDescription...), withPreviewDescription...), want: ids("R-EDM-ERR-S15")},
	{name: "error preview location type", sample: smpErr, kind: KindEDMError, edits: with(authorization, `<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType">`, `<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:AnyValueType">`), want: ids("R-EDM-ERR-S23")},
	{name: "error preview description type", sample: smpErr, kind: KindEDMError, edits: with(with(authorization, withPreviewDescription...), `xsi:type="rim:InternationalStringValueType"`, `xsi:type="rim:StringValueType"`), want: ids("R-EDM-ERR-S24")},

	// Error response, content (EDM-ERR-C).
	{name: "error v1.2", sample: smpErr, kind: KindEDMError, edits: ed(`<rim:Value>oots-edm:v2.0</rim:Value>`, `<rim:Value>oots-edm:v1.2</rim:Value>`), want: ids("R-EDM-ERR-C001")},
	{name: "error identifier", sample: smpErr, kind: KindEDMError, edits: ed(`<rim:Value>1a2b3c4d-0000-4000-8000-000000000007</rim:Value>`, `<rim:Value>error-7</rim:Value>`), want: ids("R-EDM-ERR-C002")},
	{name: "error provider scheme missing", sample: smpErr, kind: KindEDMError, edits: ed(errProvID, `<sdg:Identifier>00000000000001`), want: ids("R-EDM-ERR-C003")},
	{name: "error provider scheme code", sample: smpErr, kind: KindEDMError, edits: ed(errProvID, `<sdg:Identifier schemeID="`+unknownEAS+`">00000000000001`), want: ids("R-EDM-ERR-C004")},
	{name: "error provider country", sample: smpErr, kind: KindEDMError, edits: ed(`<sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1>Q1</sdg:AdminUnitLevel1>`), want: ids("R-EDM-ERR-C005")},
	{name: "error provider without country", sample: smpErr, kind: KindEDMError, edits: ed(`<sdg:AdminUnitLevel1>FR</sdg:AdminUnitLevel1>`, ``), warn: ids("R-EDM-ERR-C211")},
	{name: "error provider classification empty", sample: smpErr, kind: KindEDMError, edits: ed(`<sdg:Classification>ERRP</sdg:Classification>`, `<sdg:Classification/>`), want: ids("R-EDM-ERR-C007"), warn: ids("R-EDM-ERR-C203")},
	{name: "error provider classification code", sample: smpErr, kind: KindEDMError, edits: ed(`<sdg:Classification>ERRP</sdg:Classification>`, `<sdg:Classification>XX</sdg:Classification>`), want: ids("R-EDM-ERR-C008"), warn: ids("R-EDM-ERR-C203")},
	{name: "error provider EP", sample: smpErr, kind: KindEDMError, edits: ed(`<sdg:Classification>ERRP</sdg:Classification>`, `<sdg:Classification>EP</sdg:Classification>`), warn: ids("R-EDM-ERR-C203")},
	{name: "error requester scheme missing", sample: smpErr, kind: KindEDMError, edits: ed(reqRequester, `>00000000000002`), want: ids("R-EDM-ERR-C009")},
	{name: "error requester scheme code", sample: smpErr, kind: KindEDMError, edits: ed(reqRequester, `schemeID="`+unknownEAS+`">00000000000002`), want: ids("R-EDM-ERR-C010")},
	{name: "error two exceptions", sample: smpErr, kind: KindEDMError, edits: ed("</rs:Exception>", `</rs:Exception><rs:Exception xsi:type="rs:TimeoutExceptionType" message="Exceeding timeout period" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error" code="EDM:ERR:0005"><rim:Slot name="Timestamp"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2026-08-06T10:00:00Z</rim:Value></rim:SlotValue></rim:Slot></rs:Exception>`), want: ids("R-EDM-ERR-C011")},
	{name: "error no type", sample: smpErr, kind: KindEDMError, edits: ed(`xsi:type="rs:ObjectNotFoundExceptionType"`, ``), want: ids("R-EDM-ERR-C012"), warn: ids("R-EDM-ERR-C205")},
	{name: "error type code", sample: smpErr, kind: KindEDMError, edits: ed(`rs:ObjectNotFoundExceptionType`, `rs:MissingExceptionType`), want: ids("R-EDM-ERR-C013"), warn: ids("R-EDM-ERR-C205")},
	{name: "error type", sample: smpErr, kind: KindEDMError, edits: ed(`rs:ObjectNotFoundExceptionType`, `rs:TimeoutExceptionType`), warn: ids("R-EDM-ERR-C205")},
	{name: "error severity", sample: smpErr, kind: KindEDMError, edits: ed(`ErrorSeverityType:Error"`, `ErrorSeverityType:Fatal"`), want: ids("R-EDM-ERR-C014")},
	{name: "error authorization without preview", sample: smpErr, kind: KindEDMError, edits: ed(`rs:ObjectNotFoundExceptionType`, `rs:AuthorizationExceptionType`, `code="EDM:ERR:0004"`, `code="EDM:ERR:0002"`), want: ids("R-EDM-ERR-C015")},
	{name: "error no message", sample: smpErr, kind: KindEDMError, edits: ed(`message="Object not found"`, ``), want: ids("R-EDM-ERR-C016")},
	{name: "error code", sample: smpErr, kind: KindEDMError, edits: ed(`code="EDM:ERR:0004"`, `code="EDM:ERR:0042"`), want: ids("R-EDM-ERR-C017")},
	{name: "error no code", sample: smpErr, kind: KindEDMError, edits: ed(`code="EDM:ERR:0004"`, ``), want: ids("R-EDM-ERR-C026")},
	{name: "error timestamp", sample: smpErr, kind: KindEDMError, edits: ed(`2026-08-06T10:00:00.000Z`, `06/08/2026 10:00`), want: ids("R-EDM-ERR-C018")},
	{name: "error preview over http", sample: smpErr, kind: KindEDMError, edits: with(authorization, `https://preview.example.eu/p/1`, `http://preview.example.eu/p/1`), want: ids("R-EDM-ERR-C019")},
	{name: "error preview description lang", sample: smpErr, kind: KindEDMError, edits: with(with(authorization, withPreviewDescription...), `xml:lang="EN" value="Preview"`, `xml:lang="Q1" value="Preview"`), want: ids("R-EDM-ERR-C020")},
	{name: "error preview required without location", sample: smpErr, kind: KindEDMError, edits: with(authorization, errPreviewSlot, ``), want: ids("R-EDM-ERR-C022")},
	{name: "error preview location without severity", sample: smpErr, kind: KindEDMError, edits: ed(errTimestamp, "</rim:Slot>"+errPreviewSlot+"</rs:Exception>"), want: ids("R-EDM-ERR-C022")},
	{name: "error preview required on 0004", sample: smpErr, kind: KindEDMError, edits: ed(`urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error`, previewRequired, errTimestamp, "</rim:Slot>"+errPreviewSlot+"</rs:Exception>"), warn: ids("R-EDM-ERR-C207")},

	// ebMS header (EDM-ebMS).
	{name: "header no ExchangeId", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(ebmsExch, ``), want: ids("R-EDM-ebMS-018", "R-EDM-ebMS-019")},
	{name: "header ExchangeId", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`>1a2b3c4d-0000-4000-8000-000000000002<`, `>exchange-2<`), want: ids("R-EDM-ebMS-037")},
	{name: "header SpecificationId", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`>oots-edm:v2.0<`, `>oots-edm:v1.2<`), want: ids("R-EDM-ebMS-038")},
	{name: "header ConversationId", sample: "reponse.entete.xml", kind: KindEBMS, edits: ed(`e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24`, `conversation-1`), want: ids("R-EDM-ebMS-017")},
	{name: "header fifth property", sample: "erreur.entete.xml", kind: KindEBMS, edits: ed(`<eb:Property name="SpecificationId">`, `<eb:Property name="Extra">x</eb:Property><eb:Property name="SpecificationId">`), want: ids("R-EDM-ebMS-018")},
	{name: "header duplicate property", sample: "erreur.entete.xml", kind: KindEBMS, edits: ed(`<eb:Property name="ExchangeId">`, `<eb:Property name="originalSender" type="urn:cef.eu:names:identifier:EAS:0009">1</eb:Property><eb:Property name="ExchangeId">`), want: ids("R-EDM-ebMS-018", "R-EDM-ebMS-019")},
	{name: "header two user messages", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`</eb:UserMessage>`, `</eb:UserMessage><eb:UserMessage/>`), want: ids("R-EDM-ebMS-018", "R-EDM-ebMS-019"), warn: ids("R-EDM-ebMS-201", "R-EDM-ebMS-202", "R-EDM-ebMS-203")},
	{name: "header service", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`>QueryManager<`, `>Query<`), warn: ids("R-EDM-ebMS-202")},
	{name: "header action", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`>ExecuteQueryRequest<`, `>Query<`), warn: ids("R-EDM-ebMS-203")},
	{name: "header role", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`>http://sdg.europa.eu/edelivery/gateway<`, `>http://example.eu/role<`), warn: ids("R-EDM-ebMS-204")},
	{name: "header sender type", sample: "requete.entete.xml", kind: KindEBMS, edits: ed(`<eb:Property name="originalSender" type="urn:cef.eu:names:identifier:EAS:0009">`, `<eb:Property name="originalSender">`), warn: ids("R-EDM-ebMS-205")},
}

// edm20Docs builds the documents of edm20Cases.
func edm20Docs(t *testing.T) [][]byte {
	t.Helper()
	out := make([][]byte, len(edm20Cases))
	for i, c := range edm20Cases {
		b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/"+c.sample))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for j := 0; j+1 < len(c.edits); j += 2 {
			if !strings.Contains(s, c.edits[j]) {
				t.Fatalf("%s: edit %d: %q not in %s", c.name, j/2, c.edits[j], c.sample)
			}
			s = strings.ReplaceAll(s, c.edits[j], c.edits[j+1])
		}
		out[i] = []byte(s)
	}
	return out
}

// TestEDM20Rules: our v2.0 rule files accept the v2.0 reference instances,
// refuse each mutant with the intended rules at error level (and only them),
// and fire the intended warnings (and only them) on the others.
func TestEDM20Rules(t *testing.T) {
	docs := edm20Docs(t)
	for i, c := range edm20Cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := xmltree.ParseBytes(docs[i], nil)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := ForKind(c.kind, "oots-edm:v2.0")
			if err != nil {
				t.Fatal(err)
			}
			errs, warns := map[string]bool{}, map[string]bool{}
			for _, f := range rs.Validate(doc) {
				if f.Invalidates() {
					errs[f.Rule] = true
				} else {
					warns[f.Rule] = true
				}
				t.Log(f)
			}
			if got := sortedKeys(errs); !equalStrings(got, sortedCopy(c.want)) {
				t.Errorf("refused with %v, want %v", got, c.want)
			}
			if got := sortedKeys(warns); !equalStrings(got, sortedCopy(c.warn)) {
				t.Errorf("warned %v, want %v", got, c.warn)
			}
		})
	}
}

// TestEDM20RulesCovered: every assertion of our v2.0 rule files is shown to
// fire, at its level, by some case of edm20Cases; an official id fails the
// message, an id of ours only warns.
func TestEDM20RulesCovered(t *testing.T) {
	fired := map[string]bool{}
	for _, c := range edm20Cases {
		for _, id := range c.want {
			fired[id] = true
			if ours(id) {
				t.Errorf("%s: rule %s is ours and must only warn", c.name, id)
			}
		}
		for _, id := range c.warn {
			fired[id] = true
		}
	}
	entries, err := fs.ReadDir(Rules(), SetEDM20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		s, err := Load(Rules(), path.Join(SetEDM20, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range s.patterns {
			for _, r := range p.rules {
				for _, a := range r.checks {
					n++
					if !fired[a.id] {
						t.Errorf("%s: no case shows rule %s firing", e.Name(), a.id)
					}
				}
			}
		}
	}
	if n < 200 {
		t.Errorf("only %d assertions in the v2.0 rule files", n)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for id := range fired {
		if !strings.Contains(string(readme), "| `"+id+"` |") {
			t.Errorf("README.md: no row for rule %s in the table of the v2.0 rules", id)
		}
	}
}

// ours reports whether a rule id of the v2.0 files is the project's own: its
// number is 200 or more (R-EDM-REQ-S203, R-EDM-ebMS-201).
func ours(id string) bool {
	i := strings.LastIndexAny(id, "-SC")
	return i >= 0 && i+1 < len(id) && id[i+1] >= '2' && len(id)-i-1 == 3
}

func sortedCopy(s []string) []string {
	set := map[string]bool{}
	for _, x := range s {
		set[x] = true
	}
	return sortedKeys(set)
}

// TestEDM20RulesSaxon proves the v2.0 rule files themselves with an
// independent engine: Saxon fires exactly the expected ids on every case.
func TestEDM20RulesSaxon(t *testing.T) {
	if testing.Short() {
		t.Skip("Saxon run skipped in -short mode")
	}
	sx := newSaxon(t)
	tmp := t.TempDir()
	docs := edm20Docs(t)
	docDir := filepath.Join(tmp, "docs")
	os.MkdirAll(docDir, 0o755)
	var names []string
	for i, b := range docs {
		n := filepath.Join(docDir, "c"+string(rune('a'+i/26))+string(rune('a'+i%26))+".xml")
		if err := os.WriteFile(n, b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(n))
	}
	var schs []string
	os.MkdirAll(filepath.Join(tmp, "sch"), 0o755)
	entries, err := fs.ReadDir(Rules(), SetEDM20)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(Rules(), path.Join(SetEDM20, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tmp, "sch", e.Name())
		os.WriteFile(f, b, 0o644)
		schs = append(schs, f)
	}
	fired := make([]map[string]bool, len(docs))
	for i := range fired {
		fired[i] = map[string]bool{}
	}
	// Every rule file over the whole directory, in one JVM run; a case
	// counts the files of its kind.
	for base, out := range sx.runAll(t, schs, docDir, names) {
		for i, c := range edm20Cases {
			files, _ := Files(c.kind, "oots-edm:v2.0")
			if !containsBase(files, base) {
				continue
			}
			o := out[names[i]]
			if o.failed {
				t.Errorf("%s: Saxon failed on %s", c.name, base)
			}
			for _, id := range o.ids {
				fired[i][id] = true
			}
		}
	}
	for i, c := range edm20Cases {
		if got := sortedKeys(fired[i]); !equalStrings(got, c.all()) {
			t.Errorf("%s: Saxon fired %v, want %v", c.name, got, c.want)
		}
	}
}

func containsBase(files []string, base string) bool {
	for _, f := range files {
		if path.Base(f) == base {
			return true
		}
	}
	return false
}

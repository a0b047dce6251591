package edm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func requestBytes(t *testing.T) []byte {
	t.Helper()
	b, err := buildRequest().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMutations: damaged messages give a clear finding (or error), never a
// panic.
func TestMutations(t *testing.T) {
	base := requestBytes(t)
	slot := func(name string) string {
		i := bytes.Index(base, []byte(`<rim:Slot name="`+name+`">`))
		j := bytes.Index(base[i:], []byte("</rim:Slot>")) + i + len("</rim:Slot>")
		return string(base[i:j])
	}
	tests := []struct {
		name     string
		mutate   func(string) string
		rule     string
		location string
		text     string
	}{
		{"required slot removed", func(s string) string { return strings.Replace(s, slot("ExplicitRequestGiven"), "", 1) },
			RuleSlotMissing, "/query:QueryRequest", "ExplicitRequestGiven"},
		{"required query slot removed", func(s string) string { return strings.Replace(s, slot("EvidenceRequest"), "", 1) },
			RuleSlotMissing, "/query:QueryRequest/query:Query", "EvidenceRequest"},
		{"unknown procedure code", func(s string) string { return strings.Replace(s, `value="R1"`, `value="Q7"`, 1) },
			RuleCode, "Procedure", `"Q7"`},
		{"unknown level of assurance", func(s string) string {
			return strings.Replace(s, "<sdg:LevelOfAssurance>High<", "<sdg:LevelOfAssurance>Highest<", 1)
		}, RuleCode, "NaturalPerson/Person/LevelOfAssurance", `"Highest"`},
		{"unknown country", func(s string) string {
			return strings.Replace(s, "<sdg:AdminUnitLevel1>DK<", "<sdg:AdminUnitLevel1>XX<", 1)
		}, RuleCode, "EvidenceRequester[1]/Agent/Address/AdminUnitLevel1", `"XX"`},
		{"bad UUID", func(s string) string {
			return strings.Replace(s, `id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `id="urn:uuid:4ffb5281-179d"`, 1)
		}, RuleUUID, "/query:QueryRequest/@id", "urn:uuid:4ffb5281-179d"},
		{"sdg element in a wrong namespace", func(s string) string {
			return strings.Replace(s, "<sdg:FamilyName>Smith</sdg:FamilyName>", `<x:FamilyName xmlns:x="urn:example:not-sdg">Smith</x:FamilyName>`, 1)
		}, "OOTS-STRUCT-UNKNOWN-ELEMENT", "sdg:Person/x:FamilyName", "{urn:example:not-sdg}FamilyName"},
		{"required sdg element missing", func(s string) string {
			return strings.Replace(s, "<sdg:FamilyName>Smith</sdg:FamilyName>", "", 1)
		}, "OOTS-STRUCT-MISSING", "sdg:Person", "sdg:FamilyName"},
		{"slot of the wrong value type", func(s string) string {
			old := slot("ExplicitRequestGiven")
			return strings.Replace(s, old, strings.Replace(old, "rim:BooleanValueType", "rim:StringValueType", 1), 1)
		}, RuleSlotType, "rim:Slot[5]", "ExplicitRequestGiven"},
		{"unknown slot", func(s string) string {
			return strings.Replace(s, "<query:ResponseOption", `<rim:Slot name="Colour"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>blue</rim:Value></rim:SlotValue></rim:Slot><query:ResponseOption`, 1)
		}, RuleSlotUnknown, "/query:QueryRequest/rim:Slot[", "Colour"},
		{"rim:Slot in a wrong namespace (prefix rebound)", func(s string) string {
			old := slot("PossibilityForPreview")
			return strings.Replace(s, old, strings.Replace(old, `<rim:Slot name=`, `<rim:Slot xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" name=`, 1), 1)
		}, "OOTS-STRUCT-UNKNOWN-ELEMENT", "/query:QueryRequest/rim:Slot", "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Slot"},
		{"slots out of order", func(s string) string {
			a, b := slot("SpecificationIdentifier"), slot("IssueDateTime")
			s = strings.Replace(s, a, "@@A@@", 1)
			s = strings.Replace(s, b, a, 1)
			return strings.Replace(s, "@@A@@", b, 1)
		}, RuleSlotOrder, "/query:QueryRequest/rim:Slot[2]", "SpecificationIdentifier"},
		{"malformed eIDAS identifier", func(s string) string {
			return strings.Replace(s, ">DK/DE/123123123<", ">DKDE123123123<", 1)
		}, RuleContent, "NaturalPerson/Person/Identifier", "DKDE123123123"},
		{"xml:lang on a 2.0 request", func(s string) string { return strings.Replace(s, "oots-edm:v1.0", "oots-edm:v2.0", 1) },
			RuleVersion, "@xml:lang", "xml:lang"},
		{"unknown specification version", func(s string) string { return strings.Replace(s, "oots-edm:v1.0", "oots-edm:v9.9", 1) },
			RuleVersion, "SpecificationIdentifier", "oots-edm:v9.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.mutate(string(base))
			if doc == string(base) {
				t.Fatal("mutation did not apply")
			}
			m, findings, err := ParseBytes([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				if f.Rule == tt.rule && strings.Contains(f.Location, tt.location) && strings.Contains(f.Message, tt.text) {
					if _, err := m.Marshal(); err != nil && tt.rule != RuleSlotMissing && tt.rule != RuleVersion {
						t.Errorf("marshal of the damaged message: %v", err)
					}
					return
				}
			}
			t.Errorf("no finding %s at %s mentioning %s in %v", tt.rule, tt.location, tt.text, findings)
		})
	}
}

// TestHostileDocuments: a DTD, a deep document and a huge text node stop
// the parser with the screening error.
func TestHostileDocuments(t *testing.T) {
	deep := strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)
	tests := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"DTD", strings.NewReader(`<!DOCTYPE q [<!ENTITY x "y">]><query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`), xmltree.ErrDTD},
		{"1000 levels deep", strings.NewReader(deep), xmltree.ErrTooDeep},
		// 200 MB of text, generated as it is read: the parser stops at
		// Limits.MaxBytes without holding the document.
		{"200 MB text node", io.MultiReader(
			strings.NewReader(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="x"><x>`),
			io.LimitReader(repeatReader('a'), 200<<20),
			strings.NewReader(`</x></query:QueryRequest>`)), xmltree.ErrTooLarge},
		{"not OOTS", strings.NewReader(`<html/>`), ErrNotOOTS},
		{"query:QueryRequest in a wrong namespace", strings.NewReader(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" id="x"/>`), ErrNotOOTS},
		{"success response without objects", strings.NewReader(`<query:QueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>`), ErrUnknownKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(tt.r)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// Official samples of TDD 1.0 used by officialVariations.
const (
	sampleRequest  = "tdd-1.0/xml/edm/birth-1-evidence-request.xml"
	sampleResponse = "tdd-1.0/xml/edm/birth-2-evidence-response.xml"
	sampleDSD      = "tdd-1.0/xml/dsd/4-3-Query-Response-of-the-DSD-Birth-Certificate.xml"
	sampleDSDErr5  = "tdd-1.0/xml/dsd/4-4-3-Query-Error-Response-of-the-DSD-requesting-additional-User-Provided-Attributes-Birth-Certificate-DSD-ERR005.xml"
	sampleDSDSub   = "tdd-1.0/xml/lcm/5-5-LCM-Submit-Objects-to-the-DSD-Birth-Certificate.xml"
	sampleEduErr   = "tdd-1.0/xml/edm/education-2-error-response-preview-required.xml"
)

// officialVariations are small variations of the official samples (old
// replaced once by new) with the verdict of the official TDD 1.0 rules:
// accept when neither the Schematron files of the sample's kind (no
// assertion of flag error or fatal) nor the XSDs refuse it; otherwise judge
// names what refuses it. TestOfficialVariations holds our checks to the
// verdict, TestOfficialVariationsJudged asks the official rules again.
var officialVariations = []officialVariationCase{
	// Languages: the official rules hold a lang to the LanguageCode list
	// (upper case) on titles, descriptions and the like, not on the names
	// of agents and publishers, nor on the requirements of a request (their
	// rules name a slot "Requirement" that does not exist).
	{"requester name in lower-case en", sampleRequest, `<sdg:Name lang="EN">Denmark University Portal`, `<sdg:Name lang="en">Denmark University Portal`, true, ""},
	{"provider name in lower-case en", sampleRequest, `<sdg:Name lang="EN">Civil Registration`, `<sdg:Name lang="en">Civil Registration`, true, ""},
	{"requirement name of a request in lower-case en", sampleRequest, `<sdg:Name lang="EN">Proof of Birth`, `<sdg:Name lang="en">Proof of Birth`, true, ""},
	{"request xml:lang en", sampleRequest, `xml:lang="EN"`, `xml:lang="en"`, true, ""},
	{"issuing authority name in lower-case en", sampleResponse, `>DE73524311</sdg:Identifier>
                            <sdg:Name lang="EN">`, `>DE73524311</sdg:Identifier>
                            <sdg:Name lang="en">`, true, ""},
	{"publisher name in lower-case en", sampleDSD, `<sdg:Name lang="EN">Civil Registration Office Berlin I</sdg:Name>`, `<sdg:Name lang="en">Civil Registration Office Berlin I</sdg:Name>`, true, ""},
	{"requested evidence title in lower-case en", sampleRequest, `<sdg:Title lang="EN">`, `<sdg:Title lang="en">`, false, "R-EDM-REQ-C028"},
	{"procedure in lower-case en", sampleRequest, `<rim:LocalizedString xml:lang="EN"`, `<rim:LocalizedString xml:lang="en"`, false, "R-EDM-REQ-C004"},
	{"procedure in DE", sampleRequest, `<rim:LocalizedString xml:lang="EN"`, `<rim:LocalizedString xml:lang="DE"`, true, ""},
	// NUTS codes: no official rule checks AdminUnitLevel2.
	{"address NUTS code not in the list", sampleRequest, `<sdg:AdminUnitLevel2>DK011</sdg:AdminUnitLevel2>`, `<sdg:AdminUnitLevel2>DK0Z9</sdg:AdminUnitLevel2>`, true, ""},
	{"publisher NUTS code not in the list", sampleDSD, `<sdg:AdminUnitLevel2>DE3</sdg:AdminUnitLevel2>`, `<sdg:AdminUnitLevel2>DE3Z</sdg:AdminUnitLevel2>`, true, ""},
	// Jurisdiction levels are a code list.
	{"jurisdiction level not in the list", sampleDSD, `<sdg:JurisdictionLevel>LAU</sdg:JurisdictionLevel>`, `<sdg:JurisdictionLevel>Street</sdg:JurisdictionLevel>`, false, "R-DSD-RESP-C037"},
	{"jurisdiction level NUTS3", sampleDSD, `<sdg:JurisdictionLevel>LAU</sdg:JurisdictionLevel>`, `<sdg:JurisdictionLevel>NUTS3</sdg:JurisdictionLevel>`, true, ""},
	// No DSD-ERR rule checks the formats of the evidence types a DSD:ERR:0005 offers.
	{"DSD:ERR:0005 format not in the list", sampleDSDErr5, `<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/x-unlisted</sdg:Format>`, true, ""},
	{"DSD:ERR:0005 jurisdiction level not in the list", sampleDSDErr5, `<sdg:JurisdictionLevel>LAU</sdg:JurisdictionLevel>`, `<sdg:JurisdictionLevel>Street</sdg:JurisdictionLevel>`, false, "R-DSD-ERR-C"},
	{"submitted jurisdiction level not in the list", sampleDSDSub, `<sdg:JurisdictionLevel>LAU</sdg:JurisdictionLevel>`, `<sdg:JurisdictionLevel>Street</sdg:JurisdictionLevel>`, false, "R-DSD-SUB-C"},
	// Empty optional xs:string elements are valid.
	{"empty PlaceOfBirth", sampleRequest, `<sdg:PlaceOfBirth>Hamburg, Germany</sdg:PlaceOfBirth>`, `<sdg:PlaceOfBirth></sdg:PlaceOfBirth>`, true, ""},
	{"empty BirthName", sampleRequest, `<sdg:BirthName>John Doepidis</sdg:BirthName>`, `<sdg:BirthName/>`, true, ""},
	{"empty LocatorDesignator", sampleRequest, `<sdg:LocatorDesignator>15</sdg:LocatorDesignator>`, `<sdg:LocatorDesignator/>`, true, ""},
	// The eIDAS identifier: XX/YY/ and at least 9 letters or digits.
	{"eIDAS identifier of 4 characters", sampleRequest, `DK/DE/123123123`, `DK/DE/1231`, false, "R-EDM-REQ-C039"},
	{"eIDAS identifier in lower case", sampleRequest, `DK/DE/123123123`, `dk/de/123123123`, true, ""},
	{"eIDAS identifier of 14 characters, spaced", sampleRequest, `DK/DE/123123123`, ` DK/DE/12312312345678 `, true, ""},
	// An evidence requester has no jurisdiction.
	{"requester with a jurisdiction", sampleRequest, `<sdg:Classification>ER</sdg:Classification>`, `<sdg:Jurisdiction><sdg:AdminUnitLevel1>DK</sdg:AdminUnitLevel1></sdg:Jurisdiction><sdg:Classification>ER</sdg:Classification>`, false, "R-EDM-REQ-S040"},
	// The requested evidence type of a 1.x request: titles and
	// descriptions with a lang, data models of the Semantic Repository.
	{"requested evidence title without lang", sampleRequest, `<sdg:Title lang="EN">`, `<sdg:Title>`, false, "R-EDM-REQ-C029"},
	{"requested evidence description without lang", sampleRequest, `<sdg:Description lang="EN">An official`, `<sdg:Description>An official`, false, "R-EDM-REQ-C031"},
	{"requester name without lang", sampleRequest, `<sdg:Name lang="EN">Denmark University Portal`, `<sdg:Name>Denmark University Portal`, true, ""},
	{"data model outside the Semantic Repository", sampleRequest, `<sdg:ConformsTo>https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0`, `<sdg:ConformsTo>https://example.org/certificate-of-birth`, false, "R-EDM-REQ-C034"},
	{"transformation outside the Semantic Repository", sampleRequest, `<sdg:Transformation>https://sr.oots.tech.europa.eu/distributions/`, `<sdg:Transformation>https://example.org/`, false, "R-EDM-REQ-C035"},
	{"data model with surrounding spaces", sampleRequest, `<sdg:ConformsTo>https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0`, `<sdg:ConformsTo> https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0 `, true, ""},
	// Other variations on which both already agreed.
	{"level of assurance Substantial", sampleRequest, `<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, `<sdg:LevelOfAssurance>Substantial</sdg:LevelOfAssurance>`, true, ""},
	{"level of assurance with a space", sampleRequest, `<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>`, `<sdg:LevelOfAssurance> High</sdg:LevelOfAssurance>`, false, "R-EDM-REQ-C037"},
	{"boolean 1", sampleRequest, `<rim:Value>true</rim:Value>`, `<rim:Value>1</rim:Value>`, true, ""},
	{"issue time with an offset", sampleRequest, `2022-05-19T17:08:10.872Z`, `2022-05-19T19:08:10+02:00`, true, ""},
	{"issue time without a zone", sampleRequest, `2022-05-19T17:08:10.872Z`, `2022-05-19T17:08:10`, true, ""},
	{"request id in upper case", sampleRequest, `id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `id="urn:uuid:4FFB5281-179D-4578-ADF2-39FD13CCC797"`, true, ""},
	{"date of birth with a zone", sampleRequest, `<sdg:DateOfBirth>1970-03-01</sdg:DateOfBirth>`, `<sdg:DateOfBirth>1970-03-01Z</sdg:DateOfBirth>`, true, ""},
	{"format application/pdf", sampleRequest, `<sdg:Format>application/xml</sdg:Format>`, `<sdg:Format>application/pdf</sdg:Format>`, true, ""},
	{"format in upper case", sampleRequest, `<sdg:Format>application/xml</sdg:Format>`, `<sdg:Format>application/XML</sdg:Format>`, false, "R-EDM-REQ-C033"},
	{"classification in lower case", sampleRequest, `<sdg:Classification>ER</sdg:Classification>`, `<sdg:Classification>er</sdg:Classification>`, false, "R-EDM-REQ-C014"},
	{"requester unregistered party id", sampleRequest, `schemeID="urn:cef.eu:names:identifier:EAS:0096"`, `schemeID="urn:oasis:names:tc:ebcore:partyid-type:unregistered:DK"`, true, ""},
	{"PreviewLocation over http", sampleRequest, `<rim:Slot name="PossibilityForPreview">`, `<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>http://x.example/p</rim:Value></rim:SlotValue></rim:Slot><rim:Slot name="PossibilityForPreview">`, false, "R-EDM-REQ-C005"},
	{"sdg in a default namespace", sampleRequest, `<sdg:FamilyName>Smith</sdg:FamilyName>`, `<FamilyName xmlns="http://data.europa.eu/p4s">Smith</FamilyName>`, true, ""},
	{"two DistributedAs in 1.0", sampleRequest, `</sdg:DistributedAs>`, `</sdg:DistributedAs><sdg:DistributedAs><sdg:Format>application/pdf</sdg:Format></sdg:DistributedAs>`, false, "R-EDM-REQ-C032"},
	{"CDATA country", sampleRequest, `<sdg:AdminUnitLevel1>DK</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1><![CDATA[DK]]></sdg:AdminUnitLevel1>`, true, ""},
	// Identifiers: the schema types them xs:string and the official
	// rules judge normalize-space(.), so white space around the UUID is
	// accepted (and kept as written).
	{"request id with a leading space", sampleRequest, `id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `id=" urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, true, ""},
	{"request id with a line break and spaces around it", sampleRequest, `id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `id="&#10; urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797 "`, true, ""},
	{"response requestId with a leading space", sampleResponse, `requestId="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `requestId=" urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, true, ""},
	{"error requestId with a leading space", sampleEduErr, `requestId="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `requestId=" urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, true, ""},
	{"evidence object id with spaces around it", sampleResponse, `id="urn:uuid:f073cbe2-cf2a-4f46-b9ff-d4b0fde53ab1"`, `id=" urn:uuid:f073cbe2-cf2a-4f46-b9ff-d4b0fde53ab1 "`, true, ""},
	{"evidence response identifier with spaces around it", sampleResponse, `<rim:Value>166155eb-d7a7-4cac-9086-8a85f0116462</rim:Value>`, `<rim:Value> 166155eb-d7a7-4cac-9086-8a85f0116462 </rim:Value>`, true, ""},
	// The specification identifier is compared exactly.
	{"SpecificationIdentifier with spaces around it", sampleRequest, `<rim:Value>oots-edm:v1.0</rim:Value>`, `<rim:Value> oots-edm:v1.0 </rim:Value>`, false, "R-EDM-REQ-C001"},
	{"response SpecificationIdentifier with spaces around it", sampleResponse, `<rim:Value>oots-edm:v1.0</rim:Value>`, `<rim:Value> oots-edm:v1.0 </rim:Value>`, false, "R-EDM-RESP-C002"},
	{"error SpecificationIdentifier with a line break", sampleEduErr, `<rim:Value>oots-edm:v1.0</rim:Value>`, "<rim:Value>oots-edm:v1.0\n</rim:Value>", false, "R-EDM-ERR-C001"},
	// Codes are compared exactly too.
	{"procedure with a space", sampleRequest, `value="R1"`, `value=" R1"`, false, "R-EDM-REQ-C003"},
	{"country with a space", sampleRequest, `<sdg:AdminUnitLevel1>DK</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1>DK </sdg:AdminUnitLevel1>`, false, "R-EDM-REQ-C015"},
	{"boolean with spaces", sampleRequest, `<rim:Value>true</rim:Value>`, `<rim:Value> true </rim:Value>`, true, ""},
	// Required xs:string elements may be empty; empty codes, dates and
	// data models are refused.
	{"empty GivenName", sampleRequest, `<sdg:GivenName>John</sdg:GivenName>`, `<sdg:GivenName/>`, true, ""},
	{"empty FamilyName", sampleRequest, `<sdg:FamilyName>Smith</sdg:FamilyName>`, `<sdg:FamilyName></sdg:FamilyName>`, true, ""},
	{"empty GivenName of the evidence subject", sampleResponse, `<sdg:GivenName>John</sdg:GivenName>`, `<sdg:GivenName/>`, true, ""},
	{"empty NUTS code", sampleRequest, `<sdg:AdminUnitLevel2>DK011</sdg:AdminUnitLevel2>`, `<sdg:AdminUnitLevel2/>`, true, ""},
	{"empty ValueExpression", sampleDSD, `<sdg:ValueExpression>https://sr.oots.tech.europa.eu/ep-classification/de/countryresidence</sdg:ValueExpression>`, `<sdg:ValueExpression/>`, true, ""},
	{"empty requester name", sampleRequest, `<sdg:Name lang="EN">Denmark University Portal</sdg:Name>`, `<sdg:Name lang="EN"/>`, true, ""},
	{"empty DateOfBirth", sampleRequest, `<sdg:DateOfBirth>1970-03-01</sdg:DateOfBirth>`, `<sdg:DateOfBirth/>`, false, "xs:date"},
	{"empty country", sampleRequest, `<sdg:AdminUnitLevel1>DK</sdg:AdminUnitLevel1>`, `<sdg:AdminUnitLevel1/>`, false, "R-EDM-REQ-C015"},
	{"empty agent classification", sampleRequest, `<sdg:Classification>ER</sdg:Classification>`, `<sdg:Classification/>`, false, "R-EDM-REQ-C013"},
	{"empty format", sampleRequest, `<sdg:Format>application/xml</sdg:Format>`, `<sdg:Format/>`, false, "R-EDM-REQ-C033"},
	{"empty data model", sampleRequest, `<sdg:ConformsTo>https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0</sdg:ConformsTo>`, `<sdg:ConformsTo/>`, false, "R-EDM-REQ-C034"},
	// The education error sample's severity ends in a DEL character, which
	// R-EDM-ERR-C014 accepts (see delSeverity).
	{"severity as published, with a DEL after the code", sampleEduErr, "PreviewRequired\x7f", "PreviewRequired\x7f", true, ""},
	{"severity without the DEL", sampleEduErr, "PreviewRequired\x7f", "PreviewRequired", true, ""},
	{"preview location with a trailing space", sampleEduErr, `session=d36af8bc-fea6-4ee5-a32d-5bef82cdb071</rim:Value>`, `session=d36af8bc-fea6-4ee5-a32d-5bef82cdb071 </rim:Value>`, true, ""},
	{"DSD error severity with a DEL after the code", sampleDSDErr5, `severity="urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:DSDErrorResponse:AdditionalInput"`, "severity=\"urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:DSDErrorResponse:AdditionalInput\x7f\"", false, "R-DSD-ERR-C"},
}

type officialVariationCase struct {
	name, sample, old, new string
	accept                 bool
	judge                  string
}

// officialVariation returns the sample with the variation applied.
func officialVariation(tb testing.TB, i int) []byte {
	tb.Helper()
	v := officialVariations[i]
	b, err := os.ReadFile(testenv.Spec(tb, v.sample))
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Contains(b, []byte(v.old)) {
		tb.Fatalf("%s: %q is not in %s", v.name, v.old, v.sample)
	}
	return bytes.Replace(b, []byte(v.old), []byte(v.new), 1)
}

// TestOfficialVariations: our checks accept each variation of an official
// sample exactly when the official rules do.
func TestOfficialVariations(t *testing.T) {
	for i, v := range officialVariations {
		t.Run(v.name, func(t *testing.T) {
			_, findings, err := ParseBytes(officialVariation(t, i))
			if err != nil {
				t.Fatal(err)
			}
			if got := check.Valid(findings); got != v.accept {
				t.Errorf("accepted %v, the official rules %v (%s): %v", got, v.accept, v.judge, findings)
			}
		})
	}
}

// TestOfficialVariationsRoundTrip: what the official rules accept is
// written back as it was read (after exclusive c14n): empty elements stay
// present, identifiers keep their white space, a severity its DEL.
func TestOfficialVariationsRoundTrip(t *testing.T) {
	// Written in another form with the same meaning.
	rewritten := map[string]string{
		"sdg in a default namespace": "the model writes the conventional prefixes",
		"boolean 1":                  "the model holds a bool and writes true",
		"boolean with spaces":        "the model holds a bool and writes true",
	}
	for i, v := range officialVariations {
		if _, ok := rewritten[v.name]; !v.accept || ok {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			b := officialVariation(t, i)
			m, _, err := ParseBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			in, err := xmltree.ParseBytes(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			back, err := xmltree.ParseBytes(out, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := canonical(t, back.Root), canonical(t, in.Root); !bytes.Equal(got, want) {
				t.Errorf("round trip differs:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestSpacedRequestIDEchoed: a request id with white space around it is
// accepted and kept as written, and the response and error response built
// for the request echo it as written.
func TestSpacedRequestIDEchoed(t *testing.T) {
	i := slices.IndexFunc(officialVariations, func(v officialVariationCase) bool {
		return v.name == "request id with a line break and spaces around it"
	})
	m, _, err := ParseBytes(officialVariation(t, i))
	if err != nil {
		t.Fatal(err)
	}
	req := m.(*QueryRequest)
	const want = "\n urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797 "
	if req.ID != want {
		t.Fatalf("request id %q, want %q as written", req.ID, want)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	resp := NewQueryResponse(req, "166155eb-d7a7-4cac-9086-8a85f0116462", now)
	exc := NewException(EDMErr0008, "refused")
	errResp := NewErrorResponse(req, "166155eb-d7a7-4cac-9086-8a85f0116462", *req.EvidenceProvider, exc, now)
	for _, got := range []string{resp.RequestID, errResp.RequestID} {
		if got != want {
			t.Errorf("requestId %q, want %q", got, want)
		}
	}
	b, err := errResp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, findings, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(*ErrorResponse).RequestID; got != want || !check.Valid(findings) {
		t.Errorf("error response read back: requestId %q, findings %v", got, findings)
	}
}

// TestOfficialVariationsJudged: the official Schematron (Saxon) and the
// XSDs (xmllint) give each variation the verdict officialVariations records.
func TestOfficialVariationsJudged(t *testing.T) {
	xsd := testenv.Verifier(t, "xsd.sh")
	schDir := testenv.Spec(t, "tdd-1.0/sch")
	docs := map[string][]byte{}
	rules := map[string][]string{}
	dir := t.TempDir()
	var paths []string
	for i, v := range officialVariations {
		b := officialVariation(t, i)
		docs[v.name] = b
		for _, f := range ruleFiles[expected[v.sample].kind] {
			p := filepath.Join(schDir, f)
			rules[p] = append(rules[p], v.name)
		}
		p := filepath.Join(dir, fmt.Sprintf("%d.xml", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// One xmllint run for all: its messages start with the file's path.
	out, err := exec.Command(xsd, paths...).CombinedOutput()
	if err != nil && !bytes.Contains(out, []byte("fails to validate")) {
		t.Fatalf("xsd.sh: %v\n%s", err, out)
	}
	xsdErr := map[string]string{}
	for _, line := range strings.SplitAfter(string(out), "\n") {
		for i, p := range paths {
			if strings.HasPrefix(line, p+":") || strings.HasPrefix(line, p+" fails") {
				xsdErr[officialVariations[i].name] += line
			}
		}
	}
	refused := map[string][]string{}
	for rulesFile, perDoc := range saxontest.Run(t, docs, rules) {
		sev := severities(t, filepath.Join(schDir, rulesFile))
		for name, fired := range perDoc {
			for _, f := range fired {
				id := strings.TrimPrefix(f.ID, "-")
				soft := len(sev[id]) > 0
				for _, s := range sev[id] {
					soft = soft && (s == "info" || s == "warning")
				}
				if !soft {
					refused[name] = append(refused[name], f.ID)
				}
			}
		}
	}
	for _, v := range officialVariations {
		accepted := len(refused[v.name]) == 0 && xsdErr[v.name] == ""
		if accepted != v.accept {
			t.Errorf("%s: the official rules accept %v, recorded %v: Schematron %v, XSD %s", v.name, accepted, v.accept, refused[v.name], xsdErr[v.name])
			continue
		}
		if !v.accept && !strings.Contains(strings.Join(refused[v.name], " ")+xsdErr[v.name], v.judge) {
			t.Errorf("%s: refused by %v %s, not by %s", v.name, refused[v.name], xsdErr[v.name], v.judge)
		}
	}
}

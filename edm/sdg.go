package edm

import (
	"strings"

	"github.com/oots-go/oots/xmltree"
)

// NamespaceSDG is the namespace of the SDG Generic Metadata Profile (prefix
// sdg), the OOTS vocabulary carried in RegRep AnyValue slots (SPEC.md §2.5).
const NamespaceSDG = "http://data.europa.eu/p4s"

// The types below follow the complex types of SDG-GenericMetadataProfile
// v1.0.0 (TDD 1.0), in schema order, with the EDM 2.0 additions placed where
// the 2.0 instances put them. Every type keeps the elements and attributes it
// does not know in Extra / ExtraAttrs, so that nothing read is lost; the
// parser reports them as findings.
//
// Text elements that the schema lets be empty (xs:string, anyURI, codes
// that no official rule holds to a list), required ones such as
// sdg:GivenName included, may be read present but empty (<sdg:GivenName/>):
// the field is then "" and Empty lists the element's name, so that Marshal
// writes it back present. A required one that is empty gets a warning.

// Identifier is an sdg:IdentifierType: a value with an optional @schemeID.
type Identifier struct {
	SchemeID   string             `sdg:"schemeID,attr"`
	Value      string             `sdg:",chardata"`
	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// ID returns an identifier without scheme.
func ID(value string) Identifier { return Identifier{Value: value} }

// SchemeID returns an identifier with a scheme.
func SchemeID(scheme, value string) Identifier { return Identifier{SchemeID: scheme, Value: value} }

// Text is an sdg:MultilingualStringType: a string with its @lang (a code of
// the LanguageCode list; the samples use upper case, "EN").
type Text struct {
	Lang       string             `sdg:"lang,attr"`
	Value      string             `sdg:",chardata"`
	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Lang returns a text in the given language.
func Lang(lang, value string) Text { return Text{Lang: lang, Value: value} }

// Classified is a code with its @listID (sdg:AdditionalJurisdictionClassification,
// EDM 2.0).
type Classified struct {
	ListID     string             `sdg:"listID,attr"`
	Value      string             `sdg:",chardata"`
	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Agent is an sdg:AgentType: an evidence requester, provider, intermediary
// or error provider (Classification ER, EP, IP, ERRP).
type Agent struct {
	Identifier     Identifier    `sdg:"Identifier,req"`
	Name           []Text        `sdg:"Name,req"`
	Address        *Address      `sdg:"Address"`
	Jurisdiction   *Jurisdiction `sdg:"Jurisdiction"`
	Classification string        `sdg:"Classification"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Address is an sdg:AddressType.
type Address struct {
	FullAddress       string `sdg:"FullAddress,empty"`
	LocatorDesignator string `sdg:"LocatorDesignator,empty"`
	PostCode          string `sdg:"PostCode,empty"`
	PostCityName      string `sdg:"PostCityName,empty"`
	Thoroughfare      string `sdg:"Thoroughfare,empty"`
	AdminUnitLevel1   string `sdg:"AdminUnitLevel1,req"`   // ISO 3166-1 alpha-2
	AdminUnitLevel2   string `sdg:"AdminUnitLevel2,empty"` // NUTS

	// Empty names the elements above read present but empty.
	Empty []string `sdg:",emptied"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Jurisdiction is an sdg:JurisdictionType. Levels 2 and 3 exist in EDM 1.x
// only; EDM 2.0 adds AdditionalJurisdictionClassification.
type Jurisdiction struct {
	AdminUnitLevel1                      string       `sdg:"AdminUnitLevel1,req"`
	AdminUnitLevel2                      string       `sdg:"AdminUnitLevel2,empty"`
	AdminUnitLevel3                      string       `sdg:"AdminUnitLevel3,empty"`
	AdditionalJurisdictionClassification []Classified `sdg:"AdditionalJurisdictionClassification"`

	// Empty names the elements above read present but empty.
	Empty []string `sdg:",emptied"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Person is an sdg:PersonType: the natural person an evidence is about, or
// an authorised representative.
type Person struct {
	LevelOfAssurance        string      `sdg:"LevelOfAssurance"`
	Identifier              *Identifier `sdg:"Identifier"` // eIDAS unique identifier, @schemeID "eidas"
	FamilyName              string      `sdg:"FamilyName,req,empty"`
	GivenName               string      `sdg:"GivenName,req,empty"`
	DateOfBirth             string      `sdg:"DateOfBirth,req"` // xsd:date
	BirthName               string      `sdg:"BirthName,empty"`
	PlaceOfBirth            string      `sdg:"PlaceOfBirth,empty"`
	CurrentAddress          *Address    `sdg:"CurrentAddress"`
	Gender                  string      `sdg:"Gender"`
	SectorSpecificAttribute []Attribute `sdg:"SectorSpecificAttribute"`

	// Empty names the elements above read present but empty.
	Empty []string `sdg:",emptied"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// LegalPerson is an sdg:LegalPersonType.
type LegalPerson struct {
	LevelOfAssurance        string       `sdg:"LevelOfAssurance"`
	Identifier              []Identifier `sdg:"Identifier"` // @schemeID from IdentifierSchemes
	LegalPersonIdentifier   *Identifier  `sdg:"LegalPersonIdentifier"`
	LegalName               string       `sdg:"LegalName,req,empty"`
	RegisteredAddress       *Address     `sdg:"RegisteredAddress"`
	SectorSpecificAttribute []Attribute  `sdg:"SectorSpecificAttribute"`

	// Empty names the elements above read present but empty.
	Empty []string `sdg:",emptied"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Attribute is an sdg:AttributeKeyValuePairType (SectorSpecificAttribute).
type Attribute struct {
	AttributeName  string `sdg:"AttributeName,req,empty"`
	AttributeURI   string `sdg:"AttributeURI,req,empty"`
	AttributeValue string `sdg:"AttributeValue,req,empty"`

	// Empty names the elements above read present but empty.
	Empty []string `sdg:",emptied"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Requirement is an sdg:RequirementType (EB answers, evidence request).
type Requirement struct {
	Identifier         Identifier           `sdg:"Identifier,req"`
	Name               []Text               `sdg:"Name,req"`
	Description        []Text               `sdg:"Description"` // EDM 2.0
	ReferenceFramework []ReferenceFramework `sdg:"ReferenceFramework"`
	EvidenceTypeList   []EvidenceTypeList   `sdg:"EvidenceTypeList"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// ReferenceFramework is an sdg:ReferenceFrameworkType; RelatedTo/Identifier
// holds a procedure code.
type ReferenceFramework struct {
	Identifier   Identifier           `sdg:"Identifier,req"`
	Title        []Text               `sdg:"Title"`
	Description  []Text               `sdg:"Description"`
	RelatedTo    []ReferenceFramework `sdg:"RelatedTo"`
	Jurisdiction *Jurisdiction        `sdg:"Jurisdiction"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// EvidenceTypeList is an sdg:EvidenceTypeListType: evidence types that
// together satisfy a requirement. EDM 2.0 moves Jurisdiction here.
type EvidenceTypeList struct {
	Identifier   Identifier     `sdg:"Identifier,req"`
	Name         []Text         `sdg:"Name"`
	EvidenceType []EvidenceType `sdg:"EvidenceType"`
	Jurisdiction []Jurisdiction `sdg:"Jurisdiction"` // EDM 2.0

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// EvidenceType is an sdg:EvidenceTypeType (also sdg:IsConformantTo).
type EvidenceType struct {
	EvidenceTypeClassification string         `sdg:"EvidenceTypeClassification,req"`
	Title                      []Text         `sdg:"Title,req"`
	Description                []Text         `sdg:"Description"`
	Jurisdiction               []Jurisdiction `sdg:"Jurisdiction"`
	Distribution               []Distribution `sdg:"Distribution"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// DataServiceEvidenceType is an sdg:DataServiceEvidenceTypeType: what the
// DSD answers and what an evidence request asks for (EvidenceRequest slot).
type DataServiceEvidenceType struct {
	Identifier                                Identifier                 `sdg:"Identifier,req"`
	EvidenceTypeClassification                string                     `sdg:"EvidenceTypeClassification,req"`
	Title                                     []Text                     `sdg:"Title,req"`
	Description                               []Text                     `sdg:"Description"`
	DistributedAs                             []Distribution             `sdg:"DistributedAs,req"`
	AccessService                             []AccessService            `sdg:"AccessService"`
	AuthenticationLevelOfAssurance            string                     `sdg:"AuthenticationLevelOfAssurance"`
	EvidenceProviderJurisdictionDetermination *JurisdictionDetermination `sdg:"EvidenceProviderJurisdictionDetermination"`
	EvidenceProviderClassification            []InformationConcept       `sdg:"EvidenceProviderClassification"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Distribution is an sdg:DistributionType (Evidence/Distribution) or
// sdg:EvidenceTypeDistributionType (DistributedAs). Language in
// DistributedAs and AssociatedDocumentRequest are EDM 2.0; Transformation is
// EDM 1.x only.
//
// sdg:Format is repeatable in EDM 2.0 (exactly one in 1.x): Format holds the
// first and MoreFormats the others, so that code written for one format
// keeps working; Formats returns them all. Check reports MoreFormats in a 1.x
// message.
type Distribution struct {
	Format                    string   `sdg:"Format,req"`  // OOTSMediaTypes
	MoreFormats               []string `sdg:"Format,more"` // EDM 2.0: the 2nd, 3rd... sdg:Format
	Language                  []string `sdg:"Language"`
	ConformsTo                string   `sdg:"ConformsTo"`
	Transformation            string   `sdg:"Transformation"`
	AssociatedDocumentRequest []string `sdg:"AssociatedDocumentRequest"` // Annex, HumanReadableVersion, Translation

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// AccessService is an sdg:DataServiceType: the C3 access point
// (Identifier/@schemeID = party id type), the EDM versions it speaks
// (ConformsTo) and the evidence provider (Publisher).
type AccessService struct {
	Identifier Identifier `sdg:"Identifier,req"`
	Name       []Text     `sdg:"Name"` // EDM 2.0
	ConformsTo []string   `sdg:"ConformsTo,req"`
	Publisher  Publisher  `sdg:"Publisher,req"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Publisher is an sdg:EvidenceProviderType.
type Publisher struct {
	Identifier            Identifier           `sdg:"Identifier,req"`
	Name                  []Text               `sdg:"Name,req"`
	Description           []Text               `sdg:"Description"` // EDM 2.0
	Address               *Address             `sdg:"Address"`
	Jurisdiction          *Jurisdiction        `sdg:"Jurisdiction"`
	ClassificationConcept []InformationConcept `sdg:"ClassificationConcept"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// JurisdictionDetermination is an sdg:JurisdictionDeterminationType (EDM 1.x).
type JurisdictionDetermination struct {
	JurisdictionContextId string `sdg:"JurisdictionContextId,req"`
	JurisdictionContext   []Text `sdg:"JurisdictionContext,req"`
	JurisdictionLevel     string `sdg:"JurisdictionLevel,req"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// InformationConcept is an sdg:InformationConceptType
// (EvidenceProviderClassification, ClassificationConcept).
type InformationConcept struct {
	Identifier      Identifier      `sdg:"Identifier,req"`
	Type            string          `sdg:"Type"`
	ValueExpression string          `sdg:"ValueExpression,empty"`
	Description     []Text          `sdg:"Description"`
	SupportedValue  *SupportedValue `sdg:"SupportedValue"`

	// Empty names the elements above read present but empty.
	Empty []string `sdg:",emptied"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// SupportedValue is an sdg:SupportedValueType.
type SupportedValue struct {
	StringValue  []string `sdg:"StringValue"`
	DateValue    []string `sdg:"DateValue"`
	BooleanValue []string `sdg:"BooleanValue"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Evidence is an sdg:EvidenceType: the metadata of one evidence in a
// response. IsAbout, IssuingAuthority, IsConformantTo and IssuingDate are
// required by the 1.0 schema; EDM 2.0 requires them on the main evidence.
type Evidence struct {
	Identifier       Identifier     `sdg:"Identifier,req"`
	IsAbout          *IsAbout       `sdg:"IsAbout"`
	IssuingAuthority *Agent         `sdg:"IssuingAuthority"`
	IsConformantTo   *EvidenceType  `sdg:"IsConformantTo"`
	IssuingDate      string         `sdg:"IssuingDate"`
	Distribution     []Distribution `sdg:"Distribution"`
	ValidityPeriod   *Period        `sdg:"ValidityPeriod"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// IsAbout names the subject of an evidence: exactly one of the two.
type IsAbout struct {
	NaturalPerson *Person      `sdg:"NaturalPerson"`
	LegalPerson   *LegalPerson `sdg:"LegalPerson"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Period is an sdg:PeriodType.
type Period struct {
	StartDate string `sdg:"StartDate,req"`
	EndDate   string `sdg:"EndDate,req"`

	ExtraAttrs []xmltree.Attr     `sdg:",anyattr"`
	Extra      []*xmltree.Element `sdg:",any"`
}

// Formats returns every format of the distribution, Format first.
func (d Distribution) Formats() []string {
	if d.Format == "" && len(d.MoreFormats) == 0 {
		return nil
	}
	return append([]string{d.Format}, d.MoreFormats...)
}

// HasFormat reports whether one of the distribution's formats is mt (media
// types compare without regard to case).
func (d Distribution) HasFormat(mt string) bool {
	for _, f := range d.Formats() {
		if strings.EqualFold(f, mt) {
			return true
		}
	}
	return false
}

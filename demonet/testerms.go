package demonet

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/uuid"
)

// The conformance kit also plays the evidence provider of a Member State
// that no demo node runs (its edm-requester suite tests a node's requester
// side): when the tester is configured (Config.TesterEndpoint), the Common
// Services know TesterCountry, where procedure R1 (proof of birth) is served
// by one data service, TesterProvider, whose AccessService is the kit's
// access point TesterParty. The requesters route that AccessService to the
// kit's party; the portals do not offer the country (their list is the
// demo countries). The objects are submitted at each start through the
// registry's LCM submission (csregistry.Registry.LoadFile), beside the demo
// data set, which stays as it is.
const (
	// TesterCountry is the Member State of the conformance tester.
	TesterCountry = "AT"
	// TesterProvider is the evidence provider the kit plays in
	// TesterCountry.
	TesterProvider = "AT-EP-CONFORMANCE-TESTER"
	// TesterProcedure is the procedure the tester's data service serves.
	TesterProcedure = "R1"
	// TesterVersion is the EDM version of the tester's AccessService
	// (ConformsTo).
	TesterVersion = edm.V1_0
	// testerScheme is the EAS scheme of the tester's identifiers (Austria).
	testerScheme = "urn:cef.eu:names:identifier:EAS:9915"
)

// TesterClassification returns the evidence type classification of the
// tester's R1 evidence type in production; a network of another
// environment of the Semantic Repository (Config.SREnvironment) names it
// in that environment (edm.SRInEnv).
func TesterClassification() string {
	return "https://sr.oots.tech.europa.eu/evidencetypeclassifications/" + TesterCountry + "/" + testerUUID("evidence type")
}

// testerClassification is TesterClassification in the environment env of
// the Semantic Repository (Config.SREnvironment).
func testerClassification(env string) string {
	if env == "" {
		return TesterClassification()
	}
	return edm.SRInEnv(TesterClassification(), env)
}

// testerVersion is the highest EDM version of the tester's AccessService,
// which the requesters use: 2.0 (beside TesterVersion) in an environment
// other than production, whose identifiers the TDD 1.0 rules do not admit.
func testerVersion(env string) edm.Version {
	if env == "" {
		return TesterVersion
	}
	return edm.V2_0
}

// testerUUID is a name-based UUID of a tester object, the same at every
// start, so that a new submission replaces the object.
func testerUUID(name string) string { return uuid.Name(testerNS, name).String() }

// testerNS is the name space of the tester's objects.
var testerNS = uuid.Name(uuid.NameSpaceURL(), "https://github.com/oots-go/oots/demonet#conformance-tester")

const lcmHead = `<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:sdg="http://data.europa.eu/p4s" id="urn:uuid:{{id .Submission}}">
  <rim:RegistryObjectList>
`

// testerEB is the Evidence Broker submission: the reference framework of R1
// in TesterCountry derived by the R1 requirement (the demo data set's
// object, submitted again as it is, since the associations of a submission
// must join objects of the submission), and an evidence type list with the
// tester's evidence type that fulfils it.
var testerEB = template.Must(template.New("eb").Funcs(template.FuncMap{"id": testerUUID}).Parse(lcmHead + `    <rim:RegistryObject id="{{.RequirementObject}}">
      <rim:Slot name="Requirement">
        <rim:SlotValue xsi:type="rim:AnyValueType">
          <sdg:Requirement>
            <sdg:Identifier>{{html .Requirement}}</sdg:Identifier>
            <sdg:Name lang="EN">{{html .RequirementName}}</sdg:Name>
          </sdg:Requirement>
        </rim:SlotValue>
      </rim:Slot>
      <rim:Classification id="{{.RequirementClassification}}" classificationScheme="urn:fdc:oots:classification:eb" classificationNode="Requirement"/>
    </rim:RegistryObject>
    <rim:RegistryObject id="urn:uuid:{{id "framework"}}">
      <rim:Slot name="ReferenceFramework">
        <rim:SlotValue xsi:type="rim:AnyValueType">
          <sdg:ReferenceFramework>
            <sdg:Identifier>{{id "framework identifier"}}</sdg:Identifier>
            <sdg:Title lang="EN">Requesting proof of registration of birth</sdg:Title>
            <sdg:Description lang="EN">Procedure {{.Procedure}} as implemented by the conformance tester ({{.Country}}), an evidence provider played by the conformance kit.</sdg:Description>
            <sdg:RelatedTo>
              <sdg:Identifier>{{.Procedure}}</sdg:Identifier>
            </sdg:RelatedTo>
            <sdg:Jurisdiction>
              <sdg:AdminUnitLevel1>{{.Country}}</sdg:AdminUnitLevel1>
            </sdg:Jurisdiction>
          </sdg:ReferenceFramework>
        </rim:SlotValue>
      </rim:Slot>
      <rim:Classification id="urn:uuid:{{id "framework classification"}}" classificationScheme="urn:fdc:oots:classification:eb" classificationNode="ReferenceFramework"/>
    </rim:RegistryObject>
    <rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:{{id "derives"}}" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:DerivesFromReferenceFramework" sourceObject="{{.RequirementObject}}" targetObject="urn:uuid:{{id "framework"}}"/>
    <rim:RegistryObject id="urn:uuid:{{id "list"}}">
      <rim:Slot name="EvidenceTypeList">
        <rim:SlotValue xsi:type="rim:AnyValueType">
          <sdg:EvidenceTypeList>
            <sdg:Identifier>{{id "list identifier"}}</sdg:Identifier>
            <sdg:Name lang="EN">Proof of birth at the conformance tester ({{.Country}})</sdg:Name>
          </sdg:EvidenceTypeList>
        </rim:SlotValue>
      </rim:Slot>
      <rim:Classification id="urn:uuid:{{id "list classification"}}" classificationScheme="urn:fdc:oots:classification:eb" classificationNode="EvidenceTypeList"/>
    </rim:RegistryObject>
    <rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:{{id "fulfils"}}" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:FulfillsRequirement" sourceObject="urn:uuid:{{id "list"}}" targetObject="{{.RequirementObject}}"/>
    <rim:RegistryObject id="urn:uuid:{{id "type"}}">
      <rim:Slot name="EvidenceType">
        <rim:SlotValue xsi:type="rim:AnyValueType">
          <sdg:EvidenceType>
            <sdg:EvidenceTypeClassification>{{.Classification}}</sdg:EvidenceTypeClassification>
            <sdg:Title lang="EN">Certificate of birth (conformance tester)</sdg:Title>
            <sdg:Description lang="EN">Certificate of birth of the conformance tester ({{.Country}}), an evidence provider played by the conformance kit.</sdg:Description>
            <sdg:Jurisdiction>
              <sdg:AdminUnitLevel1>{{.Country}}</sdg:AdminUnitLevel1>
            </sdg:Jurisdiction>
          </sdg:EvidenceType>
        </rim:SlotValue>
      </rim:Slot>
      <rim:Classification id="urn:uuid:{{id "type classification"}}" classificationScheme="urn:fdc:oots:classification:eb" classificationNode="EvidenceType"/>
    </rim:RegistryObject>
    <rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:{{id "contains"}}" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:ContainsEvidence" sourceObject="urn:uuid:{{id "list"}}" targetObject="urn:uuid:{{id "type"}}"/>
  </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
`))

// testerDSD is the DSD submission: the tester's data service evidence type
// and its evidence provider behind the access point TesterParty.
var testerDSD = template.Must(template.New("dsd").Funcs(template.FuncMap{"id": testerUUID}).Parse(lcmHead + `    <rim:RegistryObject id="urn:uuid:{{id "data service"}}">
      <rim:Slot name="DataServiceEvidenceType">
        <rim:SlotValue xsi:type="rim:AnyValueType">
          <sdg:DataServiceEvidenceType>
            <sdg:Identifier>{{id "data service identifier"}}</sdg:Identifier>
            <sdg:EvidenceTypeClassification>{{.Classification}}</sdg:EvidenceTypeClassification>
            <sdg:Title lang="EN">Certificate of birth (conformance tester)</sdg:Title>
            <sdg:Description lang="EN">Certificate of birth of the conformance tester ({{.Country}}), an evidence provider played by the conformance kit.</sdg:Description>
            <sdg:DistributedAs>
              <sdg:Format>application/pdf</sdg:Format>
            </sdg:DistributedAs>
            <sdg:AuthenticationLevelOfAssurance>Substantial</sdg:AuthenticationLevelOfAssurance>
          </sdg:DataServiceEvidenceType>
        </rim:SlotValue>
      </rim:Slot>
      <rim:Classification id="urn:uuid:{{id "data service classification"}}" classificationScheme="urn:fdc:oots:classification:dsd" classificationNode="DataServiceEvidenceType"/>
    </rim:RegistryObject>
    <rim:RegistryObject id="urn:uuid:{{id "provider"}}">
      <rim:Slot name="EvidenceProvider">
        <rim:SlotValue xsi:type="rim:AnyValueType">
          <sdg:AccessService>
            <sdg:Identifier schemeID="{{.Scheme}}">{{.AccessService}}</sdg:Identifier>
{{range .Versions}}            <sdg:ConformsTo>{{.}}</sdg:ConformsTo>
{{end}}
            <sdg:Publisher>
              <sdg:Identifier schemeID="{{.Scheme}}">{{.Provider}}</sdg:Identifier>
              <sdg:Name lang="EN">Conformance tester, evidence provider of {{.Country}}</sdg:Name>
              <sdg:Address>
                <sdg:FullAddress>1010 Wien</sdg:FullAddress>
                <sdg:PostCode>1010</sdg:PostCode>
                <sdg:PostCityName>Wien</sdg:PostCityName>
                <sdg:AdminUnitLevel1>{{.Country}}</sdg:AdminUnitLevel1>
                <sdg:AdminUnitLevel2>AT13</sdg:AdminUnitLevel2>
              </sdg:Address>
              <sdg:Jurisdiction>
                <sdg:AdminUnitLevel1>{{.Country}}</sdg:AdminUnitLevel1>
              </sdg:Jurisdiction>
            </sdg:Publisher>
          </sdg:AccessService>
        </rim:SlotValue>
      </rim:Slot>
      <rim:Classification id="urn:uuid:{{id "provider classification"}}" classificationScheme="urn:fdc:oots:classification:dsd" classificationNode="EvidenceProvider"/>
    </rim:RegistryObject>
    <rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:{{id "serves"}}" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:ServesEvidenceType" sourceObject="urn:uuid:{{id "provider"}}" targetObject="urn:uuid:{{id "data service"}}"/>
  </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
`))

// classificationID finds the id of the rim:Classification of a stored
// registry object.
var classificationID = regexp.MustCompile(`<(?:\w+:)?Classification[^>]*\sid="([^"]+)"`)

// loadTesterMS submits the tester Member State's objects to the registry
// (see TesterCountry). The R1 requirement is the demo data set's: its
// registry object is found in the store.
func loadTesterMS(ctx context.Context, reg *csregistry.Registry, st csregistry.Store, env string) error {
	var reqURI, reqName string
	for _, r := range reg.Snapshot().Requirements() {
		for _, f := range r.Frameworks {
			if len(f.RelatedTo) > 0 && f.RelatedTo[0].Identifier.Value == TesterProcedure && len(r.Requirement.Name) > 0 {
				reqURI, reqName = r.Requirement.Identifier.Value, r.Requirement.Name[0].Value
			}
		}
	}
	if reqURI == "" {
		return fmt.Errorf("demonet: conformance tester: no requirement of %s in the Common Services", TesterProcedure)
	}
	objs, err := st.Load(ctx)
	if err != nil {
		return fmt.Errorf("demonet: conformance tester: %w", err)
	}
	var reqObject, reqClass string
	for _, o := range objs {
		if o.Service == csregistry.EvidenceBroker && bytes.Contains(o.XML, []byte(`classificationNode="Requirement"`)) &&
			bytes.Contains(o.XML, []byte(">"+reqURI+"<")) {
			reqObject = o.ID
			if m := classificationID.FindSubmatch(o.XML); m != nil {
				reqClass = string(m[1])
			}
			break
		}
	}
	if reqObject == "" || reqClass == "" {
		return fmt.Errorf("demonet: conformance tester: the registry object of requirement %s is not in the store", reqURI)
	}
	versions := []string{string(TesterVersion)}
	if v := testerVersion(env); v != TesterVersion {
		versions = append(versions, string(v))
	}
	data := map[string]any{"Procedure": TesterProcedure, "Country": TesterCountry, "RequirementObject": reqObject,
		"Requirement": reqURI, "RequirementName": reqName, "RequirementClassification": reqClass,
		"Classification": testerClassification(env), "Scheme": testerScheme, "AccessService": TesterParty, "Provider": TesterProvider,
		"Versions": versions}
	for _, t := range []*template.Template{testerEB, testerDSD} {
		data["Submission"] = t.Name() + " submission"
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return fmt.Errorf("demonet: conformance tester: %w", err)
		}
		if err := reg.LoadFile(ctx, []byte(b.String())); err != nil {
			return fmt.Errorf("demonet: conformance tester's %s submission: %w", t.Name(), err)
		}
	}
	return nil
}

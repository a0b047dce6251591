package schematron_test

import (
	"fmt"
	"os"
	"strings"
	"testing/fstest"

	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

func ExampleForKind() {
	doc, err := xmltree.ParseBytes([]byte(`<eb:Messaging xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/">
  <eb:UserMessage>
    <eb:PartyInfo>
      <eb:From><eb:PartyId>AP_FR_01</eb:PartyId><eb:Role>http://sdg.europa.eu/edelivery/gateway</eb:Role></eb:From>
      <eb:To><eb:PartyId>AP_DE_01</eb:PartyId><eb:Role>http://sdg.europa.eu/edelivery/gateway</eb:Role></eb:To>
    </eb:PartyInfo>
    <eb:CollaborationInfo>
      <eb:Service>QueryManager</eb:Service>
      <eb:Action>ExecuteQueryRequest</eb:Action>
      <eb:ConversationId>e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24</eb:ConversationId>
    </eb:CollaborationInfo>
    <eb:MessageProperties>
      <eb:Property name="originalSender" type="urn:cef.eu:names:identifier:EAS:0009">00000000000002</eb:Property>
      <eb:Property name="finalRecipient" type="urn:cef.eu:names:identifier:EAS:9930">DE73524311</eb:Property>
      <eb:Property name="SpecificationId">oots-edm:v1.2</eb:Property>
    </eb:MessageProperties>
  </eb:UserMessage>
</eb:Messaging>`), nil)
	if err != nil {
		panic(err)
	}
	rs, err := schematron.ForKind("EBMS", "oots-edm:v2.0")
	if err != nil {
		panic(err)
	}
	for _, f := range rs.Validate(doc) {
		fmt.Println(f.Rule, f.Flag, f.Location)
	}
	// Output:
	// R-EDM-ebMS-018 fatal /eb:Messaging/eb:UserMessage
	// R-EDM-ebMS-019 fatal /eb:Messaging/eb:UserMessage
	// R-EDM-ebMS-038 fatal /eb:Messaging/eb:UserMessage/eb:MessageProperties/eb:Property[3]
}

func ExampleCompile() {
	s, err := schematron.Compile(strings.NewReader(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <sch:pattern>
    <sch:rule context="item">
      <sch:let name="n" value="number(@qty)"/>
      <sch:assert test="$n gt 0" id="R-QTY" flag="error">Quantity of <sch:value-of select="@sku"/> must be positive, not <sch:value-of select="$n"/>.</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>`))
	if err != nil {
		panic(err)
	}
	doc, _ := xmltree.ParseBytes([]byte(`<order><item sku="A" qty="2"/><item sku="B" qty="0"/></order>`), nil)
	rep, err := s.Run(doc, nil)
	if err != nil {
		panic(err)
	}
	for _, f := range rep.Findings() {
		fmt.Println(f.Rule, f.Location, f.Message)
	}
	if err := schematron.WriteSVRL(os.Stdout, rep); err != nil {
		panic(err)
	}
	// Output:
	// R-QTY /order/item[2] Quantity of B must be positive, not 0.
	// <?xml version="1.0" encoding="UTF-8"?>
	// <svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
	//   <svrl:active-pattern/>
	//   <svrl:failed-assert test="$n gt 0" id="R-QTY" flag="error" location="/order/item[2]">
	//     <svrl:text>Quantity of B must be positive, not 0.</svrl:text>
	//   </svrl:failed-assert>
	// </svrl:schematron-output>
}

// A directory of official rule files, laid out as the TDD repository,
// judges one EDM version kind by kind; kinds it lacks keep the embedded
// files.
func ExampleNewCatalogue() {
	tdd := fstest.MapFS{
		"OOTS-EDM/sch/EDM-ebMS.sch": {Data: []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <sch:ns prefix="eb" uri="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"/>
  <sch:pattern><sch:rule context="eb:Property[@name='SpecificationId']">
    <sch:assert test=".='oots-edm:v2.0'" id="R-EDM-ebMS-038" flag="fatal">SpecificationId MUST be oots-edm:v2.0</sch:assert>
  </sch:rule></sch:pattern>
</sch:schema>`)},
	}
	cat, err := schematron.NewCatalogue(schematron.Official{Version: "oots-edm:v2.0", FS: tdd, Name: "tdd_chapters-2.0.1"})
	if err != nil {
		panic(err)
	}
	entries, err := cat.Entries()
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if e.Version == "oots-edm:v2.0" {
			fmt.Println(e.Kind, e.Origin, e.Dir, len(e.Files))
		}
	}
	doc, err := xmltree.ParseBytes([]byte(`<eb:Messaging xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/">
<eb:Property name="SpecificationId">oots-edm:v1.2</eb:Property></eb:Messaging>`), nil)
	if err != nil {
		panic(err)
	}
	rs, err := cat.ForKind("EBMS", "oots-edm:v2.0")
	if err != nil {
		panic(err)
	}
	for _, f := range rs.Validate(doc) {
		fmt.Println(f.Rule, f.Flag)
	}
	// Output:
	// EDM-REQ built-in schematron/rules/edm-2.0 2
	// EDM-RESP built-in schematron/rules/edm-2.0 2
	// EDM-ERR built-in schematron/rules/edm-2.0 2
	// EBMS official tdd_chapters-2.0.1/OOTS-EDM/sch 1
	// R-EDM-ebMS-038 fatal
}

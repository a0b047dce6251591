package regrep_test

import (
	"fmt"

	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Parse reads a RegRep message into the model; Element writes it back.
func ExampleParse() {
	doc, err := xmltree.ParseBytes([]byte(`<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure" requestId="urn:uuid:3a7ab005-fcc5-4985-905d-2af912556432">
  <rs:Exception xsi:type="rs:InvalidRequestExceptionType" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
    message="Invalid registry object" code="LCM:ERR:0001"/>
</rs:RegistryResponse>`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, findings, err := regrep.Parse(doc.Root)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := m.(*regrep.RegistryResponse)
	fmt.Println(r.Status == regrep.StatusFailure, r.Exceptions[0].Code, r.Exceptions[0].Type.Local, len(findings))
	r.Exceptions[0].Detail = "slot Requirement is missing"
	fmt.Println(string(r.Element().Canonical()))
	// Output:
	// true LCM:ERR:0001 InvalidRequestExceptionType 0
	// <rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" requestId="urn:uuid:3a7ab005-fcc5-4985-905d-2af912556432" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><rs:Exception xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" code="LCM:ERR:0001" detail="slot Requirement is missing" message="Invalid registry object" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error" xsi:type="rs:InvalidRequestExceptionType"></rs:Exception></rs:RegistryResponse>
}

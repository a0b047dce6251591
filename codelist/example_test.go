package codelist_test

import (
	"errors"
	"fmt"

	"github.com/oots-go/oots/codelist"
)

func ExampleList_Contains() {
	fmt.Println(codelist.Procedures().Contains("R1"))
	fmt.Println(codelist.LevelsOfAssurance().Contains("Substantial"))
	fmt.Println(codelist.MediaTypes().Contains("text/plain"))
	// Output:
	// true
	// true
	// false
}

func ExampleList_Lookup() {
	c, ok := codelist.EDMErrorCodes().Lookup("EDM:ERR:0004")
	fmt.Println(ok, c.Names[codelist.ColumnType], c.Name())
	loa, _ := codelist.LevelsOfAssurance().Lookup("High")
	fmt.Println(loa.Names[codelist.ColumnURI])
	// Output:
	// true rs:ObjectNotFoundExceptionType Object not found
	// http://eidas.europa.eu/LoA/High
}

func ExampleByName() {
	l, _ := codelist.ByName("LoA")
	fmt.Println(l, l.CanonicalURI)
	for _, c := range l.Codes() {
		fmt.Println(c.Value)
	}
	// Output:
	// LoA 2022-12 urn:sr.oots.tech.europa.eu:codelists:loa
	// High
	// Low
	// Substantial
}

func ExampleKnownProcedure() {
	fmt.Println(codelist.KnownProcedure("X7", "oots-edm:v1.0"))
	fmt.Println(codelist.KnownProcedure("X7", "oots-edm:v2.0"))
	// Output:
	// false
	// true
}

func ExampleParse() {
	doc := `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
  <Identification>
    <ShortName>Gender</ShortName><Version>1</Version>
    <CanonicalUri>urn:example:gender</CanonicalUri><CanonicalVersionUri>urn:example:gender-1</CanonicalVersionUri>
  </Identification>
  <ColumnSet>
    <Column Id="code" Use="required"><ShortName>Code</ShortName></Column>
    <Key Id="k"><ShortName>K</ShortName><ColumnRef Ref="code"/></Key>
  </ColumnSet>
  <SimpleCodeList>
    <Row><Value ColumnRef="code"><SimpleValue>Unspecified</SimpleValue></Value></Row>
  </SimpleCodeList>
</gc:CodeList>`
	l, err := codelist.Parse([]byte(doc), "example.gc")
	fmt.Println(l, l.Contains("Unspecified"), err)

	_, err = codelist.Parse([]byte(`<CodeList/>`), "other.xml")
	fmt.Println(errors.Is(err, codelist.ErrNotCodeList))
	fmt.Println(err)
	// Output:
	// Gender 1 true <nil>
	// true
	// codelist: other.xml: genericode: line 1: not a Genericode 1.0 CodeList: document element is CodeList
}

func ExampleValidIn() {
	for _, spec := range []string{"oots-edm:v1.2", "oots-edm:v2.0"} {
		numeric, _ := codelist.ValidIn("Gender", "2", spec)
		eidas, _ := codelist.ValidIn("Gender", "Female", spec)
		eb4, _ := codelist.ValidIn("EBErrorCodes", "EB:ERR:0004", spec)
		fmt.Println(spec, numeric, eidas, eb4)
	}
	_, err := codelist.ValidIn("JurisdictionLevel", "NUTS1", "oots-edm:v2.0")
	fmt.Println(errors.Is(err, codelist.ErrNotInVersion))
	_, err = codelist.ValidIn("SRSearchErrorCodes", "x", "oots-edm:v2.0")
	fmt.Println(errors.Is(err, codelist.ErrCodesUnknown))
	// Output:
	// oots-edm:v1.2 false true true
	// oots-edm:v2.0 true true false
	// true
	// true
}

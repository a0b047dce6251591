package xpath_test

import (
	"fmt"

	"github.com/oots-go/oots/xmltree"
	"github.com/oots-go/oots/xpath"
)

const request = `<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"
    xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797">
  <rim:Slot name="SpecificationIdentifier"><rim:SlotValue><rim:Value>oots-edm:v1.0</rim:Value></rim:SlotValue></rim:Slot>
  <rim:Slot name="Procedure"/>
</query:QueryRequest>`

// A Schematron rule: select the context nodes, then evaluate an assert on
// each with the rule's variables.
func Example() {
	d, err := xmltree.ParseBytes([]byte(request), nil)
	if err != nil {
		panic(err)
	}
	doc := xpath.NewDocument(d)
	sc := &xpath.StaticContext{
		Namespaces: map[string]string{
			"query": "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0",
			"rim":   "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0",
		},
		Variables: []string{"version"},
	}
	context, err := xpath.Compile("//query:QueryRequest", sc)
	if err != nil {
		panic(err)
	}
	assert, err := xpath.Compile("count(rim:Slot[@name='SpecificationIdentifier']) = 1 and matches(@id, '^urn:uuid:[a-f0-9-]{36}$', 'i')", sc)
	if err != nil {
		panic(err)
	}
	version, err := xpath.Compile("rim:Slot[@name='SpecificationIdentifier']//rim:Value = $version", sc)
	if err != nil {
		panic(err)
	}
	nodes, err := context.Nodes(&xpath.Context{Item: doc.Root()})
	if err != nil {
		panic(err)
	}
	for _, n := range nodes {
		ctx := &xpath.Context{Item: n, Variables: map[string]xpath.Sequence{"version": {xpath.String("oots-edm:v1.0")}}}
		ok, err := assert.EvaluateBoolean(ctx)
		fmt.Println(n.Path(), ok, err)
		ok, err = version.EvaluateBoolean(ctx)
		fmt.Println("version", ok, err)
	}
	// Output:
	// /*[local-name()='QueryRequest' and namespace-uri()='urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0'] true <nil>
	// version true <nil>
}

func ExampleCompile() {
	_, err := xpath.Compile("rim:Slot[@name='X'", &xpath.StaticContext{Namespaces: map[string]string{"rim": "urn:rim"}})
	fmt.Println(err)
	_, err = xpath.Compile("sdg:Identifier", nil)
	fmt.Println(err)
	// Output:
	// xpath static error XPST0003 at offset 18: expected "]", found end of expression
	// xpath static error XPST0081 at offset 0: undeclared namespace prefix "sdg"
}

func ExampleExpr_EvaluateString() {
	e, err := xpath.Compile("string-join(for $c in tokenize('AT BE DE', ' ') return lower-case($c), ', ')", nil)
	if err != nil {
		panic(err)
	}
	s, err := e.EvaluateString(nil)
	fmt.Println(s, err)
	// Output:
	// at, be, de <nil>
}

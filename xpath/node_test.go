package xpath

import (
	"testing"

	"github.com/oots-go/oots/xmltree"
)

func TestDocumentModel(t *testing.T) {
	doc := testDoc(t)
	root := doc.Root()
	if root.Kind() != DocumentNode || !root.Parent().IsZero() || root.Element() != nil {
		t.Fatalf("document node: kind %v parent %v", root.Kind(), root.Parent())
	}
	sc := &StaticContext{Namespaces: testNS}
	item := MustCompile("(//r:item)[1]", sc)
	ns, err := item.Nodes(&Context{Item: root})
	if err != nil || len(ns) != 1 {
		t.Fatal(ns, err)
	}
	n := ns[0]
	if n.Kind() != ElementNode || n.Name() != (xmltree.Name{Space: "urn:r", Local: "item"}) || n.QName() != "r:item" ||
		n.StringValue() != "alpha" || n.Line() != 1 || n.Document() != doc {
		t.Errorf("element: %v %v %q %q %d", n.Kind(), n.Name(), n.QName(), n.StringValue(), n.Line())
	}
	if got, ok := doc.NodeOf(n.Element()); !ok || got != n {
		t.Errorf("NodeOf(element) = %v, %v", got, ok)
	}
	if _, ok := doc.NodeOf(xmltree.NewElement("", "", "x")); ok {
		t.Error("NodeOf(foreign element) found a node")
	}
	attrs, _ := MustCompile("@*", sc).Nodes(&Context{Item: n})
	if len(attrs) != 2 || attrs[0].Kind() != AttributeNode || attrs[0].QName() != "n" || attrs[1].QName() != "s:k" ||
		attrs[1].Name().Space != "urn:s" || attrs[0].StringValue() != "1" || attrs[0].Parent() != n || attrs[0].Element() != n.Element() {
		t.Errorf("attributes: %v", attrs)
	}
	if root.Compare(n) != -1 || n.Compare(attrs[0]) != -1 || attrs[1].Compare(attrs[0]) != 1 || n.Compare(n) != 0 {
		t.Error("Compare does not follow document order")
	}
	pi, _ := MustCompile("//processing-instruction()", sc).Nodes(&Context{Item: root})
	if len(pi) != 1 || pi[0].Name().Local != "app" || pi[0].StringValue() != "data" || pi[0].QName() != "app" {
		t.Errorf("processing instruction: %v", pi)
	}
	if doc.Len() != 1+11+15+7+2 {
		t.Errorf("Len = %d", doc.Len())
	}
	var zero Node
	if !zero.IsZero() || zero.Kind() != 0 || zero.StringValue() != "" || zero.Path() != "" || zero.Element() != nil {
		t.Error("zero Node")
	}
}

// Adjacent character data becomes one text node; empty character data none.
func TestTextMerging(t *testing.T) {
	e := xmltree.NewElement("", "", "a")
	e.AddText("x")
	e.AddChild(&xmltree.CharData{Data: "y"})
	e.AddChild(&xmltree.CharData{Data: ""})
	e.AddElement("", "", "b")
	e.AddChild(&xmltree.CharData{Data: ""})
	doc := NewDocument(&xmltree.Document{Root: e})
	got, err := MustCompile("count(/a/node()), string(/a/text()[1])", nil).EvaluateString(&Context{Item: doc.Root()})
	if err != nil || got != "2 xy" {
		t.Errorf("got %q, %v; want \"2 xy\"", got, err)
	}
	empty := NewDocument(nil)
	got, err = MustCompile("count(//node())", nil).EvaluateString(&Context{Item: empty.Root()})
	if err != nil || got != "0" {
		t.Errorf("empty document: %q, %v", got, err)
	}
}

// Nodes of two documents keep a stable order in a union.
func TestTwoDocuments(t *testing.T) {
	a, b := testDoc(t), testDoc(t)
	e := MustCompile("$a | $b | $a", &StaticContext{Variables: []string{"a", "b"}})
	ns, err := e.Nodes(&Context{Variables: map[string]Sequence{"a": {a.Root()}, "b": {b.Root()}}})
	if err != nil || len(ns) != 2 || ns[0] != a.Root() || ns[1] != b.Root() {
		t.Errorf("union of two documents: %v, %v", ns, err)
	}
}

// An Expr and a Document are shared by concurrent evaluations.
func TestConcurrentEvaluation(t *testing.T) {
	doc := testDoc(t)
	e := MustCompile("count(//r:item[matches(., '^[a-z]+$')]) + sum(for $i in //@n return $i)", &StaticContext{Namespaces: testNS})
	done := make(chan string)
	for i := 0; i < 4; i++ {
		go func() {
			s := ""
			for j := 0; j < 50; j++ {
				s, _ = e.EvaluateString(&Context{Item: doc.Root()})
			}
			done <- s
		}()
	}
	for i := 0; i < 4; i++ {
		if s := <-done; s != "19" {
			t.Errorf("got %q, want 19", s)
		}
	}
}

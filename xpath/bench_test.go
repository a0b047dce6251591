package xpath

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func loadDoc(tb testing.TB, path string) *Document {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return NewDocument(d)
}

var edmNS = map[string]string{
	"sdg":   "http://data.europa.eu/p4s",
	"rs":    "urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0",
	"rim":   "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0",
	"query": "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0",
	"xlink": "http://www.w3.org/1999/xlink",
}

func benchExpr(b *testing.B, expr, ctxPath string) {
	doc := loadDoc(b, "testdata/evidence-request.xml")
	sc := &StaticContext{Namespaces: edmNS}
	ctxNodes, err := MustCompile(ctxPath, sc).Nodes(&Context{Item: doc.Root()})
	if err != nil || len(ctxNodes) == 0 {
		b.Fatalf("context %s: %v %v", ctxPath, ctxNodes, err)
	}
	e := MustCompile(expr, sc)
	ctx := &Context{Item: ctxNodes[0]}
	if _, err := e.EvaluateBoolean(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.EvaluateBoolean(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRuleContext selects a rule's context nodes from the document
// node, as a Schematron engine does once per rule and document.
func BenchmarkRuleContext(b *testing.B) {
	benchExpr(b, "//(query:QueryRequest/rim:Slot[@name='EvidenceRequester']/rim:SlotValue)", "/")
}

// BenchmarkAssertCount is the most frequent assert shape of the rule files.
func BenchmarkAssertCount(b *testing.B) {
	benchExpr(b, "count(rim:Slot[@name='SpecificationIdentifier'])=1", "/query:QueryRequest")
}

// BenchmarkAssertMatches is a regex assert with a precompiled pattern.
func BenchmarkAssertMatches(b *testing.B) {
	benchExpr(b, "matches(normalize-space(@id),'urn:uuid:[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$','i')", "/query:QueryRequest")
}

// BenchmarkAssertCodeList is the generated code-list assert shape.
func BenchmarkAssertCodeList(b *testing.B) {
	benchExpr(b, "( false() or ( contains('AFALDZASADAOAIAQAGARAMAWAUATAZBSBHBDBBBYBEBZBJBMBTBOBQBABWBVBRIOBNBGBFBI',concat('',.,'')) ) )",
		"(//sdg:AdminUnitLevel1)[1]")
}

// BenchmarkValidateEvidenceRequest runs the two official rule files of an
// evidence request (EDM-REQ-S and EDM-REQ-C) over the birth certificate
// request sample: one iteration is one document validated.
func BenchmarkValidateEvidenceRequest(b *testing.B) {
	dir := testenv.Spec(b, "tdd-1.0/sch")
	s := loadRules(b, filepath.Join(dir, "EDM-REQ-S.sch"))
	c := loadRules(b, filepath.Join(dir, "EDM-REQ-C.sch"))
	raw, err := os.ReadFile("testdata/evidence-request.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := xmltree.ParseBytes(raw, nil)
		if err != nil {
			b.Fatal(err)
		}
		doc := NewDocument(d)
		validate(b, s, doc)
		validate(b, c, doc)
	}
}

package xpath

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/internal/xmltree"
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

// schRule is a rule of a Schematron file, enough to run it.
type schRule struct {
	match   *Expr
	lets    []schLet
	asserts []*Expr
	report  []bool // asserts[i] is a sch:report (fires when true)
}

type schLet struct {
	name string
	e    *Expr
}

// loadRules compiles a Schematron file's rules (patterns are run in order,
// the first matching rule of a pattern wins for a node, as in Schematron).
func loadRules(tb testing.TB, path string) [][]schRule {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ns := map[string]string{}
	for _, n := range d.Root.ChildrenNamed(nsSch, "ns") {
		ns[n.SelectAttr("", "prefix")] = n.SelectAttr("", "uri")
	}
	var patterns [][]schRule
	for _, p := range d.Root.ChildrenNamed(nsSch, "pattern") {
		var rules []schRule
		for _, r := range p.ChildrenNamed(nsSch, "rule") {
			var vars []string
			rule := schRule{}
			for _, l := range r.ChildrenNamed(nsSch, "let") {
				rule.lets = append(rule.lets, schLet{l.SelectAttr("", "name"), MustCompile(l.SelectAttr("", "value"), &StaticContext{Namespaces: ns, Variables: vars})})
				vars = append(vars, l.SelectAttr("", "name"))
			}
			rule.match = MustCompile("//("+r.SelectAttr("", "context")+")", &StaticContext{Namespaces: ns})
			for _, a := range r.Elements() {
				if a.Space == nsSch && (a.Local == "assert" || a.Local == "report") {
					rule.asserts = append(rule.asserts, MustCompile(a.SelectAttr("", "test"), &StaticContext{Namespaces: ns, Variables: vars}))
					rule.report = append(rule.report, a.Local == "report")
				}
			}
			rules = append(rules, rule)
		}
		patterns = append(patterns, rules)
	}
	return patterns
}

// validate runs the rules over doc and returns the number of failed
// asserts or successful reports.
func validate(tb testing.TB, patterns [][]schRule, doc *Document) int {
	fired := 0
	root := &Context{Item: doc.Root()}
	for _, rules := range patterns {
		done := map[Node]bool{}
		for _, r := range rules {
			nodes, err := r.match.Nodes(root)
			if err != nil {
				tb.Fatal(err)
			}
			for _, n := range nodes {
				if done[n] {
					continue
				}
				done[n] = true
				ctx := &Context{Item: n}
				if len(r.lets) > 0 {
					ctx.Variables = make(map[string]Sequence, len(r.lets))
					for _, l := range r.lets {
						v, err := l.e.Evaluate(ctx)
						if err != nil {
							tb.Fatal(err)
						}
						ctx.Variables[l.name] = v
					}
				}
				for i, a := range r.asserts {
					ok, err := a.EvaluateBoolean(ctx)
					if err != nil {
						tb.Fatal(err)
					}
					if ok == r.report[i] {
						fired++
						tb.Logf("fired: %s on %s", a, n.Path())
					}
				}
			}
		}
	}
	return fired
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

// TestValidateSamples runs the official rule files over the request and
// response samples (the same run as the benchmark, as a test). The counts
// are Saxon's (../shared/verifiers/schematron.sh): the request sample fails
// R-EDM-REQ-S008 and one assert without an id of EDM-REQ-S.
func TestValidateSamples(t *testing.T) {
	dir := testenv.Spec(t, "tdd-1.0/sch")
	for _, c := range []struct {
		doc, rules string
		fired      int
	}{
		{"testdata/evidence-request.xml", "EDM-REQ-S.sch", 2},
		{"testdata/evidence-request.xml", "EDM-REQ-C.sch", 0},
		{"testdata/evidence-response.xml", "EDM-RESP-S.sch", 0},
		{"testdata/evidence-response.xml", "EDM-RESP-C.sch", 0},
	} {
		d := loadDoc(t, c.doc)
		if n := validate(t, loadRules(t, filepath.Join(dir, c.rules)), d); n != c.fired {
			t.Errorf("%s with %s: %d asserts failed, Saxon fails %d", c.doc, c.rules, n, c.fired)
		}
	}
}

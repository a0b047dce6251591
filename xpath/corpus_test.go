package xpath

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus.json from the Schematron rule files")

const nsSch = "http://purl.oclc.org/dsdl/schematron"

// corpusFile holds every XPath expression of one Schematron file with the
// static context it is compiled in.
type corpusFile struct {
	File  string            `json:"file"`
	NS    map[string]string `json:"ns"`
	Exprs []corpusExpr      `json:"exprs"`
}

type corpusExpr struct {
	Line  int      `json:"line"`
	Where string   `json:"where"` // element/attribute, e.g. assert/test
	Vars  []string `json:"vars,omitempty"`
	Expr  string   `json:"expr"`
}

// ruleSets are the Schematron files of the corpus: the official TDD 1.0 and
// 0.99 rule sets (in the shared specification folder) and our EDM 2.0 rules.
func ruleSets(t testing.TB) []string {
	t.Helper()
	var files []string
	spec := testenv.SpecDir(t)
	for _, dir := range []string{"tdd-1.0/sch", "legacy-0.99/sch"} {
		m, _ := filepath.Glob(filepath.Join(spec, dir, "*.sch"))
		for _, f := range m {
			rel, _ := filepath.Rel(filepath.Dir(spec), f)
			files = append(files, rel)
		}
	}
	return files
}

func extractCorpus(t testing.TB, path, name string) corpusFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	cf := corpusFile{File: name, NS: map[string]string{}}
	root := doc.Root
	for _, ns := range root.ChildrenNamed(nsSch, "ns") {
		cf.NS[ns.SelectAttr("", "prefix")] = ns.SelectAttr("", "uri")
	}
	lets := func(e *xmltree.Element) []string {
		var names []string
		for _, l := range e.ChildrenNamed(nsSch, "let") {
			names = append(names, l.SelectAttr("", "name"))
		}
		return names
	}
	seen := map[string]bool{}
	add := func(e *xmltree.Element, attr string, vars []string) {
		v, ok := e.AttrValue("", attr)
		if !ok {
			return
		}
		key := v + "\x00" + attr
		for _, x := range vars {
			key += "\x00" + x
		}
		if seen[key] {
			return
		}
		seen[key] = true
		vs := append([]string(nil), vars...)
		sort.Strings(vs)
		cf.Exprs = append(cf.Exprs, corpusExpr{Line: e.Line, Where: e.Local + "/" + attr, Vars: vs, Expr: v})
	}
	schemaVars := lets(root)
	for _, l := range root.ChildrenNamed(nsSch, "let") {
		add(l, "value", schemaVars)
	}
	for _, p := range root.ChildrenNamed(nsSch, "pattern") {
		patVars := append(append([]string(nil), schemaVars...), lets(p)...)
		for _, l := range p.ChildrenNamed(nsSch, "let") {
			add(l, "value", patVars)
		}
		for _, r := range p.ChildrenNamed(nsSch, "rule") {
			add(r, "context", patVars)
			vars := append(append([]string(nil), patVars...), lets(r)...)
			r.Walk(func(e *xmltree.Element) bool {
				if e.Space != nsSch {
					return true
				}
				switch e.Local {
				case "let":
					add(e, "value", vars)
				case "assert", "report":
					add(e, "test", vars)
				case "value-of":
					add(e, "select", vars)
				case "name":
					add(e, "path", vars)
				}
				return true
			})
		}
	}
	return cf
}

func buildCorpus(t testing.TB) []corpusFile {
	t.Helper()
	shared := filepath.Dir(testenv.SpecDir(t))
	var out []corpusFile
	for _, rel := range ruleSets(t) {
		out = append(out, extractCorpus(t, filepath.Join(shared, rel), filepath.ToSlash(rel)))
	}
	return out
}

func loadCorpus(t testing.TB) []corpusFile {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c []corpusFile
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCorpusUpToDate checks that testdata/corpus.json holds exactly the
// expressions of the official rule files (rewrite it with -update).
func TestCorpusUpToDate(t *testing.T) {
	built := buildCorpus(t)
	b, err := json.MarshalIndent(built, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile("testdata/corpus.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, b) {
		t.Fatal("testdata/corpus.json is out of date with the rule files: run go test ./xpath -run TestCorpusUpToDate -update")
	}
}

// TestCorpusCompiles compiles every expression of every official rule file
// in its static context; rule contexts are compiled both as written and
// anchored at the root as a Schematron engine evaluates them.
func TestCorpusCompiles(t *testing.T) {
	n := 0
	for _, f := range loadCorpus(t) {
		for _, e := range f.Exprs {
			sc := &StaticContext{Namespaces: f.NS, Variables: e.Vars}
			if _, err := Compile(e.Expr, sc); err != nil {
				t.Errorf("%s:%d %s %q: %v", f.File, e.Line, e.Where, e.Expr, err)
			}
			if e.Where == "rule/context" {
				if _, err := Compile("//("+e.Expr+")", sc); err != nil {
					t.Errorf("%s:%d anchored context %q: %v", f.File, e.Line, e.Expr, err)
				}
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d expressions in the corpus", n)
	}
	t.Logf("%d expressions compiled", n)
}

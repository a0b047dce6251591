package xpath

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/xmltree"
)

// FuzzCompile: any input compiles or fails with an *Error, without panic.
func FuzzCompile(f *testing.F) {
	for _, c := range evalCases {
		f.Add(c.expr)
	}
	for _, cf := range loadCorpus(f) {
		for _, e := range cf.Exprs {
			if len(e.Expr) < 400 {
				f.Add(e.Expr)
			}
		}
	}
	sc := &StaticContext{Namespaces: testNS, Variables: []string{"v", "one"}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src, sc)
		if err != nil {
			var xe *Error
			if !errors.As(err, &xe) || !xe.Static {
				t.Fatalf("Compile(%q): %v is not a static *Error", src, err)
			}
			return
		}
		if e.String() != src {
			t.Fatalf("String() = %q, want %q", e.String(), src)
		}
	})
}

// fuzzDocs are the documents FuzzEvaluate runs on: the table's document
// and the samples in testdata.
func fuzzDocs(t testing.TB) []*Document {
	docs := []*Document{testDoc(t)}
	files, _ := filepath.Glob("testdata/*.xml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, NewDocument(d))
	}
	return docs
}

// FuzzEvaluate evaluates expressions (seeded with the rule files' corpus
// and the table) on sample documents, from every element as context: no
// panic, and errors are *Error values. Evaluation is bounded by MaxWork.
func FuzzEvaluate(f *testing.F) {
	for _, c := range evalCases {
		f.Add(c.expr, uint8(0))
	}
	nsAll := map[string]string{}
	for _, cf := range loadCorpus(f) {
		for k, v := range cf.NS {
			nsAll[k] = v
		}
		for _, e := range cf.Exprs {
			if len(e.Expr) < 400 && len(e.Vars) == 0 {
				f.Add(e.Expr, uint8(len(e.Expr)))
			}
		}
	}
	for k, v := range testNS {
		nsAll[k] = v
	}
	docs := fuzzDocs(f)
	sc := &StaticContext{Namespaces: nsAll, Variables: []string{"v"}}
	vars := map[string]Sequence{"v": {String("b"), Integer(1)}}
	f.Fuzz(func(t *testing.T, src string, pick uint8) {
		e, err := Compile(src, sc)
		if err != nil {
			return
		}
		doc := docs[int(pick)%len(docs)]
		nodes, err := MustCompile("//*", nil).Nodes(&Context{Item: doc.Root()})
		if err != nil {
			t.Fatal(err)
		}
		ctxs := append([]Node{doc.Root()}, nodes...)
		if len(ctxs) > 8 {
			ctxs = ctxs[:8]
		}
		for _, n := range ctxs {
			_, err := e.Evaluate(&Context{Item: n, Variables: vars})
			if err != nil {
				var xe *Error
				if !errors.As(err, &xe) || errors.Is(err, errInternal) {
					t.Fatalf("%q: %v", src, err)
				}
			}
		}
	})
}

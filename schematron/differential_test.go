package schematron

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// mutantsPerSample × the samples gives the generated part of the corpus
// (the acceptance asks for at least 300 mutants).
const mutantsPerSample = 4

// sampleCorpus returns every XML sample under the shared specification
// folder that the screened parser accepts, plus mutantsPerSample mutants of
// each, with deterministic file names.
func sampleCorpus(t *testing.T) (samples, all []corpusDoc) {
	t.Helper()
	spec := testenv.SpecDir(t)
	var paths []string
	err := filepath.WalkDir(spec, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".xml") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		rel, _ := filepath.Rel(spec, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			t.Logf("sample %s not used: the screened parser refuses it: %v", rel, err)
			continue
		}
		samples = append(samples, corpusDoc{file: fmt.Sprintf("s%03d.xml", i), desc: rel, doc: doc})
	}
	all = append(all, samples...)
	for i, s := range samples {
		if len(s.doc.Bytes()) > 64<<10 {
			continue // mutants of the 600 KB EB catalogue would cost Saxon minutes and add nothing
		}
		names, docs := mutants(s.doc, uint64(i)+1, mutantsPerSample)
		for j, d := range docs {
			all = append(all, corpusDoc{file: fmt.Sprintf("m%03d-%d.xml", i, j), desc: s.desc + " " + names[j], doc: d})
		}
	}
	return samples, all
}

// TestDifferentialSaxon is the acceptance test of the engine: for every
// sample under the shared specification folder and its generated mutants,
// each of the 21 official TDD 1.0 rule files (and each of our EDM v2.0
// files) fires the same set of rule ids in our engine as in Saxon-HE with
// the ISO skeleton.
func TestDifferentialSaxon(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against Saxon skipped in -short mode")
	}
	sx := newSaxon(t)
	samples, docs := sampleCorpus(t)
	if n := len(docs) - len(samples); n < 300 {
		t.Fatalf("only %d mutants generated, want at least 300", n)
	}
	t.Logf("%d samples, %d mutants", len(samples), len(docs)-len(samples))

	tmp := t.TempDir()
	if d := os.Getenv("OOTS_DIFF_DIR"); d != "" {
		// A debugging aid: keep the corpus, compiled rules and Saxon's SVRL in d,
		// and reuse SVRL already there (delete d after changing the corpus).
		tmp = d
	}

	// The 21 official files, and our EDM v2.0 files: Saxon judges those too.
	rules := Rules()
	var schFiles []string
	ours := map[string]*Schema{}
	official := 0
	for _, set := range []string{SetTDD10, SetEDM20} {
		entries, err := fs.ReadDir(rules, set)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := path.Join(set, e.Name())
			s, err := Load(rules, p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			ours[e.Name()] = s
			b, _ := fs.ReadFile(rules, p)
			f := filepath.Join(tmp, "sch", e.Name())
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
			schFiles = append(schFiles, f)
			if set == SetTDD10 {
				official++
			}
		}
	}
	if official != 21 {
		t.Fatalf("%d TDD 1.0 rule files embedded, want 21", official)
	}
	differential(t, sx, tmp, schFiles, ours, docs)
}

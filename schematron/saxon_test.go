package schematron

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/xmltree"
)

// saxon runs Saxon-HE and the ISO Schematron skeleton the way the shared
// verifier schematron.sh does, but in batches: the three compile steps for a
// whole directory of .sch files in three JVM runs, then one JVM run per
// compiled rule file over a whole directory of documents.
type saxon struct {
	java, jar, skel string
	// jvm holds options for the JVM. Short runs over a few hundred documents
	// finish sooner, using less than half the CPU, with the C1 compiler only
	// and the serial collector (see fastJVM).
	jvm []string

	mu  sync.Mutex
	cpu time.Duration // user + system CPU time of the JVM runs so far
}

// newSaxon finds the tools as package saxontest does.
func newSaxon(t testing.TB) *saxon {
	t.Helper()
	java, jar, skel := saxontest.Tools(t)
	return &saxon{java: java, jar: jar, skel: skel, jvm: fastJVM}
}

// fastJVM are the JVM options of the differential runs.
var fastJVM = []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"}

func (s *saxon) transform(args ...string) (string, error) {
	argv := append(append([]string(nil), s.jvm...), "-cp", s.jar, "net.sf.saxon.Transform")
	cmd := exec.Command(s.java, append(argv, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if cmd.ProcessState != nil {
		s.mu.Lock()
		s.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		s.mu.Unlock()
	}
	return stderr.String(), err
}

// compile turns every .sch file of schs into an XSLT 2.0 stylesheet in dir
// and returns the stylesheet paths by .sch base name.
func (s *saxon) compile(t testing.TB, dir string, schs []string) map[string]string {
	t.Helper()
	var steps [5]string
	for i := range steps {
		steps[i] = filepath.Join(dir, fmt.Sprintf("step%d", i))
		if err := os.MkdirAll(steps[i], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range schs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The xslt1 skeleton refuses queryBinding="xslt2": relabel it, as schematron.sh does.
		b = bytes.Replace(b, []byte(`queryBinding="xslt2"`), []byte(`queryBinding="xslt"`), 1)
		// Saxon names the outputs of a directory run after the inputs, adding
		// ".xml" to other extensions: give the inputs that extension already.
		if err := os.WriteFile(filepath.Join(steps[0], filepath.Base(f)+".xml"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, xsl := range []string{"iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl"} {
		if out, err := s.transform("-s:"+steps[i], "-xsl:"+filepath.Join(s.skel, xsl), "-o:"+steps[i+1]); err != nil {
			t.Fatalf("saxon %s: %v\n%s", xsl, err, out)
		}
	}
	res := map[string]string{}
	for _, f := range schs {
		base := filepath.Base(f)
		b, err := os.ReadFile(filepath.Join(steps[3], base+".xml"))
		if err != nil {
			t.Fatalf("compiled %s: %v", base, err)
		}
		// Run the generated stylesheet as XSLT 2.0, as schematron.sh does.
		b = bytes.Replace(b, []byte(`version="1.0">`), []byte(`version="2.0">`), 1)
		p := filepath.Join(steps[4], strings.TrimSuffix(base, ".sch")+".xsl")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		res[base] = p
	}
	return res
}

// runAll applies every rule file of schs to the documents names of docDir,
// all in one JVM run (package saxontest, which compiles the rule files into
// the verifier's cache), and returns the outcome per rule file base name
// and document name.
func (s *saxon) runAll(t testing.TB, schs []string, docDir string, names []string) map[string]map[string]saxonOutcome {
	t.Helper()
	docs := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(docDir, n))
		if err != nil {
			t.Fatal(err)
		}
		docs[n] = b
	}
	rules := make(map[string][]string, len(schs))
	for _, f := range schs {
		if _, dup := rules[f]; dup {
			t.Fatalf("rule file %s given twice", f)
		}
		rules[f] = names
	}
	out := map[string]map[string]saxonOutcome{}
	for base, perDoc := range saxontest.Run(t, docs, rules) {
		out[base] = make(map[string]saxonOutcome, len(perDoc))
		for name, fired := range perDoc {
			set := map[string]bool{}
			o := saxonOutcome{}
			for _, f := range fired {
				switch f.ID {
				case saxontest.Failed:
					o.failed = true
				case "-":
					set[""] = true
				default:
					set[f.ID] = true
				}
			}
			if !o.failed {
				o.ids = sortedKeys(set)
			}
			out[base][name] = o
		}
	}
	return out
}

// saxonOutcome is what Saxon reported for one document: the ids of the fired
// assertions, or that the transformation failed.
type saxonOutcome struct {
	ids    []string
	failed bool
}

// run applies one compiled stylesheet to every file of docDir and returns the
// outcome per file name.
func (s *saxon) run(xsl, docDir, outDir string, names []string) (map[string]saxonOutcome, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var stderr string
	var err error
	if _, serr := os.Stat(filepath.Join(outDir, names[0])); serr == nil && os.Getenv("OOTS_DIFF_DIR") != "" {
		err = errors.New("reused") // outputs of an earlier run kept in OOTS_DIFF_DIR
		stderr = "transformation"
	} else {
		stderr, err = s.transform("-s:"+docDir, "-xsl:"+xsl, "-o:"+outDir)
	}
	res := make(map[string]saxonOutcome, len(names))
	for _, n := range names {
		b, rerr := os.ReadFile(filepath.Join(outDir, n))
		if rerr != nil {
			if err == nil {
				return nil, fmt.Errorf("saxon wrote no output for %s and reported no failure", n)
			}
			res[n] = saxonOutcome{failed: true}
			continue
		}
		ids, perr := svrlIDs(b)
		if perr != nil {
			return nil, fmt.Errorf("SVRL of %s for %s: %v", filepath.Base(xsl), n, perr)
		}
		res[n] = saxonOutcome{ids: ids}
	}
	if err != nil && !strings.Contains(stderr, "transformation") {
		return nil, fmt.Errorf("saxon %s: %v\n%s", filepath.Base(xsl), err, stderr)
	}
	return res, nil
}

// svrlIDs returns the sorted, de-duplicated ids of the failed-assert and
// successful-report elements of an SVRL document ("" for an assertion
// without id).
func svrlIDs(b []byte) ([]string, error) {
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	doc.Root.Walk(func(e *xmltree.Element) bool {
		if e.Is(NamespaceSVRL, "failed-assert") || e.Is(NamespaceSVRL, "successful-report") {
			set[e.SelectAttr("", "id")] = true
		}
		return true
	})
	return sortedKeys(set), nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ourIDs runs one schema and returns the sorted de-duplicated fired ids, or
// the evaluation error.
func ourIDs(s *Schema, doc *xmltree.Document) ([]string, error) {
	rep, err := s.Run(doc, nil)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, r := range rep.Results {
		set[r.ID] = true
	}
	return sortedKeys(set), nil
}

// corpusDoc is one document of a differential run.
type corpusDoc struct {
	file string // file name in the corpus directory
	desc string // where it comes from (sample path, mutation)
	doc  *xmltree.Document
}

// writeCorpus writes the documents into dir under their file names.
func writeCorpus(t testing.TB, dir string, docs []corpusDoc) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		var buf bytes.Buffer
		if err := xmltree.Write(&buf, d.doc, xmltree.WriteOptions{Declaration: true}); err != nil {
			t.Fatalf("%s: %v", d.desc, err)
		}
		if err := os.WriteFile(filepath.Join(dir, d.file), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// differential compares our engine with Saxon for every schema on every
// document, reporting each disagreement with document, rule file and ids.
func differential(t *testing.T, sx *saxon, tmp string, schFiles []string, ours map[string]*Schema, docs []corpusDoc) {
	t.Helper()
	docDir := filepath.Join(tmp, "docs")
	writeCorpus(t, docDir, docs)
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.file
	}
	start := time.Now()
	results := sx.runAll(t, schFiles, docDir, names)
	t.Logf("Saxon: %d rule files on %d documents in one JVM run, %v", len(schFiles), len(names), time.Since(start).Round(time.Millisecond))

	// Re-read each document as Saxon did (from the written bytes).
	parsed := make([]*xmltree.Document, len(docs))
	for i, d := range docs {
		b, err := os.ReadFile(filepath.Join(docDir, d.file))
		if err != nil {
			t.Fatal(err)
		}
		if parsed[i], err = xmltree.ParseBytes(b, nil); err != nil {
			t.Fatalf("%s: re-parse: %v", d.desc, err)
		}
	}
	fired, disagreements := 0, 0
	for _, f := range schFiles {
		base := filepath.Base(f)
		s := ours[base]
		for i, d := range docs {
			want := results[base][d.file]
			got, err := ourIDs(s, parsed[i])
			switch {
			case want.failed && err == nil:
				t.Errorf("%s (%s) × %s: Saxon failed to evaluate, our engine fired %v", d.file, d.desc, base, got)
			case !want.failed && err != nil:
				t.Errorf("%s (%s) × %s: Saxon fired %v, our engine failed: %v", d.file, d.desc, base, want.ids, err)
			case !want.failed && !equalStrings(got, want.ids):
				t.Errorf("%s (%s) × %s: rule ids differ\n  saxon: %v\n  ours:  %v\n  only saxon: %v\n  only ours:  %v",
					d.file, d.desc, base, want.ids, got, minus(want.ids, got), minus(got, want.ids))
			default:
				fired += len(got)
				continue
			}
			disagreements++
		}
	}
	t.Logf("%d documents × %d rule files compared; %d fired rule ids agreed; %d disagreements", len(docs), len(schFiles), fired, disagreements)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

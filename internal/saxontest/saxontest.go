// Package saxontest runs the official OOTS Schematron files with Saxon-HE
// and the ISO skeleton — the independent verifier of ../shared/verifiers —
// on many documents at once: one JVM run (the small s9api program
// Batch.java, compiled once with javac) compiles each rule file as the
// verifier script schematron.sh does, into the same cache, and applies it
// to every document given for it. A JVM start per document and rule file,
// as the script costs, is minutes for the few hundred messages an
// end-to-end test exchanges, and tens of seconds for a package's rule
// tests; this is seconds.
package saxontest

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

//go:embed Batch.java
var batchSource []byte

// Fired is an assertion that fired on a document.
type Fired struct {
	ID, Flag, Location string
}

// Failed is the ID of the Fired that stands for a document Saxon could not
// process, or whose report is not well-formed.
const Failed = "SAXON-FAILED"

// Run applies each rule file (a path) to the documents (file name → content)
// listed for it and returns, per rule file base name and document name, what
// fired. A document Saxon could not process, or whose report is not
// well-formed, is reported as a Fired with ID Failed. All of it is one JVM
// run.
func Run(tb testing.TB, docs map[string][]byte, rules map[string][]string) map[string]map[string][]Fired {
	tb.Helper()
	t := tools(tb)
	work := tb.TempDir()
	var names []string
	for sch := range rules {
		names = append(names, sch)
	}
	sort.Strings(names)
	var manifest bytes.Buffer
	type job struct{ sch, name, report string }
	var jobs []job
	for i, sch := range names {
		list := rules[sch]
		if len(list) == 0 {
			continue
		}
		b, err := os.ReadFile(sch)
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(b)
		xsl := filepath.Join(t.cache, hex.EncodeToString(sum[:])[:16]+".xsl")
		fmt.Fprintf(&manifest, "R\t%s\t%s\n", sch, xsl)
		dir := filepath.Join(work, fmt.Sprint(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		for j, name := range list {
			doc, ok := docs[name]
			if !ok {
				tb.Fatalf("saxontest: no document %q for %s", name, filepath.Base(sch))
			}
			in := filepath.Join(dir, fmt.Sprintf("%d.xml", j))
			if err := os.WriteFile(in, doc, 0o644); err != nil {
				tb.Fatal(err)
			}
			report := in + ".svrl"
			fmt.Fprintf(&manifest, "D\t%s\t%s\n", in, report)
			jobs = append(jobs, job{sch, name, report})
		}
	}
	list := filepath.Join(work, "manifest")
	if err := os.WriteFile(list, manifest.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(t.java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-cp", t.jar+string(os.PathListSeparator)+t.classes, "Batch", t.skel, list)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		tb.Fatalf("saxontest: java Batch: %v\n%s", runErr, stderr.String())
	}
	out := map[string]map[string][]Fired{}
	for _, j := range jobs {
		base := filepath.Base(j.sch)
		if out[base] == nil {
			out[base] = map[string][]Fired{}
		}
		svrl, err := os.ReadFile(j.report)
		if err != nil {
			out[base][j.name] = []Fired{{ID: Failed, Flag: "fatal", Location: fmt.Sprintf("%v %v: %s", runErr, err, stderr.String())}}
			continue
		}
		fired, err := parseSVRL(svrl)
		if err != nil {
			fired = append(fired, Fired{ID: Failed, Flag: "fatal", Location: fmt.Sprintf("SVRL of %s: %v", j.name, err)})
		}
		out[base][j.name] = fired
	}
	return out
}

// Errors calls report for every assertion of Run's result whose flag is
// error or fatal, a document Saxon could not process among them: what a
// test that only wants the official rules' errors refuses.
func Errors(result map[string]map[string][]Fired, report func(rules, doc string, f Fired)) {
	for rules, perDoc := range result {
		for doc, fired := range perDoc {
			for _, f := range fired {
				if f.Flag == "error" || f.Flag == "fatal" {
					report(rules, doc, f)
				}
			}
		}
	}
}

// Tools returns the JVM, Saxon's jar and the ISO Schematron skeleton's
// folder, found through the verifier script schematron.sh (their one source
// of truth); a test that runs Saxon's command line itself uses them.
func Tools(tb testing.TB) (java, jar, skel string) {
	tb.Helper()
	t := locate(tb)
	return t.java, t.jar, t.skel
}

// toolset is where the JVM, Saxon, the skeleton, the compiled rule files and
// the compiled Batch program are.
type toolset struct {
	java, jar, skel, cache, classes string
}

// locate finds Saxon and the skeleton through the verifier script, so that
// their locations have one source of truth (../shared/verifiers).
func locate(tb testing.TB) toolset {
	tb.Helper()
	script := testenv.Verifier(tb, "schematron.sh")
	src, err := os.ReadFile(script)
	if err != nil {
		tb.Fatal(err)
	}
	get := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `=(\S+)$`).FindSubmatch(src)
		if m == nil {
			tb.Fatalf("%s: no %s= line", script, name)
		}
		return string(m[1])
	}
	t := toolset{java: testenv.Tool(tb, "java"), jar: get("jar"), skel: get("skel"), cache: os.Getenv("SCHEMATRON_CACHE")}
	if t.cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			tb.Fatal(err)
		}
		t.cache = filepath.Join(dir, "oots-schematron")
	}
	return t
}

// tools is locate, and Batch.java compiled into the cache once per version
// of its source.
func tools(tb testing.TB) toolset {
	tb.Helper()
	t := locate(tb)
	sum := sha256.Sum256(batchSource)
	t.classes = filepath.Join(t.cache, "batch-"+hex.EncodeToString(sum[:])[:16])
	if _, err := os.Stat(filepath.Join(t.classes, "Batch.class")); err == nil {
		return t
	}
	javac := testenv.Tool(tb, "javac")
	if err := os.MkdirAll(t.cache, 0o755); err != nil {
		tb.Fatal(err)
	}
	tmp, err := os.MkdirTemp(t.cache, "batch-build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	srcFile := filepath.Join(tmp, "Batch.java")
	if err := os.WriteFile(srcFile, batchSource, 0o644); err != nil {
		tb.Fatal(err)
	}
	classes := filepath.Join(tmp, "classes")
	if out, err := exec.Command(javac, "-nowarn", "-cp", t.jar, "-d", classes, srcFile).CombinedOutput(); err != nil {
		tb.Fatalf("saxontest: javac Batch.java: %v\n%s", err, out)
	}
	// Another test process may have compiled it meanwhile (the rename then
	// fails): either copy will do.
	if err := os.Rename(classes, t.classes); err != nil {
		if _, serr := os.Stat(filepath.Join(t.classes, "Batch.class")); serr != nil {
			tb.Fatal(err)
		}
	}
	return t
}

// parseSVRL lists the failed assertions and successful reports of an SVRL
// report; an SVRL that is not well-formed XML (a Saxon run cut short) is an
// error, with what was read before it.
func parseSVRL(b []byte) ([]Fired, error) {
	const ns = "http://purl.oclc.org/dsdl/svrl"
	d := xml.NewDecoder(bytes.NewReader(b))
	var out []Fired
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Space != ns || se.Name.Local != "failed-assert" && se.Name.Local != "successful-report" {
			continue
		}
		f := Fired{ID: "-", Flag: "-", Location: "-"}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "id":
				f.ID = a.Value
			case "flag":
				f.Flag = a.Value
			case "location":
				f.Location = a.Value
			}
		}
		out = append(out, f)
	}
}

// Package saxontest runs the official OOTS Schematron files with Saxon-HE
// and the ISO skeleton — the independent verifier of ../shared/verifiers —
// on many documents at once: each rule file is compiled by the verifier
// script schematron.sh (which caches the stylesheet), then applied by one
// JVM run to a whole folder of documents. A JVM start per document and rule
// file, as the script costs, is minutes for the few hundred messages an
// end-to-end test exchanges; this is seconds.
package saxontest

import (
	"bytes"
	"crypto/sha256"
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

// Fired is an assertion that fired on a document.
type Fired struct {
	ID, Flag, Location string
}

// Run applies each rule file (a path) to the documents (file name → content)
// listed for it and returns, per rule file base name and document name, what
// fired. A document Saxon could not process, or whose report is not
// well-formed, is reported as a Fired with ID "SAXON-FAILED".
func Run(tb testing.TB, docs map[string][]byte, rules map[string][]string) map[string]map[string][]Fired {
	tb.Helper()
	script := testenv.Verifier(tb, "schematron.sh")
	java := testenv.Tool(tb, "java")
	src, err := os.ReadFile(script)
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^jar=(\S+)$`).FindSubmatch(src)
	if m == nil {
		tb.Fatalf("%s: no jar= line", script)
	}
	jar := string(m[1])
	cache := os.Getenv("SCHEMATRON_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			tb.Fatal(err)
		}
		cache = filepath.Join(dir, "oots-schematron")
	}
	out := map[string]map[string][]Fired{}
	var names []string
	for sch := range rules {
		names = append(names, sch)
	}
	sort.Strings(names)
	for _, sch := range names {
		list := rules[sch]
		if len(list) == 0 {
			continue
		}
		work := tb.TempDir()
		in, res := filepath.Join(work, "in"), filepath.Join(work, "out")
		for _, d := range []string{in, res} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		for _, name := range list {
			if err := os.WriteFile(filepath.Join(in, name), docs[name], 0o644); err != nil {
				tb.Fatal(err)
			}
		}
		// The script compiles the rule file into its cache (named by the
		// file's SHA-256) on its first use; its verdict on that one
		// document is not needed here. A rule file compiled before costs
		// no JVM start.
		b, err := os.ReadFile(sch)
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(b)
		xsl := filepath.Join(cache, hex.EncodeToString(sum[:])[:16]+".xsl")
		if fi, err := os.Stat(xsl); err != nil || fi.Size() == 0 {
			exec.Command(script, sch, filepath.Join(in, list[0])).Run()
		}
		if fi, err := os.Stat(xsl); err != nil || fi.Size() == 0 {
			tb.Fatalf("schematron.sh did not compile %s: %v", sch, err)
		}
		cmd := exec.Command(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", jar, "net.sf.saxon.Transform", "-s:"+in, "-xsl:"+xsl, "-o:"+res)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		runErr := cmd.Run()
		base := filepath.Base(sch)
		out[base] = map[string][]Fired{}
		for _, name := range list {
			svrl, err := os.ReadFile(filepath.Join(res, name))
			if err != nil {
				out[base][name] = []Fired{{ID: "SAXON-FAILED", Flag: "fatal", Location: fmt.Sprintf("%v %v: %s", runErr, err, stderr.String())}}
				continue
			}
			fired, err := parseSVRL(svrl)
			if err != nil {
				fired = append(fired, Fired{ID: "SAXON-FAILED", Flag: "fatal", Location: fmt.Sprintf("SVRL of %s: %v", name, err)})
			}
			out[base][name] = fired
		}
	}
	return out
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

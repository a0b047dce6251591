package schematron

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// fuzzDocs are the small samples the fuzz targets start from.
var fuzzDocs = []string{
	"edm-2.0-oots-france/messages/requete.xml",
	"edm-2.0-oots-france/messages/erreur.xml",
	"edm-2.0-oots-france/messages/reponse.entete.xml",
	"tdd-1.0/xml/lcm/3-4-The-Regrep-LCM-Error-Response.xml",
}

func fuzzSeedDocs(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range fuzzDocs {
		b, err := os.ReadFile(testenv.Spec(f, p))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// runBounded validates with a deadline: whatever the schema and document,
// the run ends (with findings or an error) and never panics.
func runBounded(t *testing.T, s *Schema, doc *xmltree.Document) {
	cancel := make(chan struct{})
	timer := time.AfterFunc(2*time.Second, func() { close(cancel) })
	defer timer.Stop()
	start := time.Now()
	s.Run(doc, &Options{Cancel: cancel, FiredRules: true})
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("validation took %v despite cancellation", d)
	}
}

// FuzzEngine feeds whole rule files (seeded with the embedded ones) and
// documents (seeded with samples) to the compiler and the engine.
func FuzzEngine(f *testing.F) {
	// Small seeds keep the fuzzer's mutator fast: the smallest official
	// files with the samples they judge.
	for _, seed := range [][2]string{
		{"tdd-1.0/LCM-SUC.sch", "tdd-1.0/xml/lcm/3-3-The-Regrep-LCM-Successful-Response.xml"},
		{"tdd-1.0/LCM-ERR.sch", "tdd-1.0/xml/lcm/3-4-The-Regrep-LCM-Error-Response.xml"},
		{"edm-2.0/EDM-ebMS-2.0.sch", "edm-2.0-oots-france/messages/reponse.entete.xml"},
	} {
		sch, err := fs.ReadFile(Rules(), seed[0])
		if err != nil {
			f.Fatal(err)
		}
		doc, err := os.ReadFile(testenv.Spec(f, seed[1]))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sch, doc)
	}
	f.Fuzz(func(t *testing.T, sch, doc []byte) {
		s, err := Compile(strings.NewReader(string(sch)))
		if err != nil {
			return
		}
		d, err := xmltree.ParseBytes(doc, nil)
		if err != nil {
			return
		}
		runBounded(t, s, d)
	})
}

// FuzzRule builds a one-rule schema from a context, a test and a let taken
// from the official rule files, and runs it on a sample document: adversarial
// expressions must give an error or a result in bounded time, never a panic.
func FuzzRule(f *testing.F) {
	docs := fuzzSeedDocs(f)
	i := 0
	for _, set := range []string{SetTDD10, SetEDM20} {
		entries, _ := fs.ReadDir(Rules(), set)
		for _, e := range entries {
			b, _ := fs.ReadFile(Rules(), path.Join(set, e.Name()))
			d, err := xmltree.ParseBytes(b, nil)
			if err != nil {
				f.Fatal(err)
			}
			d.Root.Walk(func(el *xmltree.Element) bool {
				if el.Is(NamespaceSchematron, "rule") {
					var test, let string
					for _, k := range el.Elements() {
						if k.Is(NamespaceSchematron, "assert") || k.Is(NamespaceSchematron, "report") {
							test = k.SelectAttr("", "test")
						}
						if k.Is(NamespaceSchematron, "let") {
							let = k.SelectAttr("", "value")
						}
					}
					if i%7 == 0 && len(test) < 400 { // a sample of the corpus keeps the seed set small
						f.Add(el.SelectAttr("", "context"), test, let, docs[i%len(docs)])
					}
					i++
				}
				return true
			})
		}
	}
	f.Add("a", "for $x in 1 to 100000000 return $x", "1", []byte("<a/>"))
	f.Add("//*", "count(//*//*//*) gt 0", "//*", docs[0])
	f.Fuzz(func(t *testing.T, context, test, let string, doc []byte) {
		sch := `<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
			<sch:ns prefix="rim" uri="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0"/>
			<sch:ns prefix="query" uri="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>
			<sch:ns prefix="rs" uri="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0"/>
			<sch:ns prefix="lcm" uri="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0"/>
			<sch:ns prefix="sdg" uri="http://data.europa.eu/p4s"/>
			<sch:ns prefix="xsi" uri="http://www.w3.org/2001/XMLSchema-instance"/>
			<sch:ns prefix="eb" uri="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"/>
			<sch:pattern><sch:rule context="` + attrEscape(context) + `">
				<sch:let name="v" value="` + attrEscape(let) + `"/>
				<sch:assert test="` + attrEscape(test) + `" id="F">v=<sch:value-of select="$v"/></sch:assert>
			</sch:rule></sch:pattern></sch:schema>`
		s, err := Compile(strings.NewReader(sch))
		if err != nil {
			return
		}
		d, err := xmltree.ParseBytes(doc, nil)
		if err != nil {
			return
		}
		runBounded(t, s, d)
	})
}

func attrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(s)
}

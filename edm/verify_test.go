package edm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// ruleFiles names the official TDD 1.0 Schematron files of each kind
// (tdd-1.0/sch/README.md).
var ruleFiles = map[Kind][]string{
	KindEvidenceRequest:  {"EDM-REQ-S.sch", "EDM-REQ-C.sch"},
	KindEvidenceResponse: {"EDM-RESP-S.sch", "EDM-RESP-C.sch"},
	KindEvidenceError:    {"EDM-ERR-S.sch", "EDM-ERR-C.sch"},
	KindEBRequirements:   {"EB-REQ-S.sch", "EB-REQ-C.sch"},
	KindEBEvidenceTypes:  {"EB-EVI-S.sch", "EB-EVI-C.sch"},
	KindEBError:          {"EB-ERR.sch"},
	KindEBSubmission:     {"EB-SUB-S.sch", "EB-SUB-C.sch"},
	KindDSDResponse:      {"DSD-RESP-S.sch", "DSD-RESP-C.sch"},
	KindDSDError:         {"DSD-ERR-S.sch", "DSD-ERR-C.sch"},
	KindDSDSubmission:    {"DSD-SUB-S.sch", "DSD-SUB-C.sch"},
	KindLCMSuccess:       {"LCM-SUC.sch"},
	KindLCMError:         {"LCM-ERR.sch"},
}

// writeBuilt marshals every built message into dir and returns the paths.
func writeBuilt(t *testing.T, dir string) map[Kind]string {
	t.Helper()
	paths := map[Kind]string{}
	all := built()
	all[KindEvidenceRequest+"-legal"] = buildLegalRequest()
	for kind, m := range all {
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		p := filepath.Join(dir, string(kind)+".xml")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[kind] = p
	}
	return paths
}

// TestBuiltMessagesXSD: every built message is valid against the TDD 1.0
// schemas (libxml2, through xsd.sh).
func TestBuiltMessagesXSD(t *testing.T) {
	xsd := testenv.Verifier(t, "xsd.sh")
	paths := writeBuilt(t, t.TempDir())
	var args []string
	for _, p := range paths {
		args = append(args, p)
	}
	out, err := exec.Command(xsd, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xsd.sh: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), " validates"); n != len(paths) {
		t.Errorf("xsd.sh validated %d of %d documents:\n%s", n, len(paths), out)
	}
}

// severities reads the role/flag of every assertion of a Schematron file,
// by id; assertions without an id are listed under "".
func severities(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	const sch = "http://purl.oclc.org/dsdl/schematron"
	out := map[string][]string{}
	doc.Root.Walk(func(e *xmltree.Element) bool {
		if e.Is(sch, "assert") || e.Is(sch, "report") {
			sev := strings.ToLower(e.SelectAttr("", "flag") + e.SelectAttr("", "role"))
			if sev == "" {
				sev = "fatal" // an assertion without role or flag is fatal in the TDD
			}
			id := e.SelectAttr("", "id")
			out[id] = append(out[id], sev)
		}
		return true
	})
	return out
}

// TestBuiltMessagesSchematron: every built message passes the official TDD
// 1.0 Schematron files of its kind without a fatal (or error) assertion;
// assertions of role info or warning (the "MAY be present" checks of
// optional slots) may fire. Saxon runs once for all of them.
func TestBuiltMessagesSchematron(t *testing.T) {
	schDir := testenv.Spec(t, "tdd-1.0/sch")
	paths := writeBuilt(t, t.TempDir())
	docs := map[string][]byte{}
	rules := map[string][]string{}
	for kind, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[string(kind)] = b
		for _, f := range ruleFiles[Kind(strings.TrimSuffix(string(kind), "-legal"))] {
			sch := filepath.Join(schDir, f)
			rules[sch] = append(rules[sch], string(kind))
		}
	}
	for rulesFile, perDoc := range saxontest.Run(t, docs, rules) {
		sev := severities(t, filepath.Join(schDir, rulesFile))
		for kind, fired := range perDoc {
			for _, f := range fired {
				id := f.ID
				if id == "-" {
					id = ""
				}
				ok := len(sev[id]) > 0
				for _, s := range sev[id] {
					ok = ok && (s == "info" || s == "warning")
				}
				if !ok {
					t.Errorf("%s/%s fired %s %s %s (%v)\n%s", kind, rulesFile, f.ID, f.Flag, f.Location, sev[id], docs[kind])
				}
			}
		}
	}
}

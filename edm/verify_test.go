package edm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
// optional slots) may fire.
func TestBuiltMessagesSchematron(t *testing.T) {
	sh := testenv.Verifier(t, "schematron.sh")
	schDir := testenv.Spec(t, "tdd-1.0/sch")
	paths := writeBuilt(t, t.TempDir())
	for kind, p := range paths {
		for _, rules := range ruleFiles[Kind(strings.TrimSuffix(string(kind), "-legal"))] {
			t.Run(string(kind)+"/"+rules, func(t *testing.T) {
				t.Parallel()
				sev := severities(t, filepath.Join(schDir, rules))
				cmd := exec.Command(sh, filepath.Join(schDir, rules), p)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if code := cmd.ProcessState.ExitCode(); code == 2 || (err != nil && code != 1) {
					t.Fatalf("schematron.sh: %v\n%s", err, stderr.String())
				}
				for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
					if line == "" {
						continue
					}
					id := strings.Fields(line)[0]
					if id == "-" {
						id = ""
					}
					ok := len(sev[id]) > 0
					for _, s := range sev[id] {
						ok = ok && (s == "info" || s == "warning")
					}
					if !ok {
						b, _ := os.ReadFile(p)
						t.Errorf("%s fired %s (%v)\n%s", rules, line, sev[id], b)
					}
				}
			})
		}
	}
}

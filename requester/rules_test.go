package requester_test

import (
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// checkRules runs the official business rules of every request sent on it
// (our engine, package schematron) and fails on an error or fatal finding.
func checkRules(t testing.TB, s *recordingSender) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		doc := sub.Payloads[0].Data
		m, _, err := edm.ParseBytes(doc)
		if err != nil {
			t.Fatalf("request does not parse: %v", err)
		}
		rs, err := schematron.ForKind(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		x, err := xmltree.ParseBytes(doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rs.Validate(x) {
			if f.Flag == check.Error || f.Flag == check.Fatal {
				t.Errorf("%s %s: %s %s %s: %s\n%s", m.Kind(), m.Version(), f.Rule, f.Flag, f.Location, f.Message, doc)
			}
		}
	}
}

// verifyOfficial runs the independent verifier schematron.sh with the
// official TDD 1.0 rule files on each EDM 1.x request sent.
func verifyOfficial(t *testing.T, s *recordingSender) {
	t.Helper()
	script := testenv.Verifier(t, "schematron.sh")
	dir := t.TempDir()
	// An assertion without an id is reported as "- -" with no role: it is
	// tolerated when the official sample request fires it too (the info
	// assertion on AuthorizedRepresentative of EDM-REQ-S.sch).
	sample := testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml")
	sampleLines := map[string]map[string]bool{}
	run := func(sch, doc string) []string {
		out, err := exec.Command(script, sch, doc).CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ee) && ee.ExitCode() == 1:
			return strings.Split(strings.TrimSpace(string(out)), "\n")
		}
		t.Fatalf("schematron.sh %s: %v\n%s", path.Base(sch), err, out)
		return nil
	}
	s.mu.Lock()
	subs := s.subs
	s.mu.Unlock()
	for i, sub := range subs {
		doc := sub.Payloads[0].Data
		m, _, err := edm.ParseBytes(doc)
		if err != nil {
			t.Fatal(err)
		}
		if m.Version().Is2() {
			continue
		}
		// Our engine's flag per rule: the verifier prints no flag ("-")
		// for an assertion without one, whose role then decides.
		rs, err := schematron.ForKind(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		x, err := xmltree.ParseBytes(doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		flags := map[string]check.Flag{}
		for _, f := range rs.Validate(x) {
			flags[f.Rule] = f.Flag
		}
		files, err := schematron.Files(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, strings.Repeat("r", i+1)+".xml")
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			sch := testenv.Spec(t, "tdd-1.0/sch/"+path.Base(f))
			if sampleLines[sch] == nil {
				sampleLines[sch] = map[string]bool{}
				for _, l := range run(sch, sample) {
					sampleLines[sch][l] = true
				}
			}
			for _, line := range run(sch, p) {
				fs := strings.Fields(line)
				if len(fs) < 2 || fs[0] == "-" && sampleLines[sch][line] {
					continue
				}
				ours, seen := flags[fs[0]]
				if fs[1] == "error" || fs[1] == "fatal" || fs[1] == "-" && (!seen || ours == check.Error || ours == check.Fatal) {
					t.Errorf("request %d: schematron.sh %s: %s", i, path.Base(sch), line)
				}
			}
		}
	}
}

package requester_test

import (
	"fmt"
	"os"
	"path"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/saxontest"
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

// verifyOfficial runs the independent verifier (Saxon with the official
// TDD 1.0 rule files, in one JVM run) on each EDM 1.x request sent.
func verifyOfficial(t *testing.T, s *recordingSender) {
	t.Helper()
	// An assertion without an id is reported as "- -" with no role: it is
	// tolerated when the official sample request fires it too (the info
	// assertion on AuthorizedRepresentative of EDM-REQ-S.sch).
	sample, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"sample": sample}
	rules := map[string][]string{}
	flags := map[string]map[string]check.Flag{} // our engine's flag per rule, per document
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
		// Our engine's flag per rule: the verifier gives no flag ("-")
		// for an assertion without one, whose role then decides.
		rs, err := schematron.ForKind(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		x, err := xmltree.ParseBytes(doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("request %d", i)
		flags[name] = map[string]check.Flag{}
		for _, f := range rs.Validate(x) {
			flags[name][f.Rule] = f.Flag
		}
		docs[name] = doc
		files, err := schematron.Files(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			sch := testenv.Spec(t, "tdd-1.0/sch/"+path.Base(f))
			if rules[sch] == nil {
				rules[sch] = []string{"sample"}
			}
			rules[sch] = append(rules[sch], name)
		}
	}
	for sch, perDoc := range saxontest.Run(t, docs, rules) {
		sampleLines := map[string]bool{}
		for _, f := range perDoc["sample"] {
			sampleLines[f.ID+" "+f.Flag+" "+f.Location] = true
		}
		for name, fired := range perDoc {
			if name == "sample" {
				continue
			}
			for _, f := range fired {
				line := f.ID + " " + f.Flag + " " + f.Location
				if f.ID == "-" && sampleLines[line] {
					continue
				}
				ours, seen := flags[name][f.ID]
				if f.Flag == "error" || f.Flag == "fatal" || f.Flag == "-" && (!seen || ours == check.Error || ours == check.Fatal) || f.ID == saxontest.Failed {
					t.Errorf("%s: Saxon %s: %s", name, sch, line)
				}
			}
		}
	}
}

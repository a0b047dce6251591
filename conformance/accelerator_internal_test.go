package conformance

import (
	"bytes"
	"strings"
	"testing"
)

// TestReadiness: the Acceleratormeter mapping reaches a level only when it
// and the levels below are shown, names what is missing, gives the P7 code
// to the Common-Services-checked scenarios, and never reaches the live
// levels.
func TestReadiness(t *testing.T) {
	pass := func(s Suite, id string) *Case { return &Case{Suite: s, ID: id, Name: "n", Status: Pass} }
	all := []*Case{pass(SuiteAS4Receive, "AS4-01"), pass(SuiteAS4Receive, "AS4-02"), pass(SuiteAS4Send, "AS4-S1"), pass(SuiteCS, "CS-01"),
		pass(SuiteEDM, "TC01"), pass(SuiteEDMRequester, "RQ01"), pass(SuiteCrossValidation, "XV-TC01-1")}
	reached := func(rs []LevelReadiness) []string {
		var out []string
		for _, r := range rs {
			if r.Reached {
				out = append(out, r.Level.String())
			}
		}
		return out
	}
	rs := Readiness(all)
	if got := strings.Join(reached(rs), ","); got != "initial,preliminary,intermediate,technically ready" {
		t.Errorf("every suite passed: reached %s", got)
	}
	if len(rs) != 6 || rs[4].Level != LevelFirstLive || rs[5].Level != LevelEndUser || rs[4].Beyond == "" || rs[5].Reached {
		t.Errorf("the live levels: %+v", rs[4:])
	}
	if !strings.Contains(strings.Join(rs[3].Evidence, "\n"), "P7-RQ01") {
		t.Errorf("technically ready evidence without the P7 code: %v", rs[3].Evidence)
	}
	// A failed cross-validation pair keeps the node below technically ready,
	// and a suite not run is named.
	failed := append([]*Case(nil), all[:len(all)-1]...)
	failed = append(failed, &Case{Suite: SuiteCrossValidation, ID: "XV-TC01-1", Name: "n", Status: Fail, Reason: "XV-01 …"})
	rs = Readiness(failed)
	if got := strings.Join(reached(rs), ","); got != "initial,preliminary,intermediate" || !strings.Contains(rs[3].Missing[0], "XV-TC01-1") {
		t.Errorf("a failed pair: reached %s, missing %v", got, rs[3].Missing)
	}
	rs = Readiness(all[:4])
	if !strings.Contains(strings.Join(rs[3].Missing, "\n"), "suite edm was not run") || rs[3].Reached {
		t.Errorf("without the edm suites: %+v", rs[3])
	}
	// Without AS4-01 nothing is reached, even with later suites passed.
	if got := reached(Readiness(all[1:])); len(got) != 0 {
		t.Errorf("without AS4-01: reached %v", got)
	}
	var b bytes.Buffer
	r := &Report{Cases: all, Readiness: Readiness(all)}
	if err := r.WriteReadiness(&b); err != nil || !strings.Contains(b.String(), "| end-user transactions | no |") {
		t.Errorf("readiness.md: %v\n%s", err, b.String())
	}
	for _, lang := range []string{"en", "fr"} {
		b.Reset()
		if err := r.WriteHTML(&b, lang, ""); err != nil || !strings.Contains(b.String(), "Acceleratormeter") ||
			!strings.Contains(b.String(), "<th scope=\"row\">end-user transactions</th>") || !strings.Contains(b.String(), "P7-RQ01") {
			t.Errorf("report.html (%s) has no Acceleratormeter table: %v", lang, err)
		}
	}
}

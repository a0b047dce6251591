package conformance

import (
	"fmt"
	"io"
	"strings"
)

// The Acceleratormeter is how the Commission follows a Member State's
// readiness for OOTS: initial, preliminary, intermediate, technically
// ready, first live transactions, end-user transactions. Its criteria are
// not published; Readiness maps the kit's results onto its levels (the same
// names as Level) and says, for each level, what the run shows and what no
// test run can show.

// LevelReadiness is one Acceleratormeter level as a run supports it.
type LevelReadiness struct {
	Level Level
	// Reached: the run shows everything a kit can show for the level
	// (and the levels below).
	Reached bool
	// Evidence lists the passed cases that support the level. The
	// Common-Services-checked scenarios (the node's journeys through the
	// Evidence Broker and DSD before the exchange: edm-requester) carry the
	// P7 code the Testing Services give their variants "with directory
	// calls" (their test data use a country code prefixed P7).
	Evidence []string
	// Missing lists the cases of the level that did not pass, with why.
	Missing []string
	// Beyond says what the level needs that no run of a test kit shows.
	Beyond string
}

// acceleratorLevels: the suites of each level the kit can establish and
// what lies beyond the kit.
var acceleratorLevels = []struct {
	level  Level
	suites []Suite
	ids    []string // single cases (initial: AS4-01)
	beyond string
}{
	{LevelInitial, nil, []string{"AS4-01"}, "the Member State's registration with the Commission (OOTS service desk: party id, certificates), which no test shows"},
	{LevelPreliminary, []Suite{SuiteAS4Receive}, nil, "the connection to the Testing Services' own access point (C3), which the OOTS service desk opens"},
	{LevelIntermediate, []Suite{SuiteAS4Send, SuiteCS}, nil, "the Member State's data published in the Commission's Common Services (LCM over AS4, acceptance environment)"},
	{LevelTechnicallyReady, []Suite{SuiteEDM, SuiteEDMRequester, SuiteCrossValidation}, nil, "an exchange with a real system of a partner Member State, which the Commission recommends before production"},
	{LevelFirstLive, nil, nil, "live transactions with another Member State in production: outside what a test kit can observe"},
	{LevelEndUser, nil, nil, "real users' transactions in production: outside what a test kit can observe"},
}

// P7Code is the Testing Services' code of a case whose scenario the
// Commission checks against the Common Services calls before the exchange
// ("" for the others).
func P7Code(c *Case) string {
	if c.Suite == SuiteEDMRequester {
		return "P7-" + c.ID
	}
	return ""
}

// Readiness maps cases to the Acceleratormeter levels, lowest first. A
// level is reached when it and every level below are; a suite that was not
// run is missing; the last two levels are never reached by a run.
func Readiness(cases []*Case) []LevelReadiness {
	var out []LevelReadiness
	below := true
	for _, l := range acceleratorLevels {
		lr := LevelReadiness{Level: l.level, Beyond: l.beyond}
		if len(l.suites) == 0 && len(l.ids) == 0 {
			lr.Missing = []string{"no case of a run can show it"}
			below = false
			out = append(out, lr)
			continue
		}
		ran := map[Suite]bool{}
		for _, c := range cases {
			in := false
			for _, s := range l.suites {
				in = in || c.Suite == s
			}
			for _, id := range l.ids {
				in = in || c.ID == id
			}
			if !in {
				continue
			}
			ran[c.Suite] = true
			name := c.ID
			if p7 := P7Code(c); p7 != "" {
				name = p7
			}
			if c.Status == Pass {
				lr.Evidence = append(lr.Evidence, fmt.Sprintf("%s %s", name, c.Name))
			} else {
				lr.Missing = append(lr.Missing, fmt.Sprintf("%s %s (%s): %s", name, c.Name, c.Status, c.Reason))
			}
		}
		for _, s := range l.suites {
			if !ran[s] {
				lr.Missing = append(lr.Missing, fmt.Sprintf("suite %s was not run", s))
			}
		}
		if len(l.ids) > 0 && len(lr.Evidence) == 0 && len(lr.Missing) == 0 {
			lr.Missing = append(lr.Missing, fmt.Sprintf("case %s was not run", strings.Join(l.ids, ", ")))
		}
		lr.Reached = below && len(lr.Missing) == 0
		below = lr.Reached
		out = append(out, lr)
	}
	return out
}

// WriteReadiness writes the Acceleratormeter mapping as Markdown: per
// level, whether the run reaches it, what it shows, what is missing and
// what lies beyond any run.
func (r *Report) WriteReadiness(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Readiness by Acceleratormeter level\n\n")
	fmt.Fprintf(&b, "Run of %s: %d cases. The kit's own level: **%s**.\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), len(r.Cases), r.Level)
	b.WriteString("| level | reached | what the run shows | what is missing | what no run can show |\n|---|---|---|---|---|\n")
	cell := func(ss []string) string {
		if len(ss) == 0 {
			return "—"
		}
		for i, s := range ss {
			ss[i] = strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
		}
		return strings.Join(ss, "<br>")
	}
	for _, l := range r.Readiness {
		reached := "no"
		if l.Reached {
			reached = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", l.Level, reached, cell(append([]string(nil), l.Evidence...)),
			cell(append([]string(nil), l.Missing...)), l.Beyond)
	}
	b.WriteString("\nP7-… marks the scenarios the Commission's Testing Services check with the Common Services calls before the exchange (their data use a country code prefixed P7).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

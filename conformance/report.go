package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/check"
)

// Status is the outcome of a case.
type Status string

// The outcomes of a case. A skipped case was not run because the tester did
// not give what it needs (a URL, a token, a listening address); it counts as
// not passed for the readiness level.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Suite names a group of cases; the readiness levels are defined by suites.
type Suite string

// The suites of the kit.
const (
	// SuiteAS4Receive: the kit sends to the node's AS4 endpoint (the node
	// as receiving access point).
	SuiteAS4Receive Suite = "as4-receive"
	// SuiteAS4Send: the node sends to the kit's AS4 endpoint (the node as
	// sending access point).
	SuiteAS4Send Suite = "as4-send"
	// SuiteCS: the Evidence Broker and Data Service Directory queries.
	SuiteCS Suite = "common-services"
	// SuiteEDM: the evidence exchange scenarios TC01–TC10.
	SuiteEDM Suite = "edm"
)

// Case is one test case and its result: what the kit sent, what came back,
// the findings of the validation of every message received from the system
// under test, and why it failed.
type Case struct {
	Suite Suite
	// ID is stable across runs (e.g. AS4-03); Name says what is checked.
	ID, Name string
	Status   Status
	// Reason says precisely why the case failed or was skipped.
	Reason string
	// Sent and Received describe the exchanged messages (headers and a
	// bounded excerpt of the content).
	Sent, Received []string
	// Findings are those of the validation of what was received.
	Findings []check.Finding
	Duration time.Duration
}

// maxExcerpt bounds what a report keeps of one message.
const maxExcerpt = 4000

func excerpt(s string) string {
	if len(s) > maxExcerpt {
		return s[:maxExcerpt] + fmt.Sprintf("\n… (%d bytes in all)", len(s))
	}
	return s
}

func (c *Case) sent(format string, a ...any) {
	c.Sent = append(c.Sent, excerpt(fmt.Sprintf(format, a...)))
}
func (c *Case) got(format string, a ...any) {
	c.Received = append(c.Received, excerpt(fmt.Sprintf(format, a...)))
}

// fail marks the case failed; the first reason is kept, later ones are
// appended.
func (c *Case) fail(format string, a ...any) {
	r := fmt.Sprintf(format, a...)
	c.Status = Fail
	if c.Reason == "" {
		c.Reason = r
	} else {
		c.Reason += "; " + r
	}
}

func (c *Case) skip(reason string) {
	c.Status, c.Reason = Skip, reason
}

// validated adds the findings of a received message; an invalidating
// finding fails the case.
func (c *Case) validated(what string, fs []check.Finding) {
	c.Findings = append(c.Findings, fs...)
	var bad []string
	for _, f := range fs {
		if f.Invalidates() {
			bad = append(bad, f.String())
		}
	}
	if len(bad) > 0 {
		c.fail("%s is invalid: %s", what, strings.Join(bad, " | "))
	}
}

// Report is the result of a run.
type Report struct {
	Started  time.Time
	Duration time.Duration
	// Targets describes what was tested (URLs), for the reader.
	Targets []string
	Cases   []*Case
	// Level is the readiness level the results support, and Missing what
	// the next level still needs.
	Level   Level
	Missing []string
	// Readiness maps the results to the Acceleratormeter levels, in the
	// Testing-Services mode only (Config.TestingServices).
	Readiness []LevelReadiness
}

// Counts returns the number of cases per status.
func (r *Report) Counts() (pass, fail, skip int) {
	for _, c := range r.Cases {
		switch c.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	return
}

// OK reports whether no case failed.
func (r *Report) OK() bool {
	_, f, _ := r.Counts()
	return f == 0
}

// Case returns the case with the given id, or nil.
func (r *Report) Case(id string) *Case {
	for _, c := range r.Cases {
		if c.ID == id {
			return c
		}
	}
	return nil
}

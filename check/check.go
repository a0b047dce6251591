// Package check is the common vocabulary of findings: what every validator of
// oots (structural checks of the message model, code lists, Schematron rules,
// AS4 header checks) reports about a document.
package check

import "fmt"

// Flag is the severity of a finding, as the OOTS Schematron files use it.
type Flag string

// Flags in decreasing severity. A document with a fatal or error finding is
// invalid.
const (
	Fatal   Flag = "fatal"
	Error   Flag = "error"
	Warning Flag = "warning"
	Info    Flag = "info"
)

// Finding is one thing a validator found wrong (or noteworthy) in a document.
type Finding struct {
	Rule     string `json:"rule"`     // rule identifier, e.g. R-EDM-REQ-C001 or OOTS-STRUCT-SLOT-MISSING
	Flag     Flag   `json:"flag"`     // severity
	Location string `json:"location"` // XPath-like location of the node concerned
	Message  string `json:"message"`  // what is wrong, naming the slot or element
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s %s: %s", f.Flag, f.Rule, f.Location, f.Message)
}

// Invalidates reports whether the finding makes the document invalid.
func (f Finding) Invalidates() bool { return f.Flag == Fatal || f.Flag == Error }

// Valid reports whether none of the findings invalidates the document.
func Valid(fs []Finding) bool {
	for _, f := range fs {
		if f.Invalidates() {
			return false
		}
	}
	return true
}

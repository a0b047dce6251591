package conformance

import (
	"errors"
	"fmt"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// Rule identifiers of the kit's own findings.
const (
	// RuleUnreadable: a received document is not well-formed XML or not an
	// OOTS message.
	RuleUnreadable = "CONF-XML"
	// RuleNoRules: no business rules exist for the kind and version.
	RuleNoRules = "CONF-RULES-NONE"
	// RuleNotOOTS: a payload is not an OOTS message (the kit's own test
	// payloads are not), so only its well-formedness was checked.
	RuleNotOOTS = "CONF-NOT-OOTS"
)

// Validate checks a document received from the system under test as
// "oots validate" does: kind and version detection, structure and code lists
// (package edm; the ebMS header by package as4), and the business rules of
// the kind and version (package schematron). It returns the kind, the
// version and the findings; a document that cannot be read gives a fatal
// finding.
func Validate(b []byte) (edm.Kind, edm.Version, []check.Finding) {
	return ValidateWith(nil, b)
}

// ValidateWith is Validate with the business rules that rules gives for
// the kind and version (nil: the embedded ones), as Config.Rules.
func ValidateWith(rules *schematron.Catalogue, b []byte) (edm.Kind, edm.Version, []check.Finding) {
	lim := edm.Limits()
	doc, err := xmltree.ParseBytes(b, &lim)
	if err != nil {
		return "", "", []check.Finding{{Rule: RuleUnreadable, Flag: check.Fatal, Location: "/", Message: err.Error()}}
	}
	return validateDoc(rules, doc)
}

func validateDoc(rules *schematron.Catalogue, doc *xmltree.Document) (edm.Kind, edm.Version, []check.Finding) {
	m, findings, err := edm.ParseDocument(doc)
	if err != nil {
		kind, version, _ := edm.Detect(doc)
		return kind, version, []check.Finding{{Rule: RuleUnreadable, Flag: check.Fatal, Location: "/", Message: err.Error()}}
	}
	kind, version := m.Kind(), m.Version()
	if kind == edm.KindEBMSHeader {
		findings = append(findings, as4.CheckHeader(doc.Root)...)
	}
	rs, err := rules.ForKind(string(kind), string(version))
	switch {
	case errors.Is(err, schematron.ErrNoRules):
		return kind, version, append(findings, check.Finding{Rule: RuleNoRules, Flag: check.Info, Location: "/",
			Message: fmt.Sprintf("no business rules (Schematron) for %s %s: structural and code-list checks only", kind, version)})
	case err != nil:
		return kind, version, append(findings, check.Finding{Rule: RuleNoRules, Flag: check.Fatal, Location: "/",
			Message: fmt.Sprintf("the business rules of %s %s do not load: %v", kind, version, err)})
	}
	return kind, version, append(findings, rs.Validate(doc)...)
}

// validatePayload validates a payload when it is an OOTS message, and
// otherwise only says that it is not one.
func validatePayload(rules *schematron.Catalogue, b []byte) []check.Finding {
	lim := edm.Limits()
	doc, err := xmltree.ParseBytes(b, &lim)
	if err != nil {
		return []check.Finding{{Rule: RuleUnreadable, Flag: check.Fatal, Location: "/", Message: err.Error()}}
	}
	if _, _, err := edm.Detect(doc); err != nil {
		return []check.Finding{{Rule: RuleNotOOTS, Flag: check.Info, Location: "/", Message: "not an OOTS message; only its well-formedness was checked"}}
	}
	_, _, fs := validateDoc(rules, doc)
	return fs
}

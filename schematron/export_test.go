package schematron

import "github.com/oots-go/oots/xmltree"

// RunWithoutErrata runs rs on doc with the known defects of the official
// rules (Defect) evaluated as any other assertion.
func RunWithoutErrata(rs *RuleSet, doc *xmltree.Document) ([]*Report, []error) {
	return rs.Run(doc, &Options{noErrata: true})
}

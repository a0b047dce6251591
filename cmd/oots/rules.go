package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// Helpers for the Schematron step of "oots validate": the rules chosen by
// kind and version (a schematron.Catalogue: the embedded rules, or official
// files given per version), "--rules DIR" (every .sch of a directory on
// every input, whatever its kind) and "--format svrl".

// schematronFindings runs the business rules of a message kind (EDM-REQ,
// EDM-RESP, …, EBMS) and specification version (oots-edm:v1.0 … v2.0,
// oots-cs:v1) that cat gives (nil: the embedded ones) on doc. ok is false
// when no rule set applies (for example a v2.0 Common Services answer,
// whose official rules are not available): that is not a finding, the
// caller may say so.
func schematronFindings(cat *schematron.Catalogue, doc *xmltree.Document, kind, version string) (findings []check.Finding, ok bool, err error) {
	rs, err := cat.ForKind(kind, version)
	if errors.Is(err, schematron.ErrNoRules) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err // an embedded rule file that does not compile: a bug
	}
	return rs.Validate(doc), true, nil
}

// loadRulesDir compiles every .sch file of dir, for "--rules DIR"; dir may
// be the root of the official repository or its OOTS-EDM folder, whose
// OOTS-EDM/sch or sch folder is then used. A file that does not compile is
// an error naming it and the line.
func loadRulesDir(dir string) (*schematron.RuleSet, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	return schematron.LoadDir(os.DirFS(dir), ".")
}

// writeSVRL runs rs on doc and writes one SVRL document (with fired rules)
// for "--format svrl". It returns whether the document passed (no finding
// that invalidates it); an evaluation error of a schema is written as an XML
// comment and counts as a failure.
func writeSVRL(w io.Writer, rs *schematron.RuleSet, doc *xmltree.Document) (valid bool, err error) {
	reps, errs := rs.Run(doc, &schematron.Options{FiredRules: true})
	valid = true
	var ok []*schematron.Report
	for i, rep := range reps {
		if errs[i] != nil {
			valid = false
			if _, err := fmt.Fprintf(w, "<!-- %s -->\n", xmlCommentSafe(errs[i].Error())); err != nil {
				return false, err
			}
			continue
		}
		if !check.Valid(rep.Findings()) {
			valid = false
		}
		ok = append(ok, rep)
	}
	return valid, schematron.WriteSVRL(w, ok...)
}

// xmlCommentSafe keeps text from closing an XML comment early.
func xmlCommentSafe(s string) string { return strings.ReplaceAll(s, "--", "- ") }

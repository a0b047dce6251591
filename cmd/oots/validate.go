package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// validateResult is one line of "oots validate --format json".
type validateResult struct {
	File          string          `json:"file"`
	Kind          edm.Kind        `json:"kind"`
	Specification edm.Version     `json:"specification"`
	Valid         bool            `json:"valid"`
	Findings      []check.Finding `json:"findings"`
}

// Rule of the finding given for a document that cannot be read as an OOTS
// message at all (not well-formed, a DTD, beyond the limits, not OOTS).
const ruleUnreadable = "OOTS-XML"

// Rule of the info finding given when no business rules exist for a
// document's kind and version (for example v2.0 Common Services answers,
// whose official rule files are not available).
const ruleNoRules = "OOTS-RULES-NONE"

// runValidate implements "oots validate [--format text|json|svrl] [--rules
// DIR] [-config FILE] [-official VERSION=DIR]... FILE...": it detects each
// file's kind and version, runs the structural and code-list checks, then
// the business rules (the Schematron files of that kind and version: the
// official files given for the version, else the embedded ones; or every
// .sch file of DIR), and prints the findings. Exit 0 when every file is
// valid, 1 when one is not, 2 on a usage or I/O error.
func runValidate(_ context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("validate", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	format := fl.String("format", "text", "output `format`: text, json, or svrl (the Schematron report alone)")
	rulesDir := fl.String("rules", "", "run every .sch file of `DIR` on each input, whatever its kind, instead of the rules of its kind and version; DIR may be the root of the official repository (its OOTS-EDM/sch is used)")
	off := addOfficialFlags(fl)
	csVersion := fl.String("cs-version", "any", "a Common Services query URL must be valid in this interface version: any, all, 1.x or 2.0")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, `usage: oots validate [--format text|json|svrl] [--rules DIR] [-config oots.yaml] [-official VERSION=DIR]... FILE...
       oots validate [--format text|json] [-cs-version any|all|1.x|2.0] 'https://…/eb/rest/search?queryId=…'

A Common Services query URL (an argument beginning with http:// or https://)
is judged in each interface version, 1.x and 2.0: its parameters against
the query and the version, their values against the code lists, with the
EB:ERR or DSD:ERR code the service answers.

The business rules of a message are those of its kind and version: the
official files given for the version (-official, or the rules section of
the configuration, as oots serve uses them; "oots rules" lists them), else
the built-in ones. There is no --xsd: oots has no XSD validator; the
structure is checked by the message model, and official XSD files are not
used.`)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if (*format != "text" && *format != "json" && *format != "svrl") || fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	cat, err := off.catalogue(env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots validate: %v\n", err)
		return 2
	}
	var rules *schematron.RuleSet
	if *rulesDir != "" {
		var err error
		if rules, err = loadRulesDir(*rulesDir); err != nil {
			fmt.Fprintf(env.Stderr, "oots validate: --rules: %v\n", err)
			return 2
		}
	}
	wantCS, err := csVersions(*csVersion)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots validate: %v\n", err)
		return 2
	}
	code := 0
	for _, path := range fl.Args() {
		if isQueryURL(path) {
			switch c := validateQuery(env, path, *format, wantCS); {
			case c == 2:
				code = 2
			case c == 1 && code == 0:
				code = 1
			}
			continue
		}
		if *format == "svrl" {
			valid, err := svrlDocument(env.Stdout, path, rules, cat)
			if err != nil {
				fmt.Fprintf(env.Stderr, "oots validate: %v\n", err)
				code = 2
			} else if !valid && code == 0 {
				code = 1
			}
			continue
		}
		kind, version, findings, err := validateDocument(path, rules, cat)
		if err != nil {
			fmt.Fprintf(env.Stderr, "oots validate: %v\n", err)
			code = 2
			continue
		}
		valid := check.Valid(findings)
		if !valid && code == 0 {
			code = 1
		}
		if *format == "json" {
			if findings == nil {
				findings = []check.Finding{}
			}
			b, _ := json.Marshal(validateResult{File: path, Kind: kind, Specification: version, Valid: valid, Findings: findings})
			fmt.Fprintf(env.Stdout, "%s\n", b)
			continue
		}
		printText(env.Stdout, path, kind, version, valid, findings)
	}
	return code
}

func printText(w io.Writer, path string, kind edm.Kind, version edm.Version, valid bool, findings []check.Finding) {
	verdict := "valid"
	if !valid {
		verdict = "INVALID"
	}
	if kind == "" {
		kind = "?"
	}
	if version == "" {
		version = "-"
	}
	fmt.Fprintf(w, "%s: %s %s %s (%d findings)\n", path, kind, version, verdict, len(findings))
	for _, f := range findings {
		if f.Rule == "" {
			f.Rule = "-" // an official assertion without an id
		}
		fmt.Fprintf(w, "  %s\n", f)
	}
}

// validateDocument reads one file and returns its kind, version and
// findings. The error is for I/O only: a document that cannot be read as an
// OOTS message gives a fatal finding instead.
func validateDocument(path string, rules *schematron.RuleSet, cat *schematron.Catalogue) (edm.Kind, edm.Version, []check.Finding, error) {
	doc, findings, err := readDocument(path)
	if err != nil || doc == nil {
		return "", "", findings, err
	}
	// Step 1: detection, structure and code lists (package edm; the ebMS
	// header of an EBMS document is checked by package as4).
	m, findings, err := edm.ParseDocument(doc)
	if err != nil {
		kind, version, _ := edm.Detect(doc)
		findings := []check.Finding{{Rule: ruleUnreadable, Flag: check.Fatal, Location: "/", Message: err.Error()}}
		if rules != nil {
			// --rules runs every file on every input, also on one whose
			// kind cannot be told.
			findings = append(findings, rules.Validate(doc)...)
		}
		return kind, version, findings, nil
	}
	kind, version := m.Kind(), m.Version()
	if kind == edm.KindEBMSHeader {
		findings = append(findings, as4.CheckHeader(doc.Root)...)
	}

	// Step 2: business rules — the Schematron files of this kind and
	// version (package schematron), or those of --rules DIR.
	if rules != nil {
		return kind, version, append(findings, rules.Validate(doc)...), nil
	}
	ruleFindings, ok, err := schematronFindings(cat, doc, string(kind), string(version))
	if err != nil {
		return kind, version, nil, fmt.Errorf("%s: business rules of %s %s: %w", path, kind, version, err)
	}
	if !ok {
		findings = append(findings, check.Finding{Rule: ruleNoRules, Flag: check.Info, Location: "/",
			Message: fmt.Sprintf("no business rules (Schematron) are available for %s %s: structural and code-list checks only", kind, versionOrNone(version))})
	}
	return kind, version, append(findings, ruleFindings...), nil
}

func versionOrNone(v edm.Version) string {
	if v == "" {
		return "without a specification version"
	}
	return string(v)
}

// svrlDocument writes the Schematron report (SVRL) of one file, with the
// rules of its kind and version (cat) or those of --rules DIR.
func svrlDocument(w io.Writer, path string, rules *schematron.RuleSet, cat *schematron.Catalogue) (bool, error) {
	doc, findings, err := readDocument(path)
	if err != nil {
		return false, err
	}
	if doc == nil {
		return false, fmt.Errorf("%s: %s", path, findings[0].Message)
	}
	if rules == nil {
		kind, version, err := edm.Detect(doc)
		if err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		if rules, err = cat.ForKind(string(kind), string(version)); err != nil {
			return false, fmt.Errorf("%s: %s %s: %w", path, kind, version, err)
		}
	}
	return writeSVRL(w, rules, doc)
}

// readDocument parses one file with the limits of the message model. A
// document that is not well-formed (or beyond the limits) gives a nil
// document and a fatal finding; the error is for I/O only.
func readDocument(path string) (*xmltree.Document, []check.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("is a directory")}
	}
	lim := edm.Limits()
	doc, err := xmltree.Parse(f, &lim)
	if err != nil {
		var se *xmltree.SyntaxError
		if !errors.As(err, &se) {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, []check.Finding{{Rule: ruleUnreadable, Flag: check.Fatal, Location: fmt.Sprintf("line %d", se.Line), Message: se.Error()}}, nil
	}
	return doc, nil, nil
}

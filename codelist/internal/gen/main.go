// Command gen writes lists_gen.go of package codelist from the official OOTS
// Genericode files (run by go generate in the codelist directory):
//
//	go run ./internal/gen -src ../../shared/oots-spec/tdd-1.0/codelists -out lists_gen.go
//
// Every .gc file under -src must be mapped to a package variable in the
// lists table below, so that a new list is not silently left out. Known
// defects of the published files are corrected by the errata table, each
// correction recorded in the List's Notes; an erratum that no longer matches
// its file stops the generator.
package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/codelist/internal/genericode"
)

// list maps one source file to a package variable.
type list struct {
	file string // relative to -src, with forward slashes
	name string // Go variable
	doc  string // said in the variable's doc comment after the generated part
}

var lists = []list{
	{"External/CountryIdentificationCode-2.3.gc", "Countries",
		"The list holds both ISO 3166-1 alpha-2 and alpha-3 codes (column \"ref\" gives the other form of each); OOTS addresses and jurisdictions (AdminUnitLevel1) use alpha-2 codes, so a caller checking those also checks the length. Greece is \"EL\" (the EU usage), not \"GR\"."},
	{"External/EAS.gc", "EAS",
		"EAS codes are the schemes of eDelivery party identifiers (\"0088\", \"9930\"...)."},
	{"External/LanguageCode-2.3.gc", "Languages",
		"The list spells ISO 639-1 and ISO 639-2 codes in upper case (\"EN\", \"ENG\") and has rows whose code is not a code (\"ALB (B) SQI (T)\"); column \"ref\" gives the other form."},
	{"External/NutsCodes.gc", "NUTS",
		"NUTS 2016 codes of every level, from the country (\"AT\") to NUTS 3 (\"AT111\")."},
	{"OOTS/AgentClassification-CodeList.gc", "AgentClassifications", ""},
	{"OOTS/DSDErrorCodes-CodeList.gc", "DSDErrorCodes",
		"ColumnValue gives the message and ColumnType the exception type of each code."},
	{"OOTS/EBErrorCodes-CodeList.gc", "EBErrorCodes",
		"ColumnValue gives the message and ColumnType the exception type of each code (EB:ERR:0004 is removed in TDD 2.0, SPEC.md §2.6)."},
	{"OOTS/EDMErrorCodes-CodeList.gc", "EDMErrorCodes",
		"ColumnValue gives the message and ColumnType the exception type of each code (SPEC.md §2.4)."},
	{"OOTS/ErrorSeverity-CodeList.gc", "ErrorSeverities",
		"The 2022-12 file ties PreviewRequired to EDM:ERR:0001 in ColumnApplicableErrorCode; SPEC.md §2.4 notes that this is an error of that version: the samples and later versions use it with EDM:ERR:0002. The data here is the file's."},
	{"OOTS/IdentifierSchemes-CodeList.gc", "IdentifierSchemes", ""},
	{"OOTS/JurisdictionLevel-CodeList.gc", "JurisdictionLevels",
		"Removed in TDD 2.0 (SPEC.md §2.6)."},
	{"OOTS/LCMErrorCodes-CodeList.gc", "LCMErrorCodes",
		"ColumnValue gives the message and ColumnType the exception type of each code."},
	{"OOTS/LevelsOfAssurance-CodeList.gc", "LevelsOfAssurance",
		"ColumnURI gives the eIDAS URI of each level, as the file spells it (\"http://eidas.europa.eu/LoA/Substiantial\")."},
	{"OOTS/OOTSMediaTypes-CodeList.gc", "MediaTypes",
		"image/jpeg is given twice (.jpeg and .jpg): Lookup returns the first row, LookupAll both. The copies of this list in the official TDD 1.0 Schematron keep the tab of \"\\timage/svg+xml\", so those rules (R-EDM-RESP-C023, R-EDM-REQ-C033, R-DSD-RESP-C009, R-DSD-SUB-C007) reject image/svg+xml; this list accepts it."},
	{"OOTS/Procedures-CodeList.gc", "Procedures",
		"The 2022-12 list: SDGR Annex II procedures R1 to X6. The codes added by later versions are in ProceduresSupplement."},
}

// erratum corrects a defect of a published file before it is parsed.
type erratum struct {
	file     string
	old, new string
	note     string
}

var errata = []erratum{
	{
		file: "OOTS/EDMErrorCodes-CodeList.gc",
		old:  "<SimpleValue>Problem during the processing of a QueryRequest/SimpleValue>",
		new:  "<SimpleValue>Problem during the processing of a QueryRequest</SimpleValue>",
		note: `the published file is not well-formed XML (EDM:ERR:0008: "QueryRequest/SimpleValue>" for "QueryRequest</SimpleValue>"); corrected before parsing, giving the message and type SPEC.md §2.4 lists`,
	},
}

var errUsage = errors.New("usage: gen -src dir [-out lists_gen.go]")

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run is main with its arguments, so that tests run the generator as go
// generate does.
func run(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ContinueOnError)
	src := fl.String("src", "", "folder of the Genericode files (OOTS/*.gc, External/*.gc)")
	out := fl.String("out", "lists_gen.go", "Go file to write")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if *src == "" || fl.NArg() > 0 {
		return errUsage
	}
	b, err := generate(os.DirFS(*src))
	if err != nil {
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}

type generated struct {
	list
	cl     *genericode.CodeList
	notes  []string
	fields []string
	rows   [][]string
}

// generate reads every list of the table from fsys and returns the
// gofmt'd source of lists_gen.go.
func generate(fsys fs.FS) ([]byte, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gc") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !slices.ContainsFunc(lists, func(l list) bool { return l.file == f }) {
			return nil, fmt.Errorf("%s is not in the lists table of the generator: map it to a variable", f)
		}
	}
	var gs []generated
	for _, l := range lists {
		g, err := load(fsys, l)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return emit(gs)
}

func load(fsys fs.FS, l list) (generated, error) {
	b, err := fs.ReadFile(fsys, l.file)
	if err != nil {
		return generated{}, err
	}
	var notes []string
	for _, e := range errata {
		if e.file != l.file {
			continue
		}
		if n := bytes.Count(b, []byte(e.old)); n != 1 {
			return generated{}, fmt.Errorf("%s: erratum %q matches %d times instead of once: the file has changed, review the errata table", l.file, e.old, n)
		}
		b = bytes.Replace(b, []byte(e.old), []byte(e.new), 1)
		notes = append(notes, e.note)
	}
	cl, err := genericode.Parse(b)
	if err != nil {
		return generated{}, fmt.Errorf("%s: %w", l.file, err)
	}
	g := generated{list: l, cl: cl, notes: append(notes, cl.Notes...)}
	g.fields, g.rows = cl.Table()
	return g, nil
}

func emit(gs []generated) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by codelist/internal/gen from the OOTS Genericode files. DO NOT EDIT.\n\npackage codelist\n")
	byName := slices.Clone(gs)
	slices.SortFunc(byName, func(a, b generated) int { return cmp.Compare(a.name, b.name) })
	for _, g := range byName {
		emitList(&b, g)
	}
	byShort := slices.Clone(gs)
	slices.SortFunc(byShort, func(a, b generated) int { return cmp.Compare(a.cl.ShortName, b.cl.ShortName) })
	for i := 1; i < len(byShort); i++ {
		if byShort[i].cl.ShortName == byShort[i-1].cl.ShortName {
			return nil, errors.New("two lists have the ShortName " + byShort[i].cl.ShortName)
		}
	}
	b.WriteString("\n// all holds the generated lists sorted by ShortName.\nvar all = []*List{\n")
	for _, g := range byShort {
		fmt.Fprintf(&b, "%s,\n", unexported(g.name))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func emitList(b *bytes.Buffer, g generated) {
	cl := g.cl
	q := strconv.Quote
	fmt.Fprintf(b, "\n// %s returns the code list %s", g.name, cl.ShortName)
	if cl.LongName != "" {
		fmt.Fprintf(b, " (%s)", cl.LongName)
	}
	fmt.Fprintf(b, ",\n// version %s, %s: %d rows, generated from %s.\n", cl.Version, cl.CanonicalVersionURI, len(g.rows), g.file)
	if g.doc != "" {
		b.WriteString("//\n")
		wrap(b, g.doc)
	}
	if len(g.notes) > 0 {
		b.WriteString("//\n// Notes on the source file:\n")
		for _, n := range g.notes {
			wrap(b, "  - "+n)
		}
	}
	// A function, so that no importer can put another list in its place.
	fmt.Fprintf(b, "func %s() *List { return %s }\n\n", g.name, unexported(g.name))
	fmt.Fprintf(b, "var %s = &List{\n", unexported(g.name))
	fmt.Fprintf(b, "ShortName: %s,\nLongName: %s,\nVersion: %s,\nCanonicalURI: %s,\nCanonicalVersionURI: %s,\nLocationURI: %s,\nAgency: %s,\n",
		q(cl.ShortName), q(cl.LongName), q(cl.Version), q(cl.CanonicalURI), q(cl.CanonicalVersionURI), q(cl.LocationURI), q(cl.AgencyName))
	b.WriteString("Columns: []Column{\n")
	for _, c := range cl.Columns {
		fmt.Fprintf(b, "{ID: %s, ShortName: %s, Required: %t, Type: %s, Lang: %s},\n", q(c.ID), q(c.ShortName), strings.EqualFold(c.Use, "required"), q(c.Type), q(c.Lang))
	}
	b.WriteString("},\n")
	fmt.Fprintf(b, "Key: %s,\nSource: %s,\n", q(cl.Key), q(g.file))
	if len(g.notes) > 0 {
		b.WriteString("Notes: []string{\n")
		for _, n := range g.notes {
			fmt.Fprintf(b, "%s,\n", q(n))
		}
		b.WriteString("},\n")
	}
	b.WriteString("fields: []string{")
	for i, f := range g.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q(f))
	}
	b.WriteString("},\nrows: [][]string{\n")
	for _, r := range g.rows {
		b.WriteString("{")
		for i, c := range r {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q(c))
		}
		b.WriteString("},\n")
	}
	b.WriteString("},\n}\n")
}

// wrap writes s as comment lines of at most about 100 columns; a line
// starting "  - " continues with four spaces of indent.
func wrap(b *bytes.Buffer, s string) {
	indent := ""
	if strings.HasPrefix(s, "  - ") {
		indent = "    "
	}
	line := "//"
	for i, w := range strings.Fields(s) {
		if i == 0 && indent != "" {
			line += "   -"
			continue
		}
		if len(line)+1+len(w) > 100 && len(line) > len("//"+indent) {
			b.WriteString(line + "\n")
			line = "//" + indent
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

// unexported is the name of the variable behind the list function name:
// its leading capitals in lower case, but for the first letter of the next
// word (EAS: eas, DSDErrorCodes: dsdErrorCodes, Countries: countries).
func unexported(name string) string {
	n := 0
	for n < len(name) && name[n] >= 'A' && name[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(name) {
		n--
	}
	return strings.ToLower(name[:n]) + name[n:]
}

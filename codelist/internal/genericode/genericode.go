// Package genericode reads OASIS Genericode 1.0 code list documents
// (http://docs.oasis-open.org/codelist/ns/genericode/1.0/, "Code List
// Representation (Genericode) Version 1.0", Committee Specification 2007),
// the format in which the OOTS code lists are published.
//
// Only what the OOTS and the external lists it uses need is supported: a
// gc:CodeList with an Identification, a ColumnSet (Column and Key) and a
// SimpleCodeList of Rows whose Values are SimpleValues. A ColumnSetRef (a
// column set in another document), ComplexValue and gc:CodeListSet are
// refused with ErrUnsupported.
//
// The parser reads the file as the list spells it, with two documented
// leniencies for defects found in the published 2022-12 lists; each use is
// recorded in CodeList.Notes so that nothing is corrected silently:
//   - whitespace around a value of the key column is removed (the published
//     OOTSMediaTypes list spells "\timage/svg+xml", AgentClassification "IP ");
//   - a Value whose ColumnRef matches no Column Id exactly but exactly one
//     case-insensitively is read as that column (NutsCodes rows refer to
//     "name", its ColumnSet defines "Name").
package genericode

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/xmltree"
)

// Namespace is the namespace of the Genericode 1.0 document elements
// (gc:CodeList); the elements inside it are unqualified.
const Namespace = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"

var (
	// ErrNotCodeList: the document element is not {Namespace}CodeList.
	ErrNotCodeList = errors.New("not a Genericode 1.0 CodeList")
	// ErrInvalid: the document breaks a Genericode rule (a missing required
	// element, a reference to an undefined column, a row without a key value...).
	ErrInvalid = errors.New("invalid Genericode")
	// ErrUnsupported: a valid Genericode construct this package does not read.
	ErrUnsupported = errors.New("unsupported Genericode construct")
)

// Error locates an ErrInvalid or ErrUnsupported condition in the document.
type Error struct {
	Line int    // line of the offending element; 0 when not known
	Path string // location of the offending element, e.g. /gc:CodeList/SimpleCodeList/Row[3]
	Err  error  // ErrInvalid or ErrUnsupported
	Msg  string // what is wrong
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("genericode: ")
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Path != "" {
		b.WriteString(" (at ")
		b.WriteString(e.Path)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns ErrInvalid or ErrUnsupported.
func (e *Error) Unwrap() error { return e.Err }

// Column is a gc:Column of the ColumnSet.
type Column struct {
	ID        string // Column/@Id, the name rows use in Value/@ColumnRef
	ShortName string // Column/ShortName
	Use       string // Column/@Use: "required" or "optional"
	Type      string // Column/Data/@Type, an XML Schema datatype name such as "normalizedString"
	Lang      string // Column/Data/@Lang; the OOTS lists use it to qualify the name ("Value", "Type", "URI"...)
}

// Row is one Row of the SimpleCodeList: the values it gives, by column Id.
// A column the row does not mention is absent from Values; an empty
// SimpleValue is present with "".
type Row struct {
	Line   int
	Values map[string]string
}

// CodeList is a parsed Genericode code list.
type CodeList struct {
	ShortName           string
	LongName            string // first Identification/LongName without @Identifier; may be ""
	Version             string
	CanonicalURI        string
	CanonicalVersionURI string
	LocationURI         string // first LocationUri; may be ""
	AgencyName          string // Agency/LongName or Agency/ShortName; may be ""
	AgencyID            string // Agency/Identifier; may be ""
	Columns             []Column
	Key                 string // Id of the column of the first Key: the code
	Rows                []Row  // in document order
	Notes               []string
}

// Code returns the key value of row r.
func (cl *CodeList) Code(r Row) string { return r.Values[cl.Key] }

// limits bound the documents Parse accepts; the largest list in use (NUTS)
// is under 0.5 MB with about 15,000 elements.
var limits = xmltree.Limits{MaxBytes: 16 << 20, MaxDepth: 32, MaxElements: 500_000, MaxAttrs: 32}

// Parse reads a Genericode 1.0 code list. Errors are *xmltree.SyntaxError for
// XML that is not well-formed or not acceptable (DTDs...), and *Error wrapping
// ErrNotCodeList, ErrInvalid or ErrUnsupported.
func Parse(b []byte) (*CodeList, error) {
	doc, err := xmltree.ParseBytes(b, &limits)
	if err != nil {
		return nil, fmt.Errorf("genericode: %w", err)
	}
	root := doc.Root
	if !root.Is(Namespace, "CodeList") {
		return nil, &Error{Line: root.Line, Err: ErrNotCodeList, Msg: "document element is " + root.Name.String()}
	}
	p := &parser{cl: &CodeList{}}
	if err := p.identification(root); err != nil {
		return nil, err
	}
	if err := p.columnSet(root); err != nil {
		return nil, err
	}
	if err := p.rows(root); err != nil {
		return nil, err
	}
	return p.cl, nil
}

type parser struct {
	cl       *CodeList
	colIndex map[string]int    // Column Id → index in cl.Columns
	folded   map[string]string // lower-cased ColumnRef → Column Id, for refs matched case-insensitively
}

func invalid(e *xmltree.Element, format string, args ...any) error {
	return &Error{Line: e.Line, Path: e.Path(), Err: ErrInvalid, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(e *xmltree.Element, format string, args ...any) error {
	return &Error{Line: e.Line, Path: e.Path(), Err: ErrUnsupported, Msg: fmt.Sprintf(format, args...)}
}

// child returns the one unqualified child named local, nil when absent.
func child(e *xmltree.Element, local string) *xmltree.Element { return e.Child("", local) }

// requiredText returns the trimmed text of the unqualified child local,
// failing when it is missing or empty.
func requiredText(e *xmltree.Element, local string) (string, error) {
	c := child(e, local)
	if c == nil {
		return "", invalid(e, "missing %s", local)
	}
	if len(c.Elements()) > 0 {
		return "", invalid(c, "%s has element content", local)
	}
	s := strings.TrimSpace(c.Text())
	if s == "" {
		return "", invalid(c, "empty %s", local)
	}
	return s, nil
}

func optionalText(e *xmltree.Element, local string) string {
	if c := child(e, local); c != nil {
		return strings.TrimSpace(c.Text())
	}
	return ""
}

// identification reads gc:CodeList/Identification (Genericode 1.0 §3.2): ShortName,
// Version, CanonicalUri and CanonicalVersionUri are required.
func (p *parser) identification(root *xmltree.Element) error {
	id := child(root, "Identification")
	if id == nil {
		return invalid(root, "missing Identification")
	}
	var err error
	cl := p.cl
	if cl.ShortName, err = requiredText(id, "ShortName"); err != nil {
		return err
	}
	if cl.Version, err = requiredText(id, "Version"); err != nil {
		return err
	}
	if cl.CanonicalURI, err = requiredText(id, "CanonicalUri"); err != nil {
		return err
	}
	if cl.CanonicalVersionURI, err = requiredText(id, "CanonicalVersionUri"); err != nil {
		return err
	}
	cl.LocationURI = optionalText(id, "LocationUri")
	for _, ln := range id.ChildrenNamed("", "LongName") {
		if _, ok := ln.AttrValue("", "Identifier"); !ok {
			cl.LongName = strings.TrimSpace(ln.Text())
			break
		}
	}
	if ag := child(id, "Agency"); ag != nil {
		cl.AgencyName = optionalText(ag, "LongName")
		if cl.AgencyName == "" {
			cl.AgencyName = optionalText(ag, "ShortName")
		}
		cl.AgencyID = optionalText(ag, "Identifier")
	}
	return nil
}

// columnSet reads gc:CodeList/ColumnSet (Genericode 1.0 §3.3).
func (p *parser) columnSet(root *xmltree.Element) error {
	cs := child(root, "ColumnSet")
	if cs == nil {
		if ref := child(root, "ColumnSetRef"); ref != nil {
			return unsupported(ref, "ColumnSetRef (column set in another document)")
		}
		return invalid(root, "missing ColumnSet")
	}
	p.colIndex = make(map[string]int)
	for _, c := range cs.Elements() {
		switch {
		case c.Is("", "Column"):
			id := c.SelectAttr("", "Id")
			if id == "" {
				return invalid(c, "Column without Id")
			}
			if _, dup := p.colIndex[id]; dup {
				return invalid(c, "duplicate Column Id %q", id)
			}
			col := Column{ID: id, ShortName: optionalText(c, "ShortName"), Use: c.SelectAttr("", "Use")}
			if d := child(c, "Data"); d != nil {
				col.Type = d.SelectAttr("", "Type")
				col.Lang = d.SelectAttr("", "Lang")
			}
			p.colIndex[id] = len(p.cl.Columns)
			p.cl.Columns = append(p.cl.Columns, col)
		case c.Is("", "Key"):
			if p.cl.Key != "" {
				continue // the first Key identifies the code
			}
			ref := child(c, "ColumnRef")
			if ref == nil {
				return invalid(c, "Key without ColumnRef")
			}
			if len(c.ChildrenNamed("", "ColumnRef")) > 1 {
				return unsupported(c, "Key of several columns")
			}
			id := ref.SelectAttr("", "Ref")
			if _, ok := p.colIndex[id]; !ok {
				return invalid(ref, "Key refers to undefined column %q", id)
			}
			p.cl.Key = id
		case c.Is("", "ColumnRef"), c.Is("", "KeyRef"):
			return unsupported(c, "%s (definition in another document)", c.Local)
		}
	}
	if len(p.cl.Columns) == 0 {
		return invalid(cs, "ColumnSet defines no Column")
	}
	if p.cl.Key == "" {
		return invalid(cs, "ColumnSet defines no Key")
	}
	return nil
}

// resolve maps a Value/@ColumnRef to a Column Id, allowing a unique
// case-insensitive match (recorded in Notes).
func (p *parser) resolve(v *xmltree.Element, ref string) (string, error) {
	if _, ok := p.colIndex[ref]; ok {
		return ref, nil
	}
	if id, ok := p.folded[ref]; ok {
		return id, nil
	}
	var found []string
	for _, c := range p.cl.Columns {
		if strings.EqualFold(c.ID, ref) {
			found = append(found, c.ID)
		}
	}
	if len(found) != 1 {
		return "", invalid(v, "Value refers to undefined column %q", ref)
	}
	if p.folded == nil {
		p.folded = make(map[string]string)
	}
	p.folded[ref] = found[0]
	p.cl.Notes = append(p.cl.Notes, fmt.Sprintf("rows refer to column %q, which the ColumnSet defines as %q: read case-insensitively", ref, found[0]))
	return found[0], nil
}

// rows reads gc:CodeList/SimpleCodeList (Genericode 1.0 §3.4).
func (p *parser) rows(root *xmltree.Element) error {
	scl := child(root, "SimpleCodeList")
	if scl == nil {
		return invalid(root, "missing SimpleCodeList")
	}
	cl := p.cl
	trimmed := 0
	var trimmedCodes []string
	for _, r := range scl.Elements() {
		if r.Is("", "Annotation") {
			continue
		}
		if !r.Is("", "Row") {
			return invalid(r, "unexpected element %s in SimpleCodeList", r.QName())
		}
		row := Row{Line: r.Line, Values: make(map[string]string)}
		next := 0 // a Value without ColumnRef is the column after the previous one (§3.4.2)
		for _, v := range r.Elements() {
			if v.Is("", "Annotation") {
				continue
			}
			if !v.Is("", "Value") {
				return invalid(v, "unexpected element %s in Row", v.QName())
			}
			var id string
			if ref, ok := v.AttrValue("", "ColumnRef"); ok {
				var err error
				if id, err = p.resolve(v, ref); err != nil {
					return err
				}
			} else {
				if next >= len(cl.Columns) {
					return invalid(v, "Value without ColumnRef after the last column")
				}
				id = cl.Columns[next].ID
			}
			next = p.colIndex[id] + 1
			if _, dup := row.Values[id]; dup {
				return invalid(v, "two Values for column %q", id)
			}
			sv := child(v, "SimpleValue")
			if sv == nil {
				if child(v, "ComplexValue") != nil {
					return unsupported(v, "ComplexValue")
				}
				return invalid(v, "Value without SimpleValue")
			}
			if len(sv.Elements()) > 0 {
				return invalid(sv, "SimpleValue has element content")
			}
			s := sv.Text()
			if id == cl.Key {
				if t := strings.TrimSpace(s); t != s {
					trimmed++
					trimmedCodes = append(trimmedCodes, strconv.Quote(s))
					s = t
				}
			}
			row.Values[id] = s
		}
		if row.Values[cl.Key] == "" {
			return invalid(r, "Row without a value for key column %q", cl.Key)
		}
		cl.Rows = append(cl.Rows, row)
	}
	if len(cl.Rows) == 0 {
		return invalid(scl, "SimpleCodeList has no Row")
	}
	if trimmed > 0 {
		cl.Notes = append(cl.Notes, fmt.Sprintf("whitespace removed around %d code value(s): %s", trimmed, strings.Join(trimmedCodes, ", ")))
	}
	if dups := duplicates(cl); len(dups) > 0 {
		cl.Notes = append(cl.Notes, fmt.Sprintf("%d code(s) appear in more than one row (the Key is not unique): %s", len(dups), strings.Join(dups, ", ")))
	}
	return nil
}

// duplicates returns the codes given by more than one row, quoted, sorted.
func duplicates(cl *CodeList) []string {
	seen := make(map[string]int, len(cl.Rows))
	for _, r := range cl.Rows {
		seen[cl.Code(r)]++
	}
	var dups []string
	for c, n := range seen {
		if n > 1 {
			dups = append(dups, strconv.Quote(c))
		}
	}
	slices.Sort(dups)
	return dups
}

// Table returns the list as the codelist package stores it: fields are the
// key column followed by the other columns, in ColumnSet order, that at least
// one row fills with a non-empty value; rows hold one cell per field ("" where
// the row gives no value) and are sorted by code, rows with the same code
// keeping their document order.
func (cl *CodeList) Table() (fields []string, rows [][]string) {
	fields = []string{cl.Key}
	for _, c := range cl.Columns {
		if c.ID == cl.Key {
			continue
		}
		for _, r := range cl.Rows {
			if r.Values[c.ID] != "" {
				fields = append(fields, c.ID)
				break
			}
		}
	}
	rows = make([][]string, len(cl.Rows))
	for i, r := range cl.Rows {
		cells := make([]string, len(fields))
		for j, f := range fields {
			cells[j] = r.Values[f]
		}
		rows[i] = cells
	}
	slices.SortStableFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return fields, rows
}

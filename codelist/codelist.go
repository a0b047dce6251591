package codelist

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/oots-go/oots/codelist/internal/genericode"
)

// Column identifiers used by the OOTS 2022-12 lists. The OOTS lists name
// every non-key column "name-<qualifier>" and put the qualifier in the
// column's Lang; Code.Names is keyed by these identifiers.
const (
	// ColumnValue is the name, or for the error lists the default message
	// (rs:Exception/@message), of an OOTS code.
	ColumnValue = "name-Value"
	// ColumnType is the exception type (rs:Exception/@xsi:type, e.g.
	// "rs:ObjectNotFoundExceptionType") of an EDM, EB, DSD or LCM error code.
	ColumnType = "name-Type"
	// ColumnDescription describes an AgentClassification or JurisdictionLevel
	// code (empty in every 2022-12 row).
	ColumnDescription = "name-Description"
	// ColumnURI is the eIDAS URI of a level of assurance.
	ColumnURI = "name-URI"
	// ColumnStructure is "structured" or "unstructred" (sic) for a media type.
	ColumnStructure = "name-Structure"
	// ColumnApplicableErrorCode is the error code an ErrorSeverity applies to.
	ColumnApplicableErrorCode = "name-ApplicableErrorCode"
)

// List is one code list: its Genericode identification, its columns and its
// codes. The package's lists are read-only; a List must not be copied.
type List struct {
	ShortName           string // Identification/ShortName, e.g. "Procedures", "LoA"
	LongName            string // Identification/LongName; may be ""
	Version             string // Identification/Version, e.g. "2022-12"
	CanonicalURI        string // Identification/CanonicalUri
	CanonicalVersionURI string // Identification/CanonicalVersionUri
	LocationURI         string // Identification/LocationUri; may be ""
	Agency              string // Identification/Agency/LongName; may be ""
	Columns             []Column
	Key                 string   // Id of the column that holds the code
	Source              string   // file the list was generated from, relative to the code list folder
	Notes               []string // how the list departs from its source file, and why

	fields []string   // fields[0] is Key; the other columns some row fills
	rows   [][]string // one cell per field, sorted by code

	once  sync.Once
	index map[string]int // code → first row with it
}

// Column describes a column of a list (a Genericode Column).
type Column struct {
	ID        string // Column/@Id, the key of Code.Names
	ShortName string // Column/ShortName
	Required  bool   // Column/@Use is "required"
	Type      string // XML Schema datatype of the values, e.g. "normalizedString"
	Lang      string // Column/Data/@Lang; the OOTS lists use it for the qualifier ("Value", "Type"...)
}

// Code is one row of a list.
type Code struct {
	// Value is the code, as the list spells it.
	Value string
	// Names holds the row's other non-empty values by column Id: names in
	// a language ("name", "french"), or for the OOTS lists the qualified
	// columns ColumnValue, ColumnType, ColumnURI...
	Names map[string]string
}

// Name returns the code's main name: ColumnValue for the OOTS lists, the
// "name"/"Name" column of the external ones, "" when the row has none.
func (c Code) Name() string {
	for _, k := range [...]string{ColumnValue, "name", "Name"} {
		if s, ok := c.Names[k]; ok {
			return s
		}
	}
	return ""
}

func (l *List) buildIndex() {
	l.index = make(map[string]int, len(l.rows))
	for i, r := range l.rows {
		if _, dup := l.index[r[0]]; !dup {
			l.index[r[0]] = i
		}
	}
}

// Contains reports whether code is in the list, spelt exactly as the list
// spells it.
func (l *List) Contains(code string) bool {
	l.once.Do(l.buildIndex)
	_, ok := l.index[code]
	return ok
}

// Lookup returns the row of code. When a list gives a code in several rows
// (OOTSMediaTypes has image/jpeg for .jpeg and .jpg), Lookup returns the
// first in document order and LookupAll returns them all.
func (l *List) Lookup(code string) (Code, bool) {
	l.once.Do(l.buildIndex)
	i, ok := l.index[code]
	if !ok {
		return Code{}, false
	}
	return l.code(i), true
}

// LookupAll returns every row of code, in document order; nil if none.
func (l *List) LookupAll(code string) []Code {
	l.once.Do(l.buildIndex)
	i, ok := l.index[code]
	if !ok {
		return nil
	}
	var cs []Code
	for ; i < len(l.rows) && l.rows[i][0] == code; i++ {
		cs = append(cs, l.code(i))
	}
	return cs
}

// Codes returns every row of the list sorted by code (byte order), rows with
// the same code in document order. The slice and its maps are the caller's.
func (l *List) Codes() []Code {
	cs := make([]Code, len(l.rows))
	for i := range l.rows {
		cs[i] = l.code(i)
	}
	return cs
}

// Len returns the number of rows of the list (which counts a code given in
// several rows once per row).
func (l *List) Len() int { return len(l.rows) }

// String returns the list's short name and version, e.g. "Procedures 2022-12".
func (l *List) String() string { return l.ShortName + " " + l.Version }

func (l *List) code(i int) Code {
	r := l.rows[i]
	c := Code{Value: r[0]}
	for j := 1; j < len(r); j++ {
		if r[j] == "" {
			continue
		}
		if c.Names == nil {
			c.Names = make(map[string]string, len(r)-1)
		}
		c.Names[l.fields[j]] = r[j]
	}
	return c
}

// ByName returns the list of the package whose ShortName is shortName
// (e.g. "Procedures", "LoA", "EDMErrorCodes", "CountryIdentificationCode").
// The hand-written ProceduresSupplement is not among them.
func ByName(shortName string) (*List, bool) {
	for _, l := range all {
		if l.ShortName == shortName {
			return l, true
		}
	}
	return nil, false
}

// ByURI returns the list of the package whose canonical URI or canonical
// version URI is uri (e.g. "urn:sr.oots.tech.europa.eu:codelists:loa").
func ByURI(uri string) (*List, bool) {
	for _, l := range all {
		if l.CanonicalURI == uri || l.CanonicalVersionURI == uri {
			return l, true
		}
	}
	return nil, false
}

// All returns the generated lists, sorted by ShortName.
func All() []*List { return slices.Clone(all) }

// Parse reads a Genericode 1.0 code list, for lists this package does not
// carry (a newer version, LAU2022). The list is read as it is spelt, with the
// leniencies recorded in Notes (whitespace around codes, column references in
// another case); the corrections the generator applies to known defects of the
// 2022-12 files are not applied. source names the document in Source.
//
// The errors are those of the genericode reader: an *xmltree.SyntaxError for
// input that is not well-formed or is refused by the screening parser (DTDs,
// limits), or an error wrapping this package's ErrNotCodeList, ErrInvalid or
// ErrUnsupported — all prefixed "codelist:" and naming what is wrong.
func Parse(b []byte, source string) (*List, error) {
	cl, err := genericode.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("codelist: %s: %w", source, err)
	}
	return fromGenericode(cl, source), nil
}

func fromGenericode(cl *genericode.CodeList, source string) *List {
	l := &List{
		ShortName:           cl.ShortName,
		LongName:            cl.LongName,
		Version:             cl.Version,
		CanonicalURI:        cl.CanonicalURI,
		CanonicalVersionURI: cl.CanonicalVersionURI,
		LocationURI:         cl.LocationURI,
		Agency:              cl.AgencyName,
		Key:                 cl.Key,
		Source:              source,
		Notes:               slices.Clone(cl.Notes),
	}
	for _, c := range cl.Columns {
		l.Columns = append(l.Columns, Column{ID: c.ID, ShortName: c.ShortName, Required: strings.EqualFold(c.Use, "required"), Type: c.Type, Lang: c.Lang})
	}
	l.fields, l.rows = cl.Table()
	return l
}

// Errors of Parse, to test with errors.Is.
var (
	// ErrNotCodeList: the document is not a Genericode 1.0 gc:CodeList.
	ErrNotCodeList = genericode.ErrNotCodeList
	// ErrInvalid: the document breaks a Genericode rule (missing
	// Identification element, undefined column, row without a code...).
	ErrInvalid = genericode.ErrInvalid
	// ErrUnsupported: a Genericode construct the package does not read
	// (ColumnSetRef, ComplexValue, multi-column keys).
	ErrUnsupported = genericode.ErrUnsupported
)

// MarshalGenericode writes the list as a Genericode 1.0 document, with the
// corrections of Notes applied and the rows sorted by code: for tools that
// read code lists from files (EDMErrorCodes as published is not
// well-formed XML). A list without the identification Genericode requires
// (ProceduresSupplement has no canonical URI) gives an error wrapping
// ErrInvalid.
func (l *List) MarshalGenericode() ([]byte, error) {
	cl := &genericode.CodeList{
		ShortName:           l.ShortName,
		LongName:            l.LongName,
		Version:             l.Version,
		CanonicalURI:        l.CanonicalURI,
		CanonicalVersionURI: l.CanonicalVersionURI,
		LocationURI:         l.LocationURI,
		AgencyName:          l.Agency,
		Key:                 l.Key,
	}
	for _, c := range l.Columns {
		use := "optional"
		if c.Required {
			use = "required"
		}
		cl.Columns = append(cl.Columns, genericode.Column{ID: c.ID, ShortName: c.ShortName, Use: use, Type: c.Type, Lang: c.Lang})
	}
	for _, r := range l.rows {
		row := genericode.Row{Values: make(map[string]string, len(r))}
		for j, v := range r {
			if v != "" || j == 0 {
				row.Values[l.fields[j]] = v
			}
		}
		cl.Rows = append(cl.Rows, row)
	}
	return cl.Marshal()
}

package codelist

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// EDM specification identifiers (the SpecificationIdentifier slot) that the
// editions of the lists are tagged with. The Common Services identifiers
// oots-cs:v2.0 and oots-cs:v1 are read as oots-edm:v2.0 and oots-edm:v1.2,
// the EDM versions published together with them.
const (
	SpecV1_0 = "oots-edm:v1.0"
	SpecV1_1 = "oots-edm:v1.1"
	SpecV1_2 = "oots-edm:v1.2"
	SpecV2_0 = "oots-edm:v2.0"
)

var (
	specsAll = []string{SpecV1_0, SpecV1_1, SpecV1_2, SpecV2_0}
	specs1x  = []string{SpecV1_0, SpecV1_1, SpecV1_2}
)

// Errors of InVersion and ValidIn, to test with errors.Is.
var (
	// ErrUnknownList: no list of that name is known in any version.
	ErrUnknownList = errors.New("codelist: unknown code list")
	// ErrNotInVersion: the list is not part of the EDM version asked
	// (JurisdictionLevel in 2.0, Gender-CodeList in 1.x, ...).
	ErrNotInVersion = errors.New("codelist: the code list is not part of this EDM version")
	// ErrCodesUnknown: the list is part of the version, but its codes are
	// not available to this package (LAU2022, SRSearchErrorCodes), so
	// whether a code belongs to it cannot be told.
	ErrCodesUnknown = errors.New("codelist: the codes of this list are not available")
)

// Edition is a code list as a set of EDM versions publishes it. Name is the
// name of the Genericode file without "-CodeList.gc" (e.g. "OOTS_Country",
// "LevelsOfAssurance"; "CountryIdentificationCode" for the external ones),
// which is not always the list's ShortName ("LoA").
type Edition struct {
	Name string
	// Versions are the EDM specification identifiers whose TDD publishes
	// this edition.
	Versions []string
	// List holds the codes; nil when they are not available (see Note).
	List *List
	// Official is true for a list generated from the official Genericode
	// file, false for one built here from public sources (see List.Notes).
	Official bool
	// Note says where the edition comes from when it is not the official
	// file, and what is missing from it.
	Note string
}

// In reports whether the edition belongs to the EDM version spec.
func (e Edition) In(spec string) bool { return slices.Contains(e.Versions, normSpec(spec)) }

func normSpec(spec string) string {
	switch spec {
	case "oots-cs:v2.0", "oots-cs:v2":
		return SpecV2_0
	case "oots-cs:v1", "oots-cs:v1.0", "oots-cs:v1.1", "oots-cs:v1.2":
		return SpecV1_2
	}
	return spec
}

// Editions returns every edition known to the package, by name, then by
// first version. The TDD 1.0 (2022-12) lists are those of every version
// unless a later edition is listed; the lists of TDD 1.2.5 and 2.0.1 that
// differ from them are built by hand from public sources (not Official):
// see the package documentation.
func Editions() []Edition { return slices.Clone(editions) }

// InVersion returns the edition of the list name (see Edition.Name) that
// EDM version spec publishes. It fails with ErrUnknownList for a name no
// version knows, ErrNotInVersion when spec does not publish the list, and
// ErrCodesUnknown when it does but the codes are not available here.
func InVersion(name, spec string) (*List, error) {
	known := false
	for _, e := range editions {
		if e.Name != name {
			continue
		}
		known = true
		if !e.In(spec) {
			continue
		}
		if e.List == nil || e.List.Len() == 0 {
			return nil, fmt.Errorf("%w: %s in %s (%s)", ErrCodesUnknown, name, spec, e.Note)
		}
		return e.List, nil
	}
	if !known {
		return nil, fmt.Errorf("%w: %q", ErrUnknownList, name)
	}
	return nil, fmt.Errorf("%w: %s is not published with %s", ErrNotInVersion, name, spec)
}

// ValidIn reports whether code belongs to the list name as EDM version spec
// publishes it ("is X a Gender code in 2.0?"). The error is that of
// InVersion: a list the version does not have, or whose codes are unknown,
// is not an answer of false.
func ValidIn(name, code, spec string) (bool, error) {
	l, err := InVersion(name, spec)
	if err != nil {
		return false, err
	}
	if l == Procedures() && ProceduresSupplement().Contains(code) {
		return KnownProcedure(code, normSpec(spec)), nil
	}
	return l.Contains(code), nil
}

// OOTSCountryCodes are the codes of EEA_Country-CodeList (TDD 1.2.x) and of
// OOTS_Country-CodeList (TDD 2.0.x), which renames it without changing a
// code: the 27 Member States (Greece as EL), Iceland, Liechtenstein, Norway,
// and EU.
var ootsCountryCodes = strings.Fields("AT BE BG CY CZ DE DK EE EL ES EU FI FR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK")

func countryList(shortName, note string) *List {
	l := &List{
		ShortName: shortName,
		LongName:  "Countries taking part in OOTS",
		Version:   "unofficial",
		Columns: []Column{
			{ID: "code", ShortName: "Code", Required: true, Type: "normalizedString", Lang: "en"},
			{ID: "name", ShortName: "Name", Type: "string", Lang: "en"},
			{ID: "french", ShortName: "French", Type: "string", Lang: "fr"},
		},
		Key:    "code",
		Source: "built from public sources (see Notes)",
		Notes: []string{
			note,
			"codes: the list as the numerique-gouv/oots-france implementation carries it (thirty countries and EU; Greece is EL)",
			"names: those of CountryIdentificationCode (ISO 3166, UBL 2.3) for the same code, not the list's own wording; EU has none",
			"canonical URI and version of the official file are not known",
		},
		fields: []string{"code", "name", "french"},
	}
	for _, code := range ootsCountryCodes { // sorted
		row := []string{code, "", ""}
		if c, ok := Countries().Lookup(code); ok {
			row[1], row[2] = c.Names["name"], c.Names["french"]
		}
		l.rows = append(l.rows, row)
	}
	return l
}

// OOTSCountries returns OOTS_Country-CodeList of TDD 2.0.x, built by hand (the
// official file is not available here): the countries an OOTS message may
// name where the rules ask for an OOTS country (e.g. the country of an
// unregistered party id type, of an evidence type classification).
func OOTSCountries() *List { return ootsCountries }

var ootsCountries = countryList("OOTS_Country", "hand-built: OOTS_Country-CodeList.gc of TDD 2.0.1 is not available; it renames EEA_Country-CodeList.gc of TDD 1.2.5 without changing its codes")

// EEACountries returns EEA_Country-CodeList of TDD 1.2.x: the same codes as
// OOTSCountries. It is absent from the TDD 1.0 (2022-12) lists; whether
// TDD 1.1 publishes it is not established, so it is tagged oots-edm:v1.2.
func EEACountries() *List { return eeaCountries }

var eeaCountries = countryList("EEA_Country", "hand-built: EEA_Country-CodeList.gc of TDD 1.2.5 is not available; its codes are those of OOTS_Country-CodeList.gc of 2.0.1")

// Gender returns Gender-CodeList of TDD 2.0.x, built by hand (the official file is
// not available here). In 2.0 sdg:Gender is a code of this list rather than
// an XSD enumeration; the list has two profiles: the eIDAS one (Male,
// Female, Unspecified, the values of the 1.x enumeration and of the eIDAS
// SAML attribute) and the eIDAS 2 / EUDI one, numeric codes 0 to 6 and 9
// (no 7 or 8), used with an Identifier of schemeID "eidas2". The names of
// the numeric codes are those of the sex attribute of the person
// identification data (Implementing Regulation (EU) 2024/2977, Annex; ISO/IEC
// 5218 for 0, 1, 2 and 9), not the list's own wording.
func Gender() *List { return gender }

var gender = &List{
	ShortName: "Gender",
	LongName:  "Gender (eIDAS and eIDAS 2 profiles)",
	Version:   "unofficial",
	Columns: []Column{
		{ID: "code", ShortName: "Code", Required: true, Type: "normalizedString", Lang: "en"},
		{ID: ColumnValue, ShortName: "Name", Type: "string", Lang: "Value"},
		{ID: ColumnProfile, ShortName: "Profile", Type: "string", Lang: "Profile"},
	},
	Key:    "code",
	Source: "built from public sources (see Notes)",
	Notes: []string{
		"hand-built: Gender-CodeList.gc of TDD 2.0.1 is not available",
		"codes: Male, Female, Unspecified (the 1.x XSD GenderType) and 0-6, 9, as the numerique-gouv/oots-france implementation carries the 2.0.1 list",
		"names of the numeric codes: the sex attribute of Implementing Regulation (EU) 2024/2977 (ISO/IEC 5218 for 0, 1, 2, 9), not the list's wording",
		"the Profile column is this package's: the official column layout is not known",
		"canonical URI and version of the official file are not known",
	},
	fields: []string{"code", ColumnValue, ColumnProfile},
	rows: [][]string{ // sorted by code
		{"0", "Not known", ProfileEIDAS2},
		{"1", "Male", ProfileEIDAS2},
		{"2", "Female", ProfileEIDAS2},
		{"3", "Other", ProfileEIDAS2},
		{"4", "Inter", ProfileEIDAS2},
		{"5", "Diverse", ProfileEIDAS2},
		{"6", "Open", ProfileEIDAS2},
		{"9", "Not applicable", ProfileEIDAS2},
		{"Female", "Female", ProfileEIDAS},
		{"Male", "Male", ProfileEIDAS},
		{"Unspecified", "Unspecified", ProfileEIDAS},
	},
}

// GenderType returns the enumeration sdg:GenderType of the EDM 1.x schema
// (SDG-GenericMetadataProfile-v1.0.0.xsd), as a list so that the question
// "is this a gender code in 1.2" has the same form as in 2.0.
func GenderType() *List { return genderType }

var genderType = &List{
	ShortName: "GenderType",
	LongName:  "sdg:GenderType (XSD enumeration of EDM 1.x)",
	Version:   "1.0.0",
	Columns: []Column{
		{ID: "code", ShortName: "Code", Required: true, Type: "normalizedString", Lang: "en"},
	},
	Key:    "code",
	Source: "xsd/sdg/SDG-GenericMetadataProfile-v1.0.0.xsd, simpleType GenderType",
	Notes:  []string{"from the XSD enumeration: EDM 1.x has no Gender code list"},
	fields: []string{"code"},
	rows:   [][]string{{"Female"}, {"Male"}, {"Unspecified"}},
}

// Gender list profiles (the ColumnProfile column of Gender).
const (
	// ColumnProfile is the identity profile a Gender code belongs to.
	ColumnProfile = "name-Profile"
	// ProfileEIDAS: the eIDAS (1) codes Male, Female, Unspecified.
	ProfileEIDAS = "eidas"
	// ProfileEIDAS2: the numeric codes of the eIDAS 2 / EUDI profile
	// (Identifier schemeID "eidas2").
	ProfileEIDAS2 = "eidas2"
)

// SRSearchErrorCodes returns SRSearchErrorCodes of TDD 1.2.5 and 2.0.1 (the
// error codes of the Semantic Repository search), which both versions
// publish with the same codes. Those codes are not available here: the list
// is empty and InVersion answers ErrCodesUnknown for it.
func SRSearchErrorCodes() *List { return srSearchErrorCodes }

var srSearchErrorCodes = &List{
	ShortName: "SRSearchErrorCodes",
	LongName:  "Semantic Repository search error codes",
	Version:   "unofficial",
	Columns: []Column{
		{ID: "code", ShortName: "Code", Required: true, Type: "normalizedString", Lang: "en"},
	},
	Key:    "code",
	Source: "none",
	Notes:  []string{"codes not established from any public source available here: the list is known to exist (TDD 1.2.5, 2.0.1) and to have the same codes in both"},
	fields: []string{"code"},
}

// EBErrorCodesV2 returns EBErrorCodes as TDD 2.0 publishes it: the 2022-12 list
// without EB:ERR:0004 (the invalid jurisdiction level, withdrawn with the
// jurisdiction-admin-l2/l3 query parameters it guarded). Built from
// EBErrorCodes; the other codes are unchanged.
func EBErrorCodesV2() *List { return ebErrorCodesV2 }

var ebErrorCodesV2 = without(EBErrorCodes(), "EB:ERR:0004", "2.0: EB:ERR:0004 withdrawn with the jurisdiction query parameters; other rows as in 2022-12")

func without(l *List, code, note string) *List {
	n := &List{
		ShortName: l.ShortName, LongName: l.LongName, Version: "unofficial",
		Columns: l.Columns, Key: l.Key, Source: l.Source,
		Notes:  append(slices.Clone(l.Notes), note, "canonical URI and version of the official 2.0 file are not known"),
		fields: l.fields,
	}
	for _, r := range l.rows {
		if r[0] != code {
			n.rows = append(n.rows, r)
		}
	}
	return n
}

var editions = buildEditions()

func buildEditions() []Edition {
	var es []Edition
	replaced := map[string]bool{"EBErrorCodes": true, "JurisdictionLevel": true}
	for _, l := range all {
		name := strings.TrimSuffix(l.Source[strings.LastIndex(l.Source, "/")+1:], ".gc")
		name = strings.TrimSuffix(name, "-CodeList")
		name = strings.TrimSuffix(name, "-2.3")
		switch {
		case name == "JurisdictionLevel":
			es = append(es, Edition{Name: name, Versions: specs1x, List: l, Official: true, Note: "removed in TDD 2.0"})
		case replaced[name]:
			es = append(es, Edition{Name: name, Versions: specs1x, List: l, Official: true})
		default:
			es = append(es, Edition{Name: name, Versions: specsAll, List: l, Official: true})
		}
	}
	es = append(es,
		Edition{Name: "EBErrorCodes", Versions: []string{SpecV2_0}, List: EBErrorCodesV2(), Note: "2022-12 list without EB:ERR:0004"},
		Edition{Name: "LAU2022", Versions: specs1x, Note: "LAU2022-CodeList.gc is missing from the TDD 1.0 artifacts; removed in TDD 2.0"},
		Edition{Name: "EEA_Country", Versions: []string{SpecV1_2}, List: EEACountries(), Note: "hand-built; renamed OOTS_Country in TDD 2.0"},
		Edition{Name: "OOTS_Country", Versions: []string{SpecV2_0}, List: OOTSCountries(), Note: "hand-built; EEA_Country of TDD 1.2 renamed"},
		Edition{Name: "Gender", Versions: []string{SpecV2_0}, List: Gender(), Note: "hand-built; new in TDD 2.0"},
		Edition{Name: "Gender", Versions: specs1x, List: GenderType(), Official: true, Note: "EDM 1.x has the XSD enumeration sdg:GenderType, no code list"},
		Edition{Name: "SRSearchErrorCodes", Versions: []string{SpecV1_2, SpecV2_0}, List: SRSearchErrorCodes(), Note: "codes not available here"},
	)
	slices.SortStableFunc(es, func(a, b Edition) int { return strings.Compare(a.Name, b.Name) })
	return es
}

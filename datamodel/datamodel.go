// Package datamodel implements the data models of structured evidence: the
// documents that an evidence provider sends as MainEvidence in XML or JSON
// and that conform to a data model of the Semantic Repository (SPEC.md §2.3
// Distribution/ConformsTo, §6 "structured evidence": 2.0 data models under
// https://sr.oots.tech.ec.europa.eu/datamodels/…).
//
// A Model lists its fields by path ("Child/FamilyName": element Child,
// child element FamilyName), each with a type (text, xsd:date, country code,
// decimal, code list), whether it is required, and a label in English,
// German, French, Finnish and Swedish for display and for the pre-filling
// of forms. The same fields have two serialisations:
//
//   - XML (application/xml): a root element in the model's namespace with
//     one child element per field, groups as nested elements, in any order;
//   - JSON (application/json): an object with one member per field, named
//     as the element, groups as nested objects.
//
// Validate checks a document against its model structurally — the root,
// no unknown, repeated or misplaced element or member, every required field
// present and not empty, every value of its type — since there is no XML
// Schema engine in Go here; a *FieldError names the field that is wrong.
// Fields reads the values of a valid document; Encode writes one.
//
// Two demo models are defined: a birth record (BirthRecord) and a
// secondary-education diploma (SecondaryDiploma). A model is also found by
// its EDM 1.x distribution URI (…/distributions/…, Model.Aliases).
package datamodel

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Media types of the two serialisations.
const (
	MimeXML  = "application/xml"
	MimeJSON = "application/json"
)

// MaxDocument is the largest document Validate reads (1 MiB).
const MaxDocument = 1 << 20

// Errors of the package (errors.Is).
var (
	// ErrUnknownModel: the URI names no model of this package.
	ErrUnknownModel = errors.New("datamodel: unknown data model")
	// ErrUnsupportedFormat: the model has no serialisation in that MIME
	// type (only application/xml and application/json are structured).
	ErrUnsupportedFormat = errors.New("datamodel: unsupported format")
	// ErrInvalid: the document does not conform to its model; a
	// *FieldError names the field.
	ErrInvalid = errors.New("datamodel: document does not conform to its data model")
)

// FieldError is a document that does not conform to its model because of
// one field (Path, "" for the document as a whole). It matches ErrInvalid.
//
// Reason names no value of the document, so that it may go into an EDM
// error detail or a log without personal data; Value is the offending
// value (shortened), if any.
type FieldError struct {
	Model  string // the model's URI
	Path   string // e.g. "Child/DateOfBirth"
	Reason string // e.g. "is not a date (xsd:date YYYY-MM-DD)"
	Value  string
}

// Error names the model, the field, the value and the reason.
func (e *FieldError) Error() string {
	what := "the document"
	if e.Path != "" {
		what = "field " + e.Path
	}
	if e.Value != "" {
		what += " " + quote(e.Value)
	}
	return fmt.Sprintf("datamodel: %s: %s %s", e.Model, what, e.Reason)
}

// Detail is the error without the value: model, field and reason.
func (e *FieldError) Detail() string {
	what := "the document"
	if e.Path != "" {
		what = "field " + e.Path
	}
	return fmt.Sprintf("%s %s (data model %s)", what, e.Reason, e.Model)
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Type is the type of a field's value.
type Type string

// Types of field values.
const (
	Text    Type = "text"    // any non-empty text (required) or text
	Date    Type = "date"    // xsd:date without time zone, YYYY-MM-DD, a real date
	Country Type = "country" // ISO 3166-1 alpha-2, upper case (EL for Greece)
	Decimal Type = "decimal" // xsd:decimal
	Code    Type = "code"    // one of Field.Codes
)

// Field is one field of a model.
type Field struct {
	// Path is the element path below the root, "/" between levels.
	Path     string
	Type     Type
	Required bool
	// Codes are the allowed values of a Code field.
	Codes []string
	// Label is the field's label by lower-case language code (en, de,
	// fr, fi, sv); en is always present.
	Label map[string]string
}

// LabelIn returns the field's label in lang, or in English.
func (f *Field) LabelIn(lang string) string {
	if l, ok := f.Label[strings.ToLower(lang)]; ok {
		return l
	}
	return f.Label["en"]
}

// Model is a data model of structured evidence.
type Model struct {
	// URI identifies the model in the Semantic Repository (2.0:
	// …/datamodels/<name>); it is the XML namespace of the root element.
	URI string
	// Aliases are other URIs naming the same model (the 1.x
	// …/distributions/<name>); documents may use them as namespace.
	Aliases []string
	// Root is the name of the XML root element.
	Root string
	// Title of the model by language.
	Title map[string]string
	// Fields in document order.
	Fields []Field
}

// Field returns the field of a path, or nil.
func (m *Model) Field(path string) *Field {
	for i := range m.Fields {
		if m.Fields[i].Path == path {
			return &m.Fields[i]
		}
	}
	return nil
}

// names reports whether uri names the model.
func (m *Model) names(uri string) bool {
	return uri == m.URI || slices.Contains(m.Aliases, uri)
}

// groups returns the group paths of the model (the inner nodes).
func (m *Model) isGroup(path string) bool {
	for _, f := range m.Fields {
		if strings.HasPrefix(f.Path, path+"/") {
			return true
		}
	}
	return false
}

// Base is the prefix of the Semantic Repository's data model URIs (EDM 2.0).
const Base = "https://sr.oots.tech.ec.europa.eu/datamodels/"

// distributions is the prefix of the 1.x distribution URIs of the demo data.
const distributions = "https://sr.oots.tech.europa.eu/distributions/"

func labels(en, de, fr, fi, sv string) map[string]string {
	return map[string]string{"en": en, "de": de, "fr": fr, "fi": fi, "sv": sv}
}

// Genders returns the codes of the Gender fields (as the eIDAS minimum data
// set writes them).
func Genders() []string { return []string{"Male", "Female", "Unspecified"} }

// BirthRecord returns the demo data model of a birth certificate, a fresh
// value on each call.
func BirthRecord() *Model {
	return &Model{
		URI:     Base + "certificate-of-birth-1.0.0",
		Aliases: []string{distributions + "certificate-of-birth-1.0.0"},
		Root:    "CertificateOfBirth",
		Title:   labels("Certificate of birth", "Geburtsurkunde", "Acte de naissance", "Syntymätodistus", "Födelsebevis"),
		Fields: []Field{
			documentID(), issuingCountry(),
			{Path: "RegistrationNumber", Type: Text, Required: true, Label: labels("Registration number", "Registernummer", "Numéro d'enregistrement", "Rekisterinumero", "Registreringsnummer")},
			issueDate(),
			personIdentifier("Child/"), familyName("Child/"), givenName("Child/"), dateOfBirth("Child/"),
			{Path: "Child/PlaceOfBirth", Type: Text, Label: labels("Place of birth", "Geburtsort", "Lieu de naissance", "Syntymäpaikka", "Födelseort")},
			{Path: "Child/Gender", Type: Code, Codes: Genders(), Label: labels("Sex", "Geschlecht", "Sexe", "Sukupuoli", "Kön")},
		},
	}
}

// SecondaryDiploma returns the demo data model of an upper-secondary
// school leaving certificate, a fresh value on each call.
func SecondaryDiploma() *Model {
	return &Model{
		URI:     Base + "secondary-education-diploma-1.0.0",
		Aliases: []string{distributions + "secondary-education-diploma-1.0.0"},
		Root:    "SecondaryEducationDiploma",
		Title: labels("Upper secondary school leaving certificate", "Zeugnis der allgemeinen Hochschulreife", "Diplôme de fin d'études secondaires",
			"Ylioppilastutkintotodistus", "Gymnasieexamen"),
		Fields: []Field{
			documentID(), issuingCountry(), issueDate(),
			personIdentifier("Holder/"), familyName("Holder/"), givenName("Holder/"), dateOfBirth("Holder/"),
			{Path: "School/Name", Type: Text, Required: true, Label: labels("School", "Schule", "Établissement", "Koulu", "Skola")},
			{Path: "School/Country", Type: Country, Label: labels("Country of the school", "Staat der Schule", "Pays de l'établissement", "Koulun maa", "Skolans land")},
			{Path: "Qualification", Type: Text, Required: true, Label: labels("Qualification", "Abschluss", "Diplôme", "Tutkinto", "Examen")},
			{Path: "AwardDate", Type: Date, Required: true, Label: labels("Awarded on", "Verliehen am", "Obtenu le", "Myönnetty", "Utfärdad den")},
			{Path: "FinalGrade", Type: Decimal, Label: labels("Final grade", "Abschlussnote", "Note finale", "Loppuarvosana", "Slutbetyg")},
		},
	}
}

// The fields the demo models share: the document's own, and a person's
// under prefix ("Child/", "Holder/").
func documentID() Field {
	return Field{Path: "Identifier", Type: Text, Required: true, Label: labels("Document identifier", "Kennung des Dokuments", "Identifiant du document", "Asiakirjan tunniste", "Dokumentets identifierare")}
}

func issuingCountry() Field {
	return Field{Path: "IssuingCountry", Type: Country, Required: true, Label: labels("Issuing country", "Ausstellender Staat", "Pays de délivrance", "Myöntävä maa", "Utfärdande land")}
}

func issueDate() Field {
	return Field{Path: "IssueDate", Type: Date, Required: true, Label: labels("Issued on", "Ausgestellt am", "Délivré le", "Myönnetty", "Utfärdat den")}
}

func personIdentifier(prefix string) Field {
	return Field{Path: prefix + "Identifier", Type: Text, Label: labels("Personal identifier", "Persönliche Kennung", "Identifiant personnel", "Henkilötunniste", "Personlig identifierare")}
}

func familyName(prefix string) Field {
	return Field{Path: prefix + "FamilyName", Type: Text, Required: true, Label: labels("Family name", "Familienname", "Nom de famille", "Sukunimi", "Efternamn")}
}

func givenName(prefix string) Field {
	return Field{Path: prefix + "GivenName", Type: Text, Required: true, Label: labels("Given name", "Vorname", "Prénom", "Etunimi", "Förnamn")}
}

func dateOfBirth(prefix string) Field {
	return Field{Path: prefix + "DateOfBirth", Type: Date, Required: true, Label: labels("Date of birth", "Geburtsdatum", "Date de naissance", "Syntymäaika", "Födelsedatum")}
}

// Models returns the models of this package, fresh values on each call.
func Models() []*Model { return []*Model{BirthRecord(), SecondaryDiploma()} }

// Lookup returns the model a URI names (its URI or an alias), a fresh
// value on each call.
func Lookup(uri string) (*Model, error) {
	for _, m := range Models() {
		if m.names(uri) {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownModel, uri)
}

// Structured reports whether a MIME type is a serialisation of the models
// (application/xml or application/json, parameters ignored).
func Structured(mime string) bool {
	switch mediaType(mime) {
	case MimeXML, MimeJSON:
		return true
	}
	return false
}

func mediaType(mime string) string {
	mt, _, _ := strings.Cut(mime, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// Validate checks that data, in the MIME type mime, conforms to the model
// uri. Errors: ErrUnknownModel, ErrUnsupportedFormat, or a *FieldError
// (ErrInvalid) naming the field that is wrong.
func Validate(uri, mime string, data []byte) error {
	_, err := Fields(uri, mime, data)
	return err
}

// Fields validates data like Validate and returns its values by path
// (absent optional fields are left out).
func Fields(uri, mime string, data []byte) (map[string]string, error) {
	m, err := Lookup(uri)
	if err != nil {
		return nil, err
	}
	return m.Read(mime, data)
}

// Read is Fields for the model m.
func (m *Model) Read(mime string, data []byte) (map[string]string, error) {
	if len(data) > MaxDocument {
		return nil, &FieldError{Model: m.URI, Reason: fmt.Sprintf("the document is larger than %d bytes", MaxDocument)}
	}
	var root *node
	var err error
	switch mediaType(mime) {
	case MimeXML:
		root, err = parseXML(m, data)
	case MimeJSON:
		root, err = parseJSON(m, data)
	default:
		return nil, fmt.Errorf("%w: %q (the data models are serialised as %s or %s)", ErrUnsupportedFormat, mime, MimeXML, MimeJSON)
	}
	if err != nil {
		return nil, err
	}
	return m.check(root)
}

// node is a document read in either serialisation: a group with children,
// or a leaf with a value.
type node struct {
	name     string
	children []*node
	value    string
	leaf     bool
}

// check validates the tree against the model and collects the values.
func (m *Model) check(root *node) (map[string]string, error) {
	out := map[string]string{}
	var walk func(prefix string, n *node) error
	walk = func(prefix string, n *node) error {
		seen := map[string]bool{}
		for _, c := range n.children {
			p := c.name
			if prefix != "" {
				p = prefix + "/" + c.name
			}
			if seen[c.name] {
				return &FieldError{Model: m.URI, Path: p, Reason: "appears more than once"}
			}
			seen[c.name] = true
			f := m.Field(p)
			switch {
			case f != nil:
				if !c.leaf {
					return &FieldError{Model: m.URI, Path: p, Reason: "must be a value, not a group"}
				}
				v := strings.TrimSpace(c.value)
				if reason := f.check(v); reason != "" {
					return &FieldError{Model: m.URI, Path: p, Reason: reason, Value: v}
				}
				if v != "" {
					out[p] = v
				}
			case m.isGroup(p):
				if c.leaf && strings.TrimSpace(c.value) != "" {
					return &FieldError{Model: m.URI, Path: p, Reason: "must be a group of fields, not a value"}
				}
				if err := walk(p, c); err != nil {
					return err
				}
			default:
				return &FieldError{Model: m.URI, Path: p, Reason: "is not a field of the data model"}
			}
		}
		return nil
	}
	if err := walk("", root); err != nil {
		return nil, err
	}
	for _, f := range m.Fields {
		if f.Required && out[f.Path] == "" {
			return nil, &FieldError{Model: m.URI, Path: f.Path, Reason: "is missing or empty (required)"}
		}
	}
	return out, nil
}

var (
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
	decimalRe = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
)

// check checks a value of the field (v is trimmed; "" is an absent value,
// which Required refuses elsewhere) and returns why it is wrong, or "".
func (f *Field) check(v string) string {
	if v == "" {
		return ""
	}
	switch f.Type {
	case Date:
		if _, err := time.Parse(time.DateOnly, v); err != nil || len(v) != 10 {
			return "is not a date (xsd:date YYYY-MM-DD)"
		}
	case Country:
		if !countryRe.MatchString(v) {
			return "is not a country code (two upper-case letters)"
		}
	case Decimal:
		if !decimalRe.MatchString(v) {
			return "is not a decimal number"
		}
	case Code:
		if !slices.Contains(f.Codes, v) {
			return "is not one of " + strings.Join(f.Codes, ", ")
		}
	}
	return ""
}

// quote is strconv.Quote of a value shortened for error messages.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

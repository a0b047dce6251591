package provider

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/eid"
)

// Records is an in-memory DataService: a register of people and companies
// with their evidence documents, for the demo and for tests.
//
// Matching rules:
//   - a person: when the request carries an eIDAS identifier and the record
//     has one issued by the same country, the local parts must be equal
//     (the identifiers' relying-party parts are ignored); otherwise (no
//     identifier, or one issued by another country) family name, given
//     name and date of birth must be equal, compared without case and
//     diacritics;
//   - a company: the eIDAS legal person identifier (issuing country and
//     local part), or the VAT registration number.
//
// Every matching record with documents of the requested type is returned;
// the connector refuses an answer that designates more than one subject.
type Records struct {
	People    []PersonRecord
	Companies []CompanyRecord
	// Now is the clock of the records' Pending evidence; default time.Now.
	Now func() time.Time
}

var _ DataService = (*Records)(nil)

// PersonRecord is a natural person of the register. Evidence maps an
// evidence type classification URI to the person's documents of that type.
type PersonRecord struct {
	Key      string
	Person   eid.NaturalPerson
	Evidence map[string][]Document
	// Pending maps an evidence type to its deferral: the documents of
	// that type are answered only once it has passed.
	Pending map[string]*Pending
}

// CompanyRecord is a company of the register. Representatives are the
// eIDAS identifiers of the people who act for it.
type CompanyRecord struct {
	Key             string
	Company         eid.LegalPerson
	Representatives []string
	Evidence        map[string][]Document
	Pending         map[string]*Pending
}

// Find returns the records matching q with their documents of the requested
// evidence type and formats.
func (rs *Records) Find(_ context.Context, q Query) (*Result, error) {
	res := &Result{}
	now := time.Now
	if rs.Now != nil {
		now = rs.Now
	}
	add := func(key string, ev map[string][]Document, pending map[string]*Pending) {
		var docs []Document
		for _, d := range ev[q.EvidenceType] {
			if formatWanted(q.Formats, d) {
				docs = append(docs, d)
			}
		}
		if p := pending[q.EvidenceType]; p != nil && len(docs) > 0 {
			if d := p.deferral(now()); d != nil {
				res.Matches = append(res.Matches, Match{Subject: key, Deferred: d})
				return
			}
		}
		if len(docs) > 0 {
			res.Matches = append(res.Matches, Match{Subject: key, Documents: docs})
		}
	}
	switch s := q.Subject; {
	case s.Company != nil:
		for _, c := range rs.Companies {
			if SameCompany(&c.Company, s.Company) {
				add(c.Key, c.Evidence, c.Pending)
			}
		}
	case s.Person != nil:
		for _, p := range rs.People {
			if recordMatches(&p.Person, s.Person) {
				add(p.Key, p.Evidence, p.Pending)
			}
		}
	}
	return res, nil
}

func formatWanted(fs []Format, d Document) bool {
	if len(fs) == 0 {
		return true
	}
	for _, f := range fs {
		if strings.EqualFold(f.Format, d.Format) && (f.ConformsTo == "" || sameModel(f.ConformsTo, d.ConformsTo)) {
			return true
		}
	}
	return false
}

// sameModel reports whether two ConformsTo URIs name the same data model:
// equal, or the 1.x distribution and the 2.0 data model URI of a model of
// package datamodel.
func sameModel(a, b string) bool {
	if a == b {
		return true
	}
	ma, err := datamodel.Lookup(a)
	if err != nil {
		return false
	}
	mb, err := datamodel.Lookup(b)
	return err == nil && ma.URI == mb.URI
}

// recordMatches is the register's rule: identifier when comparable, else
// names and date of birth.
func recordMatches(rec, q *eid.NaturalPerson) bool {
	rc, rl, rok := eid.LocalID(rec.Identifier)
	qc, ql, qok := eid.LocalID(q.Identifier)
	if rok && qok && rc == qc {
		return rl == ql
	}
	return sameNameAndBirth(rec, q)
}

func sameNameAndBirth(a, b *eid.NaturalPerson) bool {
	return a.DateOfBirth != "" && a.DateOfBirth == b.DateOfBirth &&
		Fold(a.FamilyName) == Fold(b.FamilyName) && Fold(a.GivenName) == Fold(b.GivenName)
}

// SamePerson reports whether two natural persons carry the same eIDAS
// identity: identifiers issued by the same country with the same local part
// (the relying-party part may differ). Persons without comparable
// identifiers are not the same by this rule; the preview space then asks
// the register (see the package documentation).
func SamePerson(a, b *eid.NaturalPerson) bool {
	if a == nil || b == nil {
		return false
	}
	ac, al, aok := eid.LocalID(a.Identifier)
	bc, bl, bok := eid.LocalID(b.Identifier)
	return aok && bok && ac == bc && al == bl
}

// SameCompany reports whether two legal persons are the same company: equal
// eIDAS legal person identifiers (issuing country and local part) or equal
// VAT registration numbers.
func SameCompany(a, b *eid.LegalPerson) bool {
	if a == nil || b == nil {
		return false
	}
	ac, al, aok := eid.LocalID(a.Identifier)
	bc, bl, bok := eid.LocalID(b.Identifier)
	if aok && bok && ac == bc && al == bl {
		return true
	}
	return a.VATRegistration != "" && normID(a.VATRegistration) == normID(b.VATRegistration)
}

func normID(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '.' {
			return -1
		}
		return r
	}, s))
}

// Fold returns s in lower case without diacritics and with runs of spaces
// and hyphens as one space, for comparing names ("Müller" = "MULLER",
// "Jean-Luc" = "jean luc"). Letters that are not a base letter with a
// diacritic are kept as they are, in lower case.
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsSpace(r) || r == '-' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue // a combining mark: the base letter was written
		}
		b.WriteRune(r)
	}
	return b.String()
}

var foldTable = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ł': "l", 'þ': "th", 'ð': "d"}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥ",
		"i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťț", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

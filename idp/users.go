package idp

import (
	"strings"

	"github.com/oots-go/oots/eid"
)

// User is a test user of a demo identity provider: a natural person with an
// eID of a given level, a demo PIN, and the companies the person may
// represent.
type User struct {
	// Local is the person's stable identifier at the identity provider of
	// Country: the last part of the eIDAS unique identifier
	// "CC/RP/Local". Evidence providers key their demo records on it.
	Local string
	// Country is the country that issued the eID (ISO 3166-1 alpha-2).
	Country string
	// PIN is the demo PIN; the login page shows it, since these are
	// published test identities.
	PIN string
	// LoA is the level of the person's eID, the highest level at which they
	// can log in.
	LoA eid.LoA
	// Person is the person's eIDAS minimum data set. Its Identifier is
	// empty: it depends on the relying party (see User.Identified).
	Person eid.NaturalPerson
	// Represents lists the companies the person may act for.
	Represents []Company
}

// Company is a legal person that a test user may represent.
type Company struct {
	// Local is the company's identifier in the national register, the last
	// part of its eIDAS legal person identifier "CC/RP/Local".
	Local string
	// LegalPerson is the company's eIDAS data set; its Identifier is empty,
	// like User.Person's.
	LegalPerson eid.LegalPerson
}

// Identifier returns the eIDAS unique identifier "CC/RP/local" of a person
// or company of country cc as sent to a relying party of country rp.
func Identifier(cc, rp, local string) string {
	return strings.ToUpper(cc) + "/" + strings.ToUpper(rp) + "/" + local
}

// Identified returns the person's data set as the identity provider sends
// it to a relying party of country rp: with the unique identifier
// Identifier(u.Country, rp, u.Local).
func (u User) Identified(rp string) eid.NaturalPerson {
	p := u.Person
	p.Identifier = Identifier(u.Country, rp, u.Local)
	return p
}

// Identified returns the company's data set as the identity provider of
// country cc sends it to a relying party of country rp.
func (c Company) Identified(cc, rp string) eid.LegalPerson {
	l := c.LegalPerson
	l.Identifier = Identifier(cc, rp, c.Local)
	return l
}

// Name returns the person's given and family name, for pages.
func (u User) Name() string { return u.Person.GivenName + " " + u.Person.FamilyName }

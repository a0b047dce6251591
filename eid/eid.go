// Package eid is the connector's view of electronic identification (SPEC.md
// §1.2 step 1): the eIDAS minimum data sets of a natural or legal person, the
// level of assurance, and Authenticator, the documented interface through
// which the requester's portal and the provider's preview space log a user
// in. The demo identity provider (package idp) implements it, and so does
// package eid/oidc, a relying party for national eIDs that speak OpenID
// Connect, and so does package eid/saml, a SAML service provider towards a
// Member State's eIDAS node; Mux chooses one per country of the eID.
package eid

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// LoA is an eIDAS level of assurance, by its URI
// (http://eidas.europa.eu/LoA/…), as eIDAS nodes send it.
type LoA string

// The eIDAS levels of assurance (Implementing Regulation (EU) 2015/1502).
const (
	LoALow         LoA = "http://eidas.europa.eu/LoA/low"
	LoASubstantial LoA = "http://eidas.europa.eu/LoA/substantial"
	LoAHigh        LoA = "http://eidas.europa.eu/LoA/high"
)

var loaRank = map[LoA]int{LoALow: 1, LoASubstantial: 2, LoAHigh: 3}

// Code returns the level's code in the OOTS LevelsOfAssurance code list
// (Low, Substantial, High), used in sdg:LevelOfAssurance; "" for an
// unknown level.
func (l LoA) Code() string {
	switch l {
	case LoALow:
		return "Low"
	case LoASubstantial:
		return "Substantial"
	case LoAHigh:
		return "High"
	}
	return ""
}

// ParseLoA returns the level of a code of the LevelsOfAssurance list (Low,
// Substantial, High, any case) or of its URI; ok is false otherwise.
func ParseLoA(s string) (l LoA, ok bool) {
	if _, ok := loaRank[LoA(s)]; ok {
		return LoA(s), true
	}
	switch strings.ToLower(s) {
	case "low":
		return LoALow, true
	case "substantial":
		return LoASubstantial, true
	case "high":
		return LoAHigh, true
	}
	return "", false
}

// AtLeast reports whether l is at least m (an unknown level is below every
// known one).
func (l LoA) AtLeast(m LoA) bool { return loaRank[l] >= loaRank[m] && loaRank[l] > 0 }

// NaturalPerson is the eIDAS minimum data set of a natural person (four
// mandatory attributes, four optional ones).
type NaturalPerson struct {
	// Identifier is the eIDAS unique identifier "XX/YY/ZZZ": the country
	// of the eID, the country of the relying party, and the identifier
	// proper.
	Identifier  string `json:"identifier"`
	FamilyName  string `json:"familyName"`
	GivenName   string `json:"givenName"`
	DateOfBirth string `json:"dateOfBirth"` // YYYY-MM-DD
	// Optional attributes.
	BirthName      string `json:"birthName,omitempty"`
	PlaceOfBirth   string `json:"placeOfBirth,omitempty"`
	CurrentAddress string `json:"currentAddress,omitempty"`
	Gender         string `json:"gender,omitempty"` // Male, Female, Unspecified
}

// LegalPerson is the eIDAS minimum data set of a legal person (two
// mandatory attributes) with the optional ones OOTS uses.
type LegalPerson struct {
	// Identifier is the eIDAS legal person identifier "XX/YY/ZZZ".
	Identifier        string `json:"identifier"`
	LegalName         string `json:"legalName"`
	RegisteredAddress string `json:"registeredAddress,omitempty"`
	VATRegistration   string `json:"vatRegistration,omitempty"`
	TaxReference      string `json:"taxReference,omitempty"`
	LEI               string `json:"lei,omitempty"`
	EORI              string `json:"eori,omitempty"`
}

// Subject is an authenticated user: the natural person who logged in and,
// when they act for a company, the company (the person is then its
// representative).
type Subject struct {
	Person  *NaturalPerson `json:"person"`
	Company *LegalPerson   `json:"company,omitempty"`
	LoA     LoA            `json:"loa"`
	// Issuer names the identity provider that vouched for the subject;
	// Country is the country of the eID (ISO 3166-1 alpha-2).
	Issuer   string    `json:"issuer"`
	Country  string    `json:"country"`
	AuthTime time.Time `json:"authTime"`
}

// LocalID returns the last part of an eIDAS unique identifier
// ("XX/YY/ZZZ" → "ZZZ") and the country that issued it ("XX"); ok is false
// when id has not that form. Two identifiers of one person given to
// relying parties of different countries share both.
func LocalID(id string) (country, local string, ok bool) {
	parts := strings.SplitN(id, "/", 3)
	if len(parts) != 3 || !countryCode(parts[0]) || !countryCode(parts[1]) || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// countryCode reports whether s is two ASCII letters (ISO 3166-1 alpha-2;
// eIDAS writes them in upper case, some nodes do not).
func countryCode(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// Errors an Authenticator's Finish wraps when the identity provider vouched
// for the user but the login cannot be accepted; trying again with the same
// eID does not help, so applications tell the user so.
var (
	// ErrNoIdentifier: the provider gives no eIDAS unique identifier and
	// the configuration refuses such logins.
	ErrNoIdentifier = errors.New("the identity provider gives no eIDAS unique identifier, and this service accepts none other")
	// ErrLoA: the login's level of assurance is unknown or below the
	// minimum.
	ErrLoA = errors.New("the level of assurance of the login is too low or unknown")
)

// Authenticator logs users in for a web application (the requester's portal,
// the provider's preview space).
//
// The application's login route calls Begin, which answers the browser with
// the start of a login (a redirect to the identity provider, or a page such
// as the choice of the eID's country); after the login the browser comes
// back to callback, whose handler calls Finish. state is opaque to the
// authenticator and returned by Finish unchanged; the application binds it
// to the browser (a cookie) so that a callback cannot be replayed into
// another browser.
type Authenticator interface {
	Begin(w http.ResponseWriter, r *http.Request, state, callback string)
	// Finish verifies the answer of the identity provider on the callback
	// request and returns the subject and the state given to Begin.
	Finish(r *http.Request) (*Subject, string, error)
}

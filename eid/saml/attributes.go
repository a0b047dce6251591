package saml

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/xmltree"
)

// Attribute is an eIDAS attribute (eIDAS SAML Attribute Profile §2): its
// URI Name and its FriendlyName.
type Attribute struct{ Name, Friendly string }

const (
	npPrefix = "http://eidas.europa.eu/attributes/naturalperson/"
	lpPrefix = "http://eidas.europa.eu/attributes/legalperson/"
	// RepresentativePrefix begins the names of the representative's
	// natural-person attributes (eIDAS SAML Attribute Profile §2.6): the
	// same local names as the natural person's, after it.
	RepresentativePrefix = npPrefix + "representative/"
)

// The attributes of the natural person's minimum data set (§2.2) and of the
// legal person's (§2.3) this package asks for and reads.
var (
	attrPersonIdentifier = Attribute{npPrefix + "PersonIdentifier", "PersonIdentifier"}
	attrFamilyName       = Attribute{npPrefix + "CurrentFamilyName", "FamilyName"}
	attrFirstName        = Attribute{npPrefix + "CurrentGivenName", "FirstName"}
	attrDateOfBirth      = Attribute{npPrefix + "DateOfBirth", "DateOfBirth"}
	attrBirthName        = Attribute{npPrefix + "BirthName", "BirthName"}
	attrPlaceOfBirth     = Attribute{npPrefix + "PlaceOfBirth", "PlaceOfBirth"}
	attrCurrentAddress   = Attribute{npPrefix + "CurrentAddress", "CurrentAddress"}
	attrGender           = Attribute{npPrefix + "Gender", "Gender"}

	attrLegalPersonIdentifier = Attribute{lpPrefix + "LegalPersonIdentifier", "LegalPersonIdentifier"}
	attrLegalName             = Attribute{lpPrefix + "LegalName", "LegalName"}
	attrLegalAddress          = Attribute{lpPrefix + "LegalPersonAddress", "LegalAddress"}
	attrVATRegistration       = Attribute{lpPrefix + "VATRegistrationNumber", "VATRegistration"}
	attrTaxReference          = Attribute{lpPrefix + "TaxReference", "TaxReference"}
	attrLEI                   = Attribute{lpPrefix + "LEI", "LEI"}
	attrEORI                  = Attribute{lpPrefix + "EORI", "EORI"}
)

// maxAttrValue bounds one attribute value (a postal address is the longest).
const maxAttrValue = 4096

// attributes reads the saml:AttributeStatement of a verified assertion into
// name → value. Every attribute has one value, but for a name written in a
// non-Latin script, which the node gives transliterated and may give as
// written too, in values marked LatinScript="false" (eIDAS SAML Attribute
// Profile §2.2: CurrentFamilyName, CurrentGivenName, BirthName; §2.3
// LegalName): the Latin value is kept. A value must be text only (no
// comment, no child element: the defence against values cut by a comment);
// CurrentAddress, base64 of an eIDAS address, is kept as it is.
// inTwoScripts reports the attributes that may carry a value in the
// original script beside the Latin one: the names of the eIDAS SAML
// Attribute Profile (§2.2 CurrentFamilyName, CurrentGivenName, BirthName;
// §2.3 LegalName), the natural person's, the legal person's and their
// representatives'.
func inTwoScripts(name string) bool {
	local, ok := strings.CutPrefix(name, npPrefix)
	if !ok {
		if local, ok = strings.CutPrefix(name, lpPrefix); !ok {
			return false
		}
	}
	local = strings.TrimPrefix(local, "representative/")
	switch local {
	case "CurrentFamilyName", "CurrentGivenName", "BirthName", "LegalName":
		return true
	}
	return false
}

func (a *Authenticator) attributes(as *xmltree.Element) (map[string]string, error) {
	out := map[string]string{}
	for _, st := range as.ChildrenNamed(NSAssertion, "AttributeStatement") {
		for _, at := range st.ChildrenNamed(NSAssertion, "Attribute") {
			name := at.SelectAttr("", "Name")
			vs := at.ChildrenNamed(NSAssertion, "AttributeValue")
			if len(vs) == 2 && inTwoScripts(name) {
				var latin []*xmltree.Element
				for _, v := range vs {
					if !notLatin(v) {
						latin = append(latin, v)
					}
				}
				if len(latin) != 1 {
					return nil, fmt.Errorf("attribute %s has %d values, %d of them in Latin script (one expected, with at most a non-Latin one marked LatinScript=\"false\" beside it)", name, len(vs), len(latin))
				}
				vs = latin
			}
			if len(vs) != 1 {
				return nil, fmt.Errorf("attribute %s has %d values (one expected)", name, len(vs))
			}
			v, err := a.text(vs[0])
			if err != nil {
				return nil, fmt.Errorf("attribute %s: %w", name, err)
			}
			if len(v) > maxAttrValue {
				return nil, fmt.Errorf("attribute %s: value of %d octets", name, len(v))
			}
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("attribute %s given twice", name)
			}
			out[name] = v
		}
	}
	return out, nil
}

// notLatin reports whether an attribute value is marked as written in a
// non-Latin script: LatinScript, an xs:boolean, false.
func notLatin(v *xmltree.Element) bool {
	ls, ok := v.AttrValue("", "LatinScript")
	ls = strings.TrimSpace(ls)
	return ok && (ls == "false" || ls == "0")
}

// text returns the character data of e, refusing an element whose content
// is anything but text: a comment or an element inside a value is how
// values are cut short in some libraries (the "comment in NameID" attack),
// and no eIDAS value needs either.
func (a *Authenticator) text(e *xmltree.Element) (string, error) {
	if !a.checks.off(checkStrictText) {
		for _, c := range e.Children {
			if _, ok := c.(*xmltree.CharData); !ok {
				return "", fmt.Errorf("%s holds something other than text (a comment or an element)", e.Name.Local)
			}
		}
		return strings.TrimSpace(e.Text()), nil
	}
	// Without the check: the first text node, as vulnerable libraries read it.
	for _, c := range e.Children {
		if cd, ok := c.(*xmltree.CharData); ok {
			return strings.TrimSpace(cd.Data), nil
		}
	}
	return "", nil
}

// ErrRepresentedPerson: the login is of a representative of another
// natural person, which eid.Subject cannot carry (it has the person who
// logged in and the company they act for).
var ErrRepresentedPerson = errors.New("the login is on behalf of another natural person, which this service does not support")

// subject maps the attributes to the eIDAS minimum data sets. When the
// node gives a representative's attributes (Attribute Profile §2.6), the
// representative is the person who logged in and the legal person the
// company they act for.
func subject(attrs map[string]string, country string) (*eid.NaturalPerson, *eid.LegalPerson, error) {
	rep := map[string]string{}
	for k, v := range attrs {
		if strings.HasPrefix(k, RepresentativePrefix) {
			rep[npPrefix+strings.TrimPrefix(k, RepresentativePrefix)] = v
		}
	}
	if len(rep) > 0 {
		if attrs[attrPersonIdentifier.Name] != "" {
			return nil, nil, ErrRepresentedPerson
		}
		if attrs[attrLegalPersonIdentifier.Name] == "" {
			return nil, nil, errors.New("a representative's attributes without the legal person represented")
		}
		for k, v := range attrs {
			if strings.HasPrefix(k, lpPrefix) {
				rep[k] = v
			}
		}
		attrs = rep
	}
	np := &eid.NaturalPerson{
		Identifier:     attrs[attrPersonIdentifier.Name],
		FamilyName:     attrs[attrFamilyName.Name],
		GivenName:      attrs[attrFirstName.Name],
		DateOfBirth:    attrs[attrDateOfBirth.Name],
		BirthName:      attrs[attrBirthName.Name],
		PlaceOfBirth:   attrs[attrPlaceOfBirth.Name],
		CurrentAddress: attrs[attrCurrentAddress.Name],
		Gender:         gender(attrs[attrGender.Name]),
	}
	if np.Identifier == "" {
		return nil, nil, eid.ErrNoIdentifier
	}
	if c, _, ok := eid.LocalID(np.Identifier); !ok {
		return nil, nil, fmt.Errorf("PersonIdentifier %q is not an eIDAS unique identifier", np.Identifier)
	} else if !strings.EqualFold(c, country) {
		return nil, nil, fmt.Errorf("PersonIdentifier %q was issued by %s, not by %s whose node answered", np.Identifier, c, country)
	}
	if np.FamilyName == "" || np.GivenName == "" || np.DateOfBirth == "" {
		return nil, nil, fmt.Errorf("the natural person's mandatory attributes (FamilyName, FirstName, DateOfBirth) are not all given")
	}
	d, ok := date(np.DateOfBirth)
	if !ok {
		return nil, nil, fmt.Errorf("DateOfBirth %q is not an xs:date (YYYY-MM-DD)", np.DateOfBirth)
	}
	np.DateOfBirth = d
	var lp *eid.LegalPerson
	if id := attrs[attrLegalPersonIdentifier.Name]; id != "" {
		lp = &eid.LegalPerson{Identifier: id, LegalName: attrs[attrLegalName.Name], RegisteredAddress: attrs[attrLegalAddress.Name],
			VATRegistration: attrs[attrVATRegistration.Name], TaxReference: attrs[attrTaxReference.Name], LEI: attrs[attrLEI.Name], EORI: attrs[attrEORI.Name]}
		if lp.LegalName == "" {
			return nil, nil, fmt.Errorf("LegalPersonIdentifier without LegalName")
		}
	}
	return np, lp, nil
}

// date returns an xs:date (eIDAS SAML Attribute Profile §2.2.4,
// DateOfBirthType) as YYYY-MM-DD: the date, its time zone (Z or ±hh:mm),
// which xs:date allows, dropped. ok is false for anything else.
func date(s string) (string, bool) {
	if len(s) < len(time.DateOnly) {
		return "", false
	}
	d, zone := s[:len(time.DateOnly)], s[len(time.DateOnly):]
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return "", false
	}
	if zone != "" && zone != "Z" {
		if _, err := time.Parse("-07:00", zone); err != nil || len(zone) != len("+00:00") {
			return "", false
		}
	}
	return d, true
}

// gender maps the eIDAS values (Attribute Profile §2.2.8: Male, Female,
// Unspecified) to eid's.
func gender(v string) string {
	switch strings.ToLower(v) {
	case "male":
		return "Male"
	case "female":
		return "Female"
	case "":
		return ""
	}
	return "Unspecified"
}

package oidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
)

// Errors of a login whose ID token is genuine but does not give what OOTS
// needs; Finish wraps them in ErrLogin.
var (
	// ErrNoIdentifier: the provider gave no eIDAS unique identifier and
	// its policy is Refuse (eid.ErrNoIdentifier).
	ErrNoIdentifier = eid.ErrNoIdentifier
	// ErrLoA: the token's acr is missing, unknown, or below the minimum
	// (eid.ErrLoA).
	ErrLoA = eid.ErrLoA
	// ErrAttributes: a mandatory attribute of the minimum data set is
	// missing or malformed.
	ErrAttributes = errors.New("the identity provider did not give the eIDAS minimum data set")
)

// maxClaim bounds one attribute's value.
const maxClaim = 1024

// person maps the claims of a verified ID token (its JSON payload) to the
// minimum data set and the level of assurance, after the provider's
// configuration p; cc is the provider's country and rp ours.
func person(payload []byte, p *Provider, cc, rp string) (*eid.NaturalPerson, eid.LoA, error) {
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, "", fmt.Errorf("claims: %w", err)
	}
	acr, _ := claims["acr"].(string)
	loa, ok := p.ACR[acr]
	switch {
	case acr == "":
		return nil, "", fmt.Errorf("%w: the token has no acr", ErrLoA)
	case !ok:
		return nil, "", fmt.Errorf("%w: acr %q is not in the configured table", ErrLoA, acr)
	case !loa.AtLeast(p.min()):
		return nil, "", fmt.Errorf("%w: acr %q is %s, below %s", ErrLoA, acr, loa.Code(), p.min().Code())
	}
	m := p.claims()
	get := func(name string) (string, error) { return claim(claims, name) }
	np := &eid.NaturalPerson{}
	for _, f := range []struct {
		name string
		dst  *string
		req  bool
	}{
		{m.FamilyName, &np.FamilyName, true},
		{m.GivenName, &np.GivenName, true},
		{m.DateOfBirth, &np.DateOfBirth, true},
		{m.BirthName, &np.BirthName, false},
		{m.PlaceOfBirth, &np.PlaceOfBirth, false},
		{m.CurrentAddress, &np.CurrentAddress, false},
		{m.Gender, &np.Gender, false},
	} {
		v, err := get(f.name)
		if err != nil {
			return nil, "", err
		}
		if v == "" && f.req {
			return nil, "", fmt.Errorf("%w: claim %q is missing", ErrAttributes, f.name)
		}
		*f.dst = v
	}
	if _, err := time.Parse(time.DateOnly, np.DateOfBirth); err != nil {
		return nil, "", fmt.Errorf("%w: date of birth %q is not YYYY-MM-DD", ErrAttributes, np.DateOfBirth)
	}
	np.Gender = gender(np.Gender)

	id, err := get(m.Identifier)
	if err != nil {
		return nil, "", err
	}
	if id != "" {
		c, _, ok := eid.LocalID(id)
		if !ok || !strings.EqualFold(c, cc) {
			return nil, "", fmt.Errorf("%w: identifier %q is not an eIDAS unique identifier of %s", ErrAttributes, id, cc)
		}
		np.Identifier = id
		return np, loa, nil
	}
	if p.Identifier != Derive {
		return nil, "", ErrNoIdentifier
	}
	from := p.DeriveFrom
	if from == "" {
		from = "sub"
	}
	v, err := get(from)
	if err != nil {
		return nil, "", err
	}
	if v == "" || strings.ContainsAny(v, "\x00\r\n") {
		return nil, "", fmt.Errorf("%w: claim %q to derive the identifier from is missing", ErrAttributes, from)
	}
	np.Identifier = cc + "/" + rp + "/" + v
	return np, loa, nil
}

// claim returns the string value of the claim at a dotted path; "" when
// name is empty or the claim absent. A number is written in decimal; any
// other type is an error.
func claim(claims map[string]any, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	var v any = claims
	for _, k := range strings.Split(name, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", nil
		}
		if v, ok = obj[k]; !ok {
			return "", nil
		}
	}
	var s string
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		s = t
	case float64:
		s = fmt.Sprint(t)
	default:
		return "", fmt.Errorf("%w: claim %q is a %T, not a string", ErrAttributes, name, v)
	}
	if len(s) > maxClaim {
		return "", fmt.Errorf("%w: claim %q is longer than %d octets", ErrAttributes, name, maxClaim)
	}
	return strings.TrimSpace(s), nil
}

// gender maps the OpenID gender values (Core §5.1: "female", "male", or
// another) to eIDAS's Male, Female, Unspecified.
func gender(s string) string {
	switch strings.ToLower(s) {
	case "":
		return ""
	case "male":
		return "Male"
	case "female":
		return "Female"
	}
	return "Unspecified"
}

func (p *Provider) min() eid.LoA {
	if p.MinLoA == "" {
		return eid.LoASubstantial
	}
	return p.MinLoA
}

func (p *Provider) claims() Claims {
	if p.Claims == nil {
		return StandardClaims()
	}
	return *p.Claims
}

// acrValues are the acr values at or above the minimum, asked for in the
// authorization request (OpenID Connect Core §3.1.2.1), sorted.
func (p *Provider) acrValues() []string {
	var vs []string
	for v, l := range p.ACR {
		if l.AtLeast(p.min()) {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

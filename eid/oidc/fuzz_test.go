package oidc

import (
	"strings"
	"testing"

	"github.com/oots-go/oots/eid"
)

// FuzzPerson feeds ID token payloads to the claim mapping: it must not
// panic, and what it accepts must be a complete minimum data set with an
// identifier of the provider's country, at a level not below the minimum.
func FuzzPerson(f *testing.F) {
	for _, s := range []string{
		`{"acr":"eidas2","family_name":"Dupont","given_name":"Marie","birthdate":"1985-04-12","eidas_id":"FR/DE/42"}`,
		`{"acr":"eidas3","family_name":"Dupont","given_name":"Marie","birthdate":"1985-04-12","sub":"x","address":{"formatted":"1 rue"}}`,
		`{"acr":"eidas1","family_name":1,"given_name":null,"birthdate":"1985-13-40","gender":"other"}`,
		`{"address":"flat","acr":["eidas2"]}`,
		`[]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	claims := StandardClaims()
	claims.Identifier = "eidas_id"
	f.Fuzz(func(t *testing.T, payload []byte, derive bool) {
		p := Provider{Claims: &claims, ACR: map[string]eid.LoA{"eidas1": eid.LoALow, "eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh}}
		if derive {
			p.Identifier = Derive
		}
		np, loa, err := person(payload, &p, "FR", "DE")
		if err != nil {
			return
		}
		if !loa.AtLeast(eid.LoASubstantial) {
			t.Fatalf("accepted at %s", loa)
		}
		if c, _, ok := eid.LocalID(np.Identifier); !ok || !strings.EqualFold(c, "FR") {
			t.Fatalf("accepted identifier %q", np.Identifier)
		}
		if np.FamilyName == "" || np.GivenName == "" || len(np.DateOfBirth) != 10 {
			t.Fatalf("accepted an incomplete data set %+v", np)
		}
	})
}

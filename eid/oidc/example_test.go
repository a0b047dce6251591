package oidc_test

import (
	"fmt"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
)

// A national provider that gives the identity at its userinfo endpoint and
// no eIDAS unique identifier: the configuration must say what to do about
// the identifier, and a mistake is reported at start-up.
func ExampleNew() {
	fr := oidc.Provider{
		Issuer:   "https://idp.example.fr",
		ClientID: "oots-portal", ClientSecret: "…",
		UserInfo: true,
		ACR:      map[string]eid.LoA{"eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh},
		// Identifiers made of the pairwise sub: CC/RP/sub.
		Identifier: oidc.Derive,
	}
	_, err := oidc.New(oidc.Config{Providers: map[string]oidc.Provider{"FR": fr}})
	fmt.Println(err)

	_, err = oidc.New(oidc.Config{Providers: map[string]oidc.Provider{"FR": fr}, Country: "DE"})
	fmt.Println(err)
	// Output:
	// oidc: Config.Country "" must be the relying party's upper-case country code when Providers[FR] derives identifiers
	// <nil>
}

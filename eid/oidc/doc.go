// Package oidc is an OpenID Connect relying party for national eID schemes
// that speak OpenID Connect (France's FranceConnect+, for one): an
// eid.Authenticator for the requester's portal and the provider's preview
// space, beside the demo identity provider (package idp) and an eIDAS node.
//
// It implements the authorization code flow of OpenID Connect Core 1.0
// §3.1 on github.com/coreos/go-oidc (discovery, JWKS, ID token
// verification, with go-jose) and golang.org/x/oauth2 (the token request):
//
//	browser ──GET login──▶ app ──Begin──▶ 303 to the provider's authorization endpoint
//	        (state, nonce, code_challenge S256, acr_values; cookie oots_oidc binds the login to the browser)
//	browser ◀─────────── provider: login, consent ───────────▶ 303 to the callback ?code&state
//	browser ──GET callback──▶ app ──Finish──▶ token endpoint (code, code_verifier, client secret)
//	        ID token: signature (JWKS; an unknown kid fetches the set again, once), alg not none/HMAC,
//	        iss, aud, exp and iat with a bounded skew, nonce, acr ≥ minimum → eid.Subject
//
// Each step's checks:
//   - Discovery (OpenID Connect Discovery 1.0 §4): the document at
//     Issuer/.well-known/openid-configuration must name the configured
//     issuer; it is fetched at the first login of each provider and kept.
//   - Begin: a fresh 256-bit state, nonce and PKCE verifier (RFC 7636)
//     per login, held until Finish by Config.Pending, at most Config.MaxPending
//     of them, each for Config.LoginTTL; the browser gets a random cookie
//     whose hash the login remembers; prompt=login is sent when
//     Config.Reauthenticate (the preview space logs the user in again).
//   - Finish: the state is used once (taken before anything else is
//     checked), and only from the browser that began the login; an iss
//     in the answer must be the provider's, and a provider whose discovery
//     document announces authorization_response_iss_parameter_supported
//     must send it (RFC 9207); the code is
//     redeemed with its PKCE verifier; the ID token is verified as
//     above (with azp naming us when there are several audiences), its
//     acr mapped through Provider.ACR to an eIDAS level not
//     below Provider.MinLoA (default substantial).
//   - Every answer of a provider is cut at Config.MaxResponse, every call
//     bounded by the HTTP client's timeout (10 s by default).
//
// # Logins that are not an eIDAS subject
//
// Client is the same relying party for one provider, for an application
// that maps the verified claims itself: the operator's console logs staff
// in through the organisation's provider and maps their groups to roles.
// It runs every check above except those of eIDAS (acr, the minimum data
// set) and returns the ID token's claims (Identity); Config.Cookie gives its
// binding cookie a name of its own.
//
// # Claims and the eIDAS unique identifier
//
// Provider.Claims names the claims that hold the eIDAS minimum data set
// (eid.NaturalPerson); StandardClaims(), the default, maps OpenID's standard
// claims (family_name, given_name, birthdate, gender, address.formatted).
// A provider that gives a complete eIDAS identifier "CC/RP/…" names its
// claim in Claims.Identifier. One that cannot (FranceConnect+ gives a
// pairwise sub) falls under Provider.Identifier: Refuse, the default,
// refuses the login with ErrNoIdentifier, because an identifier we make up
// is not the one the country's eIDAS node gives and evidence providers
// that match on it would not find the person; Derive, chosen knowingly,
// makes "CC/RP/<claim>" of Provider.DeriveFrom (default sub). A provider
// that gives the identity at its userinfo endpoint rather than in the ID
// token (FranceConnect+ does) sets Provider.UserInfo: the userinfo claims
// fill what the ID token lacks, under the same sub (Core §5.3.2).
//
// # Connecting a national provider
//
// Register a confidential client at the provider with the redirect URI of
// the application's callback as the browser sees it (the portal's
// BaseURL + "/login/callback", the preview space's callback), then
// configure, per country of the eID:
//
//	oidc.Provider{
//		Issuer:       "https://auth.example.gouv.fr/api/v2", // its discovery document's issuer
//		ClientID:     "…", ClientSecret: "…",
//		Scopes:       []string{"given_name", "family_name", "birthdate", "gender", "birthplace"},
//		Claims:       &oidc.Claims{FamilyName: "family_name", GivenName: "given_name", DateOfBirth: "birthdate", Gender: "gender", PlaceOfBirth: "birthplace"},
//		UserInfo:     true,
//		ACR:          map[string]eid.LoA{"eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh},
//		Identifier:   oidc.Refuse,
//	}
//
// Not implemented: signed or encrypted request objects (JAR), encrypted ID
// tokens and userinfo answers (FranceConnect+ can encrypt them: configure it
// not to), private_key_jwt client authentication, logout, and legal persons (Subject.Company stays
// nil). The discovery document is not fetched again: a provider that
// moves its endpoints needs a restart.
//
// # Clusters
//
// The logins under way are kept by Config.Pending: by default in the memory
// of the process, where the callback must then come back; SQLPending keeps
// them in the node's database (table oidc_pending), so that several
// instances behind a load balancer without sticky sessions take each
// other's callbacks, each state once on all of them.
package oidc

package oidc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
)

// IdentifierPolicy says what a login does when the provider gives no eIDAS
// unique identifier (FranceConnect+, for one, gives a pairwise "sub" and no
// eIDAS identifier).
type IdentifierPolicy string

const (
	// Refuse refuses the login with ErrNoIdentifier. It is the default:
	// an identifier made up on our side is not the one the country's
	// eIDAS node gives, so the evidence providers that match persons on
	// the eIDAS identifier would not recognise the person, and an
	// operator must choose knowingly to accept that.
	Refuse IdentifierPolicy = "refuse"
	// Derive makes the identifier "CC/RP/value" from the claim named by
	// Provider.DeriveFrom, CC being the provider's country and RP
	// Config.Country. Evidence providers then match the person on the
	// other attributes of the minimum data set.
	Derive IdentifierPolicy = "derive"
)

// Claims names, for each attribute of the eIDAS minimum data set of a
// natural person, the claim of the ID token that holds it. A name may be a
// dotted path into an object claim ("address.formatted"). An empty name
// means the provider does not give the attribute.
type Claims struct {
	// Identifier holds a complete eIDAS unique identifier "CC/RP/…";
	// empty when the provider has none (see Provider.Identifier).
	Identifier     string `json:"identifier,omitempty"`
	FamilyName     string `json:"familyName,omitempty"`
	GivenName      string `json:"givenName,omitempty"`
	DateOfBirth    string `json:"dateOfBirth,omitempty"`
	BirthName      string `json:"birthName,omitempty"`
	PlaceOfBirth   string `json:"placeOfBirth,omitempty"`
	CurrentAddress string `json:"currentAddress,omitempty"`
	Gender         string `json:"gender,omitempty"`
}

// StandardClaims returns the mapping of the standard claims of OpenID
// Connect Core §5.1 to the minimum data set; it has no identifier claim.
// It is the default of Provider.Claims.
func StandardClaims() Claims {
	return Claims{
		FamilyName:     "family_name",
		GivenName:      "given_name",
		DateOfBirth:    "birthdate",
		CurrentAddress: "address.formatted",
		Gender:         "gender",
	}
}

// Provider is a national OpenID provider, the eID scheme of one country.
type Provider struct {
	// Issuer is the provider's issuer identifier; its discovery document
	// is Issuer + "/.well-known/openid-configuration" (OpenID Connect
	// Discovery §4) and must name the same issuer. Required, https (http
	// only on loopback).
	Issuer string `json:"issuer"`
	// ClientID and ClientSecret are our registration at the provider;
	// the secret is sent with HTTP Basic authentication (or in the body
	// when the provider says so in its discovery document). ClientID is
	// required; the secret may be empty for a public client.
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret,omitempty"`
	// Scopes asked for besides "openid"; default "profile".
	Scopes []string `json:"scopes,omitempty"`
	// Claims maps the ID token's claims to the minimum data set; default
	// StandardClaims().
	Claims *Claims `json:"claims,omitempty"`
	// ACR maps the values of the ID token's acr claim to eIDAS levels of
	// assurance (for example FranceConnect+ "eidas2" → substantial,
	// "eidas3" → high). Required: a login without an acr in this table is
	// refused.
	ACR map[string]eid.LoA `json:"acr"`
	// MinLoA is the lowest level accepted; default substantial, the
	// level OOTS asks of the eID for most procedures. The acr values of
	// ACR at or above it are asked for in acr_values.
	MinLoA eid.LoA `json:"minLoA,omitempty"`
	// UserInfo asks the userinfo endpoint for the claims the ID token
	// lacks (FranceConnect+ gives the identity there); the ID token's
	// claims prevail, and acr is read from the ID token only.
	UserInfo bool `json:"userInfo,omitempty"`
	// Identifier is the policy when Claims.Identifier is empty or the
	// token lacks it; default Refuse.
	Identifier IdentifierPolicy `json:"identifierPolicy,omitempty"`
	// DeriveFrom is the claim the Derive policy makes the identifier of;
	// default "sub".
	DeriveFrom string `json:"deriveFrom,omitempty"`
}

// Config configures an Authenticator.
type Config struct {
	// Providers are the accepted providers by country of the eID (ISO
	// 3166-1 alpha-2, upper case). Required.
	Providers map[string]Provider
	// Country is the country of the relying party (upper case), the
	// second part of a derived identifier; required when a provider
	// derives identifiers.
	Country string
	// BaseURL is the application's external base URL (scheme and host),
	// from which a relative callback is made absolute; default the
	// request's scheme and Host.
	BaseURL string
	// HTTPClient calls the discovery, JWKS and token endpoints; its
	// answers are cut at MaxResponse. Default a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// MaxResponse bounds each answer of a provider; default 256 KiB.
	MaxResponse int64
	// MaxPending caps the logins begun and not finished; Begin answers
	// 503 when it is reached. Default 10000.
	MaxPending int
	// LoginTTL is how long a begun login may take; default 10 minutes.
	LoginTTL time.Duration
	// Pending keeps the logins begun and not finished; default the
	// memory of this process, where the callback must then come back.
	// SQLPending keeps them in the node's database, for a cluster of
	// instances.
	Pending PendingStore
	// Skew is the clock difference tolerated with the provider on exp and
	// iat; default 1 minute, at most 5 minutes.
	Skew time.Duration
	// Now and Rand are the clock and the source of state, nonce and PKCE
	// verifier; default time.Now and crypto/rand.
	Now  func() time.Time
	Rand io.Reader
	// Reauthenticate asks the provider to authenticate the user again
	// even when it has a session with them (prompt=login, OpenID Connect
	// Core §3.1.2.1), as the preview space must (SPEC.md §1.2 step 5).
	Reauthenticate bool
	// Logger records refused logins; default slog.Default().
	Logger *slog.Logger
	// Cookie is the name of the cookie that binds a login to the browser;
	// default CookieName. A relying party served on the same host as
	// another (cookies do not tell ports apart) names its own, so that a
	// login begun at one does not replace the other's.
	Cookie string
}

// Defaults of Config.
const (
	DefaultMaxResponse = 256 << 10
	DefaultMaxPending  = 10000
	DefaultLoginTTL    = 10 * time.Minute
	DefaultSkew        = time.Minute
	maxSkew            = 5 * time.Minute
	defaultTimeout     = 10 * time.Second
)

// Validate reports the first field of c that is missing or wrong.
func (c *Config) Validate() error {
	if len(c.Providers) == 0 {
		return errors.New("oidc: Config.Providers is empty")
	}
	for cc, p := range c.Providers {
		if !upperCountry(cc) {
			return fmt.Errorf("oidc: Config.Providers: %q is not an upper-case ISO 3166-1 alpha-2 code", cc)
		}
		if err := p.validateClient(fmt.Sprintf("Config.Providers[%s]", cc)); err != nil {
			return err
		}
		if len(p.ACR) == 0 {
			return fmt.Errorf("oidc: Config.Providers[%s].ACR is empty: without it no login reaches a level of assurance", cc)
		}
		for v, l := range p.ACR {
			if l.Code() == "" {
				return fmt.Errorf("oidc: Config.Providers[%s].ACR[%q]: %q is not an eIDAS level of assurance", cc, v, l)
			}
		}
		if p.MinLoA != "" && p.MinLoA.Code() == "" {
			return fmt.Errorf("oidc: Config.Providers[%s].MinLoA: %q is not an eIDAS level of assurance", cc, p.MinLoA)
		}
		switch p.Identifier {
		case "", Refuse:
		case Derive:
			if !upperCountry(c.Country) {
				return fmt.Errorf("oidc: Config.Country %q must be the relying party's upper-case country code when Providers[%s] derives identifiers", c.Country, cc)
			}
		default:
			return fmt.Errorf("oidc: Config.Providers[%s].Identifier: %q is neither %q nor %q", cc, p.Identifier, Refuse, Derive)
		}
	}
	return c.validateBounds()
}

// validateClient checks what a provider needs for the code flow; field
// names the provider in the error.
func (p *Provider) validateClient(field string) error {
	if err := checkIssuer(p.Issuer); err != nil {
		return fmt.Errorf("oidc: %s.Issuer: %w", field, err)
	}
	if p.ClientID == "" {
		return fmt.Errorf("oidc: %s.ClientID is empty", field)
	}
	return nil
}

// validateBounds checks the fields of c that are not the providers'.
func (c *Config) validateBounds() error {
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("oidc: Config.BaseURL %q is not a scheme and host", c.BaseURL)
		}
	}
	if c.Skew < 0 || c.Skew > maxSkew {
		return fmt.Errorf("oidc: Config.Skew %v is outside 0…%v", c.Skew, maxSkew)
	}
	if c.MaxPending < 0 || c.MaxResponse < 0 || c.LoginTTL < 0 {
		return errors.New("oidc: Config.MaxPending, MaxResponse and LoginTTL must not be negative")
	}
	if c.Cookie != "" && !cookieRE.MatchString(c.Cookie) {
		return fmt.Errorf("oidc: Config.Cookie %q is not a cookie name (letters, digits, _ and -)", c.Cookie)
	}
	return nil
}

var cookieRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// checkIssuer accepts an https URL, or http on a loopback host (tests, a
// provider on the same machine).
func checkIssuer(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an issuer URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return nil
		}
	}
	return fmt.Errorf("%q must be https", s)
}

func upperCountry(s string) bool {
	return len(s) == 2 && strings.ToUpper(s) == s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

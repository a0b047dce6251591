package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Client is an OpenID Connect relying party of one provider for an
// application that decides itself what a login allows (the operator's
// console maps a staff member's groups to a role) rather than wanting an
// eIDAS subject. Its flow and checks are Authenticator's: discovery, state
// used once and bound to the browser, PKCE, nonce, the ID token's
// signature, iss, aud, azp, exp and iat, RFC 9207's iss, answers bounded in
// size and time; it has none of the eIDAS parts (acr, the minimum data
// set, the choice of a country).
type Client struct {
	a   *Authenticator
	key string // the provider's key in a.cfg.Providers: its issuer
}

// Identity is the login a Client gives: the verified ID token's issuer,
// subject and claims.
type Identity struct {
	Issuer, Subject string
	AuthTime        time.Time
	// Claims is the ID token's payload (JSON), with the userinfo
	// endpoint's claims that it lacks when Provider.UserInfo is set.
	Claims json.RawMessage
}

// NewClient returns the Client of provider p, of which Issuer, ClientID,
// ClientSecret, Scopes and UserInfo are used (ACR, MinLoA, Claims,
// Identifier and DeriveFrom are not). cfg gives the rest as for New; its
// Providers and Country must be empty. It does not call the provider:
// discovery happens at the first login.
func NewClient(p Provider, cfg Config) (*Client, error) {
	if len(cfg.Providers) != 0 || cfg.Country != "" {
		return nil, errors.New("oidc: NewClient: Config.Providers and Config.Country are for New; the provider is NewClient's argument")
	}
	if err := p.validateClient("Provider"); err != nil {
		return nil, err
	}
	if err := cfg.validateBounds(); err != nil {
		return nil, err
	}
	cfg.Providers = map[string]Provider{p.Issuer: p}
	return &Client{a: newAuthenticator(cfg), key: p.Issuer}, nil
}

// Begin starts a login as Authenticator.Begin does, at the one provider:
// state is the application's, given back by Finish; callback is the
// redirect URI (absolute, or a path against Config.BaseURL or the
// request's origin).
func (c *Client) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	c.a.begin(w, r, c.key, c.a.cfg.Providers[c.key], state, callback)
}

// Finish ends a login with the checks of Authenticator.Finish up to the
// verified ID token, and returns its identity and the application's state.
// Errors wrap ErrLogin; the state is returned with them once the login was
// found.
func (c *Client) Finish(r *http.Request) (*Identity, string, error) {
	l, v, err := c.a.callback(r)
	if err != nil {
		if l == nil {
			return nil, "", err
		}
		return nil, l.AppState, err
	}
	return &Identity{Issuer: c.key, Subject: v.subject, AuthTime: v.authTime, Claims: json.RawMessage(v.claims)}, l.AppState, nil
}

// Pending returns the number of logins begun and not finished (expired
// ones included until they are swept).
func (c *Client) Pending() int { return c.a.Pending() }

package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/oots-go/oots/eid/oidc"
)

// OIDC is staff login through the organisation's OpenID provider (its
// single sign-on), beside or instead of the local accounts' passwords. The
// relying party is eid/oidc's Client: discovery, the authorization code
// flow with PKCE, a state used once and bound to the browser by a cookie,
// the ID token's signature, iss, aud, exp, iat and nonce, every answer of
// the provider bounded in size and time.
//
// A staff member's role is mapped from one claim (RolesClaim) at each
// login, the highest of the roles its values give; a login whose claims
// give no role is refused, never given a default one. The session it opens
// is a console session like a password login's and carries that role until
// it expires (Config.SessionTTL): a change at the provider applies at the
// next login.
type OIDC struct {
	// Name is the provider's name on the login page ("Log in with
	// Name"); default "single sign-on".
	Name string
	// Issuer is the provider's issuer identifier; its discovery document
	// is Issuer + "/.well-known/openid-configuration". Required, https
	// (http on loopback only).
	Issuer string
	// ClientID and ClientSecret are the console's registration at the
	// provider. ClientID is required.
	ClientID, ClientSecret string
	// RedirectURL is the console's callback as the browser reaches it,
	// registered at the provider: an absolute http(s) URL whose path is
	// /console/oidc/callback. Required.
	RedirectURL string
	// Scopes asked for besides openid; default profile, email and groups.
	Scopes []string
	// UserInfo also reads the userinfo endpoint's claims (those the ID
	// token lacks), for a provider that puts the groups there.
	UserInfo bool
	// RolesClaim names the claim that carries the staff member's groups or
	// roles: a string or an array of strings; a dotted name reaches into
	// an object ("realm_access.roles"). Default "groups".
	RolesClaim string
	// Administrators, Operators and Auditors are the values of RolesClaim
	// that give each role; at least one value in all.
	Administrators, Operators, Auditors []string
	// Allow, when not empty, admits only the staff whose sub, or whose
	// email with email_verified true, is listed (e-mail addresses
	// compared without regard to case).
	Allow []string
	// DisablePasswordLogin leaves the provider as the only way in: the
	// login page has no password form and a posted password is refused.
	DisablePasswordLogin bool
	// HTTPClient calls the provider; default a client with a 10 s
	// timeout. Answers are cut at 256 KiB.
	HTTPClient *http.Client
}

// oidcCallback is the path of OIDC.RedirectURL.
const oidcCallback = "/console/oidc/callback"

// oidcCookie binds a login begun at the console to the browser; the
// citizens' logins of the same host use another.
const oidcCookie = "oots_console_oidc"

// maxName bounds the account name an OpenID Connect login shows.
const maxName = 64

// validate names the first wrong field of o.
func (o *OIDC) validate() error {
	switch {
	case o.Issuer == "":
		return errors.New("console: OIDC.Issuer is required")
	case o.ClientID == "":
		return errors.New("console: OIDC.ClientID is required")
	case len(o.Administrators)+len(o.Operators)+len(o.Auditors) == 0:
		return errors.New("console: OIDC.Administrators, Operators and Auditors are all empty: no login would get a role")
	}
	u, err := url.Parse(o.RedirectURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != oidcCallback || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("console: OIDC.RedirectURL %q is not an http(s) URL of the console's callback %s", o.RedirectURL, oidcCallback)
	}
	for _, vs := range [][]string{o.Administrators, o.Operators, o.Auditors, o.Allow} {
		if slices.Contains(vs, "") {
			return errors.New("console: OIDC.Administrators, Operators, Auditors or Allow has an empty value")
		}
	}
	return nil
}

// client returns the relying party of o, its logins under way in the
// node's database (any instance of a cluster takes the callback).
func (o *OIDC) client(ctx context.Context, cfg *Config) (*oidc.Client, error) {
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = []string{"profile", "email", "groups"}
	}
	u, _ := url.Parse(o.RedirectURL)
	pending, err := oidc.NewSQLPending(ctx, cfg.DB, "console")
	if err != nil {
		return nil, fmt.Errorf("console: OIDC: %w", err)
	}
	c, err := oidc.NewClient(oidc.Provider{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scopes: scopes, UserInfo: o.UserInfo},
		oidc.Config{BaseURL: u.Scheme + "://" + u.Host, Cookie: oidcCookie, HTTPClient: o.HTTPClient, Now: cfg.Now, Rand: cfg.Rand, Logger: cfg.Logger, Pending: pending})
	if err != nil {
		return nil, fmt.Errorf("console: OIDC: %w", err)
	}
	return c, nil
}

func (o *OIDC) name() string {
	if o.Name == "" {
		return "single sign-on"
	}
	return o.Name
}

// staffClaims are the claims an OpenID Connect login is judged by.
type staffClaims struct {
	Sub               string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	EmailVerified     any    `json:"email_verified"`
}

// admit maps a verified login to the account name shown and its role; why
// says why it is refused (role is then "").
func (o *OIDC) admit(id *oidc.Identity) (name string, role Role, why string) {
	var c staffClaims
	var all map[string]any
	if err := json.Unmarshal(id.Claims, &c); err != nil {
		return "(oidc)", "", "claims: " + err.Error()
	}
	if err := json.Unmarshal(id.Claims, &all); err != nil {
		return "(oidc)", "", "claims: " + err.Error()
	}
	// An address the provider has not verified is not the person's (some
	// providers let users type it): it neither names nor admits them.
	verified := c.EmailVerified == true || c.EmailVerified == "true"
	email := ""
	if verified {
		email = c.Email
	}
	name = accountName(c.PreferredUsername, email, id.Subject)
	if len(o.Allow) > 0 && !slices.Contains(o.Allow, id.Subject) &&
		(email == "" || !slices.ContainsFunc(o.Allow, func(a string) bool { return strings.EqualFold(a, email) })) {
		return name, "", fmt.Sprintf("sub %q is not in the allowed list", id.Subject)
	}
	values, err := claimValues(all, o.rolesClaim())
	if err != nil {
		return name, "", err.Error()
	}
	for _, m := range []struct {
		role   Role
		values []string
	}{{Administrator, o.Administrators}, {Operator, o.Operators}, {Auditor, o.Auditors}} {
		for _, v := range values {
			if slices.Contains(m.values, v) {
				return name, m.role, ""
			}
		}
	}
	return name, "", fmt.Sprintf("no role for the values of %s %q", o.rolesClaim(), values)
}

func (o *OIDC) rolesClaim() string {
	if o.RolesClaim == "" {
		return "groups"
	}
	return o.RolesClaim
}

// maxRoleValues bounds the values of the roles claim read.
const maxRoleValues = 1000

// claimValues returns the string values of the claim at a dotted path: a
// string or an array of strings; absent: none.
func claimValues(claims map[string]any, path string) ([]string, error) {
	var v any = claims
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		v = obj[k]
	}
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{t}, nil
	case []any:
		if len(t) > maxRoleValues {
			return nil, fmt.Errorf("claim %s has more than %d values", path, maxRoleValues)
		}
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("claim %s has a %T among its values, not a string", path, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("claim %s is a %T, neither a string nor an array of strings", path, v)
}

// accountName is "oidc:" and the first of names that is not empty,
// without control characters, clipped to maxName characters. The prefix
// keeps the staff of the provider apart from the local accounts, whose
// names cannot hold a colon: a provider's "admin" is not the local admin
// in the audit trail, and its logins do not count against the local
// account's sessions (MaxSessions).
func accountName(names ...string) string {
	for _, n := range names {
		n = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, strings.TrimSpace(n))
		if r := []rune(n); len(r) > maxName {
			n = string(r[:maxName])
		}
		if n != "" {
			return oidcPrefix + n
		}
	}
	return "(oidc)"
}

// oidcPrefix begins the name of every staff member logged in through the
// provider.
const oidcPrefix = "oidc:"

// oidcBegin sends the browser to the provider; the page to show after the
// login travels as the login's state.
func (s *Server) oidcBegin(w http.ResponseWriter, r *http.Request) {
	s.oidc.Begin(w, r, safeNext(r.URL.Query().Get("next")), s.cfg.OIDC.RedirectURL)
}

// oidcFinish ends a login at the provider: a verified login whose claims
// give a role opens a session as a password login does.
func (s *Server) oidcFinish(w http.ResponseWriter, r *http.Request) {
	o := s.cfg.OIDC
	id, next, err := s.oidc.Finish(r)
	if err != nil {
		s.record(r, &user{Name: "(oidc)"}, "login", "(oidc)", clip("failed: "+err.Error()))
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, "login", nil, s.loginData("The login with "+o.name()+" failed; try again.", "", next))
		return
	}
	name, role, why := o.admit(id)
	if role == "" {
		s.record(r, &user{Name: name}, "login", name, clip("denied (oidc): "+why))
		w.WriteHeader(http.StatusForbidden)
		s.render(w, "error", nil, map[string]any{"Title": "Not allowed",
			"Message": "Your account at " + o.name() + " gives no role on this console; ask an administrator."})
		return
	}
	if err := s.openSession(w, r, name, role, true); err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, err)
		return
	}
	s.record(r, &user{Name: name, Role: role}, "login", name, clip(fmt.Sprintf("ok (oidc, sub %s)", id.Subject)))
	// A page that moves on by itself, not a redirect: the browser comes
	// from the provider's site, and a redirect would still be part of
	// that cross-site navigation, which does not carry the SameSite=Strict
	// session cookie just set.
	s.render(w, "moved", nil, map[string]any{"Title": "Logged in", "Next": safeNext(next)})
}

package eid

import (
	"net/http"
	"strings"
)

// Owner is implemented by an Authenticator that can tell a callback of a
// login it began (by its state) without consuming it; Mux needs it of every
// authenticator but the default.
type Owner interface {
	Owns(r *http.Request) bool
}

// OwningAuthenticator is an Authenticator that is also an Owner.
type OwningAuthenticator interface {
	Authenticator
	Owner
}

// Mux is an Authenticator that logs users in through a different
// authenticator per country of their eID (for example an OpenID Connect
// provider for one country, an eIDAS node for the others): Begin routes by
// the login route's query parameter Param (the country chosen on the
// default authenticator's country page), Finish to the authenticator that
// owns the callback's state, else to Default.
type Mux struct {
	// Param is the query parameter naming the country; default "eid",
	// the one of the demo identity provider and of package eid/oidc.
	Param string
	// ByCountry are the authenticators of some countries (ISO 3166-1
	// alpha-2, upper case).
	ByCountry map[string]OwningAuthenticator
	// Default logs in the users of every other country, and shows the
	// choice of the country.
	Default Authenticator
}

var _ Authenticator = (*Mux)(nil)

// Begin hands the login to the authenticator of the country named by the
// request, or to Default.
func (m *Mux) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	p := m.Param
	if p == "" {
		p = "eid"
	}
	if a, ok := m.ByCountry[strings.ToUpper(r.URL.Query().Get(p))]; ok {
		a.Begin(w, r, state, callback)
		return
	}
	m.Default.Begin(w, r, state, callback)
}

// Finish hands the callback to the authenticator that began its login, or
// to Default.
func (m *Mux) Finish(r *http.Request) (*Subject, string, error) {
	for _, a := range m.ByCountry {
		if a.Owns(r) {
			return a.Finish(r)
		}
	}
	return m.Default.Finish(r)
}

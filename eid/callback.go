package eid

import (
	"fmt"
	"net/http"
	"net/url"
)

// Origin returns the public origin of the application that serves r: base
// (its public base URL, for an application behind a proxy; the caller has
// checked that it parses) with its path, or else the request's own scheme
// and host.
func Origin(r *http.Request, base string) *url.URL {
	if base != "" {
		if u, err := url.Parse(base); err == nil {
			return u
		}
	}
	u := &url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return u
}

// providerParams are the query parameters an identity provider sets on
// the callback (OAuth 2.0 and RFC 9207); a callback of ours must not carry
// them.
var providerParams = []string{"code", "state", "error", "error_description", "iss"}

// CallbackURL makes an application's callback (usually an absolute path)
// absolute against Origin(r, base), with its query canonical (sorted) and
// no fragment: the redirect_uri an identity provider is given, which the
// callback request must rebuild exactly. A callback that carries a
// parameter the identity provider sets is an error.
func CallbackURL(r *http.Request, base, callback string) (string, error) {
	ref, err := url.Parse(callback)
	if err != nil {
		return "", fmt.Errorf("callback %q: %w", callback, err)
	}
	u := Origin(r, base).ResolveReference(ref)
	q := u.Query()
	for _, k := range providerParams {
		if q.Has(k) {
			return "", fmt.Errorf("callback %q has the parameter %q that the identity provider sets", callback, k)
		}
	}
	u.RawQuery, u.Fragment = q.Encode(), ""
	return u.String(), nil
}

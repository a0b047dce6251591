package eid

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// RandomToken returns 256 bits from rand, base64url without padding (also a
// valid PKCE verifier, RFC 7636 §4.1). A failing source is an error.
func RandomToken(rand io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// BrowserBinding ties a login to the browser that began it: a random value
// in an HttpOnly cookie, of which the login keeps only the hash, so that a
// callback URL or an assertion carried to another browser does not log
// that browser in.
type BrowserBinding struct {
	Cookie string        // the cookie's name
	TTL    time.Duration // its lifetime
	Secure bool          // sent over HTTPS only
	Rand   io.Reader
}

// Bind returns the hash of the browser's binding cookie, making a new one
// when the browser has none; the cookie is set again either way, so that it
// outlives the login just begun.
func (b BrowserBinding) Bind(w http.ResponseWriter, r *http.Request) ([sha256.Size]byte, error) {
	var v string
	if c, err := r.Cookie(b.Cookie); err == nil && validToken(c.Value) {
		v = c.Value
	}
	if v == "" {
		var err error
		if v, err = RandomToken(b.Rand); err != nil {
			return [sha256.Size]byte{}, err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: b.Cookie, Value: v, Path: "/", HttpOnly: true, Secure: b.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(b.TTL / time.Second)})
	return sha256.Sum256([]byte(v)), nil
}

// Same reports whether r comes from the browser whose binding hash is
// want.
func (b BrowserBinding) Same(r *http.Request, want [sha256.Size]byte) bool {
	c, err := r.Cookie(b.Cookie)
	if err != nil || !validToken(c.Value) {
		return false
	}
	h := sha256.Sum256([]byte(c.Value))
	return subtle.ConstantTimeCompare(h[:], want[:]) == 1
}

func validToken(v string) bool { return len(v) == base64.RawURLEncoding.EncodedLen(32) }

var chooseTmpl = template.Must(template.New("choose").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Choose the country that issued your eID</title></head>
<body><h1>Choose the country that issued your eID</h1><ul>
{{range .}}<li><a href="{{.URL}}">{{.Code}}</a></li>
{{end}}</ul></body></html>`))

// ChooseCountry writes a page that lists countries; each link is the
// request's URL with param=CC, so that the application's login route
// begins the login again for that country.
func ChooseCountry(w http.ResponseWriter, r *http.Request, param string, countries []string) error {
	type link struct{ Code, URL string }
	var links []link
	for _, cc := range countries {
		u := *r.URL
		q := u.Query()
		q.Set(param, cc)
		u.RawQuery = q.Encode()
		links = append(links, link{cc, u.RequestURI()})
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Code < links[j].Code })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return chooseTmpl.Execute(w, links)
}

// Country returns the country a login is for and its configuration: the
// request's param (upper-cased), or the only country configured. ok is
// false when neither names a configured country; the caller then shows
// ChooseCountry.
func Country[V any](r *http.Request, param string, configured map[string]V) (cc string, v V, ok bool) {
	cc = strings.ToUpper(r.URL.Query().Get(param))
	if cc == "" && len(configured) == 1 {
		for k := range configured {
			cc = k
		}
	}
	v, ok = configured[cc]
	return cc, v, ok
}

package idp

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
)

// sessionCookie names the cookie of the browser's single sign-on session:
// a random value, of which the provider keeps only the hash. The name
// carries a digest of the issuer, since browsers do not keep cookies apart
// by port: providers on one host (the demo network's) must not overwrite
// each other's.
func (p *Provider) sessionCookie() string {
	h := sha256.Sum256([]byte(p.cfg.Issuer))
	return "idp_session_" + hex.EncodeToString(h[:4])
}

// maxSessions bounds the remembered logins: beyond it a login is not
// remembered (the next one asks again) until others expire.
const maxSessions = 10_000

// ssoSession is a login the provider remembers for the browser that made
// it (Config.Session): never for another browser, and never after it
// expires or the user logs out.
type ssoSession struct {
	user     *User
	company  *Company
	loa      eid.LoA
	authTime time.Time
	expires  time.Time
}

func sessionKey(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

// session returns the browser's remembered login, or nil.
func (p *Provider) session(r *http.Request) *ssoSession {
	if p.cfg.Session == 0 {
		return nil
	}
	c, err := r.Cookie(p.sessionCookie())
	if err != nil || len(c.Value) < 32 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := sessionKey(c.Value)
	s := p.sessions[k]
	if s == nil {
		return nil
	}
	if !p.cfg.Now().Before(s.expires) {
		delete(p.sessions, k)
		return nil
	}
	return s
}

// remember keeps the login of u for the browser (when Config.Session is
// set), in place of any login it had: a new login never adds to another.
func (p *Provider) remember(w http.ResponseWriter, r *http.Request, u *User, company *Company, loa eid.LoA, now time.Time) error {
	p.forget(r)
	if p.cfg.Session == 0 {
		return nil
	}
	v, err := p.random()
	if err != nil {
		return err
	}
	p.mu.Lock()
	for k, s := range p.sessions {
		if !now.Before(s.expires) {
			delete(p.sessions, k)
		}
	}
	if len(p.sessions) >= maxSessions {
		p.mu.Unlock()
		p.cfg.Logger.Warn("idp: login not remembered: too many sessions", slog.Int("limit", maxSessions))
		return nil
	}
	p.sessions[sessionKey(v)] = &ssoSession{user: u, company: company, loa: loa, authTime: now, expires: now.Add(p.cfg.Session)}
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: p.sessionCookie(), Value: v, Path: p.cookiePath(), MaxAge: int(p.cfg.Session / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || strings.HasPrefix(p.cfg.Issuer, "https://")})
	return nil
}

// forget ends the browser's remembered login, if any; it reports whether
// there was one.
func (p *Provider) forget(r *http.Request) bool {
	c, err := r.Cookie(p.sessionCookie())
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := sessionKey(c.Value)
	_, ok := p.sessions[k]
	delete(p.sessions, k)
	return ok
}

func (p *Provider) cookiePath() string { return p.base + "/" }

type logoutPage struct {
	page
	Message string
}

// logout (GET or POST PathLogout) ends the browser's remembered login and
// confirms it: the next login asks again.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	l := p.locale(r, r.FormValue("lang"))
	was := p.forget(r)
	http.SetCookie(w, &http.Cookie{Name: p.sessionCookie(), Value: "", Path: p.cookiePath(), MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || strings.HasPrefix(p.cfg.Issuer, "https://")})
	p.cfg.Logger.Info("idp: logout", logReason, map[bool]string{true: "session ended", false: "no session"}[was])
	msg := l.T("logoutText", p.site(l))
	pg := logoutPage{page: page{L: l, Title: l.T("logoutTitle"), Site: p.site(l), Footer: footerLinks(l, p.base),
		Languages: languageLinks(url.URL{Path: p.base + PathLogout}, string(l))}, Message: msg}
	if err := writePage(w, http.StatusOK, "loggedout", pg); err != nil {
		p.cfg.Logger.Error("idp: write page", logError, err)
	}
}

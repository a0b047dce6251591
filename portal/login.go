package portal

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/oots-go/oots/eid"
)

// login begins a login from a form: the plain one (resume unset) forgets
// any procedure waiting for a login; the one after "this procedure is for
// companies" (resume=1) goes on with it.
func (p *Portal) login(rq *request) error {
	if rq.r.PostForm.Get("resume") != "1" {
		rq.sess.PendingProcedure, rq.sess.PendingCountry = "", ""
	}
	rq.sess.ReturnTo = localPath(rq.r.PostForm.Get("return"))
	return p.beginLogin(rq)
}

// localPath returns s when it is a path of the portal, else "".
func localPath(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return s
}

// beginLogin binds a new random state to the session and sends the
// browser to GET /login, which hands it to the Authenticator.
func (p *Portal) beginLogin(rq *request) error {
	if err := p.newLoginState(rq); err != nil {
		return err
	}
	return rq.redirect("/login")
}

// newLoginState binds a new random login state to the session and saves it.
func (p *Portal) newLoginState(rq *request) error {
	state, err := randomToken(p.rand, 24)
	if err != nil {
		return err
	}
	rq.sess.LoginState = state
	return p.sessions.save(rq.r.Context(), rq.sess)
}

// loginPage hands the browser to the Authenticator with the session's
// login state. It is a GET so that an Authenticator's own pages (such as
// the choice of the eID's country) can come back to it with their
// parameters; a browser without a login begun gets a new state.
func (p *Portal) loginPage(rq *request) error {
	if rq.sess.LoginState == "" {
		if err := p.newLoginState(rq); err != nil {
			return err
		}
	}
	p.cfg.Authenticator.Begin(rq.w, rq.r, rq.sess.LoginState, p.cfg.BaseURL+CallbackPath)
	return nil
}

// callback ends a login: the state must be the one bound to this
// browser's session. The session is replaced by a new one (new token, new
// CSRF token), so that a token known before the login is worth nothing
// after it.
func (p *Portal) callback(rq *request) error {
	ctx := rq.r.Context()
	if rq.sess.LoginState == "" {
		return &userError{status: http.StatusBadRequest, key: "errLoginState", login: true}
	}
	subj, state, err := p.cfg.Authenticator.Finish(rq.r)
	if err != nil {
		p.log.Warn("portal: login failed", logErr, err)
		key := "errLogin"
		switch {
		case errors.Is(err, eid.ErrNoIdentifier):
			key = "errLoginNoIdentifier"
		case errors.Is(err, eid.ErrLoA):
			key = "errLoginLoA"
		}
		return &userError{status: http.StatusUnauthorized, key: key, login: true}
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(rq.sess.LoginState)) != 1 {
		p.log.Warn("portal: login state does not match the session")
		return &userError{status: http.StatusBadRequest, key: "errLoginState", login: true}
	}
	if subj == nil || subj.Person == nil || subj.Person.Identifier == "" {
		p.log.Warn("portal: login without a natural person")
		return &userError{status: http.StatusUnauthorized, key: "errLogin", login: true}
	}
	old := rq.sess
	if err := p.sessions.remove(ctx, old); err != nil {
		return err
	}
	sess, err := p.startSession(rq.w, rq.r)
	if err != nil {
		return err
	}
	sess.Subject = subj
	if err := p.sessions.save(ctx, sess); err != nil {
		return err
	}
	rq.sess = sess
	p.log.Info("portal: user logged in", logIssuer, subj.Issuer, logLoA, string(subj.LoA), logCompany, subj.Company != nil)
	if old.PendingProcedure != "" {
		if _, ok := p.procedures[old.PendingProcedure]; ok && p.offersCountry(old.PendingCountry) {
			return p.startJourney(rq, old.PendingProcedure, old.PendingCountry)
		}
	}
	if old.ReturnTo != "" {
		return rq.redirect(old.ReturnTo)
	}
	return rq.redirect("/")
}

func (p *Portal) logout(rq *request) error {
	if err := p.sessions.remove(rq.r.Context(), rq.sess); err != nil {
		return err
	}
	http.SetCookie(rq.w, &http.Cookie{Name: p.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure || rq.r.TLS != nil})
	return rq.redirect(LoggedOutPath)
}

// LoggedOutPath is the page that confirms a logout.
const LoggedOutPath = "/logged-out"

// loggedOut confirms the logout and says what it did not end: the login
// at the identity provider, which keeps its own session.
func (p *Portal) loggedOut(rq *request) error {
	heading := rq.t("loggedOutTitle")
	p.render(rq, http.StatusOK, "message", heading, messageData{Heading: heading, Text: rq.t("loggedOutText", p.cfg.Name),
		Next: rq.t("loggedOutNext"), Status: true}, "", "")
	return nil
}

// CallbackPath is where the identity provider sends the citizen back after
// the login: the redirect_uri to register for the portal (BaseURL +
// CallbackPath), compared exactly.
const CallbackPath = "/login/callback"

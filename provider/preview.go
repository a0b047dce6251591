package provider

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/journal"
)

// Cookies of the preview space.
const (
	cookieLogin = "oots_preview_login" // login state + token, for the callback
	cookieView  = "oots_preview_view"  // the viewer of one session
)

// Handler returns the preview space (SPEC.md §1.2 step 5), to be mounted at
// "/" of the preview host (Config.PreviewBase):
//
//	GET  /preview/{token}              start page, or the evidence once logged in
//	GET  /preview/{token}/login        starts the login (Config.Authenticator)
//	GET  /preview/callback             end of the login
//	POST /preview/{token}/decide       approve or refuse (CSRF token)
//	GET  /preview/{token}/file/{n}     document n of the evidence
//	GET  /ui.css, /preview.css         the shared style sheet, the preview space's own
//	GET  /ui-time.js                   times in the reader's time zone (package ui)
//	GET  /consents[?format=json]       the user's consents and the evidence sent about them (after a login)
//	GET  /consents/login, /consents/callback
//	POST /consents/withdraw            withdraw a consent (CSRF token)
func (c *Connector) Handler() http.Handler {
	return (&web{c: c}).routes()
}

// web is the preview space and the consents pages: the connector's web
// user interface. It reads and changes the connector's state only through
// the connector's methods.
type web struct {
	c *Connector
}

func (h *web) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PreviewCallbackPath, h.callback)
	mux.HandleFunc("GET /preview/{token}", h.view)
	mux.HandleFunc("GET /preview/{token}/login", h.login)
	mux.HandleFunc("POST /preview/{token}/decide", h.decide)
	mux.HandleFunc("GET /preview/{token}/file/{n}", h.file)
	h.consentRoutes(mux)
	mux.HandleFunc("GET "+ui.InfoPath, func(w http.ResponseWriter, r *http.Request) {
		l := language(r)
		_, sections := ui.Info(l, messages[l]["site"])
		h.render(w, r, &page{Key: "about", Sections: sections})
	})
	mux.HandleFunc("GET "+ui.StylePath, ui.ServeStyle)
	mux.HandleFunc("GET "+ui.TimeScriptPath, ui.ServeTimeScript)
	mux.HandleFunc("GET /preview.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write([]byte(css))
	})
	hsts := strings.HasPrefix(h.c.cfg.PreviewBase, "https://")
	remember := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rememberLanguage(w, r, hsts || r.TLS != nil)
		mux.ServeHTTP(w, r)
	})
	return securityHeaders(remember, hsts)
}

// securityHeaders sets the headers every answer of the preview space
// carries (package ui): no script but the service's own files (the shared
// time script, ui.TimeScript(); never inline script), no framing by others,
// no referrer (the URL holds the token), nothing cached, and HSTS when the
// preview space is served over https (hsts), so that a browser never
// reaches it in clear again.
func securityHeaders(h http.Handler, hsts bool) http.Handler {
	sec := ui.Security{CSP: "default-src 'self'; script-src 'self'; frame-ancestors 'self'; base-uri 'none'",
		FrameSameOrigin: true, HSTS: hsts, NoStore: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sec.Set(w.Header())
		h.ServeHTTP(w, r)
	})
}

// page is what the template renders.
type page struct {
	Lang    string
	Key     string // which page
	Status  int
	Path    string // path for the language switch
	Token   string
	CSRF    string
	Docs    []docView
	Message string // extra message key
	Choice  string // approved or refused
	// ConsentOffer is the text of the consent to background exchanges
	// offered with the approval ("" when none is offered), and
	// ConsentProcedures the procedures it may cover, to tick.
	ConsentOffer      string
	ConsentProcedures []procedureChoice
	// ConsentChecked keeps the consent ticked when the form comes back.
	ConsentChecked bool
	// The consents page: logged in, the consents and the evidence sent.
	LoggedIn    bool
	Consents    []consentView
	Disclosures []disclosureView
	msgs        map[string]string
	// Footer are the footer links (package ui), Sections the content of
	// the page they lead to (Key "about"), Service the name shown there.
	Footer   []ui.Link
	Sections []ui.Section
	// Authority and Country are the header's authority (the provider
	// of the evidence) and its country; "" on pages about no request.
	Authority, Country string
	// Ask says, before the login, who asks, from which country, for which
	// procedure and which evidence (nil when the request cannot be read).
	Ask *askView
}

// askView is who asks for the evidence, in words a citizen understands: the
// authority's name, its country's name, the procedure's short name (code
// list Procedures) and the evidence's title; no identifiers.
type askView struct {
	Requester, Country, Procedure, Evidence string
}

// asking describes the request req in lang.
func (h *web) asking(req *edm.QueryRequest, lang string) *askView {
	a := &askView{Evidence: evidenceTitleIn(req, lang)}
	if len(req.EvidenceRequester) > 0 {
		er := req.EvidenceRequester[0]
		if len(er.Name) > 0 {
			a.Requester = er.Name[0].Value
		}
		switch {
		case er.Address != nil && er.Address.AdminUnitLevel1 != "":
			a.Country = ui.CountryName(lang, er.Address.AdminUnitLevel1)
		case er.Jurisdiction != nil && er.Jurisdiction.AdminUnitLevel1 != "":
			a.Country = ui.CountryName(lang, er.Jurisdiction.AdminUnitLevel1)
		}
	}
	a.Procedure = h.procedureIn(req.Procedure, lang)
	if a.Requester == "" && a.Procedure == "" && a.Evidence == "" {
		return nil
	}
	return a
}

// countriesOf are the demo countries whose names in the code lists (the
// columns "name-<country>-<code>" of Procedures) are in a page language.
var countriesOf = map[string][]string{"de": {"DE", "AT"}, "fr": {"FR", "BE", "LU"}, "fi": {"FI"}, "sv": {"SE"}}

// procedureIn returns the name of procedure code in lang: the connector's
// own (Config.ProcedureNames), else the code list Procedures'
// (procedureName); "" for a code the list does not know.
func (h *web) procedureIn(code, lang string) string {
	if n := h.c.cfg.ProcedureNames[code][lang]; n != "" {
		return n
	}
	if cl, ok := codelist.Procedures().Lookup(code); ok {
		return procedureName(cl, lang)
	}
	return ""
}

// procedureName returns the name of a procedure of the code list
// Procedures in lang where the list gives one (a column of a country of
// that language), else its main name (English).
func procedureName(c codelist.Code, lang string) string {
	for _, cc := range countriesOf[lang] {
		for k, v := range c.Names {
			if strings.HasPrefix(k, "name-") && strings.HasSuffix(k, "-"+cc) && v != "" {
				return v
			}
		}
	}
	return c.Name()
}

// evidenceTitleIn returns the title of the evidence req asks for in lang
// where the request gives one (EDM writes the language in capitals), else
// its first.
func evidenceTitleIn(req *edm.QueryRequest, lang string) string {
	if et := req.EvidenceRequest; et != nil {
		for _, t := range et.Title {
			if strings.EqualFold(t.Lang, lang) && t.Value != "" {
				return t.Value
			}
		}
	}
	return evidenceTitle(req)
}

// Title is the page's title: its heading, with "Error:" before it on an
// error page (WCAG 2.4.2).
func (p *page) Title() string {
	h := p.T(p.Key + ".title")
	if p.Status >= 400 {
		return ui.ErrorTitle(p.Lang, h)
	}
	return h
}

// procedureChoice is a procedure of the consent form: its code, its name
// (code list Procedures) and whether it is ticked.
type procedureChoice struct {
	Code, Name string
	Checked    bool
}

// docView is one document of the preview: every document the answer
// carries (documentsSent), numbered as the preview lists them, with its
// role in the evidence package.
type docView struct {
	N            int
	Document     Document
	Issuer, Href string
	PDF          bool
	Role         string // edm.RoleMainEvidence, RoleAnnex, …
	RoleLabel    string // the role in the page's language ("Annex to document 1")
	// Kind is the format in words ("PDF document"), LanguageName the
	// document's language by name; the MIME type and the data model
	// are technical details.
	Kind, LanguageName string
	// Expired says when the document's validity ended, "" when it is
	// valid or has no end.
	Expired string
}

// expiry is the warning of a document whose validity ended (ValidTo, an
// xsd:date, before the day of now), "" otherwise. Expired evidence is shown,
// flagged, and left to the user's decision: the requesting authority judges
// its validity for the procedure.
func expiry(msgs map[string]string, validTo string, now time.Time) string {
	end, err := time.Parse(time.DateOnly, validTo)
	if err != nil || !now.After(end.AddDate(0, 0, 1)) {
		return ""
	}
	return fmt.Sprintf(msgs["meta.expired"], validTo)
}

// formatKey is the catalogue key of a document format in words.
func formatKey(mime string) string {
	switch {
	case mime == "application/pdf":
		return "kind.pdf"
	case strings.HasSuffix(mime, "xml"):
		return "kind.xml"
	case strings.HasSuffix(mime, "json"):
		return "kind.json"
	}
	return "kind.other"
}

// T returns the text of a key in the page's language.
func (p *page) T(key string) string {
	if s, ok := p.msgs[key]; ok {
		return s
	}
	return messages["en"][key]
}

// Chrome is what the shared layout (package ui) shows around the page:
// the authority asked for the evidence and its country when the page is
// about a request, else the name of the preview space; the language
// switch, which keeps the page; the footer.
func (p *page) Chrome() ui.Chrome {
	site := p.Authority
	if site == "" {
		site = p.T("site")
	}
	return ui.Chrome{Lang: p.Lang, Site: site, Country: p.Country, Footer: p.Footer,
		Switch: ui.Switch(p.Lang, func(code string) string { return p.Path + "?lang=" + code })}
}

// Steps is the page's step indicator (package ui): before the login and
// with the evidence the citizen is at the preview; once approved the
// evidence is on its way (to receive), once refused the journey stops at
// the approval. Pages about no request show none.
func (p *page) Steps() ui.Steps {
	var step ui.Step
	switch p.Key {
	case "start", "preview":
		step = ui.StepPreview
	case "done":
		step = ui.StepApprove
		if p.Choice == "approved" {
			step = ui.StepReceive
		}
	}
	return ui.Steps{Lang: p.Lang, Current: step}
}

// header sets the page's header to the authority of session s (its
// name, its country's name in lang).
func (h *web) header(p *page, s *session, lang string) {
	a := h.c.byID[s.Provider]
	if a == nil || len(a.Agent.Name) == 0 {
		return
	}
	p.Authority = a.Agent.Name[0].Value
	if ad := a.Agent.Address; ad != nil && ad.AdminUnitLevel1 != "" {
		p.Country = ui.CountryName(lang, ad.AdminUnitLevel1)
	}
}

func (h *web) render(w http.ResponseWriter, r *http.Request, p *page) {
	p.Lang = language(r)
	p.msgs = messages[p.Lang]
	p.Footer = ui.Footer(p.Lang)
	if p.Path == "" {
		p.Path = r.URL.Path
	}
	if p.Status == 0 {
		p.Status = http.StatusOK
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(p.Status)
	if err := pageTemplate.Execute(w, p); err != nil {
		h.c.log.Error("preview page", logErr, err)
	}
}

func (h *web) simple(w http.ResponseWriter, r *http.Request, status int, key string) {
	h.render(w, r, &page{Key: key, Status: status})
}

// secure reports whether cookies must be Secure: the request came over TLS
// or the public base is https (behind a TLS-terminating proxy).
func (h *web) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(h.c.cfg.PreviewBase, "https://")
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// session of the request: the token must be well-formed and known, the
// session not finished and not past its deadlines. It answers the browser
// itself (404, 410) when not.
func (h *web) usable(w http.ResponseWriter, r *http.Request) (*session, bool) {
	token := r.PathValue("token")
	if !validToken(token) {
		h.simple(w, r, http.StatusNotFound, "unknown")
		return nil, false
	}
	s, err := h.c.db.LoadSession(r.Context(), token)
	if errors.Is(err, errNoSession) {
		h.simple(w, r, http.StatusNotFound, "unknown")
		return nil, false
	}
	if err != nil {
		h.c.log.Error("preview session", logErr, err)
		h.simple(w, r, http.StatusInternalServerError, "error")
		return nil, false
	}
	now := h.c.cfg.Now()
	if s.State != stateWaiting && s.State != stateOpen || now.After(s.DecideBy) || s.State == stateWaiting && now.After(s.ArriveBy) {
		h.simple(w, r, http.StatusGone, "gone")
		return nil, false
	}
	return s, true
}

// viewer reports whether the browser is the one that logged in as the
// subject of the session.
func (h *web) viewer(r *http.Request, s *session) bool {
	ck, err := r.Cookie(cookieView)
	return err == nil && s.State == stateOpen && s.Viewer != "" && equal(hash(ck.Value), s.Viewer)
}

func (h *web) view(w http.ResponseWriter, r *http.Request) {
	s, ok := h.usable(w, r)
	if !ok {
		return
	}
	// EDM 1.x: the requester's return address comes with the first visit.
	if ru := r.URL.Query().Get("returnurl"); ru != "" && s.ReturnURL == "" && !strings.HasPrefix(s.Version, "oots-edm:v2") {
		s.ReturnURL, s.Updated = ru, h.c.cfg.Now()
		if _, err := h.c.db.UpdateSession(r.Context(), s); err != nil {
			h.c.log.Error("preview session", logErr, err)
		}
	}
	if !h.viewer(r, s) {
		p := &page{Key: "start", Token: s.Token}
		h.header(p, s, language(r))
		if req, err := storedRequest(s.FirstRequest); err == nil {
			p.Ask = h.asking(req, language(r))
		}
		h.render(w, r, p)
		return
	}
	h.renderPreview(w, r, s, &page{Key: "preview", Token: s.Token, CSRF: s.CSRF}, nil)
}

// renderPreview shows the evidence of session s with the decision form;
// chosen are the procedures ticked for the consent (nil: the request's
// own).
func (h *web) renderPreview(w http.ResponseWriter, r *http.Request, s *session, p *page, chosen []string) {
	auth := h.c.byID[s.Provider]
	h.header(p, s, language(r))
	if procs, req := h.c.offer(s); len(procs) > 0 {
		k := h.c.newConsent(s, req, procs, h.c.cfg.Now())
		p.ConsentOffer = fmt.Sprintf(messages[language(r)]["consent.offer"], k.RequesterName, k.EvidenceTitle,
			k.Expires.Format(time.DateOnly), h.c.cfg.PreviewBase+ConsentsPath)
		for i, code := range procs {
			pc := procedureChoice{Code: code, Checked: i == 0 && chosen == nil || slices.Contains(chosen, code)}
			pc.Name = h.procedureIn(code, language(r))
			p.ConsentProcedures = append(p.ConsentProcedures, pc)
		}
	}
	sent := h.c.sentOf(s)
	msgs := messages[language(r)]
	for i, sd := range sent {
		d := sd.Doc
		issuer := ""
		if sd.Main >= 0 {
			issuer = p.Docs[sd.Main].Issuer
		} else if d.IssuingAuthority != nil {
			issuer = d.IssuingAuthority.Name
		} else if auth != nil && len(auth.Agent.Name) > 0 {
			issuer = auth.Agent.Name[0].Value
		}
		if d.IssuingDate == "" && sd.Main >= 0 {
			d.IssuingDate = sent[sd.Main].Doc.IssuingDate
		}
		if d.Title == "" && sd.Main >= 0 {
			d.Title = sent[sd.Main].Doc.Title
		}
		label := msgs["role."+sd.Role]
		if label == "" {
			label = messages["en"]["role."+sd.Role]
		}
		if sd.Main >= 0 {
			label = fmt.Sprintf(label, sd.Main+1)
		}
		dv := docView{N: i + 1, Document: d, Issuer: issuer, Role: sd.Role, RoleLabel: label,
			Href: "/preview/" + s.Token + "/file/" + strconv.Itoa(i+1), PDF: d.Format == "application/pdf",
			Kind: msgs[formatKey(d.Format)], LanguageName: ui.LanguageName(language(r), d.Language)}
		dv.Expired = expiry(msgs, d.ValidTo, h.c.cfg.Now())
		p.Docs = append(p.Docs, dv)
	}
	h.render(w, r, p)
}

func (h *web) login(w http.ResponseWriter, r *http.Request) {
	s, ok := h.usable(w, r)
	if !ok {
		return
	}
	state, err := h.c.token()
	if err != nil {
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieLogin, Value: state + "." + s.Token, Path: "/preview", MaxAge: 900,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
	h.c.cfg.Authenticator.Begin(w, r, state, h.c.cfg.PreviewBase+PreviewCallbackPath)
}

func (h *web) callback(w http.ResponseWriter, r *http.Request) {
	subj, state, err := h.c.cfg.Authenticator.Finish(r)
	if err != nil {
		h.c.log.Info("preview login failed", logErr, err)
		h.simple(w, r, http.StatusUnauthorized, loginFailure(err))
		return
	}
	ck, cerr := r.Cookie(cookieLogin)
	var want, token string
	if cerr == nil {
		want, token, _ = strings.Cut(ck.Value, ".")
	}
	// The callback must come back to the browser that started the login.
	if cerr != nil || state == "" || !equal(state, want) || !validToken(token) {
		h.c.log.Info("preview login answer without its browser state")
		h.simple(w, r, http.StatusBadRequest, "login")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieLogin, Value: "", Path: "/preview", MaxAge: -1, HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
	r.SetPathValue("token", token)
	s, ok := h.usable(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	now := h.c.cfg.Now()
	auth := h.c.byID[s.Provider]
	if auth != nil && auth.MinLoA != "" && !subj.LoA.AtLeast(auth.MinLoA) {
		h.simple(w, r, http.StatusForbidden, "loa")
		return
	}
	mine, err := h.c.isSubject(ctx, s, auth, subj.Person, subj.Company)
	if err != nil {
		h.c.log.Error("preview login: the register could not be asked", logErr, err)
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	if !mine {
		s.State, s.Documents, s.Viewer, s.CSRF, s.Updated = stateWrongUser, nil, "", "", now
		a, err := h.c.conclude(s, now)
		if err == nil {
			err = h.c.commit(ctx, s, a, withOutcome(s.record(EventWrongUser), string(edm.EDMErr0001)))
		}
		if err != nil {
			h.c.log.Error("preview session", logErr, err)
		}
		h.simple(w, r, http.StatusForbidden, "notyou")
		return
	}
	viewer, err1 := h.c.token()
	csrf, err2 := h.c.token()
	if err1 != nil || err2 != nil {
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	s.State, s.Viewer, s.CSRF, s.Updated = stateOpen, hash(viewer), csrf, now
	if d := now.Add(h.c.cfg.Timeouts.T3); d.Before(s.DecideBy) {
		s.DecideBy = d
	}
	if err := h.c.commit(ctx, s, nil, s.record(journal.EventPreviewShown)); err != nil {
		h.c.log.Error("preview session", logErr, err)
		h.simple(w, r, http.StatusConflict, "gone")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieView, Value: viewer, Path: "/preview/" + s.Token, HttpOnly: true,
		Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/preview/"+s.Token, http.StatusSeeOther)
}

func (h *web) decide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		h.simple(w, r, http.StatusBadRequest, "error")
		return
	}
	var s *session
	var choice string
	// The second request may change the session at the same moment: read
	// it again and retry.
	for attempt := 0; ; attempt++ {
		var ok bool
		if s, ok = h.usable(w, r); !ok {
			return
		}
		if !h.viewer(r, s) || !equal(r.PostFormValue("csrf"), s.CSRF) {
			h.simple(w, r, http.StatusForbidden, "error")
			return
		}
		now := h.c.cfg.Now()
		var rec journal.Record
		switch r.PostFormValue("decision") {
		case "approve":
			// A consent, when one was offered: for the procedures
			// ticked, at least one, each one offered.
			var procs []string
			if offered, _ := h.c.offer(s); len(offered) > 0 && r.PostFormValue("consent") == "yes" {
				procs = r.PostForm["procedure"]
				for _, p := range procs {
					if !slices.Contains(offered, p) {
						h.renderPreview(w, r, s, &page{Key: "preview", Token: s.Token, CSRF: s.CSRF, Status: http.StatusBadRequest,
							Message: "consent.badprocedure", ConsentChecked: true}, procs)
						return
					}
				}
				if len(procs) == 0 {
					// Nothing decided yet: the form again, with the
					// reason.
					h.renderPreview(w, r, s, &page{Key: "preview", Token: s.Token, CSRF: s.CSRF, Status: http.StatusUnprocessableEntity,
						Message: "consent.noprocedure", ConsentChecked: true}, []string{})
					return
				}
				procs = slices.Compact(slices.Sorted(slices.Values(procs)))
			}
			s.State, rec = stateApproved, s.record(journal.EventPreviewApproved)
			if len(procs) > 0 && attempt == 0 {
				h.c.giveConsent(r.Context(), s, procs, now)
			}
		case "refuse":
			s.State, rec = stateRefused, s.record(journal.EventPreviewRefused)
		default:
			h.simple(w, r, http.StatusBadRequest, "error")
			return
		}
		choice = s.State
		s.Viewer, s.CSRF, s.Updated = "", "", now
		a, err := h.c.conclude(s, now)
		if err == nil {
			err = h.c.commit(r.Context(), s, a, rec)
		}
		if errors.Is(err, errChanged) && attempt < 3 {
			continue
		}
		if err != nil {
			h.c.log.Error("preview decision", logErr, err)
			h.simple(w, r, http.StatusConflict, "gone")
			return
		}
		break
	}
	// Back to the requester (SPEC.md §1.2 step 6).
	p := &page{Key: "done", Choice: choice, Path: "/preview/" + s.Token}
	h.header(p, s, language(r))
	switch {
	case s.ReturnLocation != "":
		if u, err := url.Parse(s.ReturnLocation); err == nil && u.Scheme == "https" {
			http.Redirect(w, r, s.ReturnLocation, http.StatusSeeOther)
			return
		}
		p.Message = "badreturn"
	case s.ReturnURL != "" && !strings.HasPrefix(s.Version, "oots-edm:v2"):
		if h.returnAllowed(s.ReturnURL) {
			http.Redirect(w, r, s.ReturnURL, http.StatusSeeOther)
			return
		}
		p.Message = "badreturn"
		h.c.journal(r.Context(), s.record(EventReturnRefused))
	}
	h.render(w, r, p)
}

// returnAllowed reports whether a 1.x return address starts with one of
// Config.ReturnAllow, compared on the parsed URL (no user info, no
// fragment tricks).
func (h *web) returnAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	norm := u.Scheme + "://" + strings.ToLower(u.Host) + u.EscapedPath()
	for _, p := range h.c.cfg.ReturnAllow {
		if strings.HasPrefix(norm, p) {
			return true
		}
	}
	return false
}

func (h *web) file(w http.ResponseWriter, r *http.Request) {
	s, ok := h.usable(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if !h.viewer(r, s) || err != nil || n < 1 {
		h.simple(w, r, http.StatusNotFound, "unknown")
		return
	}
	sent := h.c.sentOf(s)
	if n > len(sent) {
		h.simple(w, r, http.StatusNotFound, "unknown")
		return
	}
	d := sent[n-1].Doc
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(d.Format); len(exts) > 0 {
		ext = exts[0]
	}
	if d.Format == "application/pdf" {
		ext = ".pdf"
	}
	hd := w.Header()
	// A document is shown, never run, and embedded only by the preview
	// page. Browsers refuse to start their PDF viewer in a sandbox, so a
	// PDF is only kept from other pages; any other format is sandboxed
	// (an XML document could carry XHTML script).
	if d.Format == "application/pdf" {
		hd.Set("Content-Security-Policy", "frame-ancestors 'self'")
	} else {
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'; sandbox")
	}
	hd.Set("Content-Type", d.Format)
	hd.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "evidence-" + strconv.Itoa(n) + ext}))
	hd.Set("Content-Length", strconv.Itoa(len(d.Content)))
	w.Write(d.Content)
}

// The style sheet: readable type, contrast above 4.5:1, a visible focus.
const css = `p.consent{display:flex;gap:.5rem;align-items:flex-start}
fieldset.consent{border:1px solid #b1b4b6;border-radius:4px;padding:.75rem 1rem;margin:0 0 1rem;background:#fff}fieldset.consent legend{padding:0 .25rem}
fieldset.procedures{margin:.5rem 0 0 1.5rem}fieldset.procedures p{margin:.2rem 0}
main section{background:#fff;border:1px solid #b1b4b6;border-radius:4px;padding:1rem 1.25rem;margin:0 0 1.25rem}
button.approve{background:#0b5c2e;border-color:#0b5c2e}button.refuse{background:#8a1c1c;border-color:#8a1c1c}
button.secondary.refuse{background:#fff;color:#8a1c1c}button.secondary.refuse:hover{background:#fbeaea;color:#5e1212}
button{margin:.3rem .3rem .3rem 0}
object{width:100%;height:40rem;border:1px solid #595959}
.notice{border-left-color:#8a1c1c}
dl.ask{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.5rem;border-left:6px solid #1d4f91;padding:.5rem 1rem;background:#fff}dl.ask dt{font-weight:600}dl.ask dd{margin:0}
@media (max-width:40rem){dl.ask{grid-template-columns:1fr}object{height:24rem}}
ul.names{margin:0;padding-left:1.1rem}.code{color:#3d4551;font-size:.9em}td span.code,dd span.code{display:block}
.notice.expired{border-left-color:#8a4b00;background:#fff6e5}details.tech{margin:.5rem 0;color:#3d4551}details.tech p{overflow-wrap:anywhere}
`

func withOutcome(r journal.Record, outcome string) journal.Record {
	r.Outcome = outcome
	return r
}

// PreviewCallbackPath and ConsentsPath + ConsentsCallbackPath are where the
// identity provider sends the citizen back after the login at the preview
// space and at the consents page: the redirect_uris to register for the
// preview space (PreviewBase + path), compared exactly.
const (
	PreviewCallbackPath  = "/preview/callback"
	ConsentsCallbackPath = "/callback"
)

// loginFailure is the page key of a login the identity provider's answer
// did not complete: the eID gave no eIDAS identifier, or too low a level of
// assurance (the user can try another eID), or anything else.
func loginFailure(err error) string {
	switch {
	case errors.Is(err, eid.ErrNoIdentifier):
		return "loginNoIdentifier"
	case errors.Is(err, eid.ErrLoA):
		return "loginLoA"
	}
	return "login"
}

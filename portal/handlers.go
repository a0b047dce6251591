package portal

import (
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

// Log attribute keys.
const (
	logJourney     = "journey"
	logRequirement = "requirement"
	logErr         = "err"
	logProcedure   = "procedure"
	logCountry     = "country"
	logIssuer      = "issuer"
	logLoA         = "loa"
	logCompany     = "company"
	logEvidence    = "evidence"
	logReference   = "reference"
	logPath        = "path"
	logPage        = "page"
	logSession     = "session"
)

// timeLayout is how times are written in sentences (in UTC, which every
// reader can place); elsewhere a page shows ui.Time, which the page's
// script puts into the reader's time zone.
const timeLayout = ui.TimeLayout

// ---- home and start ----

type homeData struct {
	Procedures []option
	Countries  []option
	Journeys   []journeyLink
}

type option struct {
	ID, Value, Label, Description string
	Checked                       bool
	Company                       bool
}

type journeyLink struct {
	URL, Title, Country string
	Created             template.HTML // ui.Time
}

func (p *Portal) home(rq *request) error {
	return p.renderHome(rq, http.StatusOK, "")
}

func (p *Portal) renderHome(rq *request, status int, errMsg string) error {
	d := homeData{}
	selP, selC := rq.r.FormValue("procedure"), rq.r.FormValue("country")
	if selP == "" && rq.sess != nil {
		selP, selC = rq.sess.PendingProcedure, rq.sess.PendingCountry
	}
	for _, pr := range p.cfg.Procedures {
		d.Procedures = append(d.Procedures, option{Value: pr.Code, Label: pr.Title(rq.lang), Checked: pr.Code == selP, Company: pr.Company})
	}
	for _, c := range p.cfg.Countries {
		d.Countries = append(d.Countries, option{Value: c, Label: countryName(rq.lang, c), Checked: c == selC})
	}
	if owner := rq.sess.owner(); owner != "" {
		js, err := p.sessions.journeys(rq.r.Context(), owner, 20)
		if err != nil {
			return err
		}
		for _, j := range js {
			d.Journeys = append(d.Journeys, journeyLink{
				URL: "/journeys/" + url.PathEscape(j.ID), Title: p.procedureTitle(rq.lang, j.Procedure),
				Country: countryName(rq.lang, j.Country), Created: ui.Time(j.Created),
			})
		}
	}
	p.render(rq, status, "home", rq.t("homeTitle"), d, errMsg, "")
	return nil
}

// about is the page the footer links lead to: the accessibility
// statement, the privacy notice and the contact.
func (p *Portal) about(rq *request) error {
	title, sections := ui.Info(rq.lang, p.cfg.Name)
	p.render(rq, http.StatusOK, "about", title, struct {
		Title    string
		Sections []ui.Section
	}{title, sections}, "", "")
	return nil
}

func (p *Portal) procedureTitle(lang, code string) string {
	if pr, ok := p.procedures[code]; ok {
		return pr.Title(lang)
	}
	return code
}

func (p *Portal) offersCountry(c string) bool {
	for _, x := range p.cfg.Countries {
		if x == c {
			return true
		}
	}
	return false
}

// start begins a journey for the chosen procedure and country, logging the
// user in first when needed.
func (p *Portal) start(rq *request) error {
	proc, country := rq.r.PostForm.Get("procedure"), rq.r.PostForm.Get("country")
	if _, ok := p.procedures[proc]; !ok {
		return p.renderHome(rq, http.StatusUnprocessableEntity, rq.t("errProcedure"))
	}
	if !p.offersCountry(country) {
		return p.renderHome(rq, http.StatusUnprocessableEntity, rq.t("errCountry"))
	}
	if rq.sess.owner() == "" {
		rq.sess.PendingProcedure, rq.sess.PendingCountry, rq.sess.ReturnTo = proc, country, ""
		return p.beginLogin(rq)
	}
	return p.startJourney(rq, proc, country)
}

// startJourney asks the connector for a new journey (SPEC.md §1.2 step 2)
// and shows it.
func (p *Portal) startJourney(rq *request, proc, country string) error {
	pr := p.procedures[proc]
	subj := rq.sess.Subject
	if pr.Company && subj.Company == nil {
		// Kept, so that a login as a company's representative goes on.
		rq.sess.PendingProcedure, rq.sess.PendingCountry = proc, country
		if err := p.sessions.save(rq.r.Context(), rq.sess); err != nil {
			return err
		}
		return &userError{status: http.StatusForbidden, key: "errCompany", login: true, resume: true}
	}
	j, err := p.cfg.Service.Start(rq.r.Context(), requester.StartRequest{
		Procedure: proc, Country: country, Subject: *subj,
		ReturnURL: p.cfg.BaseURL + "/return",
		Languages: []string{rq.lang}, AssociatedDocuments: pr.AssociatedDocuments,
	})
	if err != nil {
		p.log.Error("portal: starting journey failed", logProcedure, proc, logCountry, country, logErr, err)
		if errors.Is(err, requester.ErrNotFound) {
			return &userError{status: http.StatusNotFound, key: "errStartNotFound"}
		}
		return &userError{status: http.StatusBadGateway, key: "errStart"}
	}
	if err := p.sessions.addJourney(rq.r.Context(), journeyRecord{
		ID: j.ID, Owner: rq.sess.owner(), Procedure: proc, Country: country, Created: p.now(),
	}); err != nil {
		return err
	}
	p.log.Info("portal: journey started", logJourney, j.ID, logProcedure, proc, logCountry, country)
	return rq.redirect("/journeys/" + url.PathEscape(j.ID))
}

// ---- login (SPEC.md §1.2 step 1) ----

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
	state, err := randomToken(p.rand, 24)
	if err != nil {
		return err
	}
	rq.sess.LoginState = state
	if err := p.sessions.save(rq.r.Context(), rq.sess); err != nil {
		return err
	}
	return rq.redirect("/login")
}

// loginPage hands the browser to the Authenticator with the session's
// login state. It is a GET so that an Authenticator's own pages (such as
// the choice of the eID's country) can come back to it with their
// parameters; a browser without a login begun gets a new state.
func (p *Portal) loginPage(rq *request) error {
	if rq.sess.LoginState == "" {
		state, err := randomToken(p.rand, 24)
		if err != nil {
			return err
		}
		rq.sess.LoginState = state
		if err := p.sessions.save(rq.r.Context(), rq.sess); err != nil {
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

// ---- the journey ----

// ownJourney returns the journey of the path if the session's user started
// it; errNotFound otherwise (another user's journey is not told apart from
// one that does not exist). A user who is not logged in is asked to.
func (p *Portal) ownJourney(rq *request) (*requester.Journey, error) {
	id := rq.r.PathValue("id")
	owner := rq.sess.owner()
	if owner == "" {
		ue := &userError{status: http.StatusUnauthorized, key: "errLoginNeeded", login: true}
		if rq.r.Method == http.MethodGet {
			ue.returnTo = rq.r.URL.Path
		}
		return nil, ue
	}
	stored, err := p.sessions.journeyOwner(rq.r.Context(), id)
	if err != nil {
		return nil, err
	}
	if stored == "" || subtle.ConstantTimeCompare([]byte(stored), []byte(owner)) != 1 {
		return nil, errNotFound
	}
	j, err := p.cfg.Service.Get(rq.r.Context(), id)
	if errors.Is(err, requester.ErrNotFound) {
		p.log.Warn("portal: the connector does not know a journey of the portal", logJourney, id)
		return nil, errNotFound
	}
	if err != nil {
		p.log.Error("portal: reading journey failed", logJourney, id, logErr, err)
		return nil, &userError{status: http.StatusBadGateway, key: "errService"}
	}
	return j, nil
}

type journeyData struct {
	ID             string
	ProcedureTitle string
	CountryName    string
	State          string
	Deadline       template.HTML // ui.Time
	Returned       bool
	// Waiting: an answer is expected soon (a request sent, a deferred
	// evidence due within deferredRefreshWithin, or back from a preview
	// whose answer has not arrived): the page's script asks StatusURL
	// for changes, and without script the user has a "check again"
	// button.
	Waiting bool
	// Poll: the page asks for changes (Waiting, or a requirement waits
	// at its preview, which the user may complete in another tab).
	Poll      bool
	SelfURL   string
	StatusURL string
	// Banner is the one sentence of the live status region: the truth
	// of the whole journey, never a waiting message beside a final state.
	Banner string
	// Step is where the journey stands in the step indicator (package
	// ui): the least advanced of its requirements.
	Step         ui.Step
	ChooseURL    string
	RequestURL   string
	SkipURL      string
	RetryURL     string
	Failed       bool
	SubmitURL    string
	Ready        bool
	Reference    string
	ReferenceURL string
	Requirements []requirementView
}

type requirementView struct {
	Index         int
	ID            string
	Name          string
	Step          string
	StepLabel     string
	Error         string
	ErrorID       string
	EvidenceTypes []option
	Questions     []questionView
	Providers     []option
	Consent       string
	ConsentID     string
	EvidenceTitle string
	ProviderName  string
	PreviewURL    string
	Evidence      []evidenceView
	// Now says, in plain words, where the requirement stands (for a
	// waiting or previewed requirement, the evidence received).
	Now string
	// Outcome classifies a failure (outcome…); FailureReason and
	// NextStep are its words, FailureCode and FailureDetail go to the
	// "details for support" part only.
	Outcome       string
	FailureReason string
	NextStep      string
	FailureCode   string
	FailureDetail string
	// State is a digest of what the requirement shows: the page's script
	// replaces a requirement only when its State changed, so that the
	// forms the user is filling in stay as they are.
	State string
	// DeferredText tells when a deferred evidence will be available.
	DeferredText string
	// Skipped: the user goes on without this requirement. Skippable: the
	// journey failed and this requirement has no evidence, so the user
	// may go on without it. Blocked: the journey failed before this
	// requirement was requested; the connector takes no more choices.
	Skipped   bool
	Skippable bool
	Blocked   bool
}

type questionView struct {
	ID, Name, Label string
	Values          []option
}

type evidenceView struct {
	Title, Format, Issuer, Date, URL string
	Role, RoleLabel                  string // the EDM 2.0 role and its label ("Annex to …"); "" for 1.x evidence
	Language                         string
}

// back is the ReturnURL given to the connector, which appends the query
// parameters journey and requirement: it sends the browser on to the
// journey's return page.
func (p *Portal) back(rq *request) error {
	id := rq.r.URL.Query().Get("journey")
	if id == "" || len(id) > 200 {
		return errNotFound
	}
	path := "/journeys/" + url.PathEscape(id) + "/return"
	if i, err := strconv.Atoi(rq.r.URL.Query().Get("requirement")); err == nil && i >= 0 {
		path += "#req-" + strconv.Itoa(i)
	}
	http.Redirect(rq.w, rq.r, path, http.StatusSeeOther)
	return nil
}

func (p *Portal) journey(rq *request) error { return p.showJourney(rq, false, "", "") }

// journeyReturn is where the provider's preview space sends the user back
// (SPEC.md §1.2 step 6): the journey, refreshed until the evidence arrives.
func (p *Portal) journeyReturn(rq *request) error { return p.showJourney(rq, true, "", "") }

// previewing reports whether a requirement of j waits at its preview.
func previewing(j *requester.Journey) bool {
	for _, r := range j.Requirements {
		if r.Step == requester.StepPreview {
			return true
		}
	}
	return false
}

// showJourney renders the journey; errReq and errMsg put a message on one
// requirement's form.
func (p *Portal) showJourney(rq *request, returned bool, errReq, errMsg string) error {
	j, err := p.ownJourney(rq)
	if err != nil {
		return err
	}
	d, err := p.journeyView(rq, j)
	if err != nil {
		return err
	}
	status := http.StatusOK
	for i := range d.Requirements {
		if d.Requirements[i].ID == errReq {
			d.Requirements[i].Error = errMsg
			status = http.StatusUnprocessableEntity
		}
	}
	if errReq != "" && status == http.StatusOK {
		return &userError{status: http.StatusUnprocessableEntity, key: "errRequirement"}
	}
	p.setBanner(rq, d, j, returned)
	p.render(rq, status, "journey", d.ProcedureTitle, d, "", "/static/journey.js")
	return nil
}

// setBanner chooses the journey's live status: waiting only while an
// answer is expected, else the final or current state in plain words.
func (p *Portal) setBanner(rq *request, d *journeyData, j *requester.Journey, returned bool) {
	d.Returned = returned
	if returned && previewing(j) {
		// Back from the preview space the requirement stays in its
		// preview step until the provider's answer arrives.
		d.Waiting = true
	}
	d.Poll = d.Waiting || previewing(j)
	q := url.Values{}
	if returned {
		q.Set("returned", "1")
	}
	d.StatusURL = "/journeys/" + url.PathEscape(j.ID) + "/status"
	if len(q) > 0 {
		d.StatusURL += "?" + q.Encode()
	}
	d.Step = journeyStep(d, returned)
	received := 0
	for i := range d.Requirements {
		r := &d.Requirements[i]
		switch {
		case r.Step == requester.StepDone:
			received++
		case r.Step == requester.StepPreview && returned:
			r.Now = rq.t("now_previewed", r.ProviderName)
			r.State += "/returned"
		}
	}
	switch {
	case d.Reference != "":
		d.Banner = rq.t("banner_submitted")
	case j.State == requester.JourneyFailed:
		d.Banner = rq.t("banner_failed")
	case j.State == requester.JourneyComplete:
		d.Banner = rq.t("banner_complete")
	case returned && d.Waiting:
		d.Banner = rq.t("banner_returned")
	case d.Waiting:
		d.Banner = rq.t("banner_pending")
	default:
		d.Banner = rq.t("banner_open", received, len(d.Requirements))
	}
}

// journeyStatus is what the journey page's script asks for while an
// answer is expected (GET /journeys/{id}/status[?returned=1]).
type journeyStatus struct {
	// Poll: ask again; false once nothing more is expected soon.
	Poll bool `json:"poll"`
	// Status is the live status region's content, Actions the
	// journey's actions below the requirements (HTML fragments).
	Status  string `json:"status"`
	Actions string `json:"actions"`
	// Steps is the step indicator (HTML fragment).
	Steps string `json:"steps"`
	// Requirements are the requirements by element id, each with its
	// State and its HTML; the script replaces only those whose State
	// changed.
	Requirements []requirementStatus `json:"requirements"`
}

type requirementStatus struct {
	ID    string `json:"id"`
	State string `json:"state"`
	HTML  string `json:"html"`
}

// status answers the journey page's script with the parts of the page
// that may have changed, as JSON: no reload, so nothing the user is
// filling in is lost.
func (p *Portal) status(rq *request) error {
	j, err := p.ownJourney(rq)
	if err != nil {
		return err
	}
	d, err := p.journeyView(rq, j)
	if err != nil {
		return err
	}
	p.setBanner(rq, d, j, rq.r.URL.Query().Get("returned") == "1")
	out := journeyStatus{Poll: d.Poll}
	v := p.view(rq, d.ProcedureTitle, d, "")
	if out.Status, err = p.fragment(rq, "journey", "status", v); err != nil {
		return err
	}
	if out.Actions, err = p.fragment(rq, "journey", "actions", v); err != nil {
		return err
	}
	if out.Steps, err = p.fragment(rq, "journey", "ui.steps", ui.Steps{Lang: rq.lang, Current: d.Step}); err != nil {
		return err
	}
	for _, r := range d.Requirements {
		h, err := p.fragment(rq, "journey", "requirement", []any{v, r})
		if err != nil {
			return err
		}
		out.Requirements = append(out.Requirements, requirementStatus{ID: fmt.Sprintf("req-%d", r.Index), State: r.State, HTML: h})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	rq.w.Write(b)
	return nil
}

func (p *Portal) journeyView(rq *request, j *requester.Journey) (*journeyData, error) {
	ctx := rq.r.Context()
	base := "/journeys/" + url.PathEscape(j.ID)
	d := &journeyData{
		ID: j.ID, ProcedureTitle: p.procedureTitle(rq.lang, j.Procedure), CountryName: countryName(rq.lang, j.Country),
		State: rq.t("state_" + j.State), SelfURL: rq.r.URL.Path,
		ChooseURL: base + "/choose", RequestURL: base + "/request", SkipURL: base + "/skip", SubmitURL: base + "/submit",
		RetryURL: base + "/retry", Failed: j.State == requester.JourneyFailed,
	}
	if !j.Deadline.IsZero() {
		d.Deadline = ui.Time(j.Deadline)
	}
	skipped, err := p.sessions.skipped(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	d.Ready = len(j.Requirements) > 0
	for i, r := range j.Requirements {
		v := p.requirementView(rq, j, i, r, base)
		v.Skippable = skippable(j, r)
		v.Skipped = skipped[r.ID] && v.Skippable
		v.Blocked = d.Failed && isChoiceStep(r.Step)
		if r.Step == requester.StepWaiting || deferredView(rq, r, &v, p.now()) {
			d.Waiting = true
		}
		if r.Step != requester.StepDone && !v.Skipped {
			d.Ready = false
		}
		d.Requirements = append(d.Requirements, v)
	}
	sub, _, err := p.sessions.submission(ctx, "journey_id", j.ID)
	if err != nil {
		return nil, err
	}
	if sub != nil {
		d.Reference, d.ReferenceURL = sub.Reference, "/submissions/"+url.PathEscape(sub.Reference)
	}
	return d, nil
}

func (p *Portal) requirementView(rq *request, j *requester.Journey, i int, r *requester.Requirement, base string) requirementView {
	v := requirementView{Index: i, ID: r.ID, Name: r.Name, Step: r.Step, StepLabel: rq.t("step_" + r.Step), ErrorID: fmt.Sprintf("r%d-error", i)}
	if v.Name == "" {
		v.Name = r.ID
	}
	for k, et := range r.EvidenceTypes {
		v.EvidenceTypes = append(v.EvidenceTypes, option{ID: fmt.Sprintf("r%d-et%d", i, k), Value: et.Classification,
			Label: et.Title, Description: et.Description, Checked: et.Classification == r.ChosenEvidenceType})
		if et.Classification == r.ChosenEvidenceType {
			v.EvidenceTitle = et.Title
		}
	}
	if v.EvidenceTitle == "" && len(r.EvidenceTypes) == 1 {
		v.EvidenceTitle = r.EvidenceTypes[0].Title
	}
	for k, q := range r.Questions {
		qv := questionView{ID: fmt.Sprintf("r%d-q%d", i, k), Name: fmt.Sprintf("q%d", k), Label: q.Description}
		if qv.Label == "" {
			qv.Label = q.ID
		}
		for _, val := range q.Values {
			qv.Values = append(qv.Values, option{Value: val, Label: val})
		}
		v.Questions = append(v.Questions, qv)
	}
	for k, pv := range r.Providers {
		label := pv.Name
		if label == "" {
			label = pv.ID
		}
		v.Providers = append(v.Providers, option{ID: fmt.Sprintf("r%d-p%d", i, k), Value: pv.ID, Label: label,
			Description: strings.Join(pv.Formats, ", "), Checked: pv.ID == r.ChosenProvider})
		if pv.ID == r.ChosenProvider {
			v.ProviderName = label
		}
	}
	if v.ProviderName == "" {
		v.ProviderName = r.ChosenProvider
		if v.ProviderName == "" && len(r.Providers) == 1 {
			v.ProviderName = v.Providers[0].Label
		}
	}
	if v.EvidenceTitle == "" {
		v.EvidenceTitle = v.Name
	}
	v.ConsentID = fmt.Sprintf("r%d-consent", i)
	v.Consent = rq.t("consent", v.EvidenceTitle, v.ProviderName, countryName(rq.lang, j.Country))
	if x := r.Exchange; x != nil {
		if r.Step == requester.StepPreview && isWebURL(x.PreviewURL) {
			v.PreviewURL = withLanguage(x.PreviewURL, rq.lang)
		}
		v.Evidence = evidenceViews(rq, x.Evidence, base)
		if f := x.Error; f != nil {
			v.FailureCode, v.FailureDetail = string(f.Code), f.Message
			switch {
			case f.Message == "":
				v.FailureDetail = f.Detail
			case f.Detail != "":
				v.FailureDetail = f.Message + ": " + f.Detail
			}
		}
	}
	switch r.Step {
	case requester.StepWaiting:
		v.Now = rq.t("now_waiting", v.ProviderName)
	case requester.StepDone:
		v.Now = rq.t("now_done")
	case requester.StepFailed:
		v.Outcome = outcome(r.Exchange)
		v.FailureReason, v.NextStep = outcomeTexts(rq, v.Outcome)
	}
	v.State = fmt.Sprintf("%s/%s/%d", r.Step, v.Outcome, len(v.Evidence))
	return v
}

// serviceErrorKey is the message for an error of the connector on a
// step: the step moved on (ErrState), the service is unavailable, or else
// fallback.
func serviceErrorKey(err error, fallback string) string {
	switch {
	case errors.Is(err, requester.ErrState):
		return "errStep"
	case errors.Is(err, requester.ErrUnavailable):
		return "errService"
	}
	return fallback
}

// journeyStep is the step of the journey (SPEC.md §1.2) the user is at:
// that of its least advanced requirement (one skipped or received is
// ready for the submission); past the last step once submitted. A request
// sent is at its request until the provider answers; a requirement
// previewed (returned) is waiting to receive its evidence.
func journeyStep(d *journeyData, returned bool) ui.Step {
	if d.Reference != "" {
		return ui.StepsDone
	}
	step := ui.StepSubmit
	for _, r := range d.Requirements {
		s := ui.StepSubmit
		switch {
		case r.Skipped || r.Step == requester.StepDone:
		case r.Step == requester.StepExplicitRequest || (r.Step == requester.StepWaiting && !returned):
			s = ui.StepRequest
		case isChoiceStep(r.Step):
			s = ui.StepFindEvidence
		case r.Step == requester.StepPreview && !returned:
			s = ui.StepPreview
		default: // back from the preview, deferred, failed
			s = ui.StepReceive
		}
		step = min(step, s)
	}
	return step
}

// isChoiceStep reports whether step is before the evidence request.
func isChoiceStep(step string) bool {
	switch step {
	case requester.StepChooseEvidenceType, requester.StepAnswerQuestions, requester.StepChooseProvider, requester.StepExplicitRequest:
		return true
	}
	return false
}

// skippable reports whether the user may go on without requirement r: it
// failed, or the journey failed before r was requested. (The connector
// ends a journey at the first failure; the other requirements can then
// neither be chosen nor requested.)
func skippable(j *requester.Journey, r *requester.Requirement) bool {
	return r.Step == requester.StepFailed || (j.State == requester.JourneyFailed && isChoiceStep(r.Step))
}

// withLanguage adds the user's language to a preview link (lang=, which
// the preview spaces of this implementation honour and remember), so that
// the preview speaks the language chosen on the portal. The rest of the
// link is kept as the provider gave it.
func withLanguage(link, lang string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if q := u.Query(); q.Has("lang") {
		q.Set("lang", lang)
		u.RawQuery = q.Encode()
	} else if u.RawQuery == "" {
		u.RawQuery = "lang=" + url.QueryEscape(lang)
	} else {
		u.RawQuery += "&lang=" + url.QueryEscape(lang)
	}
	return u.String()
}

// isWebURL reports whether s is an absolute http(s) URL, the only kind of
// preview link the portal shows.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// postedRequirement returns the user's journey and the requirement named by
// the form's "requirement" field, with that field.
func (p *Portal) postedRequirement(rq *request) (*requester.Journey, *requester.Requirement, string, error) {
	j, err := p.ownJourney(rq)
	if err != nil {
		return nil, nil, "", err
	}
	rid := rq.r.PostForm.Get("requirement")
	for _, r := range j.Requirements {
		if r.ID == rid {
			return j, r, rid, nil
		}
	}
	return nil, nil, "", &userError{status: http.StatusUnprocessableEntity, key: "errRequirement"}
}

// choose records the user's choice for the requirement's current step:
// evidence type, answers to the DSD's questions, or provider.
func (p *Portal) choose(rq *request) error {
	j, r, rid, err := p.postedRequirement(rq)
	if err != nil {
		return err
	}
	var c requester.Choice
	switch r.Step {
	case requester.StepChooseEvidenceType:
		v := rq.r.PostForm.Get("evidenceType")
		if !slices.ContainsFunc(r.EvidenceTypes, func(et requester.EvidenceTypeOption) bool { return et.Classification == v }) {
			return p.showJourney(rq, false, rid, rq.t("errEvidenceType"))
		}
		c.EvidenceType = v
	case requester.StepAnswerQuestions:
		c.Answers = map[string]string{}
		for k, q := range r.Questions {
			v := strings.TrimSpace(rq.r.PostForm.Get("q" + strconv.Itoa(k)))
			if v == "" || len(v) > 500 {
				return p.showJourney(rq, false, rid, rq.t("errAnswer", q.Description))
			}
			if len(q.Values) > 0 && !slices.Contains(q.Values, v) {
				return p.showJourney(rq, false, rid, rq.t("errAnswer", q.Description))
			}
			c.Answers[q.ID] = v
		}
	case requester.StepChooseProvider:
		v := rq.r.PostForm.Get("provider")
		if !slices.ContainsFunc(r.Providers, func(pv requester.ProviderOption) bool { return pv.ID == v }) {
			return p.showJourney(rq, false, rid, rq.t("errProvider"))
		}
		c.Provider = v
	default:
		// The step moved on (another tab, a reload): show where it is.
		return rq.redirect(p.anchor(j, r))
	}
	if _, err := p.cfg.Service.Choose(rq.r.Context(), j.ID, rid, c); err != nil {
		p.log.Error("portal: choice refused", logJourney, j.ID, logRequirement, rid, logErr, err)
		return p.showJourney(rq, false, rid, rq.t(serviceErrorKey(err, "errChoice")))
	}
	return rq.redirect(p.anchor(j, r))
}

func (p *Portal) anchor(j *requester.Journey, r *requester.Requirement) string {
	for i, x := range j.Requirements {
		if x == r {
			return "/journeys/" + url.PathEscape(j.ID) + "#req-" + strconv.Itoa(i)
		}
	}
	return "/journeys/" + url.PathEscape(j.ID)
}

// request sends the evidence request after the user's explicit request
// (SPEC.md §1.2 step 2, ExplicitRequestGiven): without the ticked box
// nothing is sent.
func (p *Portal) request(rq *request) error {
	j, r, rid, err := p.postedRequirement(rq)
	if err != nil {
		return err
	}
	if r.Step != requester.StepExplicitRequest {
		return rq.redirect(p.anchor(j, r))
	}
	if rq.r.PostForm.Get("explicit") != "yes" {
		return p.showJourney(rq, false, rid, rq.t("errConsent"))
	}
	p.preferStructured(rq, j, r)
	preview := true
	if _, err := p.cfg.Service.Request(rq.r.Context(), j.ID, rid, requester.ExplicitRequest{Given: true, Preview: &preview}); err != nil {
		p.log.Error("portal: evidence request refused", logJourney, j.ID, logRequirement, rid, logErr, err)
		return p.showJourney(rq, false, rid, rq.t(serviceErrorKey(err, "errRequest")))
	}
	p.log.Info("portal: evidence requested", logJourney, j.ID, logRequirement, rid)
	return rq.redirect(p.anchor(j, r))
}

// retry starts the procedure's evidence anew after a failure: a new journey
// (a new conversation) for the same procedure and country, since the
// connector ends a journey at its first failure.
func (p *Portal) retry(rq *request) error {
	j, err := p.ownJourney(rq)
	if err != nil {
		return err
	}
	if j.State != requester.JourneyFailed {
		return rq.redirect("/journeys/" + url.PathEscape(j.ID))
	}
	return p.startJourney(rq, j.Procedure, j.Country)
}

// skip records that the user goes on without a requirement that failed or
// can no longer be requested.
func (p *Portal) skip(rq *request) error {
	j, r, rid, err := p.postedRequirement(rq)
	if err != nil {
		return err
	}
	if !skippable(j, r) {
		return rq.redirect(p.anchor(j, r))
	}
	if err := p.sessions.skip(rq.r.Context(), j.ID, rid); err != nil {
		return err
	}
	return rq.redirect(p.anchor(j, r))
}

// inlineTypes are the evidence formats a browser shows safely; any other
// file is downloaded.
var inlineTypes = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true, "text/plain": true}

// evidence serves an evidence file of the user's journey.
func (p *Portal) evidence(rq *request) error {
	j, err := p.ownJourney(rq)
	if err != nil {
		return err
	}
	eid := rq.r.PathValue("eid")
	var meta *requester.Evidence
	for _, r := range j.Requirements {
		if r.Exchange == nil {
			continue
		}
		for k := range r.Exchange.Evidence {
			if r.Exchange.Evidence[k].ID == eid {
				meta = &r.Exchange.Evidence[k]
			}
		}
	}
	if meta == nil {
		return errNotFound
	}
	f, err := p.cfg.Service.Evidence(rq.r.Context(), j.ID, eid)
	if err != nil {
		p.log.Error("portal: reading evidence failed", logJourney, j.ID, logEvidence, eid, logErr, err)
		return &userError{status: http.StatusBadGateway, key: "errService"}
	}
	ctype := "application/octet-stream"
	if mt, params, err := mime.ParseMediaType(f.MimeType); err == nil {
		ctype = mime.FormatMediaType(mt, params)
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	name := f.Name
	if name == "" {
		name = "evidence"
	}
	disposition := "attachment"
	if inlineTypes[mt] {
		disposition = "inline"
	}
	h := rq.w.Header()
	h.Set("Content-Type", ctype)
	if cd := mime.FormatMediaType(disposition, map[string]string{"filename": name}); cd != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", disposition)
	}
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	h.Set("Cache-Control", "private, no-store")
	if mt != "application/pdf" {
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
	}
	rq.w.WriteHeader(http.StatusOK)
	_, err = rq.w.Write(f.Data)
	if err != nil {
		p.log.Warn("portal: sending evidence", logJourney, j.ID, logErr, err)
	}
	return nil
}

// ---- submission (SPEC.md §1.2 step 7) ----

type summaryData struct {
	Journey    *journeyData
	Applicant  string
	BirthDate  string
	Company    string
	SubmitURL  string
	Submission *Submission
	// FormURL is the procedure's application form pre-filled from the
	// evidence, when it has one.
	FormURL string
}

func (p *Portal) readyJourney(rq *request) (*requester.Journey, *journeyData, error) {
	j, err := p.ownJourney(rq)
	if err != nil {
		return nil, nil, err
	}
	d, err := p.journeyView(rq, j)
	if err != nil {
		return nil, nil, err
	}
	return j, d, nil
}

// summary shows what will be submitted, with the button to submit it.
func (p *Portal) summary(rq *request) error {
	j, d, err := p.readyJourney(rq)
	if err != nil {
		return err
	}
	if d.Reference != "" {
		http.Redirect(rq.w, rq.r, d.ReferenceURL, http.StatusSeeOther)
		return nil
	}
	if !d.Ready {
		http.Redirect(rq.w, rq.r, "/journeys/"+url.PathEscape(d.ID), http.StatusSeeOther)
		return nil
	}
	s := rq.sess.Subject
	sd := summaryData{Journey: d, Applicant: s.Person.GivenName + " " + s.Person.FamilyName, BirthDate: s.Person.DateOfBirth, SubmitURL: d.SubmitURL}
	if pr, ok := p.procedures[j.Procedure]; ok && pr.Form != nil {
		sd.FormURL = "/journeys/" + url.PathEscape(d.ID) + "/form"
	}
	if s.Company != nil {
		sd.Company = s.Company.LegalName
	}
	p.render(rq, http.StatusOK, "summary", rq.t("summaryTitle"), sd, "", "")
	return nil
}

// submit stores the procedure with a new reference number; submitting a
// journey again gives the first reference.
func (p *Portal) submit(rq *request) error {
	j, d, err := p.readyJourney(rq)
	if err != nil {
		return err
	}
	if !d.Ready {
		return &userError{status: http.StatusConflict, key: "errNotReady"}
	}
	return p.store(rq, j, d, nil)
}

// store stores the procedure with a new reference number and the form's
// values, if any; submitting a journey again gives the first reference.
func (p *Portal) store(rq *request, j *requester.Journey, d *journeyData, form []FormValue) error {
	ref, err := p.reference()
	if err != nil {
		return err
	}
	s := rq.sess.Subject
	sub := &Submission{Reference: ref, JourneyID: j.ID, Procedure: j.Procedure, Country: j.Country,
		Applicant: s.Person.GivenName + " " + s.Person.FamilyName, Created: p.now().UTC(), Form: form}
	if s.Company != nil {
		sub.Company = s.Company.LegalName
	}
	for _, r := range d.Requirements {
		it := Item{Requirement: r.Name, Without: r.Skipped}
		for _, e := range r.Evidence {
			it.Evidence = append(it.Evidence, e.Title)
		}
		sub.Items = append(sub.Items, it)
	}
	stored, err := p.sessions.addSubmission(rq.r.Context(), rq.sess.owner(), sub)
	if err != nil {
		return err
	}
	p.log.Info("portal: procedure submitted", logJourney, j.ID, logReference, stored.Reference)
	return rq.redirect("/submissions/" + url.PathEscape(stored.Reference))
}

// reference returns a new reference number: the portal's country, the
// year and ten random characters (50 bits) in Crockford's base32 alphabet.
func (p *Portal) reference() (string, error) {
	b := make([]byte, 7)
	if _, err := io.ReadFull(p.rand, b); err != nil {
		return "", fmt.Errorf("portal: reading randomness: %w", err)
	}
	s := base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding).EncodeToString(b)
	return fmt.Sprintf("%s-%d-%s-%s", p.cfg.Country, p.now().UTC().Year(), s[:5], s[5:10]), nil
}

// submission shows a submitted procedure to its owner.
func (p *Portal) submission(rq *request) error {
	owner := rq.sess.owner()
	if owner == "" {
		return &userError{status: http.StatusUnauthorized, key: "errLoginNeeded", login: true, returnTo: rq.r.URL.Path}
	}
	sub, stored, err := p.sessions.submission(rq.r.Context(), "reference", rq.r.PathValue("ref"))
	if err != nil {
		return err
	}
	if sub == nil || subtle.ConstantTimeCompare([]byte(stored), []byte(owner)) != 1 {
		return errNotFound
	}
	type data struct {
		Submission     *Submission
		ProcedureTitle string
		CountryName    string
		Created        template.HTML // ui.Time
		JourneyURL     string
	}
	p.render(rq, http.StatusOK, "submitted", rq.t("submittedTitle"), data{
		Submission: sub, ProcedureTitle: p.procedureTitle(rq.lang, sub.Procedure), CountryName: countryName(rq.lang, sub.Country),
		Created: ui.Time(sub.Created), JourneyURL: "/journeys/" + url.PathEscape(sub.JourneyID),
	}, "", "")
	return nil
}

// CallbackPath is where the identity provider sends the citizen back after
// the login: the redirect_uri to register for the portal (BaseURL +
// CallbackPath), compared exactly.
const CallbackPath = "/login/callback"

package portal

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

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

// ownJourneyView returns the journey of the path (see ownJourney) and what
// its pages show of it.
func (p *Portal) ownJourneyView(rq *request) (*requester.Journey, *journeyData, error) {
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

// showJourney renders the journey; errReq and errMsg put a message on one
// requirement's form.
func (p *Portal) showJourney(rq *request, returned bool, errReq, errMsg string) error {
	j, d, err := p.ownJourneyView(rq)
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

package portal

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/requester"
)

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
	if r.Step != requester.StepChooseEvidenceType && r.Step != requester.StepAnswerQuestions && r.Step != requester.StepChooseProvider {
		// The step moved on (another tab, a reload): show where it is.
		return rq.redirect(p.anchor(j, r))
	}
	c, errMsg := postedChoice(rq, r)
	if errMsg != "" {
		return p.showJourney(rq, false, rid, errMsg)
	}
	if _, err := p.cfg.Service.Choose(rq.r.Context(), j.ID, rid, c); err != nil {
		p.log.Error("portal: choice refused", logJourney, j.ID, logRequirement, rid, logErr, err)
		return p.showJourney(rq, false, rid, rq.t(serviceErrorKey(err, "errChoice")))
	}
	return rq.redirect(p.anchor(j, r))
}

// postedChoice reads the form's choice for r's current step, one of the
// options the connector offered; else it returns the message for the user.
func postedChoice(rq *request, r *requester.Requirement) (c requester.Choice, errMsg string) {
	switch r.Step {
	case requester.StepChooseEvidenceType:
		v := rq.r.PostForm.Get("evidenceType")
		if !slices.ContainsFunc(r.EvidenceTypes, func(et requester.EvidenceTypeOption) bool { return et.Classification == v }) {
			return c, rq.t("errEvidenceType")
		}
		c.EvidenceType = v
	case requester.StepAnswerQuestions:
		c.Answers = map[string]string{}
		for k, q := range r.Questions {
			v := strings.TrimSpace(rq.r.PostForm.Get("q" + strconv.Itoa(k)))
			if v == "" || len(v) > 500 {
				return c, rq.t("errAnswer", q.Description)
			}
			if len(q.Values) > 0 && !slices.Contains(q.Values, v) {
				return c, rq.t("errAnswer", q.Description)
			}
			c.Answers[q.ID] = v
		}
	case requester.StepChooseProvider:
		v := rq.r.PostForm.Get("provider")
		if !slices.ContainsFunc(r.Providers, func(pv requester.ProviderOption) bool { return pv.ID == v }) {
			return c, rq.t("errProvider")
		}
		c.Provider = v
	}
	return c, ""
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

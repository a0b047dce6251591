package portal

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

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

// summary shows what will be submitted, with the button to submit it.
func (p *Portal) summary(rq *request) error {
	j, d, err := p.ownJourneyView(rq)
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
	j, d, err := p.ownJourneyView(rq)
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

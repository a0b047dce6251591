package portal

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

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

package portal

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

// maxDataUseJourneys bounds the journeys the data-use page reads.
const maxDataUseJourneys = 200

// DataUse is one exchange about the user, as the data-use page shows and
// exports it: who asked whom for what, what was sent, when, and on what
// basis.
type DataUse struct {
	Journey   string `json:"journey"`
	Procedure string `json:"procedure"`
	// Requester is the authority that asked (this portal's); Provider the
	// evidence provider asked.
	Requester   string `json:"requester"`
	Provider    string `json:"provider"`
	Requirement string `json:"requirement"`
	// SentAboutYou is what the request carried about the user: the
	// identity data of the eIDAS login (the evidence request's subject).
	SentAboutYou []string  `json:"sentAboutYou"`
	Requested    time.Time `json:"requested"`
	// Received are the documents received (title and format).
	Received []string `json:"received,omitempty"`
	Outcome  string   `json:"outcome"`
	// Basis is what the exchange relied on: "explicit-request",
	// "preview" (the user approved at the provider's preview) or
	// "consent" (a background request answered without preview under the
	// user's consent at the provider).
	Basis string `json:"basis"`
}

// dataUses lists the exchanges of the user's journeys, newest first.
func (p *Portal) dataUses(rq *request) ([]DataUse, error) {
	ctx := rq.r.Context()
	js, err := p.sessions.journeys(ctx, rq.sess.owner(), maxDataUseJourneys)
	if err != nil {
		return nil, err
	}
	s := rq.sess.Subject
	about := []string{"name: " + s.Person.GivenName + " " + s.Person.FamilyName, "date of birth: " + s.Person.DateOfBirth,
		"eIDAS identifier: " + s.Person.Identifier, "level of assurance: " + string(s.LoA)}
	if s.Company != nil {
		about = append(about, "company: "+s.Company.LegalName+" ("+s.Company.Identifier+")")
	}
	var out []DataUse
	for _, jr := range js {
		j, err := p.cfg.Service.Get(ctx, jr.ID)
		if err != nil {
			p.log.Warn("portal: data use: journey not read", logJourney, jr.ID, logErr, err)
			continue
		}
		for _, r := range j.Requirements {
			x := r.Exchange
			if x == nil || x.Sent.IsZero() {
				continue
			}
			u := DataUse{Journey: j.ID, Procedure: j.Procedure, Requester: p.cfg.Name, Provider: x.Provider, Requirement: r.Name,
				SentAboutYou: about, Requested: x.Sent.UTC(), Outcome: r.Step, Basis: "explicit-request"}
			for _, o := range r.Providers {
				if o.ID == x.Provider && o.Name != "" {
					u.Provider = o.Name + " (" + o.ID + ")"
				}
			}
			for _, e := range x.Evidence {
				u.Received = append(u.Received, e.Title+" ("+e.Format+")")
			}
			if x.Error != nil {
				u.Outcome = string(x.Error.Code)
			}
			switch {
			case x.Previewed:
				u.Basis = "preview"
			case x.Background && r.Step == requester.StepDone:
				u.Basis = "consent"
			}
			out = append(out, u)
		}
	}
	return out, nil
}

type dataUseView struct {
	DataUse
	ProcedureTitle, About, Received, Basis, Outcome string
	Requested                                       template.HTML // ui.Time
}

// dataUse shows every exchange about the logged-in user (GET /my-data),
// or exports it: ?format=json, ?format=html (the page as a file).
func (p *Portal) dataUse(rq *request) error {
	if rq.sess.owner() == "" {
		return &userError{status: http.StatusUnauthorized, key: "errLoginNeeded", login: true, returnTo: "/my-data"}
	}
	uses, err := p.dataUses(rq)
	if err != nil {
		return err
	}
	format := rq.r.URL.Query().Get("format")
	if format == "json" {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Exchanges []DataUse `json:"exchanges"`
		}{uses}); err != nil {
			return err
		}
		h := rq.w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Disposition", `attachment; filename="data-use.json"`)
		h.Set("Cache-Control", "private, no-store")
		rq.w.Write(b.Bytes())
		return nil
	}
	var views []dataUseView
	for _, u := range uses {
		v := dataUseView{DataUse: u, ProcedureTitle: p.procedureTitle(rq.lang, u.Procedure), Requested: ui.Time(u.Requested),
			About: strings.Join(u.SentAboutYou, "; "), Received: strings.Join(u.Received, "; "), Basis: rq.t("basis_" + u.Basis),
			Outcome: rq.t("step_" + u.Outcome)}
		if strings.Contains(u.Outcome, ":") { // an error code (EDM:ERR:…, EBMS:…), not a step
			v.Outcome = u.Outcome
		}
		views = append(views, v)
	}
	if format == "html" {
		rq.w.Header().Set("Content-Disposition", `attachment; filename="data-use.html"`)
	}
	p.render(rq, http.StatusOK, "datause", rq.t("dataUseTitle"), struct {
		Uses    []dataUseView
		JSONURL string
		HTMLURL string
	}{views, "/my-data?" + url.Values{"format": {"json"}}.Encode(), "/my-data?" + url.Values{"format": {"html"}}.Encode()}, "", "")
	return nil
}

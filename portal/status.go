package portal

import (
	"encoding/json"
	"fmt"

	"github.com/oots-go/oots/internal/ui"
)

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
	j, d, err := p.ownJourneyView(rq)
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

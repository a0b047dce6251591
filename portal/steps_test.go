package portal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

// TestJourneyStep: the journey is at the step of its least advanced
// requirement; one skipped or received waits only for the submission, and
// once submitted every step is done.
func TestJourneyStep(t *testing.T) {
	req := func(step string) requirementView { return requirementView{Step: step} }
	for _, c := range []struct {
		name     string
		reqs     []requirementView
		returned bool
		ref      string
		want     ui.Step
	}{
		{"choosing", []requirementView{req(requester.StepChooseEvidenceType), req(requester.StepDone)}, false, "", ui.StepFindEvidence},
		{"questions", []requirementView{req(requester.StepAnswerQuestions)}, false, "", ui.StepFindEvidence},
		{"ready to request", []requirementView{req(requester.StepExplicitRequest), req(requester.StepDone)}, false, "", ui.StepRequest},
		{"request sent", []requirementView{req(requester.StepWaiting)}, false, "", ui.StepRequest},
		{"least advanced wins", []requirementView{req(requester.StepPreview), req(requester.StepChooseProvider)}, false, "", ui.StepFindEvidence},
		{"at the preview", []requirementView{req(requester.StepPreview), req(requester.StepDone)}, false, "", ui.StepPreview},
		{"back from the preview", []requirementView{req(requester.StepPreview)}, true, "", ui.StepReceive},
		{"deferred", []requirementView{req(requester.StepDeferred)}, false, "", ui.StepReceive},
		{"failed", []requirementView{req(requester.StepFailed), req(requester.StepDone)}, false, "", ui.StepReceive},
		{"skipped", []requirementView{{Step: requester.StepFailed, Skipped: true}, req(requester.StepDone)}, false, "", ui.StepSubmit},
		{"all received", []requirementView{req(requester.StepDone), req(requester.StepDone)}, false, "", ui.StepSubmit},
		{"submitted", []requirementView{req(requester.StepDone)}, false, "FR-1", ui.StepsDone},
	} {
		if got := journeyStep(&journeyData{Requirements: c.reqs, Reference: c.ref}, c.returned); got != c.want {
			t.Errorf("%s: step %d, want %d", c.name, got, c.want)
		}
	}
}

var currentStepRE = regexp.MustCompile(`<li aria-current="step">([^<]*)</li>`)

// TestStepIndicator: the journey's pages show the step indicator (the
// current step marked, in the page's language), the live status carries
// it, and the pages outside the journey do not.
func TestStepIndicator(t *testing.T) {
	e := newEnv(t, "DE", nil)
	e.auth.as(person("4711", "Erika", "Mustermann"))
	b := e.browser()
	if p := b.get("/?lang=de"); strings.Contains(p.body, `class="steps"`) {
		t.Error("the home page shows the step indicator")
	}
	p := b.start("T2", "DE")
	jid := journeyID(t, p)
	current := func(where, body, want string) {
		t.Helper()
		m := currentStepRE.FindAllStringSubmatch(body, -1)
		if len(m) != 1 || m[0][1] != want {
			t.Errorf("%s: current step %q, want %q", where, m, want)
		}
	}
	current("start", p.body, "Nachweis finden")
	mustContain(t, p, `<nav class="steps" aria-label="Schritte Ihres Verfahrens">`)

	// Both requirements chosen and requested: the live status says where
	// the journey stands, without a reload.
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "provider": {"DE-EP-T2"}})
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqBirth}, "q0": {"true"}})
	current("ready", b.get("/journeys/"+jid).body, "Anfordern")
	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}, "explicit": {"yes"}})
	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	e.svc.preview(jid, 0, "https://preview.de.example/space")
	e.svc.deliver(jid, 1, "Geburtsurkunde", []byte("%PDF-1.7"))
	st := b.get("/journeys/" + jid + "/status")
	var s journeyStatus
	if err := json.Unmarshal([]byte(st.body), &s); err != nil {
		t.Fatalf("status: %v\n%s", err, st.body)
	}
	current("status at the preview", s.Steps, "Vorschau ansehen")
	e.svc.deliver(jid, 0, "Abitur", []byte("%PDF-1.7"))
	current("all received", b.get("/journeys/"+jid).body, "Einreichen")
	current("summary", b.get("/journeys/"+jid+"/submit").body, "Einreichen")
	p = b.post("/journeys/"+jid+"/submit", nil)
	wantStatus(t, p, http.StatusOK)
	if strings.Contains(p.body, `aria-current="step"`) || strings.Count(p.body, `<span class="vh">erledigt: </span>`) != 7 {
		t.Errorf("submitted: every step should be done\n%s", p.body)
	}
}

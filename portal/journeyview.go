package portal

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/oots-go/oots/internal/ui"
	"github.com/oots-go/oots/requester"
)

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

// requirementView is what the journey page shows of requirement r, the
// i-th of j: the options of its current step, the consent sentence, the
// exchange's evidence or failure, and where it stands.
func (p *Portal) requirementView(rq *request, j *requester.Journey, i int, r *requester.Requirement, base string) requirementView {
	v := requirementView{Index: i, ID: r.ID, Name: r.Name, Step: r.Step, StepLabel: rq.t("step_" + r.Step), ErrorID: fmt.Sprintf("r%d-error", i)}
	if v.Name == "" {
		v.Name = r.ID
	}
	v.EvidenceTypes, v.EvidenceTitle = evidenceTypeOptions(i, r)
	v.Questions = questionViews(i, r)
	v.Providers, v.ProviderName = providerOptions(i, r)
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
		if x.Error != nil {
			v.FailureCode, v.FailureDetail = failureDetails(x.Error)
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

// evidenceTypeOptions are the evidence types to choose from for the i-th
// requirement r, with the title of the one chosen (or of the only one).
func evidenceTypeOptions(i int, r *requester.Requirement) (opts []option, chosen string) {
	for k, et := range r.EvidenceTypes {
		opts = append(opts, option{ID: fmt.Sprintf("r%d-et%d", i, k), Value: et.Classification,
			Label: et.Title, Description: et.Description, Checked: et.Classification == r.ChosenEvidenceType})
		if et.Classification == r.ChosenEvidenceType {
			chosen = et.Title
		}
	}
	if chosen == "" && len(r.EvidenceTypes) == 1 {
		chosen = r.EvidenceTypes[0].Title
	}
	return opts, chosen
}

// questionViews are the Data Service Directory's questions for the i-th
// requirement r, each labelled by its description (else its identifier).
func questionViews(i int, r *requester.Requirement) []questionView {
	var qs []questionView
	for k, q := range r.Questions {
		qv := questionView{ID: fmt.Sprintf("r%d-q%d", i, k), Name: fmt.Sprintf("q%d", k), Label: q.Description}
		if qv.Label == "" {
			qv.Label = q.ID
		}
		for _, val := range q.Values {
			qv.Values = append(qv.Values, option{Value: val, Label: val})
		}
		qs = append(qs, qv)
	}
	return qs
}

// providerOptions are the evidence providers to choose from for the i-th
// requirement r, with the name of the one chosen (or of the only one).
func providerOptions(i int, r *requester.Requirement) (opts []option, chosen string) {
	for k, pv := range r.Providers {
		label := pv.Name
		if label == "" {
			label = pv.ID
		}
		opts = append(opts, option{ID: fmt.Sprintf("r%d-p%d", i, k), Value: pv.ID, Label: label,
			Description: strings.Join(pv.Formats, ", "), Checked: pv.ID == r.ChosenProvider})
		if pv.ID == r.ChosenProvider {
			chosen = label
		}
	}
	if chosen == "" {
		chosen = r.ChosenProvider
		if chosen == "" && len(r.Providers) == 1 {
			chosen = opts[0].Label
		}
	}
	return opts, chosen
}

// failureDetails are the code and the text of an exchange's failure for
// the "details for support" part of the page: the message and the detail,
// either of which may be empty.
func failureDetails(f *requester.Failure) (code, detail string) {
	detail = f.Message
	switch {
	case f.Message == "":
		detail = f.Detail
	case f.Detail != "":
		detail = f.Message + ": " + f.Detail
	}
	return string(f.Code), detail
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

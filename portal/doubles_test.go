package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/requester"
)

// serviceDouble is a test double of requester.Service. It walks a journey
// through the steps as the connector does — evidence type, the DSD's
// questions, provider, explicit request, waiting — and the test plays the
// provider's side with preview, deliver and fail.
type serviceDouble struct {
	mu       sync.Mutex
	now      func() time.Time
	journeys map[string]*requester.Journey
	files    map[string]*requester.File // journey/evidence → file
	starts   []requester.StartRequest
	requests []string // journey/requirement of each explicit request
	choices  []requester.Choice
	seq      int
	down     bool // the Common Services do not answer
}

var _ requester.Service = (*serviceDouble)(nil)

func newServiceDouble(now func() time.Time) *serviceDouble {
	return &serviceDouble{now: now, journeys: map[string]*requester.Journey{}, files: map[string]*requester.File{}}
}

const (
	reqDiploma = "https://sr.oots.tech.ec.europa.eu/requirements/diploma"
	reqBirth   = "https://sr.oots.tech.ec.europa.eu/requirements/birth"
	reqCompany = "https://sr.oots.tech.ec.europa.eu/requirements/company"
	reqResid   = "https://sr.oots.tech.ec.europa.eu/requirements/residence"
)

// requirementsOf gives each demo procedure its requirements, as the
// Evidence Broker would.
func requirementsOf(procedure string) []*requester.Requirement {
	birth := &requester.Requirement{ID: reqBirth, Name: "Proof of birth", EvidenceTypes: []requester.EvidenceTypeOption{
		{Classification: "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/birth", Title: "Birth certificate"},
	}}
	switch procedure {
	case "R1":
		return []*requester.Requirement{birth}
	case "S1":
		return []*requester.Requirement{{ID: reqResid, Name: "Proof of residence", EvidenceTypes: []requester.EvidenceTypeOption{
			{Classification: "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/residence", Title: "Certificate of residence"},
		}}}
	case "T2":
		return []*requester.Requirement{{ID: reqDiploma, Name: "Proof of secondary education", EvidenceTypes: []requester.EvidenceTypeOption{
			{Classification: "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur", Title: "Abitur certificate", Description: "Allgemeine Hochschulreife"},
			{Classification: "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/fachabitur", Title: "Fachhochschulreife certificate"},
		}}, birth}
	case "X1":
		return []*requester.Requirement{{ID: reqCompany, Name: "Proof of company registration", EvidenceTypes: []requester.EvidenceTypeOption{
			{Classification: "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/register", Title: "Extract of the commercial register"},
		}}}
	}
	return nil
}

// advance moves a requirement to the step its choices lead to, as the
// connector does after asking the DSD.
func advance(country string, r *requester.Requirement) {
	if r.ChosenEvidenceType == "" {
		if len(r.EvidenceTypes) > 1 {
			r.Step = requester.StepChooseEvidenceType
			return
		}
		r.ChosenEvidenceType = r.EvidenceTypes[0].Classification
	}
	// The DSD asks a question for births in Germany (DSD:ERR:0005): two
	// registers that differ by a classification concept.
	if r.ID == reqBirth && country == "DE" && r.Questions == nil {
		r.Questions = []requester.Question{{ID: "DE-RESIDED", Description: "Have you ever resided in Germany?", Values: []string{"true", "false"}}}
		r.Step = requester.StepAnswerQuestions
		return
	}
	if r.Providers == nil {
		switch r.ID {
		case reqDiploma:
			r.Providers = []requester.ProviderOption{
				{ID: "DE-EP-T2", Name: "Kultusministerium Berlin", Formats: []string{"application/pdf", "application/xml"}},
				{ID: "DE-EP-T2B", Name: "Kultusministerium Hamburg", Formats: []string{"application/pdf"}},
			}
		default:
			r.Providers = []requester.ProviderOption{{ID: country + "-EP-1", Name: "Registry office " + country, Formats: []string{"application/pdf"}}}
		}
	}
	if r.ChosenProvider == "" {
		if len(r.Providers) > 1 {
			r.Step = requester.StepChooseProvider
			return
		}
		r.ChosenProvider = r.Providers[0].ID
	}
	r.Step = requester.StepExplicitRequest
}

func (s *serviceDouble) Start(ctx context.Context, sr requester.StartRequest) (*requester.Journey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, fmt.Errorf("%w: Evidence Broker", requester.ErrUnavailable)
	}
	reqs := requirementsOf(sr.Procedure)
	if reqs == nil {
		return nil, fmt.Errorf("%w: procedure %s", requester.ErrNotFound, sr.Procedure)
	}
	if sr.Subject.Person == nil {
		return nil, errors.New("service double: no person")
	}
	s.starts = append(s.starts, sr)
	s.seq++
	now := s.now()
	j := &requester.Journey{ID: fmt.Sprintf("j-%d-%s", s.seq, sr.Procedure), Procedure: sr.Procedure, Country: sr.Country,
		State: requester.JourneyOpen, Requirements: reqs, Created: now, Updated: now,
		Deadline: now.Add(time.Duration(len(reqs)) * 62 * time.Minute)}
	for _, r := range reqs {
		advance(sr.Country, r)
	}
	s.journeys[j.ID] = j
	return clone(j), nil
}

func clone(j *requester.Journey) *requester.Journey {
	b, err := json.Marshal(j)
	if err != nil {
		panic(err)
	}
	out := new(requester.Journey)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func (s *serviceDouble) find(journeyID, requirementID string) (*requester.Journey, *requester.Requirement, error) {
	j, ok := s.journeys[journeyID]
	if !ok {
		return nil, nil, fmt.Errorf("%w: journey %s", requester.ErrNotFound, journeyID)
	}
	for _, r := range j.Requirements {
		if r.ID == requirementID {
			return j, r, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: requirement %s", requester.ErrNotFound, requirementID)
}

func (s *serviceDouble) Get(ctx context.Context, id string) (*requester.Journey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.journeys[id]
	if !ok {
		return nil, fmt.Errorf("%w: journey %s", requester.ErrNotFound, id)
	}
	return clone(j), nil
}

func (s *serviceDouble) Choose(ctx context.Context, jid, rid string, c requester.Choice) (*requester.Journey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, r, err := s.find(jid, rid)
	if err != nil {
		return nil, err
	}
	if j.State != requester.JourneyOpen {
		return nil, fmt.Errorf("%w: the journey is %s", requester.ErrState, j.State)
	}
	switch r.Step {
	case requester.StepChooseEvidenceType, requester.StepAnswerQuestions, requester.StepChooseProvider, requester.StepExplicitRequest:
	default:
		return nil, fmt.Errorf("%w: choice in step %s", requester.ErrState, r.Step)
	}
	s.choices = append(s.choices, c)
	if c.EvidenceType != "" {
		ok := false
		for _, et := range r.EvidenceTypes {
			ok = ok || et.Classification == c.EvidenceType
		}
		if !ok {
			return nil, fmt.Errorf("%w: evidence type %s", requester.ErrInvalid, c.EvidenceType)
		}
		r.ChosenEvidenceType = c.EvidenceType
	}
	if r.Step == requester.StepAnswerQuestions {
		for _, q := range r.Questions {
			if c.Answers[q.ID] == "" {
				return nil, fmt.Errorf("%w: no answer to %s", requester.ErrInvalid, q.ID)
			}
		}
		r.Questions = []requester.Question{} // answered
	}
	if c.Provider != "" {
		ok := false
		for _, p := range r.Providers {
			ok = ok || p.ID == c.Provider
		}
		if !ok {
			return nil, fmt.Errorf("%w: provider %s", requester.ErrInvalid, c.Provider)
		}
		r.ChosenProvider = c.Provider
	}
	advance(j.Country, r)
	j.Updated = s.now()
	return clone(j), nil
}

func (s *serviceDouble) Request(ctx context.Context, jid, rid string, er requester.ExplicitRequest) (*requester.Journey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, r, err := s.find(jid, rid)
	if err != nil {
		return nil, err
	}
	if !er.Given {
		return nil, fmt.Errorf("%w: explicit request not given", requester.ErrInvalid)
	}
	if j.State != requester.JourneyOpen || r.Step != requester.StepExplicitRequest {
		return nil, fmt.Errorf("%w: request in step %s", requester.ErrState, r.Step)
	}
	s.requests = append(s.requests, jid+"/"+rid)
	now := s.now()
	r.Exchange = &requester.Exchange{ID: fmt.Sprintf("x-%d", len(s.requests)), RequestID: fmt.Sprintf("urn:uuid:r-%d", len(s.requests)),
		Provider: r.ChosenProvider, Version: "oots-edm:v1.0", Sent: now, Deadline: now.Add(6 * time.Minute)}
	r.Step = requester.StepWaiting
	return clone(j), nil
}

func (s *serviceDouble) Evidence(ctx context.Context, jid, evidenceID string) (*requester.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[jid+"/"+evidenceID]
	if !ok {
		return nil, fmt.Errorf("%w: evidence %s", requester.ErrNotFound, evidenceID)
	}
	return f, nil
}

// The provider's side.

func (s *serviceDouble) requirement(jid string, i int) (*requester.Journey, *requester.Requirement) {
	j := s.journeys[jid]
	return j, j.Requirements[i]
}

// preview answers the request with EDM:ERR:0002 and a PreviewLocation.
func (s *serviceDouble) preview(jid string, i int, previewURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r := s.requirement(jid, i)
	r.Exchange.PreviewURL = previewURL
	r.Exchange.Previewed = true
	r.Step = requester.StepPreview
}

// returned: the user came back and the second request is on its way.
func (s *serviceDouble) returned(jid string, i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r := s.requirement(jid, i)
	r.Step = requester.StepWaiting
}

// deliver answers with one evidence (a PDF).
func (s *serviceDouble) deliver(jid string, i int, title string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, r := s.requirement(jid, i)
	id := fmt.Sprintf("ev-%d", i)
	r.Exchange.Evidence = []requester.Evidence{{ID: id, Title: title, Format: "application/pdf", Issuer: "Registry office",
		IssuingDate: "2026-11-01", Size: int64(len(data)), Language: "DE"}}
	r.Exchange.Error = nil
	r.Step = requester.StepDone
	s.files[jid+"/"+id] = &requester.File{Name: "evidence.pdf", MimeType: "application/pdf", Data: data}
	s.updateState(j)
	return id
}

// fail answers with an EDM error.
func (s *serviceDouble) fail(jid string, i int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, r := s.requirement(jid, i)
	r.Exchange.Error = &requester.Failure{Code: edm.ErrorCode(code), Message: message}
	r.Step = requester.StepFailed
	s.updateState(j)
}

// updateState settles the journey as the connector does: failed at the
// first failed requirement (for good), complete when every requirement
// is done.
func (s *serviceDouble) updateState(j *requester.Journey) {
	done := 0
	for _, r := range j.Requirements {
		switch r.Step {
		case requester.StepFailed:
			j.State = requester.JourneyFailed
			return
		case requester.StepDone:
			done++
		}
	}
	if done == len(j.Requirements) {
		j.State = requester.JourneyComplete
	}
}

func (s *serviceDouble) requestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// authDouble is a test double of eid.Authenticator: Begin sends the browser
// straight to the callback with a one-time code standing for the subject
// the test chose (next), as an identity provider would after a login.
type authDouble struct {
	mu    sync.Mutex
	next  *eid.Subject
	codes map[string]authCode
	seq   int
}

type authCode struct {
	subject *eid.Subject
	state   string
}

var _ eid.Authenticator = (*authDouble)(nil)

func newAuthDouble() *authDouble { return &authDouble{codes: map[string]authCode{}} }

// as makes the next login log s in.
func (a *authDouble) as(s *eid.Subject) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = s
}

func (a *authDouble) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	code := fmt.Sprintf("code-%d", a.seq)
	a.codes[code] = authCode{subject: a.next, state: state}
	http.Redirect(w, r, callback+"?code="+url.QueryEscape(code), http.StatusFound)
}

func (a *authDouble) Finish(r *http.Request) (*eid.Subject, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	code := r.URL.Query().Get("code")
	c, ok := a.codes[code]
	if !ok {
		return nil, "", errors.New("auth double: unknown code")
	}
	delete(a.codes, code)
	if c.subject == nil {
		return nil, "", errors.New("auth double: the user cancelled")
	}
	s := *c.subject
	return &s, c.state, nil
}

// Users of the tests.
func person(id, given, family string) *eid.Subject {
	return &eid.Subject{Person: &eid.NaturalPerson{Identifier: "DE/FR/" + id, GivenName: given, FamilyName: family, DateOfBirth: "1990-04-12"},
		LoA: eid.LoAHigh, Issuer: "demo-idp", Country: "DE", AuthTime: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
}

func representative(id string) *eid.Subject {
	s := person(id, "Erika", "Mustermann")
	s.Company = &eid.LegalPerson{Identifier: "DE/FR/HRB-4711", LegalName: "Muster GmbH"}
	return s
}

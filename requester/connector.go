package requester

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
)

// Connector is the evidence requester's connector: it implements Service
// over the Common Services and the access point, keeping every journey in
// the node database, and receives the answers of the providers as the
// access point's Backend (Deliver).
type Connector struct {
	cfg Config
	db  *db
	log *slog.Logger
}

var _ Service = (*Connector)(nil)

// New checks cfg, applies the connector's migrations and returns the
// connector. Run must run for the timeouts to be applied.
func New(ctx context.Context, cfg Config) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	d, err := openDB(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, db: d, log: cfg.Logger}, nil
}

// Log attribute keys.
const (
	logJourney = "journey"
	logMessage = "message_id"
	logReq     = "requirement"
	logErr     = "error" // as the access point and the provider name it
)

func (c *Connector) journal(ctx context.Context, r journal.Record) {
	if c.cfg.Journal == nil {
		return
	}
	if _, err := c.cfg.Journal.Append(ctx, r); err != nil {
		c.log.Error("journal", logJourney, r.Conversation, "event", r.Event, logErr, err)
	}
}

// journalOnce journals r once however often it is called with it
// (onceAppender), for a step journaled inside a transaction that may run
// again; with a journal that cannot, as journal does.
func (c *Connector) journalOnce(ctx context.Context, r journal.Record) {
	o, ok := c.cfg.Journal.(onceAppender)
	if !ok || r.MessageID == "" {
		c.journal(ctx, r)
		return
	}
	if _, _, err := o.AppendOnce(ctx, r); err != nil {
		c.log.Error("journal", logJourney, r.Conversation, "event", r.Event, logErr, err)
	}
}

// entry is a journal record about requirement i of j (i < 0: about the
// journey).
func (c *Connector) entry(j *journeyState, i int, event, messageID, outcome string) journal.Record {
	r := journal.Record{Event: event, Conversation: j.Journey.ID, MessageID: messageID, Procedure: j.Journey.Procedure,
		Requester: c.cfg.Requester.Identifier.Value, Outcome: outcome}
	if i >= 0 && i < len(j.Journey.Requirements) {
		pub := j.Journey.Requirements[i]
		r.Provider, r.EvidenceType = pub.ChosenProvider, pub.ChosenEvidenceType
		if pub.Exchange != nil {
			r.Exchange = pub.Exchange.ID
		}
	}
	return r
}

// personal is the personal data of the subject for the journal (stored
// encrypted there).
func personal(s eid.Subject) *journal.Personal {
	p := &journal.Personal{}
	if s.Person != nil {
		p.GivenName, p.FamilyName, p.DateOfBirth, p.Identifier = s.Person.GivenName, s.Person.FamilyName, s.Person.DateOfBirth, s.Person.Identifier
	}
	if s.Company != nil {
		p.LegalName, p.LegalIdentifier = s.Company.LegalName, s.Company.Identifier
	}
	return p
}

// Start begins a journey (SPEC.md §1.2 step 2a–b): it asks the Evidence
// Broker for the requirements of the procedure in the country, then for
// each requirement the evidence types that satisfy it; a requirement with a
// single evidence type goes on to the DSD at once (see Choose).
func (c *Connector) Start(ctx context.Context, s StartRequest) (*Journey, error) {
	if err := checkStart(&s); err != nil {
		return nil, err
	}
	// §3.2: requirements-by-procedure-and-jurisdiction.
	reqs, err := c.cfg.Services.Requirements(ctx, s.Procedure, s.Country)
	if err != nil {
		return nil, upstream("Evidence Broker requirements", err)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%w: procedure %s has no requirements in %s", ErrNotFound, s.Procedure, s.Country)
	}
	id, err := uuid.New(c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now().UTC()
	j := &journeyState{Subject: s.Subject, ReturnURL: s.ReturnURL, Languages: s.Languages, Associated: s.AssociatedDocuments, Journey: Journey{
		ID: id, Procedure: s.Procedure, Country: s.Country, State: JourneyOpen, Created: now, Updated: now,
		Deadline: now.Add((c.cfg.T1 + c.cfg.T2 + c.cfg.T3) * time.Duration(len(reqs))),
	}}
	for _, r := range reqs {
		// §3.2: evidence-types-by-requirement-and-jurisdiction.
		et, err := c.cfg.Services.EvidenceTypes(ctx, r.Identifier.Value, s.Country)
		if err != nil {
			return nil, upstream("Evidence Broker evidence types of "+r.Identifier.Value, err)
		}
		pub := &Requirement{ID: r.Identifier.Value, Name: first(texts(r.Name)), Step: StepChooseEvidenceType}
		st := &reqState{Identifier: r.Identifier, Name: texts(r.Name)}
		for _, l := range et.EvidenceTypeList {
			// Several lists are alternatives (§3.2); a list of several
			// types is offered type by type.
			for _, t := range l.EvidenceType {
				if slices.Contains(st.Types, t.EvidenceTypeClassification) {
					continue
				}
				st.Types = append(st.Types, t.EvidenceTypeClassification)
				pub.EvidenceTypes = append(pub.EvidenceTypes, EvidenceTypeOption{Classification: t.EvidenceTypeClassification,
					Title: first(texts(t.Title)), Description: first(texts(t.Description)), List: l.Identifier.Value})
			}
		}
		if len(st.Types) == 0 {
			return nil, fmt.Errorf("%w: no evidence type satisfies requirement %s in %s", ErrNotFound, r.Identifier.Value, s.Country)
		}
		j.Journey.Requirements = append(j.Journey.Requirements, pub)
		j.Reqs = append(j.Reqs, st)
	}
	for i := range j.Reqs {
		if len(j.Reqs[i].Types) == 1 {
			if err := c.choose(ctx, j, i, Choice{EvidenceType: j.Reqs[i].Types[0]}); err != nil {
				return nil, err
			}
		}
	}
	got, created, err := c.db.insert(ctx, j, s.ClientKey)
	if err != nil {
		return nil, err
	}
	if !created {
		return c.Get(ctx, got)
	}
	c.log.Info("journey started", logJourney, id, "procedure", s.Procedure, "country", s.Country, "requirements", len(reqs))
	c.journal(ctx, c.entry(j, -1, EventJourneyStarted, "", s.Country))
	return &j.Journey, nil
}

func checkStart(s *StartRequest) error {
	switch {
	case s.Procedure == "":
		return invalid("procedure", "required")
	case len(s.Country) != 2 || strings.ToUpper(s.Country) != s.Country:
		return invalid("country", "an ISO 3166-1 alpha-2 code in upper case is required")
	case s.Subject.Person == nil:
		return invalid("subject.person", "the authenticated natural person is required")
	case s.Subject.Person.FamilyName == "" || s.Subject.Person.GivenName == "" || s.Subject.Person.DateOfBirth == "":
		return invalid("subject.person", "familyName, givenName and dateOfBirth are required")
	case s.Subject.Person.Identifier == "":
		return invalid("subject.person.identifier", "the eIDAS identifier is required")
	case s.Subject.LoA.Code() == "":
		return invalid("subject.loa", "an eIDAS level of assurance URI is required")
	case s.Subject.Company != nil && (s.Subject.Company.LegalName == "" || s.Subject.Company.Identifier == ""):
		return invalid("subject.company", "identifier and legalName are required")
	}
	if _, err := time.Parse(time.DateOnly, s.Subject.Person.DateOfBirth); err != nil {
		return invalid("subject.person.dateOfBirth", "not a date YYYY-MM-DD")
	}
	u, err := url.Parse(s.ReturnURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return invalid("returnUrl", "an https URL is required")
	}
	for _, l := range s.Languages {
		if len(l) != 2 {
			return invalid("languages", "ISO 639-1 codes are expected, not "+strconv.Quote(l))
		}
	}
	for _, a := range s.AssociatedDocuments {
		switch a {
		case edm.RoleAnnex, edm.RoleHumanReadableVersion, edm.RoleTranslation:
		default:
			return invalid("associatedDocuments", "Annex, HumanReadableVersion or Translation is expected, not "+strconv.Quote(a))
		}
	}
	return nil
}

// upstream wraps an error of the Common Services.
func upstream(what string, err error) error {
	if errors.Is(err, csclient.ErrNotFound) {
		return fmt.Errorf("%w: %s: %w", ErrNotFound, what, err)
	}
	if errors.Is(err, csclient.ErrInvalidRequest) {
		return fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// Get returns a journey.
func (c *Connector) Get(ctx context.Context, journeyID string) (*Journey, error) {
	j, err := c.db.load(ctx, journeyID)
	if err != nil {
		return nil, err
	}
	return &j.Journey, nil
}

// index finds a requirement by its id (the Semantic Repository URI) or its
// index in Journey.Requirements.
func (j *journeyState) index(requirementID string) (int, error) {
	for i, r := range j.Journey.Requirements {
		if r.ID == requirementID {
			return i, nil
		}
	}
	if i, err := strconv.Atoi(requirementID); err == nil && i >= 0 && i < len(j.Reqs) && strconv.Itoa(i) == requirementID {
		return i, nil
	}
	return 0, fmt.Errorf("%w: requirement %q of journey %s", ErrNotFound, requirementID, j.Journey.ID)
}

// update loads a journey, applies fn and saves it, again when someone else
// changed it meanwhile.
func (c *Connector) update(ctx context.Context, journeyID string, fn func(j *journeyState) (change, error)) (*journeyState, error) {
	for attempt := range 10 {
		if attempt > 0 {
			// Another writer won: let it finish before reading again.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 3 * time.Millisecond):
			}
		}
		j, err := c.db.load(ctx, journeyID)
		if err != nil {
			return nil, err
		}
		ch, err := fn(j)
		if err != nil {
			return nil, err
		}
		j.Journey.Updated = c.cfg.Now().UTC()
		if err := c.db.save(ctx, j, ch); errors.Is(err, errConflict) {
			continue
		} else if err != nil {
			return nil, err
		}
		return j, nil
	}
	return nil, fmt.Errorf("%w: journey %s keeps changing", ErrUnavailable, journeyID)
}

// Choose records the user's choice for a requirement (SPEC.md §1.2 step 2c):
// the evidence type, the answers to the DSD's questions, the provider and
// the format. With the evidence type known it asks the DSD for the data
// services; a DSD:ERR:0005 answer becomes Questions (§3.3), whose answers
// go with the next query; a single data service is chosen at once.
func (c *Connector) Choose(ctx context.Context, journeyID, requirementID string, ch Choice) (*Journey, error) {
	j, err := c.update(ctx, journeyID, func(j *journeyState) (change, error) {
		i, err := j.index(requirementID)
		if err != nil {
			return change{}, err
		}
		if j.Journey.State != JourneyOpen {
			return change{}, fmt.Errorf("%w: the journey is %s", ErrState, j.Journey.State)
		}
		return change{}, c.choose(ctx, j, i, ch)
	})
	if err != nil {
		return nil, err
	}
	return &j.Journey, nil
}

func (c *Connector) choose(ctx context.Context, j *journeyState, i int, ch Choice) error {
	pub, st := j.Journey.Requirements[i], j.Reqs[i]
	switch pub.Step {
	case StepChooseEvidenceType, StepAnswerQuestions, StepChooseProvider, StepExplicitRequest:
	default:
		return fmt.Errorf("%w: requirement %s is at step %s", ErrState, pub.ID, pub.Step)
	}
	query := false
	if ch.EvidenceType != "" && ch.EvidenceType != pub.ChosenEvidenceType {
		if !slices.Contains(st.Types, ch.EvidenceType) {
			return invalid("evidenceType", "not an evidence type of the requirement")
		}
		pub.ChosenEvidenceType = ch.EvidenceType
		pub.Questions, pub.Providers, pub.ChosenProvider = nil, nil, ""
		st.Concepts, st.Answers, st.Services, st.Format = nil, nil, nil, ""
		query = true
	}
	if pub.ChosenEvidenceType == "" {
		if ch.Answers != nil || ch.Provider != "" || ch.Format != "" {
			return fmt.Errorf("%w: choose the evidence type first", ErrState)
		}
		return nil
	}
	if len(ch.Answers) > 0 {
		if len(pub.Questions) == 0 {
			return fmt.Errorf("%w: the DSD asked no questions", ErrState)
		}
		answers := map[string]string{}
		for _, q := range pub.Questions {
			v, ok := ch.Answers[q.ID]
			if !ok || v == "" {
				return invalid("answers", "no answer to question "+q.ID)
			}
			if len(q.Values) > 0 && !slices.Contains(q.Values, v) {
				return invalid("answers", fmt.Sprintf("%q is not a supported value of %s", v, q.ID))
			}
			answers[q.ID] = v
		}
		for k := range ch.Answers {
			if _, ok := answers[k]; !ok {
				return invalid("answers", "no question "+k)
			}
		}
		st.Answers = answers
		pub.Providers, pub.ChosenProvider, st.Services, st.Format = nil, "", nil, ""
		query = true
	}
	if query {
		if err := c.queryDSD(ctx, j, i); err != nil {
			return err
		}
	}
	if ch.Provider != "" {
		k := slices.IndexFunc(st.Services, func(s service) bool { return s.PublisherID == ch.Provider })
		if k < 0 {
			return invalid("provider", "not a provider of the chosen evidence type")
		}
		pub.ChosenProvider, st.Format = ch.Provider, ""
	}
	if ch.Format != "" {
		if pub.ChosenProvider == "" {
			return fmt.Errorf("%w: choose the provider first", ErrState)
		}
		if !slices.ContainsFunc(st.service(pub.ChosenProvider).Distributions, func(d distribution) bool { return d.Format == ch.Format }) {
			return invalid("format", "the provider does not distribute the evidence as "+ch.Format)
		}
		st.Format = ch.Format
	}
	if pub.ChosenProvider != "" && st.Format == "" {
		st.Format = st.service(pub.ChosenProvider).Distributions[0].Format
	}
	switch {
	case len(pub.Questions) > 0 && st.Answers == nil:
		pub.Step = StepAnswerQuestions
	case pub.ChosenProvider == "":
		pub.Step = StepChooseProvider
	default:
		pub.Step = StepExplicitRequest
	}
	return nil
}

func (st *reqState) service(publisher string) *service {
	for k := range st.Services {
		if st.Services[k].PublisherID == publisher {
			return &st.Services[k]
		}
	}
	return nil
}

// queryDSD asks the DSD for the data services of the chosen evidence type
// (SPEC.md §3.3), with the user's answers as one parameter per
// classification concept.
func (c *Connector) queryDSD(ctx context.Context, j *journeyState, i int) error {
	pub, st := j.Journey.Requirements[i], j.Reqs[i]
	dsets, err := c.cfg.Services.DataServices(ctx, pub.ChosenEvidenceType, j.Journey.Country, st.Answers)
	var se *csclient.ServiceError
	if errors.Is(err, csclient.ErrAdditionalInput) && errors.As(err, &se) && st.Answers == nil {
		// DSD:ERR:0005: ask the user for the classification concepts.
		pub.Questions = nil
		for _, ic := range se.Exception.UserRequestedClassificationConcepts {
			st.Concepts = append(st.Concepts, concept{ID: ic.Identifier.Value, Scheme: ic.Identifier.SchemeID, Type: ic.Type,
				ValueExpression: ic.ValueExpression, Description: texts(ic.Description)})
			q := Question{ID: ic.Identifier.Value, Description: first(texts(ic.Description))}
			if ic.SupportedValue != nil {
				q.Values = ic.SupportedValue.StringValue
			}
			pub.Questions = append(pub.Questions, q)
		}
		if len(pub.Questions) == 0 {
			return fmt.Errorf("%w: the DSD asks for input other than classification concepts (%w), which is not supported", ErrUnavailable, err)
		}
		return nil
	}
	if err != nil {
		return upstream("DSD data services", err)
	}
	for _, d := range dsets {
		for _, as := range d.AccessService {
			s := service{TypeID: d.Identifier.Value, TypeScheme: d.Identifier.SchemeID, Classification: d.EvidenceTypeClassification,
				Title: texts(d.Title), Description: texts(d.Description), AccessID: as.Identifier.Value, AccessScheme: as.Identifier.SchemeID,
				ConformsTo: as.ConformsTo, PublisherID: as.Publisher.Identifier.Value, PublisherScheme: as.Publisher.Identifier.SchemeID,
				PublisherName: texts(as.Publisher.Name)}
			for _, da := range d.DistributedAs {
				for _, f := range da.Formats() { // 2.0: several formats, each a choice
					s.Distributions = append(s.Distributions, distribution{Format: f, ConformsTo: da.ConformsTo, Transformation: da.Transformation})
				}
			}
			if len(s.Distributions) == 0 || st.service(s.PublisherID) != nil {
				continue
			}
			if _, ok := c.cfg.version(as.ConformsTo); !ok {
				c.log.Warn("data service skipped: no EDM version in common", logJourney, j.Journey.ID, "provider", s.PublisherID, "conformsTo", strings.Join(as.ConformsTo, " "))
				continue
			}
			st.Services = append(st.Services, s)
			o := ProviderOption{ID: s.PublisherID, Name: first(s.PublisherName)}
			for _, d := range s.Distributions {
				o.Formats = append(o.Formats, d.Format)
			}
			pub.Providers = append(pub.Providers, o)
		}
	}
	if len(st.Services) == 0 {
		return fmt.Errorf("%w: no data service for %s in %s that speaks an EDM version of the connector", ErrNotFound, pub.ChosenEvidenceType, j.Journey.Country)
	}
	if len(st.Services) == 1 {
		pub.ChosenProvider = st.Services[0].PublisherID
	}
	return nil
}

// Request sends the evidence request of a requirement after the user's
// explicit request (SPEC.md §1.2 step 3, §2.2).
func (c *Connector) Request(ctx context.Context, journeyID, requirementID string, r ExplicitRequest) (*Journey, error) {
	if !r.Given {
		return nil, invalid("given", "the user's explicit request is required (true)")
	}
	preview := r.Preview == nil || *r.Preview
	var (
		out    *outgoing
		index  int
		reqIDs requestRow
	)
	j, err := c.update(ctx, journeyID, func(j *journeyState) (change, error) {
		i, err := j.index(requirementID)
		if err != nil {
			return change{}, err
		}
		pub, st := j.Journey.Requirements[i], j.Reqs[i]
		if j.Journey.State != JourneyOpen || pub.Step != StepExplicitRequest {
			return change{}, fmt.Errorf("%w: requirement %s is at step %s (journey %s)", ErrState, pub.ID, pub.Step, j.Journey.State)
		}
		exchangeID, err := uuid.New(c.cfg.Rand)
		if err != nil {
			return change{}, err
		}
		reqID, err := uuid.New(c.cfg.Rand)
		if err != nil {
			return change{}, err
		}
		st.Preview = preview
		out, err = c.build(j, i, reqID, exchangeID, "", "")
		if err != nil {
			return change{}, err
		}
		key := "requester:" + out.msg.Request.ID
		messageID := c.messageIDFor(key)
		now := c.cfg.Now().UTC()
		st.Party = out.msg.To
		st.First = &sent{ID: out.msg.Request.ID, MessageID: messageID, ClientKey: key, At: now}
		st.Second, st.PreviewLocation = nil, ""
		exID := exchangeID
		if !out.version.Is2() {
			exID = out.msg.Request.ID
		}
		pub.Step = StepWaiting
		pub.Exchange = &Exchange{ID: exID, RequestID: out.msg.Request.ID, Provider: pub.ChosenProvider, Version: string(out.version),
			Sent: now, Deadline: now.Add(c.cfg.T1 + Slack), Background: c.cfg.Background}
		index, reqIDs = i, requestRow{RequestID: out.msg.Request.ID, MessageID: messageID, Index: i}
		return change{requests: []requestRow{reqIDs}}, nil
	})
	if err != nil {
		return nil, err
	}
	// §1.2 step 3: hand the request to the access point (idempotent on
	// the client key). It is recorded first, so that an answer always
	// finds it, and journaled first when it is named already (a
	// MessageNamer), so that its answer and its receipt, which can come
	// before Submit returns, follow it in the journal.
	named := reqIDs.MessageID
	st, err := c.handOver(ctx, j, index, out, j.Reqs[index].First.ClientKey, named, "the request", func() {
		c.journalRequest(ctx, j, index, reqIDs.RequestID, named)
	})
	if err != nil {
		c.log.Error("sending the evidence request failed", logJourney, journeyID, logReq, index, logErr, err)
		// Rolled back even when the caller went away (its context is
		// what made Submit fail, perhaps).
		ctx := context.WithoutCancel(ctx)
		_, rerr := c.update(ctx, journeyID, func(j *journeyState) (change, error) {
			pub := j.Journey.Requirements[index]
			if pub.Step == StepWaiting && pub.Exchange != nil && pub.Exchange.RequestID == reqIDs.RequestID {
				pub.Step, pub.Exchange, j.Reqs[index].First = StepExplicitRequest, nil, nil
			}
			return change{}, nil
		})
		if rerr != nil {
			return nil, fmt.Errorf("%w: sending the request: %w", ErrUnavailable, errors.Join(err, rerr))
		}
		return nil, fmt.Errorf("%w: sending the request: %w", ErrUnavailable, err)
	}
	j, err = c.update(ctx, journeyID, func(j *journeyState) (change, error) {
		if f := j.Reqs[index].First; f != nil && f.ID == reqIDs.RequestID {
			f.MessageID = st.MessageID
		}
		return change{requests: []requestRow{{RequestID: reqIDs.RequestID, MessageID: st.MessageID, Index: index}}}, nil
	})
	if err != nil {
		return nil, err
	}
	c.log.Info("evidence request sent", logJourney, journeyID, logReq, index, logMessage, st.MessageID, "to", out.msg.To)
	if named == "" {
		c.journalRequest(ctx, j, index, reqIDs.RequestID, st.MessageID)
	}
	return &j.Journey, nil
}

// journalRequest journals a request of requirement i of j sent as the
// message messageID: EventRequestSent in the requirement's exchange and,
// when the request's id is not the exchange's identifier (EDM 2.0, the
// request after a preview), the EventRequestID entry that leads from it to
// the exchange (package journal, "Evidence exchanges").
func (c *Connector) journalRequest(ctx context.Context, j *journeyState, i int, requestID, messageID string) {
	rec := c.entry(j, i, journal.EventRequestSent, messageID, journal.OutcomeOK)
	rec.Personal = personal(j.Subject)
	c.journalOnce(ctx, rec)
	if requestID != "" && requestID != rec.Exchange {
		link := c.entry(j, i, journal.EventRequestID, messageID, journal.OutcomeOK)
		link.Exchange = requestID
		c.journalOnce(ctx, link)
	}
}

// Evidence returns an evidence file of a journey.
func (c *Connector) Evidence(ctx context.Context, journeyID, evidenceID string) (*File, error) {
	return c.db.evidence(ctx, journeyID, evidenceID)
}

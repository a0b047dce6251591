package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// Keys of log attributes.
const (
	logMsg      = "message_id" // as the access point and the requester name it
	logConv     = "conversation"
	logCode     = "code"
	logErr      = "error"
	logKey      = "key"
	logProvider = "provider"
	logToken    = "session"
)

// Connector is the evidence provider's side of the exchange: it answers
// evidence requests (ap.Backend) and serves the preview space and the
// consents pages (Handler). Its state is in a storage (sqlstore.go); its
// web user interface is the type web (preview.go, consentweb.go).
type Connector struct {
	cfg  Config
	log  *slog.Logger
	db   storage
	byID map[string]*Authority
}

var _ ap.Backend = (*Connector)(nil)

// New checks cfg, applies the connector's migrations to cfg.DB and returns
// the connector. Errors: ErrConfig (wrapped, naming the field), or the
// database's.
func New(cfg Config) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := newSQLStore(context.Background(), cfg.DB)
	if err != nil {
		return nil, err
	}
	c := &Connector{cfg: cfg, log: cfg.Logger, db: db, byID: map[string]*Authority{}}
	for i := range c.cfg.Providers {
		p := &c.cfg.Providers[i]
		c.byID[p.Agent.Identifier.Value] = p
	}
	return c, nil
}

// answer is an outgoing message decided while handling an event, with its
// journal record.
type answer struct {
	msg *exchange.Message
	rec journal.Record
	// disclosure is the record of the evidence the answer carries,
	// written with it; extra are records to journal after it.
	disclosure *Disclosure
	extra      []journal.Record
}

// Deliver handles an evidence request (ebMS action ExecuteQueryRequest)
// exactly once per eb:MessageId: the message id is recorded in the
// transaction that changes the connector's state and queues the answer; the
// answer is then handed to the access point. An error (database, access
// point) asks the caller to deliver again; a repeated delivery only hands
// over answers still queued.
func (c *Connector) Deliver(ctx context.Context, rm *ap.ReceivedMessage) error {
	if rm.Action != exchange.ActionRequest {
		c.log.Warn("message not for the evidence provider ignored", logMsg, rm.MessageID, "action", rm.Action)
		return nil
	}
	now := c.cfg.Now()
	var fresh bool
	var ans *answer
	var rec []journal.Record
	err := c.db.Update(ctx, func(tx storageTx) error {
		var err error
		if fresh, err = tx.MarkProcessed(ctx, rm.MessageID, now); err != nil || !fresh {
			return err
		}
		if ans, rec, err = c.handle(ctx, tx, rm, now); err != nil || ans == nil {
			return err
		}
		err = c.queue(ctx, tx, ans, now)
		if errors.Is(err, errUnbuildable) {
			// A request so broken that no valid answer can name it
			// (no requester to answer): dropped, like an unreadable one.
			c.log.Warn("request that cannot be answered dropped", logMsg, rm.MessageID, logErr, err)
			rec = append(rec, journal.Record{Event: journal.EventError, Conversation: rm.ConversationID, MessageID: rm.MessageID,
				Outcome: "unanswerable: " + err.Error()})
			ans, err = nil, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if !fresh {
		c.journal(ctx, journal.Record{Event: EventDuplicate, Conversation: rm.ConversationID, MessageID: rm.MessageID})
		return c.flush(ctx)
	}
	for _, r := range rec {
		c.journal(ctx, r)
	}
	if ans != nil {
		c.journal(ctx, ans.rec)
		for _, r := range ans.extra {
			c.journal(ctx, r)
		}
	}
	return c.flush(ctx)
}

// errUnbuildable: the answer cannot be written (the request lacks a part
// the answer must repeat).
var errUnbuildable = errors.New("provider: no valid answer can be built")

func (c *Connector) queue(ctx context.Context, tx storageTx, a *answer, now time.Time) error {
	sub, err := a.msg.Submission(c.cfg.Legs, "provider:"+a.msg.RefToMessageID)
	if err != nil {
		return fmt.Errorf("%w to %s: %w", errUnbuildable, a.msg.RefToMessageID, err)
	}
	if a.disclosure != nil {
		if err := tx.InsertDisclosure(ctx, a.disclosure); err != nil {
			return err
		}
	}
	return tx.Enqueue(ctx, sub, now)
}

// flush hands the queued answers to the access point and deletes each once
// it is accepted (the client key makes a repeated hand-over harmless).
func (c *Connector) flush(ctx context.Context) error {
	items, err := c.db.Queued(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, it := range items {
		if _, _, err := c.cfg.Sender.Submit(ctx, it.Submission); err != nil {
			c.log.Warn("answer not accepted by the access point", logKey, it.ClientKey, logErr, err)
			if first == nil {
				first = fmt.Errorf("provider: submitting %s: %w", it.ClientKey, err)
			}
			continue
		}
		if err := c.db.Dequeue(ctx, it.ClientKey); err != nil {
			return err
		}
	}
	return first
}

func (c *Connector) journal(ctx context.Context, r journal.Record) {
	if c.cfg.Journal == nil {
		return
	}
	if _, err := c.cfg.Journal.Append(ctx, r); err != nil {
		c.log.Error("journal", logErr, err, "event", r.Event, logMsg, r.MessageID)
	}
}

// handle runs the steps of the provider on a request and returns the answer
// to send (nil when the answer waits for the user). Errors are the
// database's; every refusal of the request is an answer.
func (c *Connector) handle(ctx context.Context, tx storageTx, rm *ap.ReceivedMessage, now time.Time) (*answer, []journal.Record, error) {
	rec := []journal.Record{{Event: journal.EventRequestReceived, Conversation: rm.ConversationID, MessageID: rm.MessageID, NRR: exchange.NRR(rm.NRR)}}
	// Step 1 (SPEC.md §2.2, §6 item 5): a well-formed evidence request whose
	// ebMS properties agree with it.
	m, err := exchange.Incoming(rm)
	req := m.Request
	if err != nil {
		if req == nil {
			if d, _, perr := edm.ParseBytes(m.Document); perr == nil {
				req, _ = d.(*edm.QueryRequest)
			}
		}
		if req == nil || req.ID == "" {
			c.log.Warn("request that cannot be answered dropped", logMsg, rm.MessageID, logErr, err)
			rec = append(rec, journal.Record{Event: journal.EventError, Conversation: rm.ConversationID, MessageID: rm.MessageID,
				Outcome: "unanswerable: " + err.Error()})
			return nil, rec, nil
		}
		f := edm.Errorf(edm.EDMErr0003, "%w", err)
		if xe := (*edm.Error)(nil); errors.As(err, &xe) && xe.Code != "" {
			f = xe
		}
		a, err := c.refuse(m, req, nil, f, now)
		return a, rec, err
	}
	auth := c.authority(m)
	if f := c.checkRequest(m, auth, rm, now); f != nil {
		a, err := c.refuse(m, req, auth, f, now)
		return a, rec, err
	}
	rec[0] = recordOf(journal.EventRequestReceived, m)
	rec[0].NRR = exchange.NRR(rm.NRR)
	var a *answer
	if req.PreviewLocation == "" {
		a, err = c.first(ctx, tx, m, auth, rm, now)
	} else {
		var ex string
		a, ex, err = c.second(ctx, tx, m, auth, now)
		// The request after a preview and its answer are journaled in
		// the exchange of the first request (package journal,
		// "Evidence exchanges").
		if ex != "" {
			rec[0].Exchange = ex
			a.inExchange(ex)
		}
	}
	if req.ID != rec[0].Exchange {
		link := recordOf(journal.EventRequestID, m)
		link.Exchange = req.ID
		rec = append(rec, link)
	}
	return a, rec, err
}

// authority finds the provider a request is addressed to: the
// finalRecipient property, which must agree with the EvidenceProvider slot.
func (c *Connector) authority(m *exchange.Message) *Authority {
	id := m.FinalRecipient.Value
	if m.Request.EvidenceProvider != nil && m.Request.EvidenceProvider.Identifier.Value != id {
		return nil
	}
	return c.byID[id]
}

// checkRequest runs the checks that need no data: the official business
// rules, the explicit request, the provider, the evidence type, the format,
// the level of assurance, the deadline.
func (c *Connector) checkRequest(m *exchange.Message, auth *Authority, rm *ap.ReceivedMessage, now time.Time) *edm.Error {
	req := m.Request
	if f := officialRules(c.cfg.Rules, m.Document, req.Version()); f != nil {
		return f
	}
	if req.EvidenceRequest == nil || req.NaturalPerson == nil && req.LegalPerson == nil {
		return edm.Errorf(edm.EDMErr0003, "the request names no evidence type or no subject")
	}
	if !req.ExplicitRequestGiven {
		return edm.Errorf(edm.EDMErr0003, "ExplicitRequestGiven is false: the evidence is only exchanged at the user's explicit request")
	}
	if auth == nil {
		slot := ""
		if req.EvidenceProvider != nil {
			slot = req.EvidenceProvider.Identifier.Value
		}
		return edm.Errorf(edm.EDMErr0006, "the evidence provider %q (finalRecipient; EvidenceProvider slot %q) is not served here", m.FinalRecipient.Value, slot)
	}
	et := req.EvidenceRequest
	served := auth.served(et.EvidenceTypeClassification)
	if served == nil {
		return edm.Errorf(edm.EDMErr0004, "the evidence type %s is not provided by %s", et.EvidenceTypeClassification, auth.Agent.Identifier.Value)
	}
	for _, d := range et.DistributedAs {
		if !slices.ContainsFunc(served.Formats, func(f Format) bool {
			return d.HasFormat(f.Format) && (d.ConformsTo == "" || sameModel(d.ConformsTo, f.ConformsTo))
		}) {
			what := strings.Join(d.Formats(), " or ") // 2.0: any of the formats will do
			if d.ConformsTo != "" {
				what += " conforming to " + d.ConformsTo
			}
			return edm.Errorf(edm.EDMErr0007, "the distribution %s is not available for this evidence type", what)
		}
	}
	if auth.MinLoA != "" {
		loa := requestLoA(req)
		if !loa.AtLeast(auth.MinLoA) {
			got := loa.Code()
			if got == "" {
				got = "none"
			}
			return edm.Errorf(edm.EDMErr0001, "the level of assurance of the authentication (%s) is below the %s this evidence needs", got, auth.MinLoA.Code())
		}
	}
	if req.PreviewLocation == "" && !rm.Timestamp.IsZero() && now.After(rm.Timestamp.Add(c.cfg.Timeouts.T1)) {
		return edm.Errorf(edm.EDMErr0005, "the request arrived more than %s after it was sent", c.cfg.Timeouts.T1)
	}
	return nil
}

func (a *Authority) served(classification string) *ServedType {
	for i := range a.EvidenceTypes {
		if edm.SameSRID(a.EvidenceTypes[i].Classification, classification) {
			return &a.EvidenceTypes[i]
		}
	}
	return nil
}

// servedAs is the classification under which a serves an evidence type
// (ServedType.Classification), whichever host of the Semantic Repository
// the classification is named under; the classification itself when a is
// nil or does not serve it.
func (a *Authority) servedAs(classification string) string {
	if a != nil {
		if st := a.served(classification); st != nil {
			return st.Classification
		}
	}
	return classification
}

func requestLoA(req *edm.QueryRequest) eid.LoA {
	var code string
	switch {
	case req.NaturalPerson != nil:
		code = req.NaturalPerson.LevelOfAssurance
	case req.LegalPerson != nil:
		code = req.LegalPerson.LevelOfAssurance
	}
	l, _ := eid.ParseLoA(code)
	return l
}

// officialRules runs the business rules that rules gives for the
// request's version (package schematron) and refuses a request with a
// fatal finding.
func officialRules(rules *schematron.Catalogue, doc []byte, v edm.Version) *edm.Error {
	rs, err := rules.ForKind(string(edm.KindEvidenceRequest), string(v))
	if err != nil {
		return edm.Errorf(edm.EDMErr0003, "no business rules for %s: %w", v, err)
	}
	tree, err := xmltree.ParseBytes(doc, nil)
	if err != nil {
		return edm.Errorf(edm.EDMErr0003, "%w", err)
	}
	for _, f := range rs.Validate(tree) {
		if f.Flag == check.Fatal {
			return edm.Errorf(edm.EDMErr0003, "%s: %s", f.Rule, f.Message)
		}
	}
	return nil
}

// SubjectOf returns the subject of an evidence request as the data service
// sees it.
func SubjectOf(req *edm.QueryRequest) Subject {
	s := Subject{LoA: requestLoA(req)}
	if p := req.NaturalPerson; p != nil {
		s.Person = naturalPerson(p)
	}
	if lp := req.LegalPerson; lp != nil {
		c := &eid.LegalPerson{LegalName: lp.LegalName}
		if lp.LegalPersonIdentifier != nil {
			c.Identifier = lp.LegalPersonIdentifier.Value
		}
		for _, id := range lp.Identifier {
			switch strings.ToUpper(id.SchemeID) {
			case "VAT":
				c.VATRegistration = id.Value
			case "TAX":
				c.TaxReference = id.Value
			case "LEI":
				c.LEI = id.Value
			case "EORI":
				c.EORI = id.Value
			}
		}
		if lp.RegisteredAddress != nil {
			c.RegisteredAddress = lp.RegisteredAddress.FullAddress
		}
		s.Company = c
	}
	if r := req.AuthorizedRepresentative; r != nil {
		s.Representative = naturalPerson(r)
	}
	return s
}

func naturalPerson(p *edm.Person) *eid.NaturalPerson {
	n := &eid.NaturalPerson{FamilyName: p.FamilyName, GivenName: p.GivenName, DateOfBirth: p.DateOfBirth,
		BirthName: p.BirthName, PlaceOfBirth: p.PlaceOfBirth, Gender: p.Gender}
	if p.Identifier != nil {
		n.Identifier = p.Identifier.Value
	}
	return n
}

// query is the data service query of a request to auth: the evidence
// type as auth serves it (ServedType.Classification).
func query(req *edm.QueryRequest, auth *Authority) Query {
	q := Query{EvidenceType: auth.servedAs(req.EvidenceRequest.EvidenceTypeClassification), Subject: SubjectOf(req)}
	if req.EvidenceProvider != nil {
		q.Provider = Identifier{req.EvidenceProvider.Identifier.SchemeID, req.EvidenceProvider.Identifier.Value}
	}
	for _, d := range req.EvidenceRequest.DistributedAs {
		for _, f := range d.Formats() { // several in 2.0
			q.Formats = append(q.Formats, Format{Format: f, ConformsTo: d.ConformsTo})
		}
		q.Languages = append(q.Languages, d.Language...)
	}
	if req.Lang != "" {
		q.Languages = append(q.Languages, strings.ToUpper(req.Lang))
	}
	return q
}

// first handles a request without PreviewLocation (SPEC.md §1.2 steps 3–4):
// find the evidence, then either answer it (no preview) or open a preview
// session and answer EDM:ERR:0002 with its PreviewLocation.
func (c *Connector) first(ctx context.Context, tx storageTx, m *exchange.Message, auth *Authority, rm *ap.ReceivedMessage, now time.Time) (*answer, error) {
	req := m.Request
	res, err := auth.DataService.Find(ctx, query(req, auth))
	if err != nil {
		c.log.Error("data service", logProvider, auth.Agent.Identifier.Value, logErr, err)
		return c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0008, "the evidence provider's register could not be queried"), now)
	}
	match, err := res.resolve()
	switch {
	case errors.Is(err, ErrAmbiguous):
		c.log.Info("ambiguous subject", logMsg, m.MessageID, logErr, err)
		return c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0004, "the identifying attributes of the request designate more than one person or company in the register; no evidence can be attributed"), now)
	case errors.Is(err, errBadDeferral):
		c.log.Error("data service answer refused", logProvider, auth.Agent.Identifier.Value, logErr, err)
		return c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0008, "the evidence provider's register could not say when the evidence will be available"), now)
	case err != nil:
		if !errors.Is(err, ErrNotFound) {
			c.log.Error("data service answer refused", logProvider, auth.Agent.Identifier.Value, logErr, err)
		}
		return c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0004, "no evidence of the requested type was found for the subject of the request"), now)
	}
	if match.Deferred != nil {
		return c.deferred(m, auth, match.Deferred, now)
	}
	if f := conforms(match.Documents); f != nil {
		c.log.Error("structured evidence refused", logProvider, auth.Agent.Identifier.Value, logMsg, m.MessageID, logErr, f.Detail)
		return c.refuse(m, req, auth, f, now)
	}
	if auth.WithoutPreview {
		return c.evidence(m, req, auth, documentsSent(req, match.Documents), now)
	}
	var consentRec []journal.Record
	if c.cfg.Consent.Enabled && background(req) {
		k, err := c.consentFor(ctx, tx, req, auth.Agent.Identifier.Value, match.Subject, now)
		if err != nil {
			return nil, err
		}
		if k != nil {
			a, err := c.evidence(m, req, auth, documentsSent(req, match.Documents), now)
			if err != nil {
				return nil, err
			}
			a.disclosure.ConsentID = k.ID
			a.extra = append(a.extra, withOutcome(recordOf(EventConsentUsed, m), "consent:"+k.ID))
			return a, nil
		}
		consentRec = append(consentRec, withOutcome(recordOf(EventConsentNone, m), "no valid consent: preview"))
	}
	if !req.PossibilityForPreview {
		return c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0007, "this evidence is only provided after the user has previewed it, and the request does not allow a preview (PossibilityForPreview is false)"), now)
	}
	token, err := c.token()
	if err != nil {
		return nil, err
	}
	ts := rm.Timestamp
	if ts.IsZero() || ts.After(now) {
		ts = now
	}
	t := c.cfg.Timeouts
	s := &session{Token: token, State: stateWaiting, Provider: auth.Agent.Identifier.Value, Party: m.From,
		ConversationID: m.ConversationID, ExchangeID: m.ExchangeID, Version: string(req.Version()),
		C1Scheme: m.OriginalSender.SchemeID, C1Value: m.OriginalSender.Value, C4Scheme: m.FinalRecipient.SchemeID, C4Value: m.FinalRecipient.Value,
		FirstMessageID: m.MessageID, FirstRequest: m.Document, SubjectKey: match.Subject, Documents: match.Documents,
		ArriveBy: ts.Add(t.T1 + t.T2), DecideBy: ts.Add(t.T1 + t.T2 + t.T3), Created: now, Updated: now}
	if err := tx.InsertSession(ctx, s); err != nil {
		return nil, err
	}
	exc := edm.NewException(edm.EDMErr0002, "The evidence provider needs the user to preview the evidence before it is sent")
	exc.PreviewLocation = c.PreviewLocation(token)
	exc.PreviewDescription = []regrep.LocalizedString{
		{Lang: "EN", Value: "Log in at the evidence provider to see the evidence and decide whether it is sent."},
		{Lang: "DE", Value: "Melden Sie sich beim Nachweisanbieter an, um den Nachweis zu sehen und über die Übermittlung zu entscheiden."},
		{Lang: "FR", Value: "Connectez-vous auprès du fournisseur de la preuve pour la consulter et décider de sa transmission."},
	}
	if !req.Version().Is2() {
		exc.PreviewMethod = "GET"
	}
	id, err := uuid.New(c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	a := c.reply(m, edm.NewErrorResponse(req, id, c.errorProvider(auth, m), exc, now))
	a.rec.Outcome = string(exc.Code)
	a.extra = consentRec
	return a, nil
}

// conforms checks the structured documents (XML or JSON with a ConformsTo
// of package datamodel) against their data model before they are shown or
// sent: a document that does not conform is the provider's own defect, not
// the request's, so the answer is EDM:ERR:0008 ("Problem during the
// processing of a QueryRequest") with a detail naming the field and the
// reason but no value. Documents of models this connector does not know
// are sent as they are.
func conforms(docs []Document) *edm.Error {
	for _, d := range docs {
		if !datamodel.Structured(d.Format) || d.ConformsTo == "" {
			continue
		}
		err := datamodel.Validate(d.ConformsTo, d.Format, d.Content)
		var fe *datamodel.FieldError
		switch {
		case err == nil, errors.Is(err, datamodel.ErrUnknownModel):
		case errors.As(err, &fe):
			return edm.Errorf(edm.EDMErr0008, "the structured evidence (%s) does not conform to its data model: %s", d.Format, fe.Detail())
		default:
			return edm.Errorf(edm.EDMErr0008, "the structured evidence (%s) cannot be checked against its data model %s", d.Format, d.ConformsTo)
		}
	}
	return nil
}

// PreviewLocation returns the preview link of a session token.
func (c *Connector) PreviewLocation(token string) string {
	return c.cfg.PreviewBase + "/preview/" + token
}

// ErrBadPreviewLocation is returned by ParsePreviewLocation for a URL that
// does not name a preview session of this preview space.
var ErrBadPreviewLocation = errors.New("provider: not a preview location of this provider")

// ParsePreviewLocation returns the session token of a preview link: base +
// "/preview/" + token, with an optional query (the 1.x returnurl) that is
// ignored. The token is 22 characters of unpadded base64url (128 bits).
func ParsePreviewLocation(base, loc string) (string, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadPreviewLocation, err)
	}
	b, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return "", fmt.Errorf("%w: base: %w", ErrBadPreviewLocation, err)
	}
	if !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) || u.User != nil || u.Fragment != "" {
		return "", fmt.Errorf("%w: %q is not under %s", ErrBadPreviewLocation, loc, base)
	}
	token, ok := strings.CutPrefix(u.EscapedPath(), b.EscapedPath()+"/preview/")
	if !ok || !validToken(token) {
		return "", fmt.Errorf("%w: %q has no session token", ErrBadPreviewLocation, loc)
	}
	return token, nil
}

func validToken(t string) bool {
	if len(t) != 22 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 16 && base64.RawURLEncoding.EncodeToString(b) == t
}

// second handles the request after a preview (SPEC.md §1.2 step 5): it must
// name a preview session of this provider and repeat the first request;
// then it is answered when the user's decision is known.
//
// It also returns the identifier of the exchange in the journal once the
// request is found to follow a preview session of this provider (the
// session's: see session.exchange), "" before.
func (c *Connector) second(ctx context.Context, tx storageTx, m *exchange.Message, auth *Authority, now time.Time) (*answer, string, error) {
	req := m.Request
	token, err := ParsePreviewLocation(c.cfg.PreviewBase, req.PreviewLocation)
	if err != nil {
		a, err := c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0003, "PreviewLocation %q does not name a preview of this provider", req.PreviewLocation), now)
		return a, "", err
	}
	s, err := tx.LoadSession(ctx, token)
	if errors.Is(err, errNoSession) {
		a, err := c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0003, "PreviewLocation names no preview of this provider"), now)
		return a, "", err
	}
	if err != nil {
		return nil, "", err
	}
	if f := c.sameExchange(s, m, auth); f != nil {
		a, err := c.refuse(m, req, auth, f, now)
		return a, "", err
	}
	ex := s.exchange()
	if s.SecondMessageID != "" {
		a, err := c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0003, "a request after this preview was already received (%s)", s.SecondMessageID), now)
		return a, ex, err
	}
	if s.State == stateExpired || now.After(s.DecideBy) || s.State == stateWaiting && now.After(s.ArriveBy) {
		s.State, s.SecondMessageID, s.SecondRequest, s.Documents = stateExpired, m.MessageID, m.Document, nil
		s.Updated = now
		if _, err := tx.UpdateSession(ctx, s); err != nil {
			return nil, "", err
		}
		a, err := c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0005, "the user did not complete the preview in time"), now)
		return a, ex, err
	}
	if s.State == stateAnswered {
		a, err := c.refuse(m, req, auth, edm.Errorf(edm.EDMErr0003, "this preview was already answered"), now)
		return a, ex, err
	}
	s.SecondMessageID, s.SecondRequest, s.ReturnLocation, s.Updated = m.MessageID, m.Document, req.ReturnLocation, now
	a, err := c.conclude(s, now)
	if err != nil {
		return nil, "", err
	}
	ok, err := tx.UpdateSession(ctx, s)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", fmt.Errorf("provider: preview session %s changed while the request was handled", logTokenID(token))
	}
	return a, ex, nil
}

// logTokenID is a short form of a token for logs and errors (the token is a
// capability: it is never logged in full).
func logTokenID(t string) string {
	if len(t) > 6 {
		return t[:6] + "…"
	}
	return t
}

// sameExchange checks that the second request repeats the first: same
// conversation, provider, evidence type, subject and version; for 2.0 the
// same ExchangeId and an https ReturnLocation.
func (c *Connector) sameExchange(s *session, m *exchange.Message, auth *Authority) *edm.Error {
	req := m.Request
	d, _, err := edm.ParseBytes(s.FirstRequest)
	first, ok := d.(*edm.QueryRequest)
	if err != nil || !ok {
		return edm.Errorf(edm.EDMErr0003, "the first request of this preview cannot be read back")
	}
	switch {
	case s.ConversationID != m.ConversationID:
		return edm.Errorf(edm.EDMErr0003, "the request is not in the conversation of the preview (ConversationId)")
	case s.Provider != auth.Agent.Identifier.Value:
		return edm.Errorf(edm.EDMErr0003, "the preview belongs to another evidence provider")
	case s.Version != string(req.Version()):
		return edm.Errorf(edm.EDMErr0003, "the request follows %s, the first request %s", req.Version(), s.Version)
	case first.EvidenceRequest.EvidenceTypeClassification != req.EvidenceRequest.EvidenceTypeClassification:
		return edm.Errorf(edm.EDMErr0003, "the request asks for another evidence type than the previewed one")
	case !sameSubject(SubjectOf(first), SubjectOf(req)):
		return edm.Errorf(edm.EDMErr0003, "the request is about another subject than the previewed evidence")
	}
	if req.Version().Is2() {
		if s.ExchangeID != m.ExchangeID {
			return edm.Errorf(edm.EDMErr0003, "the request does not repeat the ExchangeId of the first request")
		}
		u, err := url.Parse(req.ReturnLocation)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return edm.Errorf(edm.EDMErr0003, "ReturnLocation must be an https URL")
		}
	}
	return nil
}

func sameSubject(a, b Subject) bool {
	pa, pb := a.Person, b.Person
	if (pa == nil) != (pb == nil) || (a.Company == nil) != (b.Company == nil) {
		return false
	}
	if pa != nil && (pa.Identifier != pb.Identifier || pa.DateOfBirth != pb.DateOfBirth ||
		Fold(pa.FamilyName) != Fold(pb.FamilyName) || Fold(pa.GivenName) != Fold(pb.GivenName)) {
		return false
	}
	if a.Company != nil && (a.Company.Identifier != b.Company.Identifier || a.Company.VATRegistration != b.Company.VATRegistration) {
		return false
	}
	return true
}

// conclude decides the answer of a session whose second request is there:
// by the user's decision, or none yet. It sets the state; the evidence is
// purged from the session once answered.
func (c *Connector) conclude(s *session, now time.Time) (*answer, error) {
	if s.SecondMessageID == "" {
		return nil, nil
	}
	var f *edm.Error
	switch s.State {
	case stateApproved:
	case stateRefused:
		f = refusal()
	case stateWrongUser:
		f = edm.Errorf(edm.EDMErr0001, "the person who logged in at the preview is not the subject of the request")
	default:
		return nil, nil
	}
	auth := c.byID[s.Provider]
	if auth == nil {
		return nil, fmt.Errorf("provider: preview session of provider %q, which is no longer configured", s.Provider)
	}
	d, _, err := edm.ParseBytes(s.SecondRequest)
	req, ok := d.(*edm.QueryRequest)
	if err != nil || !ok {
		return nil, fmt.Errorf("provider: the stored request of preview session %s cannot be read back: %v", logTokenID(s.Token), err)
	}
	m := &exchange.Message{From: s.Party, ConversationID: s.ConversationID, ExchangeID: s.ExchangeID, MessageID: s.SecondMessageID,
		OriginalSender: s.c1(), FinalRecipient: s.c4(), Request: req}
	var a *answer
	if f != nil {
		var err error
		if a, err = c.refuse(m, req, auth, f, now); err != nil {
			return nil, err
		}
	} else {
		// The documents the user approved at the preview: those the
		// first request asked for, whatever the second one asks.
		first, err := storedRequest(s.FirstRequest)
		if err != nil {
			return nil, err
		}
		if a, err = c.evidence(m, req, auth, documentsSent(first, s.Documents), now); err != nil {
			return nil, err
		}
	}
	s.State, s.Documents, s.Updated = stateAnswered, nil, now
	a.inExchange(s.exchange())
	return a, nil
}

// reply wraps an answer document in its ebMS context: to the sending access
// point, in the request's conversation and exchange, referring to its
// message, with originalSender and finalRecipient swapped.
func (c *Connector) reply(m *exchange.Message, d edm.Message) *answer {
	out := &exchange.Message{To: m.From, ConversationID: m.ConversationID, ExchangeID: m.ExchangeID, RefToMessageID: m.MessageID,
		OriginalSender: m.FinalRecipient, FinalRecipient: m.OriginalSender}
	switch d := d.(type) {
	case *edm.QueryResponse:
		out.Response = d
	case *edm.ErrorResponse:
		out.Error = d
	}
	return &answer{msg: out, rec: recordOf(journal.EventResponseSent, m)}
}

// recordOf is the journal record of an event about a request.
func recordOf(event string, m *exchange.Message) journal.Record {
	r := journal.Record{Event: event, Conversation: m.ConversationID, Exchange: m.ExchangeID, MessageID: m.MessageID,
		Provider: m.FinalRecipient.Value}
	if q := m.Request; q != nil {
		if r.Exchange == "" {
			r.Exchange = q.ID
		}
		r.Procedure = q.Procedure
		if len(q.EvidenceRequester) > 0 {
			r.Requester = q.EvidenceRequester[0].Identifier.Value
		}
		if q.EvidenceRequest != nil {
			r.EvidenceType = q.EvidenceRequest.EvidenceTypeClassification
		}
	}
	return r
}

// sessionRecord is the journal record of an event of a preview session.
func (s *session) record(event string) journal.Record {
	m := &exchange.Message{ConversationID: s.ConversationID, ExchangeID: s.ExchangeID, MessageID: s.FirstMessageID, FinalRecipient: s.c4()}
	if req, err := storedRequest(s.FirstRequest); err == nil {
		m.Request = req
	}
	return recordOf(event, m)
}

// exchange is the identifier of the session's evidence exchange in the
// journal: the ExchangeId (EDM 2.0) or the id of the first request (1.x),
// which the session's entries and those of the request after the preview
// and of its answer carry (package journal, "Evidence exchanges").
func (s *session) exchange() string {
	if s.ExchangeID != "" {
		return s.ExchangeID
	}
	if req, err := storedRequest(s.FirstRequest); err == nil {
		return req.ID
	}
	return ""
}

// inExchange journals a's records in the exchange ex (a nil a or an empty
// ex changes nothing).
func (a *answer) inExchange(ex string) {
	if a == nil || ex == "" {
		return
	}
	a.rec.Exchange = ex
	for i := range a.extra {
		a.extra[i].Exchange = ex
	}
}

func (c *Connector) errorProvider(auth *Authority, m *exchange.Message) edm.Agent {
	var a edm.Agent
	if auth != nil {
		a = auth.Agent
	} else {
		a = edm.Agent{Identifier: m.FinalRecipient, Name: []edm.Text{edm.Lang("EN", "Evidence provider connector")}}
		if a.Identifier.Value == "" && len(c.cfg.Providers) > 0 {
			a.Identifier = c.cfg.Providers[0].Agent.Identifier
		}
	}
	a.Classification = "ERRP"
	return a
}

// refuse answers a request with an EDM error.
func (c *Connector) refuse(m *exchange.Message, req *edm.QueryRequest, auth *Authority, f *edm.Error, now time.Time) (*answer, error) {
	exc := f.Exception()
	c.log.Info("request refused", logMsg, m.MessageID, logConv, m.ConversationID, logCode, f.Code, "detail", f.Detail)
	id, err := uuid.New(c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	a := c.reply(m, edm.NewErrorResponse(req, id, c.errorProvider(auth, m), exc, now))
	a.rec.Outcome = string(f.Code)
	return a, nil
}

// evidence builds the evidence response (SPEC.md §2.3): for 1.x one
// evidence object per document, for 2.0 one registry package per document
// with the document as MainEvidence and the supplementary documents the
// request asks for beside it (documentsSent); each document is an
// attachment referenced by cid:. sent is what the answer carries
// (documentsSent).
func (c *Connector) evidence(m *exchange.Message, req *edm.QueryRequest, auth *Authority, sent []sentDocument, now time.Time) (*answer, error) {
	ids := uuid.NewSource(c.cfg.Rand)
	resp := edm.NewQueryResponse(req, ids.New(), now)
	ep := auth.Agent
	ep.Classification = "EP"
	resp.EvidenceProvider = []edm.Agent{ep}
	var about edm.IsAbout
	switch {
	case req.NaturalPerson != nil:
		p := *req.NaturalPerson
		about.NaturalPerson = &edm.Person{Identifier: p.Identifier, FamilyName: p.FamilyName, GivenName: p.GivenName, DateOfBirth: p.DateOfBirth}
	case req.LegalPerson != nil:
		lp := *req.LegalPerson
		about.LegalPerson = &edm.LegalPerson{Identifier: lp.Identifier, LegalPersonIdentifier: lp.LegalPersonIdentifier, LegalName: lp.LegalName}
	}
	et := req.EvidenceRequest
	var atts []exchange.Attachment
	objs := make([]*edm.EvidenceObject, len(sent))
	pkgs := make([]*edm.Package, len(sent))
	for i, sd := range sent {
		d := sd.Doc
		// R-EDM-RESP-C042: cid:[a-z0-9]*@…
		tag, err := uuid.New(c.cfg.Rand)
		if err != nil {
			return nil, err
		}
		cid := fmt.Sprintf("evidence%d%s@oots", i+1, tag[:8])
		title := d.Title
		if title == "" && sd.Main >= 0 {
			title = sent[sd.Main].Doc.Title
		}
		if title == "" {
			title = "Evidence"
		}
		atts = append(atts, exchange.Attachment{ContentID: cid, MimeType: d.Format, Data: d.Content})
		if sd.Main >= 0 {
			// A supplementary document of a 2.0 package: its own
			// object, classified by its role and joined to the main
			// evidence by an association typed after that role.
			md := supplementaryMetadata(auth.Agent.Identifier.Value, d)
			if md.Identifier.Value == "" {
				md.Identifier = edm.ID(ids.New())
			}
			obj := edm.NewEvidenceObject(ids.URN(), md, "cid:"+cid, title, sd.Role, ids.URN())
			p := pkgs[sd.Main]
			p.Evidence = append(p.Evidence, obj)
			p.Associations = append(p.Associations, &edm.NewAssociation(ids.URN(), associationOf[sd.Role], obj.ID, objs[sd.Main].ID).RegistryObject)
			continue
		}
		issuer := auth.Agent
		issuer.Classification = ""
		issuer.Address = nil
		if d.IssuingAuthority != nil {
			issuer = edm.Agent{Identifier: edm.SchemeID(d.IssuingAuthority.Identifier.Scheme, d.IssuingAuthority.Identifier.Value),
				Name: []edm.Text{edm.Lang("EN", d.IssuingAuthority.Name)}}
		}
		ab := about
		md := edm.Evidence{Identifier: edm.ID(evidenceID(auth.Agent.Identifier.Value, d.ID)), IsAbout: &ab, IssuingAuthority: &issuer,
			IsConformantTo: &edm.EvidenceType{EvidenceTypeClassification: et.EvidenceTypeClassification, Title: et.Title, Description: et.Description},
			IssuingDate:    d.IssuingDate,
			Distribution:   []edm.Distribution{{Format: d.Format, ConformsTo: requestedModel(et, d)}}}
		if d.Language != "" {
			md.Distribution[0].Language = []string{strings.ToUpper(d.Language)}
		}
		if d.ValidFrom != "" && d.ValidTo != "" {
			md.ValidityPeriod = &edm.Period{StartDate: d.ValidFrom, EndDate: d.ValidTo}
		}
		if !req.Version().Is2() {
			resp.Evidence = append(resp.Evidence, edm.NewEvidenceObject(ids.URN(), md, "cid:"+cid, title, "", ""))
			continue
		}
		objs[i] = edm.NewEvidenceObject(ids.URN(), md, "cid:"+cid, title, edm.RoleMainEvidence, ids.URN())
		pkgs[i] = &edm.Package{Evidence: []*edm.EvidenceObject{objs[i]}}
		pkgs[i].ID = ids.URN()
		resp.Packages = append(resp.Packages, pkgs[i])
	}
	if err := ids.Err(); err != nil {
		return nil, err
	}
	a := c.reply(m, resp)
	a.msg.Attachments = atts
	a.rec.Outcome = journal.OutcomeOK
	a.disclosure = disclosureOf(req, auth.Agent.Identifier.Value, m.ConversationID, resp.EvidenceResponseIdentifier, sent, now)
	return a, nil
}

// requestedModel is the ConformsTo of a document as the request names its
// data model (the 1.x distribution or the 2.0 data model URI of the same
// model), or the document's own.
func requestedModel(et *edm.DataServiceEvidenceType, d Document) string {
	for _, da := range et.DistributedAs {
		if d.ConformsTo != "" && da.ConformsTo != "" && da.HasFormat(d.Format) && sameModel(da.ConformsTo, d.ConformsTo) {
			return da.ConformsTo
		}
	}
	return d.ConformsTo
}

// token returns a fresh random 128-bit preview token.
func (c *Connector) token() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(c.cfg.Rand, b[:]); err != nil {
		return "", fmt.Errorf("provider: random source: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// storedRequest reads back a request kept in a preview session.
func storedRequest(doc []byte) (*edm.QueryRequest, error) {
	d, _, err := edm.ParseBytes(doc)
	if err != nil {
		return nil, fmt.Errorf("provider: stored request: %w", err)
	}
	req, ok := d.(*edm.QueryRequest)
	if !ok {
		return nil, errors.New("provider: stored document is not an evidence request")
	}
	return req, nil
}

// refusal is the answer when the user refused: EDM:ERR:0008 with the detail
// in 1.x and 2.0 alike. EDM:ERR:0002 would say the authorisation was
// withheld, but the official rule R-EDM-ERR-C015 (TDD 1.0, kept by the 2.0
// rules) allows an AuthorizationException only as a preview request
// (severity PreviewRequired, which R-EDM-ERR-C022 ties to a PreviewLocation).
func refusal() *edm.Error {
	return edm.Errorf(edm.EDMErr0008, "the user did not approve the exchange of the evidence")
}

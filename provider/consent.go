package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
)

// Events of the journal about consents (Outcome "consent:" + the id).
const (
	EventConsentGiven     = "consent.given"
	EventConsentUsed      = "consent.used"      // a background request answered without preview
	EventConsentNone      = "consent.none"      // a background request without a valid consent: preview
	EventConsentWithdrawn = "consent.withdrawn" // by the user
)

// DefaultConsentValidity is how long a consent lasts when
// ConsentPolicy.Validity is zero.
const DefaultConsentValidity = 90 * 24 * time.Hour

// ConsentPolicy enables background exchanges with the user's consent, an
// extension of OOTS that stays wire-compatible: at the preview the user
// may consent, once, that the same evidence requester obtains the same
// evidence type again without a preview, for the procedures the user
// ticks, until the consent expires or is withdrawn (GET /consents). The
// procedures offered are those the provider names for the evidence type
// (ServedType.ConsentProcedures; by default only the procedure of the
// request), the current one ticked; the user must keep at least one and no
// procedure is implied. A later request that carries the background
// attribute (exchange.AttributeBackground), is for a procedure of a valid consent
// and matches it otherwise is answered with the evidence at once; any other
// request takes the preview path.
type ConsentPolicy struct {
	Enabled bool
	// Validity of a consent; DefaultConsentValidity when zero, at most
	// one year.
	Validity time.Duration
}

// Consent is a consent to background exchanges, as the user sees it:
// which data (EvidenceType), from whom (Provider), for whom (Requester),
// for which procedures (Procedures), until when (Expires).
type Consent struct {
	ID            string `json:"id"`
	Provider      string `json:"provider"`
	Requester     string `json:"requester"`
	RequesterName string `json:"requesterName"`
	// Procedure is the procedure of the journey in which the user gave
	// the consent (at its preview).
	Procedure string `json:"procedure"`
	// Procedures are the procedures the user chose: a background request
	// is answered under the consent only for one of them.
	Procedures    []string  `json:"procedures"`
	EvidenceType  string    `json:"evidenceType"`
	EvidenceTitle string    `json:"evidenceTitle"`
	Granted       time.Time `json:"granted"`
	Expires       time.Time `json:"expires"`
	Withdrawn     time.Time `json:"withdrawn,omitzero"`
	subject       string
	subjectKey    string
}

// Valid reports whether the consent may be relied on at t.
func (c *Consent) Valid(t time.Time) bool { return c.Withdrawn.IsZero() && t.Before(c.Expires) }

// Disclosure is evidence the provider sent about a user.
type Disclosure struct {
	ID            string    `json:"id"`
	Provider      string    `json:"provider"`
	Requester     string    `json:"requester"`
	RequesterName string    `json:"requesterName"`
	Procedure     string    `json:"procedure"`
	EvidenceType  string    `json:"evidenceType"`
	Conversation  string    `json:"conversation"`
	Documents     []string  `json:"documents"` // title (format)
	ConsentID     string    `json:"consentId,omitempty"`
	Sent          time.Time `json:"sent"`
	subject       string
}

// background reports whether a request asks for a background exchange.
func background(req *edm.QueryRequest) bool {
	var attrs []edm.Attribute
	switch {
	case req.LegalPerson != nil:
		attrs = req.LegalPerson.SectorSpecificAttribute
	case req.NaturalPerson != nil:
		attrs = req.NaturalPerson.SectorSpecificAttribute
	}
	for _, a := range attrs {
		if a.AttributeURI == exchange.AttributeBackground && strings.TrimSpace(a.AttributeValue) == "true" {
			return true
		}
	}
	return false
}

// subjectOf is the identity consents and disclosures are kept under: the
// eIDAS identifier's issuing country and local part (the relying-party part
// differs between requesters), "company:" before a company's. "" when the
// request has no eIDAS identifier.
func subjectOf(s Subject) string {
	switch {
	case s.Company != nil:
		if c, l, ok := eid.LocalID(s.Company.Identifier); ok {
			return "company:" + c + "/" + l
		}
	case s.Person != nil:
		if c, l, ok := eid.LocalID(s.Person.Identifier); ok {
			return c + "/" + l
		}
	}
	return ""
}

// loginSubject is subjectOf for a login: the company when on behalf of
// one, else the person.
func loginSubject(s *eid.Subject) string {
	if s.Company != nil {
		return subjectOf(Subject{Company: s.Company})
	}
	return subjectOf(Subject{Person: s.Person})
}

func requesterOf(req *edm.QueryRequest) (id, name string) {
	if len(req.EvidenceRequester) == 0 {
		return "", ""
	}
	er := req.EvidenceRequester[0]
	if len(er.Name) > 0 {
		name = er.Name[0].Value
	}
	return er.Identifier.Value, name
}

func evidenceTitle(req *edm.QueryRequest) string {
	if et := req.EvidenceRequest; et != nil && len(et.Title) > 0 {
		return et.Title[0].Value
	}
	return ""
}

// consentProcedures are the procedures a consent given at the preview of
// req may cover, the request's own first: ServedType.ConsentProcedures of
// the requested evidence type, or only the request's procedure when the
// provider names none. nil when no consent may be offered (the request's
// procedure is not among those named, or the request names none).
func consentProcedures(auth *Authority, req *edm.QueryRequest) []string {
	if auth == nil || req.Procedure == "" || req.EvidenceRequest == nil {
		return nil
	}
	t := auth.served(req.EvidenceRequest.EvidenceTypeClassification)
	switch {
	case t == nil:
		return nil
	case len(t.ConsentProcedures) == 0:
		return []string{req.Procedure}
	case !slices.Contains(t.ConsentProcedures, req.Procedure):
		return nil
	}
	out := []string{req.Procedure}
	for _, p := range t.ConsentProcedures {
		if p != req.Procedure {
			out = append(out, p)
		}
	}
	return out
}

// newConsent is the consent a user gives at the preview of session s for
// the procedures procs, without its ID (drawn when it is stored).
func (c *Connector) newConsent(s *session, req *edm.QueryRequest, procs []string, now time.Time) *Consent {
	rid, rname := requesterOf(req)
	return &Consent{Provider: s.Provider, Requester: rid, RequesterName: rname, Procedure: req.Procedure,
		Procedures: procs, EvidenceType: c.byID[s.Provider].servedAs(req.EvidenceRequest.EvidenceTypeClassification), EvidenceTitle: evidenceTitle(req),
		Granted: now, Expires: now.Add(c.cfg.Consent.Validity), subject: subjectOf(SubjectOf(req)), subjectKey: s.SubjectKey}
}

// consentFor finds a valid consent that covers a background request: same
// provider, requester, evidence type and subject (the eIDAS identity of the
// request and the register's subject it resolved to), and the request's
// procedure among those the user chose.
func (c *Connector) consentFor(ctx context.Context, tx storageTx, req *edm.QueryRequest, provider, subjectKey string, now time.Time) (*Consent, error) {
	rid, _ := requesterOf(req)
	subj := subjectOf(SubjectOf(req))
	if subj == "" || rid == "" {
		return nil, nil
	}
	ks, err := tx.ValidConsents(ctx, consentFilter{Subject: subj, Provider: provider, Requester: rid,
		EvidenceType: c.byID[provider].servedAs(req.EvidenceRequest.EvidenceTypeClassification), Procedure: req.Procedure}, now)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.subjectKey == subjectKey && k.Valid(now) {
			return k, nil
		}
	}
	return nil, nil
}

// Consents returns the consents of a subject (its eIDAS identity, see
// the package documentation), newest first.
func (c *Connector) Consents(ctx context.Context, subject string) ([]*Consent, error) {
	return c.db.Consents(ctx, subject)
}

// ErrNoConsent: no such consent of this subject, or already withdrawn.
var ErrNoConsent = errors.New("provider: no such consent")

// Withdraw withdraws a consent of the subject: later background requests
// take the preview path again.
func (c *Connector) Withdraw(ctx context.Context, subject, id string) error {
	now := c.cfg.Now()
	ok, err := c.db.WithdrawConsent(ctx, subject, id, now)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoConsent, id)
	}
	c.journal(ctx, journal.Record{Event: EventConsentWithdrawn, Outcome: "consent:" + id})
	return nil
}

// disclosureOf is the record of the evidence sent in answer to req: every
// document the answer carries (sent), supplementary ones named by their
// role.
func disclosureOf(req *edm.QueryRequest, provider, conversation, responseID string, sent []sentDocument, now time.Time) *Disclosure {
	rid, rname := requesterOf(req)
	d := &Disclosure{ID: responseID, Provider: provider, Requester: rid, RequesterName: rname, Procedure: req.Procedure,
		EvidenceType: req.EvidenceRequest.EvidenceTypeClassification, Conversation: conversation, Sent: now, subject: subjectOf(SubjectOf(req))}
	for _, sd := range sent {
		title := sd.Doc.Title
		if title == "" && sd.Main >= 0 {
			title = sent[sd.Main].Doc.Title
		}
		if sd.Main >= 0 && sd.Role != edm.RoleHumanReadableVersion {
			title = sd.Role + ": " + title
		}
		d.Documents = append(d.Documents, title+" ("+sd.Doc.Format+")")
	}
	return d
}

// Disclosures returns the evidence sent about a subject, newest first.
func (c *Connector) Disclosures(ctx context.Context, subject string) ([]*Disclosure, error) {
	return c.db.Disclosures(ctx, subject)
}

// giveConsent records the consent the user gave with the approval at the
// preview of session s for the procedures procs (logged, not fatal: the
// approval stands).
func (c *Connector) giveConsent(ctx context.Context, s *session, procs []string, now time.Time) {
	req, err := storedRequest(s.FirstRequest)
	if err != nil {
		c.log.Error("consent", logErr, err)
		return
	}
	k := c.newConsent(s, req, procs, now)
	if k.subject == "" || len(procs) == 0 {
		return
	}
	if k.ID, err = uuid.NewURN(c.cfg.Rand); err != nil {
		c.log.Error("consent", logErr, err)
		return
	}
	if err := c.db.InsertConsent(ctx, k); err != nil {
		c.log.Error("consent", logErr, err)
		return
	}
	c.journal(ctx, withOutcome(s.record(EventConsentGiven), "consent:"+k.ID))
}

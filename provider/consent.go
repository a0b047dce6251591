package provider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/journal"
)

// AttributeBackground is the sdg:SectorSpecificAttribute (AttributeURI;
// AttributeName BackgroundExchange, AttributeValue "true") of the subject
// of an evidence request (NaturalPerson, or LegalPerson for a company) by
// which an evidence requester asks for a background exchange: the evidence
// without the preview, if the user consented to it here (ConsentPolicy).
// It is an extension that stays wire-compatible: sector-specific
// attributes are the EDM's own extension point of the subject, which a
// standard provider ignores (it answers with its preview), whereas the
// official rules forbid any other slot of the request (R-EDM-REQ-S019 in
// 1.x, R-EDM-REQ-S215 in 2.0) and any fifth ebMS message property in 2.0
// (R-EDM-ebMS-018).
const AttributeBackground = "urn:oots-go:attribute:background-exchange"

// BackgroundAttribute is the attribute that marks a background request.
func BackgroundAttribute() edm.Attribute {
	return edm.Attribute{AttributeName: "BackgroundExchange", AttributeURI: AttributeBackground, AttributeValue: "true"}
}

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
// evidence type for the same procedure again without a preview, until the
// consent expires or is withdrawn (GET /consents). A later request that
// carries SlotBackground and matches a valid consent is answered with
// the evidence at once; any other request takes the preview path.
type ConsentPolicy struct {
	Enabled bool
	// Validity of a consent; DefaultConsentValidity when zero, at most
	// one year.
	Validity time.Duration
}

// Consent is a consent to background exchanges, as the user sees it.
type Consent struct {
	ID            string    `json:"id"`
	Provider      string    `json:"provider"`
	Requester     string    `json:"requester"`
	RequesterName string    `json:"requesterName"`
	Procedure     string    `json:"procedure"`
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
		if a.AttributeURI == AttributeBackground && strings.TrimSpace(a.AttributeValue) == "true" {
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

// newConsent is the consent a user gives at the preview of session s.
func (c *Connector) newConsent(s *session, req *edm.QueryRequest, now time.Time) *Consent {
	rid, rname := requesterOf(req)
	return &Consent{ID: "urn:uuid:" + c.uuid(), Provider: s.Provider, Requester: rid, RequesterName: rname, Procedure: req.Procedure,
		EvidenceType: req.EvidenceRequest.EvidenceTypeClassification, EvidenceTitle: evidenceTitle(req),
		Granted: now, Expires: now.Add(c.cfg.Consent.Validity), subject: subjectOf(SubjectOf(req)), subjectKey: s.SubjectKey}
}

func (c *Connector) insertConsent(ctx context.Context, q querier, k *Consent) error {
	_, err := q.ExecContext(ctx, c.db.Rebind(`INSERT INTO provider_consents (id, provider, subject, subject_key, requester, requester_name,
		procedure, evidence_type, evidence_title, granted, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		k.ID, k.Provider, k.subject, k.subjectKey, k.Requester, k.RequesterName, k.Procedure, k.EvidenceType, k.EvidenceTitle,
		ms(k.Granted), ms(k.Expires))
	if err != nil {
		return fmt.Errorf("provider: storing consent: %w", err)
	}
	return nil
}

const consentColumns = `id, provider, subject, subject_key, requester, requester_name, procedure, evidence_type, evidence_title, granted, expires, withdrawn`

func scanConsents(rows *sql.Rows, err error) ([]*Consent, error) {
	if err != nil {
		return nil, fmt.Errorf("provider: consents: %w", err)
	}
	defer rows.Close()
	var out []*Consent
	for rows.Next() {
		k := &Consent{}
		var granted, expires, withdrawn int64
		if err := rows.Scan(&k.ID, &k.Provider, &k.subject, &k.subjectKey, &k.Requester, &k.RequesterName, &k.Procedure, &k.EvidenceType,
			&k.EvidenceTitle, &granted, &expires, &withdrawn); err != nil {
			return nil, fmt.Errorf("provider: consents: %w", err)
		}
		k.Granted, k.Expires = time.UnixMilli(granted).UTC(), time.UnixMilli(expires).UTC()
		if withdrawn != 0 {
			k.Withdrawn = time.UnixMilli(withdrawn).UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// consentFor finds a valid consent that covers a background request: same
// provider, requester, procedure, evidence type and subject (the eIDAS
// identity of the request and the register's subject it resolved to).
func (c *Connector) consentFor(ctx context.Context, q querier, req *edm.QueryRequest, provider, subjectKey string, now time.Time) (*Consent, error) {
	rid, _ := requesterOf(req)
	subj := subjectOf(SubjectOf(req))
	if subj == "" || rid == "" {
		return nil, nil
	}
	ks, err := scanConsents(q.QueryContext(ctx, c.db.Rebind(`SELECT `+consentColumns+` FROM provider_consents
		WHERE subject = ? AND provider = ? AND requester = ? AND procedure = ? AND evidence_type = ? AND withdrawn = 0 AND expires > ?
		ORDER BY granted DESC`), subj, provider, rid, req.Procedure, req.EvidenceRequest.EvidenceTypeClassification, ms(now)))
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
	return scanConsents(c.db.SQL().QueryContext(ctx, c.db.Rebind(`SELECT `+consentColumns+` FROM provider_consents WHERE subject = ?
		ORDER BY granted DESC, id`), subject))
}

// ErrNoConsent: no such consent of this subject, or already withdrawn.
var ErrNoConsent = errors.New("provider: no such consent")

// Withdraw withdraws a consent of the subject: later background requests
// take the preview path again.
func (c *Connector) Withdraw(ctx context.Context, subject, id string) error {
	now := c.cfg.Now()
	res, err := c.db.SQL().ExecContext(ctx, c.db.Rebind(`UPDATE provider_consents SET withdrawn = ? WHERE id = ? AND subject = ? AND withdrawn = 0`),
		ms(now), id, subject)
	if err != nil {
		return fmt.Errorf("provider: withdrawing consent: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: %s", ErrNoConsent, id)
	}
	c.journal(ctx, journal.Record{Event: EventConsentWithdrawn, Outcome: "consent:" + id})
	return nil
}

// disclosure is the record of evidence sent in answer to req.
func disclosureOf(req *edm.QueryRequest, provider, conversation, responseID string, docs []Document, now time.Time) *Disclosure {
	rid, rname := requesterOf(req)
	d := &Disclosure{ID: responseID, Provider: provider, Requester: rid, RequesterName: rname, Procedure: req.Procedure,
		EvidenceType: req.EvidenceRequest.EvidenceTypeClassification, Conversation: conversation, Sent: now, subject: subjectOf(SubjectOf(req))}
	for _, doc := range docs {
		d.Documents = append(d.Documents, doc.Title+" ("+doc.Format+")")
		if h := doc.HumanReadableVersion; h != nil {
			d.Documents = append(d.Documents, h.Title+" ("+h.Format+")")
		}
	}
	return d
}

func (c *Connector) insertDisclosure(ctx context.Context, q querier, d *Disclosure) error {
	docs, err := json.Marshal(d.Documents)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	_, err = q.ExecContext(ctx, c.db.Rebind(`INSERT INTO provider_disclosures (id, provider, subject, requester, requester_name, procedure,
		evidence_type, conversation_id, documents, consent_id, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		d.ID, d.Provider, d.subject, d.Requester, d.RequesterName, d.Procedure, d.EvidenceType, d.Conversation, string(docs), d.ConsentID, ms(d.Sent))
	if err != nil {
		return fmt.Errorf("provider: recording disclosure: %w", err)
	}
	return nil
}

// Disclosures returns the evidence sent about a subject, newest first.
func (c *Connector) Disclosures(ctx context.Context, subject string) ([]*Disclosure, error) {
	rows, err := c.db.SQL().QueryContext(ctx, c.db.Rebind(`SELECT id, provider, subject, requester, requester_name, procedure, evidence_type,
		conversation_id, documents, consent_id, sent FROM provider_disclosures WHERE subject = ? ORDER BY sent DESC, id`), subject)
	if err != nil {
		return nil, fmt.Errorf("provider: disclosures: %w", err)
	}
	defer rows.Close()
	var out []*Disclosure
	for rows.Next() {
		d := &Disclosure{}
		var docs string
		var sent int64
		if err := rows.Scan(&d.ID, &d.Provider, &d.subject, &d.Requester, &d.RequesterName, &d.Procedure, &d.EvidenceType, &d.Conversation,
			&docs, &d.ConsentID, &sent); err != nil {
			return nil, fmt.Errorf("provider: disclosures: %w", err)
		}
		if err := json.Unmarshal([]byte(docs), &d.Documents); err != nil {
			return nil, fmt.Errorf("provider: disclosures: %w", err)
		}
		d.Sent = time.UnixMilli(sent).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// giveConsent records the consent the user gave with the approval at the
// preview of session s (logged, not fatal: the approval stands).
func (c *Connector) giveConsent(ctx context.Context, s *session, now time.Time) {
	req, err := storedRequest(s.FirstRequest)
	if err != nil {
		c.log.Error("consent", logErr, err)
		return
	}
	k := c.newConsent(s, req, now)
	if k.subject == "" {
		return
	}
	if err := c.insertConsent(ctx, c.db.SQL(), k); err != nil {
		c.log.Error("consent", logErr, err)
		return
	}
	c.journal(ctx, withOutcome(s.record(EventConsentGiven), "consent:"+k.ID))
}

package provider

import (
	"context"
	"errors"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/journal"
)

// The connector's side of a preview session, which the web user interface
// (type web) calls: what the session shows and offers, whether the
// logged-in user is its subject, and committing a decision with its
// answer.

// sentOf lists the documents the answer of session s carries, as its
// first request asks for them (documentsSent): the preview shows each of
// them and the answer after an approval sends exactly these. A stored
// request that cannot be read back shows the main documents alone.
func (c *Connector) sentOf(s *session) []sentDocument {
	req, err := storedRequest(s.FirstRequest)
	if err != nil {
		c.log.Error("preview session", logErr, err)
		req = nil
	}
	return documentsSent(req, s.Documents)
}

// offer returns the procedures a consent given at the preview of session s
// may cover (consentProcedures), with the session's request, or nil when no
// consent is offered: the feature is off, or the request has no eIDAS
// identity to bind it to.
func (c *Connector) offer(s *session) ([]string, *edm.QueryRequest) {
	if !c.cfg.Consent.Enabled {
		return nil, nil
	}
	req, err := storedRequest(s.FirstRequest)
	if err != nil || subjectOf(SubjectOf(req)) == "" {
		return nil, nil
	}
	return consentProcedures(c.byID[s.Provider], req), req
}

// isSubject is the rule of the preview space: for a natural person, the
// login and the request carry the same eIDAS identity (SamePerson), or the
// register resolves the logged-in person to the very record the request
// designated (identifiers that differ by relying party, or a request
// without identifier); for a company, the login is on behalf of the
// company the request is about (SameCompany).
func (c *Connector) isSubject(ctx context.Context, s *session, auth *Authority, person *eid.NaturalPerson, company *eid.LegalPerson) (bool, error) {
	req, err := storedRequest(s.FirstRequest)
	if err != nil {
		return false, err
	}
	q := query(req, auth)
	switch sub := q.Subject; {
	case sub.Company != nil:
		return company != nil && SameCompany(company, sub.Company), nil
	case sub.Person == nil || person == nil:
		return false, nil
	case SamePerson(person, sub.Person):
		return true, nil
	}
	if auth == nil {
		return false, nil
	}
	q.Subject = Subject{Person: person}
	res, err := auth.DataService.Find(ctx, q)
	if err != nil {
		return false, err
	}
	m, err := res.resolve()
	return err == nil && m.Subject == s.SubjectKey, nil
}

// errChanged: another writer changed the preview session first.
var errChanged = errors.New("provider: the preview session changed meanwhile")

// commit writes a session change and the answer it decides, in one
// transaction, then journals and hands the answer over.
func (c *Connector) commit(ctx context.Context, s *session, a *answer, rec journal.Record) error {
	err := c.db.Update(ctx, func(tx storageTx) error {
		ok, err := tx.UpdateSession(ctx, s)
		if err != nil {
			return err
		}
		if !ok {
			return errChanged
		}
		if a != nil {
			return c.queue(ctx, tx, a, s.Updated)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.journal(ctx, rec)
	if a != nil {
		c.journal(ctx, a.rec)
		if err := c.flush(ctx); err != nil {
			c.log.Warn("answer queued, not yet accepted", logErr, err)
		}
	}
	return nil
}

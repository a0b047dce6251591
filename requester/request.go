package requester

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
)

// outgoing is an evidence request ready to be handed to the access point.
type outgoing struct {
	msg     *exchange.Message
	version edm.Version
}

// build makes the evidence request of requirement i (SPEC.md §2.2): the
// first one, or with previewLocation the second one after a preview
// (§1.2 step 5), which carries the same content with a new id.
func (c *Connector) build(j *journeyState, i int, requestID, exchangeID, previewLocation, returnLocation string) (*outgoing, error) {
	pub, st := j.Journey.Requirements[i], j.Reqs[i]
	s := st.service(pub.ChosenProvider)
	if s == nil {
		return nil, fmt.Errorf("%w: no provider chosen", ErrState)
	}
	v, ok := c.cfg.version(s.ConformsTo)
	if !ok {
		return nil, fmt.Errorf("%w: the provider speaks %s, the connector none of them", ErrState, strings.Join(s.ConformsTo, ", "))
	}
	party, err := c.cfg.Route(edm.SchemeID(s.AccessScheme, s.AccessID))
	if err != nil {
		return nil, fmt.Errorf("%w: no route to access service %s: %w", ErrUnavailable, s.AccessID, err)
	}
	q := edm.NewQueryRequest(v, requestID, c.cfg.Now())
	q.Procedure = j.Journey.Procedure
	if !v.Is2() {
		// 1.x: the preferred language is xml:lang; the procedure an
		// InternationalString. 2.0 forbids xml:lang (languages go to
		// DistributedAs/Language).
		q.ProcedureLang, q.Lang = "EN", "EN"
		if len(j.Languages) > 0 {
			q.Lang = strings.ToUpper(j.Languages[0])
		}
	}
	q.PreviewLocation = previewLocation
	if v.Is2() {
		q.ReturnLocation = returnLocation
	}
	q.PossibilityForPreview = st.Preview
	q.ExplicitRequestGiven = true
	reqID, classification := st.Identifier, s.Classification
	if v.Is2() {
		reqID.Value, classification = edm.SRHost2ID(reqID.Value), edm.SRHost2ID(classification)
	}
	q.Requirements = []edm.Requirement{{Identifier: reqID, Name: edmTexts(st.Name)}}
	er := c.cfg.Requester
	er.Classification = "ER"
	q.EvidenceRequester = []edm.Agent{er}
	if c.cfg.Intermediary.Identifier.Value != "" {
		ip := c.cfg.Intermediary
		ip.Classification = "IP"
		q.EvidenceRequester = append(q.EvidenceRequester, ip)
	}
	q.EvidenceProvider = &edm.Agent{Identifier: edm.SchemeID(s.PublisherScheme, s.PublisherID), Name: edmTexts(s.PublisherName)}
	for _, k := range st.Concepts {
		ic := edm.InformationConcept{Identifier: edm.SchemeID(k.Scheme, k.ID), Type: k.Type, ValueExpression: k.ValueExpression,
			Description: edmTexts(k.Description), SupportedValue: &edm.SupportedValue{StringValue: []string{st.Answers[k.ID]}}}
		q.EvidenceProviderClassification = append(q.EvidenceProviderClassification, ic)
	}
	sub := j.Subject
	person := naturalPerson(sub)
	if c.withheld(sub) {
		person.Identifier = nil
	}
	if sub.Company != nil {
		q.LegalPerson = legalPerson(sub)
		q.AuthorizedRepresentative = person
	} else {
		q.NaturalPerson = person
	}
	if c.cfg.Background && previewLocation == "" {
		a := exchange.BackgroundAttribute()
		if q.LegalPerson != nil {
			q.LegalPerson.SectorSpecificAttribute = append(q.LegalPerson.SectorSpecificAttribute, a)
		} else {
			q.NaturalPerson.SectorSpecificAttribute = append(q.NaturalPerson.SectorSpecificAttribute, a)
		}
	}
	et := &edm.DataServiceEvidenceType{Identifier: edm.SchemeID(s.TypeScheme, s.TypeID), EvidenceTypeClassification: classification,
		Title: edmTexts(s.Title), Description: edmTexts(s.Description)}
	for _, d := range s.Distributions {
		if d.Format != st.Format {
			continue
		}
		da := edm.Distribution{Format: d.Format, ConformsTo: d.ConformsTo}
		if v.Is2() {
			for _, l := range j.Languages {
				da.Language = append(da.Language, strings.ToUpper(l))
			}
			// Structured evidence of a known data model: the 2.0 data
			// model URI (R-EDM-REQ-C220, a warning of ours), and its human-readable
			// version with it (the user sees what was sent).
			if m, err := datamodel.Lookup(d.ConformsTo); err == nil && datamodel.Structured(d.Format) {
				da.ConformsTo = m.URI
				da.AssociatedDocumentRequest = []string{edm.RoleHumanReadableVersion}
			}
			da.AssociatedDocumentRequest = associated(da.AssociatedDocumentRequest, j.Associated)
		} else {
			da.Transformation = d.Transformation
		}
		et.DistributedAs = []edm.Distribution{da}
		break
	}
	q.EvidenceRequest = et
	m := &exchange.Message{To: party, ConversationID: j.Journey.ID, ExchangeID: exchangeID, Request: q,
		OriginalSender: c.cfg.Requester.Identifier, FinalRecipient: q.EvidenceProvider.Identifier}
	return &outgoing{msg: m, version: v}, nil
}

// naturalPerson is the sdg:Person of the authenticated user (SPEC.md §2.2,
// slot NaturalPerson): the eIDAS minimum data set with the level of
// assurance. The current address is left out: the eIDAS attribute is free
// text without the country the sdg:Address requires.
func naturalPerson(s eid.Subject) *edm.Person {
	p := s.Person
	id := edm.SchemeID("eidas", p.Identifier)
	return &edm.Person{LevelOfAssurance: s.LoA.Code(), Identifier: &id, FamilyName: p.FamilyName, GivenName: p.GivenName,
		DateOfBirth: p.DateOfBirth, BirthName: p.BirthName, PlaceOfBirth: p.PlaceOfBirth, Gender: p.Gender}
}

// withheld reports whether the subject's eIDAS identifier must not be
// transmitted (Config.WithheldIdentifiers).
func (c *Connector) withheld(s eid.Subject) bool {
	cc := s.Country
	if cc == "" {
		cc, _, _ = eid.LocalID(s.Person.Identifier)
	}
	return cc != "" && slices.Contains(c.cfg.WithheldIdentifiers, strings.ToUpper(cc))
}

// legalPerson is the sdg:LegalPerson of the company the user represents.
func legalPerson(s eid.Subject) *edm.LegalPerson {
	co := s.Company
	id := edm.SchemeID("eidas", co.Identifier)
	lp := &edm.LegalPerson{LevelOfAssurance: s.LoA.Code(), LegalPersonIdentifier: &id, LegalName: co.LegalName}
	for _, x := range []struct{ scheme, value string }{{"VAT", co.VATRegistration}, {"TAX", co.TaxReference}, {"LEI", co.LEI}, {"EORI", co.EORI}} {
		if x.value != "" {
			lp.Identifier = append(lp.Identifier, edm.SchemeID(x.scheme, x.value))
		}
	}
	return lp
}

// handOver hands a request of requirement i of j to the access point
// under clientKey, named named when it is not "" (messageIDFor). A named
// request is journaled first (journalFirst, before the access point can
// take it, so before its answer and its receipt); should the access point
// refuse it, an error entry naming it follows ("not sent: the access point
// did not take " + what), recorded even when the caller has gone.
func (c *Connector) handOver(ctx context.Context, j *journeyState, i int, out *outgoing, clientKey, named, what string, journalFirst func()) (*ap.Status, error) {
	s, err := out.msg.Submission(c.cfg.Legs, clientKey)
	if err != nil {
		return nil, fmt.Errorf("requester: %w", err)
	}
	s.MessageID = named
	if named != "" {
		journalFirst()
	}
	st, _, err := c.cfg.Sender.Submit(ctx, s)
	if err != nil && named != "" {
		c.journal(context.WithoutCancel(ctx), c.entry(j, i, journal.EventError, named, "not sent: the access point did not take "+what+": "+err.Error()))
	}
	return st, err
}

// messageIDFor names the message submitted under clientKey before it is
// submitted, when the Sender can (MessageNamer) and the journal appends a
// step once (onceAppender, or no journal); "" otherwise: then a request is
// journaled once the access point has taken it.
func (c *Connector) messageIDFor(clientKey string) string {
	if !c.namesFirst() {
		return ""
	}
	return c.cfg.Sender.(MessageNamer).MessageIDFor(clientKey)
}

// namesFirst reports whether the connector names its requests and journals
// them before the access point takes them (messageIDFor).
func (c *Connector) namesFirst() bool {
	if _, ok := c.cfg.Journal.(onceAppender); !ok && c.cfg.Journal != nil {
		return false
	}
	_, ok := c.cfg.Sender.(MessageNamer)
	return ok
}

// returnURL is where the provider's preview space sends the user back: the
// portal's ReturnURL with the query parameters journey (the journey id) and
// requirement (the requirement's index in Journey.Requirements).
func (j *journeyState) returnURL(i int) string {
	return withQuery(j.ReturnURL, url.Values{"journey": {j.Journey.ID}, "requirement": {strconv.Itoa(i)}})
}

// withQuery appends parameters to a URL's query.
func withQuery(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + v.Encode()
}

// associated adds the supplementary documents a journey asks for to those
// of a DistributedAs, once each and in the order of the EDM's roles.
func associated(have, want []string) []string {
	var out []string
	for _, r := range []string{edm.RoleAnnex, edm.RoleHumanReadableVersion, edm.RoleTranslation} {
		if slices.Contains(have, r) || slices.Contains(want, r) {
			out = append(out, r)
		}
	}
	return out
}

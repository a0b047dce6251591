package edm

import (
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// QueryRequest is the evidence request (query:QueryRequest, kind EDM-REQ,
// SPEC.md §2.2): what the evidence requester asks of an evidence provider.
type QueryRequest struct {
	// Specification is the EDM version (SpecificationIdentifier slot).
	Specification Version
	// ID is the request identifier, "urn:uuid:" + a UUID.
	ID string
	// Lang is the preferred language (xml:lang); EDM 1.x only, 2.0 forbids
	// it (languages go to EvidenceRequest.DistributedAs.Language).
	Lang string

	IssueDateTime string // xsd:dateTime, lexical form kept as read
	// Procedure is a code of the Procedures list. EDM 1.x writes it as an
	// InternationalString with ProcedureLang, 2.0 as a String.
	Procedure     string
	ProcedureLang string
	// PreviewLocation is set in the second request after a preview;
	// ReturnLocation (2.0 only) must be set exactly when PreviewLocation is.
	PreviewLocation       string
	ReturnLocation        string
	PossibilityForPreview bool
	ExplicitRequestGiven  bool
	Requirements          []Requirement
	EvidenceRequester     []Agent // the ER, and an IP if one is used
	EvidenceProvider      *Agent
	// EvidenceProviderClassification holds the values the user chose when
	// the DSD asked for them (DSD:ERR:0005).
	EvidenceProviderClassification []InformationConcept

	// ResponseOption is query:ResponseOption/@returnType
	// (LeafClassWithRepositoryItem); QueryDefinition is
	// query:Query/@queryDefinition (DocumentQuery).
	ResponseOption  string
	QueryDefinition string

	// Query parameters: exactly one of NaturalPerson and LegalPerson, an
	// optional authorised representative, and the requested evidence.
	NaturalPerson            *Person
	LegalPerson              *LegalPerson
	AuthorizedRepresentative *Person
	EvidenceRequest          *DataServiceEvidenceType

	// Unknown slots, kept as read (and reported by Parse).
	OtherSlots      []*regrep.Slot
	OtherQuerySlots []*regrep.Slot

	base    *regrep.QueryRequest
	origTop map[string]*regrep.Slot
	origQ   map[string]*regrep.Slot
}

var _ Message = (*QueryRequest)(nil)

// Kind returns KindEvidenceRequest.
func (q *QueryRequest) Kind() Kind { return KindEvidenceRequest }

// Version returns the EDM version.
func (q *QueryRequest) Version() Version { return q.Specification }

// Defaults of the evidence request.
const (
	DefaultResponseOption  = regrep.ReturnTypeLeafClassRI
	DefaultQueryDefinition = "DocumentQuery"
)

// ErrIncomplete is returned (wrapped, naming the part) by builders and
// Marshal when a required part of a message is missing.
var ErrIncomplete = errors.New("edm: message incomplete")

func incomplete(kind Kind, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrIncomplete, kind, fmt.Sprintf(format, args...))
}

// NewQueryRequest returns an evidence request with the given version, a
// fresh urn:uuid identifier from id (a UUID without prefix, e.g. from
// crypto/rand), and IssueDateTime = issued. The caller fills in the
// procedure, requirements, agents, subject and requested evidence; Marshal
// refuses the request while any of them is missing.
func NewQueryRequest(v Version, id string, issued time.Time) *QueryRequest {
	return &QueryRequest{
		Specification:   v,
		ID:              uuid.URNPrefix + id,
		IssueDateTime:   regrep.FormatDateTime(issued),
		ResponseOption:  DefaultResponseOption,
		QueryDefinition: DefaultQueryDefinition,
	}
}

func decodeQueryRequest(d *sdgDecoder, r *regrep.QueryRequest, v Version) *QueryRequest {
	q := &QueryRequest{Specification: v, ID: r.ID, Lang: r.Lang, ResponseOption: r.ResponseOption, QueryDefinition: r.Query.Definition, base: r}
	top := newSlotSet(d, at("/query:QueryRequest"), r.Slots)
	top.spec(true, "R-EDM-REQ-C001")
	q.IssueDateTime = top.dateTime("IssueDateTime", true)
	if sl := top.take("Procedure", true, regrep.InternationalStringValueType, regrep.StringValueType); sl != nil {
		if (sl.Value.Type == regrep.StringValueType) != (v == V2_0) {
			top.finding(RuleVersion, sl.Path, "slot Procedure is a %s; %s writes it as a %s", sl.Value.Type, v, map[bool]string{true: "StringValueType", false: "InternationalStringValueType"}[v == V2_0])
		}
		if sl.Value.Type == regrep.StringValueType {
			q.Procedure = sl.Value.Text
		} else {
			q.ProcedureLang, q.Procedure = sl.Value.Strings.First()
			if sl.Value.Strings != nil && len(sl.Value.Strings.Strings) > 1 {
				top.finding(RuleContent, sl.Path, "slot Procedure holds %d localized strings; one is expected", len(sl.Value.Strings.Strings))
			}
		}
	}
	q.PreviewLocation = top.str("PreviewLocation", false)
	q.ReturnLocation = top.str("ReturnLocation", false)
	q.PossibilityForPreview = top.boolean("PossibilityForPreview", true)
	q.ExplicitRequestGiven = top.boolean("ExplicitRequestGiven", true)
	top.many("Requirements", true, "Requirement", &q.Requirements)
	top.many("EvidenceRequester", true, "Agent", &q.EvidenceRequester)
	var ep Agent
	if top.one("EvidenceProvider", true, "Agent", &ep) {
		q.EvidenceProvider = &ep
	}
	top.many("EvidenceProviderClassification", false, "EvidenceProviderClassification", &q.EvidenceProviderClassification)
	q.OtherSlots = top.rest()
	q.origTop = top.orig

	qs := newSlotSet(d, at("/query:QueryRequest/query:Query"), r.Query.Slots)
	var np, ar Person
	var lp LegalPerson
	var er DataServiceEvidenceType
	if qs.one("NaturalPerson", false, "Person", &np) {
		q.NaturalPerson = &np
	}
	if qs.one("LegalPerson", false, "LegalPerson", &lp) {
		q.LegalPerson = &lp
	}
	if qs.one("AuthorizedRepresentative", false, "Person", &ar) {
		q.AuthorizedRepresentative = &ar
	}
	if qs.one("EvidenceRequest", true, "DataServiceEvidenceType", &er) {
		q.EvidenceRequest = &er
	}
	q.OtherQuerySlots = qs.rest()
	q.origQ = qs.orig
	return q
}

// validate reports the first missing required part.
func (q *QueryRequest) validate() error {
	k := KindEvidenceRequest
	switch {
	case !q.Specification.IsEDM():
		return incomplete(k, "specification version %q is not an EDM version", q.Specification)
	case q.ID == "":
		return incomplete(k, "id is missing")
	case q.IssueDateTime == "":
		return incomplete(k, "slot IssueDateTime is missing")
	case q.Procedure == "":
		return incomplete(k, "slot Procedure is missing")
	case len(q.Requirements) == 0:
		return incomplete(k, "slot Requirements is empty")
	case len(q.EvidenceRequester) == 0:
		return incomplete(k, "slot EvidenceRequester is empty")
	case q.EvidenceProvider == nil:
		return incomplete(k, "slot EvidenceProvider is missing")
	case q.NaturalPerson == nil && q.LegalPerson == nil:
		return incomplete(k, "query slot NaturalPerson or LegalPerson is missing")
	case q.EvidenceRequest == nil:
		return incomplete(k, "query slot EvidenceRequest is missing")
	case q.Specification == V2_0 && q.Lang != "":
		return incomplete(k, "xml:lang is not allowed on an oots-edm:v2.0 request")
	case q.Specification == V2_0 && (q.PreviewLocation == "") != (q.ReturnLocation == ""):
		return incomplete(k, "ReturnLocation and PreviewLocation go together in oots-edm:v2.0")
	case q.Specification != V2_0 && q.ReturnLocation != "":
		return incomplete(k, "slot ReturnLocation exists only in oots-edm:v2.0")
	}
	return nil
}

// Element writes the request; it fails when a required part is missing.
func (q *QueryRequest) Element() (*xmltree.Element, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	r := regrep.QueryRequest{}
	if q.base != nil {
		r = *q.base
	}
	r.ID, r.Lang, r.ResponseOption, r.Query.Definition = q.ID, q.Lang, q.ResponseOption, q.QueryDefinition
	w := &slotWriter{orig: q.origTop}
	w.str("SpecificationIdentifier", string(q.Specification))
	w.dateTime("IssueDateTime", q.IssueDateTime)
	if q.Specification == V2_0 {
		w.str("Procedure", q.Procedure)
	} else {
		w.add("Procedure", regrep.LocalizedStrings(regrep.LocalizedString{Lang: q.ProcedureLang, Value: q.Procedure}))
	}
	w.str("PreviewLocation", q.PreviewLocation)
	w.str("ReturnLocation", q.ReturnLocation)
	w.boolean("PossibilityForPreview", q.PossibilityForPreview)
	w.boolean("ExplicitRequestGiven", q.ExplicitRequestGiven)
	w.many("Requirements", "Requirement", q.Requirements)
	w.many("EvidenceRequester", "Agent", q.EvidenceRequester)
	w.one("EvidenceProvider", "Agent", q.EvidenceProvider)
	w.many("EvidenceProviderClassification", "EvidenceProviderClassification", q.EvidenceProviderClassification)
	w.keep(q.OtherSlots)
	r.Slots = w.slots

	qw := &slotWriter{orig: q.origQ}
	qw.one("NaturalPerson", "Person", q.NaturalPerson)
	qw.one("LegalPerson", "LegalPerson", q.LegalPerson)
	qw.one("AuthorizedRepresentative", "Person", q.AuthorizedRepresentative)
	qw.one("EvidenceRequest", "DataServiceEvidenceType", q.EvidenceRequest)
	qw.keep(q.OtherQuerySlots)
	r.Query.Slots = qw.slots
	el := r.Element()
	el.DeclareNS("sdg", NamespaceSDG)
	return el, nil
}

// Marshal writes the request as an indented document.
func (q *QueryRequest) Marshal() ([]byte, error) { return marshal(q) }

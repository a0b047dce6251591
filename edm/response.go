package edm

import (
	"time"

	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// ClassificationSchemeEDM is the scheme of the classifications that give
// each document of a 2.0 evidence package its role.
const ClassificationSchemeEDM = "urn:fdc:oots:classification:edm"

// Roles of the documents of a 2.0 evidence package (classification nodes of
// ClassificationSchemeEDM).
const (
	RoleMainEvidence         = "MainEvidence"
	RoleAnnex                = "Annex"
	RoleHumanReadableVersion = "HumanReadableVersion"
	RoleTranslation          = "Translation"
)

// QueryResponse is the evidence response (query:QueryResponse with status
// Success, kind EDM-RESP, SPEC.md §2.3). EDM 1.x lists the evidence objects
// directly (Evidence); EDM 2.0 wraps them in registry packages (Packages).
type QueryResponse struct {
	Specification              Version
	RequestID                  string // the request's id
	EvidenceResponseIdentifier string
	IssueDateTime              string
	ResponseAvailableDateTime  string
	EvidenceProvider           []Agent
	EvidenceRequester          *Agent

	Evidence []*EvidenceObject // EDM 1.x
	Packages []*Package        // EDM 2.0

	OtherSlots []*regrep.Slot
	// Others are registry objects of the list that are neither evidence
	// objects nor packages, kept as read.
	Others []*regrep.RegistryObject

	base *regrep.QueryResponse
	orig map[string]*regrep.Slot
}

// EvidenceObject is an evidence in a response: a rim:ExtrinsicObject with
// slot EvidenceMetadata and a RepositoryItemRef to the AS4 payload part. The
// embedded RegistryObject carries the id, the classifications (2.0 role) and
// the repository item reference; its EvidenceMetadata slot is written from
// Metadata.
type EvidenceObject struct {
	regrep.RegistryObject
	Metadata Evidence
}

// Package is a 2.0 evidence package: a rim:RegistryPackage whose list holds
// the evidence objects and the associations between them.
type Package struct {
	regrep.RegistryObject
	Evidence     []*EvidenceObject
	Associations []*regrep.RegistryObject
}

// NewEvidenceObject returns an evidence object with the given id (a
// urn:uuid), metadata, and payload reference href ("cid:…") and title. For a
// 2.0 package, role is the document's role (RoleMainEvidence…) and
// classificationID the id of its classification; for 1.x pass "".
func NewEvidenceObject(id string, md Evidence, href, title, role, classificationID string) *EvidenceObject {
	o := &EvidenceObject{Metadata: md}
	o.Type = regrep.ExtrinsicObjectType
	o.ID = id
	if role != "" {
		o.Classifications = []*regrep.RegistryObject{{ID: classificationID, ClassificationScheme: ClassificationSchemeEDM, ClassificationNode: role}}
	}
	o.RepositoryItemRef = &regrep.SimpleLink{Href: href, Title: title}
	return o
}

// Role returns the 2.0 role of the evidence object, or "".
func (o *EvidenceObject) Role() string {
	for _, c := range o.Classifications {
		if c.ClassificationScheme == ClassificationSchemeEDM {
			return c.ClassificationNode
		}
	}
	return ""
}

var _ Message = (*QueryResponse)(nil)

// Kind returns KindEvidenceResponse.
func (r *QueryResponse) Kind() Kind { return KindEvidenceResponse }

// Version returns the EDM version.
func (r *QueryResponse) Version() Version { return r.Specification }

// NewQueryResponse returns an evidence response answering the request with
// the given response identifier (a UUID) and issue time.
func NewQueryResponse(req *QueryRequest, responseID string, issued time.Time) *QueryResponse {
	r := &QueryResponse{Specification: req.Specification, RequestID: req.ID, EvidenceResponseIdentifier: responseID, IssueDateTime: regrep.FormatDateTime(issued)}
	if len(req.EvidenceRequester) > 0 {
		er := req.EvidenceRequester[0]
		r.EvidenceRequester = &er
	}
	return r
}

func decodeEvidenceObject(d *sdgDecoder, o *regrep.RegistryObject) *EvidenceObject {
	e := &EvidenceObject{RegistryObject: *o}
	s := newSlotSet(d, o.Path, o.Slots)
	s.one("EvidenceMetadata", true, "Evidence", &e.Metadata)
	e.Slots = s.rest()
	if o.RepositoryItemRef == nil {
		s.finding(regrep.RuleMissing, o.Path, "evidence object %s has no rim:RepositoryItemRef", o.ID)
	}
	return e
}

func decodeQueryResponse(d *sdgDecoder, r *regrep.QueryResponse, v Version) *QueryResponse {
	q := &QueryResponse{Specification: v, RequestID: r.RequestID, base: r}
	s := newSlotSet(d, at("/query:QueryResponse"), r.Slots)
	s.spec(true, "R-EDM-RESP-C002")
	q.EvidenceResponseIdentifier = s.str("EvidenceResponseIdentifier", true)
	q.IssueDateTime = s.dateTime("IssueDateTime", true)
	q.ResponseAvailableDateTime = s.dateTime("ResponseAvailableDateTime", false)
	s.many("EvidenceProvider", true, "Agent", &q.EvidenceProvider)
	var er Agent
	if s.one("EvidenceRequester", true, "Agent", &er) {
		q.EvidenceRequester = &er
	}
	q.OtherSlots = s.rest()
	q.orig = s.orig
	for _, o := range r.RegistryObjects {
		switch o.Type {
		case regrep.ExtrinsicObjectType:
			q.Evidence = append(q.Evidence, decodeEvidenceObject(d, o))
		case regrep.RegistryPackageType:
			p := &Package{RegistryObject: *o}
			p.RegistryObjects, p.HasList = nil, false
			for _, c := range o.RegistryObjects {
				switch c.Type {
				case regrep.ExtrinsicObjectType:
					p.Evidence = append(p.Evidence, decodeEvidenceObject(d, c))
				default:
					p.Associations = append(p.Associations, c)
				}
			}
			q.Packages = append(q.Packages, p)
		default:
			q.Others = append(q.Others, o)
		}
	}
	return q
}

func (r *QueryResponse) validate() error {
	k := KindEvidenceResponse
	switch {
	case !r.Specification.IsEDM():
		return incomplete(k, "specification version %q is not an EDM version", r.Specification)
	case r.RequestID == "":
		return incomplete(k, "requestId is missing")
	case r.EvidenceResponseIdentifier == "":
		return incomplete(k, "slot EvidenceResponseIdentifier is missing")
	case r.IssueDateTime == "":
		return incomplete(k, "slot IssueDateTime is missing")
	case len(r.EvidenceProvider) == 0:
		return incomplete(k, "slot EvidenceProvider is empty")
	case r.EvidenceRequester == nil:
		return incomplete(k, "slot EvidenceRequester is missing")
	case r.Specification == V2_0 && len(r.Evidence) > 0:
		return incomplete(k, "oots-edm:v2.0 puts evidence objects in registry packages")
	case r.Specification != V2_0 && len(r.Packages) > 0:
		return incomplete(k, "registry packages exist only in oots-edm:v2.0")
	}
	return nil
}

func (o *EvidenceObject) object() *regrep.RegistryObject {
	ro := o.RegistryObject
	w := &slotWriter{}
	w.add("EvidenceMetadata", regrep.Any(encode("Evidence", &o.Metadata)))
	w.keep(o.Slots)
	ro.Slots = w.slots
	return &ro
}

// Element writes the response; it fails when a required part is missing.
func (r *QueryResponse) Element() (*xmltree.Element, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	out := regrep.QueryResponse{}
	if r.base != nil {
		out = *r.base
	}
	out.Status, out.RequestID = regrep.StatusSuccess, r.RequestID
	if r.Deferred() {
		// "Unavailable for responses that will be available at a later
		// time" (R-EDM-RESP-S006).
		out.Status = regrep.StatusUnavailable
	}
	w := &slotWriter{orig: r.orig}
	w.str("SpecificationIdentifier", string(r.Specification))
	w.str("EvidenceResponseIdentifier", r.EvidenceResponseIdentifier)
	w.dateTime("IssueDateTime", r.IssueDateTime)
	w.dateTime("ResponseAvailableDateTime", r.ResponseAvailableDateTime)
	w.many("EvidenceProvider", "Agent", r.EvidenceProvider)
	w.one("EvidenceRequester", "Agent", r.EvidenceRequester)
	w.keep(r.OtherSlots)
	out.Slots = w.slots
	out.RegistryObjects = nil
	for _, e := range r.Evidence {
		out.RegistryObjects = append(out.RegistryObjects, e.object())
	}
	for _, p := range r.Packages {
		po := p.RegistryObject
		po.Type = regrep.RegistryPackageType
		po.RegistryObjects = nil
		po.HasList = true
		for _, e := range p.Evidence {
			po.RegistryObjects = append(po.RegistryObjects, e.object())
		}
		po.RegistryObjects = append(po.RegistryObjects, p.Associations...)
		out.RegistryObjects = append(out.RegistryObjects, &po)
	}
	out.RegistryObjects = append(out.RegistryObjects, r.Others...)
	out.HasList = true
	el := out.Element()
	el.DeclareNS("sdg", NamespaceSDG)
	return el, nil
}

// Marshal writes the response as an indented document.
func (r *QueryResponse) Marshal() ([]byte, error) { return marshal(r) }

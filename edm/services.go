package edm

import (
	"fmt"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Object is a registry object of a Common Services answer or an LCM
// submission: a rim:RegistryObject whose one AnyValue slot (PayloadSlot)
// holds an SDG element, decoded into Payload, one of *Requirement,
// *EvidenceType, *EvidenceTypeList, *ReferenceFramework,
// *DataServiceEvidenceType, *AccessService, *Agent or *Publisher. An
// association (xsi:type rim:AssociationType) has no payload. The embedded
// RegistryObject keeps the id, the classifications and every other part.
type Object struct {
	regrep.RegistryObject
	PayloadSlot string
	Payload     any

	payloadIndex int // position of the payload slot among the slots
}

// payloads maps the SDG element names carried by EB, DSD and LCM objects to
// their types.
var payloads = map[string]func() any{
	"Requirement":             func() any { return new(Requirement) },
	"EvidenceType":            func() any { return new(EvidenceType) },
	"EvidenceTypeList":        func() any { return new(EvidenceTypeList) },
	"ReferenceFramework":      func() any { return new(ReferenceFramework) },
	"DataServiceEvidenceType": func() any { return new(DataServiceEvidenceType) },
	"AccessService":           func() any { return new(AccessService) },
	"Agent":                   func() any { return new(Agent) },
	"Publisher":               func() any { return new(Publisher) },
}

func payloadName(p any) string {
	switch p.(type) {
	case *Requirement:
		return "Requirement"
	case *EvidenceType:
		return "EvidenceType"
	case *EvidenceTypeList:
		return "EvidenceTypeList"
	case *ReferenceFramework:
		return "ReferenceFramework"
	case *DataServiceEvidenceType:
		return "DataServiceEvidenceType"
	case *AccessService:
		return "AccessService"
	case *Agent:
		return "Agent"
	case *Publisher:
		return "Publisher"
	}
	return ""
}

// NewObject returns an object with the given id whose slot holds payload.
func NewObject(id, slot string, payload any) *Object {
	o := &Object{PayloadSlot: slot, Payload: payload}
	o.ID = id
	return o
}

func decodeObject(d *sdgDecoder, o *regrep.RegistryObject) *Object {
	obj := &Object{RegistryObject: *o}
	for i, sl := range o.Slots {
		if sl.Value == nil || sl.Value.Type != regrep.AnyValueType || len(sl.Value.Any) != 1 {
			continue
		}
		el := sl.Value.Any[0]
		mk, ok := payloads[el.Local]
		if !ok || el.Space != NamespaceSDG {
			if len(d.findings) < regrep.MaxFindings {
				d.findings = regrep.AppendFinding(d.findings, check.Finding{Rule: regrep.RuleUnknownElement, Flag: check.Error,
					Location: el.Path(), Message: fmt.Sprintf("element %s is not a known registry object payload; kept as is", el.Name)})
			}
			continue
		}
		p := mk()
		d.decodeAt(sl.Value.Path, el, p)
		obj.PayloadSlot, obj.Payload = sl.Name, p
		obj.Slots = append(append([]*regrep.Slot{}, o.Slots[:i]...), o.Slots[i+1:]...)
		obj.payloadIndex = i
		break
	}
	return obj
}

func (o *Object) object() *regrep.RegistryObject {
	ro := o.RegistryObject
	if o.Payload == nil || o.PayloadSlot == "" {
		return &ro
	}
	i := min(o.payloadIndex, len(ro.Slots))
	s := regrep.NewSlot(o.PayloadSlot, regrep.Any(encode(payloadName(o.Payload), o.Payload)))
	ro.Slots = append(append(append([]*regrep.Slot{}, ro.Slots[:i]...), s), ro.Slots[i:]...)
	return &ro
}

// ServiceResponse is a successful Common Services answer
// (query:QueryResponse status Success): the Evidence Broker's requirements
// (EB-REQ) or evidence type lists (EB-EVI), or the DSD's data services
// (DSD-RESP), one Object per rim:RegistryObject (SPEC.md §3.2, §3.3).
type ServiceResponse struct {
	kind          Kind
	Specification Version
	RequestID     string
	// StartIndex and TotalResultCount are the paging attributes, as read.
	StartIndex, TotalResultCount string
	Objects                      []*Object
	OtherSlots                   []*regrep.Slot

	base *regrep.QueryResponse
	orig map[string]*regrep.Slot
}

var _ Message = (*ServiceResponse)(nil)

// NewServiceResponse returns an empty answer of the given kind (EB-REQ,
// EB-EVI or DSD-RESP) and Common Services version.
func NewServiceResponse(k Kind, v Version) *ServiceResponse {
	return &ServiceResponse{kind: k, Specification: v}
}

// Kind returns EB-REQ, EB-EVI or DSD-RESP.
func (r *ServiceResponse) Kind() Kind { return r.kind }

// Version returns the Common Services version.
func (r *ServiceResponse) Version() Version { return r.Specification }

// Requirements returns the requirement payloads of an EB answer.
func (r *ServiceResponse) Requirements() []*Requirement {
	var out []*Requirement
	for _, o := range r.Objects {
		if p, ok := o.Payload.(*Requirement); ok {
			out = append(out, p)
		}
	}
	return out
}

// DataServices returns the DataServiceEvidenceType payloads of a DSD answer.
func (r *ServiceResponse) DataServices() []*DataServiceEvidenceType {
	var out []*DataServiceEvidenceType
	for _, o := range r.Objects {
		if p, ok := o.Payload.(*DataServiceEvidenceType); ok {
			out = append(out, p)
		}
	}
	return out
}

func decodeServiceResponse(d *sdgDecoder, r *regrep.QueryResponse, k Kind, v Version) *ServiceResponse {
	s := &ServiceResponse{kind: k, Specification: v, RequestID: r.RequestID, StartIndex: r.StartIndex, TotalResultCount: r.TotalResultCount, base: r}
	set := newSlotSet(d, at("/query:QueryResponse"), r.Slots)
	set.str("SpecificationIdentifier", false)
	s.OtherSlots = set.rest()
	s.orig = set.orig
	for _, o := range r.RegistryObjects {
		s.Objects = append(s.Objects, decodeObject(d, o))
	}
	return s
}

// Element writes the answer.
func (r *ServiceResponse) Element() (*xmltree.Element, error) {
	if r.kind != KindEBRequirements && r.kind != KindEBEvidenceTypes && r.kind != KindDSDResponse {
		return nil, incomplete(r.kind, "a service response is of kind EB-REQ, EB-EVI or DSD-RESP")
	}
	if r.Specification != CSv1 && r.Specification != CSv20 {
		return nil, incomplete(r.kind, "specification version %q is not a Common Services version", r.Specification)
	}
	out := regrep.QueryResponse{}
	if r.base != nil {
		out = *r.base
	}
	out.Status, out.RequestID, out.StartIndex, out.TotalResultCount = regrep.StatusSuccess, r.RequestID, r.StartIndex, r.TotalResultCount
	w := &slotWriter{orig: r.orig}
	if r.Specification == CSv20 && (r.base == nil || r.orig["SpecificationIdentifier"] != nil) {
		w.str("SpecificationIdentifier", string(r.Specification))
	}
	w.keep(r.OtherSlots)
	out.Slots = w.slots
	out.RegistryObjects = nil
	for _, o := range r.Objects {
		out.RegistryObjects = append(out.RegistryObjects, o.object())
	}
	out.HasList = true
	el := out.Element()
	el.DeclareNS("sdg", NamespaceSDG)
	return el, nil
}

// Marshal writes the answer as an indented document.
func (r *ServiceResponse) Marshal() ([]byte, error) { return marshal(r) }

// SubmitObjectsRequest is an LCM submission of registry objects to the
// Evidence Broker (EB-SUB) or the DSD (DSD-SUB), SPEC.md §3.5.
type SubmitObjectsRequest struct {
	kind    Kind
	ID      string
	Objects []*Object

	base *regrep.SubmitObjectsRequest
}

var _ Message = (*SubmitObjectsRequest)(nil)

// NewSubmitObjectsRequest returns an empty submission of kind EB-SUB or
// DSD-SUB with the given id (urn:uuid:…).
func NewSubmitObjectsRequest(k Kind, id string) *SubmitObjectsRequest {
	return &SubmitObjectsRequest{kind: k, ID: id}
}

// Kind returns EB-SUB or DSD-SUB.
func (s *SubmitObjectsRequest) Kind() Kind { return s.kind }

// Version returns CSv1: LCM messages carry no version.
func (s *SubmitObjectsRequest) Version() Version { return CSv1 }

func decodeSubmit(d *sdgDecoder, r *regrep.SubmitObjectsRequest, k Kind, _ Version) *SubmitObjectsRequest {
	s := &SubmitObjectsRequest{kind: k, ID: r.ID, base: r}
	set := newSlotSet(d, at("/lcm:SubmitObjectsRequest"), r.Slots)
	r2 := *r
	r2.Slots = set.rest()
	s.base = &r2
	for _, o := range r.RegistryObjects {
		s.Objects = append(s.Objects, decodeObject(d, o))
	}
	return s
}

// Element writes the submission.
func (s *SubmitObjectsRequest) Element() (*xmltree.Element, error) {
	if s.kind != KindEBSubmission && s.kind != KindDSDSubmission {
		return nil, incomplete(s.kind, "a submission is of kind EB-SUB or DSD-SUB")
	}
	if s.ID == "" {
		return nil, incomplete(s.kind, "id is missing")
	}
	if len(s.Objects) == 0 {
		return nil, incomplete(s.kind, "no registry object to submit")
	}
	out := regrep.SubmitObjectsRequest{}
	if s.base != nil {
		out = *s.base
	}
	out.ID = s.ID
	out.RegistryObjects = nil
	for _, o := range s.Objects {
		out.RegistryObjects = append(out.RegistryObjects, o.object())
	}
	out.HasList = true
	el := out.Element()
	el.DeclareNS("sdg", NamespaceSDG)
	return el, nil
}

// Marshal writes the submission as an indented document.
func (s *SubmitObjectsRequest) Marshal() ([]byte, error) { return marshal(s) }

// RegistryResponse is the LCM answer: rs:RegistryResponse with status
// Success (LCM-SUC) or Failure with LCM:ERR exceptions (LCM-ERR).
type RegistryResponse struct {
	RequestID  string
	Exceptions []*Exception // empty on success

	base *regrep.RegistryResponse
}

var _ Message = (*RegistryResponse)(nil)

// Kind returns LCM-SUC or LCM-ERR.
func (r *RegistryResponse) Kind() Kind {
	if len(r.Exceptions) > 0 || (r.base != nil && r.base.Status == regrep.StatusFailure) {
		return KindLCMError
	}
	return KindLCMSuccess
}

// Version returns CSv1: LCM messages carry no version.
func (r *RegistryResponse) Version() Version { return CSv1 }

func decodeRegistryResponse(d *sdgDecoder, r *regrep.RegistryResponse, _ Kind, _ Version) *RegistryResponse {
	out := &RegistryResponse{RequestID: r.RequestID, base: r}
	for _, x := range r.Exceptions {
		out.Exceptions = append(out.Exceptions, decodeException(d, x))
	}
	return out
}

// Element writes the response.
func (r *RegistryResponse) Element() (*xmltree.Element, error) {
	out := regrep.RegistryResponse{}
	if r.base != nil {
		out = *r.base
	}
	out.RequestID = r.RequestID
	switch {
	case r.Kind() == KindLCMError:
		out.Status = regrep.StatusFailure
	case out.Status != regrep.StatusPartialSuccess:
		out.Status = regrep.StatusSuccess
	}
	out.Exceptions = nil
	for _, x := range r.Exceptions {
		out.Exceptions = append(out.Exceptions, x.exception())
	}
	return out.Element(), nil
}

// Marshal writes the response as an indented document.
func (r *RegistryResponse) Marshal() ([]byte, error) { return marshal(r) }

// Classification schemes of the LCM submissions (SPEC.md §3.5).
const (
	ClassificationSchemeEB  = "urn:fdc:oots:classification:eb"
	ClassificationSchemeDSD = "urn:fdc:oots:classification:dsd"
)

// Association types of the LCM submissions (SPEC.md §3.5).
const (
	AssociationContainsEvidence              = regrep.AssociationTypePrefix + "ContainsEvidence"
	AssociationFulfillsRequirement           = regrep.AssociationTypePrefix + "FulfillsRequirement"
	AssociationDerivesFromReferenceFramework = regrep.AssociationTypePrefix + "DerivesFromReferenceFramework"
	AssociationServesEvidenceType            = regrep.AssociationTypePrefix + "ServesEvidenceType"
)

// NewLCMObject returns an object of an LCM submission: payload in slot,
// classified by node (e.g. "Requirement", "DataServiceEvidenceType") in
// scheme (ClassificationSchemeEB or ClassificationSchemeDSD).
func NewLCMObject(id, slot string, payload any, scheme, node, classificationID string) *Object {
	o := NewObject(id, slot, payload)
	o.payloadIndex = 0
	o.Classifications = []*regrep.RegistryObject{{ID: classificationID, ClassificationScheme: scheme, ClassificationNode: node}}
	return o
}

// NewAssociation returns an association object (rim:AssociationType) of the
// given type from source to target.
func NewAssociation(id, assocType, source, target string) *Object {
	o := &Object{}
	o.Type = regrep.AssociationType
	o.ID, o.AssociationType, o.SourceObject, o.TargetObject = id, assocType, source, target
	return o
}

// NewRegistryResponse returns an LCM answer to the request: a success, or a
// failure when exceptions are given.
func NewRegistryResponse(requestID string, exceptions ...*Exception) *RegistryResponse {
	return &RegistryResponse{RequestID: requestID, Exceptions: exceptions}
}

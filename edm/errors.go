package edm

import (
	"strings"
	"time"

	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Error severities (code list ErrorSeverity, SPEC.md §2.4).
const (
	SeverityError           = regrep.SeverityError
	SeverityPreviewRequired = "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired"
	SeverityAdditionalInput = "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:DSDErrorResponse:AdditionalInput"
)

// ErrorCode is one entry of an OOTS error catalogue: the code, the
// rs:Exception xsi:type it is sent with, its severity and default text.
type ErrorCode struct {
	Code     string
	Type     xmltree.Name // e.g. {rs}AuthorizationExceptionType
	Severity string
	Message  string
	// Kind is the kind of error response that carries the code (EDM-ERR,
	// EB-ERR, DSD-ERR, LCM-ERR).
	Kind Kind
	// Withdrawn is the major version from which the code no longer exists
	// (2 for EB:ERR:0004, withdrawn in TDD 2.0 with the jurisdiction query
	// parameters it answered); 0 for a code of every version.
	Withdrawn int
}

// In reports whether the code exists in version v (an EDM or a Common
// Services version; an unknown version counts as 1.x).
func (e ErrorCode) In(v Version) bool {
	major := 1
	if v.Is2() {
		major = 2
	}
	return e.Withdrawn == 0 || major < e.Withdrawn
}

func rsType(local string) xmltree.Name { return xmltree.Name{Space: regrep.NamespaceRS, Local: local} }

// ErrorCodes is the error catalogue of OOTS: EDMErrorCodes, EBErrorCodes,
// DSDErrorCodes and LCMErrorCodes of TDD 1.0 (SPEC.md §2.4, §3.2, §3.3,
// §3.5), with the severity each is sent with. EDM:ERR:0002 is the preview
// request (severity PreviewRequired, with a PreviewLocation slot);
// DSD:ERR:0005 asks the user for more input (severity AdditionalInput).
// EB:ERR:0004 is withdrawn in 2.0 (Withdrawn; ErrorCode.In, LookupErrorIn):
// the 2.0 error code lists are otherwise those of 1.x.
var ErrorCodes = []ErrorCode{
	{"EDM:ERR:0001", rsType("AuthenticationExceptionType"), SeverityError, "Failed Authentication", KindEvidenceError, 0},
	{"EDM:ERR:0002", rsType("AuthorizationExceptionType"), SeverityPreviewRequired, "Missing Authorization", KindEvidenceError, 0},
	{"EDM:ERR:0003", rsType("InvalidRequestExceptionType"), SeverityError, "Syntactically or semantically invalid request", KindEvidenceError, 0},
	{"EDM:ERR:0004", rsType("ObjectNotFoundExceptionType"), SeverityError, "Object not found", KindEvidenceError, 0},
	{"EDM:ERR:0005", rsType("TimeoutExceptionType"), SeverityError, "Exceeding timeout period", KindEvidenceError, 0},
	{"EDM:ERR:0006", rsType("UnresolvedReferenceExceptionType"), SeverityError, "Referenced object that cannot be resolved", KindEvidenceError, 0},
	{"EDM:ERR:0007", rsType("UnsupportedCapabilityExceptionType"), SeverityError, "Optional feature or capability is not supported", KindEvidenceError, 0},
	{"EDM:ERR:0008", xmltree.Name{Space: regrep.NamespaceQuery, Local: "QueryExceptionType"}, SeverityError, "Problem during the processing of a QueryRequest", KindEvidenceError, 0},

	{"EB:ERR:0001", rsType("ObjectNotFoundExceptionType"), SeverityError, "The result set is empty", KindEBError, 0},
	{"EB:ERR:0002", rsType("ObjectNotFoundExceptionType"), SeverityError, "The requirement requested, represented by the requirement id, does not exist", KindEBError, 0},
	{"EB:ERR:0003", rsType("InvalidRequestExceptionType"), SeverityError, "The query parameters do not follow the query specification", KindEBError, 0},
	{"EB:ERR:0004", rsType("InvalidRequestExceptionType"), SeverityError, "The jurisdiction level code query parameter is invalid or unknown", KindEBError, 2},
	{"EB:ERR:0005", rsType("InvalidRequestExceptionType"), SeverityError, "The value of the procedure-id query parameter is invalid or unknown", KindEBError, 0},
	{"EB:ERR:0006", rsType("InvalidRequestExceptionType"), SeverityError, "The value of the procedure implementation country query parameter is invalid or unknown", KindEBError, 0},
	{"EB:ERR:0007", rsType("InvalidRequestExceptionType"), SeverityError, "The requested Query does not exist", KindEBError, 0},

	{"DSD:ERR:0001", rsType("ObjectNotFoundExceptionType"), SeverityError, "No Data Services were found based on the given parameters", KindDSDError, 0},
	{"DSD:ERR:0002", rsType("ObjectNotFoundExceptionType"), SeverityError, "The Evidence Type requested cannot be found", KindDSDError, 0},
	{"DSD:ERR:0003", rsType("InvalidRequestExceptionType"), SeverityError, "The query parameters do not follow the query specification", KindDSDError, 0},
	{"DSD:ERR:0004", rsType("InvalidRequestExceptionType"), SeverityError, "The requested Query does not exist", KindDSDError, 0},
	{"DSD:ERR:0005", rsType("ObjectNotFoundExceptionType"), SeverityAdditionalInput, "The query requires the included extra attributes to be provided by the user", KindDSDError, 0},
	{"DSD:ERR:0006", rsType("InvalidRequestExceptionType"), SeverityError, "Incorrect provided value for requested parameters", KindDSDError, 0},

	{"LCM:ERR:0001", rsType("InvalidRequestExceptionType"), SeverityError, "A registry object in the Request does not comply with the specification", KindLCMError, 0},
	{"LCM:ERR:0002", rsType("InvalidRequestExceptionType"), SeverityError, "An association in the Request does not comply with the specification", KindLCMError, 0},
	{"LCM:ERR:0003", rsType("InvalidRequestExceptionType"), SeverityError, "The dataset provided failed to pass the validation and integrity check", KindLCMError, 0},
}

// LookupError returns the catalogue entry of a code.
func LookupError(code string) (ErrorCode, bool) {
	for _, c := range ErrorCodes {
		if c.Code == code {
			return c, true
		}
	}
	return ErrorCode{}, false
}

// LookupErrorIn returns the catalogue entry of a code that exists in
// version v; false for an unknown code and for one withdrawn in v
// (EB:ERR:0004 in oots-cs:v2.0).
func LookupErrorIn(code string, v Version) (ErrorCode, bool) {
	e, ok := LookupError(code)
	if !ok || !e.In(v) {
		return ErrorCode{}, false
	}
	return e, true
}

// Exception is an rs:Exception of an OOTS error response with the slots the
// profile defines: Timestamp; for a preview request PreviewLocation,
// PreviewDescription and (EDM 1.x only) PreviewMethod; for DSD:ERR:0005
// DataServiceEvidenceType, JurisdictionDetermination and
// UserRequestedClassificationConcepts.
type Exception struct {
	Type                            xmltree.Name
	Code, Severity, Message, Detail string

	Timestamp          string
	PreviewLocation    string
	PreviewDescription []regrep.LocalizedString
	PreviewMethod      string

	DataServiceEvidenceType             *DataServiceEvidenceType
	JurisdictionDetermination           *JurisdictionDetermination
	UserRequestedClassificationConcepts []InformationConcept

	OtherSlots []*regrep.Slot

	base *regrep.Exception
	orig map[string]*regrep.Slot
}

// NewException returns an exception for a catalogue code with its type,
// severity and default message. It returns nil for an unknown code.
func NewException(code, detail string) *Exception {
	c, ok := LookupError(code)
	if !ok {
		return nil
	}
	return &Exception{Type: c.Type, Code: c.Code, Severity: c.Severity, Message: c.Message, Detail: detail}
}

// ErrorResponse is an error response (query:QueryResponse with status
// Failure and an rs:Exception): of the evidence exchange (EDM-ERR, SPEC.md
// §2.4), of the Evidence Broker (EB-ERR, §3.2) or of the DSD (DSD-ERR, §3.3).
type ErrorResponse struct {
	kind          Kind
	Specification Version
	RequestID     string

	// EDM-ERR slots.
	EvidenceResponseIdentifier string
	ErrorProvider              *Agent
	EvidenceRequester          *Agent

	Exceptions []*Exception
	OtherSlots []*regrep.Slot

	base *regrep.QueryResponse
	orig map[string]*regrep.Slot
}

var _ Message = (*ErrorResponse)(nil)

// NewErrorResponse returns an evidence error response (EDM-ERR) to the
// request with the given response identifier and exception; the exception's
// Timestamp is set to now when empty.
func NewErrorResponse(req *QueryRequest, responseID string, errorProvider Agent, exc *Exception, now time.Time) *ErrorResponse {
	if exc != nil && exc.Timestamp == "" {
		exc.Timestamp = regrep.FormatDateTime(now)
	}
	r := &ErrorResponse{kind: KindEvidenceError, Specification: req.Specification, RequestID: req.ID, EvidenceResponseIdentifier: responseID, ErrorProvider: &errorProvider}
	if len(req.EvidenceRequester) > 0 {
		er := req.EvidenceRequester[0]
		r.EvidenceRequester = &er
	}
	if exc != nil {
		r.Exceptions = []*Exception{exc}
	}
	return r
}

// NewServiceError returns an error response of the Evidence Broker or the
// DSD (the kind follows the code's catalogue) with the given Common Services
// version.
func NewServiceError(v Version, exc *Exception) *ErrorResponse {
	r := &ErrorResponse{kind: KindEBError, Specification: v}
	if exc != nil {
		if c, ok := LookupError(exc.Code); ok {
			r.kind = c.Kind
		}
		r.Exceptions = []*Exception{exc}
	}
	return r
}

// Kind returns EDM-ERR, EB-ERR or DSD-ERR.
func (r *ErrorResponse) Kind() Kind { return r.kind }

// Version returns the specification version.
func (r *ErrorResponse) Version() Version { return r.Specification }

func decodeException(d *sdgDecoder, e *regrep.Exception) *Exception {
	x := &Exception{Type: e.Type, Code: e.Code, Severity: e.Severity, Message: e.Message, Detail: e.Detail, base: e}
	s := newSlotSet(d, e.Path, e.Slots)
	x.Timestamp = s.dateTime("Timestamp", false)
	x.PreviewLocation = s.str("PreviewLocation", false)
	if sl := s.take("PreviewDescription", false, regrep.InternationalStringValueType); sl != nil && sl.Value.Strings != nil {
		x.PreviewDescription = sl.Value.Strings.Strings
	}
	x.PreviewMethod = s.str("PreviewMethod", false)
	var dset DataServiceEvidenceType
	if s.one("DataServiceEvidenceType", false, "DataServiceEvidenceType", &dset) {
		x.DataServiceEvidenceType = &dset
	}
	var jd JurisdictionDetermination
	if s.one("JurisdictionDetermination", false, "EvidenceProviderJurisdictionDetermination", &jd) {
		x.JurisdictionDetermination = &jd
	}
	s.many("UserRequestedClassificationConcepts", false, "EvidenceProviderClassification", &x.UserRequestedClassificationConcepts)
	x.OtherSlots = s.rest()
	x.orig = s.orig
	return x
}

func (x *Exception) exception() *regrep.Exception {
	e := regrep.Exception{}
	if x.base != nil {
		e = *x.base
	}
	e.Type, e.Code, e.Severity, e.Message, e.Detail = x.Type, x.Code, x.Severity, x.Message, x.Detail
	w := &slotWriter{orig: x.orig}
	w.dateTime("Timestamp", x.Timestamp)
	w.str("PreviewLocation", x.PreviewLocation)
	if len(x.PreviewDescription) > 0 {
		w.add("PreviewDescription", regrep.LocalizedStrings(x.PreviewDescription...))
	}
	w.str("PreviewMethod", x.PreviewMethod)
	w.one("DataServiceEvidenceType", "DataServiceEvidenceType", x.DataServiceEvidenceType)
	w.one("JurisdictionDetermination", "EvidenceProviderJurisdictionDetermination", x.JurisdictionDetermination)
	w.many("UserRequestedClassificationConcepts", "EvidenceProviderClassification", x.UserRequestedClassificationConcepts)
	w.keep(x.OtherSlots)
	e.Slots = w.slots
	return &e
}

func decodeErrorResponse(d *sdgDecoder, r *regrep.QueryResponse, k Kind, v Version) *ErrorResponse {
	e := &ErrorResponse{kind: k, Specification: v, RequestID: r.RequestID, base: r}
	s := newSlotSet(d, at("/query:QueryResponse"), r.Slots)
	s.str("SpecificationIdentifier", k == KindEvidenceError)
	if k == KindEvidenceError {
		e.EvidenceResponseIdentifier = s.str("EvidenceResponseIdentifier", true)
		var ep, er Agent
		if s.one("ErrorProvider", true, "Agent", &ep) {
			e.ErrorProvider = &ep
		}
		if s.one("EvidenceRequester", true, "Agent", &er) {
			e.EvidenceRequester = &er
		}
	}
	e.OtherSlots = s.rest()
	e.orig = s.orig
	for _, x := range r.Exceptions {
		e.Exceptions = append(e.Exceptions, decodeException(d, x))
	}
	if len(r.Exceptions) == 0 {
		s.finding(regrep.RuleMissing, at("/query:QueryResponse"), "error response without rs:Exception")
	}
	return e
}

func (r *ErrorResponse) validate() error {
	k := r.kind
	switch {
	case k == KindEvidenceError && !r.Specification.IsEDM():
		return incomplete(k, "specification version %q is not an EDM version", r.Specification)
	case k != KindEvidenceError && r.Specification != CSv1 && r.Specification != CSv20:
		return incomplete(k, "specification version %q is not a Common Services version", r.Specification)
	case len(r.Exceptions) == 0:
		return incomplete(k, "rs:Exception is missing")
	}
	for _, x := range r.Exceptions {
		if x.Type.Local == "" {
			return incomplete(k, "exception %s has no xsi:type", x.Code)
		}
		if x.Severity == SeverityPreviewRequired && x.PreviewLocation == "" {
			return incomplete(k, "a preview request (%s) needs slot PreviewLocation", x.Code)
		}
		if r.Specification == V2_0 && x.PreviewMethod != "" {
			return incomplete(k, "slot PreviewMethod does not exist in oots-edm:v2.0")
		}
	}
	if k == KindEvidenceError {
		switch {
		case r.EvidenceResponseIdentifier == "":
			return incomplete(k, "slot EvidenceResponseIdentifier is missing")
		case r.ErrorProvider == nil:
			return incomplete(k, "slot ErrorProvider is missing")
		case r.EvidenceRequester == nil:
			return incomplete(k, "slot EvidenceRequester is missing")
		case r.RequestID == "":
			return incomplete(k, "requestId is missing")
		}
	}
	return nil
}

// Element writes the response; it fails when a required part is missing.
func (r *ErrorResponse) Element() (*xmltree.Element, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	out := regrep.QueryResponse{}
	if r.base != nil {
		out = *r.base
	}
	out.Status, out.RequestID = regrep.StatusFailure, r.RequestID
	w := &slotWriter{orig: r.orig}
	if r.kind == KindEvidenceError || strings.HasPrefix(string(r.Specification), "oots-cs:v2") {
		if r.base == nil || r.orig["SpecificationIdentifier"] != nil || r.kind == KindEvidenceError {
			w.str("SpecificationIdentifier", string(r.Specification))
		}
	}
	w.str("EvidenceResponseIdentifier", r.EvidenceResponseIdentifier)
	w.one("ErrorProvider", "Agent", r.ErrorProvider)
	w.one("EvidenceRequester", "Agent", r.EvidenceRequester)
	w.keep(r.OtherSlots)
	out.Slots = w.slots
	out.Exceptions = nil
	for _, x := range r.Exceptions {
		out.Exceptions = append(out.Exceptions, x.exception())
	}
	el := out.Element()
	el.DeclareNS("sdg", NamespaceSDG)
	return el, nil
}

// Marshal writes the response as an indented document.
func (r *ErrorResponse) Marshal() ([]byte, error) { return marshal(r) }

package edm

import (
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Error severities (code list ErrorSeverity, SPEC.md §2.4).
const (
	SeverityError           = regrep.SeverityError
	SeverityPreviewRequired = "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired"
	SeverityAdditionalInput = "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:DSDErrorResponse:AdditionalInput"
)

// ErrorCode is a code of an OOTS error catalogue: EDM:ERR:nnnn of the
// evidence exchange, EB:ERR, DSD:ERR and LCM:ERR of the Common Services.
// The codes of the official lists are the constants EDMErr0001...
// (errors_gen.go, generated from package codelist); a code read from the
// wire may be any text.
type ErrorCode string

// Info returns the catalogue entry of the code (LookupError).
func (c ErrorCode) Info() (ErrorInfo, bool) { return LookupError(c) }

//go:generate go run ./internal/errgen -out errors_gen.go

// listedError is a row of an official error code list (errors_gen.go).
type listedError struct {
	code    ErrorCode
	typ     xmltree.Name
	message string
}

// ErrorInfo is one entry of an OOTS error catalogue: the code, the
// rs:Exception xsi:type it is sent with, its severity and default text.
type ErrorInfo struct {
	Code     ErrorCode
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
func (e ErrorInfo) In(v Version) bool {
	major := 1
	if v.Is2() {
		major = 2
	}
	return e.Withdrawn == 0 || major < e.Withdrawn
}

// ErrorCodes returns the error catalogue of OOTS, a fresh copy on each call: EDMErrorCodes, EBErrorCodes,
// DSDErrorCodes and LCMErrorCodes of TDD 1.0 (SPEC.md §2.4, §3.2, §3.3,
// §3.5), with the severity each is sent with. EDM:ERR:0002 is the preview
// request (severity PreviewRequired, with a PreviewLocation slot);
// DSD:ERR:0005 asks the user for more input (severity AdditionalInput).
// EB:ERR:0004 is withdrawn in 2.0 (Withdrawn; ErrorInfo.In, LookupErrorIn):
// the 2.0 error code lists are otherwise those of 1.x. The codes, types and
// texts are those of the lists (errors_gen.go); the severities, kinds and
// withdrawals are the specification's.
func ErrorCodes() []ErrorInfo { return slices.Clone(errorCodes) }

// errorCodes is the catalogue that ErrorCodes copies and LookupError reads.
var errorCodes = catalogue()

// severityOf holds the codes sent with another severity than
// SeverityError. (The 2022-12 ErrorSeverity list ties PreviewRequired to
// EDM:ERR:0001, an error of that version, SPEC.md §2.4.)
var severityOf = map[ErrorCode]string{
	EDMErr0002: SeverityPreviewRequired,
	DSDErr0005: SeverityAdditionalInput,
}

// withdrawn are the codes that a later major version removed.
var withdrawn = map[ErrorCode]int{EBErr0004: 2}

func catalogue() []ErrorInfo {
	kinds := map[string]Kind{"EDM": KindEvidenceError, "EB": KindEBError, "DSD": KindDSDError, "LCM": KindLCMError}
	out := make([]ErrorInfo, len(listedErrors))
	for i, l := range listedErrors {
		prefix, _, _ := strings.Cut(string(l.code), ":")
		sev := severityOf[l.code]
		if sev == "" {
			sev = SeverityError
		}
		out[i] = ErrorInfo{Code: l.code, Type: l.typ, Severity: sev, Message: l.message, Kind: kinds[prefix], Withdrawn: withdrawn[l.code]}
	}
	return out
}

// LookupError returns the catalogue entry of a code.
func LookupError(code ErrorCode) (ErrorInfo, bool) {
	for _, c := range errorCodes {
		if c.Code == code {
			return c, true
		}
	}
	return ErrorInfo{}, false
}

// LookupErrorIn returns the catalogue entry of a code that exists in
// version v; false for an unknown code and for one withdrawn in v
// (EB:ERR:0004 in oots-cs:v2.0).
func LookupErrorIn(code ErrorCode, v Version) (ErrorInfo, bool) {
	e, ok := LookupError(code)
	if !ok || !e.In(v) {
		return ErrorInfo{}, false
	}
	return e, true
}

// Exception is an rs:Exception of an OOTS error response with the slots the
// profile defines: Timestamp; for a preview request PreviewLocation,
// PreviewDescription and (EDM 1.x only) PreviewMethod; for DSD:ERR:0005
// DataServiceEvidenceType, JurisdictionDetermination and
// UserRequestedClassificationConcepts.
type Exception struct {
	Type                      xmltree.Name
	Code                      ErrorCode
	Severity, Message, Detail string

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
// It is NewError(code, detail).Exception().
func NewException(code ErrorCode, detail string) *Exception {
	if _, ok := LookupError(code); !ok {
		return nil
	}
	return NewError(code, detail).Exception()
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

// delSeverity reads a severity that is a code of the ErrorSeverity list
// with DEL characters (U+007F) around it, as the official education error
// sample of TDD 1.0 writes "…:PreviewRequired" followed by a DEL. The
// official rule R-EDM-ERR-C014 accepts it: it looks the value up with
// contains() in the list of codes, which it delimits with DEL, without
// putting the delimiters around the value. Exception.Severity then holds
// the code, so that the message means what the sender meant, and Marshal
// writes the severity back as it was read; Check warns about it in an EDM
// error response and refuses it elsewhere (the DSD and EB rules compare
// exactly).
func delSeverity(s string) (string, bool) {
	t := strings.Trim(s, "\x7f")
	if t == s || !codelist.ErrorSeverities().Contains(t) {
		return "", false
	}
	return t, true
}

func decodeException(d *sdgDecoder, e *regrep.Exception) *Exception {
	x := &Exception{Type: e.Type, Code: ErrorCode(e.Code), Severity: e.Severity, Message: e.Message, Detail: e.Detail, base: e}
	if code, ok := delSeverity(e.Severity); ok {
		x.Severity = code
	}
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
	e.Type, e.Code, e.Message, e.Detail = x.Type, string(x.Code), x.Message, x.Detail
	if code, ok := delSeverity(e.Severity); !ok || code != x.Severity {
		e.Severity = x.Severity // else the severity as read, DEL and all
	}
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
	if k == KindEvidenceError {
		s.spec(true, "R-EDM-ERR-C001")
	} else {
		s.str("SpecificationIdentifier", false)
	}
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

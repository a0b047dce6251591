package as4

import (
	"errors"
	"fmt"
	"strings"

	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/wssec"
)

// Code is an ebMS error code, "EBMS:" followed by four digits.
type Code string

// The EBMS error codes of ebMS3 Core §6.7.1 and of the AS4 profile (with
// the AS4 additions EBMS:0301–0303).
const (
	ValueNotRecognized           Code = "EBMS:0001"
	FeatureNotSupported          Code = "EBMS:0002"
	ValueInconsistent            Code = "EBMS:0003"
	Other                        Code = "EBMS:0004"
	ConnectionFailure            Code = "EBMS:0005"
	EmptyMessagePartitionChannel Code = "EBMS:0006"
	MimeInconsistency            Code = "EBMS:0007"
	FeatureNotSupportedPackaging Code = "EBMS:0008"
	InvalidHeader                Code = "EBMS:0009"
	ProcessingModeMismatch       Code = "EBMS:0010"
	ExternalPayloadError         Code = "EBMS:0011"
	FailedAuthentication         Code = "EBMS:0101"
	FailedDecryption             Code = "EBMS:0102"
	PolicyNoncompliance          Code = "EBMS:0103"
	DysfunctionalReliability     Code = "EBMS:0201"
	DeliveryFailure              Code = "EBMS:0202"
	MissingReceipt               Code = "EBMS:0301"
	InvalidReceipt               Code = "EBMS:0302"
	DecompressionFailure         Code = "EBMS:0303"
)

// Severity values of eb:Error/@severity (ebMS3 Core §6.2).
const (
	SeverityFailure = "failure"
	SeverityWarning = "warning"
)

// ErrorKind is one row of the EBMS error catalogue.
type ErrorKind struct {
	ShortDescription string // eb:Error/@shortDescription
	Category         string // Content, Communication, Unpackaging or Processing
	Severity         string // SeverityFailure or SeverityWarning
	Origin           string // eb:Error/@origin: ebMS, security or reliability
	Description      string // default eb:Description text
}

// Catalogue returns the row of the EBMS error catalogue for code, and
// whether the catalogue has the code: ebMS3 Core §6.7.1 (EBMS:0001–0011,
// security EBMS:0101–0103, reliability EBMS:0201–0202) and the AS4 profile's
// reception awareness and compression errors (EBMS:0301–0303). It is the one
// place where codes map to the wire; the table itself is not exported, so
// no importer can change what a code means.
func Catalogue(code Code) (ErrorKind, bool) {
	k, ok := catalogue[code]
	return k, ok
}

// catalogue is the table behind Catalogue.
var catalogue = map[Code]ErrorKind{
	ValueNotRecognized:           {"ValueNotRecognized", "Content", SeverityFailure, "ebMS", "Although the message document is well formed and schema valid, some element/attribute contains a value that could not be recognized and therefore could not be used by the MSH."},
	FeatureNotSupported:          {"FeatureNotSupported", "Content", SeverityWarning, "ebMS", "Although the message document is well formed and schema valid, some element/attribute value cannot be processed as expected because the related feature is not supported by the MSH."},
	ValueInconsistent:            {"ValueInconsistent", "Content", SeverityFailure, "ebMS", "Although the message document is well formed and schema valid, some element/attribute value is inconsistent either with the content of other element/attribute, or with the processing mode of the MSH, or with the normative requirements of the ebMS specification."},
	Other:                        {"Other", "Content", SeverityFailure, "ebMS", "An error occurred that no other code describes."},
	ConnectionFailure:            {"ConnectionFailure", "Communication", SeverityFailure, "ebMS", "The MSH is experiencing temporary or permanent failure in trying to open a transport connection with a remote MSH."},
	EmptyMessagePartitionChannel: {"EmptyMessagePartitionChannel", "Communication", SeverityWarning, "ebMS", "There is no message available for pulling from this MPC at this moment."},
	MimeInconsistency:            {"MimeInconsistency", "Unpackaging", SeverityFailure, "ebMS", "The use of MIME is not consistent with the required usage in this specification."},
	FeatureNotSupportedPackaging: {"FeatureNotSupported", "Unpackaging", SeverityFailure, "ebMS", "Although the message document is well formed and schema valid, the presence or absence of some element/attribute is not consistent with the capability of the MSH, with respect to supported features."},
	InvalidHeader:                {"InvalidHeader", "Unpackaging", SeverityFailure, "ebMS", "The ebMS header is either not well formed as an XML document, or does not conform to the ebMS packaging rules."},
	ProcessingModeMismatch:       {"ProcessingModeMismatch", "Processing", SeverityFailure, "ebMS", "The ebMS header or another header (e.g. reliability, security) expected by the MSH is not compatible with the expected content, based on the associated P-Mode."},
	ExternalPayloadError:         {"ExternalPayloadError", "Content", SeverityFailure, "ebMS", "The MSH is unable to resolve an external payload reference (i.e. a Part that is not contained within the ebMS Message, as identified by a PartInfo/href URI)."},
	FailedAuthentication:         {"FailedAuthentication", "Processing", SeverityFailure, "security", "The signature in the Security header intended for the \"ebms\" SOAP actor could not be validated by the Security module."},
	FailedDecryption:             {"FailedDecryption", "Processing", SeverityFailure, "security", "The encrypted data reference the Security header intended for the \"ebms\" SOAP actor could not be decrypted by the Security Module."},
	PolicyNoncompliance:          {"PolicyNoncompliance", "Processing", SeverityFailure, "security", "The processor determined that the message's security methods, parameters, scope or other security policy-level requirements or agreements were not satisfied."},
	DysfunctionalReliability:     {"DysfunctionalReliability", "Processing", SeverityFailure, "reliability", "Some reliability function as implemented by the Reliability module, is not operational, or the reliability state associated with this message sequence is not valid."},
	DeliveryFailure:              {"DeliveryFailure", "Communication", SeverityFailure, "reliability", "Although the message was sent under Guaranteed delivery requirement, the Reliability module could not get assurance that the message was properly delivered, in spite of resending efforts."},
	MissingReceipt:               {"MissingReceipt", "Communication", SeverityFailure, "ebMS", "A Receipt has not been received for a message that was previously sent by the MSH generating this error."},
	InvalidReceipt:               {"InvalidReceipt", "Communication", SeverityFailure, "ebMS", "A Receipt has been received for a message that was previously sent by the MSH generating this error, but the content does not match the message content (e.g. some part has not been acknowledged, or the digest associated does not match the signature digest, for NRR)."},
	DecompressionFailure:         {"DecompressionFailure", "Communication", SeverityFailure, "ebMS", "An error occurred during the decompression."},
}

// Error is an ebMS error: both the Go error that the processing steps return
// and the eb:Error element of an Error signal (ebMS3 Core §6.2). Fields left
// empty take their value from the Catalogue when the signal is marshalled.
type Error struct {
	Code                Code
	Severity            string // default from Catalogue
	Category            string // default from Catalogue
	Origin              string // default from Catalogue
	ShortDescription    string // default from Catalogue
	RefToMessageInError string // eb:Error/@refToMessageInError
	Description         string // eb:Description (xml:lang="en"); default from Catalogue
	Detail              string // eb:ErrorDetail: what exactly is wrong, naming the field
	Err                 error  // the underlying cause, for the operator; never sent
}

// Errorf returns an *Error with the given code and a formatted detail.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// wrapErr returns an *Error with code and detail wrapping err.
func wrapErr(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Error implements error: code, short description, detail and cause.
func (e *Error) Error() string {
	s := string(e.Code) + " " + e.Kind().ShortDescription
	if e.Detail != "" && (e.Err == nil || !strings.Contains(e.Err.Error(), e.Detail)) {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Kind returns the catalogue row of e.Code, overridden by the fields of e that
// are set. An unknown code gets the row of EBMS:0004 Other with its own code.
func (e *Error) Kind() ErrorKind {
	k, ok := Catalogue(e.Code)
	if !ok {
		k, _ = Catalogue(Other)
	}
	if e.ShortDescription != "" {
		k.ShortDescription = e.ShortDescription
	}
	if e.Category != "" {
		k.Category = e.Category
	}
	if e.Severity != "" {
		k.Severity = e.Severity
	}
	if e.Origin != "" {
		k.Origin = e.Origin
	}
	if e.Description != "" {
		k.Description = e.Description
	}
	return k
}

// AsError returns err as an *Error: the *Error in its chain; for a
// WS-Security failure (*wssec.Error) an *Error with its code; for a MIME
// failure (*swa.Error) EBMS:0007 MimeInconsistency; else EBMS:0004 Other
// wrapping err.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var we *wssec.Error
	if errors.As(err, &we) {
		return securityError(err)
	}
	var se *swa.Error
	if errors.As(err, &se) {
		return &Error{Code: MimeInconsistency, Detail: se.Detail, Err: err}
	}
	return &Error{Code: Other, Detail: err.Error(), Err: err}
}

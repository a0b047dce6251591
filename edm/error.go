package edm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/oots-go/oots/check"
)

// Error is a failure that carries an OOTS error code: a request refused, a
// received message that is not valid, an exchange that failed. It is the one
// Go error of the code base for such a failure; Exception builds the wire
// form (the rs:Exception of an error response) from it in one place, and a
// received Exception becomes an *Error again with Exception.Err.
//
// Severity and Message default to the code's entry in the catalogue
// (ErrorCodes) when empty; for a code outside the catalogue (a connector's
// own condition, such as an exchange that could not be delivered) they are
// SeverityError and no text unless set. Detail is what the peer learns of
// the cause, in the exception, so it never holds personal data. Err is the
// underlying cause, if any (Unwrap), for the operator: Errorf sets it from
// a %w verb, whose text is then part of Detail; a cause set otherwise stays
// out of the wire form but not out of Error's text.
//
// Findings are the structural findings of the document the failure is
// about, when parsing found it invalid (ParseBytes; exchange.Incoming
// refuses such a message). They are a field here rather than the data of a
// wrapping error in the package that refuses, because package check lies
// below package edm (edm reports its findings as check.Finding): one
// carrier, found with one errors.As, serves the refusal of a malformed
// document as well as any other. They are not part of the wire form.
type Error struct {
	Code     ErrorCode
	Severity string
	Message  string
	Detail   string
	Findings []check.Finding
	Err      error
}

// NewError returns an error with the code and the detail, the severity and
// message being the code's defaults.
func NewError(code ErrorCode, detail string) *Error {
	return &Error{Code: code, Detail: detail}
}

// Errorf returns an error with the code and the formatted detail; a %w verb
// makes its operand the error's cause (Unwrap), as with fmt.Errorf.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Detail: err.Error(), Err: errors.Unwrap(err)}
}

// Error returns "code: detail" ("code: message" when there is no detail),
// followed by the cause's text when the detail does not hold it already:
// the operator's log gets the precise cause, the peer only the detail.
func (e *Error) Error() string {
	s := e.Detail
	if s == "" {
		s = e.Exception().Message
	}
	if e.Err != nil && !strings.Contains(s, e.Err.Error()) {
		if s != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	if s == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + s
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Exception returns the rs:Exception that reports the error: the code's
// exception type, the severity and message (the catalogue's when empty) and
// the detail. A code outside the catalogue has no exception type, so an
// error response with it cannot be written (ErrorResponse.Element).
func (e *Error) Exception() *Exception {
	x := &Exception{Code: e.Code, Severity: e.Severity, Message: e.Message, Detail: e.Detail}
	info, ok := LookupError(e.Code)
	if ok {
		x.Type = info.Type
	}
	if x.Severity == "" {
		x.Severity = SeverityError
		if ok {
			x.Severity = info.Severity
		}
	}
	if x.Message == "" && ok {
		x.Message = info.Message
	}
	return x
}

// Err returns the failure that a received exception reports, with its code,
// severity, message and detail.
func (x *Exception) Err() *Error {
	return &Error{Code: x.Code, Severity: x.Severity, Message: x.Message, Detail: x.Detail}
}

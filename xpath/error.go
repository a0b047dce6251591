package xpath

import (
	"errors"
	"fmt"
)

// Error is a static or dynamic XPath error. Code is the error code of the
// XPath 2.0 and Functions and Operators specifications (XPath 2.0 Appendix G,
// F&O Appendix C), e.g. XPST0003 for a syntax error, XPTY0004 for a type
// error, FORG0001 for an invalid cast.
type Error struct {
	Code    string
	Static  bool // raised by Compile (XPST…, and regex/literal errors found while compiling)
	Pos     int  // byte offset in the expression for static errors, -1 when unknown
	Message string
	Err     error // underlying cause, if any
}

// Error returns the message with the class of error, the code and, for a
// static error, the offset in the expression.
func (e *Error) Error() string {
	kind := "dynamic"
	if e.Static {
		kind = "static"
	}
	if e.Static && e.Pos >= 0 {
		return fmt.Sprintf("xpath %s error %s at offset %d: %s", kind, e.Code, e.Pos, e.Message)
	}
	return fmt.Sprintf("xpath %s error %s: %s", kind, e.Code, e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrStatic) and errors.Is(err, ErrDynamic) work.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrStatic:
		return e.Static
	case ErrDynamic:
		return !e.Static
	}
	return false
}

// Sentinels to branch on the class of an *Error with errors.Is.
var (
	// ErrStatic matches every error raised while compiling an expression.
	ErrStatic = errors.New("xpath static error")
	// ErrDynamic matches every error raised while evaluating an expression.
	ErrDynamic = errors.New("xpath dynamic error")
)

// ErrNotImplemented is wrapped by errors for constructs of XPath 2.0 that the
// engine deliberately does not implement (see the package documentation).
var ErrNotImplemented = errors.New("not implemented")

// Error codes used by the engine.
const (
	codeSyntax       = "XPST0003" // grammar
	codeUndefVar     = "XPST0008" // undeclared variable or unknown type name
	codeUnknownFn    = "XPST0017" // unknown function or wrong arity
	codeUnknownType  = "XPST0051" // unknown atomic type in a sequence type
	codeCastTarget   = "XPST0080" // cast to xs:NOTATION / xs:anyAtomicType
	codeNSPrefix     = "XPST0081" // undeclared namespace prefix
	codeAxis         = "XPST0010" // namespace axis
	codeType         = "XPTY0004" // type error
	codePathMixed    = "XPTY0018" // path yields nodes and atomic values
	codePathNotNode  = "XPTY0019" // step on atomic value
	codeCtxAbsent    = "XPDY0002" // context item undefined
	codeNoRoot       = "XPDY0050" // root of a tree not a document
	codeCast         = "FORG0001" // invalid value for cast
	codeEBV          = "FORG0006" // invalid argument type / EBV
	codeCard0        = "FORG0003" // zero-or-one called with more
	codeCard1        = "FORG0004" // one-or-more called with none
	codeCard2        = "FORG0005" // exactly-one
	codeDivZero      = "FOAR0001" // division by zero
	codeOverflow     = "FOAR0002" // numeric overflow
	codeRegexFlags   = "FORX0001" // invalid regex flags
	codeRegex        = "FORX0002" // invalid regular expression
	codeRegexEmpty   = "FORX0003" // regex matches empty string
	codeReplacement  = "FORX0004" // invalid replacement string
	codeDateOverflow = "FODT0001" // date/time overflow
	codeCodepoint    = "FOCH0001" // invalid codepoint
	codeError        = "FOER0000" // fn:error
	codeLimit        = "XPDY0130" // implementation limit exceeded (sequence too large, recursion too deep)
)

func staticErr(code string, pos int, format string, args ...any) *Error {
	return &Error{Code: code, Static: true, Pos: pos, Message: fmt.Sprintf(format, args...)}
}

func dynErr(code string, format string, args ...any) *Error {
	return &Error{Code: code, Pos: -1, Message: fmt.Sprintf(format, args...)}
}

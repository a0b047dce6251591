package xmltree

import (
	"errors"
	"fmt"
	"io"

	"github.com/oots-go/oots/internal/exact"
)

// Limits bound what Parse accepts. A zero field takes the default.
type Limits struct {
	MaxBytes    int64 // size of the document; default 32 MiB
	MaxDepth    int   // element nesting; default 256
	MaxElements int   // elements in the document; default 1,000,000
	MaxAttrs    int   // attributes (with namespace declarations) per element; default 256
}

// Default limits, suited to OOTS messages (payloads travel as attachments,
// not inside the XML).
const (
	DefaultMaxBytes    = 32 << 20
	DefaultMaxDepth    = 256
	DefaultMaxElements = 1_000_000
	DefaultMaxAttrs    = 256
)

func (l *Limits) withDefaults() Limits {
	var o Limits
	if l != nil {
		o = *l
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxElements <= 0 {
		o.MaxElements = DefaultMaxElements
	}
	if o.MaxAttrs <= 0 {
		o.MaxAttrs = DefaultMaxAttrs
	}
	return o
}

// Errors returned (wrapped in *SyntaxError) by Parse.
var (
	// ErrDTD: the document has a document type declaration. DTDs and entity
	// declarations are refused outright (XML bombs, external entities).
	ErrDTD = errors.New("document type declarations (DTD) are not allowed")
	// ErrTooLarge: the document is larger than Limits.MaxBytes.
	ErrTooLarge = errors.New("document too large")
	// ErrTooDeep: elements nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("elements nested too deeply")
	// ErrTooManyElements: more than Limits.MaxElements elements.
	ErrTooManyElements = errors.New("too many elements")
	// ErrTooManyAttrs: an element has more than Limits.MaxAttrs attributes.
	ErrTooManyAttrs = errors.New("too many attributes on one element")
	// ErrNamespace: a prefix is used without a declaration, or redeclared
	// badly, or a name is not a qualified name (Namespaces in XML 1.0 §4).
	ErrNamespace = errors.New("namespace error")
	// ErrSyntax: the input is not well-formed XML.
	ErrSyntax = errors.New("not well-formed XML")
	// ErrNoRoot: the input has no document element.
	ErrNoRoot = errors.New("no document element")
)

// SyntaxError reports where parsing stopped and why. Err is one of the
// sentinel errors above (test with errors.Is); Detail adds the specifics.
type SyntaxError struct {
	Line   int
	Err    error
	Detail string
	cause  error // what the reader failed with, when it did
}

func (e *SyntaxError) Error() string {
	s := e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// Unwrap returns the sentinel error and, when reading the document failed,
// the reader's error (a deadline, say), so that errors.Is sees both.
func (e *SyntaxError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Err, e.cause}
	}
	return []error{e.Err}
}

// ParseBytes parses a document held in memory; see Parse. The document is
// copied once: the names, values and text of the tree share that copy.
func ParseBytes(b []byte, lim *Limits) (*Document, error) {
	l := lim.withDefaults()
	if int64(len(b)) > l.MaxBytes {
		return nil, tooLarge(l)
	}
	return parseString(string(b), l)
}

// Parse reads one XML 1.0 document (and Namespaces in XML 1.0), screening it
// as it goes: a DTD, an undeclared prefix, or a document beyond the limits
// stops it with a *SyntaxError. Only UTF-8 (and its US-ASCII subset) is
// accepted; entities are the five predefined ones and character references.
//
// The document is read whole (at most Limits.MaxBytes) before it is parsed.
// The strings of the tree are slices of one copy of it, so any one of them
// kept alive keeps the whole text alive.
func Parse(r io.Reader, lim *Limits) (*Document, error) {
	l := lim.withDefaults()
	src, more, err := exact.ReadString(r, l.MaxBytes)
	switch {
	case errors.Is(err, ErrTooLarge) || err == nil && more:
		return nil, tooLarge(l)
	case err != nil:
		return nil, &SyntaxError{Err: ErrSyntax, Detail: err.Error(), cause: err}
	}
	return parseString(src, l)
}

func tooLarge(l Limits) error {
	return &SyntaxError{Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d bytes", l.MaxBytes)}
}

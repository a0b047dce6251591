// Package xpath is an XPath 2.0 engine for the official OOTS Schematron rule
// files (queryBinding xslt2): it compiles the expressions of sch:rule/@context,
// sch:assert/@test, sch:report/@test, sch:let/@value and sch:value-of/@select
// and evaluates them over documents parsed by xmltree.
//
// It implements the subset of XML Path Language (XPath) 2.0 (W3C
// Recommendation, 2nd edition) and XQuery 1.0 and XPath 2.0 Functions and
// Operators that the rule files need, done to the specification:
//
//   - path expressions with the axes child, descendant, descendant-or-self,
//     parent, ancestor, ancestor-or-self, following-sibling,
//     preceding-sibling, following, preceding, self and attribute (§3.2);
//     name tests resolved to namespace URIs through the StaticContext, the
//     wildcards *, prefix:* and *:local, kind tests node(), text(),
//     comment(), processing-instruction(), element(), attribute() and
//     document-node(); predicates with positional semantics (§3.2.2);
//   - sequences, ranges (to), unions, intersect and except (§3.3);
//   - arithmetic on integers, decimals and doubles (§3.4), value, general
//     and node comparisons with the untypedAtomic rules of §3.5.2;
//   - and/or, for, some/every, if/then/else (§3.6–3.8);
//   - instance of, cast as, castable as and treat as for the atomic types
//     xs:string, xs:untypedAtomic, xs:anyURI, xs:boolean, xs:integer (and its
//     built-in subtypes as names only), xs:decimal, xs:double, xs:float (held
//     as a double), xs:date, xs:dateTime, xs:time, xs:dayTimeDuration,
//     xs:yearMonthDuration and xs:duration (§3.10);
//   - the functions listed by Functions(): strings, regular expressions
//     (matches, replace, tokenize with the flags i, m, s and x; XML Schema
//     regex syntax translated to Go's RE2, character-class subtraction
//     included), numbers, booleans, sequences, aggregates, node names, dates
//     and durations.
//
// Beyond XPath 2.0, because Schematron's xslt2 binding and Saxon, which runs
// the official rules, provide them: the XSLT functions current() and
// generate-id(), the regex flag q, the one-argument tokenize() and
// string-join() of XPath 3.0.
//
// Implementation choices (XPath 2.0 leaves them to the implementation):
// xs:integer is 64-bit (overflow is FOAR0002; Saxon's integers are
// unbounded); xs:decimal division keeps 18 fractional digits (as Saxon);
// the implicit timezone is UTC; the default collation is the Unicode
// codepoint collation; nodes are untyped (no schema-aware processing), so
// their typed value is xs:untypedAtomic.
//
// Not implemented (a compile error names them, XPST0017, XPST0010,
// XPST0051 or FORX0002, except normalize-unicode, a dynamic FOCH0003): the
// namespace axis, schema-element() and
// schema-attribute() tests, xs:QName and xs:NOTATION values and the
// functions on them, other collations, back-references in regular
// expressions (RE2 has none), Unicode blocks other than those listed in
// regex.go, normalize-unicode() of non-ASCII text in forms other than "",
// fn:doc, fn:collection, fn:id, fn:idref, fn:base-uri, fn:document-uri,
// fn:static-base-uri, fn:resolve-uri, fn:in-scope-prefixes,
// fn:namespace-uri-for-prefix and the adjust-*-to-timezone functions.
// A value is never an instance of a derived type such as xs:int (values
// carry their primitive type, and xs:integer).
//
// Evaluation is bounded: expressions nest at most MaxDepth grammar levels
// and are at most MaxLength bytes; a range or any intermediate sequence holds
// at most MaxSequence items; one evaluation does at most MaxWork steps; and
// an evaluation may be cancelled through Context.Cancel.
package xpath

import (
	"time"
)

// Limits on compilation and evaluation, so that adversarial expressions take
// bounded time and memory.
const (
	// MaxDepth bounds the nesting of expressions (parentheses, predicates,
	// function arguments, operators) accepted by Compile.
	MaxDepth = 512
	// MaxLength bounds the length of an expression accepted by Compile.
	MaxLength = 1 << 17
	// MaxSequence bounds the number of items of any sequence built during
	// evaluation (a range such as 1 to 1000000000, a for expression,
	// string-join input...). Exceeding it is the dynamic error XPDY0130.
	MaxSequence = 1 << 20
)

// StaticContext is what an expression is compiled against.
type StaticContext struct {
	// Namespaces maps prefixes to namespace URIs (from sch:ns). The prefixes
	// xml, xs, fn, xsi are predefined unless overridden. Element and
	// attribute names without a prefix are in no namespace.
	Namespaces map[string]string
	// Variables names the variables in scope (from sch:let), without '$'.
	Variables []string
}

// Item is an item of a sequence: a Node, or an atomic value of one of the
// types String, Untyped, AnyURI, Boolean, Integer, Decimal, Double, Date,
// DateTime, Time, Duration.
type Item interface{}

// Sequence is an XPath sequence: an ordered list of items.
type Sequence []Item

// Context is the dynamic context of an evaluation.
type Context struct {
	// Item is the context item (a Node or an atomic value); nil means
	// absent, and any use of it is the dynamic error XPDY0002.
	Item Item
	// Position and Size are the context position and size, 1-based; 0 means 1.
	Position, Size int
	// Variables holds the values of the variables named in the
	// StaticContext.
	Variables map[string]Sequence
	// Lookup, when not nil, is called the first time the evaluation uses a
	// variable of the StaticContext that Variables does not hold, so that
	// an engine can evaluate sch:let lazily, as XSLT does: a let whose
	// value is never used raises no error. Without Lookup (or when Lookup
	// fails) a missing variable is the dynamic error XPDY0002.
	Lookup func(name string) (Sequence, error)
	// Now returns the current dateTime for current-dateTime(),
	// current-date() and current-time(); nil means time.Now. It is called
	// at most once per evaluation, so the value is stable within it (F&O §16.3).
	Now func() time.Time
	// Cancel, when not nil, is polled during long evaluations; a receive
	// ends the evaluation with an error.
	Cancel <-chan struct{}
}

// Expr is a compiled expression. It is immutable and safe for concurrent
// evaluation.
type Expr struct {
	src  string
	root expr
	// slots: the number of variable slots an evaluation needs; the first
	// len(extVars) are the external variables, in that order.
	slots   int
	extVars []string
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.src }

package xpath

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Atomic value types. Each is an Item; String returns the canonical lexical
// form (the result of casting the value to xs:string).
type (
	// String is an xs:string.
	String string
	// Untyped is an xs:untypedAtomic: the typed value of every node here.
	Untyped string
	// AnyURI is an xs:anyURI.
	AnyURI string
	// Boolean is an xs:boolean.
	Boolean bool
	// Integer is an xs:integer, limited to 64 bits (overflow is FOAR0002).
	Integer int64
	// Double is an xs:double (xs:float values are held as doubles too).
	Double float64
)

// Decimal is an xs:decimal, held exactly as a rational number with a finite
// decimal expansion. The zero Decimal is 0.
type Decimal struct{ r *big.Rat }

// NewDecimal returns the decimal for a lexical form such as "12.50"; ok is
// false when s is not a valid xs:decimal.
func NewDecimal(s string) (Decimal, bool) {
	if !isDecimalLexical(s) {
		return Decimal{}, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Decimal{}, false
	}
	return Decimal{r}, true
}

func (d Decimal) rat() *big.Rat {
	if d.r == nil {
		return new(big.Rat)
	}
	return d.r
}

// String returns the canonical form: no exponent, no trailing zeros, no
// decimal point for integral values.
func (d Decimal) String() string {
	r := d.rat()
	if r.IsInt() {
		return r.Num().String()
	}
	// A decimal built from lexical forms and + - * has a finite expansion;
	// division is rounded to 18 fractional digits.
	s := r.FloatString(18)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Float64 returns the value as a float64.
func (d Decimal) Float64() float64 {
	f, _ := d.rat().Float64()
	return f
}

// String returns the string itself.
func (s String) String() string { return string(s) }

// String returns the string itself.
func (s Untyped) String() string { return string(s) }

// String returns the URI as written.
func (s AnyURI) String() string { return string(s) }

// String returns "true" or "false".
func (b Boolean) String() string {
	if b {
		return "true"
	}
	return "false"
}

// String returns the decimal digits of the integer.
func (i Integer) String() string { return strconv.FormatInt(int64(i), 10) }

// String returns the canonical form of F&O §17.1.2: integral values between
// -1e6 and 1e6 without exponent or point, other values in [1e-6, 1e6) as
// decimals, and everything else in scientific notation such as 1.0E7.
func (f Double) String() string {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "INF"
	case math.IsInf(v, -1):
		return "-INF"
	case v == 0:
		if math.Signbit(v) {
			return "-0"
		}
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e-6 && a < 1e6 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // e.g. 1.5E+07, 1E-07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// ebv is the effective boolean value (XPath 2.0 §2.4.3).
func ebv(s Sequence) (bool, error) {
	if len(s) == 0 {
		return false, nil
	}
	if _, ok := s[0].(Node); ok {
		return true, nil
	}
	if len(s) > 1 {
		return false, dynErr(codeEBV, "effective boolean value of a sequence of %d atomic values", len(s))
	}
	switch v := s[0].(type) {
	case Boolean:
		return bool(v), nil
	case String:
		return v != "", nil
	case Untyped:
		return v != "", nil
	case AnyURI:
		return v != "", nil
	case Integer:
		return v != 0, nil
	case Decimal:
		return v.rat().Sign() != 0, nil
	case Double:
		return v != 0 && !math.IsNaN(float64(v)), nil
	}
	return false, dynErr(codeEBV, "no effective boolean value for %s", describe(s[0]))
}

// stringOf returns the string value of an item (fn:string).
func stringOf(it Item) string {
	switch v := it.(type) {
	case Node:
		return v.StringValue()
	case String:
		return string(v)
	case Untyped:
		return string(v)
	case AnyURI:
		return string(v)
	case interface{ String() string }:
		return v.String()
	}
	return ""
}

func joinStrings(s Sequence) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return stringOf(s[0])
	}
	var b strings.Builder
	for i, it := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(stringOf(it))
	}
	return b.String()
}

// atomize returns the typed value of an item: nodes are untyped here.
func atomize(it Item) Item {
	if n, ok := it.(Node); ok {
		return Untyped(n.StringValue())
	}
	return it
}

func atomizeSeq(s Sequence) Sequence {
	for i, it := range s {
		if _, ok := it.(Node); ok {
			out := make(Sequence, len(s))
			copy(out, s[:i])
			for j := i; j < len(s); j++ {
				out[j] = atomize(s[j])
			}
			return out
		}
	}
	return s
}

// typeName returns the xs: name of the dynamic type of an atomic item.
func typeName(it Item) string {
	switch it := it.(type) {
	case String:
		return "xs:string"
	case Untyped:
		return "xs:untypedAtomic"
	case AnyURI:
		return "xs:anyURI"
	case Boolean:
		return "xs:boolean"
	case Integer:
		return "xs:integer"
	case Decimal:
		return "xs:decimal"
	case Double:
		return "xs:double"
	case Date:
		return "xs:date"
	case DateTime:
		return "xs:dateTime"
	case Time:
		return "xs:time"
	case Duration:
		switch it.kind {
		case dayTime:
			return "xs:dayTimeDuration"
		case yearMonth:
			return "xs:yearMonthDuration"
		}
		return "xs:duration"
	case Node:
		return it.Kind().String() + "()"
	}
	return "item()"
}

// describe renders an item for error messages.
func describe(it Item) string {
	if n, ok := it.(Node); ok {
		return n.String()
	}
	s := stringOf(it)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return typeName(it) + "(" + strconv.Quote(s) + ")"
}

func isNumeric(it Item) bool {
	switch it.(type) {
	case Integer, Decimal, Double:
		return true
	}
	return false
}

func isStringLike(it Item) bool {
	switch it.(type) {
	case String, Untyped, AnyURI:
		return true
	}
	return false
}

// toFloat converts a numeric item to float64.
func toFloat(it Item) float64 {
	switch v := it.(type) {
	case Integer:
		return float64(v)
	case Decimal:
		return v.Float64()
	case Double:
		return float64(v)
	}
	return math.NaN()
}

// sortItems sorts a sequence of nodes in document order and removes
// duplicates in place.
func sortItems(s Sequence) Sequence {
	sorted := true
	for i := 1; i < len(s); i++ {
		if !before(s[i-1].(Node), s[i].(Node)) {
			sorted = false
			break
		}
	}
	if sorted {
		return s
	}
	slices.SortFunc(s, func(a, b Item) int {
		x, y := a.(Node), b.(Node)
		if x == y {
			return 0
		}
		if before(x, y) {
			return -1
		}
		return 1
	})
	return slices.Compact(s)
}

// sortNodes sorts nodes in document order and removes duplicates in place.
func sortNodes(ns []Node) []Node {
	sorted := true
	for i := 1; i < len(ns); i++ {
		if !before(ns[i-1], ns[i]) {
			sorted = false
			break
		}
	}
	if sorted {
		return ns
	}
	slices.SortFunc(ns, func(a, b Node) int {
		if a == b {
			return 0
		}
		if before(a, b) {
			return -1
		}
		return 1
	})
	return slices.Compact(ns)
}

func isDecimalLexical(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	return digits > 0 && i == len(s)
}

func isIntegerLexical(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseDouble parses the xs:double lexical space (XML Schema 1.0 §3.2.5):
// decimal digits with optional exponent, INF, -INF, NaN.
func parseDouble(s string) (float64, bool) {
	switch s {
	case "INF", "+INF":
		return math.Inf(1), true
	case "-INF":
		return math.Inf(-1), true
	case "NaN":
		return math.NaN(), true
	}
	mant, exp := s, ""
	if k := strings.IndexAny(s, "eE"); k >= 0 {
		mant, exp = s[:k], s[k+1:]
		if !isIntegerLexical(exp) {
			return 0, false
		}
	}
	if !isDecimalLexical(mant) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of range: ParseFloat returns ±Inf or 0 with ErrRange, which is the
		// IEEE result the cast wants.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// trimXML strips XML whitespace (#x20 #x9 #xA #xD) from both ends, as the
// whitespace facet "collapse" does for casts from strings.
func trimXML(s string) string {
	return strings.Trim(s, " \t\n\r")
}

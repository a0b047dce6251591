package xpath

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

type cmpOp uint8

const (
	opEq cmpOp = iota + 1
	opNe
	opLt
	opLe
	opGt
	opGe
)

func (o cmpOp) value() string {
	return [...]string{"", "eq", "ne", "lt", "le", "gt", "ge"}[o]
}

// holds reports whether a comparison result c (-1, 0, 1) satisfies the op.
func (o cmpOp) holds(c int) bool {
	switch o {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

// compareGeneral compares two atomic values for a general comparison
// (XPath 2.0 §3.5.2): an untypedAtomic operand is cast to the other
// operand's type (to xs:double against a number, to xs:string against a
// string or another untypedAtomic), then the value comparison applies.
func compareGeneral(op cmpOp, x, y Item) (bool, error) {
	ux, xu := x.(Untyped)
	uy, yu := y.(Untyped)
	if xu && yu {
		return op.holds(strings.Compare(string(ux), string(uy))), nil
	}
	if xu {
		v, err := untypedTo(ux, y)
		if err != nil {
			return false, err
		}
		x = v
	}
	if yu {
		v, err := untypedTo(uy, x)
		if err != nil {
			return false, err
		}
		y = v
	}
	return compareValues(op, x, y)
}

func untypedTo(u Untyped, other Item) (Item, error) {
	switch other.(type) {
	case Integer, Decimal, Double:
		f, ok := parseDouble(trimXML(string(u)))
		if !ok {
			return nil, dynErr(codeCast, "cannot convert %q to xs:double for comparison with a number", string(u))
		}
		return Double(f), nil
	case String, AnyURI:
		return String(u), nil
	}
	return castAtomic(u, atomicTypes[typeName(other)])
}

// compareValues is the value comparison of two atomic values (§3.5.1, F&O
// operator mapping). Untyped operands have been converted already.
func compareValues(op cmpOp, x, y Item) (bool, error) {
	switch a := x.(type) {
	case String, AnyURI, Untyped:
		if isStringLike(y) {
			return op.holds(strings.Compare(stringOf(a), stringOf(y))), nil
		}
	case Integer:
		switch b := y.(type) {
		case Integer:
			return op.holds(cmpInt(int64(a), int64(b))), nil
		case Decimal:
			return op.holds(new(big.Rat).SetInt64(int64(a)).Cmp(b.rat())), nil
		case Double:
			return cmpFloat(op, float64(a), float64(b)), nil
		}
	case Decimal:
		switch b := y.(type) {
		case Integer:
			return op.holds(a.rat().Cmp(new(big.Rat).SetInt64(int64(b)))), nil
		case Decimal:
			return op.holds(a.rat().Cmp(b.rat())), nil
		case Double:
			return cmpFloat(op, a.Float64(), float64(b)), nil
		}
	case Double:
		if isNumeric(y) {
			return cmpFloat(op, float64(a), toFloat(y)), nil
		}
	case Boolean:
		if b, ok := y.(Boolean); ok {
			return op.holds(cmpInt(b2i(bool(a)), b2i(bool(b)))), nil
		}
	case DateTime:
		if b, ok := y.(DateTime); ok {
			return op.holds(a.T.Compare(b.T)), nil
		}
	case Date:
		if b, ok := y.(Date); ok {
			return op.holds(a.T.Compare(b.T)), nil
		}
	case Time:
		if b, ok := y.(Time); ok {
			return op.holds(a.T.Compare(b.T)), nil
		}
	case Duration:
		if b, ok := y.(Duration); ok {
			if op == opEq || op == opNe {
				return op.holds(b2c(a.Months == b.Months && a.Nanos == b.Nanos)), nil
			}
			switch {
			case a.kind == dayTime && b.kind == dayTime:
				return op.holds(cmpInt(a.Nanos, b.Nanos)), nil
			case a.kind == yearMonth && b.kind == yearMonth:
				return op.holds(cmpInt(a.Months, b.Months)), nil
			}
		}
	}
	return false, dynErr(codeType, "cannot compare %s with %s", describe(x), describe(y))
}

func b2c(eq bool) int {
	if eq {
		return 0
	}
	return 1
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(op cmpOp, a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return op == opNe
	}
	switch {
	case a < b:
		return op.holds(-1)
	case a > b:
		return op.holds(1)
	}
	return op.holds(0)
}

// arithmetic applies + - * div idiv mod to two atomic values (§3.4).
func arithmetic(op string, x, y Item) (Item, error) {
	if u, ok := x.(Untyped); ok {
		f, ok := parseDouble(trimXML(string(u)))
		if !ok {
			return nil, dynErr(codeCast, "cannot convert %q to xs:double for arithmetic", string(u))
		}
		x = Double(f)
	}
	if u, ok := y.(Untyped); ok {
		f, ok := parseDouble(trimXML(string(u)))
		if !ok {
			return nil, dynErr(codeCast, "cannot convert %q to xs:double for arithmetic", string(u))
		}
		y = Double(f)
	}
	if isNumeric(x) && isNumeric(y) {
		return numericOp(op, x, y)
	}
	return temporalOp(op, x, y)
}

func numericOp(op string, x, y Item) (Item, error) {
	_, xd := x.(Double)
	_, yd := y.(Double)
	if xd || yd {
		a, b := toFloat(x), toFloat(y)
		switch op {
		case "+":
			return Double(a + b), nil
		case "-":
			return Double(a - b), nil
		case "*":
			return Double(a * b), nil
		case "div":
			return Double(a / b), nil
		case "mod":
			return Double(math.Mod(a, b)), nil
		case "idiv":
			if b == 0 {
				return nil, dynErr(codeDivZero, "integer division by zero")
			}
			q := math.Trunc(a / b)
			if math.IsNaN(q) || math.IsInf(q, 0) || math.Abs(q) > math.MaxInt64 {
				return nil, dynErr("FOAR0002", "idiv of %v by %v overflows", a, b)
			}
			return Integer(int64(q)), nil
		}
	}
	xi, xInt := x.(Integer)
	yi, yInt := y.(Integer)
	if xInt && yInt {
		a, b := int64(xi), int64(yi)
		switch op {
		case "+":
			s := a + b
			if (s > a) != (b > 0) {
				return nil, dynErr(codeOverflow, "integer overflow in %d + %d", a, b)
			}
			return Integer(s), nil
		case "-":
			s := a - b
			if (s < a) != (b > 0) {
				return nil, dynErr(codeOverflow, "integer overflow in %d - %d", a, b)
			}
			return Integer(s), nil
		case "*":
			if a != 0 && b != 0 {
				p := a * b
				if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
					return nil, dynErr(codeOverflow, "integer overflow in %d * %d", a, b)
				}
				return Integer(p), nil
			}
			return Integer(0), nil
		case "idiv", "mod":
			if b == 0 {
				return nil, dynErr(codeDivZero, "integer division by zero")
			}
			if a == math.MinInt64 && b == -1 {
				if op == "mod" {
					return Integer(0), nil
				}
				return nil, dynErr(codeOverflow, "integer overflow in %d idiv %d", a, b)
			}
			if op == "idiv" {
				return Integer(a / b), nil
			}
			return Integer(a % b), nil
		}
		// div of integers is a decimal (§3.4).
	}
	a, b := toRat(x), toRat(y)
	switch op {
	case "+":
		return Decimal{new(big.Rat).Add(a, b)}, nil
	case "-":
		return Decimal{new(big.Rat).Sub(a, b)}, nil
	case "*":
		return Decimal{new(big.Rat).Mul(a, b)}, nil
	}
	if b.Sign() == 0 {
		return nil, dynErr(codeDivZero, "decimal division by zero")
	}
	q := new(big.Rat).Quo(a, b)
	switch op {
	case "div":
		// Keep the result a finite decimal: 18 fractional digits.
		d, _ := new(big.Rat).SetString(q.FloatString(18))
		return Decimal{d}, nil
	case "idiv":
		t := new(big.Int).Quo(q.Num(), q.Denom())
		if !t.IsInt64() {
			return nil, dynErr(codeOverflow, "idiv result out of range")
		}
		return Integer(t.Int64()), nil
	}
	// mod: a - b * trunc(a/b)
	t := new(big.Int).Quo(q.Num(), q.Denom())
	r := new(big.Rat).Sub(a, new(big.Rat).Mul(b, new(big.Rat).SetInt(t)))
	return Decimal{r}, nil
}

func toRat(it Item) *big.Rat {
	switch v := it.(type) {
	case Integer:
		return new(big.Rat).SetInt64(int64(v))
	case Decimal:
		return v.rat()
	}
	return new(big.Rat)
}

// temporalOp covers date/time and duration arithmetic (F&O §10.6–10.8).
func temporalOp(op string, x, y Item) (Item, error) {
	bad := func() (Item, error) {
		return nil, dynErr(codeType, "arithmetic %s is not defined on %s and %s", op, describe(x), describe(y))
	}
	switch a := x.(type) {
	case DateTime, Date:
		ta, _ := instant(a)
		switch b := y.(type) {
		case DateTime, Date:
			if op != "-" || typeName(a) != typeName(b) {
				return bad()
			}
			tb, _ := instant(b)
			d := ta.Sub(tb)
			if d == math.MaxInt64 || d == math.MinInt64 {
				return nil, dynErr(codeDateOverflow, "duration overflow")
			}
			return Duration{Nanos: int64(d), kind: dayTime}, nil
		case Duration:
			if op != "+" && op != "-" || b.kind == anyDuration {
				return bad()
			}
			m, n := b.Months, b.Nanos
			if op == "-" {
				m, n = -m, -n
			}
			t := addMonths(ta, m).Add(time.Duration(n))
			if _, isDate := a.(Date); isDate {
				y, mo, d := t.Date()
				return Date{T: time.Date(y, mo, d, 0, 0, 0, 0, t.Location()), HasTZ: a.(Date).HasTZ}, nil
			}
			return DateTime{T: t, HasTZ: a.(DateTime).HasTZ}, nil
		}
	case Time:
		switch b := y.(type) {
		case Time:
			if op != "-" {
				return bad()
			}
			return Duration{Nanos: int64(a.T.Sub(b.T)), kind: dayTime}, nil
		case Duration:
			if op != "+" && op != "-" || b.kind != dayTime {
				return bad()
			}
			n := b.Nanos
			if op == "-" {
				n = -n
			}
			t := a.T.Add(time.Duration(n))
			return Time{T: time.Date(1972, 12, 31, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()), HasTZ: a.HasTZ}, nil
		}
	case Duration:
		switch b := y.(type) {
		case Duration:
			if a.kind != b.kind || a.kind == anyDuration {
				return bad()
			}
			switch op {
			case "+":
				return Duration{Months: a.Months + b.Months, Nanos: a.Nanos + b.Nanos, kind: a.kind}, nil
			case "-":
				return Duration{Months: a.Months - b.Months, Nanos: a.Nanos - b.Nanos, kind: a.kind}, nil
			case "div":
				num, den := a.Nanos, b.Nanos
				if a.kind == yearMonth {
					num, den = a.Months, b.Months
				}
				if den == 0 {
					return nil, dynErr(codeDivZero, "division of a duration by a zero duration")
				}
				q := new(big.Rat).SetFrac64(num, den)
				d, _ := new(big.Rat).SetString(q.FloatString(18))
				return Decimal{d}, nil
			}
		case Integer, Decimal, Double:
			if a.kind == anyDuration || op != "*" && op != "div" {
				return bad()
			}
			f := toFloat(b)
			if op == "div" {
				if f == 0 {
					return nil, dynErr("FODT0002", "division of a duration by zero")
				}
				f = 1 / f
			}
			if math.IsNaN(f) {
				return nil, dynErr("FOCA0005", "NaN factor for a duration")
			}
			if a.kind == yearMonth {
				m := math.Round(float64(a.Months) * f)
				if math.Abs(m) > math.MaxInt32 {
					return nil, dynErr("FODT0002", "duration overflow")
				}
				return Duration{Months: int64(m), kind: yearMonth}, nil
			}
			n := float64(a.Nanos) * f
			if math.IsInf(n, 0) || math.Abs(n) > math.MaxInt64/2 {
				return nil, dynErr("FODT0002", "duration overflow")
			}
			return Duration{Nanos: int64(n), kind: dayTime}, nil
		}
	case Integer, Decimal, Double:
		if b, ok := y.(Duration); ok && op == "*" {
			return temporalOp(op, b, x)
		}
	}
	return bad()
}

// atomicType is a named atomic type that casts and sequence types use.
type atomicType struct {
	name     string
	min, max int64 // bounds of the integer subtypes
	bounded  bool
}

// atomicTypes are the atomic types casts and sequence types know, by
// prefixed name: a table built once (atomicTypeTable) and never changed.
var atomicTypes = atomicTypeTable()

func atomicTypeTable() map[string]*atomicType {
	atomicTypes := map[string]*atomicType{}
	for _, n := range []string{"xs:anyAtomicType", "xs:string", "xs:untypedAtomic", "xs:anyURI", "xs:boolean", "xs:integer",
		"xs:decimal", "xs:double", "xs:float", "xs:date", "xs:dateTime", "xs:time", "xs:duration", "xs:dayTimeDuration",
		"xs:yearMonthDuration", "xs:normalizedString", "xs:token"} {
		atomicTypes[n] = &atomicType{name: n}
	}
	for n, b := range map[string][2]int64{
		"xs:long": {math.MinInt64, math.MaxInt64}, "xs:int": {math.MinInt32, math.MaxInt32},
		"xs:short": {math.MinInt16, math.MaxInt16}, "xs:byte": {math.MinInt8, math.MaxInt8},
		"xs:nonNegativeInteger": {0, math.MaxInt64}, "xs:positiveInteger": {1, math.MaxInt64},
		"xs:nonPositiveInteger": {math.MinInt64, 0}, "xs:negativeInteger": {math.MinInt64, -1},
		"xs:unsignedLong": {0, math.MaxInt64}, "xs:unsignedInt": {0, math.MaxUint32},
		"xs:unsignedShort": {0, math.MaxUint16}, "xs:unsignedByte": {0, math.MaxUint8},
	} {
		atomicTypes[n] = &atomicType{name: n, min: b[0], max: b[1], bounded: true}
	}
	return atomicTypes
}

// instanceOf reports whether an atomic value is an instance of the type.
// Values carry only their primitive type (and xs:integer), so a value is
// never an instance of a derived type such as xs:int or xs:token.
func (t *atomicType) instanceOf(it Item) bool {
	if _, isNode := it.(Node); isNode {
		return false
	}
	switch t.name {
	case "xs:anyAtomicType":
		return true
	case "xs:decimal":
		switch it.(type) {
		case Integer, Decimal:
			return true
		}
		return false
	case "xs:duration":
		_, ok := it.(Duration)
		return ok
	case "xs:float":
		return false
	}
	return typeName(it) == t.name
}

// castAtomic casts an atomic value to t (XPath 2.0 §3.10.2, F&O §17).
// Failures are FORG0001 (invalid lexical form or value) or XPTY0004 (a cast
// the type system does not allow).
func castAtomic(x Item, t *atomicType) (Item, error) {
	if t.bounded {
		v, err := castAtomic(x, atomicTypes["xs:integer"])
		if err != nil {
			return nil, err
		}
		if i := int64(v.(Integer)); i < t.min || i > t.max {
			return nil, dynErr(codeCast, "%d is out of the range of %s", i, t.name)
		}
		return v, nil
	}
	str, fromString := "", false
	switch v := x.(type) {
	case String:
		str, fromString = string(v), true
	case Untyped:
		str, fromString = string(v), true
	}
	invalid := func() (Item, error) {
		s := str
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return nil, dynErr(codeCast, "%q is not a valid %s", s, t.name)
	}
	noCast := func() (Item, error) {
		return nil, dynErr(codeType, "cannot cast %s to %s", describe(x), t.name)
	}
	switch t.name {
	case "xs:string":
		return String(stringOf(x)), nil
	case "xs:untypedAtomic":
		return Untyped(stringOf(x)), nil
	case "xs:normalizedString":
		return String(strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(stringOf(x))), nil
	case "xs:token":
		return String(strings.Join(strings.Fields(stringOf(x)), " ")), nil
	case "xs:anyURI":
		switch x.(type) {
		case String, Untyped, AnyURI:
			return AnyURI(trimXML(stringOf(x))), nil
		}
		return noCast()
	case "xs:boolean":
		if fromString {
			switch trimXML(str) {
			case "true", "1":
				return Boolean(true), nil
			case "false", "0":
				return Boolean(false), nil
			}
			return invalid()
		}
		switch v := x.(type) {
		case Boolean:
			return v, nil
		case Integer, Decimal, Double:
			b, _ := ebv(Sequence{v})
			return Boolean(b), nil
		}
		return noCast()
	case "xs:integer":
		if fromString {
			s := trimXML(str)
			if !isIntegerLexical(s) {
				return invalid()
			}
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, dynErr("FOCA0003", "%s is out of the range of xs:integer (64 bits)", s)
			}
			return Integer(i), nil
		}
		switch v := x.(type) {
		case Integer:
			return v, nil
		case Boolean:
			return Integer(b2i(bool(v))), nil
		case Decimal:
			r := v.rat()
			q := new(big.Int).Quo(r.Num(), r.Denom())
			if !q.IsInt64() {
				return nil, dynErr("FOCA0003", "%s is out of the range of xs:integer (64 bits)", v)
			}
			return Integer(q.Int64()), nil
		case Double:
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, dynErr("FOCA0002", "cannot cast %s to xs:integer", v)
			}
			if math.Abs(f) >= 9.223372036854775e18 {
				return nil, dynErr("FOCA0003", "%s is out of the range of xs:integer (64 bits)", v)
			}
			return Integer(int64(math.Trunc(f))), nil
		}
		return noCast()
	case "xs:decimal":
		if fromString {
			d, ok := NewDecimal(trimXML(str))
			if !ok {
				return invalid()
			}
			return d, nil
		}
		switch v := x.(type) {
		case Decimal:
			return v, nil
		case Integer:
			return Decimal{new(big.Rat).SetInt64(int64(v))}, nil
		case Boolean:
			return Decimal{new(big.Rat).SetInt64(b2i(bool(v)))}, nil
		case Double:
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, dynErr("FOCA0002", "cannot cast %s to xs:decimal", v)
			}
			r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
			return Decimal{r}, nil
		}
		return noCast()
	case "xs:double", "xs:float":
		if fromString {
			f, ok := parseDouble(trimXML(str))
			if !ok {
				return invalid()
			}
			if t.name == "xs:float" {
				f = float64(float32(f))
			}
			return Double(f), nil
		}
		switch v := x.(type) {
		case Double:
			if t.name == "xs:float" {
				return Double(float32(v)), nil
			}
			return v, nil
		case Integer, Decimal:
			return Double(toFloat(v)), nil
		case Boolean:
			return Double(b2i(bool(v))), nil
		}
		return noCast()
	case "xs:dateTime":
		if fromString {
			v, ok := parseDateTime(str)
			if !ok {
				return invalid()
			}
			return v, nil
		}
		switch v := x.(type) {
		case DateTime:
			return v, nil
		case Date:
			return DateTime(v), nil
		}
		return noCast()
	case "xs:date":
		if fromString {
			v, ok := parseDate(str)
			if !ok {
				return invalid()
			}
			return v, nil
		}
		switch v := x.(type) {
		case Date:
			return v, nil
		case DateTime:
			y, m, d := v.T.Date()
			return Date{T: time.Date(y, m, d, 0, 0, 0, 0, v.T.Location()), HasTZ: v.HasTZ}, nil
		}
		return noCast()
	case "xs:time":
		if fromString {
			v, ok := parseTime(str)
			if !ok {
				return invalid()
			}
			return v, nil
		}
		switch v := x.(type) {
		case Time:
			return v, nil
		case DateTime:
			t := v.T
			return Time{T: time.Date(1972, 12, 31, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()), HasTZ: v.HasTZ}, nil
		}
		return noCast()
	case "xs:duration", "xs:dayTimeDuration", "xs:yearMonthDuration":
		kind := map[string]durKind{"xs:duration": anyDuration, "xs:dayTimeDuration": dayTime, "xs:yearMonthDuration": yearMonth}[t.name]
		if fromString {
			v, ok := parseDuration(str, kind)
			if !ok {
				return invalid()
			}
			return v, nil
		}
		if v, ok := x.(Duration); ok {
			switch kind {
			case dayTime:
				return Duration{Nanos: v.Nanos, kind: dayTime}, nil
			case yearMonth:
				return Duration{Months: v.Months, kind: yearMonth}, nil
			}
			return Duration{Months: v.Months, Nanos: v.Nanos}, nil
		}
		return noCast()
	}
	return noCast()
}

// seqType is a SequenceType (§2.5.3).
type seqType struct {
	empty   bool // empty-sequence()
	anyItem bool // item()
	node    *nodeTest
	atomic  *atomicType
	occ     byte // 0, '?', '*', '+'
}

func (st *seqType) String() string {
	switch {
	case st.empty:
		return "empty-sequence()"
	case st.anyItem:
		return "item()" + string(st.occ)
	case st.node != nil:
		return st.node.kind.String() + "()" + string(st.occ)
	}
	s := st.atomic.name
	if st.occ != 0 {
		s += string(st.occ)
	}
	return s
}

func (st *seqType) matches(s Sequence) bool {
	if st.empty {
		return len(s) == 0
	}
	switch st.occ {
	case 0:
		if len(s) != 1 {
			return false
		}
	case '?':
		if len(s) > 1 {
			return false
		}
	case '+':
		if len(s) == 0 {
			return false
		}
	}
	for _, it := range s {
		switch {
		case st.anyItem:
		case st.node != nil:
			n, ok := it.(Node)
			if !ok || !st.node.match(n.r) {
				return false
			}
		default:
			if !st.atomic.instanceOf(it) {
				return false
			}
		}
	}
	return true
}

package xpath

import (
	"fmt"
	"math"
	"math/big"

	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// funcDef is a function of the fn namespace.
type funcDef struct {
	min, max int // arity; max -1 for any number
	fn       func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error)
	// prepare runs at compile time, e.g. to precompile a literal regex.
	prepare func(call *funcCall) error
}

type funcCall struct {
	def  *funcDef
	name string
	args []expr
	re   *regexp.Regexp // precompiled when pattern and flags are literals
}

func (f *funcCall) eval(c *evalCtx) (Sequence, error) {
	var buf [4]Sequence
	args := buf[:0]
	for _, a := range f.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return f.def.fn(c, f, args)
}

// functions are the functions of the fn namespace, by local name: a table
// built once (functionTable) and never changed.
var functions = functionTable()

// Functions returns the names of the functions of the fn namespace that the
// engine implements, sorted.
func Functions() []string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const codepointCollation = "http://www.w3.org/2005/xpath-functions/collation/codepoint"

func one(v Item) Sequence {
	if b, ok := v.(Boolean); ok {
		return boolSeq(bool(b))
	}
	return Sequence{v}
}

// --- argument conversion (function conversion rules, XPath 2.0 §3.1.5) ---

func argAtomic(s Sequence, fn string) (Item, bool, error) {
	switch len(s) {
	case 0:
		return nil, false, nil
	case 1:
		return atomize(s[0]), true, nil
	}
	return nil, false, dynErr(codeType, "%s(): an argument is a sequence of %d items where at most one is allowed", fn, len(s))
}

// argString converts an xs:string? argument; the empty sequence gives "".
func argString(s Sequence, fn string) (string, error) {
	it, ok, err := argAtomic(s, fn)
	if err != nil || !ok {
		return "", err
	}
	switch v := it.(type) {
	case String:
		return string(v), nil
	case Untyped:
		return string(v), nil
	case AnyURI:
		return string(v), nil
	}
	return "", dynErr(codeType, "%s(): %s is not a string", fn, describe(it))
}

// argDouble converts an xs:double argument (numeric promotion).
func argDouble(s Sequence, fn string) (float64, bool, error) {
	it, ok, err := argAtomic(s, fn)
	if err != nil || !ok {
		return 0, ok, err
	}
	if u, isU := it.(Untyped); isU {
		f, good := parseDouble(trimXML(string(u)))
		if !good {
			return 0, false, dynErr(codeCast, "%s(): cannot convert %q to xs:double", fn, string(u))
		}
		return f, true, nil
	}
	if !isNumeric(it) {
		return 0, false, dynErr(codeType, "%s(): %s is not a number", fn, describe(it))
	}
	return toFloat(it), true, nil
}

// argNumeric converts a numeric? argument, keeping its type; untyped
// values become doubles.
func argNumeric(s Sequence, fn string) (Item, bool, error) {
	it, ok, err := argAtomic(s, fn)
	if err != nil || !ok {
		return nil, ok, err
	}
	if u, isU := it.(Untyped); isU {
		f, good := parseDouble(trimXML(string(u)))
		if !good {
			return nil, false, dynErr(codeCast, "%s(): cannot convert %q to xs:double", fn, string(u))
		}
		return Double(f), true, nil
	}
	if !isNumeric(it) {
		return nil, false, dynErr(codeType, "%s(): %s is not a number", fn, describe(it))
	}
	return it, true, nil
}

func argInteger(s Sequence, fn string) (int64, error) {
	it, ok, err := argAtomic(s, fn)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, dynErr(codeType, "%s(): an integer argument is empty", fn)
	}
	if u, isU := it.(Untyped); isU {
		v, err := castAtomic(u, atomicTypes["xs:integer"])
		if err != nil {
			return 0, err
		}
		it = v
	}
	i, isInt := it.(Integer)
	if !isInt {
		return 0, dynErr(codeType, "%s(): %s is not an integer", fn, describe(it))
	}
	return int64(i), nil
}

func argNode(c *evalCtx, args []Sequence, fn string) (Node, bool, error) {
	if len(args) == 0 {
		r, err := c.contextNode()
		if err != nil {
			return Node{}, false, err
		}
		return Node{r}, true, nil
	}
	switch len(args[0]) {
	case 0:
		return Node{}, false, nil
	case 1:
		if n, ok := args[0][0].(Node); ok {
			return n, true, nil
		}
	}
	return Node{}, false, dynErr(codeType, "%s(): the argument is not a single node", fn)
}

func checkCollation(args []Sequence, i int, fn string) error {
	if len(args) <= i {
		return nil
	}
	s, err := argString(args[i], fn)
	if err != nil {
		return err
	}
	if s != codepointCollation {
		return dynErr("FOCH0002", "%s(): collation %q is not supported (only the codepoint collation)", fn, s)
	}
	return nil
}

func stringArgs(c *evalCtx, args []Sequence, fn string) (string, error) {
	if len(args) == 0 {
		if c.item == nil {
			return "", dynErr(codeCtxAbsent, "%s(): the context item is absent", fn)
		}
		return stringOf(c.item), nil
	}
	return argString(args[0], fn)
}

// literalString returns the value of a string-literal argument.
func literalString(e expr) (string, bool) {
	if l, ok := e.(*literal); ok && len(l.v) == 1 {
		if s, ok := l.v[0].(String); ok {
			return string(s), true
		}
	}
	return "", false
}

// prepareRegex precompiles the pattern (argument pi) and flags (argument
// fi) when they are literals, so that a bad pattern is a compile error.
func prepareRegex(pi, fi int) func(*funcCall) error {
	return func(call *funcCall) error {
		if len(call.args) <= pi {
			return nil
		}
		pat, ok := literalString(call.args[pi])
		if !ok {
			return nil
		}
		flags := ""
		if len(call.args) > fi {
			if flags, ok = literalString(call.args[fi]); !ok {
				return nil
			}
		}
		re, err := compileRegex(pat, flags)
		if err != nil {
			return err
		}
		call.re = re
		return nil
	}
}

func (f *funcCall) regex(args []Sequence, pi, fi int) (*regexp.Regexp, error) {
	if f.re != nil {
		return f.re, nil
	}
	pat, err := argString(args[pi], f.name)
	if err != nil {
		return nil, err
	}
	flags := ""
	if len(args) > fi {
		if flags, err = argString(args[fi], f.name); err != nil {
			return nil, err
		}
	}
	return compileRegex(pat, flags)
}

// xpathRound rounds half up (towards positive infinity) as fn:round does.
func xpathRound(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
		return f
	}
	if f < 0 && f >= -0.5 {
		return math.Copysign(0, -1)
	}
	return math.Floor(f + 0.5)
}

func runeSubstring(s string, start, length float64, hasLen bool) string {
	// Characters at positions p with round(start) <= p < round(start)+round(length).
	rs := xpathRound(start)
	var re float64
	if hasLen {
		re = rs + xpathRound(length)
	} else {
		re = math.Inf(1)
	}
	if math.IsNaN(rs) || math.IsNaN(re) {
		return ""
	}
	var b strings.Builder
	p := 0
	for _, r := range s {
		p++
		if float64(p) >= rs && float64(p) < re {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func normalizeSpace(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isNormalized reports whether normalize-space would return s unchanged.
func isNormalized(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\r':
			return false
		case ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		default:
			prevSpace = false
		}
	}
	return !prevSpace || s == ""
}

// expandReplacement applies an fn:replace replacement string: $N refers to
// a captured group (the longest N that names a group), \$ and \\ are
// literal, any other $ or \ is FORX0004.
func expandReplacement(repl string, src string, m []int, groups int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			if i+1 < len(repl) && (repl[i+1] == '\\' || repl[i+1] == '$') {
				b.WriteByte(repl[i+1])
				i++
				continue
			}
			return "", dynErr(codeReplacement, "invalid replacement string %q: \\ must be followed by \\ or $", repl)
		case '$':
			j := i + 1
			if j >= len(repl) || repl[j] < '0' || repl[j] > '9' {
				return "", dynErr(codeReplacement, "invalid replacement string %q: $ must be followed by a digit", repl)
			}
			n := int(repl[j] - '0')
			j++
			for j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				nn := n*10 + int(repl[j]-'0')
				if nn > groups {
					break
				}
				n = nn
				j++
			}
			if n <= groups && 2*n+1 < len(m) && m[2*n] >= 0 {
				b.WriteString(src[m[2*n]:m[2*n+1]])
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func dateTimePart(args []Sequence, fn string) (Item, bool, error) {
	it, ok, err := argAtomic(args[0], fn)
	if err != nil || !ok {
		return nil, false, err
	}
	if u, isU := it.(Untyped); isU {
		want := "xs:dateTime"
		switch {
		case strings.HasSuffix(fn, "-from-date"):
			want = "xs:date"
		case strings.HasSuffix(fn, "-from-time"):
			want = "xs:time"
		case strings.HasSuffix(fn, "-from-duration"):
			want = "xs:duration"
		}
		v, err := castAtomic(u, atomicTypes[want])
		if err != nil {
			return nil, false, err
		}
		it = v
	}
	return it, true, nil
}

func secondsOf(t time.Time) Decimal {
	r := new(big.Rat).SetFrac64(int64(t.Second())*1e9+int64(t.Nanosecond()), 1e9)
	return Decimal{r}
}

func tzOf(t time.Time, has bool) Sequence {
	if !has {
		return nil
	}
	_, off := t.Zone()
	return one(Duration{Nanos: int64(off) * int64(time.Second), kind: dayTime})
}

// distinctKey gives values that are eq (with NaN equal to NaN) the same key.
func distinctKey(it Item) string {
	switch v := it.(type) {
	case String, Untyped, AnyURI:
		return "s" + stringOf(v)
	case Integer, Decimal, Double:
		f := toFloat(v)
		if i, ok := v.(Integer); ok {
			return "n" + strconv.FormatInt(int64(i), 10)
		}
		if d, ok := v.(Decimal); ok && d.rat().IsInt() && d.rat().Num().IsInt64() {
			return "n" + d.rat().Num().String()
		}
		if f == math.Trunc(f) && math.Abs(f) < 1e18 {
			return "n" + strconv.FormatInt(int64(f), 10)
		}
		return "n" + strconv.FormatFloat(f, 'g', -1, 64)
	case Boolean:
		return "b" + v.String()
	case DateTime:
		return "T" + v.T.UTC().Format(time.RFC3339Nano)
	case Date:
		return "D" + v.T.UTC().Format(time.RFC3339Nano)
	case Time:
		return "t" + v.T.UTC().Format(time.RFC3339Nano)
	case Duration:
		return fmt.Sprintf("P%d,%d", v.Months, v.Nanos)
	}
	return "?" + stringOf(it)
}

// atomicEq is eq with untyped values compared as strings; incomparable
// values are not equal.
func atomicEq(a, b Item) bool {
	if u, ok := a.(Untyped); ok {
		a = String(u)
	}
	if u, ok := b.(Untyped); ok {
		b = String(u)
	}
	if x, ok := a.(Double); ok && math.IsNaN(float64(x)) {
		y, ok := b.(Double)
		return ok && math.IsNaN(float64(y))
	}
	eq, err := compareValues(opEq, a, b)
	return err == nil && eq
}

func deepEqual(a, b Sequence) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		na, aNode := a[i].(Node)
		nb, bNode := b[i].(Node)
		if aNode != bNode {
			return false
		}
		if !aNode {
			if !atomicEq(a[i], b[i]) {
				return false
			}
			continue
		}
		if !deepEqualNodes(na.r, nb.r) {
			return false
		}
	}
	return true
}

func deepEqualNodes(a, b *nodeRec) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case DocumentNode, ElementNode:
		if a.kind == ElementNode {
			if a.local != b.local || a.space != b.space || a.nattr != b.nattr {
				return false
			}
			for i := a.idx + 1; i <= a.idx+a.nattr; i++ {
				found := false
				for j := b.idx + 1; j <= b.idx+b.nattr; j++ {
					x, y := &a.d.nodes[i], &b.d.nodes[j]
					if x.local == y.local && x.space == y.space {
						found = x.value == y.value
						break
					}
				}
				if !found {
					return false
				}
			}
		}
		// Children, ignoring comments and processing instructions.
		next := func(d *Document, i int32) int32 {
			for i >= 0 && (d.nodes[i].kind == CommentNode || d.nodes[i].kind == ProcessingInstructionNode) {
				i = d.nodes[i].next
			}
			return i
		}
		x, y := next(a.d, a.first), next(b.d, b.first)
		for x >= 0 && y >= 0 {
			if !deepEqualNodes(&a.d.nodes[x], &b.d.nodes[y]) {
				return false
			}
			x, y = next(a.d, a.d.nodes[x].next), next(b.d, b.d.nodes[y].next)
		}
		return x < 0 && y < 0
	case AttributeNode, ProcessingInstructionNode:
		return a.local == b.local && a.space == b.space && a.value == b.value
	}
	return a.value == b.value
}

// minMax implements fn:min and fn:max.
func minMax(args []Sequence, fn string, wantMax bool) (Sequence, error) {
	if err := checkCollation(args, 1, fn); err != nil {
		return nil, err
	}
	s := args[0]
	if len(s) == 0 {
		return nil, nil
	}
	var best Item
	anyDouble, anyDecimal := false, false
	for _, it := range s {
		v := atomize(it)
		if u, ok := v.(Untyped); ok {
			f, good := parseDouble(trimXML(string(u)))
			if !good {
				return nil, dynErr(codeCast, "%s(): cannot convert %q to xs:double", fn, string(u))
			}
			v = Double(f)
		}
		switch d := v.(type) {
		case Double:
			anyDouble = true
			if math.IsNaN(float64(d)) {
				return one(Double(math.NaN())), nil
			}
		case Decimal:
			anyDecimal = true
		}
		if best == nil {
			if _, err := compareValues(opLt, v, v); err != nil {
				return nil, dynErr(codeEBV, "%s(): values of type %s cannot be ordered", fn, typeName(v))
			}
			best = v
			continue
		}
		op := opLt
		if wantMax {
			op = opGt
		}
		better, err := compareValues(op, v, best)
		if err != nil {
			return nil, dynErr(codeEBV, "%s(): %s and %s cannot be compared", fn, describe(v), describe(best))
		}
		if better {
			best = v
		}
	}
	switch {
	case anyDouble && isNumeric(best):
		best = Double(toFloat(best))
	case anyDecimal:
		if i, ok := best.(Integer); ok {
			best = Decimal{new(big.Rat).SetInt64(int64(i))}
		}
	}
	return one(best), nil
}

// functionTable returns the functions of the fn namespace that the engine
// implements (XPath and XQuery Functions and Operators 3.1), by local name.
func functionTable() map[string]*funcDef {
	str := func(f func(s string) Item) func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
		return func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := stringArgs(c, args, call.name)
			if err != nil {
				return nil, err
			}
			return one(f(s)), nil
		}
	}
	str2 := func(f func(a, b string) Item) func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
		return func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			a, err := argString(args[0], call.name)
			if err != nil {
				return nil, err
			}
			b, err := argString(args[1], call.name)
			if err != nil {
				return nil, err
			}
			if err := checkCollation(args, 2, call.name); err != nil {
				return nil, err
			}
			return one(f(a, b)), nil
		}
	}
	numeric := func(fi func(int64) Item, fd func(*big.Rat) Item, ff func(float64) float64) func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
		return func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			it, ok, err := argNumeric(args[0], call.name)
			if err != nil || !ok {
				return nil, err
			}
			switch v := it.(type) {
			case Integer:
				return one(fi(int64(v))), nil
			case Decimal:
				return one(fd(v.rat())), nil
			}
			return one(Double(ff(toFloat(it)))), nil
		}
	}
	ratFloor := func(r *big.Rat) *big.Int {
		q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
		_ = m
		return q // Euclidean division with positive denominator is floor
	}
	dtPart := func(fn string, get func(it Item) (Sequence, error)) *funcDef {
		return &funcDef{min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			it, ok, err := dateTimePart(args, fn)
			if err != nil || !ok {
				return nil, err
			}
			s, err := get(it)
			if err != nil {
				return nil, err
			}
			return s, nil
		}}
	}
	wrongType := func(fn string, it Item) error {
		return dynErr(codeType, "%s(): %s has the wrong type", fn, describe(it))
	}
	timeOf := func(fn string, kind string) func(it Item) (time.Time, bool, error) {
		return func(it Item) (time.Time, bool, error) {
			switch v := it.(type) {
			case DateTime:
				if kind == "dateTime" {
					return v.T, v.HasTZ, nil
				}
			case Date:
				if kind == "date" {
					return v.T, v.HasTZ, nil
				}
			case Time:
				if kind == "time" {
					return v.T, v.HasTZ, nil
				}
			}
			return time.Time{}, false, wrongType(fn, it)
		}
	}

	var fns map[string]*funcDef // avg calls sum through it
	fns = map[string]*funcDef{
		// --- accessors and general (F&O §2, §14) ---
		"string": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args) == 0 {
				if c.item == nil {
					return nil, dynErr(codeCtxAbsent, "string(): the context item is absent")
				}
				return one(String(stringOf(c.item))), nil
			}
			if len(args[0]) > 1 {
				return nil, dynErr(codeType, "string(): the argument is a sequence of %d items", len(args[0]))
			}
			if len(args[0]) == 0 {
				return one(String("")), nil
			}
			return one(String(stringOf(args[0][0]))), nil
		}},
		"data": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return atomizeSeq(args[0]), nil
		}},
		"number": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			var it Item
			if len(args) == 0 {
				if c.item == nil {
					return nil, dynErr(codeCtxAbsent, "number(): the context item is absent")
				}
				it = atomize(c.item)
			} else {
				v, ok, err := argAtomic(args[0], "number")
				if err != nil {
					return nil, err
				}
				if !ok {
					return one(Double(math.NaN())), nil
				}
				it = v
			}
			v, err := castAtomic(it, atomicTypes["xs:double"])
			if err != nil {
				return one(Double(math.NaN())), nil
			}
			return one(v), nil
		}},
		"boolean": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			b, err := ebv(args[0])
			return boolSeq(b), err
		}},
		"not": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			b, err := ebv(args[0])
			return boolSeq(!b), err
		}},
		"true":  {fn: func(*evalCtx, *funcCall, []Sequence) (Sequence, error) { return boolSeq(true), nil }},
		"false": {fn: func(*evalCtx, *funcCall, []Sequence) (Sequence, error) { return boolSeq(false), nil }},
		"position": {fn: func(c *evalCtx, _ *funcCall, _ []Sequence) (Sequence, error) {
			if c.item == nil {
				return nil, dynErr(codeCtxAbsent, "position(): the context item is absent")
			}
			return one(Integer(c.pos)), nil
		}},
		"last": {fn: func(c *evalCtx, _ *funcCall, _ []Sequence) (Sequence, error) {
			if c.item == nil {
				return nil, dynErr(codeCtxAbsent, "last(): the context item is absent")
			}
			return one(Integer(c.size)), nil
		}},
		"name": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			n, ok, err := argNode(c, args, "name")
			if err != nil || !ok {
				return one(String("")), err
			}
			return one(String(n.QName())), nil
		}},
		"local-name": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			n, ok, err := argNode(c, args, "local-name")
			if err != nil || !ok {
				return one(String("")), err
			}
			switch n.Kind() {
			case ElementNode, AttributeNode, ProcessingInstructionNode:
				return one(String(n.r.local)), nil
			}
			return one(String("")), nil
		}},
		"namespace-uri": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			n, ok, err := argNode(c, args, "namespace-uri")
			if err != nil || !ok {
				return one(AnyURI("")), err
			}
			switch n.Kind() {
			case ElementNode, AttributeNode:
				return one(AnyURI(n.r.space)), nil
			}
			return one(AnyURI("")), nil
		}},
		"root": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			n, ok, err := argNode(c, args, "root")
			if err != nil || !ok {
				return nil, err
			}
			return one(Node{&n.r.d.nodes[0]}), nil
		}},
		"lang": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			want, err := argString(args[0], "lang")
			if err != nil {
				return nil, err
			}
			n, ok, err := argNode(c, args[1:], "lang")
			if err != nil || !ok {
				return boolSeq(false), err
			}
			for r := n.r; r != nil; {
				if r.kind == ElementNode {
					for i := r.idx + 1; i <= r.idx+r.nattr; i++ {
						a := &r.d.nodes[i]
						if a.space == nsXML && a.local == "lang" {
							l := strings.ToLower(a.value)
							w := strings.ToLower(want)
							return boolSeq(l == w || strings.HasPrefix(l, w+"-")), nil
						}
					}
				}
				if r.parent < 0 {
					break
				}
				r = &r.d.nodes[r.parent]
			}
			return boolSeq(false), nil
		}},
		// current() is XSLT's (XSLT 2.0 §16.6.1), available to Schematron
		// rules with the xslt2 query binding: the context item of the whole
		// expression being evaluated (the rule's context node).
		"current": {fn: func(c *evalCtx, _ *funcCall, _ []Sequence) (Sequence, error) {
			if c.current == nil {
				return nil, dynErr(codeCtxAbsent, "current(): the context item is absent")
			}
			return one(c.current), nil
		}},
		// generate-id() is XSLT's (XSLT 2.0 §16.6.4): a name-start string
		// unique to the node within the process.
		"generate-id": {min: 0, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			n, ok, err := argNode(c, args, "generate-id")
			if err != nil || !ok {
				return one(String("")), err
			}
			return one(String(fmt.Sprintf("d%dn%d", n.r.d.id, n.r.idx))), nil
		}},
		"error": {min: 0, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			code, msg := codeError, "fn:error() called"
			if len(args) > 0 && len(args[0]) > 0 {
				code = stringOf(args[0][0])
			}
			if len(args) > 1 {
				msg = joinStrings(args[1])
			}
			return nil, dynErr(code, "%s", msg)
		}},
		"trace": {min: 2, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return args[0], nil
		}},

		// --- strings (F&O §7) ---
		"concat": {min: 2, max: -1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			var b strings.Builder
			for _, a := range args {
				it, ok, err := argAtomic(a, "concat")
				if err != nil {
					return nil, err
				}
				if ok {
					b.WriteString(stringOf(it))
				}
			}
			return one(String(b.String())), nil
		}},
		"string-join": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			sep := ""
			if len(args) > 1 {
				var err error
				if sep, err = argString(args[1], "string-join"); err != nil {
					return nil, err
				}
			}
			var b strings.Builder
			for i, it := range args[0] {
				if i > 0 {
					b.WriteString(sep)
				}
				b.WriteString(stringOf(atomize(it)))
				if b.Len() > 64<<20 {
					return nil, dynErr(codeLimit, "string-join(): result larger than 64 MiB")
				}
			}
			return one(String(b.String())), nil
		}},
		"substring": {min: 2, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "substring")
			if err != nil {
				return nil, err
			}
			start, _, err := argDouble(args[1], "substring")
			if err != nil {
				return nil, err
			}
			var length float64
			hasLen := len(args) > 2
			if hasLen {
				if length, _, err = argDouble(args[2], "substring"); err != nil {
					return nil, err
				}
			}
			return one(String(runeSubstring(s, start, length, hasLen))), nil
		}},
		"string-length": {min: 0, max: 1, fn: str(func(s string) Item { return Integer(utf8.RuneCountInString(s)) })},
		"normalize-space": {min: 0, max: 1, fn: str(func(s string) Item {
			if isNormalized(s) {
				return String(s)
			}
			return String(normalizeSpace(s))
		})},
		"upper-case": {min: 1, max: 1, fn: str(func(s string) Item { return String(upperFull.Replace(strings.ToUpper(s))) })},
		"lower-case": {min: 1, max: 1, fn: str(func(s string) Item { return String(strings.ToLower(s)) })},
		"normalize-unicode": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "normalize-unicode")
			if err != nil {
				return nil, err
			}
			form := "NFC"
			if len(args) > 1 {
				if form, err = argString(args[1], "normalize-unicode"); err != nil {
					return nil, err
				}
				form = strings.ToUpper(strings.TrimSpace(form))
			}
			if form == "" || isASCII(s) {
				return one(String(s)), nil
			}
			return nil, dynErr("FOCH0003", "normalize-unicode(): normalization form %s of non-ASCII text: %v", form, ErrNotImplemented)
		}},
		"translate": {min: 3, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "translate")
			if err != nil {
				return nil, err
			}
			from, err := argString(args[1], "translate")
			if err != nil {
				return nil, err
			}
			to, err := argString(args[2], "translate")
			if err != nil {
				return nil, err
			}
			fr, tr := []rune(from), []rune(to)
			m := make(map[rune]int, len(fr))
			for i, r := range fr {
				if _, seen := m[r]; !seen {
					m[r] = i
				}
			}
			var b strings.Builder
			for _, r := range s {
				i, ok := m[r]
				switch {
				case !ok:
					b.WriteRune(r)
				case i < len(tr):
					b.WriteRune(tr[i])
				}
			}
			return one(String(b.String())), nil
		}},
		"contains":    {min: 2, max: 3, fn: str2(func(a, b string) Item { return Boolean(strings.Contains(a, b)) })},
		"starts-with": {min: 2, max: 3, fn: str2(func(a, b string) Item { return Boolean(strings.HasPrefix(a, b)) })},
		"ends-with":   {min: 2, max: 3, fn: str2(func(a, b string) Item { return Boolean(strings.HasSuffix(a, b)) })},
		"substring-before": {min: 2, max: 3, fn: str2(func(a, b string) Item {
			x, _, found := strings.Cut(a, b)
			if !found {
				return String("")
			}
			return String(x)
		})},
		"substring-after": {min: 2, max: 3, fn: str2(func(a, b string) Item {
			_, x, found := strings.Cut(a, b)
			if !found {
				return String("")
			}
			return String(x)
		})},
		"compare": {min: 2, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) == 0 || len(args[1]) == 0 {
				return nil, nil
			}
			a, err := argString(args[0], "compare")
			if err != nil {
				return nil, err
			}
			b, err := argString(args[1], "compare")
			if err != nil {
				return nil, err
			}
			if err := checkCollation(args, 2, "compare"); err != nil {
				return nil, err
			}
			return one(Integer(strings.Compare(a, b))), nil
		}},
		"codepoint-equal": {min: 2, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) == 0 || len(args[1]) == 0 {
				return nil, nil
			}
			a, err := argString(args[0], "codepoint-equal")
			if err != nil {
				return nil, err
			}
			b, err := argString(args[1], "codepoint-equal")
			if err != nil {
				return nil, err
			}
			return boolSeq(a == b), nil
		}},
		"codepoints-to-string": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			var b strings.Builder
			for _, it := range args[0] {
				i, err := argInteger(Sequence{it}, "codepoints-to-string")
				if err != nil {
					return nil, err
				}
				r := rune(i)
				if int64(r) != i || !isXMLChar(r) {
					return nil, dynErr(codeCodepoint, "codepoints-to-string(): %d is not a valid XML character", i)
				}
				b.WriteRune(r)
			}
			return one(String(b.String())), nil
		}},
		"string-to-codepoints": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "string-to-codepoints")
			if err != nil {
				return nil, err
			}
			var out Sequence
			for _, r := range s {
				out = append(out, Integer(r))
			}
			return out, nil
		}},
		"encode-for-uri":  {min: 1, max: 1, fn: str(func(s string) Item { return String(percentEncode(s, "-_.~")) })},
		"iri-to-uri":      {min: 1, max: 1, fn: str(func(s string) Item { return String(percentEncodeNonASCII(s, " <>\"{}|\\^`")) })},
		"escape-html-uri": {min: 1, max: 1, fn: str(func(s string) Item { return String(percentEncodeNonASCII(s, "")) })},
		"matches": {min: 2, max: 3, prepare: prepareRegex(1, 2), fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "matches")
			if err != nil {
				return nil, err
			}
			re, err := call.regex(args, 1, 2)
			if err != nil {
				return nil, err
			}
			return boolSeq(re.MatchString(s)), nil
		}},
		"replace": {min: 3, max: 4, prepare: prepareRegex(1, 3), fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "replace")
			if err != nil {
				return nil, err
			}
			re, err := call.regex(args, 1, 3)
			if err != nil {
				return nil, err
			}
			if re.MatchString("") {
				return nil, dynErr(codeRegexEmpty, "replace(): the pattern %q matches the empty string", re.String())
			}
			repl, err := argString(args[2], "replace")
			if err != nil {
				return nil, err
			}
			var b strings.Builder
			last := 0
			for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
				b.WriteString(s[last:m[0]])
				x, err := expandReplacement(repl, s, m, re.NumSubexp())
				if err != nil {
					return nil, err
				}
				b.WriteString(x)
				last = m[1]
			}
			b.WriteString(s[last:])
			return one(String(b.String())), nil
		}},
		"tokenize": {min: 1, max: 3, prepare: prepareRegex(1, 2), fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s, err := argString(args[0], "tokenize")
			if err != nil {
				return nil, err
			}
			if len(args) == 1 {
				// XPath 3.0 form: split on whitespace.
				var out Sequence
				for _, f := range strings.Fields(normalizeSpace(s)) {
					out = append(out, String(f))
				}
				return out, nil
			}
			re, err := call.regex(args, 1, 2)
			if err != nil {
				return nil, err
			}
			if re.MatchString("") {
				return nil, dynErr(codeRegexEmpty, "tokenize(): the pattern %q matches the empty string", re.String())
			}
			if s == "" {
				return nil, nil
			}
			var out Sequence
			for _, p := range re.Split(s, -1) {
				out = append(out, String(p))
			}
			return out, nil
		}},

		// --- numbers (F&O §6) ---
		"abs": {min: 1, max: 1, fn: numeric(
			func(i int64) Item {
				if i < 0 {
					return Integer(-i)
				}
				return Integer(i)
			},
			func(r *big.Rat) Item { return Decimal{new(big.Rat).Abs(r)} },
			math.Abs)},
		"ceiling": {min: 1, max: 1, fn: numeric(
			func(i int64) Item { return Integer(i) },
			func(r *big.Rat) Item {
				f := ratFloor(r)
				if !r.IsInt() {
					f.Add(f, big.NewInt(1))
				}
				return Decimal{new(big.Rat).SetInt(f)}
			},
			math.Ceil)},
		"floor": {min: 1, max: 1, fn: numeric(
			func(i int64) Item { return Integer(i) },
			func(r *big.Rat) Item { return Decimal{new(big.Rat).SetInt(ratFloor(r))} },
			math.Floor)},
		"round": {min: 1, max: 1, fn: numeric(
			func(i int64) Item { return Integer(i) },
			func(r *big.Rat) Item {
				h := new(big.Rat).Add(r, big.NewRat(1, 2))
				return Decimal{new(big.Rat).SetInt(ratFloor(h))}
			},
			xpathRound)},
		"round-half-to-even": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			it, ok, err := argNumeric(args[0], "round-half-to-even")
			if err != nil || !ok {
				return nil, err
			}
			prec := int64(0)
			if len(args) > 1 {
				if prec, err = argInteger(args[1], "round-half-to-even"); err != nil {
					return nil, err
				}
			}
			if prec > 30 {
				prec = 30
			}
			if prec < -30 {
				prec = -30
			}
			if i, isInt := it.(Integer); isInt && prec >= 0 {
				return one(i), nil
			}
			f := toFloat(it)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return one(it), nil
			}
			scale := math.Pow(10, float64(prec))
			v := math.RoundToEven(f*scale) / scale
			switch it.(type) {
			case Integer:
				return one(Integer(int64(v))), nil
			case Decimal:
				r, _ := new(big.Rat).SetString(strconv.FormatFloat(v, 'f', -1, 64))
				return one(Decimal{r}), nil
			}
			return one(Double(v)), nil
		}},
		"count": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return one(Integer(len(args[0]))), nil
		}},
		"sum": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) == 0 {
				if len(args) > 1 {
					return args[1], nil
				}
				return one(Integer(0)), nil
			}
			var acc Item
			for _, it := range args[0] {
				v := atomize(it)
				if u, ok := v.(Untyped); ok {
					f, good := parseDouble(trimXML(string(u)))
					if !good {
						return nil, dynErr(codeCast, "sum(): cannot convert %q to xs:double", string(u))
					}
					v = Double(f)
				}
				if !isNumeric(v) {
					if _, isDur := v.(Duration); !isDur {
						return nil, dynErr(codeEBV, "sum(): %s is not a number or duration", describe(v))
					}
				}
				if acc == nil {
					acc = v
					continue
				}
				r, err := arithmetic("+", acc, v)
				if err != nil {
					return nil, dynErr(codeEBV, "sum(): %v", err)
				}
				acc = r
			}
			return one(acc), nil
		}},
		"avg": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) == 0 {
				return nil, nil
			}
			sum, err := fns["sum"].fn(c, call, args)
			if err != nil {
				return nil, err
			}
			r, err := arithmetic("div", sum[0], Integer(len(args[0])))
			if err != nil {
				return nil, err
			}
			return one(r), nil
		}},
		"min": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return minMax(args, "min", false)
		}},
		"max": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return minMax(args, "max", true)
		}},

		// --- sequences (F&O §15) ---
		"empty": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return boolSeq(len(args[0]) == 0), nil
		}},
		"exists": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return boolSeq(len(args[0]) > 0), nil
		}},
		"distinct-values": {min: 1, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if err := checkCollation(args, 1, "distinct-values"); err != nil {
				return nil, err
			}
			seen := make(map[string]bool, len(args[0]))
			var out Sequence
			for _, it := range args[0] {
				v := atomize(it)
				k := distinctKey(v)
				if !seen[k] {
					seen[k] = true
					out = append(out, v)
				}
			}
			return out, nil
		}},
		"index-of": {min: 2, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if err := checkCollation(args, 2, "index-of"); err != nil {
				return nil, err
			}
			search, ok, err := argAtomic(args[1], "index-of")
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, dynErr(codeType, "index-of(): the search value is empty")
			}
			var out Sequence
			for i, it := range args[0] {
				if atomicEq(atomize(it), search) {
					out = append(out, Integer(i+1))
				}
			}
			return out, nil
		}},
		"insert-before": {min: 3, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			pos, err := argInteger(args[1], "insert-before")
			if err != nil {
				return nil, err
			}
			s := args[0]
			if pos < 1 {
				pos = 1
			}
			if pos > int64(len(s)) {
				pos = int64(len(s)) + 1
			}
			if len(s)+len(args[2]) > MaxSequence {
				return nil, dynErr(codeLimit, "sequence longer than %d items", MaxSequence)
			}
			out := make(Sequence, 0, len(s)+len(args[2]))
			out = append(out, s[:pos-1]...)
			out = append(out, args[2]...)
			return append(out, s[pos-1:]...), nil
		}},
		"remove": {min: 2, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			pos, err := argInteger(args[1], "remove")
			if err != nil {
				return nil, err
			}
			s := args[0]
			if pos < 1 || pos > int64(len(s)) {
				return s, nil
			}
			out := make(Sequence, 0, len(s)-1)
			out = append(out, s[:pos-1]...)
			return append(out, s[pos:]...), nil
		}},
		"reverse": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			s := args[0]
			out := make(Sequence, len(s))
			for i, it := range s {
				out[len(s)-1-i] = it
			}
			return out, nil
		}},
		"subsequence": {min: 2, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			start, _, err := argDouble(args[1], "subsequence")
			if err != nil {
				return nil, err
			}
			rs := xpathRound(start)
			re := math.Inf(1)
			if len(args) > 2 {
				l, _, err := argDouble(args[2], "subsequence")
				if err != nil {
					return nil, err
				}
				re = rs + xpathRound(l)
			}
			var out Sequence
			for i, it := range args[0] {
				p := float64(i + 1)
				if p >= rs && p < re {
					out = append(out, it)
				}
			}
			return out, nil
		}},
		// head() and tail() are XPath 3.0, supported by Saxon.
		"head": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) == 0 {
				return nil, nil
			}
			return args[0][:1:1], nil
		}},
		"tail": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) <= 1 {
				return nil, nil
			}
			return args[0][1:], nil
		}},
		"unordered": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			return args[0], nil
		}},
		"zero-or-one": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) > 1 {
				return nil, dynErr(codeCard0, "zero-or-one(): %d items", len(args[0]))
			}
			return args[0], nil
		}},
		"one-or-more": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) == 0 {
				return nil, dynErr(codeCard1, "one-or-more(): empty sequence")
			}
			return args[0], nil
		}},
		"exactly-one": {min: 1, max: 1, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if len(args[0]) != 1 {
				return nil, dynErr(codeCard2, "exactly-one(): %d items", len(args[0]))
			}
			return args[0], nil
		}},
		"deep-equal": {min: 2, max: 3, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			if err := checkCollation(args, 2, "deep-equal"); err != nil {
				return nil, err
			}
			return boolSeq(deepEqual(args[0], args[1])), nil
		}},

		// --- dates, times and durations (F&O §10) ---
		"current-dateTime": {fn: func(c *evalCtx, _ *funcCall, _ []Sequence) (Sequence, error) {
			return one(DateTime{T: c.currentTime(), HasTZ: true}), nil
		}},
		"current-date": {fn: func(c *evalCtx, _ *funcCall, _ []Sequence) (Sequence, error) {
			t := c.currentTime()
			y, m, d := t.Date()
			return one(Date{T: time.Date(y, m, d, 0, 0, 0, 0, t.Location()), HasTZ: true}), nil
		}},
		"current-time": {fn: func(c *evalCtx, _ *funcCall, _ []Sequence) (Sequence, error) {
			t := c.currentTime()
			return one(Time{T: time.Date(1972, 12, 31, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()), HasTZ: true}), nil
		}},
		"implicit-timezone": {fn: func(*evalCtx, *funcCall, []Sequence) (Sequence, error) {
			return one(Duration{kind: dayTime}), nil
		}},
		"dateTime": {min: 2, max: 2, fn: func(c *evalCtx, call *funcCall, args []Sequence) (Sequence, error) {
			a, ok1, err := argAtomic(args[0], "dateTime")
			if err != nil {
				return nil, err
			}
			b, ok2, err := argAtomic(args[1], "dateTime")
			if err != nil || !ok1 || !ok2 {
				return nil, err
			}
			if u, isU := a.(Untyped); isU {
				if a, err = castAtomic(u, atomicTypes["xs:date"]); err != nil {
					return nil, err
				}
			}
			if u, isU := b.(Untyped); isU {
				if b, err = castAtomic(u, atomicTypes["xs:time"]); err != nil {
					return nil, err
				}
			}
			d, okd := a.(Date)
			t, okt := b.(Time)
			if !okd || !okt {
				return nil, dynErr(codeType, "dateTime(): expects an xs:date and an xs:time")
			}
			loc, has := d.T.Location(), d.HasTZ
			if t.HasTZ {
				if d.HasTZ {
					_, o1 := d.T.Zone()
					_, o2 := t.T.Zone()
					if o1 != o2 {
						return nil, dynErr("FORG0008", "dateTime(): the date and time have different timezones")
					}
				}
				loc, has = t.T.Location(), true
			}
			y, m, dd := d.T.Date()
			return one(DateTime{T: time.Date(y, m, dd, t.T.Hour(), t.T.Minute(), t.T.Second(), t.T.Nanosecond(), loc), HasTZ: has}), nil
		}},
	}
	for _, kind := range []string{"dateTime", "date", "time"} {
		get := timeOf("", kind)
		suffix := "-from-" + kind
		if kind != "time" {
			fns["year"+suffix] = dtPart("year"+suffix, func(it Item) (Sequence, error) {
				t, _, err := get(it)
				return one(Integer(t.Year())), err
			})
			fns["month"+suffix] = dtPart("month"+suffix, func(it Item) (Sequence, error) {
				t, _, err := get(it)
				return one(Integer(t.Month())), err
			})
			fns["day"+suffix] = dtPart("day"+suffix, func(it Item) (Sequence, error) {
				t, _, err := get(it)
				return one(Integer(t.Day())), err
			})
		}
		if kind != "date" {
			fns["hours"+suffix] = dtPart("hours"+suffix, func(it Item) (Sequence, error) {
				t, _, err := get(it)
				return one(Integer(t.Hour())), err
			})
			fns["minutes"+suffix] = dtPart("minutes"+suffix, func(it Item) (Sequence, error) {
				t, _, err := get(it)
				return one(Integer(t.Minute())), err
			})
			fns["seconds"+suffix] = dtPart("seconds"+suffix, func(it Item) (Sequence, error) {
				t, _, err := get(it)
				return one(secondsOf(t)), err
			})
		}
		fns["timezone"+suffix] = dtPart("timezone"+suffix, func(it Item) (Sequence, error) {
			t, has, err := get(it)
			if err != nil {
				return nil, err
			}
			return tzOf(t, has), nil
		})
	}
	durPart := func(name string, f func(d Duration) Item) {
		fns[name+"-from-duration"] = dtPart(name+"-from-duration", func(it Item) (Sequence, error) {
			d, ok := it.(Duration)
			if !ok {
				return nil, wrongType(name+"-from-duration", it)
			}
			return one(f(d)), nil
		})
	}
	durPart("years", func(d Duration) Item { return Integer(d.Months / 12) })
	durPart("months", func(d Duration) Item { return Integer(d.Months % 12) })
	durPart("days", func(d Duration) Item { return Integer(d.Nanos / int64(24*time.Hour)) })
	durPart("hours", func(d Duration) Item { return Integer(d.Nanos % int64(24*time.Hour) / int64(time.Hour)) })
	durPart("minutes", func(d Duration) Item { return Integer(d.Nanos % int64(time.Hour) / int64(time.Minute)) })
	durPart("seconds", func(d Duration) Item {
		return Decimal{new(big.Rat).SetFrac64(d.Nanos%int64(time.Minute), int64(time.Second))}
	})
	return fns
}

// upperFull applies the full (one-to-many) upper-case mappings of Unicode
// SpecialCasing.txt that strings.ToUpper, which maps one rune to one rune,
// leaves unchanged.
var upperFull = strings.NewReplacer("ß", "SS", "ﬀ", "FF", "ﬁ", "FI", "ﬂ", "FL", "ﬃ", "FFI", "ﬄ", "FFL", "ﬅ", "ST", "ﬆ", "ST", "ŉ", "ʼN")

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// percentEncode escapes every byte except unreserved ASCII letters, digits
// and the characters in keep (encode-for-uri, F&O §7.4.10).
func percentEncode(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// percentEncodeNonASCII escapes bytes outside printable ASCII and the
// characters in extra (iri-to-uri, escape-html-uri).
func percentEncodeNonASCII(s, extra string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7F || strings.IndexByte(extra, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

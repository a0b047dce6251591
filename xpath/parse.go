package xpath

import (
	"math/big"
	"strconv"
	"strings"
)

// Namespace URIs with predefined prefixes (XPath 2.0 §C.1).
const (
	nsXS  = "http://www.w3.org/2001/XMLSchema"
	nsFN  = "http://www.w3.org/2005/xpath-functions"
	nsXSI = "http://www.w3.org/2001/XMLSchema-instance"
	nsXML = "http://www.w3.org/XML/1998/namespace"
)

// parser is a recursive-descent parser for the grammar of XPath 2.0 §A.1.
type parser struct {
	src   string
	toks  []token
	p     int
	depth int
	ns    map[string]string
	// variables: in-scope names → slot; external variables get slots on
	// first use.
	scope   []scopeVar
	extOK   map[string]bool
	extVars []string
	slots   int
}

type scopeVar struct {
	name string
	slot int
}

// Compile parses src against the static context sc (nil means no namespaces
// and no variables). A failure is an *Error with Static set and the code of
// the problem (XPST0003 syntax, XPST0081 unknown prefix, XPST0008 unknown
// variable, XPST0017 unknown function or wrong number of arguments, XPST0051
// unknown type, FORX0002 bad regular expression, FORX0001 bad flags...).
func Compile(src string, sc *StaticContext) (*Expr, error) {
	if len(src) > MaxLength {
		return nil, staticErr(codeSyntax, 0, "expression longer than %d bytes", MaxLength)
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, ns: map[string]string{"xs": nsXS, "fn": nsFN, "xsi": nsXSI, "xml": nsXML}, extOK: map[string]bool{}}
	if sc != nil {
		for k, v := range sc.Namespaces {
			p.ns[k] = v
		}
		for _, v := range sc.Variables {
			p.extOK[v] = true
		}
	}
	if toks[0].kind == tEOF {
		return nil, staticErr(codeSyntax, 0, "empty expression")
	}
	root, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s", t.describe())
	}
	return &Expr{src: src, root: optimize(root), slots: p.slots, extVars: p.extVars}, nil
}

// MustCompile is like Compile but panics on error; for expressions fixed in
// the program text.
func MustCompile(src string, sc *StaticContext) *Expr {
	e, err := Compile(src, sc)
	if err != nil {
		panic(err)
	}
	return e
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string literal " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

func (p *parser) peek() token { return p.toks[p.p] }
func (p *parser) peekAt(k int) token {
	if p.p+k < len(p.toks) {
		return p.toks[p.p+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.p]
	if t.kind != tEOF {
		p.p++
	}
	return t
}

func (p *parser) isSym(s string) bool {
	t := p.peek()
	return t.kind == tSym && t.text == s
}

func (p *parser) isName(s string) bool {
	t := p.peek()
	return t.kind == tName && t.text == s
}

func (p *parser) accept(s string) bool {
	if p.isSym(s) {
		p.p++
		return true
	}
	return false
}

func (p *parser) expect(s string) error {
	if !p.accept(s) {
		t := p.peek()
		return p.errorf(t, "expected %q, found %s", s, t.describe())
	}
	return nil
}

func (p *parser) expectName(s string) error {
	if !p.isName(s) {
		t := p.peek()
		return p.errorf(t, "expected %q, found %s", s, t.describe())
	}
	p.p++
	return nil
}

func (p *parser) errorf(t token, format string, args ...any) *Error {
	return staticErr(codeSyntax, t.pos, format, args...)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return staticErr(codeSyntax, p.peek().pos, "expression nested deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// Expr ::= ExprSingle ("," ExprSingle)*
func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	first, err := p.parseExprSingle()
	if err != nil {
		return nil, err
	}
	if !p.isSym(",") {
		return first, nil
	}
	items := []expr{first}
	for p.accept(",") {
		e, err := p.parseExprSingle()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return &seqExpr{items: items}, nil
}

// ExprSingle ::= ForExpr | QuantifiedExpr | IfExpr | OrExpr
func (p *parser) parseExprSingle() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.peek()
	if t.kind == tName {
		nt := p.peekAt(1)
		switch {
		case (t.text == "for" || t.text == "some" || t.text == "every") && nt.kind == tSym && nt.text == "$":
			return p.parseBinding(t.text)
		case t.text == "if" && nt.kind == tSym && nt.text == "(":
			return p.parseIf()
		}
	}
	return p.parseOr()
}

// ForExpr and QuantifiedExpr; several bindings nest.
func (p *parser) parseBinding(kw string) (expr, error) {
	p.next()
	type bind struct {
		slot int
		in   expr
	}
	var binds []bind
	pushed := 0
	defer func() { p.scope = p.scope[:len(p.scope)-pushed] }()
	for {
		if err := p.expect("$"); err != nil {
			return nil, err
		}
		nt := p.next()
		if nt.kind != tName || strings.Contains(nt.text, "*") {
			return nil, p.errorf(nt, "expected a variable name, found %s", nt.describe())
		}
		if err := p.expectName("in"); err != nil {
			return nil, err
		}
		in, err := p.parseExprSingle()
		if err != nil {
			return nil, err
		}
		slot := p.slots
		p.slots++
		p.scope = append(p.scope, scopeVar{name: nt.text, slot: slot})
		pushed++
		binds = append(binds, bind{slot, in})
		if !p.accept(",") {
			break
		}
	}
	want := "return"
	if kw != "for" {
		want = "satisfies"
	}
	if err := p.expectName(want); err != nil {
		return nil, err
	}
	body, err := p.parseExprSingle()
	if err != nil {
		return nil, err
	}
	for i := len(binds) - 1; i >= 0; i-- {
		if kw == "for" {
			body = &forExpr{slot: binds[i].slot, in: binds[i].in, ret: body}
		} else {
			body = &quantExpr{every: kw == "every", slot: binds[i].slot, in: binds[i].in, sat: body}
		}
	}
	return body, nil
}

func (p *parser) parseIf() (expr, error) {
	p.next()
	if err := p.expect("("); err != nil {
		return nil, err
	}
	cond, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if err := p.expectName("then"); err != nil {
		return nil, err
	}
	th, err := p.parseExprSingle()
	if err != nil {
		return nil, err
	}
	if err := p.expectName("else"); err != nil {
		return nil, err
	}
	el, err := p.parseExprSingle()
	if err != nil {
		return nil, err
	}
	return &ifExpr{cond: cond, then: th, els: el}, nil
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isName("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &logicExpr{or: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseComparison()
	if err != nil {
		return nil, err
	}
	for p.isName("and") {
		p.next()
		r, err := p.parseComparison()
		if err != nil {
			return nil, err
		}
		l = &logicExpr{l: l, r: r}
	}
	return l, nil
}

var valueOps = map[string]cmpOp{"eq": opEq, "ne": opNe, "lt": opLt, "le": opLe, "gt": opGt, "ge": opGe}
var generalOps = map[string]cmpOp{"=": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe}

func (p *parser) parseComparison() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	l, err := p.parseRange()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tSym && generalOps[t.text] != 0:
		p.next()
		r, err := p.parseRange()
		if err != nil {
			return nil, err
		}
		return &generalCmp{op: generalOps[t.text], l: l, r: r}, nil
	case t.kind == tName && valueOps[t.text] != 0:
		p.next()
		r, err := p.parseRange()
		if err != nil {
			return nil, err
		}
		return &valueCmp{op: valueOps[t.text], l: l, r: r}, nil
	case t.kind == tSym && (t.text == "<<" || t.text == ">>") || t.kind == tName && t.text == "is":
		p.next()
		r, err := p.parseRange()
		if err != nil {
			return nil, err
		}
		return &nodeCmp{op: t.text, l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) parseRange() (expr, error) {
	l, err := p.parseAdditive()
	if err != nil {
		return nil, err
	}
	if p.isName("to") {
		p.next()
		r, err := p.parseAdditive()
		if err != nil {
			return nil, err
		}
		return &rangeExpr{l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) parseAdditive() (expr, error) {
	l, err := p.parseMultiplicative()
	if err != nil {
		return nil, err
	}
	for p.isSym("+") || p.isSym("-") {
		op := p.next().text
		r, err := p.parseMultiplicative()
		if err != nil {
			return nil, err
		}
		l = &arithExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseMultiplicative() (expr, error) {
	l, err := p.parseUnion()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		var op string
		switch {
		case t.kind == tStar:
			op = "*"
		case t.kind == tName && (t.text == "div" || t.text == "idiv" || t.text == "mod"):
			op = t.text
		default:
			return l, nil
		}
		p.next()
		r, err := p.parseUnion()
		if err != nil {
			return nil, err
		}
		l = &arithExpr{op: op, l: l, r: r}
	}
}

func (p *parser) parseUnion() (expr, error) {
	l, err := p.parseIntersect()
	if err != nil {
		return nil, err
	}
	for p.isSym("|") || p.isName("union") {
		p.next()
		r, err := p.parseIntersect()
		if err != nil {
			return nil, err
		}
		l = &setExpr{op: "union", l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseIntersect() (expr, error) {
	l, err := p.parseInstanceOf()
	if err != nil {
		return nil, err
	}
	for p.isName("intersect") || p.isName("except") {
		op := p.next().text
		r, err := p.parseInstanceOf()
		if err != nil {
			return nil, err
		}
		l = &setExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseInstanceOf() (expr, error) {
	l, err := p.parseTreat()
	if err != nil {
		return nil, err
	}
	if p.isName("instance") && p.peekAt(1).kind == tName && p.peekAt(1).text == "of" {
		p.next()
		p.next()
		st, err := p.parseSequenceType()
		if err != nil {
			return nil, err
		}
		return &instanceExpr{e: l, st: st}, nil
	}
	return l, nil
}

func (p *parser) parseTreat() (expr, error) {
	l, err := p.parseCastable()
	if err != nil {
		return nil, err
	}
	if p.isName("treat") && p.peekAt(1).kind == tName && p.peekAt(1).text == "as" {
		p.next()
		p.next()
		st, err := p.parseSequenceType()
		if err != nil {
			return nil, err
		}
		return &treatExpr{e: l, st: st}, nil
	}
	return l, nil
}

func (p *parser) parseCastable() (expr, error) {
	l, err := p.parseCast()
	if err != nil {
		return nil, err
	}
	if p.isName("castable") && p.peekAt(1).kind == tName && p.peekAt(1).text == "as" {
		p.next()
		p.next()
		at, opt, err := p.parseSingleType()
		if err != nil {
			return nil, err
		}
		return &castExpr{e: l, to: at, optional: opt, castable: true}, nil
	}
	return l, nil
}

func (p *parser) parseCast() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if p.isName("cast") && p.peekAt(1).kind == tName && p.peekAt(1).text == "as" {
		p.next()
		p.next()
		at, opt, err := p.parseSingleType()
		if err != nil {
			return nil, err
		}
		return &castExpr{e: l, to: at, optional: opt}, nil
	}
	return l, nil
}

func (p *parser) parseUnary() (expr, error) {
	neg := false
	signs := 0
	for p.isSym("-") || p.isSym("+") {
		if p.next().text == "-" {
			neg = !neg
		}
		signs++
		if signs > MaxDepth {
			return nil, staticErr(codeSyntax, p.peek().pos, "too many unary signs")
		}
	}
	e, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	if signs > 0 {
		return &unaryExpr{neg: neg, e: e}, nil
	}
	return e, nil
}

// SingleType ::= AtomicType "?"?
func (p *parser) parseSingleType() (*atomicType, bool, error) {
	t := p.next()
	if t.kind != tName {
		return nil, false, p.errorf(t, "expected a type name, found %s", t.describe())
	}
	at, err := p.resolveType(t)
	if err != nil {
		return nil, false, err
	}
	if at.name == "xs:anyAtomicType" || at.name == "xs:NOTATION" {
		return nil, false, staticErr(codeCastTarget, t.pos, "cannot cast to %s", at.name)
	}
	opt := p.accept("?")
	return at, opt, nil
}

func (p *parser) resolveType(t token) (*atomicType, error) {
	prefix, local, ok := strings.Cut(t.text, ":")
	if !ok {
		return nil, staticErr(codeUnknownType, t.pos, "unknown type %s (atomic types are in the xs namespace)", t.text)
	}
	if p.ns[prefix] != nsXS {
		if _, known := p.ns[prefix]; !known {
			return nil, staticErr(codeNSPrefix, t.pos, "undeclared namespace prefix %q", prefix)
		}
		return nil, staticErr(codeUnknownType, t.pos, "unknown type %s", t.text)
	}
	at := atomicTypes["xs:"+local]
	if at == nil {
		return nil, staticErr(codeUnknownType, t.pos, "type xs:%s is not supported", local)
	}
	return at, nil
}

// SequenceType ::= ("empty-sequence" "(" ")") | (ItemType OccurrenceIndicator?)
func (p *parser) parseSequenceType() (*seqType, error) {
	t := p.peek()
	if t.kind == tName && t.text == "empty-sequence" && p.peekAt(1).text == "(" {
		p.next()
		p.next()
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return &seqType{empty: true}, nil
	}
	st := &seqType{}
	switch {
	case t.kind == tName && t.text == "item" && p.peekAt(1).text == "(":
		p.next()
		p.next()
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		st.anyItem = true
	case t.kind == tName && p.peekAt(1).kind == tSym && p.peekAt(1).text == "(" && kindTestNames[t.text]:
		kt, err := p.parseKindTest()
		if err != nil {
			return nil, err
		}
		st.node = kt
	case t.kind == tName:
		p.next()
		at, err := p.resolveType(t)
		if err != nil {
			return nil, err
		}
		st.atomic = at
	default:
		return nil, p.errorf(t, "expected a sequence type, found %s", t.describe())
	}
	switch {
	case p.isSym("?"):
		p.next()
		st.occ = '?'
	case p.peek().kind == tStar:
		p.next()
		st.occ = '*'
	case p.isSym("+"):
		p.next()
		st.occ = '+'
	}
	return st, nil
}

var kindTestNames = map[string]bool{
	"node": true, "text": true, "comment": true, "processing-instruction": true, "element": true,
	"attribute": true, "document-node": true, "schema-element": true, "schema-attribute": true,
}

// reserved function names (XPath 2.0 §A.3).
var reservedNames = map[string]bool{
	"attribute": true, "comment": true, "document-node": true, "element": true, "empty-sequence": true,
	"if": true, "item": true, "node": true, "processing-instruction": true, "schema-attribute": true,
	"schema-element": true, "text": true, "typeswitch": true,
}

// parseKindTest parses node(), text(), element(…) etc.
func (p *parser) parseKindTest() (*nodeTest, error) {
	t := p.next()
	p.next() // (
	nt := &nodeTest{anyName: true}
	switch t.text {
	case "node":
	case "text":
		nt.kind = TextNode
	case "comment":
		nt.kind = CommentNode
	case "processing-instruction":
		nt.kind = ProcessingInstructionNode
		a := p.peek()
		if a.kind == tName || a.kind == tString {
			p.next()
			nt.anyName = false
			nt.anySpace = true
			nt.local = strings.TrimSpace(a.text)
		}
	case "element", "attribute":
		nt.kind = ElementNode
		if t.text == "attribute" {
			nt.kind = AttributeNode
		}
		a := p.peek()
		switch a.kind {
		case tStar:
			p.next()
		case tName:
			p.next()
			if err := p.resolveName(a, nt, t.text == "element"); err != nil {
				return nil, err
			}
		}
		if p.accept(",") {
			// The type annotation: every node here is untyped, so only the
			// types an untyped node has are allowed to match.
			tn := p.next()
			if tn.kind != tName {
				return nil, p.errorf(tn, "expected a type name, found %s", tn.describe())
			}
			prefix, local, _ := strings.Cut(tn.text, ":")
			if p.ns[prefix] != nsXS {
				return nil, staticErr(codeUnknownType, tn.pos, "unknown type %s", tn.text)
			}
			nt.typed = local
			p.accept("?")
		}
	case "document-node":
		nt.kind = DocumentNode
		if p.isName("element") && p.peekAt(1).text == "(" {
			inner, err := p.parseKindTest()
			if err != nil {
				return nil, err
			}
			nt.docElem = inner
		}
	default:
		return nil, staticErr(codeUnknownFn, t.pos, "%s() is not supported (no schema-aware processing): %v", t.text, ErrNotImplemented)
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return nt, nil
}

// resolveName fills the name part of a node test from a QName or wildcard
// token. Unprefixed names are in no namespace (there is no default element
// namespace in Schematron's XSLT binding).
func (p *parser) resolveName(t token, nt *nodeTest, element bool) error {
	nt.anyName = false
	text := t.text
	switch {
	case strings.HasPrefix(text, "*:"):
		nt.anySpace = true
		nt.local = text[2:]
	case strings.HasSuffix(text, ":*"):
		prefix := text[:len(text)-2]
		uri, ok := p.ns[prefix]
		if !ok {
			return staticErr(codeNSPrefix, t.pos, "undeclared namespace prefix %q", prefix)
		}
		nt.space = uri
		nt.anyLocal = true
	default:
		prefix, local, ok := strings.Cut(text, ":")
		if !ok {
			nt.local = text
			return nil
		}
		uri, ok := p.ns[prefix]
		if !ok {
			return staticErr(codeNSPrefix, t.pos, "undeclared namespace prefix %q", prefix)
		}
		nt.space = uri
		nt.local = local
	}
	return nil
}

// PathExpr ::= ("/" RelativePathExpr?) | ("//" RelativePathExpr) | RelativePathExpr
func (p *parser) parsePath() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	path := &pathExpr{}
	switch {
	case p.isSym("/"):
		p.next()
		path.absolute = true
		if !p.startsStep() {
			return path, nil
		}
	case p.isSym("//"):
		p.next()
		path.absolute = true
		path.steps = append(path.steps, descOrSelfStep())
	}
	if err := p.parseRelative(path); err != nil {
		return nil, err
	}
	if !path.absolute && len(path.steps) == 1 {
		if f, ok := path.steps[0].(*filterExpr); ok && len(f.preds) == 0 {
			return f.primary, nil
		}
		if _, ok := path.steps[0].(*filterExpr); ok {
			return path.steps[0], nil
		}
	}
	return path, nil
}

func descOrSelfStep() *axisStep {
	return &axisStep{axis: axisDescendantOrSelf, test: &nodeTest{anyName: true}}
}

// startsStep reports whether the next token can begin a relative path (for
// the leading-lone-slash rule, XPath 2.0 §A.2.1.2).
func (p *parser) startsStep() bool {
	t := p.peek()
	switch t.kind {
	case tName, tStar, tString, tInteger, tDecimal, tDouble:
		return true
	case tSym:
		switch t.text {
		case "@", ".", "..", "$", "(":
			return true
		}
	}
	return false
}

func (p *parser) parseRelative(path *pathExpr) error {
	for {
		s, err := p.parseStep()
		if err != nil {
			return err
		}
		path.steps = append(path.steps, s)
		switch {
		case p.accept("/"):
		case p.accept("//"):
			path.steps = append(path.steps, descOrSelfStep())
		default:
			return nil
		}
		if len(path.steps) > 4*MaxDepth {
			return staticErr(codeSyntax, p.peek().pos, "path with too many steps")
		}
	}
}

var axes = map[string]axis{
	"child": axisChild, "descendant": axisDescendant, "attribute": axisAttribute, "self": axisSelf,
	"descendant-or-self": axisDescendantOrSelf, "following-sibling": axisFollowingSibling, "following": axisFollowing,
	"parent": axisParent, "ancestor": axisAncestor, "preceding-sibling": axisPrecedingSibling,
	"preceding": axisPreceding, "ancestor-or-self": axisAncestorOrSelf,
}

// StepExpr ::= FilterExpr | AxisStep
func (p *parser) parseStep() (expr, error) {
	t := p.peek()
	var step *axisStep
	switch {
	case t.kind == tSym && t.text == "..":
		p.next()
		step = &axisStep{axis: axisParent, test: &nodeTest{anyName: true}}
	case t.kind == tSym && t.text == "@":
		p.next()
		nt, err := p.parseNodeTest(axisAttribute)
		if err != nil {
			return nil, err
		}
		step = &axisStep{axis: axisAttribute, test: nt}
	case t.kind == tName && p.peekAt(1).kind == tSym && p.peekAt(1).text == "::":
		ax, ok := axes[t.text]
		if !ok {
			if t.text == "namespace" {
				return nil, staticErr(codeAxis, t.pos, "the namespace axis is not supported")
			}
			return nil, p.errorf(t, "unknown axis %q", t.text)
		}
		p.next()
		p.next()
		nt, err := p.parseNodeTest(ax)
		if err != nil {
			return nil, err
		}
		step = &axisStep{axis: ax, test: nt}
	case t.kind == tStar:
		p.next()
		step = &axisStep{axis: axisChild, test: &nodeTest{kind: ElementNode, anySpace: true, anyLocal: true}}
	case t.kind == tName && !(p.peekAt(1).kind == tSym && p.peekAt(1).text == "(") ||
		t.kind == tName && kindTestNames[t.text] && p.peekAt(1).text == "(":
		nt, err := p.parseNodeTest(axisChild)
		if err != nil {
			return nil, err
		}
		ax := axisChild
		if nt.kind == AttributeNode {
			ax = axisAttribute // attribute() as an abbreviated step (§3.2.4)
		}
		step = &axisStep{axis: ax, test: nt}
	}
	if step != nil {
		preds, err := p.parsePredicates()
		if err != nil {
			return nil, err
		}
		step.preds = preds
		return step, nil
	}
	prim, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	preds, err := p.parsePredicates()
	if err != nil {
		return nil, err
	}
	return &filterExpr{primary: prim, preds: preds}, nil
}

func (p *parser) parseNodeTest(ax axis) (*nodeTest, error) {
	t := p.peek()
	if t.kind == tName && kindTestNames[t.text] && p.peekAt(1).kind == tSym && p.peekAt(1).text == "(" {
		return p.parseKindTest()
	}
	principal := ElementNode
	if ax == axisAttribute {
		principal = AttributeNode
	}
	switch t.kind {
	case tStar:
		p.next()
		return &nodeTest{kind: principal, anySpace: true, anyLocal: true}, nil
	case tName:
		p.next()
		nt := &nodeTest{kind: principal}
		if err := p.resolveName(t, nt, principal == ElementNode); err != nil {
			return nil, err
		}
		return nt, nil
	}
	return nil, p.errorf(t, "expected a node test, found %s", t.describe())
}

func (p *parser) parsePredicates() ([]expr, error) {
	var preds []expr
	for p.accept("[") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		e, err := p.parseExpr()
		p.leave()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		preds = append(preds, e)
	}
	return preds, nil
}

// PrimaryExpr ::= Literal | VarRef | ParenthesizedExpr | ContextItemExpr | FunctionCall
func (p *parser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return &literal{v: Sequence{String(t.text)}}, nil
	case tInteger:
		v, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			// Beyond 64 bits: an implementation limit (FOAR0002 at compile time).
			return nil, staticErr(codeOverflow, t.pos, "integer literal %s out of range", t.text)
		}
		return &literal{v: Sequence{Integer(v)}}, nil
	case tDecimal:
		r, ok := new(big.Rat).SetString(t.text)
		if !ok {
			return nil, p.errorf(t, "bad decimal literal %q", t.text)
		}
		return &literal{v: Sequence{Decimal{r}}}, nil
	case tDouble:
		f, ok := parseDouble(t.text)
		if !ok {
			return nil, p.errorf(t, "bad double literal %q", t.text)
		}
		return &literal{v: Sequence{Double(f)}}, nil
	case tSym:
		switch t.text {
		case "$":
			nt := p.next()
			if nt.kind != tName || strings.Contains(nt.text, "*") {
				return nil, p.errorf(nt, "expected a variable name after $, found %s", nt.describe())
			}
			return p.varRef(nt)
		case "(":
			if p.accept(")") {
				return &literal{v: nil}, nil
			}
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return e, nil
		case ".":
			return &contextItem{}, nil
		}
	case tName:
		if p.isSym("(") && !reservedNames[t.text] {
			p.next()
			return p.parseCall(t)
		}
	}
	return nil, p.errorf(t, "unexpected %s", t.describe())
}

func (p *parser) varRef(t token) (expr, error) {
	name := t.text
	for i := len(p.scope) - 1; i >= 0; i-- {
		if p.scope[i].name == name {
			return &varRef{name: name, slot: p.scope[i].slot}, nil
		}
	}
	if !p.extOK[name] {
		return nil, staticErr(codeUndefVar, t.pos, "variable $%s is not declared", name)
	}
	for i, v := range p.extVars {
		if v == name {
			return &varRef{name: name, slot: i, external: true}, nil
		}
	}
	p.extVars = append(p.extVars, name)
	return &varRef{name: name, slot: len(p.extVars) - 1, external: true}, nil
}

func (p *parser) parseCall(t token) (expr, error) {
	var args []expr
	if !p.accept(")") {
		for {
			if err := p.enter(); err != nil {
				return nil, err
			}
			a, err := p.parseExprSingle()
			p.leave()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.accept(")") {
				break
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	prefix, local, hasPrefix := strings.Cut(t.text, ":")
	if !hasPrefix {
		local, prefix = prefix, ""
	}
	space := nsFN
	if hasPrefix {
		uri, ok := p.ns[prefix]
		if !ok {
			return nil, staticErr(codeNSPrefix, t.pos, "undeclared namespace prefix %q", prefix)
		}
		space = uri
	}
	switch space {
	case nsXS:
		at := atomicTypes["xs:"+local]
		if at == nil || at.name == "xs:anyAtomicType" {
			return nil, staticErr(codeUnknownFn, t.pos, "unknown constructor function xs:%s", local)
		}
		if len(args) != 1 {
			return nil, staticErr(codeUnknownFn, t.pos, "xs:%s takes one argument, not %d", local, len(args))
		}
		return &castExpr{e: args[0], to: at, optional: true}, nil
	case nsFN:
		def := functions[local]
		if def == nil {
			return nil, staticErr(codeUnknownFn, t.pos, "unknown function %s()", t.text)
		}
		if len(args) < def.min || def.max >= 0 && len(args) > def.max {
			return nil, staticErr(codeUnknownFn, t.pos, "%s() does not take %d arguments", local, len(args))
		}
		call := &funcCall{def: def, name: local, args: args}
		if def.prepare != nil {
			if err := def.prepare(call); err != nil {
				if e, ok := err.(*Error); ok {
					e.Static = true
					e.Pos = t.pos
				}
				return nil, err
			}
		}
		return call, nil
	}
	return nil, staticErr(codeUnknownFn, t.pos, "unknown function %s() in namespace %s", t.text, space)
}

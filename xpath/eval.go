package xpath

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// MaxWork bounds the work of one evaluation, counted in visited nodes,
// loop iterations and predicate evaluations. Exceeding it is the dynamic
// error XPDY0130; no rule of the official files comes near it.
const MaxWork = 10_000_000

// evalCtx is the dynamic state of one evaluation.
type evalCtx struct {
	item      Item
	pos, size int
	current   Item       // the context item of the whole expression (XSLT current())
	vars      []Sequence // range variables of for/some/every
	ext       []Sequence // external variables, by Expr.extVars index
	pending   []bool     // ext[i] is still to be obtained from lookup
	lookup    func(name string) (Sequence, error)
	nowFn     func() time.Time
	now       time.Time
	hasNow    bool
	cancel    <-chan struct{}
	work      int
}

// tick counts n units of work and polls for cancellation.
func (c *evalCtx) tick(n int) error {
	c.work += n
	if c.work > MaxWork {
		return dynErr(codeLimit, "evaluation exceeded %d steps", MaxWork)
	}
	if c.cancel != nil && c.work&0x3ff < n {
		select {
		case <-c.cancel:
			return dynErr(codeLimit, "evaluation cancelled")
		default:
		}
	}
	return nil
}

func (c *evalCtx) currentTime() time.Time {
	if !c.hasNow {
		if c.nowFn != nil {
			c.now = c.nowFn()
		} else {
			c.now = time.Now()
		}
		c.hasNow = true
	}
	return c.now
}

func (c *evalCtx) contextNode() (*nodeRec, error) {
	switch v := c.item.(type) {
	case nil:
		return nil, dynErr(codeCtxAbsent, "the context item is absent")
	case Node:
		if v.r == nil {
			return nil, dynErr(codeCtxAbsent, "the context item is absent")
		}
		return v.r, nil
	}
	return nil, dynErr("XPTY0020", "the context item %s is not a node", describe(c.item))
}

// --- primary expressions ---

type literal struct{ v Sequence }

func (e *literal) eval(*evalCtx) (Sequence, error) { return e.v, nil }

type contextItem struct{}

func (contextItem) eval(c *evalCtx) (Sequence, error) {
	if c.item == nil {
		return nil, dynErr(codeCtxAbsent, "the context item is absent")
	}
	return Sequence{c.item}, nil
}

type varRef struct {
	name     string
	slot     int
	external bool
}

func (e *varRef) eval(c *evalCtx) (Sequence, error) {
	if e.external {
		if c.pending != nil && c.pending[e.slot] {
			v, err := c.lookup(e.name)
			if err != nil {
				var xe *Error
				if errors.As(err, &xe) {
					return nil, err
				}
				return nil, &Error{Code: codeCtxAbsent, Pos: -1, Message: fmt.Sprintf("variable $%s: %v", e.name, err), Err: err}
			}
			c.ext[e.slot], c.pending[e.slot] = v, false
		}
		return c.ext[e.slot], nil
	}
	return c.vars[e.slot], nil
}

type seqExpr struct{ items []expr }

func (e *seqExpr) eval(c *evalCtx) (Sequence, error) {
	var out Sequence
	for _, it := range e.items {
		v, err := it.eval(c)
		if err != nil {
			return nil, err
		}
		if len(out)+len(v) > MaxSequence {
			return nil, dynErr(codeLimit, "sequence longer than %d items", MaxSequence)
		}
		out = append(out, v...)
	}
	return out, nil
}

// --- control ---

type ifExpr struct{ cond, then, els expr }

func (e *ifExpr) eval(c *evalCtx) (Sequence, error) {
	v, err := e.cond.eval(c)
	if err != nil {
		return nil, err
	}
	b, err := ebv(v)
	if err != nil {
		return nil, err
	}
	if b {
		return e.then.eval(c)
	}
	return e.els.eval(c)
}

type forExpr struct {
	slot    int
	in, ret expr
}

func (e *forExpr) eval(c *evalCtx) (Sequence, error) {
	in, err := e.in.eval(c)
	if err != nil {
		return nil, err
	}
	var out Sequence
	saved := c.vars[e.slot]
	defer func() { c.vars[e.slot] = saved }()
	for _, it := range in {
		if err := c.tick(1); err != nil {
			return nil, err
		}
		c.vars[e.slot] = Sequence{it}
		v, err := e.ret.eval(c)
		if err != nil {
			return nil, err
		}
		if len(out)+len(v) > MaxSequence {
			return nil, dynErr(codeLimit, "sequence longer than %d items", MaxSequence)
		}
		out = append(out, v...)
	}
	return out, nil
}

type quantExpr struct {
	every   bool
	slot    int
	in, sat expr
}

func (e *quantExpr) eval(c *evalCtx) (Sequence, error) {
	in, err := e.in.eval(c)
	if err != nil {
		return nil, err
	}
	saved := c.vars[e.slot]
	defer func() { c.vars[e.slot] = saved }()
	for _, it := range in {
		if err := c.tick(1); err != nil {
			return nil, err
		}
		c.vars[e.slot] = Sequence{it}
		v, err := e.sat.eval(c)
		if err != nil {
			return nil, err
		}
		b, err := ebv(v)
		if err != nil {
			return nil, err
		}
		if b != e.every {
			return boolSeq(b), nil
		}
	}
	return boolSeq(e.every), nil
}

type logicExpr struct {
	or   bool
	l, r expr
}

func (e *logicExpr) eval(c *evalCtx) (Sequence, error) {
	v, err := e.l.eval(c)
	if err != nil {
		return nil, err
	}
	b, err := ebv(v)
	if err != nil {
		return nil, err
	}
	if b == e.or {
		return boolSeq(b), nil
	}
	v, err = e.r.eval(c)
	if err != nil {
		return nil, err
	}
	b, err = ebv(v)
	if err != nil {
		return nil, err
	}
	return boolSeq(b), nil
}

// --- comparisons ---

type generalCmp struct {
	op   cmpOp
	l, r expr
}

func (e *generalCmp) eval(c *evalCtx) (Sequence, error) {
	l, err := e.l.eval(c)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return boolSeq(false), nil
	}
	r, err := e.r.eval(c)
	if err != nil {
		return nil, err
	}
	if len(r) == 0 {
		return boolSeq(false), nil
	}
	if len(r) == 1 {
		if str, ok := r[0].(String); ok {
			// Untyped (node) values compare with a string as strings.
			for _, x := range l {
				if n, ok := x.(Node); ok {
					if e.op.holds(strings.Compare(n.StringValue(), string(str))) {
						return seqTrue, nil
					}
					continue
				}
				ok, err := compareGeneral(e.op, x, str)
				if err != nil {
					return nil, err
				}
				if ok {
					return seqTrue, nil
				}
			}
			return seqFalse, nil
		}
	}
	if len(l) > 1 {
		r = atomizeSeq(r)
	}
	if err := c.tick(len(l) * len(r)); err != nil {
		return nil, err
	}
	for _, x := range l {
		ax := atomize(x)
		for _, y := range r {
			ok, err := compareGeneral(e.op, ax, atomize(y))
			if err != nil {
				return nil, err
			}
			if ok {
				return boolSeq(true), nil
			}
		}
	}
	return boolSeq(false), nil
}

type valueCmp struct {
	op   cmpOp
	l, r expr
}

// singleAtomic atomizes a sequence of at most one item; ok is false for the
// empty sequence.
func singleAtomic(s Sequence, what string) (Item, bool, error) {
	switch len(s) {
	case 0:
		return nil, false, nil
	case 1:
		return atomize(s[0]), true, nil
	}
	return nil, false, dynErr(codeType, "%s is a sequence of %d items where at most one is allowed", what, len(s))
}

func (e *valueCmp) eval(c *evalCtx) (Sequence, error) {
	l, err := e.l.eval(c)
	if err != nil {
		return nil, err
	}
	x, ok, err := singleAtomic(l, "the left operand of "+e.op.value())
	if err != nil || !ok {
		return nil, err
	}
	r, err := e.r.eval(c)
	if err != nil {
		return nil, err
	}
	y, ok, err := singleAtomic(r, "the right operand of "+e.op.value())
	if err != nil || !ok {
		return nil, err
	}
	if u, ok := x.(Untyped); ok {
		x = String(u)
	}
	if u, ok := y.(Untyped); ok {
		y = String(u)
	}
	b, err := compareValues(e.op, x, y)
	if err != nil {
		return nil, err
	}
	return boolSeq(b), nil
}

type nodeCmp struct {
	op   string
	l, r expr
}

func (e *nodeCmp) eval(c *evalCtx) (Sequence, error) {
	get := func(x expr) (Node, bool, error) {
		s, err := x.eval(c)
		if err != nil {
			return Node{}, false, err
		}
		switch len(s) {
		case 0:
			return Node{}, false, nil
		case 1:
			if n, ok := s[0].(Node); ok {
				return n, true, nil
			}
		}
		return Node{}, false, dynErr(codeType, "operand of %s is not a single node", e.op)
	}
	a, ok, err := get(e.l)
	if err != nil || !ok {
		return nil, err
	}
	b, ok, err := get(e.r)
	if err != nil || !ok {
		return nil, err
	}
	switch e.op {
	case "is":
		return boolSeq(a == b), nil
	case "<<":
		return boolSeq(a != b && before(a, b)), nil
	}
	return boolSeq(a != b && before(b, a)), nil
}

// --- arithmetic, ranges, sets ---

type rangeExpr struct{ l, r expr }

func (e *rangeExpr) eval(c *evalCtx) (Sequence, error) {
	bound := func(x expr) (int64, bool, error) {
		s, err := x.eval(c)
		if err != nil {
			return 0, false, err
		}
		it, ok, err := singleAtomic(s, "an operand of to")
		if err != nil || !ok {
			return 0, false, err
		}
		if u, isU := it.(Untyped); isU {
			v, err := castAtomic(u, atomicTypes["xs:integer"])
			if err != nil {
				return 0, false, err
			}
			it = v
		}
		i, isInt := it.(Integer)
		if !isInt {
			return 0, false, dynErr(codeType, "an operand of to is %s, not an integer", describe(it))
		}
		return int64(i), true, nil
	}
	lo, ok, err := bound(e.l)
	if err != nil || !ok {
		return nil, err
	}
	hi, ok, err := bound(e.r)
	if err != nil || !ok {
		return nil, err
	}
	if hi < lo {
		return nil, nil
	}
	if hi-lo >= MaxSequence || hi-lo < 0 {
		return nil, dynErr(codeLimit, "range %d to %d is longer than %d items", lo, hi, MaxSequence)
	}
	if err := c.tick(int(hi - lo + 1)); err != nil {
		return nil, err
	}
	out := make(Sequence, 0, hi-lo+1)
	for i := lo; ; i++ {
		out = append(out, Integer(i))
		if i == hi {
			break
		}
	}
	return out, nil
}

type arithExpr struct {
	op   string
	l, r expr
}

func (e *arithExpr) eval(c *evalCtx) (Sequence, error) {
	l, err := e.l.eval(c)
	if err != nil {
		return nil, err
	}
	x, ok, err := singleAtomic(l, "the left operand of "+e.op)
	if err != nil || !ok {
		return nil, err
	}
	r, err := e.r.eval(c)
	if err != nil {
		return nil, err
	}
	y, ok, err := singleAtomic(r, "the right operand of "+e.op)
	if err != nil || !ok {
		return nil, err
	}
	v, err := arithmetic(e.op, x, y)
	if err != nil {
		return nil, err
	}
	return Sequence{v}, nil
}

type unaryExpr struct {
	neg bool
	e   expr
}

func (e *unaryExpr) eval(c *evalCtx) (Sequence, error) {
	s, err := e.e.eval(c)
	if err != nil {
		return nil, err
	}
	x, ok, err := singleAtomic(s, "the operand of unary minus")
	if err != nil || !ok {
		return nil, err
	}
	if u, isU := x.(Untyped); isU {
		f, ok := parseDouble(trimXML(string(u)))
		if !ok {
			return nil, dynErr(codeCast, "cannot convert %q to xs:double", string(u))
		}
		x = Double(f)
	}
	if !isNumeric(x) {
		return nil, dynErr(codeType, "unary %s applied to %s", map[bool]string{true: "-", false: "+"}[e.neg], describe(x))
	}
	if !e.neg {
		return Sequence{x}, nil
	}
	v, err := arithmetic("-", Integer(0), x)
	if err != nil {
		return nil, err
	}
	if d, ok := x.(Double); ok && d == 0 {
		v = Double(-float64(d))
	}
	return Sequence{v}, nil
}

type setExpr struct {
	op   string
	l, r expr
}

func nodesOf(s Sequence, op string) ([]Node, error) {
	out := make([]Node, 0, len(s))
	for _, it := range s {
		n, ok := it.(Node)
		if !ok {
			return nil, dynErr(codeType, "operand of %s contains the atomic value %s", op, describe(it))
		}
		out = append(out, n)
	}
	return out, nil
}

func nodeSeq(ns []Node) Sequence {
	if len(ns) == 0 {
		return nil
	}
	out := make(Sequence, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

func (e *setExpr) eval(c *evalCtx) (Sequence, error) {
	ls, err := e.l.eval(c)
	if err != nil {
		return nil, err
	}
	rs, err := e.r.eval(c)
	if err != nil {
		return nil, err
	}
	l, err := nodesOf(ls, e.op)
	if err != nil {
		return nil, err
	}
	r, err := nodesOf(rs, e.op)
	if err != nil {
		return nil, err
	}
	if err := c.tick(len(l) + len(r)); err != nil {
		return nil, err
	}
	switch e.op {
	case "union":
		return nodeSeq(sortNodes(append(l, r...))), nil
	}
	// intersect, except
	in := make(map[Node]bool, len(r))
	for _, n := range r {
		in[n] = true
	}
	out := l[:0]
	for _, n := range l {
		if in[n] == (e.op == "intersect") {
			out = append(out, n)
		}
	}
	return nodeSeq(sortNodes(out)), nil
}

// --- types ---

type instanceExpr struct {
	e  expr
	st *seqType
}

func (e *instanceExpr) eval(c *evalCtx) (Sequence, error) {
	s, err := e.e.eval(c)
	if err != nil {
		return nil, err
	}
	return boolSeq(e.st.matches(s)), nil
}

type treatExpr struct {
	e  expr
	st *seqType
}

func (e *treatExpr) eval(c *evalCtx) (Sequence, error) {
	s, err := e.e.eval(c)
	if err != nil {
		return nil, err
	}
	if !e.st.matches(s) {
		return nil, dynErr("XPDY0050", "treat as %s: the value does not match", e.st)
	}
	return s, nil
}

type castExpr struct {
	e        expr
	to       *atomicType
	optional bool
	castable bool
}

func (e *castExpr) eval(c *evalCtx) (Sequence, error) {
	s, err := e.e.eval(c)
	if err != nil {
		return nil, err
	}
	var x Item
	var ok bool
	if len(s) > 1 {
		err = dynErr(codeType, "cast as %s of a sequence of %d items", e.to.name, len(s))
	} else {
		x, ok, _ = singleAtomic(s, "")
		if !ok && !e.optional {
			err = dynErr(codeType, "cast as %s of the empty sequence", e.to.name)
		}
	}
	if e.castable {
		if err != nil {
			return boolSeq(false), nil
		}
		if !ok {
			return boolSeq(true), nil
		}
		_, cerr := castAtomic(x, e.to)
		return boolSeq(cerr == nil), nil
	}
	if err != nil || !ok {
		return nil, err
	}
	v, err := castAtomic(x, e.to)
	if err != nil {
		return nil, err
	}
	return Sequence{v}, nil
}

// --- paths ---

type axis uint8

const (
	axisChild axis = iota + 1
	axisDescendant
	axisAttribute
	axisSelf
	axisDescendantOrSelf
	axisFollowingSibling
	axisFollowing
	axisParent
	axisAncestor
	axisPrecedingSibling
	axisPreceding
	axisAncestorOrSelf
)

func (a axis) reverse() bool { return a >= axisParent }

// nodeTest is a name test or a kind test. kind 0 is node().
type nodeTest struct {
	kind     NodeKind
	anyName  bool // no name constraint (kind tests without a name)
	anySpace bool
	anyLocal bool
	space    string
	local    string
	typed    string    // type name of element(N, T) / attribute(N, T)
	docElem  *nodeTest // document-node(element(…))
}

func (t *nodeTest) match(r *nodeRec) bool {
	if t.kind != 0 && r.kind != t.kind {
		return false
	}
	if !t.anyName {
		if !t.anyLocal && r.local != t.local {
			return false
		}
		if !t.anySpace && r.space != t.space {
			return false
		}
	}
	if t.typed != "" {
		switch t.typed {
		case "anyType", "untyped", "anySimpleType", "anyAtomicType", "untypedAtomic":
		default:
			return false
		}
		if r.kind == ElementNode && (t.typed == "anySimpleType" || t.typed == "anyAtomicType" || t.typed == "untypedAtomic") ||
			r.kind == AttributeNode && (t.typed == "anyType" || t.typed == "untyped") {
			return false
		}
	}
	if t.docElem != nil {
		n := 0
		ok := false
		for ch := r.first; ch >= 0; ch = r.d.nodes[ch].next {
			if c := &r.d.nodes[ch]; c.kind == ElementNode {
				n++
				ok = t.docElem.match(c)
			}
		}
		return n == 1 && ok
	}
	return true
}

type axisStep struct {
	axis  axis
	test  *nodeTest
	preds []expr
}

func (s *axisStep) eval(c *evalCtx) (Sequence, error) {
	r, err := c.contextNode()
	if err != nil {
		return nil, err
	}
	return s.apply(c, r, nil)
}

// byName reports whether the test selects elements by one expanded name,
// so that the document's name index can answer a descendant axis.
func (t *nodeTest) byName() bool {
	return t.kind == ElementNode && !t.anyName && !t.anyLocal && !t.anySpace && t.typed == ""
}

// apply appends to out the nodes selected by the step from context node r,
// in document order.
func (s *axisStep) apply(c *evalCtx, r *nodeRec, out Sequence) (Sequence, error) {
	start := len(out)
	nodes := r.d.nodes
	t := s.test
	visited := 0
	if out == nil && (s.axis == axisChild || s.axis == axisDescendant) {
		out = make(Sequence, 0, 8)
	}
	switch s.axis {
	case axisChild:
		for i := r.first; i >= 0; i = nodes[i].next {
			visited++
			if t.match(&nodes[i]) {
				out = append(out, Node{&nodes[i]})
			}
		}
	case axisAttribute:
		if r.kind == ElementNode {
			for i := r.idx + 1; i <= r.idx+r.nattr; i++ {
				visited++
				if t.match(&nodes[i]) {
					out = append(out, Node{&nodes[i]})
				}
			}
		}
	case axisDescendant, axisDescendantOrSelf:
		if t.byName() {
			// The name index lists the elements of each name in document
			// order; the subtree of r is the index range (r.idx, r.end).
			list := r.d.names[nameKey{t.space, t.local}]
			from := r.idx + 1
			if s.axis == axisDescendantOrSelf {
				from = r.idx
			}
			i := sort.Search(len(list), func(k int) bool { return list[k] >= from })
			for ; i < len(list) && list[i] < r.end; i++ {
				visited++
				out = append(out, Node{&nodes[list[i]]})
			}
			break
		}
		if s.axis == axisDescendantOrSelf && t.match(r) {
			out = append(out, Node{r})
		}
		if r.kind == DocumentNode || r.kind == ElementNode {
			for i := r.idx + 1; i < r.end; i++ {
				visited++
				if nodes[i].kind != AttributeNode && t.match(&nodes[i]) {
					out = append(out, Node{&nodes[i]})
				}
			}
		}
	case axisSelf:
		if t.match(r) {
			out = append(out, Node{r})
		}
	case axisFollowingSibling:
		if r.kind != AttributeNode {
			for i := r.next; i >= 0; i = nodes[i].next {
				visited++
				if t.match(&nodes[i]) {
					out = append(out, Node{&nodes[i]})
				}
			}
		}
	case axisFollowing:
		from := r.end
		if r.kind == AttributeNode {
			from = r.parent + nodes[r.parent].nattr + 1
		}
		for i := from; i < int32(len(nodes)); i++ {
			visited++
			if nodes[i].kind != AttributeNode && t.match(&nodes[i]) {
				out = append(out, Node{&nodes[i]})
			}
		}
	case axisParent:
		if r.parent >= 0 && t.match(&nodes[r.parent]) {
			out = append(out, Node{&nodes[r.parent]})
		}
	case axisAncestor, axisAncestorOrSelf:
		if s.axis == axisAncestorOrSelf && t.match(r) {
			out = append(out, Node{r})
		}
		for i := r.parent; i >= 0; i = nodes[i].parent {
			visited++
			if t.match(&nodes[i]) {
				out = append(out, Node{&nodes[i]})
			}
		}
	case axisPrecedingSibling:
		if r.kind != AttributeNode {
			for i := r.prev; i >= 0; i = nodes[i].prev {
				visited++
				if t.match(&nodes[i]) {
					out = append(out, Node{&nodes[i]})
				}
			}
		}
	case axisPreceding:
		// Nodes before r that are not its ancestors, nearest first.
		anc := r.parent
		for i := r.idx - 1; i >= 0; i-- {
			visited++
			if i == anc {
				anc = nodes[i].parent
				continue
			}
			if nodes[i].kind != AttributeNode && t.match(&nodes[i]) {
				out = append(out, Node{&nodes[i]})
			}
		}
	}
	if err := c.tick(visited + 1); err != nil {
		return nil, err
	}
	if len(s.preds) > 0 && len(out) > start {
		sel, err := filterItems(c, out[start:], s.preds)
		if err != nil {
			return nil, err
		}
		out = out[:start+len(sel)]
	}
	if s.axis.reverse() {
		sel := out[start:]
		for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
			sel[i], sel[j] = sel[j], sel[i]
		}
	}
	return out, nil
}

// filterItems applies predicates to a sequence in its order (for a step,
// the axis order; XPath 2.0 §3.2.2): a numeric predicate value selects by
// position, any other by its effective boolean value. The result reuses
// the storage of items (it is a prefix of it).
func filterItems(c *evalCtx, items Sequence, preds []expr) (Sequence, error) {
	saveItem, savePos, saveSize := c.item, c.pos, c.size
	defer func() { c.item, c.pos, c.size = saveItem, savePos, saveSize }()
	for _, p := range preds {
		if lit, ok := p.(*literal); ok && len(lit.v) == 1 && isNumeric(lit.v[0]) {
			k := toFloat(lit.v[0])
			if k >= 1 && k <= float64(len(items)) && k == float64(int(k)) {
				items[0] = items[int(k)-1]
				items = items[:1]
			} else {
				items = items[:0]
			}
			continue
		}
		size := len(items)
		if err := c.tick(size); err != nil {
			return nil, err
		}
		n := 0
		for i := 0; i < size; i++ {
			it := items[i]
			c.item, c.pos, c.size = it, i+1, size
			keep, err := predicateTrue(c, p)
			if err != nil {
				return nil, err
			}
			if keep {
				items[n] = it
				n++
			}
		}
		items = items[:n]
	}
	return items, nil
}

func predicateTrue(c *evalCtx, p expr) (bool, error) {
	v, err := p.eval(c)
	if err != nil {
		return false, err
	}
	if len(v) == 1 && isNumeric(v[0]) {
		return toFloat(v[0]) == float64(c.pos), nil
	}
	return ebv(v)
}

type filterExpr struct {
	primary expr
	preds   []expr
}

func (e *filterExpr) eval(c *evalCtx) (Sequence, error) {
	s, err := e.primary.eval(c)
	if err != nil {
		return nil, err
	}
	if len(e.preds) == 0 {
		return s, nil
	}
	// Filter a copy: the primary's value may be shared (a variable, a literal).
	return filterItems(c, append(Sequence(nil), s...), e.preds)
}

type pathExpr struct {
	absolute bool
	steps    []expr
}

func (e *pathExpr) eval(c *evalCtx) (Sequence, error) {
	var cur Sequence
	steps := e.steps
	if e.absolute {
		r, err := c.contextNode()
		if err != nil {
			return nil, err
		}
		cur = Sequence{Node{&r.d.nodes[0]}}
	} else {
		switch s := steps[0].(type) {
		case *axisStep:
			r, err := c.contextNode()
			if err != nil {
				return nil, err
			}
			cur, err = s.apply(c, r, nil)
			if err != nil {
				return nil, err
			}
		default:
			v, err := s.eval(c)
			if err != nil {
				return nil, err
			}
			if len(steps) == 1 {
				return v, nil
			}
			for _, it := range v {
				if _, ok := it.(Node); !ok {
					return nil, dynErr(codePathNotNode, "a path step is applied to the atomic value %s", describe(it))
				}
			}
			cur = sortItems(append(Sequence(nil), v...))
		}
		steps = steps[1:]
	}
	for i, s := range steps {
		if len(cur) == 0 {
			return nil, nil
		}
		switch s := s.(type) {
		case *axisStep:
			if len(cur) == 1 {
				var err error
				if cur, err = s.apply(c, cur[0].(Node).r, nil); err != nil {
					return nil, err
				}
				continue
			}
			var out Sequence
			var err error
			for _, n := range cur {
				out, err = s.apply(c, n.(Node).r, out)
				if err != nil {
					return nil, err
				}
			}
			cur = sortItems(out)
		default:
			var seq Sequence
			saveItem, savePos, saveSize := c.item, c.pos, c.size
			for j, n := range cur {
				c.item, c.pos, c.size = n, j+1, len(cur)
				v, err := s.eval(c)
				if err != nil {
					c.item, c.pos, c.size = saveItem, savePos, saveSize
					return nil, err
				}
				if len(seq)+len(v) > MaxSequence {
					return nil, dynErr(codeLimit, "sequence longer than %d items", MaxSequence)
				}
				seq = append(seq, v...)
			}
			c.item, c.pos, c.size = saveItem, savePos, saveSize
			nodes, atomics := 0, 0
			for _, it := range seq {
				if _, ok := it.(Node); ok {
					nodes++
				} else {
					atomics++
				}
			}
			switch {
			case nodes > 0 && atomics > 0:
				return nil, dynErr(codePathMixed, "a path step returns both nodes and atomic values")
			case atomics > 0:
				if i != len(steps)-1 {
					return nil, dynErr(codePathNotNode, "a path step is applied to atomic values")
				}
				return seq, nil
			}
			cur = sortItems(seq)
		}
	}
	return cur, nil
}

// optimize rewrites the tree where the result cannot change:
//   - A/(B/C) with a relative path in parentheses becomes A/B/C (the path
//     operator is associative on nodes), so the //(…) an engine wraps
//     around a rule context is an ordinary path;
//   - descendant-or-self::node()/child::T[P] becomes descendant::T[P] when
//     no predicate P can depend on the position (a numeric value or
//     position()/last() would count per parent, not per document).
func optimize(e expr) expr {
	switch x := e.(type) {
	case *pathExpr:
		var flat []expr
		for _, s := range x.steps {
			if f, ok := s.(*filterExpr); ok && len(f.preds) == 0 {
				if p, ok := f.primary.(*pathExpr); ok && !p.absolute {
					flat = append(flat, p.steps...)
					continue
				}
			}
			flat = append(flat, s)
		}
		var steps []expr
		for i := 0; i < len(flat); i++ {
			s := flat[i]
			if a, ok := s.(*axisStep); ok && a.axis == axisDescendantOrSelf && a.test.kind == 0 && a.test.anyName && len(a.preds) == 0 && i+1 < len(flat) {
				if b, ok := flat[i+1].(*axisStep); ok && b.axis == axisChild && positionFree(b.preds) {
					steps = append(steps, optimize(&axisStep{axis: axisDescendant, test: b.test, preds: b.preds}))
					i++
					continue
				}
			}
			steps = append(steps, optimize(s))
		}
		x.steps = steps
	case *axisStep:
		for i, p := range x.preds {
			x.preds[i] = optimize(p)
		}
	case *filterExpr:
		x.primary = optimize(x.primary)
		for i, p := range x.preds {
			x.preds[i] = optimize(p)
		}
	case *seqExpr:
		for i, p := range x.items {
			x.items[i] = optimize(p)
		}
	case *funcCall:
		for i, p := range x.args {
			x.args[i] = optimize(p)
		}
	case *logicExpr:
		x.l, x.r = optimize(x.l), optimize(x.r)
	case *generalCmp:
		x.l, x.r = optimize(x.l), optimize(x.r)
		if a := attrCompare(x); a != nil {
			return a
		}
	case *valueCmp:
		x.l, x.r = optimize(x.l), optimize(x.r)
	case *arithExpr:
		x.l, x.r = optimize(x.l), optimize(x.r)
	case *ifExpr:
		x.cond, x.then, x.els = optimize(x.cond), optimize(x.then), optimize(x.els)
	case *forExpr:
		x.in, x.ret = optimize(x.in), optimize(x.ret)
	case *quantExpr:
		x.in, x.sat = optimize(x.in), optimize(x.sat)
	}
	return e
}

// positionFree reports whether predicates certainly select the same nodes
// whatever the context position and size: each is of a type that is never
// numeric (a comparison, a logical or boolean-valued expression, a path of
// axis steps) and calls neither position() nor last() anywhere.
func positionFree(preds []expr) bool {
	for _, p := range preds {
		if !neverNumeric(p) || usesFocusPosition(p) {
			return false
		}
	}
	return true
}

var booleanFunctions = map[string]bool{
	"not": true, "boolean": true, "true": true, "false": true, "contains": true, "starts-with": true,
	"ends-with": true, "matches": true, "exists": true, "empty": true, "lang": true, "deep-equal": true,
}

func neverNumeric(e expr) bool {
	switch x := e.(type) {
	case *generalCmp, *valueCmp, *nodeCmp, *logicExpr, *quantExpr, *instanceExpr, *attrCmp:
		return true
	case *castExpr:
		return x.castable
	case *funcCall:
		return booleanFunctions[x.name]
	case *axisStep:
		return true
	case *pathExpr:
		if len(x.steps) == 0 {
			return true
		}
		_, ok := x.steps[len(x.steps)-1].(*axisStep)
		return ok
	}
	return false
}

// usesFocusPosition reports whether position() or last() occurs anywhere
// in e (conservatively, also inside nested predicates).
func usesFocusPosition(e expr) bool {
	found := false
	walk(e, func(x expr) {
		if f, ok := x.(*funcCall); ok && (f.name == "position" || f.name == "last") {
			found = true
		}
	})
	return found
}

// walk calls fn for e and every expression inside it.
func walk(e expr, fn func(expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch x := e.(type) {
	case *pathExpr:
		for _, s := range x.steps {
			walk(s, fn)
		}
	case *axisStep:
		for _, p := range x.preds {
			walk(p, fn)
		}
	case *filterExpr:
		walk(x.primary, fn)
		for _, p := range x.preds {
			walk(p, fn)
		}
	case *seqExpr:
		for _, p := range x.items {
			walk(p, fn)
		}
	case *funcCall:
		for _, p := range x.args {
			walk(p, fn)
		}
	case *logicExpr:
		walk(x.l, fn)
		walk(x.r, fn)
	case *generalCmp:
		walk(x.l, fn)
		walk(x.r, fn)
	case *valueCmp:
		walk(x.l, fn)
		walk(x.r, fn)
	case *nodeCmp:
		walk(x.l, fn)
		walk(x.r, fn)
	case *arithExpr:
		walk(x.l, fn)
		walk(x.r, fn)
	case *rangeExpr:
		walk(x.l, fn)
		walk(x.r, fn)
	case *setExpr:
		walk(x.l, fn)
		walk(x.r, fn)
	case *unaryExpr:
		walk(x.e, fn)
	case *ifExpr:
		walk(x.cond, fn)
		walk(x.then, fn)
		walk(x.els, fn)
	case *forExpr:
		walk(x.in, fn)
		walk(x.ret, fn)
	case *quantExpr:
		walk(x.in, fn)
		walk(x.sat, fn)
	case *instanceExpr:
		walk(x.e, fn)
	case *treatExpr:
		walk(x.e, fn)
	case *castExpr:
		walk(x.e, fn)
	}
}

var (
	seqTrue  = Sequence{Boolean(true)}
	seqFalse = Sequence{Boolean(false)}
)

// boolSeq returns a shared one-item sequence; sequences returned by
// expressions are never modified in place.
func boolSeq(b bool) Sequence {
	if b {
		return seqTrue
	}
	return seqFalse
}

// attrCmp is @name op 'literal' (or 'literal' op @name) for = and !=: the
// most frequent predicate of the rule files, evaluated on the attribute
// records directly. The attribute's untyped value compares with the string
// as a string (XPath 2.0 §3.5.2), so this is exactly the general comparison.
type attrCmp struct {
	test  *nodeTest
	op    cmpOp
	value string
}

func attrCompare(g *generalCmp) expr {
	if g.op != opEq && g.op != opNe {
		return nil
	}
	step := func(e expr) *axisStep {
		switch x := e.(type) {
		case *axisStep:
			return x
		case *pathExpr:
			if !x.absolute && len(x.steps) == 1 {
				a, _ := x.steps[0].(*axisStep)
				return a
			}
		}
		return nil
	}
	lit := func(e expr) (string, bool) {
		if l, ok := e.(*literal); ok && len(l.v) == 1 {
			if s, ok := l.v[0].(String); ok {
				return string(s), true
			}
		}
		return "", false
	}
	a, v, ok := step(g.l), "", false
	if a != nil {
		v, ok = lit(g.r)
	} else if a = step(g.r); a != nil {
		v, ok = lit(g.l)
	}
	if !ok || a == nil || a.axis != axisAttribute || len(a.preds) > 0 {
		return nil
	}
	return &attrCmp{test: a.test, op: g.op, value: v}
}

func (e *attrCmp) eval(c *evalCtx) (Sequence, error) {
	r, err := c.contextNode()
	if err != nil {
		return nil, err
	}
	if r.kind != ElementNode {
		return seqFalse, nil
	}
	nodes := r.d.nodes
	for i := r.idx + 1; i <= r.idx+r.nattr; i++ {
		if e.test.match(&nodes[i]) && (nodes[i].value == e.value) == (e.op == opEq) {
			return seqTrue, nil
		}
	}
	return seqFalse, nil
}

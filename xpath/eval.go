package xpath

import (
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
			return Sequence{Boolean(b)}, nil
		}
	}
	return Sequence{Boolean(e.every)}, nil
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
		return Sequence{Boolean(b)}, nil
	}
	v, err = e.r.eval(c)
	if err != nil {
		return nil, err
	}
	b, err = ebv(v)
	if err != nil {
		return nil, err
	}
	return Sequence{Boolean(b)}, nil
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
		return Sequence{Boolean(false)}, nil
	}
	r, err := e.r.eval(c)
	if err != nil {
		return nil, err
	}
	if len(r) == 0 {
		return Sequence{Boolean(false)}, nil
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
				return Sequence{Boolean(true)}, nil
			}
		}
	}
	return Sequence{Boolean(false)}, nil
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
	return Sequence{Boolean(b)}, nil
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
		return Sequence{Boolean(a == b)}, nil
	case "<<":
		return Sequence{Boolean(a != b && before(a, b))}, nil
	}
	return Sequence{Boolean(a != b && before(b, a))}, nil
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
	return Sequence{Boolean(e.st.matches(s))}, nil
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
			return Sequence{Boolean(false)}, nil
		}
		if !ok {
			return Sequence{Boolean(true)}, nil
		}
		_, cerr := castAtomic(x, e.to)
		return Sequence{Boolean(cerr == nil)}, nil
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
	ns, err := s.apply(c, r, nil)
	if err != nil {
		return nil, err
	}
	return nodeSeq(ns), nil
}

// apply appends to out the nodes selected by the step from context node r,
// in document order.
func (s *axisStep) apply(c *evalCtx, r *nodeRec, out []Node) ([]Node, error) {
	start := len(out)
	nodes := r.d.nodes
	t := s.test
	visited := 0
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
		sel, err := filterNodes(c, out[start:], s.preds)
		if err != nil {
			return nil, err
		}
		out = append(out[:start], sel...)
	}
	if s.axis.reverse() {
		sel := out[start:]
		for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
			sel[i], sel[j] = sel[j], sel[i]
		}
	}
	return out, nil
}

// filterNodes applies predicates to nodes in axis order (XPath 2.0 §3.2.2):
// a numeric predicate value selects by position, any other by its effective
// boolean value. It may reuse nodes' storage.
func filterNodes(c *evalCtx, nodes []Node, preds []expr) ([]Node, error) {
	saveItem, savePos, saveSize := c.item, c.pos, c.size
	defer func() { c.item, c.pos, c.size = saveItem, savePos, saveSize }()
	for _, p := range preds {
		if lit, ok := p.(*literal); ok && len(lit.v) == 1 && isNumeric(lit.v[0]) {
			k := toFloat(lit.v[0])
			if k >= 1 && k <= float64(len(nodes)) && k == float64(int(k)) {
				nodes = nodes[int(k)-1 : int(k)]
			} else {
				nodes = nodes[:0]
			}
			continue
		}
		out := nodes[:0]
		size := len(nodes)
		if err := c.tick(size); err != nil {
			return nil, err
		}
		for i := 0; i < size; i++ {
			n := nodes[i]
			c.item, c.pos, c.size = n, i+1, size
			keep, err := predicateTrue(c, p)
			if err != nil {
				return nil, err
			}
			if keep {
				out = append(out, n)
			}
		}
		nodes = out
	}
	return nodes, nil
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
	saveItem, savePos, saveSize := c.item, c.pos, c.size
	defer func() { c.item, c.pos, c.size = saveItem, savePos, saveSize }()
	for _, p := range e.preds {
		var out Sequence
		if err := c.tick(len(s)); err != nil {
			return nil, err
		}
		for i, it := range s {
			c.item, c.pos, c.size = it, i+1, len(s)
			keep, err := predicateTrue(c, p)
			if err != nil {
				return nil, err
			}
			if keep {
				out = append(out, it)
			}
		}
		s = out
	}
	return s, nil
}

type pathExpr struct {
	absolute bool
	steps    []expr
}

func (e *pathExpr) eval(c *evalCtx) (Sequence, error) {
	var cur []Node
	steps := e.steps
	if e.absolute {
		r, err := c.contextNode()
		if err != nil {
			return nil, err
		}
		root := &r.d.nodes[0]
		cur = []Node{{root}}
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
			cur = make([]Node, 0, len(v))
			for _, it := range v {
				n, ok := it.(Node)
				if !ok {
					return nil, dynErr(codePathNotNode, "a path step is applied to the atomic value %s", describe(it))
				}
				cur = append(cur, n)
			}
			cur = sortNodes(cur)
		}
		steps = steps[1:]
	}
	for i, s := range steps {
		if len(cur) == 0 {
			return nil, nil
		}
		switch s := s.(type) {
		case *axisStep:
			var out []Node
			var err error
			for _, n := range cur {
				out, err = s.apply(c, n.r, out)
				if err != nil {
					return nil, err
				}
			}
			if len(cur) > 1 {
				out = sortNodes(out)
			}
			cur = out
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
			cur = cur[:0:0]
			for _, it := range seq {
				cur = append(cur, it.(Node))
			}
			cur = sortNodes(cur)
		}
	}
	return nodeSeq(cur), nil
}

// optimize rewrites the tree where the result cannot change:
// descendant-or-self::node()/child::T becomes descendant::T when the second
// step has no predicates (positional predicates would count differently).
func optimize(e expr) expr {
	switch x := e.(type) {
	case *pathExpr:
		var steps []expr
		for i := 0; i < len(x.steps); i++ {
			s := x.steps[i]
			if a, ok := s.(*axisStep); ok && a.axis == axisDescendantOrSelf && a.test.kind == 0 && a.test.anyName && len(a.preds) == 0 && i+1 < len(x.steps) {
				if b, ok := x.steps[i+1].(*axisStep); ok && b.axis == axisChild && len(b.preds) == 0 {
					steps = append(steps, &axisStep{axis: axisDescendant, test: b.test})
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

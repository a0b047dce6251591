package xmltree

// Sizes of the blocks of a nodeAlloc: after the small blocks inside it, the
// first block of each kind holds at least parseBlock nodes in a parsed tree
// and buildBlock in a built one; each next block is twice as large, up to
// maxBlock.
const (
	parseBlock = 16
	buildBlock = 4
	maxBlock   = 1024
)

// nodeAlloc carves elements, text nodes, attributes, declarations and
// children slices from blocks: one allocation for many instead of one each
// (a SOAP envelope has a hundred elements). A block stays alive while any
// of its nodes does.
//
// The elements of one parsed, copied or built tree share one nodeAlloc
// (Element.alloc), so that adding to a tree carves from its blocks too;
// which is why modifying one tree from several goroutines at once is not
// safe, even where they touch different elements.
type nodeAlloc struct {
	first  int
	elems  []Element
	texts  []CharData
	attrsB []Attr
	nsB    []NS
	nodesB []Node
}

// builtAlloc is the nodeAlloc of a built tree, with its first blocks in the
// same allocation: a small tree (most built ones) needs no other.
type builtAlloc struct {
	nodeAlloc
	elems0 [builtElems]Element
	texts0 [2]CharData
	attrs0 [4]Attr
	ns0    [2]NS
	nodes0 [2 * builtElems]Node
}

const builtElems = 4

func newBuiltAlloc() *nodeAlloc {
	b := &builtAlloc{}
	a := &b.nodeAlloc
	a.first = buildBlock
	a.elems, a.texts, a.attrsB = b.elems0[:0], b.texts0[:0], b.attrs0[:0]
	a.nsB, a.nodesB = b.ns0[:0], b.nodes0[:0]
	return a
}

// next is the size of the block after one of capacity c.
func (a *nodeAlloc) next(c int) int {
	return min(max(2*c, a.first), maxBlock)
}

func (a *nodeAlloc) element() *Element {
	if len(a.elems) == cap(a.elems) {
		a.elems = make([]Element, 0, a.next(cap(a.elems)))
	}
	a.elems = a.elems[:len(a.elems)+1]
	e := &a.elems[len(a.elems)-1]
	e.alloc = a
	return e
}

func (a *nodeAlloc) text(data string) *CharData {
	if len(a.texts) == cap(a.texts) {
		a.texts = make([]CharData, 0, a.next(cap(a.texts)))
	}
	a.texts = a.texts[:len(a.texts)+1]
	t := &a.texts[len(a.texts)-1]
	t.Data = data
	return t
}

// carve returns an empty slice of *block with room for exactly n items,
// taken from the block (a new one, of at least size, if it lacks room):
// appending more reallocates, never touching a neighbour's.
func carve[T any](block *[]T, n, size int) []T {
	if n == 0 {
		return nil
	}
	if cap(*block)-len(*block) < n {
		*block = make([]T, 0, max(n, size))
	}
	i := len(*block)
	*block = (*block)[:i+n]
	return (*block)[i : i : i+n]
}

func (a *nodeAlloc) attrs(n int) []Attr { return carve(&a.attrsB, n, a.next(cap(a.attrsB))) }

func (a *nodeAlloc) ns(n int) []NS { return carve(&a.nsB, n, a.next(cap(a.nsB))) }

// nodes is for children slices, about twice as many as elements (with the
// text between them).
func (a *nodeAlloc) nodes(n int) []Node { return carve(&a.nodesB, n, 2*a.next(cap(a.nodesB)/2)) }

// sizedFor returns a nodeAlloc whose blocks hold e's subtree exactly.
func sizedFor(e *Element) *nodeAlloc {
	var elems, texts, attrs, ns, nodes int
	var count func(*Element)
	count = func(x *Element) {
		elems++
		attrs += len(x.Attr)
		ns += len(x.NS)
		nodes += len(x.Children)
		for _, c := range x.Children {
			switch c := c.(type) {
			case *Element:
				count(c)
			case *CharData:
				texts++
			}
		}
	}
	count(e)
	a := &nodeAlloc{first: buildBlock}
	a.elems = make([]Element, 0, elems)
	a.texts = make([]CharData, 0, texts)
	a.attrsB = make([]Attr, 0, attrs)
	a.nsB = make([]NS, 0, ns)
	a.nodesB = make([]Node, 0, nodes)
	return a
}

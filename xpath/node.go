package xpath

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/oots-go/oots/xmltree"
)

// NodeKind is the kind of a node of the XPath data model (XDM §6).
type NodeKind uint8

// Node kinds. Namespace nodes are not modelled: the namespace axis is not
// supported (it is deprecated in XPath 2.0 and the rule files do not use it).
const (
	DocumentNode NodeKind = iota + 1
	ElementNode
	AttributeNode
	TextNode
	CommentNode
	ProcessingInstructionNode
)

// String returns the kind as written in a kind test, e.g. "element".
func (k NodeKind) String() string {
	switch k {
	case DocumentNode:
		return "document-node"
	case ElementNode:
		return "element"
	case AttributeNode:
		return "attribute"
	case TextNode:
		return "text"
	case CommentNode:
		return "comment"
	case ProcessingInstructionNode:
		return "processing-instruction"
	}
	return "node"
}

// Document is an indexed, read-only view of a parsed document: every node
// (document, elements, attributes, text, comments, processing instructions)
// has a record in one array, in document order, with its parent, siblings and
// the extent of its subtree, so that axes are walks over indexes and document
// order is a comparison of integers.
//
// The view is built once by NewDocument and is safe for concurrent use by any
// number of evaluations. The underlying xmltree.Document must not be modified
// while the view is in use.
type Document struct {
	src   *xmltree.Document
	nodes []nodeRec
	id    uint64 // orders nodes of different documents stably
	elems map[*xmltree.Element]int32
	names map[nameKey][]int32 // elements by expanded name, in document order
}

type nameKey struct{ space, local string }

var docCounter atomic.Uint64

// nodeRec is one node. Attributes of an element occupy the indexes right
// after it; its children follow them. end is one past the last index of the
// node's subtree (attributes included).
type nodeRec struct {
	d      *Document
	idx    int32
	kind   NodeKind
	parent int32 // -1 for the document node
	end    int32
	first  int32 // first child (not attribute), -1 if none
	next   int32 // next sibling (not for attributes), -1 if none
	prev   int32 // previous sibling (not for attributes), -1 if none
	nattr  int32
	space  string // namespace URI of an element or attribute; target of a PI
	local  string
	prefix string
	value  string // text, comment, PI data or attribute value
	elem   *xmltree.Element
}

// NewDocument indexes d. Adjacent character data (from CDATA sections or
// built trees) becomes one text node, and empty character data none, as the
// data model requires (XDM §6.7). A nil document gives a document node
// without children.
func NewDocument(d *xmltree.Document) *Document {
	doc := &Document{src: d, id: docCounter.Add(1)}
	var top []xmltree.Node
	if d != nil {
		top = d.Children
		if len(top) == 0 && d.Root != nil {
			top = []xmltree.Node{d.Root}
		}
	}
	n := 1
	var count func(nodes []xmltree.Node)
	count = func(nodes []xmltree.Node) {
		for _, c := range nodes {
			n++
			if ce, ok := c.(*xmltree.Element); ok {
				n += len(ce.Attr)
				count(ce.Children)
			}
		}
	}
	count(top)
	doc.nodes = make([]nodeRec, 0, n)
	doc.elems = make(map[*xmltree.Element]int32, n/4+1)
	doc.names = make(map[nameKey][]int32)
	doc.nodes = append(doc.nodes, nodeRec{kind: DocumentNode, parent: -1, first: -1, next: -1, prev: -1})
	doc.addChildren(0, top)
	doc.nodes[0].end = int32(len(doc.nodes))
	for i := range doc.nodes {
		doc.nodes[i].d = doc
		doc.nodes[i].idx = int32(i)
	}
	return doc
}

// addChildren appends the records of children under the node at parent.
func (doc *Document) addChildren(parent int32, children []xmltree.Node) {
	last := int32(-1)
	link := func(i int32) {
		if last < 0 {
			doc.nodes[parent].first = i
		} else {
			doc.nodes[last].next = i
		}
		doc.nodes[i].prev = last
		last = i
	}
	for k := 0; k < len(children); k++ {
		switch c := children[k].(type) {
		case *xmltree.Element:
			i := int32(len(doc.nodes))
			doc.nodes = append(doc.nodes, nodeRec{kind: ElementNode, parent: parent, first: -1, next: -1, prev: -1,
				space: c.Space, local: c.Local, prefix: c.Prefix, elem: c, nattr: int32(len(c.Attr))})
			doc.elems[c] = i
			k := nameKey{c.Space, c.Local}
			doc.names[k] = append(doc.names[k], i)
			link(i)
			for a := range c.Attr {
				at := &c.Attr[a]
				doc.nodes = append(doc.nodes, nodeRec{kind: AttributeNode, parent: i, first: -1, next: -1, prev: -1,
					space: at.Space, local: at.Local, prefix: at.Prefix, value: at.Value, elem: c})
				doc.nodes[len(doc.nodes)-1].end = int32(len(doc.nodes))
			}
			doc.addChildren(i, c.Children)
			doc.nodes[i].end = int32(len(doc.nodes))
		case *xmltree.CharData:
			text := c.Data
			for k+1 < len(children) {
				nc, ok := children[k+1].(*xmltree.CharData)
				if !ok {
					break
				}
				text += nc.Data
				k++
			}
			if text == "" {
				continue
			}
			i := int32(len(doc.nodes))
			doc.nodes = append(doc.nodes, nodeRec{kind: TextNode, parent: parent, first: -1, next: -1, prev: -1, value: text, end: i + 1})
			link(i)
		case *xmltree.Comment:
			i := int32(len(doc.nodes))
			doc.nodes = append(doc.nodes, nodeRec{kind: CommentNode, parent: parent, first: -1, next: -1, prev: -1, value: c.Data, end: i + 1})
			link(i)
		case *xmltree.ProcInst:
			i := int32(len(doc.nodes))
			doc.nodes = append(doc.nodes, nodeRec{kind: ProcessingInstructionNode, parent: parent, first: -1, next: -1, prev: -1,
				local: c.Target, value: c.Inst, end: i + 1})
			link(i)
		}
	}
}

// Root returns the document node.
func (d *Document) Root() Node { return Node{&d.nodes[0]} }

// Source returns the parsed document the view was built from.
func (d *Document) Source() *xmltree.Document { return d.src }

// NodeOf returns the node of element e, if e belongs to the document.
func (d *Document) NodeOf(e *xmltree.Element) (Node, bool) {
	i, ok := d.elems[e]
	if !ok {
		return Node{}, false
	}
	return Node{&d.nodes[i]}, true
}

// Len returns the number of nodes in the document (attributes included).
func (d *Document) Len() int { return len(d.nodes) }

// Node is a node of an indexed Document: the document node, an element, an
// attribute, a text node, a comment or a processing instruction. It is a
// small value (one pointer) and comparable: two Nodes are == exactly when they
// are the same node. The zero Node is no node; IsZero reports it.
type Node struct{ r *nodeRec }

// IsZero reports whether n is the zero Node.
func (n Node) IsZero() bool { return n.r == nil }

// Kind returns the node kind (0 for the zero Node).
func (n Node) Kind() NodeKind {
	if n.r == nil {
		return 0
	}
	return n.r.kind
}

// Document returns the document the node belongs to.
func (n Node) Document() *Document { return n.r.d }

// Element returns the element itself for an element node, the owner element
// for an attribute, and nil for other nodes.
func (n Node) Element() *xmltree.Element {
	if n.r == nil {
		return nil
	}
	return n.r.elem
}

// Name returns the expanded name of an element or attribute, the target (as
// Local) of a processing instruction, and the zero Name for other nodes.
func (n Node) Name() xmltree.Name {
	if n.r == nil {
		return xmltree.Name{}
	}
	if n.r.kind == ProcessingInstructionNode {
		return xmltree.Name{Local: n.r.local}
	}
	return xmltree.Name{Space: n.r.space, Local: n.r.local}
}

// QName returns the name as written in the document (prefix:local), as
// XPath's name() does.
func (n Node) QName() string {
	if n.r == nil {
		return ""
	}
	switch n.r.kind {
	case ElementNode, AttributeNode:
		if n.r.prefix != "" {
			return n.r.prefix + ":" + n.r.local
		}
		return n.r.local
	case ProcessingInstructionNode:
		return n.r.local
	}
	return ""
}

// Parent returns the parent node (an attribute's parent is its element), and
// the zero Node for the document node.
func (n Node) Parent() Node {
	if n.r == nil || n.r.parent < 0 {
		return Node{}
	}
	return Node{&n.r.d.nodes[n.r.parent]}
}

// Line returns the line of the element (or of an attribute's element) in the
// parsed input, 0 when unknown.
func (n Node) Line() int {
	if n.r == nil || n.r.elem == nil {
		return 0
	}
	return n.r.elem.Line
}

// StringValue returns the string value (XDM §5.13): the concatenated text of
// the descendants of a document or element node, the value of an attribute,
// the content of a text node, comment or processing instruction.
func (n Node) StringValue() string {
	r := n.r
	if r == nil {
		return ""
	}
	switch r.kind {
	case DocumentNode, ElementNode:
		nodes := r.d.nodes
		// Fast path: one text child or none.
		if r.first < 0 {
			return ""
		}
		if f := &nodes[r.first]; f.kind == TextNode && f.next < 0 {
			return f.value
		}
		var b strings.Builder
		for i := r.idx + 1; i < r.end; i++ {
			if nodes[i].kind == TextNode {
				b.WriteString(nodes[i].value)
			}
		}
		return b.String()
	}
	return r.value
}

// String returns a short description of the node for messages and debugging.
func (n Node) String() string {
	if n.r == nil {
		return "<no node>"
	}
	switch n.r.kind {
	case DocumentNode:
		return "document-node()"
	case AttributeNode:
		return "@" + n.QName()
	case ElementNode:
		return n.Path()
	}
	return n.r.kind.String() + "()"
}

// Path returns the location of the node as the SVRL of the official rule
// pipeline prints it (Saxon running the ISO Schematron skeleton for XSLT 1,
// mode schematron-get-full-path):
//
//   - an element in a namespace is /*[local-name()='L' and namespace-uri()='U'],
//     followed by [n] when it has a preceding or following sibling element
//     with the same local name (the skeleton compares local names only),
//     after the path of its parent element;
//   - an element in no namespace is /name, with [n] likewise;
//   - an attribute is /@name, or /@*[local-name()='L' and namespace-uri()='U']
//     in a namespace, without the path of its element (the skeleton's
//     attribute template does not recurse to the parent);
//   - the document node gives the path of its document element;
//   - a text node gives its text, a comment or processing instruction
//     nothing (XSLT's built-in template rules).
func (n Node) Path() string {
	r := n.r
	if r == nil {
		return ""
	}
	switch r.kind {
	case DocumentNode:
		var b strings.Builder
		for c := r.first; c >= 0; c = r.d.nodes[c].next {
			if r.d.nodes[c].kind == ElementNode {
				Node{&r.d.nodes[c]}.writePath(&b)
			}
		}
		return b.String()
	case ElementNode:
		var b strings.Builder
		n.writePath(&b)
		return b.String()
	case AttributeNode:
		if r.space == "" {
			return "/@" + n.QName()
		}
		return "/@*[local-name()='" + r.local + "' and namespace-uri()='" + r.space + "']"
	case TextNode:
		return r.value
	}
	return ""
}

func (n Node) writePath(b *strings.Builder) {
	r := n.r
	nodes := r.d.nodes
	if r.parent >= 0 && nodes[r.parent].kind == ElementNode {
		Node{&nodes[r.parent]}.writePath(b)
	}
	b.WriteByte('/')
	// Siblings compared by name() when in no namespace, by local-name()
	// otherwise, as the skeleton does.
	same := func(o *nodeRec) bool {
		if o.kind != ElementNode || o.local != r.local {
			return false
		}
		if r.space == "" {
			return o.prefix == r.prefix
		}
		return true
	}
	pos, after := 1, false
	for s := r.prev; s >= 0; s = nodes[s].prev {
		if same(&nodes[s]) {
			pos++
		}
	}
	for s := r.next; s >= 0 && !after; s = nodes[s].next {
		after = same(&nodes[s])
	}
	if r.space == "" {
		b.WriteString(n.QName())
	} else {
		b.WriteString("*[local-name()='")
		b.WriteString(r.local)
		b.WriteString("' and namespace-uri()='")
		b.WriteString(r.space)
		b.WriteString("']")
	}
	if pos > 1 || after {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(pos))
		b.WriteByte(']')
	}
}

// Compare orders nodes in document order (XDM §2.4): -1 when n comes
// before m, 0 when they are the same node, 1 when n comes after m. An
// element precedes its attributes, which precede its children. Nodes of
// different documents are ordered by the creation of their Documents.
func (n Node) Compare(m Node) int {
	switch {
	case n == m:
		return 0
	case n.r == nil:
		return -1
	case m.r == nil:
		return 1
	case before(n, m):
		return -1
	}
	return 1
}

// before reports whether a precedes b in document order (documents ordered by
// creation).
func before(a, b Node) bool {
	if a.r.d != b.r.d {
		return a.r.d.id < b.r.d.id
	}
	return a.r.idx < b.r.idx
}

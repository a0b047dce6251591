// Package xmltree is the one XML tree of oots: a screened parser (no DTDs, no
// entities, limits on size, depth, element and attribute counts), a tree whose
// names carry namespace URIs (prefixes are kept only to write the document
// back as it came), a serializer, and Exclusive XML Canonicalization 1.0
// (https://www.w3.org/TR/xml-exc-c14n/) for signatures and comparisons.
//
// Every layer above it (the RegRep/EDM model, the Schematron engine's XPath,
// WS-Security) reads and writes XML through this package, so that screening
// happens once and namespace matching is by URI everywhere (STYLE.md §13).
package xmltree

import (
	"slices"
	"strconv"
	"strings"
)

// Well-known namespace URIs.
const (
	// NamespaceXML is bound to the prefix "xml" in every document.
	NamespaceXML = "http://www.w3.org/XML/1998/namespace"
	// NamespaceXMLNS is the namespace of namespace declarations.
	NamespaceXMLNS = "http://www.w3.org/2000/xmlns/"
)

// Name is an expanded name: a namespace URI and a local name.
type Name struct {
	Space string // namespace URI; "" for no namespace
	Local string
}

// String returns the name in Clark notation, {uri}local, or local alone.
func (n Name) String() string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

// Attr is an attribute. Namespace declarations are not attributes here: they
// are kept in Element.NS.
type Attr struct {
	Name
	Prefix string // as written; "" for no prefix
	Value  string
}

// NS is a namespace declaration written on an element: xmlns:Prefix="URI", or
// xmlns="URI" when Prefix is empty.
type NS struct {
	Prefix string
	URI    string
}

// Node is an element, character data, a comment or a processing instruction.
type Node interface {
	// Parent returns the element that contains the node, or nil for a node at
	// the top level of a document or a detached node.
	Parent() *Element
	setParent(*Element)
}

type link struct{ parent *Element }

func (l *link) Parent() *Element     { return l.parent }
func (l *link) setParent(e *Element) { l.parent = e }

// CharData is text, with entities and character references already resolved.
type CharData struct {
	link
	Data string
}

// Comment is an XML comment.
type Comment struct {
	link
	Data string
}

// ProcInst is a processing instruction.
type ProcInst struct {
	link
	Target string
	Inst   string
}

// Element is an XML element.
type Element struct {
	link
	Name
	Prefix   string // as written; "" for the default namespace or none
	NS       []NS   // namespace declarations written on this element, in order
	Attr     []Attr // attributes in document order, without namespace declarations
	Children []Node
	Line     int // line of the start tag in the parsed input; 0 when built

	alloc *nodeAlloc // of the tree the element was parsed, copied or built in
}

// Document is a parsed XML document: the root element and the comments and
// processing instructions around it (the XML declaration is not kept).
type Document struct {
	Children []Node
	Root     *Element
}

// NewElement returns a detached element. The prefix is used when the element is
// written; Write declares it where needed.
func NewElement(space, prefix, local string) *Element {
	return &Element{Name: Name{Space: space, Local: local}, Prefix: prefix}
}

// allocator returns the nodeAlloc of e's tree, giving e one if it has none
// (an element made by NewElement or as a literal).
func (e *Element) allocator() *nodeAlloc {
	if e.alloc == nil {
		e.alloc = newBuiltAlloc()
	}
	return e.alloc
}

// AddChild appends n to e's children and returns n.
func (e *Element) AddChild(n Node) Node {
	n.setParent(e)
	if e.Children == nil {
		// Built elements mostly get a few children.
		e.Children = e.allocator().nodes(4)
	}
	e.Children = append(e.Children, n)
	return n
}

// AddElement creates an element in the given namespace, appends it and returns it.
func (e *Element) AddElement(space, prefix, local string) *Element {
	c := e.allocator().element()
	c.Name, c.Prefix = Name{Space: space, Local: local}, prefix
	e.AddChild(c)
	return c
}

// AddText appends character data.
func (e *Element) AddText(s string) {
	e.AddChild(e.allocator().text(s))
}

// InsertChild inserts n before position i.
func (e *Element) InsertChild(i int, n Node) {
	n.setParent(e)
	e.Children = append(e.Children, nil)
	copy(e.Children[i+1:], e.Children[i:])
	e.Children[i] = n
}

// RemoveChild removes n from e's children and reports whether it was there.
func (e *Element) RemoveChild(n Node) bool {
	for i, c := range e.Children {
		if c == n {
			e.Children = append(e.Children[:i], e.Children[i+1:]...)
			n.setParent(nil)
			return true
		}
	}
	return false
}

// DeclareNS adds a namespace declaration on e (replacing one for the same prefix).
func (e *Element) DeclareNS(prefix, uri string) {
	for i := range e.NS {
		if e.NS[i].Prefix == prefix {
			e.NS[i].URI = uri
			return
		}
	}
	if e.NS == nil {
		if e.alloc == nil {
			// An element with no tree of its own yet: a slice of its own
			// is smaller than the blocks of a tree (see allocator).
			e.NS = make([]NS, 0, 2)
		} else {
			e.NS = e.alloc.ns(2)
		}
	}
	e.NS = append(e.NS, NS{Prefix: prefix, URI: uri})
}

// Is reports whether e has the expanded name {space}local.
func (e *Element) Is(space, local string) bool {
	return e.Space == space && e.Local == local
}

// AttrValue returns the value of the attribute {space}local.
func (e *Element) AttrValue(space, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Space == space && a.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// SelectAttr returns the value of the attribute {space}local, or "".
func (e *Element) SelectAttr(space, local string) string {
	v, _ := e.AttrValue(space, local)
	return v
}

// SetAttr sets (or adds) the attribute {space}local with the given prefix.
func (e *Element) SetAttr(space, prefix, local, value string) {
	for i := range e.Attr {
		if e.Attr[i].Space == space && e.Attr[i].Local == local {
			e.Attr[i].Value = value
			e.Attr[i].Prefix = prefix
			return
		}
	}
	if e.Attr == nil {
		if e.alloc == nil {
			e.Attr = make([]Attr, 0, 2) // see DeclareNS
		} else {
			e.Attr = e.alloc.attrs(2)
		}
	}
	e.Attr = append(e.Attr, Attr{Name: Name{Space: space, Local: local}, Prefix: prefix, Value: value})
}

// RemoveAttr removes the attribute {space}local if present.
func (e *Element) RemoveAttr(space, local string) {
	for i := range e.Attr {
		if e.Attr[i].Space == space && e.Attr[i].Local == local {
			e.Attr = append(e.Attr[:i], e.Attr[i+1:]...)
			return
		}
	}
}

// Elements returns the child elements of e.
func (e *Element) Elements() []*Element {
	var out []*Element
	for _, c := range e.Children {
		if ce, ok := c.(*Element); ok {
			out = append(out, ce)
		}
	}
	return out
}

// Child returns the first child element named {space}local, or nil.
func (e *Element) Child(space, local string) *Element {
	for _, c := range e.Children {
		if ce, ok := c.(*Element); ok && ce.Space == space && ce.Local == local {
			return ce
		}
	}
	return nil
}

// ChildrenNamed returns the child elements named {space}local.
func (e *Element) ChildrenNamed(space, local string) []*Element {
	var out []*Element
	for _, c := range e.Children {
		if ce, ok := c.(*Element); ok && ce.Space == space && ce.Local == local {
			out = append(out, ce)
		}
	}
	return out
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	var one *CharData // the text of most elements is one node: no copy
	n := 0
	for _, c := range e.Children {
		if cd, ok := c.(*CharData); ok {
			one = cd
			n++
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return one.Data
	}
	var b strings.Builder
	for _, c := range e.Children {
		if cd, ok := c.(*CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// DeepText returns the string value of e: all descendant character data.
func (e *Element) DeepText() string {
	var b strings.Builder
	var walk func(*Element)
	walk = func(x *Element) {
		for _, c := range x.Children {
			switch n := c.(type) {
			case *CharData:
				b.WriteString(n.Data)
			case *Element:
				walk(n)
			}
		}
	}
	walk(e)
	return b.String()
}

// SetText replaces e's children with one text node (or none for "").
func (e *Element) SetText(s string) {
	for _, c := range e.Children {
		c.setParent(nil)
	}
	e.Children = nil
	if s != "" {
		e.AddText(s)
	}
}

// LookupPrefix returns the namespace URI bound to prefix in e's scope.
func (e *Element) LookupPrefix(prefix string) (string, bool) {
	if prefix == "xml" {
		return NamespaceXML, true
	}
	for x := e; x != nil; x = x.parent {
		for _, ns := range x.NS {
			if ns.Prefix == prefix {
				return ns.URI, true
			}
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// InScope returns the namespace declarations in scope at e, nearest first
// overriding, sorted by prefix. Undeclarations of the default namespace
// (xmlns="") are omitted.
func (e *Element) InScope() []NS {
	var out []NS
	seenDefault := false
	for x := e; x != nil; x = x.parent {
		for _, ns := range x.NS {
			if ns.Prefix == "" {
				if seenDefault {
					continue
				}
				seenDefault = true
				if ns.URI == "" {
					continue
				}
			} else if slices.ContainsFunc(out, func(o NS) bool { return o.Prefix == ns.Prefix }) {
				continue
			}
			out = append(out, ns)
		}
	}
	sortNS(out)
	return out
}

// Root returns the outermost ancestor of e (e itself if it has no parent).
func (e *Element) Root() *Element {
	x := e
	for x.parent != nil {
		x = x.parent
	}
	return x
}

// Path returns an XPath-like location of e using the prefixes as written and
// 1-based positions among same-named siblings, e.g.
// /query:QueryRequest/rim:Slot[3]/rim:SlotValue.
func (e *Element) Path() string {
	var parts []string
	for x := e; x != nil; x = x.parent {
		step := x.QName()
		if p := x.parent; p != nil {
			n, idx := 0, 0
			for _, s := range p.Children {
				if se, ok := s.(*Element); ok && se.Name == x.Name {
					n++
					if se == x {
						idx = n
					}
				}
			}
			if n > 1 {
				step += "[" + strconv.Itoa(idx) + "]"
			}
		}
		parts = append(parts, step)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// QName returns the element's name as written: prefix:local or local.
func (e *Element) QName() string {
	if e.Prefix == "" {
		return e.Local
	}
	return e.Prefix + ":" + e.Local
}

// Copy returns a deep copy of e, detached from any parent. Namespace
// declarations in scope at e but written on its ancestors are copied onto the
// new root, so the copy means the same when written on its own.
func (e *Element) Copy() *Element {
	c := e.copyTree()
	if e.parent != nil {
		c.inherit(e.InScope())
	}
	return c
}

// Detach removes e from its parent and keeps it whole, as Copy would copy
// it, but without copying: the namespace declarations in scope at e but
// written on its ancestors are declared on e, so that e means the same on
// its own. An element without a parent is left as it is.
func (e *Element) Detach() {
	p := e.parent
	if p == nil {
		return
	}
	e.inherit(e.InScope())
	p.RemoveChild(e)
}

// inherit declares on e the namespaces of scope that e does not declare
// itself.
func (e *Element) inherit(scope []NS) {
	for _, ns := range scope {
		if _, ok := e.lookupOwn(ns.Prefix); !ok {
			e.NS = append(e.NS, ns)
		}
	}
}

func (e *Element) lookupOwn(prefix string) (string, bool) {
	for _, ns := range e.NS {
		if ns.Prefix == prefix {
			return ns.URI, true
		}
	}
	return "", false
}

func (e *Element) copyTree() *Element {
	return e.copyInto(sizedFor(e))
}

func (e *Element) copyInto(a *nodeAlloc) *Element {
	c := a.element()
	c.Name, c.Prefix, c.Line = e.Name, e.Prefix, e.Line
	c.NS = append(a.ns(len(e.NS)), e.NS...)
	c.Attr = append(a.attrs(len(e.Attr)), e.Attr...)
	c.Children = a.nodes(len(e.Children))
	for _, ch := range e.Children {
		switch n := ch.(type) {
		case *Element:
			c.AddChild(n.copyInto(a))
		case *CharData:
			c.AddChild(a.text(n.Data))
		case *Comment:
			c.AddChild(&Comment{Data: n.Data})
		case *ProcInst:
			c.AddChild(&ProcInst{Target: n.Target, Inst: n.Inst})
		}
	}
	return c
}

// Walk calls fn for e and every descendant element in document order; when fn
// returns false the element's descendants are skipped.
func (e *Element) Walk(fn func(*Element) bool) {
	if !fn(e) {
		return
	}
	for _, c := range e.Children {
		if ce, ok := c.(*Element); ok {
			ce.Walk(fn)
		}
	}
}

// StripInsignificant removes comments and processing instructions from e's
// subtree, and whitespace-only character data wherever an element has element
// children (the text of a leaf element is content and is kept).
func (e *Element) StripInsignificant() {
	hasElem := false
	for _, c := range e.Children {
		if _, ok := c.(*Element); ok {
			hasElem = true
			break
		}
	}
	kept := make([]Node, 0, len(e.Children))
	for _, c := range e.Children {
		switch n := c.(type) {
		case *Comment, *ProcInst:
			continue
		case *CharData:
			if hasElem && strings.TrimSpace(n.Data) == "" {
				continue
			}
		case *Element:
			n.StripInsignificant()
		}
		kept = append(kept, c)
	}
	e.Children = kept
}

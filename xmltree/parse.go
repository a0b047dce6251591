package xmltree

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound what Parse accepts. A zero field takes the default.
type Limits struct {
	MaxBytes    int64 // size of the document; default 32 MiB
	MaxDepth    int   // element nesting; default 256
	MaxElements int   // elements in the document; default 1,000,000
	MaxAttrs    int   // attributes (with namespace declarations) per element; default 256
}

// Default limits, suited to OOTS messages (payloads travel as attachments,
// not inside the XML).
const (
	DefaultMaxBytes    = 32 << 20
	DefaultMaxDepth    = 256
	DefaultMaxElements = 1_000_000
	DefaultMaxAttrs    = 256
)

func (l *Limits) withDefaults() Limits {
	var o Limits
	if l != nil {
		o = *l
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxElements <= 0 {
		o.MaxElements = DefaultMaxElements
	}
	if o.MaxAttrs <= 0 {
		o.MaxAttrs = DefaultMaxAttrs
	}
	return o
}

// Errors returned (wrapped in *SyntaxError) by Parse.
var (
	// ErrDTD: the document has a document type declaration. DTDs and entity
	// declarations are refused outright (XML bombs, external entities).
	ErrDTD = errors.New("document type declarations (DTD) are not allowed")
	// ErrTooLarge: the document is larger than Limits.MaxBytes.
	ErrTooLarge = errors.New("document too large")
	// ErrTooDeep: elements nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("elements nested too deeply")
	// ErrTooManyElements: more than Limits.MaxElements elements.
	ErrTooManyElements = errors.New("too many elements")
	// ErrTooManyAttrs: an element has more than Limits.MaxAttrs attributes.
	ErrTooManyAttrs = errors.New("too many attributes on one element")
	// ErrNamespace: a prefix is used without a declaration, or redeclared badly.
	ErrNamespace = errors.New("namespace error")
	// ErrSyntax: the input is not well-formed XML.
	ErrSyntax = errors.New("not well-formed XML")
	// ErrNoRoot: the input has no document element.
	ErrNoRoot = errors.New("no document element")
)

// SyntaxError reports where parsing stopped and why. Err is one of the
// sentinel errors above (test with errors.Is); Detail adds the specifics.
type SyntaxError struct {
	Line   int
	Err    error
	Detail string
}

func (e *SyntaxError) Error() string {
	s := e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *SyntaxError) Unwrap() error { return e.Err }

type limitedReader struct {
	r        io.Reader
	n, limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n >= l.limit {
		// Allow detecting EOF exactly at the limit.
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.limit-l.n {
		p = p[:l.limit-l.n]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}

// ParseBytes parses a document held in memory.
func ParseBytes(b []byte, lim *Limits) (*Document, error) {
	return parse(bytes.NewReader(b), lim, len(b)+1)
}

// Parse reads one XML document, screening it as it goes: a DTD, an undeclared
// prefix, or a document beyond the limits stops it with a *SyntaxError.
// Only UTF-8 (and its US-ASCII subset) is accepted.
func Parse(r io.Reader, lim *Limits) (*Document, error) {
	return parse(r, lim, readBuffer)
}

// nodeBlock is the number of elements (or text nodes) allocated at once.
const nodeBlock = 16

// nodeAlloc carves elements and text nodes from small blocks: one
// allocation for many nodes instead of one each (a SOAP envelope has a
// hundred). A block stays alive while any of its nodes does.
type nodeAlloc struct {
	elems     []Element
	texts     []CharData
	attrBlock []Attr
	nsBlock   []NS
}

func (a *nodeAlloc) element() *Element {
	if len(a.elems) == cap(a.elems) {
		a.elems = make([]Element, 0, nodeBlock)
	}
	a.elems = a.elems[:len(a.elems)+1]
	return &a.elems[len(a.elems)-1]
}

// attrs returns an empty slice with room for exactly n attributes (nil
// for none); appending more reallocates, never touching a neighbour's.
func (a *nodeAlloc) attrs(n int) []Attr {
	if n == 0 {
		return nil
	}
	if cap(a.attrBlock)-len(a.attrBlock) < n {
		a.attrBlock = make([]Attr, 0, max(n, 2*nodeBlock))
	}
	i := len(a.attrBlock)
	a.attrBlock = a.attrBlock[:i+n]
	return a.attrBlock[i : i : i+n]
}

// ns is attrs for namespace declarations.
func (a *nodeAlloc) ns(n int) []NS {
	if n == 0 {
		return nil
	}
	if cap(a.nsBlock)-len(a.nsBlock) < n {
		a.nsBlock = make([]NS, 0, max(n, nodeBlock))
	}
	i := len(a.nsBlock)
	a.nsBlock = a.nsBlock[:i+n]
	return a.nsBlock[i : i : i+n]
}

func (a *nodeAlloc) text(data string) *CharData {
	if len(a.texts) == cap(a.texts) {
		a.texts = make([]CharData, 0, nodeBlock)
	}
	a.texts = a.texts[:len(a.texts)+1]
	t := &a.texts[len(a.texts)-1]
	t.Data = data
	return t
}

// readBuffer is the read-ahead of Parse on a stream.
const readBuffer = 64 << 10

func parse(r io.Reader, lim *Limits, bufSize int) (*Document, error) {
	l := lim.withDefaults()
	lr := &limitedReader{r: r, limit: l.MaxBytes}
	an := newAttrNormalizer(lr, min(bufSize, readBuffer))
	defer an.release()
	d := xml.NewDecoder(an)
	d.Strict = true
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q (only UTF-8)", label)
	}
	doc := &Document{}
	var stack []*Element
	var alloc nodeAlloc
	// The children of open elements wait in pending (those of stack[i]
	// from starts[i] on); when an element ends they are copied into a
	// shared block as a slice with no spare capacity, so that appending
	// to it later reallocates instead of writing over a neighbour.
	var pending, block []Node
	var starts []int
	addChild := func(n Node) {
		n.setParent(stack[len(stack)-1])
		pending = append(pending, n)
	}
	endElement := func() {
		e, from := stack[len(stack)-1], starts[len(starts)-1]
		if k := len(pending) - from; k > 0 {
			if cap(block)-len(block) < k {
				block = make([]Node, 0, max(k, 4*nodeBlock))
			}
			i := len(block)
			block = append(block, pending[from:]...)
			e.Children = block[i : i+k : i+k]
		}
		clear(pending[from:])
		pending = pending[:from]
		stack, starts = stack[:len(stack)-1], starts[:len(starts)-1]
	}
	elements := 0
	fail := func(err error, detail string) (*Document, error) {
		line, _ := d.InputPos()
		return nil, &SyntaxError{Line: line, Err: err, Detail: detail}
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return fail(ErrTooLarge, fmt.Sprintf("more than %d bytes", l.MaxBytes))
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &SyntaxError{Line: se.Line, Err: ErrSyntax, Detail: se.Msg}
			}
			return fail(ErrSyntax, err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && doc.Root != nil {
				return fail(ErrSyntax, "more than one document element")
			}
			if len(stack) >= l.MaxDepth {
				return fail(ErrTooDeep, fmt.Sprintf("deeper than %d", l.MaxDepth))
			}
			elements++
			if elements > l.MaxElements {
				return fail(ErrTooManyElements, fmt.Sprintf("more than %d", l.MaxElements))
			}
			if len(t.Attr) > l.MaxAttrs {
				return fail(ErrTooManyAttrs, fmt.Sprintf("%d on <%s>", len(t.Attr), rawName(t.Name)))
			}
			line, _ := d.InputPos()
			e := alloc.element()
			e.Line = line
			if len(stack) > 0 {
				addChild(e)
			}
			if len(t.Attr) > 0 {
				nns := 0
				for _, a := range t.Attr {
					if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
						nns++
					}
				}
				e.NS, e.Attr = alloc.ns(nns), alloc.attrs(len(t.Attr)-nns)
			}
			// Declarations first: they apply to the element's own name and attributes.
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if a.Name.Local == "xml" && a.Value != NamespaceXML || a.Name.Local == "xmlns" {
						return fail(ErrNamespace, fmt.Sprintf("reserved prefix %q redeclared", a.Name.Local))
					}
					if a.Value == "" {
						return fail(ErrNamespace, fmt.Sprintf("prefix %q undeclared (xmlns:%s=\"\" is not XML 1.0)", a.Name.Local, a.Name.Local))
					}
					e.NS = append(e.NS, NS{Prefix: a.Name.Local, URI: a.Value})
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					e.NS = append(e.NS, NS{URI: a.Value})
				}
			}
			e.Prefix, e.Local = t.Name.Space, t.Name.Local
			uri, ok := e.LookupPrefix(e.Prefix)
			if !ok {
				return fail(ErrNamespace, fmt.Sprintf("undeclared prefix %q on element <%s>", e.Prefix, rawName(t.Name)))
			}
			e.Space = uri
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				at := Attr{Prefix: a.Name.Space, Name: Name{Local: a.Name.Local}, Value: a.Value}
				if at.Prefix != "" {
					u, ok := e.LookupPrefix(at.Prefix)
					if !ok || u == "" {
						return fail(ErrNamespace, fmt.Sprintf("undeclared prefix %q on attribute %s:%s", at.Prefix, at.Prefix, at.Local))
					}
					at.Space = u
				}
				for _, prev := range e.Attr {
					if prev.Name == at.Name {
						return fail(ErrSyntax, fmt.Sprintf("attribute %s repeated on <%s>", at.Name, rawName(t.Name)))
					}
				}
				e.Attr = append(e.Attr, at)
			}
			if len(stack) == 0 {
				doc.Root = e
				doc.Children = append(doc.Children, e)
			}
			stack = append(stack, e)
			starts = append(starts, len(pending))
		case xml.EndElement:
			if len(stack) == 0 {
				return fail(ErrSyntax, "unexpected end tag </"+rawName(t.Name)+">")
			}
			top := stack[len(stack)-1]
			if top.Prefix != t.Name.Space || top.Local != t.Name.Local {
				return fail(ErrSyntax, fmt.Sprintf("element <%s> closed by </%s>", top.QName(), rawName(t.Name)))
			}
			endElement()
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return fail(ErrSyntax, "text outside the document element")
				}
				continue
			}
			// Merge adjacent text (CDATA sections split it).
			if n := len(pending); n > starts[len(starts)-1] {
				if cd, ok := pending[n-1].(*CharData); ok {
					cd.Data += string(t)
					continue
				}
			}
			addChild(alloc.text(string(t)))
		case xml.Comment:
			c := &Comment{Data: string(t)}
			if len(stack) == 0 {
				doc.Children = append(doc.Children, c)
			} else {
				addChild(c)
			}
		case xml.ProcInst:
			if t.Target == "xml" {
				continue // the XML declaration
			}
			p := &ProcInst{Target: t.Target, Inst: string(t.Inst)}
			if len(stack) == 0 {
				doc.Children = append(doc.Children, p)
			} else {
				addChild(p)
			}
		case xml.Directive:
			return fail(ErrDTD, "<!"+truncate(string(t), 40)+">")
		}
	}
	if len(stack) > 0 {
		return fail(ErrSyntax, "unexpected end of input inside <"+stack[len(stack)-1].QName()+">")
	}
	if doc.Root == nil {
		return fail(ErrNoRoot, "")
	}
	return doc, nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

package xmltree

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// WriteOptions control Write.
type WriteOptions struct {
	// Declaration writes <?xml version="1.0" encoding="UTF-8"?> first.
	Declaration bool
	// Indent, when not empty, re-indents element-only content with this unit
	// (whitespace-only text between elements is replaced; text content is
	// left as it is).
	Indent string
}

// writers recycles the 4 KiB output buffers of Write, WriteElement and
// Canonicalize: a signed message is canonicalized a dozen times.
var writers = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// getWriter returns a buffered writer on w: w itself when it is a large
// enough *bufio.Writer (as bufio.NewWriter does), else a pooled one.
func getWriter(w io.Writer) *bufio.Writer {
	if bw, ok := w.(*bufio.Writer); ok && bw.Size() >= 4096 {
		return bw
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

// putWriter returns bw to the pool unless it is the caller's w.
func putWriter(bw *bufio.Writer, w io.Writer) {
	if bw == w {
		return
	}
	bw.Reset(nil)
	writers.Put(bw)
}

// Write serializes doc. Namespace declarations are written where the tree has
// them; a prefix used without a declaration in scope gets one on the element
// that uses it, so any tree writes as well-formed, namespace-correct XML.
func Write(w io.Writer, doc *Document, opt WriteOptions) error {
	bw := getWriter(w)
	defer putWriter(bw, w)
	if opt.Declaration {
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	for i, c := range doc.Children {
		if i > 0 {
			bw.WriteByte('\n')
		}
		writeNode(bw, c, nil, opt.Indent, 0)
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// WriteElement serializes e as a standalone fragment: declarations in scope
// at e that its subtree uses are written on it.
func WriteElement(w io.Writer, e *Element, opt WriteOptions) error {
	bw := getWriter(w)
	defer putWriter(bw, w)
	if opt.Declaration {
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	writeNode(bw, e, nil, opt.Indent, 0)
	return bw.Flush()
}

// Bytes returns doc serialized with an XML declaration and the tree's own
// whitespace.
func (doc *Document) Bytes() []byte {
	var b bytes.Buffer
	Write(&b, doc, WriteOptions{Declaration: true})
	return b.Bytes()
}

// scope is a persistent chain of prefix bindings that have been written.
type scope struct {
	prefix, uri string
	next        *scope
}

func (s *scope) lookup(prefix string) (string, bool) {
	for x := s; x != nil; x = x.next {
		if x.prefix == prefix {
			return x.uri, true
		}
	}
	if prefix == "xml" {
		return NamespaceXML, true
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

func (s *scope) prefixFor(uri string) (string, bool) {
	seen := map[string]bool{}
	for x := s; x != nil; x = x.next {
		if seen[x.prefix] {
			continue
		}
		seen[x.prefix] = true
		if x.uri == uri && x.prefix != "" {
			return x.prefix, true
		}
	}
	return "", false
}

func writeNode(w *bufio.Writer, n Node, sc *scope, indent string, depth int) {
	switch t := n.(type) {
	case *Element:
		writeElement(w, t, sc, indent, depth)
	case *CharData:
		escapeText(w, t.Data)
	case *Comment:
		w.WriteString("<!--")
		w.WriteString(t.Data)
		w.WriteString("-->")
	case *ProcInst:
		w.WriteString("<?")
		w.WriteString(t.Target)
		if t.Inst != "" {
			w.WriteByte(' ')
			w.WriteString(t.Inst)
		}
		w.WriteString("?>")
	}
}

func writeElement(w *bufio.Writer, e *Element, sc *scope, indent string, depth int) {
	// Declarations as written, less those that repeat a binding already in
	// scope (a copied subtree carries its context's declarations; writing
	// them again would make output depend on how often it was copied).
	var declBuf [8]NS
	decls := declBuf[:0]
	for _, ns := range e.NS {
		if u, ok := sc.lookup(ns.Prefix); ok && u == ns.URI && (ns.Prefix != "" || sc != nil) {
			continue
		}
		decls = append(decls, ns)
		sc = &scope{prefix: ns.Prefix, uri: ns.URI, next: sc}
	}
	declare := func(prefix, uri string) {
		decls = append(decls, NS{Prefix: prefix, URI: uri})
		sc = &scope{prefix: prefix, uri: uri, next: sc}
	}
	if u, ok := sc.lookup(e.Prefix); !ok || u != e.Space {
		if e.Prefix == "" || e.Space != "" {
			declare(e.Prefix, e.Space)
		}
	}
	var attrBuf [8]Attr
	attrs := append(attrBuf[:0], e.Attr...)
	for i := range attrs {
		a := &attrs[i]
		if a.Space == "" {
			a.Prefix = ""
			continue
		}
		if a.Space == NamespaceXML {
			a.Prefix = "xml"
			continue
		}
		if a.Prefix != "" {
			if u, ok := sc.lookup(a.Prefix); ok && u == a.Space {
				continue
			}
			if _, ok := sc.lookup(a.Prefix); !ok {
				declare(a.Prefix, a.Space)
				continue
			}
		}
		if p, ok := sc.prefixFor(a.Space); ok {
			a.Prefix = p
			continue
		}
		for k := 1; ; k++ {
			p := "ns" + strconv.Itoa(k)
			if _, ok := sc.lookup(p); !ok {
				a.Prefix = p
				declare(p, a.Space)
				break
			}
		}
	}
	w.WriteByte('<')
	writeQName(w, e)
	writeNSDecls(w, decls)
	for _, a := range attrs {
		w.WriteByte(' ')
		if a.Prefix != "" {
			w.WriteString(a.Prefix)
			w.WriteByte(':')
		}
		w.WriteString(a.Local)
		w.WriteString(`="`)
		escapeAttr(w, a.Value)
		w.WriteByte('"')
	}
	if len(e.Children) == 0 {
		w.WriteString("/>")
		return
	}
	w.WriteByte('>')
	reindent := indent != "" && elementOnly(e)
	for _, c := range e.Children {
		if reindent {
			if _, ok := c.(*CharData); ok {
				continue
			}
			w.WriteByte('\n')
			w.WriteString(strings.Repeat(indent, depth+1))
		}
		writeNode(w, c, sc, indent, depth+1)
	}
	if reindent {
		w.WriteByte('\n')
		w.WriteString(strings.Repeat(indent, depth))
	}
	w.WriteString("</")
	writeQName(w, e)
	w.WriteByte('>')
}

// elementOnly reports whether e has child elements and no text but whitespace.
func elementOnly(e *Element) bool {
	hasElem := false
	for _, c := range e.Children {
		switch t := c.(type) {
		case *Element:
			hasElem = true
		case *CharData:
			if strings.TrimSpace(t.Data) != "" {
				return false
			}
		}
	}
	return hasElem
}

func escapeText(w *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
}

func escapeAttr(w *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
}

// writeNSDecls writes namespace declarations as attributes of a start tag.
func writeNSDecls(w *bufio.Writer, decls []NS) {
	for _, ns := range decls {
		if ns.Prefix == "" {
			w.WriteString(` xmlns="`)
		} else {
			w.WriteString(" xmlns:")
			w.WriteString(ns.Prefix)
			w.WriteString(`="`)
		}
		escapeAttr(w, ns.URI)
		w.WriteByte('"')
	}
}

func sortNS(ns []NS) {
	slices.SortFunc(ns, func(a, b NS) int { return strings.Compare(a.Prefix, b.Prefix) })
}

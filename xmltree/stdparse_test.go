package xmltree

// The parser of xmltree before it had a tokenizer of its own: encoding/xml's
// RawToken with the same screening on top. It is kept here, for the tests
// only, as the oracle of the differential fuzz target FuzzParseDifferential.

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parseStd parses b as Parse did with encoding/xml.
func parseStd(b []byte, lim *Limits) (*Document, error) {
	r, bufSize := bytes.NewReader(b), len(b)+1
	l := lim.withDefaults()
	lr := &limitedReader{r: r, limit: l.MaxBytes}
	an := newAttrNormalizer(lr, min(bufSize, 64<<10))
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
	alloc := &nodeAlloc{first: parseBlock}
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
				block = make([]Node, 0, max(k, 4*parseBlock))
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
				return fail(ErrTooManyAttrs, fmt.Sprintf("%d on <%s>", len(t.Attr), rawNameStd(t.Name)))
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
				return fail(ErrNamespace, fmt.Sprintf("undeclared prefix %q on element <%s>", e.Prefix, rawNameStd(t.Name)))
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
						return fail(ErrSyntax, fmt.Sprintf("attribute %s repeated on <%s>", at.Name, rawNameStd(t.Name)))
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
				return fail(ErrSyntax, "unexpected end tag </"+rawNameStd(t.Name)+">")
			}
			top := stack[len(stack)-1]
			if top.Prefix != t.Name.Space || top.Local != t.Name.Local {
				return fail(ErrSyntax, fmt.Sprintf("element <%s> closed by </%s>", top.QName(), rawNameStd(t.Name)))
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
			return fail(ErrDTD, "<!"+truncateStd(string(t), 40)+">")
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

func rawNameStd(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func truncateStd(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

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

// attrNormalizer applies attribute-value normalization (XML 1.0 §3.3.3) to
// literal white space: inside a quoted attribute value of a start tag, each
// literal tab, line feed or carriage return (a CR LF pair counting as one)
// becomes a space. encoding/xml does not normalize attribute values, and it
// resolves character references before we see the value, so the literal
// characters are replaced here, in the byte stream, where a character
// reference such as &#xA; is still text and keeps its meaning. Without this,
// a value with a line break would canonicalize differently from every other
// XML processor and break signatures.
type attrNormalizer struct {
	r      *bufio.Reader
	state  int
	quote  byte
	match  string // terminator being matched in comment/CDATA/PI states
	held   []byte // bytes read ahead while classifying markup
	lastCR bool
}

const (
	stText   = iota
	stTag    // inside a start or end tag, outside quotes
	stQuoted // inside a quoted attribute value
	stSkip   // inside a comment, CDATA section or PI until match
)

func newAttrNormalizer(r io.Reader, size int) *attrNormalizer {
	return &attrNormalizer{r: bufio.NewReaderSize(r, size)}
}

// Read fills p from ReadByte.
func (a *attrNormalizer) Read(p []byte) (int, error) {
	for n := range p {
		c, err := a.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		p[n] = c
	}
	return len(p), nil
}

// ReadByte returns the next byte of the normalized stream. encoding/xml
// reads an io.ByteReader directly, without a buffer of its own.
func (a *attrNormalizer) ReadByte() (byte, error) {
	for {
		if len(a.held) > 0 {
			c := a.held[0]
			a.held = a.held[1:]
			return c, nil
		}
		c, err := a.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch a.state {
		case stText:
			if c == '<' {
				a.classify()
			}
		case stTag:
			switch c {
			case '"', '\'':
				a.state, a.quote = stQuoted, c
			case '>':
				a.state = stText
			}
		case stQuoted:
			switch c {
			case a.quote:
				a.state = stTag
			case '\t', '\n':
				if c == '\n' && a.lastCR {
					a.lastCR = false
					continue
				}
				c = ' '
			case '\r':
				a.lastCR = true
				return ' ', nil
			}
		case stSkip:
			// Track the terminator with a sliding comparison.
			a.held = nil
			if c == a.match[0] {
				if rest, err := a.r.Peek(len(a.match) - 1); err == nil && string(rest) == a.match[1:] {
					a.r.Discard(len(rest))
					a.held = append(a.held, rest...)
					a.state = stText
				}
			}
		}
		a.lastCR = false
		return c, nil
	}
}

// classify looks at what follows '<' and picks the state.
func (a *attrNormalizer) classify() {
	peek := func(s string) bool {
		b, err := a.r.Peek(len(s))
		return err == nil && string(b) == s
	}
	switch {
	case peek("!--"):
		a.state, a.match = stSkip, "-->"
		a.r.Discard(3)
		a.held = append(a.held, "!--"...)
	case peek("![CDATA["):
		a.state, a.match = stSkip, "]]>"
		a.r.Discard(8)
		a.held = append(a.held, "![CDATA["...)
	case peek("?"):
		a.state, a.match = stSkip, "?>"
		a.r.Discard(1)
		a.held = append(a.held, '?')
	case peek("!"):
		// A DTD; the parser refuses it. Pass it through as a tag.
		a.state = stTag
	default:
		a.state = stTag
	}
}

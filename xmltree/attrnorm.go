package xmltree

import (
	"bufio"
	"io"
	"sync"
)

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
	if size == readBuffer {
		br := readers.Get().(*bufio.Reader)
		br.Reset(r)
		return &attrNormalizer{r: br}
	}
	return &attrNormalizer{r: bufio.NewReaderSize(r, size)}
}

// readers holds the read-ahead buffers of Parse on a stream (64 KiB each,
// more than most documents): one per parse was most of its garbage.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBuffer) }}

// release returns a pooled read-ahead buffer; a is not used after.
func (a *attrNormalizer) release() {
	if a.r.Size() == readBuffer {
		a.r.Reset(nil)
		readers.Put(a.r)
	}
	a.r = nil
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

package xmltree

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// The tokenizer of Parse. It reads the document as one string and builds the
// tree as it goes, so that names, attribute values and text with nothing to
// unescape are slices of the document, not copies; the rest (values with
// references or line breaks) is written into shared blocks. It implements
// the productions of XML 1.0 (Fifth Edition) that a document without a DTD
// can use, with Namespaces in XML 1.0 (Third Edition) on top:
//
//	document  ::= BOM? XMLDecl? Misc* element Misc*        (§2.1, §4.3.3)
//	Misc      ::= Comment | PI | S                         (§2.8)
//	element   ::= EmptyElemTag | STag content ETag         (§3.1)
//	content   ::= CharData? ((element | Reference | CDSect | PI | Comment) CharData?)*
//	Reference ::= '&' ('lt'|'gt'|'amp'|'apos'|'quot') ';' | CharRef   (§4.1, §4.6)
//
// A doctypedecl (§2.8) and any other '<!' markup is ErrDTD. Where
// encoding/xml, which Parse used before, is laxer than the productions,
// this tokenizer follows the productions; the differences are listed in the
// differential fuzz target's test file.

// Details of the checks that encoding/xml did not make. They are kept as
// constants so that the differential test can tell them apart.
const (
	detailAttrSpace   = "attributes not separated by white space"
	detailQName       = "not a qualified name"
	detailCommentChar = "invalid character in comment"
	detailPIChar      = "invalid character in processing instruction"
	detailPISpace     = "no white space after the target of a processing instruction"
	detailXMLDecl     = "the XML declaration"
	detailReservedPI  = "processing instruction target reserved"
	detailSurrogate   = "character reference to a surrogate"
	detailMisc        = "only white space, comments and processing instructions are allowed outside the document element"
	detailDupNS       = "namespace declared twice on one element"
)

// parser holds the state of one parse. Its scratch slices are reused
// through parsers; everything reachable from the tree is new for each parse.
type parser struct {
	src    string
	pos    int
	lim    Limits
	line   int // line of lineAt
	lineAt int

	doc      *Document
	elements int
	stack    []*Element
	// The children of open elements wait in pending (those of stack[i]
	// from starts[i] on); when an element ends they are copied into a
	// shared block as a slice with no spare capacity, so that appending
	// to it later reallocates instead of writing over a neighbour.
	starts  []int
	pending []Node
	alloc   *nodeAlloc
	attrs   []rawAttr       // of the start tag being read
	arena   strings.Builder // unescaped values and text
}

type rawAttr struct {
	prefix, local, value string
	pos                  int
}

var parsers = sync.Pool{New: func() any { return new(parser) }}

func parseString(src string, l Limits) (*Document, error) {
	p := parsers.Get().(*parser)
	p.src, p.lim, p.line, p.lineAt = src, l, 1, 0
	// Blocks for as many elements as there are start tags, which is about
	// right: one allocation of each kind, or two.
	p.alloc = &nodeAlloc{first: max(parseBlock, startTags(src))}
	doc, err := p.document()
	p.reset()
	parsers.Put(p)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// startTags counts the start tags of src, as a size for its blocks: the
// '<' not followed by '/', '?' or '!' (also those inside comments and
// CDATA sections, which is good enough for a size). It stops at maxBlock,
// beyond which no block grows (nodeAlloc.next), or after 4 × maxBlock
// '<': a large document of nothing but '<' or "</" is not read twice,
// one byte search for each, before its parse refuses its first bytes.
func startTags(src string) int {
	n := 0
	for range 4 * maxBlock {
		if n == maxBlock {
			return n
		}
		i := strings.IndexByte(src, '<')
		if i < 0 || i+1 >= len(src) {
			return n
		}
		if c := src[i+1]; c != '/' && c != '?' && c != '!' {
			n++
		}
		src = src[i+1:]
	}
	return n
}

// reset drops every reference into the parsed document.
func (p *parser) reset() {
	clear(p.stack[:cap(p.stack)])
	clear(p.pending[:cap(p.pending)])
	clear(p.attrs[:cap(p.attrs)])
	*p = parser{stack: p.stack[:0], starts: p.starts[:0], pending: p.pending[:0], attrs: p.attrs[:0]}
}

// lineOf returns the line of byte offset pos, not before the last asked.
// As encoding/xml did, it counts line feeds.
func (p *parser) lineOf(pos int) int {
	if pos > len(p.src) {
		pos = len(p.src)
	}
	if pos > p.lineAt {
		p.line += strings.Count(p.src[p.lineAt:pos], "\n")
		p.lineAt = pos
	}
	return p.line
}

func (p *parser) fail(err error, detail string) error {
	return &SyntaxError{Line: p.lineOf(p.pos), Err: err, Detail: detail}
}

func (p *parser) failf(err error, format string, args ...any) error {
	return p.fail(err, fmt.Sprintf(format, args...))
}

func (p *parser) eof(what string) error {
	p.pos = len(p.src)
	return p.fail(ErrSyntax, "unexpected end of input in "+what)
}

func (p *parser) document() (*Document, error) {
	p.doc = &Document{}
	s := p.src
	if strings.HasPrefix(s, "\uFEFF") {
		p.pos = len("\uFEFF")
	}
	if strings.HasPrefix(s[p.pos:], "<?xml") && len(s) > p.pos+5 && (isSpace(s[p.pos+5]) || s[p.pos+5] == '?') {
		if err := p.xmlDecl(); err != nil {
			return nil, err
		}
	}
	for p.pos < len(s) {
		var err error
		switch {
		case s[p.pos] != '<':
			err = p.text()
		case p.pos+1 == len(s):
			err = p.eof("markup")
		case s[p.pos+1] == '/':
			err = p.endTag()
		case s[p.pos+1] == '?':
			err = p.procInst()
		case strings.HasPrefix(s[p.pos:], "<!--"):
			err = p.comment()
		case strings.HasPrefix(s[p.pos:], "<![CDATA["):
			err = p.cdata()
		case s[p.pos+1] == '!':
			if p.pos+2 < len(s) && isASCIILetter(s[p.pos+2]) {
				err = p.fail(ErrDTD, "<!"+truncate(s[p.pos+2:], 40))
			} else {
				err = p.fail(ErrSyntax, "invalid markup after <!")
			}
		default:
			err = p.startTag()
		}
		if err != nil {
			return nil, err
		}
	}
	if len(p.stack) > 0 {
		return nil, p.fail(ErrSyntax, "unexpected end of input inside <"+p.stack[len(p.stack)-1].QName()+">")
	}
	if p.doc.Root == nil {
		return nil, p.fail(ErrNoRoot, "")
	}
	return p.doc, nil
}

// xmlDecl reads the XML declaration (§2.8):
//
//	XMLDecl ::= '<?xml' VersionInfo EncodingDecl? SDDecl? S? '?>'
func (p *parser) xmlDecl() error {
	p.pos += len("<?xml")
	value := func(name string) (string, bool, error) {
		at := p.pos
		if !p.skipSpace() || !strings.HasPrefix(p.src[p.pos:], name) {
			p.pos = at
			return "", false, nil
		}
		p.pos += len(name)
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '=' {
			return "", false, p.fail(ErrSyntax, detailXMLDecl+": = expected after "+name)
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' && p.src[p.pos] != '\'' {
			return "", false, p.fail(ErrSyntax, detailXMLDecl+": quoted value expected for "+name)
		}
		q := p.src[p.pos]
		end := strings.IndexByte(p.src[p.pos+1:], q)
		if end < 0 {
			return "", false, p.eof(detailXMLDecl)
		}
		v := p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return v, true, nil
	}
	v, ok, err := value("version")
	if err != nil {
		return err
	}
	if !ok {
		return p.fail(ErrSyntax, detailXMLDecl+": version expected")
	}
	if v != "1.0" {
		return p.failf(ErrSyntax, "%s: unsupported version %q; only 1.0 is supported", detailXMLDecl, truncate(v, 20))
	}
	if v, ok, err = value("encoding"); err != nil {
		return err
	} else if ok {
		switch strings.ToLower(v) {
		case "utf-8", "utf8", "us-ascii", "ascii":
		default:
			return p.failf(ErrSyntax, "%s: unsupported encoding %q (only UTF-8)", detailXMLDecl, truncate(v, 20))
		}
	}
	if v, ok, err = value("standalone"); err != nil {
		return err
	} else if ok && v != "yes" && v != "no" {
		return p.fail(ErrSyntax, detailXMLDecl+": standalone must be yes or no")
	}
	p.skipSpace()
	if !strings.HasPrefix(p.src[p.pos:], "?>") {
		return p.fail(ErrSyntax, detailXMLDecl+": ?> expected")
	}
	p.pos += 2
	return nil
}

// skipSpace skips S (§2.3) and reports whether there was any.
func (p *parser) skipSpace() bool {
	at := p.pos
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.pos > at
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// text reads character data up to the next markup.
func (p *parser) text() error {
	s := p.src
	start := p.pos
	end := strings.IndexByte(s[start:], '<')
	if end < 0 {
		end = len(s)
	} else {
		end += start
	}
	if len(p.stack) == 0 {
		for p.pos < end {
			if c := s[p.pos]; c == '&' {
				return p.fail(ErrSyntax, detailMisc)
			} else if !isSpace(c) {
				return p.fail(ErrSyntax, "text outside the document element")
			}
			p.pos++
		}
		return nil
	}
	plain, err := p.checkChars(start, end, false)
	if err != nil {
		return err
	}
	var data string
	if plain {
		data = s[start:end]
	} else if data, err = p.unescape(start, end, false); err != nil {
		return err
	}
	p.pos = end
	p.addText(data)
	return nil
}

// checkChars checks that src[from:to] is UTF-8 made of Char (§2.2), and in
// text that it has no "]]>" (§2.4) and in attribute values no '<' (§3.1).
// It reports whether the slice can be used as it is: no reference, no
// carriage return (§2.11), and in attribute values no tab or line feed
// (§3.3.3). On error p.pos is where the error is.
func (p *parser) checkChars(from, to int, attr bool) (plain bool, err error) {
	s := p.src
	plain = true
	for i := from; i < to; {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != '&' && c != '<' && c != '>':
			case c == '&':
				plain = false
			case c == '\r':
				plain = false
			case c == '\t' || c == '\n':
				if attr {
					plain = false
				}
			case c == '<':
				p.pos = i
				return false, p.fail(ErrSyntax, "unescaped < inside quoted string")
			case c == '>':
				if !attr && i-from >= 2 && s[i-1] == ']' && s[i-2] == ']' {
					p.pos = i
					return false, p.fail(ErrSyntax, "unescaped ]]> not in CDATA section")
				}
			default:
				p.pos = i
				return false, p.failf(ErrSyntax, "illegal character code %U", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:to])
		if r == utf8.RuneError && n == 1 {
			p.pos = i
			return false, p.fail(ErrSyntax, "invalid UTF-8")
		}
		if !isChar(r) {
			p.pos = i
			return false, p.failf(ErrSyntax, "illegal character code %U", r)
		}
		i += n
	}
	return plain, nil
}

// checkRawChars checks comments, processing instructions and CDATA sections:
// UTF-8 made of Char. It reports whether there is a carriage return.
func (p *parser) checkRawChars(from, to int, detail string) (hasCR bool, err error) {
	s := p.src
	for i := from; i < to; {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 {
				switch c {
				case '\r':
					hasCR = true
				case '\t', '\n':
				default:
					p.pos = i
					return false, p.failf(ErrSyntax, "%s: code %U", detail, rune(c))
				}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:to])
		if r == utf8.RuneError && n == 1 {
			p.pos = i
			return false, p.failf(ErrSyntax, "%s: invalid UTF-8", detail)
		}
		if !isChar(r) {
			p.pos = i
			return false, p.failf(ErrSyntax, "%s: code %U", detail, r)
		}
		i += n
	}
	return hasCR, nil
}

// isChar is the Char production (§2.2).
func isChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD ||
		0x10000 <= r && r <= 0x10FFFF
}

// room returns the arena with room for n more bytes.
func (p *parser) room(n int) *strings.Builder {
	if p.arena.Cap()-p.arena.Len() < n {
		// Strings already taken from the old buffer keep it alive.
		p.arena = strings.Builder{}
		p.arena.Grow(max(n, arenaBlock))
	}
	return &p.arena
}

const arenaBlock = 2048

// unescape resolves the references of src[from:to] and normalizes its line
// ends (§2.11); in an attribute value, it also turns white space into
// spaces (§3.3.3). The result is never longer than the input.
func (p *parser) unescape(from, to int, attr bool) (string, error) {
	s := p.src
	b := p.room(to - from)
	mark := b.Len()
	run := from // start of bytes to copy as they are
	for i := from; i < to; {
		c := s[i]
		switch {
		case c == '&':
			b.WriteString(s[run:i])
			p.pos = i
			n, err := p.reference(b, to)
			if err != nil {
				return "", err
			}
			i += n
			run = i
		case c == '\r':
			b.WriteString(s[run:i])
			if attr {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
			i++
			if i < to && s[i] == '\n' {
				i++
			}
			run = i
		case attr && (c == '\t' || c == '\n'):
			b.WriteString(s[run:i])
			b.WriteByte(' ')
			i++
			run = i
		default:
			i++
		}
	}
	b.WriteString(s[run:to])
	return b.String()[mark:], nil
}

// reference writes the character of the reference at p.pos (§4.1) and
// returns its length in the input.
func (p *parser) reference(b *strings.Builder, to int) (int, error) {
	s := p.src[p.pos:to]
	semi := strings.IndexByte(s, ';')
	if semi < 0 {
		return 0, p.failf(ErrSyntax, "invalid character entity %s (no semicolon)", truncate(entityText(s), 16))
	}
	name := s[1:semi]
	switch name {
	case "lt":
		b.WriteByte('<')
	case "gt":
		b.WriteByte('>')
	case "amp":
		b.WriteByte('&')
	case "apos":
		b.WriteByte('\'')
	case "quot":
		b.WriteByte('"')
	default:
		r, ok := charRef(name)
		if !ok {
			return 0, p.failf(ErrSyntax, "invalid character entity &%s;", name)
		}
		if 0xD800 <= r && r <= 0xDFFF {
			return 0, p.failf(ErrSyntax, "%s &%s;", detailSurrogate, name)
		}
		if !isChar(r) {
			return 0, p.failf(ErrSyntax, "illegal character code %U", r)
		}
		b.WriteRune(r)
	}
	return semi + 1, nil
}

// entityText is the reference at the start of s, up to where it goes wrong.
func entityText(s string) string {
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c == '#' || isASCIILetter(c) || '0' <= c && c <= '9') {
			return s[:i]
		}
	}
	return s
}

// charRef decodes the name of a character reference: #[0-9]+ or #x[0-9a-fA-F]+.
func charRef(name string) (rune, bool) {
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" {
		return 0, false
	}
	var r rune
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return 0, false
		}
	}
	return r, true
}

// addText appends character data to the open element, merging it with the
// text just before (a CDATA section splits text).
func (p *parser) addText(data string) {
	if data == "" {
		return
	}
	if n := len(p.pending); n > p.starts[len(p.starts)-1] {
		if cd, ok := p.pending[n-1].(*CharData); ok {
			b := p.room(len(cd.Data) + len(data))
			mark := b.Len()
			b.WriteString(cd.Data)
			b.WriteString(data)
			cd.Data = b.String()[mark:]
			return
		}
	}
	p.addChild(p.alloc.text(data))
}

func (p *parser) addChild(n Node) {
	n.setParent(p.stack[len(p.stack)-1])
	p.pending = append(p.pending, n)
}

// addMisc adds a comment or processing instruction where it stands.
func (p *parser) addMisc(n Node) {
	if len(p.stack) == 0 {
		p.doc.Children = append(p.doc.Children, n)
	} else {
		p.addChild(n)
	}
}

// cdata reads a CDATA section (§2.7).
func (p *parser) cdata() error {
	if len(p.stack) == 0 {
		return p.fail(ErrSyntax, detailMisc)
	}
	start := p.pos + len("<![CDATA[")
	end := strings.Index(p.src[start:], "]]>")
	if end < 0 {
		return p.eof("CDATA section")
	}
	end += start
	hasCR, err := p.checkRawChars(start, end, "invalid character in CDATA section")
	if err != nil {
		return err
	}
	data := p.src[start:end]
	if hasCR {
		data = p.lineEnds(data)
	}
	p.pos = end + len("]]>")
	p.addText(data)
	return nil
}

// lineEnds normalizes the line ends of s (§2.11).
func (p *parser) lineEnds(s string) string {
	b := p.room(len(s))
	mark := b.Len()
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c != '\r':
			b.WriteByte(c)
		case i+1 < len(s) && s[i+1] == '\n':
		default:
			b.WriteByte('\n')
		}
	}
	return b.String()[mark:]
}

// comment reads a comment (§2.5).
func (p *parser) comment() error {
	start := p.pos + len("<!--")
	end := strings.Index(p.src[start:], "--")
	if end < 0 {
		return p.eof("comment")
	}
	end += start
	if end+2 >= len(p.src) {
		return p.eof("comment")
	}
	if p.src[end+2] != '>' {
		p.pos = end
		return p.fail(ErrSyntax, `invalid sequence "--" not allowed in comments`)
	}
	hasCR, err := p.checkRawChars(start, end, detailCommentChar)
	if err != nil {
		return err
	}
	data := p.src[start:end]
	if hasCR {
		data = p.lineEnds(data)
	}
	p.pos = end + len("-->")
	p.addMisc(&Comment{Data: data})
	return nil
}

// procInst reads a processing instruction (§2.6).
func (p *parser) procInst() error {
	p.pos += len("<?")
	at := p.pos
	target, colon, err := p.name()
	if err != nil {
		return err
	}
	if colon >= 0 {
		p.pos = at
		return p.failf(ErrNamespace, "%s: processing instruction target %s", detailQName, target)
	}
	if strings.EqualFold(target, "xml") {
		p.pos = at
		return p.failf(ErrSyntax, "%s: %s (an XML declaration is allowed only at the very start)", detailReservedPI, target)
	}
	var inst string
	if strings.HasPrefix(p.src[p.pos:], "?>") {
		p.pos += 2
	} else {
		if !p.skipSpace() {
			if p.pos >= len(p.src) {
				return p.eof("processing instruction")
			}
			return p.fail(ErrSyntax, detailPISpace)
		}
		start := p.pos
		end := strings.Index(p.src[start:], "?>")
		if end < 0 {
			return p.eof("processing instruction")
		}
		end += start
		hasCR, err := p.checkRawChars(start, end, detailPIChar)
		if err != nil {
			return err
		}
		inst = p.src[start:end]
		if hasCR {
			inst = p.lineEnds(inst)
		}
		p.pos = end + 2
	}
	p.addMisc(&ProcInst{Target: target, Inst: inst})
	return nil
}

// name reads a Name (§2.3) at p.pos and returns it with the offset of its
// colon (-1 for none). A name with several colons, or one at either end,
// is ErrNamespace: it is not a QName (Namespaces §3).
func (p *parser) name() (string, int, error) {
	s := p.src
	start, colon := p.pos, -1
	for p.pos < len(s) {
		c := s[p.pos]
		if c < utf8.RuneSelf {
			if nameByte[c] == 0 || p.pos == start && nameByte[c] != nameStart {
				break
			}
			if c == ':' {
				if colon >= 0 || p.pos == start {
					return "", 0, p.failf(ErrNamespace, "%s: %s", detailQName, truncate(s[start:], 40))
				}
				colon = p.pos - start
			} else if colon == p.pos-start-1 && colon >= 0 && nameByte[c] != nameStart {
				// The local part is an NCName: it starts as a name does.
				return "", 0, p.failf(ErrNamespace, "%s: %s", detailQName, truncate(s[start:], 40))
			}
			p.pos++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[p.pos:])
		if r == utf8.RuneError && n == 1 {
			return "", 0, p.fail(ErrSyntax, "invalid UTF-8")
		}
		first := p.pos == start || colon == p.pos-start-1 && colon >= 0
		if first && !isNameStartRune(r) || !first && !isNameRune(r) {
			break
		}
		p.pos += n
	}
	if p.pos == start {
		if p.pos >= len(s) {
			return "", 0, p.eof("a name")
		}
		return "", 0, p.fail(ErrSyntax, "expected a name")
	}
	if colon == p.pos-start-1 {
		return "", 0, p.failf(ErrNamespace, "%s: %s", detailQName, s[start:p.pos])
	}
	return s[start:p.pos], colon, nil
}

// Classes of ASCII bytes in names (§2.3).
const (
	nameStart = 1 // NameStartChar
	nameRest  = 2 // NameChar only
)

var nameByte = func() (t [utf8.RuneSelf]byte) {
	for c := range utf8.RuneSelf {
		switch {
		case isASCIILetter(byte(c)) || c == '_' || c == ':':
			t[c] = nameStart
		case '0' <= c && c <= '9' || c == '-' || c == '.':
			t[c] = nameRest
		}
	}
	return t
}()

// isNameStartRune is NameStartChar (§2.3) beyond ASCII.
func isNameStartRune(r rune) bool {
	return 0xC0 <= r && r <= 0xD6 || 0xD8 <= r && r <= 0xF6 || 0xF8 <= r && r <= 0x2FF ||
		0x370 <= r && r <= 0x37D || 0x37F <= r && r <= 0x1FFF || 0x200C <= r && r <= 0x200D ||
		0x2070 <= r && r <= 0x218F || 0x2C00 <= r && r <= 0x2FEF || 0x3001 <= r && r <= 0xD7FF ||
		0xF900 <= r && r <= 0xFDCF || 0xFDF0 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0xEFFFF
}

// isNameRune is NameChar (§2.3) beyond ASCII.
func isNameRune(r rune) bool {
	return isNameStartRune(r) || r == 0xB7 || 0x300 <= r && r <= 0x36F || 0x203F <= r && r <= 0x2040
}

func splitQName(q string, colon int) (prefix, local string) {
	if colon < 0 {
		return "", q
	}
	return q[:colon], q[colon+1:]
}

// startTag reads a start tag or empty-element tag (§3.1) and opens its
// element.
func (p *parser) startTag() error {
	s := p.src
	tagStart := p.pos
	if len(p.stack) == 0 && p.doc.Root != nil {
		return p.fail(ErrSyntax, "more than one document element")
	}
	if len(p.stack) >= p.lim.MaxDepth {
		return p.failf(ErrTooDeep, "deeper than %d", p.lim.MaxDepth)
	}
	p.elements++
	if p.elements > p.lim.MaxElements {
		return p.failf(ErrTooManyElements, "more than %d", p.lim.MaxElements)
	}
	p.pos++
	qname, colon, err := p.name()
	if err != nil {
		return err
	}
	p.attrs = p.attrs[:0]
	nns, empty := 0, false
	for {
		space := p.skipSpace()
		if p.pos >= len(s) {
			return p.eof("start tag <" + qname + ">")
		}
		if c := s[p.pos]; c == '>' {
			p.pos++
			break
		} else if c == '/' {
			if p.pos+1 < len(s) && s[p.pos+1] == '>' {
				p.pos += 2
				empty = true
				break
			}
			return p.fail(ErrSyntax, "expected /> in element")
		}
		if !space {
			return p.failf(ErrSyntax, "%s in <%s>", detailAttrSpace, qname)
		}
		at := p.pos
		aq, acolon, err := p.name()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(s) {
			return p.eof("start tag <" + qname + ">")
		}
		if s[p.pos] != '=' {
			return p.fail(ErrSyntax, "attribute name without = in element")
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(s) {
			return p.eof("start tag <" + qname + ">")
		}
		q := s[p.pos]
		if q != '"' && q != '\'' {
			return p.fail(ErrSyntax, "unquoted or missing attribute value in element")
		}
		p.pos++
		end := strings.IndexByte(s[p.pos:], q)
		if end < 0 {
			return p.eof("attribute value")
		}
		end += p.pos
		plain, err := p.checkChars(p.pos, end, true)
		if err != nil {
			return err
		}
		value := s[p.pos:end]
		if !plain {
			if value, err = p.unescape(p.pos, end, true); err != nil {
				return err
			}
		}
		p.pos = end + 1
		if len(p.attrs) == p.lim.MaxAttrs {
			p.pos = at
			return p.failf(ErrTooManyAttrs, "more than %d on <%s>", p.lim.MaxAttrs, qname)
		}
		a := rawAttr{value: value, pos: at}
		a.prefix, a.local = splitQName(aq, acolon)
		if a.prefix == "xmlns" || a.prefix == "" && a.local == "xmlns" {
			nns++
		}
		p.attrs = append(p.attrs, a)
	}
	return p.open(tagStart, qname, colon, nns, empty)
}

// open builds the element of a start tag read into p.attrs, resolving its
// names (Namespaces §5), and closes it at once if empty.
func (p *parser) open(tagStart int, qname string, colon, nns int, empty bool) error {
	e := p.alloc.element()
	e.Line = p.lineOf(tagStart)
	if len(p.stack) > 0 {
		p.addChild(e)
	}
	if len(p.attrs) > 0 {
		e.NS, e.Attr = p.alloc.ns(nns), p.alloc.attrs(len(p.attrs)-nns)
	}
	// Declarations first: they apply to the element's own name and attributes.
	for _, a := range p.attrs {
		var prefix string
		switch {
		case a.prefix == "xmlns":
			if a.local == "xml" && a.value != NamespaceXML || a.local == "xmlns" {
				p.pos = a.pos
				return p.failf(ErrNamespace, "reserved prefix %q redeclared", a.local)
			}
			if a.value == "" {
				p.pos = a.pos
				return p.failf(ErrNamespace, "prefix %q undeclared (xmlns:%s=\"\" is not XML 1.0)", a.local, a.local)
			}
			prefix = a.local
		case a.prefix == "" && a.local == "xmlns":
		default:
			continue
		}
		if _, ok := e.lookupOwn(prefix); ok {
			p.pos = a.pos
			return p.failf(ErrSyntax, "%s: xmlns:%s on <%s>", detailDupNS, prefix, qname)
		}
		e.NS = append(e.NS, NS{Prefix: prefix, URI: a.value})
	}
	e.Prefix, e.Local = splitQName(qname, colon)
	uri, ok := e.LookupPrefix(e.Prefix)
	if !ok {
		p.pos = tagStart
		return p.failf(ErrNamespace, "undeclared prefix %q on element <%s>", e.Prefix, qname)
	}
	e.Space = uri
	for _, a := range p.attrs {
		if a.prefix == "xmlns" || a.prefix == "" && a.local == "xmlns" {
			continue
		}
		at := Attr{Prefix: a.prefix, Name: Name{Local: a.local}, Value: a.value}
		if at.Prefix != "" {
			u, ok := e.LookupPrefix(at.Prefix)
			if !ok || u == "" {
				p.pos = a.pos
				return p.failf(ErrNamespace, "undeclared prefix %q on attribute %s:%s", at.Prefix, at.Prefix, at.Local)
			}
			at.Space = u
		}
		for _, prev := range e.Attr {
			if prev.Name == at.Name {
				p.pos = a.pos
				return p.failf(ErrSyntax, "attribute %s repeated on <%s>", at.Name, qname)
			}
		}
		e.Attr = append(e.Attr, at)
	}
	if len(p.stack) == 0 {
		p.doc.Root = e
		p.doc.Children = append(p.doc.Children, e)
	}
	p.stack = append(p.stack, e)
	p.starts = append(p.starts, len(p.pending))
	if empty {
		p.close()
	}
	return nil
}

// endTag reads an end tag (§3.1) and closes the open element.
func (p *parser) endTag() error {
	tagStart := p.pos
	p.pos += len("</")
	qname, colon, err := p.name()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return p.eof("end tag </" + qname + ">")
	}
	if p.src[p.pos] != '>' {
		return p.failf(ErrSyntax, "invalid characters between </%s and >", qname)
	}
	p.pos++
	if len(p.stack) == 0 {
		p.pos = tagStart
		return p.fail(ErrSyntax, "unexpected end tag </"+qname+">")
	}
	top := p.stack[len(p.stack)-1]
	if prefix, local := splitQName(qname, colon); top.Prefix != prefix || top.Local != local {
		p.pos = tagStart
		return p.failf(ErrSyntax, "element <%s> closed by </%s>", top.QName(), qname)
	}
	p.close()
	return nil
}

// close ends the innermost open element.
func (p *parser) close() {
	e, from := p.stack[len(p.stack)-1], p.starts[len(p.starts)-1]
	if k := len(p.pending) - from; k > 0 {
		e.Children = append(p.alloc.nodes(k), p.pending[from:]...)
	}
	clear(p.pending[from:])
	p.pending = p.pending[:from]
	p.stack[len(p.stack)-1] = nil
	p.stack, p.starts = p.stack[:len(p.stack)-1], p.starts[:len(p.starts)-1]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

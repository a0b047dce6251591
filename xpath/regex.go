package xpath

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Regular expressions of XPath 2.0 (F&O §7.6.1) are XML Schema regular
// expressions (XML Schema Part 2, Appendix F) plus ^ and $ anchors,
// reluctant quantifiers and the flags s, m, i, x (and q of XPath 3.0). Go's regexp is RE2 with
// Perl syntax, so patterns are translated: every character class and
// class escape (\d, \w, \i, \c, \p{…}, ., [a-z-[aeiou]]…) becomes an
// explicit set of code points computed here with XML Schema's meaning
// (e.g. \w excludes punctuation, separators and other characters, \s is
// only the four XML whitespace characters, . excludes \n and \r without
// the s flag), and character-class subtraction is computed as set
// difference. Back-references are not supported by RE2 and are reported as
// FORX0002.

// maxRegexSource bounds the translated pattern (character classes expand
// to explicit ranges), so that a short pattern cannot make a huge program.
const maxRegexSource = 1 << 20

// compileRegex translates and compiles pattern with flags.
func compileRegex(pattern, flags string) (*regexp.Regexp, error) {
	key := flags + "\x00" + pattern
	if v, ok := regexCache.Load(key); ok {
		return v.(*regexp.Regexp), nil
	}
	src, err := translateRegex(pattern, flags)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, &Error{Code: codeRegex, Pos: -1, Message: fmt.Sprintf("invalid regular expression %q: %v", clip(pattern), err), Err: err}
	}
	if regexCacheSize.Add(1) < 512 {
		regexCache.Store(key, re)
	}
	return re, nil
}

// regexCache holds compiled dynamic patterns; it stops growing at 512
// entries so that adversarial inputs cannot fill memory.
var (
	regexCache     sync.Map
	regexCacheSize atomic.Int64
)

// translateRegex turns an XPath regular expression into Go syntax.
func translateRegex(pattern, flags string) (string, error) {
	var dotAll, multi, fold, extended, literal bool
	for _, f := range flags {
		switch f {
		case 'q':
			// XPath 3.0 (F&O 3.0 §5.6.1): the pattern is a literal string.
			// Saxon, which runs the official rules, accepts it.
			literal = true
		case 's':
			dotAll = true
		case 'm':
			multi = true
		case 'i':
			fold = true
		case 'x':
			extended = true
		default:
			return "", &Error{Code: codeRegexFlags, Pos: -1, Message: fmt.Sprintf("invalid regular expression flag %q in %q", f, flags)}
		}
	}
	t := &reTranslator{src: pattern, dotAll: dotAll, extended: extended}
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	if multi {
		b.WriteString("(?m)")
	}
	if literal {
		b.WriteString(regexp.QuoteMeta(pattern))
		return b.String(), nil
	}
	if err := t.translate(&b); err != nil {
		return "", err
	}
	return b.String(), nil
}

type reTranslator struct {
	src      string
	i        int
	dotAll   bool
	extended bool
	groups   int
	depth    int
}

func (t *reTranslator) errorf(format string, args ...any) error {
	return &Error{Code: codeRegex, Pos: -1, Message: fmt.Sprintf("invalid regular expression %q at offset %d: %s", clip(t.src), t.i, fmt.Sprintf(format, args...))}
}

func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func (t *reTranslator) translate(b *strings.Builder) error {
	atom := false // whether a quantifier may follow
	for t.i < len(t.src) {
		if b.Len() > maxRegexSource {
			return t.errorf("the pattern translates to more than %d bytes", maxRegexSource)
		}
		r, n := utf8.DecodeRuneInString(t.src[t.i:])
		if t.extended && isXMLSpace(r) {
			t.i += n
			continue
		}
		switch r {
		case '\\':
			set, lit, err := t.escape(false)
			if err != nil {
				return err
			}
			if set != nil {
				b.WriteString(set.class())
			} else {
				b.WriteString(regexp.QuoteMeta(string(lit)))
			}
			atom = true
		case '[':
			t.i++
			set, err := t.class()
			if err != nil {
				return err
			}
			b.WriteString(set.class())
			atom = true
		case '.':
			t.i++
			if t.dotAll {
				b.WriteString(`[\x00-\x{10FFFF}]`)
			} else {
				b.WriteString(`[^\n\r]`)
			}
			atom = true
		case '(':
			t.i++
			t.depth++
			if t.depth > MaxDepth {
				return t.errorf("groups nested too deeply")
			}
			if strings.HasPrefix(t.src[t.i:], "?:") {
				t.i += 2
				b.WriteString("(?:")
			} else if strings.HasPrefix(t.src[t.i:], "?") {
				return t.errorf("(? is not allowed")
			} else {
				t.groups++
				b.WriteString("(")
			}
			atom = false
		case ')':
			t.i++
			t.depth--
			b.WriteString(")")
			atom = true
		case '|':
			t.i++
			b.WriteString("|")
			atom = false
		case '^', '$':
			t.i++
			b.WriteRune(r)
			atom = false
		case '?', '*', '+', '{':
			if !atom {
				return t.errorf("quantifier %q without an atom", r)
			}
			if r == '{' {
				end := strings.IndexByte(t.src[t.i:], '}')
				if end < 0 {
					return t.errorf("unterminated quantifier")
				}
				q := t.src[t.i+1 : t.i+end]
				lo, hi, hasComma := strings.Cut(q, ",")
				if !digits(lo) || hasComma && hi != "" && !digits(hi) {
					return t.errorf("malformed quantifier {%s}", q)
				}
				if l, _ := strconv.Atoi(lo); l > 1000 {
					return t.errorf("quantifier {%s} above the limit of 1000", q)
				}
				if h, err := strconv.Atoi(hi); hasComma && hi != "" && (err != nil || h > 1000) {
					return t.errorf("quantifier {%s} above the limit of 1000", q)
				}
				b.WriteString(t.src[t.i : t.i+end+1])
				t.i += end + 1
			} else {
				b.WriteRune(r)
				t.i++
			}
			if t.i < len(t.src) && t.src[t.i] == '?' {
				b.WriteByte('?')
				t.i++
			}
			atom = false
		case ']', '}':
			return t.errorf("unescaped %q", r)
		default:
			t.i += n
			b.WriteString(regexp.QuoteMeta(string(r)))
			atom = true
		}
	}
	return nil
}

// escape parses a backslash escape at t.i. It returns a set for a class
// escape, or the character of a single-character escape.
func (t *reTranslator) escape(inClass bool) (*runeSet, rune, error) {
	t.i++ // backslash
	if t.i >= len(t.src) {
		return nil, 0, t.errorf("trailing backslash")
	}
	c := t.src[t.i]
	t.i++
	switch c {
	case 'n':
		return nil, '\n', nil
	case 'r':
		return nil, '\r', nil
	case 't':
		return nil, '\t', nil
	case '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']':
		return nil, rune(c), nil
	case '$':
		return nil, '$', nil
	case 's', 'S', 'i', 'I', 'c', 'C', 'd', 'D', 'w', 'W':
		var s *runeSet
		switch c | 0x20 {
		case 's':
			s = setOf(' ', '\t', '\n', '\r')
		case 'i':
			s = nameStartSet()
		case 'c':
			s = nameCharSet()
		case 'd':
			s = tableSet(unicode.Nd)
		case 'w':
			s = wordSet()
		}
		if c >= 'A' && c <= 'Z' {
			s = s.complement()
		}
		return s, 0, nil
	case 'p', 'P':
		if t.i >= len(t.src) || t.src[t.i] != '{' {
			return nil, 0, t.errorf(`\%c without {name}`, c)
		}
		end := strings.IndexByte(t.src[t.i:], '}')
		if end < 0 {
			return nil, 0, t.errorf(`unterminated \%c{`, c)
		}
		name := t.src[t.i+1 : t.i+end]
		t.i += end + 1
		s, err := propertySet(name)
		if err != nil {
			return nil, 0, t.errorf("%v", err)
		}
		if c == 'P' {
			s = s.complement()
		}
		return s, 0, nil
	}
	if c >= '1' && c <= '9' && !inClass {
		return nil, 0, &Error{Code: codeRegex, Pos: -1, Message: fmt.Sprintf("regular expression %q: back-references are not supported (RE2): %v", clip(t.src), ErrNotImplemented), Err: ErrNotImplemented}
	}
	return nil, 0, t.errorf(`invalid escape \%c`, c)
}

// class parses a character class expression after its '['.
func (t *reTranslator) class() (*runeSet, error) {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > MaxDepth {
		return nil, t.errorf("character classes nested too deeply")
	}
	neg := false
	if t.i < len(t.src) && t.src[t.i] == '^' {
		neg = true
		t.i++
	}
	set := &runeSet{}
	items := 0
	for {
		if t.i >= len(t.src) {
			return nil, t.errorf("unterminated character class")
		}
		r, n := utf8.DecodeRuneInString(t.src[t.i:])
		if r == ']' {
			if items == 0 {
				return nil, t.errorf("empty character class")
			}
			t.i++
			break
		}
		if r == '-' && strings.HasPrefix(t.src[t.i:], "-[") {
			if items == 0 {
				return nil, t.errorf("character class subtraction without a group")
			}
			t.i += 2
			sub, err := t.class()
			if err != nil {
				return nil, err
			}
			if t.i >= len(t.src) || t.src[t.i] != ']' {
				return nil, t.errorf("subtraction must end the character class")
			}
			t.i++
			if neg {
				set = set.complement()
			}
			return set.minus(sub), nil
		}
		var lo rune
		switch r {
		case '[':
			return nil, t.errorf("unescaped [ in a character class")
		case '\\':
			s, c, err := t.escape(true)
			if err != nil {
				return nil, err
			}
			if s != nil {
				set = set.union(s)
				items++
				continue
			}
			lo = c
		default:
			if r == '-' && items > 0 && !(t.i+1 < len(t.src) && t.src[t.i+1] == ']') {
				return nil, t.errorf("unescaped - inside a character class")
			}
			t.i += n
			lo = r
		}
		items++
		hi := lo
		if t.i+1 < len(t.src) && t.src[t.i] == '-' && t.src[t.i+1] != ']' && t.src[t.i+1] != '[' {
			t.i++
			r2, n2 := utf8.DecodeRuneInString(t.src[t.i:])
			switch r2 {
			case '\\':
				s, c, err := t.escape(true)
				if err != nil {
					return nil, err
				}
				if s != nil {
					return nil, t.errorf("a class escape cannot end a range")
				}
				hi = c
			case '[', '-':
				return nil, t.errorf("invalid range end %q", r2)
			default:
				t.i += n2
				hi = r2
			}
			if hi < lo {
				return nil, t.errorf("range %q-%q out of order", lo, hi)
			}
		}
		set.add(lo, hi)
	}
	if neg {
		return set.complement(), nil
	}
	return set, nil
}

// runeSet is a set of code points as sorted, disjoint, non-adjacent ranges.
type runeSet struct{ r [][2]rune }

func setOf(rs ...rune) *runeSet {
	s := &runeSet{}
	for _, r := range rs {
		s.add(r, r)
	}
	return s
}

func (s *runeSet) add(lo, hi rune) {
	s.r = append(s.r, [2]rune{lo, hi})
	s.normalize()
}

func (s *runeSet) normalize() {
	slices.SortFunc(s.r, func(a, b [2]rune) int { return int(a[0] - b[0]) })
	out := s.r[:0]
	for _, x := range s.r {
		if n := len(out); n > 0 && x[0] <= out[n-1][1]+1 {
			if x[1] > out[n-1][1] {
				out[n-1][1] = x[1]
			}
			continue
		}
		out = append(out, x)
	}
	s.r = out
}

func (s *runeSet) union(o *runeSet) *runeSet {
	u := &runeSet{r: append(slices.Clone(s.r), o.r...)}
	u.normalize()
	return u
}

func (s *runeSet) complement() *runeSet {
	c := &runeSet{}
	next := rune(0)
	for _, x := range s.r {
		if x[0] > next {
			c.r = append(c.r, [2]rune{next, x[0] - 1})
		}
		next = x[1] + 1
	}
	if next <= unicode.MaxRune {
		c.r = append(c.r, [2]rune{next, unicode.MaxRune})
	}
	return c
}

func (s *runeSet) minus(o *runeSet) *runeSet {
	return s.complement().union(o).complement()
}

// class renders the set as a Go character class.
func (s *runeSet) class() string {
	if len(s.r) == 0 {
		return `[^\x00-\x{10FFFF}]`
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, x := range s.r {
		writeClassRune(&b, x[0])
		if x[1] != x[0] {
			b.WriteByte('-')
			writeClassRune(&b, x[1])
		}
	}
	b.WriteByte(']')
	return b.String()
}

func writeClassRune(b *strings.Builder, r rune) {
	if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
		b.WriteRune(r)
		return
	}
	fmt.Fprintf(b, `\x{%X}`, r)
}

func tableSet(tables ...*unicode.RangeTable) *runeSet {
	s := &runeSet{}
	for _, t := range tables {
		for _, r := range t.R16 {
			if r.Stride == 1 {
				s.r = append(s.r, [2]rune{rune(r.Lo), rune(r.Hi)})
				continue
			}
			for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
				s.r = append(s.r, [2]rune{c, c})
			}
		}
		for _, r := range t.R32 {
			if r.Stride == 1 {
				s.r = append(s.r, [2]rune{rune(r.Lo), rune(r.Hi)})
				continue
			}
			for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
				s.r = append(s.r, [2]rune{c, c})
			}
		}
	}
	s.normalize()
	return s
}

var (
	setsOnce                     sync.Once
	wordS, nameStartS, nameCharS *runeSet
	assignedS                    *runeSet
)

func initSets() {
	setsOnce.Do(func() {
		assignedS = tableSet(unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
		// \w: all characters except punctuation, separators and "other"
		// (which in XML Schema includes unassigned code points).
		other := tableSet(unicode.C).union(assignedS.complement())
		wordS = tableSet(unicode.P, unicode.Z).union(other).complement()
		// XML 1.0 (5th ed.) NameStartChar and NameChar; ':' is included in
		// XML names (\i, \c are defined on Name, not NCName).
		nameStartS = &runeSet{r: [][2]rune{{':', ':'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}, {0xC0, 0xD6}, {0xD8, 0xF6},
			{0xF8, 0x2FF}, {0x370, 0x37D}, {0x37F, 0x1FFF}, {0x200C, 0x200D}, {0x2070, 0x218F}, {0x2C00, 0x2FEF},
			{0x3001, 0xD7FF}, {0xF900, 0xFDCF}, {0xFDF0, 0xFFFD}, {0x10000, 0xEFFFF}}}
		nameStartS.normalize()
		nameCharS = nameStartS.union(&runeSet{r: [][2]rune{{'-', '.'}, {'0', '9'}, {0xB7, 0xB7}, {0x300, 0x36F}, {0x203F, 0x2040}}})
	})
}

func wordSet() *runeSet      { initSets(); return wordS }
func nameStartSet() *runeSet { initSets(); return nameStartS }
func nameCharSet() *runeSet  { initSets(); return nameCharS }

// Unicode blocks (XML Schema Part 2 §F.1.1, "IsBlock"). Go's unicode
// package has no block tables; the blocks below are those of the Basic
// Multilingual Plane that European texts use. Others are a FORX0002 error.
var blocks = map[string][2]rune{
	"BasicLatin": {0x0000, 0x007F}, "Latin-1Supplement": {0x0080, 0x00FF}, "LatinExtended-A": {0x0100, 0x017F},
	"LatinExtended-B": {0x0180, 0x024F}, "IPAExtensions": {0x0250, 0x02AF}, "SpacingModifierLetters": {0x02B0, 0x02FF},
	"CombiningDiacriticalMarks": {0x0300, 0x036F}, "Greek": {0x0370, 0x03FF}, "GreekandCoptic": {0x0370, 0x03FF},
	"Cyrillic": {0x0400, 0x04FF}, "Armenian": {0x0530, 0x058F}, "Hebrew": {0x0590, 0x05FF}, "Arabic": {0x0600, 0x06FF},
	"LatinExtendedAdditional": {0x1E00, 0x1EFF}, "GreekExtended": {0x1F00, 0x1FFF}, "GeneralPunctuation": {0x2000, 0x206F},
	"SuperscriptsandSubscripts": {0x2070, 0x209F}, "CurrencySymbols": {0x20A0, 0x20CF}, "LetterlikeSymbols": {0x2100, 0x214F},
	"NumberForms": {0x2150, 0x218F}, "Arrows": {0x2190, 0x21FF}, "MathematicalOperators": {0x2200, 0x22FF},
	"CJKUnifiedIdeographs": {0x4E00, 0x9FFF}, "PrivateUse": {0xE000, 0xF8FF}, "Specials": {0xFFF0, 0xFFFF},
}

// propertySet returns the set of \p{name}: a general category (one or two
// letters) or IsBlock.
func propertySet(name string) (*runeSet, error) {
	if v, ok := propertySets.Load(name); ok {
		return v.(*runeSet), nil
	}
	s, err := computePropertySet(name)
	if err == nil {
		propertySets.Store(name, s)
	}
	return s, err
}

// propertySets memoizes the sets of \p{…} by name (a bounded set of names:
// only valid ones are stored).
var propertySets sync.Map

func computePropertySet(name string) (*runeSet, error) {
	initSets()
	if strings.HasPrefix(name, "Is") {
		b, ok := blocks[name[2:]]
		if !ok {
			return nil, fmt.Errorf("unicode block %q is not supported: %w", name[2:], ErrNotImplemented)
		}
		return &runeSet{r: [][2]rune{b}}, nil
	}
	switch name {
	case "Cn":
		return assignedS.complement(), nil
	case "C":
		return tableSet(unicode.C).union(assignedS.complement()), nil
	}
	if t, ok := unicode.Categories[name]; ok && len(name) <= 2 {
		return tableSet(t), nil
	}
	return nil, fmt.Errorf("unknown character property %q", name)
}

// clip shortens a pattern for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

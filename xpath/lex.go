package xpath

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lexical structure of XPath 2.0 (§A.2). Whether a name is an operator
// keyword (and, div, eq, …) or a name test depends on where it stands, so the
// lexer returns names as names and the parser decides.

type tokKind uint8

const (
	tEOF     tokKind = iota
	tName            // QName, or a wildcard name test prefix:* / *:local
	tStar            // *
	tString          // string literal (value unescaped)
	tInteger         // integer literal
	tDecimal         // decimal literal
	tDouble          // double literal
	tSym             // punctuation and symbolic operators
)

type token struct {
	kind tokKind
	text string // name, literal value or symbol
	pos  int
}

func isNameStart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) ||
		r >= 0xC0 && r <= 0x2FF && r != 0xD7 && r != 0xF7 || r >= 0x370 && r <= 0x1FFF && r != 0x37E ||
		r >= 0x200C && r <= 0x200D || r >= 0x2070 && r <= 0x218F || r >= 0x2C00 && r <= 0x2FEF ||
		r >= 0x3001 && r <= 0xD7FF || r >= 0xF900 && r <= 0xFDCF || r >= 0xFDF0 && r <= 0xFFFD || r >= 0x10000 && r <= 0xEFFFF
}

func isNameChar(r rune) bool {
	return isNameStart(r) || r == '-' || r == '.' || r >= '0' && r <= '9' || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r == 0x203F || r == 0x2040 || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// scanNCName returns the length of the NCName at s[i:], 0 if none.
func scanNCName(s string, i int) int {
	r, n := utf8.DecodeRuneInString(s[i:])
	if n == 0 || !isNameStart(r) {
		return 0
	}
	j := i + n
	for j < len(s) {
		r, n = utf8.DecodeRuneInString(s[j:])
		if !isNameChar(r) {
			break
		}
		j += n
	}
	return j - i
}

// tokenize splits src into tokens, or returns an XPST0003 error.
func tokenize(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		// Whitespace and comments (: … :), which nest.
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			if c == '(' && i+1 < len(src) && src[i+1] == ':' {
				depth := 0
				j := i
				for j < len(src) {
					if strings.HasPrefix(src[j:], "(:") {
						depth++
						j += 2
					} else if strings.HasPrefix(src[j:], ":)") {
						depth--
						j += 2
						if depth == 0 {
							break
						}
					} else {
						j++
					}
				}
				if depth != 0 {
					return nil, staticErr(codeSyntax, i, "unterminated comment")
				}
				i = j
				continue
			}
			break
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, pos: i})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, staticErr(codeSyntax, start, "unterminated string literal")
			}
			toks = append(toks, token{kind: tString, text: b.String(), pos: start})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			kind := tInteger
			if j < len(src) && src[j] == '.' && !(j+1 < len(src) && src[j+1] == '.') {
				kind = tDecimal
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					kind = tDouble
					j = k
				} else {
					return nil, staticErr(codeSyntax, start, "malformed numeric literal %q", src[start:k])
				}
			}
			// A number directly followed by a name character is an error (XPath 2.0 §A.2.2).
			if j < len(src) {
				if r, _ := utf8.DecodeRuneInString(src[j:]); isNameStart(r) {
					return nil, staticErr(codeSyntax, start, "numeric literal %q followed by a name", src[start:j+1])
				}
			}
			toks = append(toks, token{kind: kind, text: src[start:j], pos: start})
			i = j
		case c == '*':
			// *:local
			if i+1 < len(src) && src[i+1] == ':' {
				if n := scanNCName(src, i+2); n > 0 {
					toks = append(toks, token{kind: tName, text: src[i : i+2+n], pos: start})
					i += 2 + n
					continue
				}
			}
			toks = append(toks, token{kind: tStar, text: "*", pos: start})
			i++
		default:
			if n := scanNCName(src, i); n > 0 {
				j := i + n
				if j+1 < len(src) && src[j] == ':' && src[j+1] != ':' {
					if src[j+1] == '*' {
						toks = append(toks, token{kind: tName, text: src[i : j+2], pos: start})
						i = j + 2
						continue
					}
					if m := scanNCName(src, j+1); m > 0 {
						j += 1 + m
					}
				}
				toks = append(toks, token{kind: tName, text: src[i:j], pos: start})
				i = j
				continue
			}
			sym := ""
			for _, s := range [...]string{"!=", "<=", ">=", "<<", ">>", "//", "::", "..", "(", ")", "[", "]", ",", "/", "@", ".", "=", "<", ">", "+", "-", "|", "$", "?", ":"} {
				if strings.HasPrefix(src[i:], s) {
					sym = s
					break
				}
			}
			if sym == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, staticErr(codeSyntax, start, "unexpected character %q", r)
			}
			toks = append(toks, token{kind: tSym, text: sym, pos: start})
			i += len(sym)
		}
	}
}

package swa

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/oots-go/oots/internal/cidurl"
)

// ResolveCID returns the Content-ID of the part that the "cid:" URL u names
// (RFC 2392), among the Content-IDs for which has reports true: the
// content-id of u as written when a part has it, else the content-id with
// its percent escapes decoded ("cid:foo%40bar.example" names the part whose
// Content-ID is <foo@bar.example>, RFC 2392 §2; "+" is a plus sign, as in
// RFC 3986). Both forms travel: Apache WSS4J (Domibus) decodes, phase4 and
// this module write the Content-ID as it is. The scheme is matched without
// regard to case ("CID:a@x" is "cid:a@x", RFC 3986 §3.1). ResolveCID
// returns "" when no part matches, and an error, which quotes u, when u is
// not a cid: URL or when no part has its content-id as written and a
// percent escape in it is malformed.
func ResolveCID(u string, has func(contentID string) bool) (string, error) {
	raw, ok := CutCID(u)
	if !ok {
		return "", fmt.Errorf("%q: not a cid: URL", u)
	}
	if has(raw) {
		return raw, nil
	}
	if !strings.Contains(raw, "%") {
		return "", nil
	}
	id, err := url.PathUnescape(raw)
	if err != nil {
		var ee url.EscapeError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%q: malformed percent escape %q (RFC 2392: the content-id of a cid: URL is URL-encoded)", u, string(ee))
		}
		return "", fmt.Errorf("%q: %w", u, err)
	}
	if has(id) {
		return id, nil
	}
	return "", nil
}

// CutCID returns the content-id of the cid: URL u as written (not
// percent-decoded) and true, or "" and false when u is not a cid: URL. The
// scheme is matched without regard to case: schemes are case-insensitive
// (RFC 3986 §3.1), so "CID:" and "Cid:" begin cid: URLs too (RFC 2392).
func CutCID(u string) (string, bool) { return cidurl.Cut(u) }

// msgID reads the value of a Content-ID field: a msg-id (RFC 2045 §7,
// RFC 5322 §3.6.4), "<" id ">", with white space and comments around it
// (RFC 5322 §3.2.2: parenthesised, nesting, with quoted-pairs), which are
// not part of the id. What lies between the angle brackets is the id as it
// is. The msg-id ends at the first '>' outside quoted strings and domain
// literals (the obsolete forms of id-left and id-right may hold one) that
// only white space and comments follow, else at the first '>' that they
// follow. A value without angle brackets is the id as it is when it is one
// word (no white space: "file(1).pdf"), else the id up to white space or a
// comment, as senders that omit them mean it; so is a value without the
// closing one. An empty or comment-only value gives "".
func msgID(v string) (string, error) {
	i, err := skipCFWS(v, 0)
	if err != nil {
		return "", err
	}
	if i == len(v) {
		return "", nil
	}
	if v[i] == '<' {
		first := strings.IndexByte(v[i+1:], '>')
		if first >= 0 {
			first += i + 1
			for _, end := range []int{closingAngle(v, i+1), first} {
				if end < 0 {
					continue
				}
				if j, err := skipCFWS(v, end+1); err == nil && j == len(v) {
					return v[i+1 : end], nil
				}
			}
			j, err := skipCFWS(v, first+1)
			if err != nil {
				return "", fmt.Errorf("after the msg-id %q: %w", v[i:first+1], err)
			}
			return "", fmt.Errorf("%s follows the msg-id %q", abbrev(v[j:]), v[i:first+1])
		}
		i++ // "<id" without its '>'
	} else if t := strings.TrimSpace(v[i:]); !strings.ContainsAny(t, " \t\r\n<>") {
		// A bare id in one word is the id as it is, parentheses included
		// ("file(1).pdf"), as it was read before comments were.
		return t, nil
	}
	start := i
	for i < len(v) && !strings.ContainsRune(" \t\r\n()<>", rune(v[i])) {
		i++
	}
	j, err := skipCFWS(v, i)
	if err != nil {
		return "", fmt.Errorf("after the msg-id %q: %w", v[start:i], err)
	}
	if j < len(v) {
		return "", fmt.Errorf("%s follows the msg-id %q", abbrev(v[j:]), v[start:i])
	}
	return v[start:i], nil
}

// closingAngle returns the index of the first '>' in v from i on that is
// outside quoted strings ("…", with quoted-pairs) and domain literals
// ([…]), or -1.
func closingAngle(v string, i int) int {
	var in byte // '"' or ']' while inside one
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case in == '"' && c == '\\':
			i++
		case in != 0:
			if c == in {
				in = 0
			}
		case c == '"':
			in = '"'
		case c == '[':
			in = ']'
		case c == '>':
			return i
		}
	}
	return -1
}

// skipComment returns the index just past the comment that starts at v[i]
// ('('), and false when the comment is not closed. Comments nest, and a
// backslash quotes the character after it (RFC 5322 §3.2.2).
func skipComment(v string, i int) (int, bool) {
	depth := 0
	for ; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(v), false
}

// skipCFWS returns the index of the first character of v from i on that is
// neither white space nor inside a comment, and an error naming the comment
// that is not closed.
func skipCFWS(v string, i int) (int, error) {
	for i < len(v) {
		switch v[i] {
		case ' ', '\t', '\r', '\n':
			i++
		case '(':
			j, ok := skipComment(v, i)
			if !ok {
				return i, fmt.Errorf("comment %s is not closed", abbrev(v[i:]))
			}
			i = j
		default:
			return i, nil
		}
	}
	return i, nil
}

// uncomment returns a structured field value (Content-Type, RFC 2045 §5.1;
// Content-Transfer-Encoding, §6.1) without the comments outside its quoted
// strings, and with white space trimmed; a value without comments is
// returned as it is. A comment separates what it stands between (RFC 5322
// §3.2.2), so a comment between two token characters becomes a space; next
// to white space, a delimiter ("text/(c)xml") or an end, it goes. An error
// names a comment that is not closed.
func uncomment(v string) (string, error) {
	var b strings.Builder
	quoted := false
	from := 0 // v[from:i] is still to be copied
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '(':
			j, ok := skipComment(v, i)
			if !ok {
				return "", fmt.Errorf("comment %s is not closed", abbrev(v[i:]))
			}
			b.WriteString(v[from:i])
			if s := b.String(); s != "" && isTokenChar(s[len(s)-1]) && j < len(v) && isTokenChar(v[j]) {
				b.WriteByte(' ')
			}
			from, i = j, j-1
		}
	}
	if from == 0 {
		return v, nil
	}
	b.WriteString(v[from:])
	return strings.TrimSpace(b.String()), nil
}

// slashLWS returns the Content-Type value v with the white space around
// the "/" of its media type removed ("text / xml; charset=utf-8" is
// "text/xml; charset=utf-8"): RFC 2045 §5.1 reads a Content-Type as RFC 822
// tokens, between which linear white space may stand (RFC 822 §3.1.4), as
// Python's email package reads it; mime.ParseMediaType does not. A value
// without white space before its first ";", or that is not two tokens
// around a "/" there, is returned as it is.
func slashLWS(v string) string {
	mt, params, hasParams := strings.Cut(v, ";")
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || !strings.ContainsAny(mt, " \t\r\n") {
		return v
	}
	typ, sub = strings.Trim(typ, " \t\r\n"), strings.Trim(sub, " \t\r\n")
	if !isToken(typ) || !isToken(sub) {
		return v
	}
	if hasParams {
		return typ + "/" + sub + ";" + params
	}
	return typ + "/" + sub
}

// isToken reports whether s is a token (RFC 2045 §5.1): one or more token
// characters.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// isTokenChar reports whether c may be part of a token (RFC 2045 §5.1): not
// a control character, space or tspecial (octets past ASCII count as token
// characters: UTF-8 text is not split).
func isTokenChar(c byte) bool {
	return c > ' ' && c != 0x7f && !strings.ContainsRune(`()<>@,;:\\"/[]?=`, rune(c))
}

// abbrev quotes s for an error message, cut to 40 bytes.
func abbrev(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:40])
	}
	return fmt.Sprintf("%q", s)
}

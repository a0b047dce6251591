package ui

import (
	"html"
	"regexp"
	"strings"
)

var (
	tagRE   = regexp.MustCompile(`(?s)<!--.*?-->|<(script|style)\b.*?</(script|style)>|<[^>]*>`)
	spaceRE = regexp.MustCompile(`[\s\x{00a0}\x{202f}]+`)
)

// VisibleText is the text of an HTML page as a reader gets it: the body
// without tags, scripts and styles, entities decoded, spaces collapsed. Tests
// that look for text left untranslated read pages through it.
func VisibleText(page string) string {
	if i := strings.Index(page, "<body"); i >= 0 {
		page = page[i:]
	}
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(page, " ")), " "))
}

// minUntranslated is the length below which a text is not looked for:
// short words ("Format", "Status", "PIN") are the same in several
// languages.
const minUntranslated = 12

// EnglishLeft returns the English texts of pairs ({English, translation})
// that appear in text although the translation differs, each compared up
// to its first formatting verb (the arguments are data). A page in another
// language than English should give none.
func EnglishLeft(text string, pairs [][2]string) []string {
	var left []string
	for _, p := range pairs {
		en, other := p[0], p[1]
		if en == other || other == "" {
			continue
		}
		if i := strings.Index(en, "%"); i >= 0 {
			en = en[:i]
		}
		en = strings.TrimSpace(en)
		if len(en) < minUntranslated {
			continue
		}
		if strings.Contains(text, en) {
			left = append(left, en)
		}
	}
	return left
}

// Pairs returns the shared texts as {English, lang} pairs, for
// EnglishLeft.
func Pairs(lang string) [][2]string {
	out := make([][2]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, [2]string{Text("en", r[0]), Text(lang, r[0])})
	}
	return out
}

// Package ui holds what every citizen-facing page of this implementation
// shares, whichever service renders it (the portal, the provider's preview
// space and consents pages, the identity provider): the five page languages and their names, the
// negotiation of the language from Accept-Language (RFC 9110 §12.5.4), the
// footer links every page carries (accessibility statement, privacy
// notice, contact) with the page they lead to, and the "Error:" prefix of
// the title of an error page (WCAG 2.2 success criterion 2.4.2: the title
// says what happened).
//
// It also holds the design the services share (layout.go): one style
// sheet (CSS, served by each at StylePath or inlined), the template
// fragments of the skip link, the header with the authority and its
// country, the language switch, the footer and the error summary
// (Fragments, rendered from a Chrome or an ErrorSummary), and the security
// headers of the pages (Security); times written in UTC that a script
// served by each service shows in the reader's time zone (Time,
// TimeScript); and, for tests, the visible text of a page and the English
// left in it (VisibleText, EnglishLeft). Each service keeps its own content
// templates and a few rules of its own after the shared sheet.
package ui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Language is a page language: its ISO 639-1 code and its name in itself
// (for the language switch).
type Language struct {
	Code, Name string
}

// Languages are the page languages, in the order of the language switch:
// English and the languages of the demo's Member States.
var languages = []Language{{"en", "English"}, {"de", "Deutsch"}, {"fr", "Français"}, {"fi", "Suomi"}, {"sv", "Svenska"}}

// Languages returns the page languages, in the order of the switch.
func Languages() []Language { return append([]Language(nil), languages...) }

// Supported reports whether code is a page language.
func Supported(code string) bool {
	for _, l := range languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// maxRanges bounds the language ranges read from one Accept-Language.
const maxRanges = 32

// ParseAcceptLanguage returns the primary language subtags of an
// Accept-Language header (RFC 9110 §12.5.4), lower case, best first; ranges
// with q=0, "*" and malformed entries are left out, and only the first 32
// ranges are read.
func ParseAcceptLanguage(h string) []string {
	type entry struct {
		lang string
		q    float64
	}
	var es []entry
	for i, part := range strings.Split(h, ",") {
		if i >= maxRanges {
			break
		}
		fields := strings.Split(part, ";")
		tag := strings.ToLower(strings.TrimSpace(fields[0]))
		if j := strings.IndexByte(tag, '-'); j >= 0 {
			tag = tag[:j]
		}
		if len(tag) < 2 || len(tag) > 8 || strings.Trim(tag, "abcdefghijklmnopqrstuvwxyz") != "" {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
			if !ok || strings.TrimSpace(k) != "q" {
				continue
			}
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || x < 0 || x > 1 {
				q = 0
			} else {
				q = x
			}
		}
		if q > 0 {
			es = append(es, entry{tag, q})
		}
	}
	sort.SliceStable(es, func(a, b int) bool { return es[a].q > es[b].q })
	out := make([]string, 0, len(es))
	seen := map[string]bool{}
	for _, e := range es {
		if !seen[e.lang] {
			seen[e.lang] = true
			out = append(out, e.lang)
		}
	}
	return out
}

// Negotiate returns the first page language of an Accept-Language header,
// else English.
func Negotiate(acceptLanguage string) string {
	for _, l := range ParseAcceptLanguage(acceptLanguage) {
		if Supported(l) {
			return l
		}
	}
	return "en"
}

// Text returns the shared text of key in lang (English when lang has none),
// with args put in; an unknown key comes back marked, so that a test finds
// it.
func Text(lang, key string, args ...any) string {
	e, ok := texts[key]
	if !ok {
		return "??" + key + "??"
	}
	s := e[lang]
	if s == "" {
		s = e["en"]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// ErrorTitle is the title of an error page: "Error: " and the heading, in
// lang.
func ErrorTitle(lang, heading string) string { return Text(lang, "errorTitle", heading) }

// Link is a link of the footer.
type Link struct {
	Label, URL string
}

// InfoPath is the path, on every service, of the page the footer links
// lead to (with the fragments #accessibility, #privacy and #contact).
const InfoPath = "/about"

// Footer returns the footer links of a page in lang.
func Footer(lang string) []Link {
	return []Link{
		{Text(lang, "footerAccessibility"), InfoPath + "#accessibility"},
		{Text(lang, "footerPrivacy"), InfoPath + "#privacy"},
		{Text(lang, "footerContact"), InfoPath + "#contact"},
	}
}

// Section is a part of the information page: an id (the fragment the
// footer links to), a heading and paragraphs.
type Section struct {
	ID, Heading string
	Paragraphs  []string
}

// Info returns the information page in lang: the accessibility statement,
// the privacy notice and the contact of service (the name of the
// authority or service that shows it).
func Info(lang, service string) (title string, sections []Section) {
	t := func(k string, a ...any) string { return Text(lang, k, a...) }
	return t("infoTitle"), []Section{
		{"accessibility", t("footerAccessibility"), []string{t("infoAccessibility1", service), t("infoAccessibility2")}},
		{"privacy", t("footerPrivacy"), []string{t("infoPrivacy1", service), t("infoPrivacy2")}},
		{"contact", t("footerContact"), []string{t("infoContact1", service)}},
	}
}

// countries are the names of the countries the demo knows, in the page
// languages (in the order of languages).
var countries = map[string][5]string{
	"DE": {"Germany", "Deutschland", "Allemagne", "Saksa", "Tyskland"},
	"FR": {"France", "Frankreich", "France", "Ranska", "Frankrike"},
	"FI": {"Finland", "Finnland", "Finlande", "Suomi", "Finland"},
	"SE": {"Sweden", "Schweden", "Suède", "Ruotsi", "Sverige"},
	"AT": {"Austria", "Österreich", "Autriche", "Itävalta", "Österrike"},
	"BE": {"Belgium", "Belgien", "Belgique", "Belgia", "Belgien"},
	"LU": {"Luxembourg", "Luxemburg", "Luxembourg", "Luxemburg", "Luxemburg"},
	"NL": {"Netherlands", "Niederlande", "Pays-Bas", "Alankomaat", "Nederländerna"},
	"IT": {"Italy", "Italien", "Italie", "Italia", "Italien"},
	"ES": {"Spain", "Spanien", "Espagne", "Espanja", "Spanien"},
	"PL": {"Poland", "Polen", "Pologne", "Puola", "Polen"},
	"EE": {"Estonia", "Estland", "Estonie", "Viro", "Estland"},
}

// CountryName returns the name of a country (ISO 3166-1 alpha-2) in lang,
// or the code when it has none.
func CountryName(lang, code string) string {
	names, ok := countries[strings.ToUpper(code)]
	if !ok {
		return code
	}
	for i, l := range languages {
		if l.Code == lang {
			return names[i]
		}
	}
	return names[0]
}

// languageNames are the names of languages (ISO 639-1) in the page
// languages (in the order of languages).
var languageNames = map[string][5]string{
	"en": {"English", "Englisch", "anglais", "englanti", "engelska"},
	"de": {"German", "Deutsch", "allemand", "saksa", "tyska"},
	"fr": {"French", "Französisch", "français", "ranska", "franska"},
	"fi": {"Finnish", "Finnisch", "finnois", "suomi", "finska"},
	"sv": {"Swedish", "Schwedisch", "suédois", "ruotsi", "svenska"},
	"nl": {"Dutch", "Niederländisch", "néerlandais", "hollanti", "nederländska"},
	"it": {"Italian", "Italienisch", "italien", "italia", "italienska"},
	"es": {"Spanish", "Spanisch", "espagnol", "espanja", "spanska"},
	"pl": {"Polish", "Polnisch", "polonais", "puola", "polska"},
	"et": {"Estonian", "Estnisch", "estonien", "viro", "estniska"},
}

// LanguageName returns the name of a language (ISO 639-1, any case, as
// EDM writes it: "EN") in lang, or the code when it has none.
func LanguageName(lang, code string) string {
	names, ok := languageNames[strings.ToLower(code)]
	if !ok {
		return code
	}
	for i, l := range languages {
		if l.Code == lang {
			return names[i]
		}
	}
	return names[0]
}

package provider

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/edm"
)

// TestLanguagesComplete: every text of the preview space and of the
// consents pages exists in every language of the switch, with as many
// arguments as in English.
func TestLanguagesComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[sdv]`)
	for _, l := range languages {
		m := messages[l.Code]
		if m == nil {
			t.Errorf("no texts in %s", l.Code)
			continue
		}
		for k, en := range messages["en"] {
			s, ok := m[k]
			if !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s text", k, l.Code)
				continue
			}
			if a, b := len(verbs.FindAllString(s, -1)), len(verbs.FindAllString(en, -1)); a != b {
				t.Errorf("%s/%s: %d arguments, English has %d", k, l.Code, a, b)
			}
		}
	}
}

// TestLanguageRemembered: a language chosen with ?lang= (the portal's
// preview link) is kept in a cookie and chosen for the next pages, before
// Accept-Language.
func TestLanguageRemembered(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/preview/x?lang=fi", nil)
	r.Header.Set("Accept-Language", "de")
	w := httptest.NewRecorder()
	rememberLanguage(w, r, true)
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != cookieLang || cs[0].Value != "fi" || !cs[0].Secure || !cs[0].HttpOnly {
		t.Fatalf("cookies %v", cs)
	}
	next := httptest.NewRequest(http.MethodGet, "/preview/x/login", nil)
	next.Header.Set("Accept-Language", "de")
	if got := language(next); got != "de" {
		t.Errorf("without the cookie: %s", got)
	}
	next.AddCookie(cs[0])
	if got := language(next); got != "fi" {
		t.Errorf("with the cookie: %s", got)
	}
	bad := httptest.NewRequest(http.MethodGet, "/preview/x?lang=xx", nil)
	w = httptest.NewRecorder()
	rememberLanguage(w, bad, false)
	if len(w.Result().Cookies()) != 0 {
		t.Error("an unknown language is remembered")
	}
}

// TestExpiry: a document whose validity ended before today is flagged, in
// the page's language; one valid today, or without an end, is not.
func TestExpiry(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if got := expiry(messages["de"], "2026-06-02", now); !strings.Contains(got, "endete am 2026-06-02") {
		t.Errorf("expired: %q", got)
	}
	for _, to := range []string{"2026-12-05", "2027-01-01", "", "02.06.2026"} {
		if got := expiry(messages["en"], to, now); got != "" {
			t.Errorf("%q: %q", to, got)
		}
	}
	for _, tc := range []struct{ mime, key string }{{"application/pdf", "kind.pdf"}, {"application/xml", "kind.xml"}, {"application/json", "kind.json"}, {"image/png", "kind.other"}} {
		if got := formatKey(tc.mime); got != tc.key {
			t.Errorf("formatKey(%s) = %s", tc.mime, got)
		}
	}
}

// TestTitlesInLanguage: the procedure's name and the evidence's title are
// in the page's language where the data gives them, else as the data
// gives them first.
func TestTitlesInLanguage(t *testing.T) {
	c := codelist.Code{Value: "R1", Names: map[string]string{codelist.ColumnValue: "Requesting a birth certificate",
		"name-Germany-DE": "Beantragung einer Geburtsurkunde"}}
	if got := procedureName(c, "de"); got != "Beantragung einer Geburtsurkunde" {
		t.Errorf("German: %q", got)
	}
	if got := procedureName(c, "fr"); got != "Requesting a birth certificate" {
		t.Errorf("French, not in the list: %q", got)
	}
	req := &edm.QueryRequest{EvidenceRequest: &edm.DataServiceEvidenceType{Title: []edm.Text{{Lang: "EN", Value: "Certificate of birth"}, {Lang: "DE", Value: "Geburtsurkunde"}}}}
	if got := evidenceTitleIn(req, "de"); got != "Geburtsurkunde" {
		t.Errorf("German title: %q", got)
	}
	if got := evidenceTitleIn(req, "fi"); got != "Certificate of birth" {
		t.Errorf("Finnish title, not given: %q", got)
	}
}

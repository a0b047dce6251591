package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseAcceptLanguage(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want []string
	}{
		{"", []string{}},
		{"de-DE,de;q=0.9,en;q=0.8", []string{"de", "en"}},
		{"en;q=0.1, fi", []string{"fi", "en"}},
		{"*, sv;q=0, fr;q=abc, de", []string{"de"}},
		{"x-klingon, 12, fr", []string{"fr"}},
	} {
		if got := ParseAcceptLanguage(tc.h); !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.h, got, tc.want)
		}
	}
	long := strings.Repeat("it,", 40) + "de"
	if got := Negotiate(long); got != "en" {
		t.Errorf("a language after 32 ranges is read: %s", got)
	}
	if got := Negotiate("it, sv-FI;q=0.5"); got != "sv" {
		t.Errorf("Negotiate = %s", got)
	}
}

// TestTextsComplete: every shared text exists in every page language with
// as many arguments as in English.
func TestTextsComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[sdv]`)
	for k, e := range texts {
		n := len(verbs.FindAllString(e["en"], -1))
		for _, l := range languages {
			if strings.TrimSpace(e[l.Code]) == "" {
				t.Errorf("%s: no %s text", k, l.Code)
			}
			if got := len(verbs.FindAllString(e[l.Code], -1)); got != n {
				t.Errorf("%s/%s: %d arguments, English has %d", k, l.Code, got, n)
			}
		}
	}
	if got := ErrorTitle("de", "Nicht gefunden"); got != "Fehler: Nicht gefunden" {
		t.Errorf("ErrorTitle = %q", got)
	}
	if _, s := Info("fi", "X"); len(s) != 3 || s[2].ID != "contact" || !strings.Contains(s[0].Paragraphs[0], "X") {
		t.Errorf("Info = %+v", s)
	}
}

func FuzzParseAcceptLanguage(f *testing.F) {
	for _, s := range []string{"de-DE,de;q=0.9,en;q=0.8", "*;q=0", "fi;q=1.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := ParseAcceptLanguage(h)
		if len(got) > maxRanges {
			t.Fatalf("%d languages from one header", len(got))
		}
		for _, l := range got {
			if len(l) < 2 || len(l) > 8 || strings.ToLower(l) != l {
				t.Fatalf("bad subtag %q", l)
			}
		}
	})
}

func TestNames(t *testing.T) {
	if got := LanguageName("de", "EN"); got != "Englisch" {
		t.Errorf("LanguageName(de, EN) = %q", got)
	}
	if got := LanguageName("fi", "xx"); got != "xx" {
		t.Errorf("LanguageName(fi, xx) = %q", got)
	}
	if got := CountryName("sv", "fr"); got != "Frankrike" {
		t.Errorf("CountryName(sv, fr) = %q", got)
	}
}

package provider_test

import (
	"testing"

	"github.com/oots-go/oots/provider"
)

// FuzzParseResult: the data service's JSON never panics, and what it
// accepts has a subject key per match.
func FuzzParseResult(f *testing.F) {
	f.Add([]byte(`{"matches":[{"subject":"person:1","documents":[{"id":"x","title":"t","issuingDate":"2024-01-01","format":"application/pdf","content":"JVBERg=="}]}]}`))
	f.Add([]byte(`{"matches":[]}`))
	f.Add([]byte(`{"matches":[{"documents":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := provider.ParseResult(b)
		if err != nil {
			return
		}
		for _, m := range r.Matches {
			if m.Subject == "" {
				t.Fatal("a match without subject key was accepted")
			}
		}
	})
}

// FuzzParsePreviewLocation: a preview link from a request never panics, and
// an accepted one is under the base and gives a well-formed token.
func FuzzParsePreviewLocation(f *testing.F) {
	const base = "https://preview.example.de"
	f.Add(base + "/preview/AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(base + "/preview/AAAAAAAAAAAAAAAAAAAAAA?returnurl=https://x/")
	f.Add("https://evil.example/preview/AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(base + "/preview/%41AAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, loc string) {
		tok, err := provider.ParsePreviewLocation(base, loc)
		if err != nil {
			return
		}
		if len(tok) != 22 {
			t.Fatalf("token %q from %q", tok, loc)
		}
		again, err := provider.ParsePreviewLocation(base, base+"/preview/"+tok)
		if err != nil || again != tok {
			t.Fatalf("token %q does not round-trip: %v", tok, err)
		}
	})
}

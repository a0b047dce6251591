package portal

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oots-go/oots/requester"
)

// TestEvidenceHeaders: a browser shows only the formats it shows safely,
// never caches an evidence file, and runs anything but a PDF in a
// sandbox, so that an HTML or SVG evidence from another Member State
// cannot run script on the portal's origin.
func TestEvidenceHeaders(t *testing.T) {
	const sandbox = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
	for _, tc := range []struct {
		name string
		file requester.File
		want http.Header
	}{
		{"pdf", requester.File{Name: "diploma.pdf", MimeType: "application/pdf", Data: []byte("%PDF")}, http.Header{
			"Content-Type": {"application/pdf"}, "Content-Disposition": {`inline; filename=diploma.pdf`},
			"Content-Length": {"4"}, "Cache-Control": {"private, no-store"},
		}},
		{"png", requester.File{Name: "scan.png", MimeType: "image/png", Data: []byte("png")}, http.Header{
			"Content-Type": {"image/png"}, "Content-Disposition": {`inline; filename=scan.png`},
			"Content-Length": {"3"}, "Cache-Control": {"private, no-store"}, "Content-Security-Policy": {sandbox},
		}},
		{"html is downloaded", requester.File{Name: "x.html", MimeType: "text/html; charset=utf-8", Data: []byte("<script>")}, http.Header{
			"Content-Type": {"text/html; charset=utf-8"}, "Content-Disposition": {`attachment; filename=x.html`},
			"Content-Length": {"8"}, "Cache-Control": {"private, no-store"}, "Content-Security-Policy": {sandbox},
		}},
		{"svg is downloaded", requester.File{Name: "x.svg", MimeType: "image/svg+xml", Data: []byte("<svg/>")}, http.Header{
			"Content-Type": {"image/svg+xml"}, "Content-Disposition": {`attachment; filename=x.svg`},
			"Content-Length": {"6"}, "Cache-Control": {"private, no-store"}, "Content-Security-Policy": {sandbox},
		}},
		{"no media type, no name", requester.File{MimeType: "not a type", Data: []byte("?")}, http.Header{
			"Content-Type": {"application/octet-stream"}, "Content-Disposition": {`attachment; filename=evidence`},
			"Content-Length": {"1"}, "Cache-Control": {"private, no-store"}, "Content-Security-Policy": {sandbox},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			setEvidenceHeaders(h, &tc.file)
			if diff := cmp.Diff(tc.want, h); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHasEvidence: the portal serves only an evidence that an exchange of
// the journey received.
func TestHasEvidence(t *testing.T) {
	j := &requester.Journey{Requirements: []*requester.Requirement{
		{ID: "a"},
		{ID: "b", Exchange: &requester.Exchange{Evidence: []requester.Evidence{{ID: "e1"}, {ID: "e2"}}}},
	}}
	for id, want := range map[string]bool{"e1": true, "e2": true, "e3": false, "": false} {
		if got := hasEvidence(j, id); got != want {
			t.Errorf("hasEvidence(%q) = %v, want %v", id, got, want)
		}
	}
}

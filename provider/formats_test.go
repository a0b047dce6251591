package provider_test

import (
	"testing"

	"github.com/oots-go/oots/edm"
)

// TestSeveralFormatsRequested: a 2.0 DistributedAs naming several formats
// is served when the provider has any one of them (here the PDF named
// second), and refused with EDM:ERR:0007 when it has none.
func TestSeveralFormatsRequested(t *testing.T) {
	e := newEnv(t, "", nil)
	anna := user(t, anna)
	for _, tt := range []struct {
		name    string
		formats []string
		code    string
	}{
		{"pdf second", []string{"image/png", "application/pdf"}, "EDM:ERR:0002"}, // the preview: the request is served
		{"none served", []string{"image/png", "image/jpeg"}, "EDM:ERR:0007"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := e.request(edm.V2_0, berlin, anna)
			da := &q.EvidenceRequest.DistributedAs[0]
			da.Format, da.MoreFormats = tt.formats[0], tt.formats[1:]
			n := len(e.send.all())
			e.deliver(e.message(q, "c-"+tt.name, newUUID()))
			as := e.answers(n)
			if len(as) != 1 {
				t.Fatalf("%d answers", len(as))
			}
			exc := exceptionOf(t, as[0])
			if string(exc.Code) != tt.code {
				t.Errorf("%s (%s), want %s", exc.Code, exc.Detail, tt.code)
			}
		})
	}
}

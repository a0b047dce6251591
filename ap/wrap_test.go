package ap_test

import (
	"context"
	"errors"
	"mime"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
)

// TestSubmitWrapsCause checks that a refused submission carries both
// ErrInvalidSubmission and the error that caused it, so that callers can
// branch on either with errors.Is.
func TestSubmitWrapsCause(t *testing.T) {
	nodes := newNet(t, netOptions{profile: pmode.ProfileNone})
	s := submission("", "x")
	s.Payloads[0].MimeType = "text/plain; =x"
	_, _, err := nodes["AP_FR_01"].Submit(context.Background(), s)
	if !errors.Is(err, ap.ErrInvalidSubmission) || !errors.Is(err, mime.ErrInvalidMediaParameter) {
		t.Fatalf("Submit: %v; want ErrInvalidSubmission wrapping mime.ErrInvalidMediaParameter", err)
	}
}

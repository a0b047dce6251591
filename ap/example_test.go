package ap_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/oots-go/oots/ap"
)

// A backend checks each webhook push before it processes the message, and
// records the X-OOTS-Message-Id so that a repeated push is processed once:
// the signature covers that header, so it cannot be changed on the way.
func ExampleVerifyWebhook() {
	secret := []byte("0123456789abcdef-webhook")
	body := []byte(`{"messageId":"1@oots"}`)
	now := time.Unix(1767225600, 0)

	r := httptest.NewRequest(http.MethodPost, "https://backend.example/oots", nil)
	r.Header.Set(ap.HeaderEvent, ap.EventMessage)
	r.Header.Set(ap.HeaderMessageID, "1@oots")
	r.Header.Set(ap.HeaderTimestamp, "1767225600")
	r.Header.Set(ap.HeaderSignature, ap.SignWebhook(secret, http.MethodPost, "/oots", r.Header, body))
	fmt.Println(ap.VerifyWebhook(secret, r, body, now, time.Minute))
	fmt.Println(ap.VerifyWebhook(secret, r, []byte(`{"messageId":"2@oots"}`), now, time.Minute) != nil)
	r.Header.Set(ap.HeaderMessageID, "2@oots")
	fmt.Println(ap.VerifyWebhook(secret, r, body, now, time.Minute) != nil)
	// Output:
	// <nil>
	// true
	// true
}

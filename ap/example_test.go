package ap_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/oots-go/oots/ap"
)

// A backend checks each webhook push before it processes the message, and
// records the X-OOTS-Message-Id so that a repeated push is processed once.
func ExampleVerifyWebhook() {
	secret := []byte("0123456789abcdef-webhook")
	body := []byte(`{"messageId":"1@oots"}`)
	now := time.Unix(1767225600, 0)

	h := http.Header{}
	h.Set(ap.HeaderMessageID, "1@oots")
	h.Set(ap.HeaderTimestamp, "1767225600")
	h.Set(ap.HeaderSignature, ap.SignWebhook(secret, "1767225600", body))
	fmt.Println(h.Get(ap.HeaderSignature)[:15])
	fmt.Println(ap.VerifyWebhook(secret, h, body, now, time.Minute))
	fmt.Println(ap.VerifyWebhook(secret, h, []byte(`{"messageId":"2@oots"}`), now, time.Minute))
	// Output:
	// sha256=6a5768a3
	// <nil>
	// webhook: X-OOTS-Signature does not match
}

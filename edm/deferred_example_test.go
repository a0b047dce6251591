package edm_test

import (
	"fmt"
	"time"

	"github.com/oots-go/oots/edm"
)

// A provider that holds the evidence but sends it only later answers a
// deferred response; the requester reads when to ask again.
func ExampleNewDeferredResponse() {
	req := edm.NewQueryRequest(edm.V2_0, "4ffb5281-179d-4578-adf2-39fd13ccc797", time.Date(2026, 8, 6, 10, 0, 0, 0, time.UTC))
	resp := edm.NewDeferredResponse(req, "0d9e8a51-3c1f-4b61-9a4e-5b1f9d1e7a30", time.Date(2026, 8, 6, 10, 0, 5, 0, time.UTC),
		time.Date(2026, 8, 7, 9, 30, 0, 0, time.UTC))
	at, err := resp.AvailableAt()
	fmt.Println(resp.Deferred(), resp.ResponseAvailableDateTime, at, err)
	// Output: true 2026-08-07T09:30:00.000Z 2026-08-07 09:30:00 +0000 UTC <nil>
}

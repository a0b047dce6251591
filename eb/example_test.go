package eb_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// Example serves the demo data set and asks for the requirements of
// procedure R1 in Finland, in the 2.0 form, signing the answer with a
// key of a fresh test CA (a deployment uses the key the Commission's
// trust list names).
func Example() {
	reg, err := csregistry.Open(context.Background(), csregistry.Config{})
	if err != nil {
		panic(err)
	}
	if err := demo.Load(context.Background(), reg); err != nil {
		panic(err)
	}
	ca, err := pki.NewCA("example CA", wssec.AS4v20, nil)
	if err != nil {
		panic(err)
	}
	key, err := pki.IssueES256(ca, "example Evidence Broker", nil)
	if err != nil {
		panic(err)
	}
	signer := &csrest.Signer{Key: key.Signer(), Chain: []*x509.Certificate{key.Cert, ca.Cert}}
	h, err := eb.NewHandler(eb.Config{Registry: reg, Signer: signer})
	if err != nil {
		panic(err)
	}
	q := url.Values{"queryId": {eb.QueryRequirements}, "procedure-id": {"R1"}, "country-code": {"FI"}}
	req := httptest.NewRequest(http.MethodGet, "/eb/rest/search?"+q.Encode(), nil)
	req.Header.Set("Accept-Version", "oots-cs:v2.0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	m, _, err := edm.ParseBytes(rec.Body.Bytes())
	if err != nil {
		panic(err)
	}
	answer := m.(*edm.ServiceResponse)
	r := answer.Requirements()[0]
	fmt.Println(rec.Code, answer.Kind(), answer.Version())
	fmt.Println(r.Name[0].Value, "-", r.ReferenceFramework[0].Jurisdiction.AdminUnitLevel1)
	// Output:
	// 200 EB-REQ oots-cs:v2.0
	// Proof of birth - FI
}

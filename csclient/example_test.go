package csclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"crypto/ecdsa"
	"crypto/x509"
	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// Example asks an Evidence Broker (here ours, on the demo data, signing with
// a test chain) for the requirements of procedure S1 in Sweden; the client
// verifies the answer's signature against the test CA.
func Example() {
	ca, _ := pki.NewCA("example CA", wssec.AS4v20, nil)
	cred, _ := pki.IssueES256(ca, "example Common Services", nil)
	reg, _ := csregistry.Open(context.Background(), csregistry.Config{})
	if err := demo.Load(context.Background(), reg); err != nil {
		panic(err)
	}
	h, _ := eb.NewHandler(eb.Config{Registry: reg, Signer: &csrest.Signer{Key: cred.Key.(*ecdsa.PrivateKey), Chain: []*x509.Certificate{cred.Cert, ca.Cert}}})
	mux := http.NewServeMux()
	mux.Handle("/eb/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := csclient.New(csclient.Config{EBURL: srv.URL, DSDURL: srv.URL, Trust: trust.NewStore(ca.Cert)})
	if err != nil {
		panic(err)
	}
	reqs, err := c.Requirements(context.Background(), "S1", "SE")
	if err != nil {
		panic(err)
	}
	fmt.Println(reqs[0].Name[0].Value)
	// Output:
	// Proof of residence
}

package pki_test

import (
	"fmt"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmlenc"
)

// Issue the credentials of an eDelivery AS4 2.0 access point and validate
// them against a trust store holding the CA.
func Example() {
	ca, err := pki.NewCA("oots test CA", wssec.AS4v20, nil)
	if err != nil {
		panic(err)
	}
	ap, err := pki.Issue(ca, "AP_FR_01", wssec.AS4v20, nil)
	if err != nil {
		panic(err)
	}
	store := trust.NewStore(ca.Cert)
	_, err = store.Verify(ap.Sign.Cert, trust.Signing, time.Now())
	fmt.Printf("sign: %s %T %v\n", ap.Sign.Cert.Subject.CommonName, ap.Sign.Cert.PublicKey, err)
	encKey, _ := xmlenc.CertificateKey(ap.Encrypt.Cert)
	_, err = store.Verify(ap.Encrypt.Cert, trust.KeyAgreement, time.Now())
	fmt.Printf("encrypt: %T %v\n", encKey, err)
	// Output:
	// sign: AP_FR_01 ed25519.PublicKey <nil>
	// encrypt: *ecdh.PublicKey <nil>
}

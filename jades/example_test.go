package jades_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/trust"
)

// A Common Services answer is signed by the server and verified by the
// client against its trust anchors.
func Example() {
	// The server's signing key and certificate (here self-signed and trusted
	// directly; in production a Commission-issued chain).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signedAt := time.Date(2026, 7, 29, 9, 1, 50, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Example Common Services"},
		NotBefore:    signedAt.Add(-time.Hour),
		NotAfter:     signedAt.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)

	body := []byte(`<query:QueryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>`)
	header := http.Header{}
	if err := jades.Sign(header, body, key, []*x509.Certificate{cert}, signedAt); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(header.Get(jades.HeaderDigest))

	// The client.
	v, err := jades.Verify(header, body, jades.VerifyOptions{Trust: trust.NewStore(cert), Now: signedAt})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed by", v.Chain[0].Subject.CommonName, "at", v.SignedAt.Format(time.RFC3339), "over", v.SignedHeaders)

	// One changed byte of the body is caught.
	body[1] = 'Q'
	_, err = jades.Verify(header, body, jades.VerifyOptions{Trust: trust.NewStore(cert), Now: signedAt})
	fmt.Println(err != nil, errors.Is(err, jades.ErrDigestMismatch))
	// Output:
	// SHA-256=ClnaxIMm301imuSf6HdVH7ppcPwuk9aaAISMWYp2hKc=
	// signed by Example Common Services at 2026-07-29T09:01:50Z over [digest]
	// true true
}

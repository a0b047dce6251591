package wssec_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// A sender secures a user message with one attachment under the eDelivery
// AS4 2.0 profile; the receiver verifies and decrypts it and uses only the
// Result.
func Example() {
	dir := "testdata/pki/eddsa"
	ca, _ := pki.LoadCredential(dir, "ca")
	sender, _ := pki.LoadParty(dir, "AP_FR_01")
	receiver, _ := pki.LoadParty(dir, "AP_DE_01")
	now := time.Date(2026, 1, 15, 9, 8, 0, 0, time.UTC)

	raw, _ := os.ReadFile("testdata/envelope.xml")
	env, _ := xmltree.ParseBytes(raw, nil)
	payload := []byte(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`)
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "application/x-ebrs+xml")
	parts := []wssec.Part{{ContentID: "request@oots.example", Header: h,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }}}

	// Send side: sign then encrypt.
	sent, err := wssec.Secure(env, parts, &wssec.SignConfig{
		Profile:     wssec.AS4v20,
		SigningKey:  sender.Sign.Signer(),
		SigningCert: sender.Sign.Cert,
		// The X25519 key agreement certificate of the receiver.
		RecipientCert: receiver.Encrypt.Cert,
		Now:           func() time.Time { return now },
		// A signed wsu:Timestamp bounds replay (the eDelivery policies of
		// Domibus and Harmony have none: TimestampNone, the default).
		Timestamp: wssec.TimestampRequired,
	})
	if err != nil {
		panic(err)
	}
	defer sent[0].Remove()
	wire := env.Bytes() // the SOAP part as sent

	// Receive side: verify, then decrypt, under a strict policy.
	received, _ := xmltree.ParseBytes(wire, nil)
	res, err := wssec.Process(received, sent, &wssec.VerifyConfig{
		Profile:           wssec.AS4v20,
		RequireSignature:  true,
		RequireEncryption: true,
		Trust:             trust.NewStore(ca.Cert),
		DecryptionKey:     receiver.Encrypt.Key,
		Now:               func() time.Time { return now.Add(time.Second) },
		Timestamp:         wssec.TimestampRequired,
	})
	if err != nil {
		panic(err)
	}
	defer res.Close()
	rc, _ := res.Parts[0].Open()
	got, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println("signer:", res.SignerCert.Subject.CommonName)
	fmt.Println("references:", len(res.SignedInfoReferences))
	fmt.Println(res.Parts[0].Header.Get("Content-Type"), string(got))

	// The same message an hour later is refused as a replay.
	received, _ = xmltree.ParseBytes(wire, nil)
	_, err = wssec.Process(received, sent, &wssec.VerifyConfig{
		Profile: wssec.AS4v20, RequireSignature: true, RequireEncryption: true,
		Trust: trust.NewStore(ca.Cert), DecryptionKey: receiver.Encrypt.Key,
		Now:       func() time.Time { return now.Add(time.Hour) },
		Timestamp: wssec.TimestampRequired,
	})
	var werr *wssec.Error
	if errors.As(err, &werr) {
		fmt.Println(werr.Code)
	}
	// Output:
	// signer: AP_FR_01
	// references: 4
	// application/x-ebrs+xml <query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>
	// EBMS:0101
}

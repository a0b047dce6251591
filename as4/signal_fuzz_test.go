package as4_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/wssec"
)

// FuzzReadSignal feeds arbitrary HTTP responses to ReadSignal, unsigned and
// with signature verification: whatever comes back, the answer is a signal or
// an *as4.Error whose code is in the catalogue, never a panic. A signal that
// passes verification was signed by the trusted receiver, so a mutated signed
// receipt must not verify unless it is the seed itself.
func FuzzReadSignal(f *testing.F) {
	const profile = wssec.AS4v115
	fx := getFixture(f, profile)
	r := fx.receiverOf(f, config(profile))
	rc, err := r.ErrorSignal(as4.Errorf(as4.ValueInconsistent, "required property %q missing", "finalRecipient"))
	if err != nil {
		f.Fatal(err)
	}
	plain, err := as4.SignSignal(rc, nil)
	if err != nil {
		f.Fatal(err)
	}
	signCfg := &wssec.SignConfig{Profile: wssec.Profile(profile), SigningKey: fx.receiver.Sign.Signer(), SigningCert: fx.receiver.Sign.Cert, Now: clock}
	signed, err := as4.SignSignal(rc, signCfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("application/soap+xml", plain)
	f.Add("application/soap+xml; charset=utf-8", signed)
	f.Add(`multipart/related; boundary="b"; type="application/soap+xml"`, []byte("--b\r\nContent-Type: application/soap+xml\r\n\r\n"+string(plain)+"\r\n--b--\r\n"))
	f.Add("application/soap+xml", []byte(""))
	verify := &wssec.VerifyConfig{Profile: wssec.Profile(profile), RequireSignature: true, Trust: fx.store, Now: clock}
	f.Fuzz(func(t *testing.T, ct string, b []byte) {
		for _, cfg := range []*wssec.VerifyConfig{nil, verify} {
			sig, err := as4.ReadSignal(ct, bytes.NewReader(b), cfg)
			if err != nil {
				var e *as4.Error
				if !errors.As(err, &e) {
					t.Fatalf("not an *as4.Error: %v", err)
				}
				if _, ok := as4.Catalogue(e.Code); !ok {
					t.Fatalf("code %q outside the catalogue", e.Code)
				}
				continue
			}
			if sig == nil {
				t.Fatal("no signal and no error")
			}
		}
	})
}

package as4_test

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// A certificate that chains to the trust store speaks for its own party
// only: a message whose eb:From is AP_FR_01 and whose signer is another
// access point of the same CA, or the receiver itself, is refused with
// EBMS:0101; with a certificate configured for AP_FR_01, only that one is
// accepted. Each case fails without the binding in Unpack.
func TestUnpackBindsSignerToFrom(t *testing.T) {
	for _, profile := range profiles[:2] {
		f := getFixture(t, profile)
		kind := wssec.AS4v115
		if profile == profiles[1] {
			kind = wssec.AS4v20
		}
		other, err := pki.Issue(f.ca, "AP_XX_99", kind, &pki.Options{Now: testNow.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// A second certificate issued to AP_FR_01 (the CN matches; only a
		// configured certificate can tell it from the real one).
		twin, err := pki.Issue(f.ca, "AP_FR_01", kind, &pki.Options{Now: testNow.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name       string
			signer     *pki.Party
			configured []*x509.Certificate
			ok         bool
		}{
			{"the sender's own certificate, bound by name", f.sender, nil, true},
			{"another party's certificate of the same CA", other, nil, false},
			{"the receiver's own certificate", f.receiver, nil, false},
			{"the configured certificate", f.sender, []*x509.Certificate{f.sender.Sign.Cert}, true},
			{"a certificate with the right name that is not the configured one", twin, []*x509.Certificate{f.sender.Sign.Cert}, false},
			{"one of two configured certificates (rollover)", twin, []*x509.Certificate{f.sender.Sign.Cert, twin.Sign.Cert}, true},
		}
		for _, tc := range cases {
			t.Run(string(profile)+"/"+tc.name, func(t *testing.T) {
				c := config(profile)
				s := f.senderOf(t, c)
				s.SigningKey, s.SigningCert = tc.signer.Sign.Signer(), tc.signer.Sign.Cert
				p, err := s.Pack(request())
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				req := wire(t, p)
				r := f.receiverOf(t, c)
				var asked []string
				r.PartyCertificates = func(party string) ([]*x509.Certificate, error) {
					asked = append(asked, party)
					if party == "AP_FR_01" {
						return tc.configured, nil
					}
					return nil, nil
				}
				err = unpackOK(t, r, req, tc.ok)
				if tc.ok {
					return
				}
				e := as4.AsError(err)
				if e.Code != as4.FailedAuthentication || !strings.Contains(e.Detail, "AP_FR_01") || !strings.Contains(e.Detail, tc.signer.Sign.Cert.Subject.CommonName) {
					t.Fatalf("err = %v, want EBMS:0101 naming the party and the signer", err)
				}
				if e.RefToMessageInError != p.UserMessage.MessageInfo.MessageID {
					t.Errorf("RefToMessageInError %q", e.RefToMessageInError)
				}
				if len(asked) == 0 || asked[0] != "AP_FR_01" {
					t.Errorf("PartyCertificates asked for %v", asked)
				}
			})
		}
	}
}

// A signature that names its certificate by subject key identifier or issuer
// and serial (Domibus's eDeliveryAS4Policy, _IS) resolves against the
// sending party's configured certificate or, as with Domibus's truststore,
// a partner certificate held in the trust store; with neither it is
// refused.
func TestUnpackResolvesKeyReferences(t *testing.T) {
	f := getFixture(t, profiles[0])
	for _, ref := range []string{pmode.KeyRefSKI, pmode.KeyRefIssuerSerial} {
		c := config(profiles[0])
		c.Legs[0].Security.SignatureKeyReference = ref
		c.Legs[0].Security.EncryptionKeyReference = ref
		for _, tc := range []struct {
			name       string
			configured bool
			inTrust    bool
			ok         bool
		}{
			{"the party's configured certificate", true, false, true},
			{"a partner certificate in the trust store", false, true, true},
			{"neither", false, false, false},
		} {
			t.Run(ref+"/"+tc.name, func(t *testing.T) {
				p := f.packRequest(t, c)
				req := wire(t, p)
				r := f.receiverOf(t, c)
				if tc.configured {
					r.PartyCertificates = func(string) ([]*x509.Certificate, error) { return []*x509.Certificate{f.sender.Sign.Cert}, nil }
				}
				if tc.inTrust {
					r.Trust = trust.NewStore(f.ca.Cert, f.sender.Sign.Cert)
				}
				err := unpackOK(t, r, req, tc.ok)
				if tc.ok {
					return
				}
				if as4.AsError(err).Code != as4.FailedAuthentication {
					t.Fatalf("err = %v, want EBMS:0101", err)
				}
			})
		}
	}
}

// unpackOK unpacks req: when ok, it must be accepted; else it must be
// refused, and the error is returned.
func unpackOK(t *testing.T, r *as4.Receiver, req *http.Request, ok bool) error {
	t.Helper()
	in, err := r.Unpack(req.Header.Get("Content-Type"), req.Body)
	if err == nil {
		in.Close()
		if !ok {
			t.Fatal("accepted: the signer is not bound to the party")
		}
		return nil
	}
	if ok {
		t.Fatal(err)
	}
	return err
}

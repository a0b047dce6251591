package ap_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// intruder is a certificate of the network's CA issued to another party:
// trusted, but not AP_FR_01 nor AP_DE_01.
func intruder(t *testing.T, profile wssec.Profile) *pki.Party {
	t.Helper()
	kind := wssec.AS4v115
	if profile == wssec.AS4v20 {
		kind = wssec.AS4v20
	}
	p, err := pki.Issue(credentials(t, profile).ca, "AP_XX_99", kind, &pki.Options{Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReceiveBindsSigner: a message that claims to come from AP_FR_01 and is
// signed by another trusted certificate (another access point of the CA,
// the receiver's own) is refused with EBMS:0101 and not stored; with the
// defect any-signer the same message is accepted, so the test fails without
// the check.
func TestReceiveBindsSigner(t *testing.T) {
	const profile = wssec.AS4v115
	c := credentials(t, profile)
	xx := intruder(t, profile)
	for _, tc := range []struct {
		name   string
		signer *pki.Party
		fault  fault.Defect
		code   as4.Code
	}{
		{"another party's certificate", xx, fault.Defect{}, as4.FailedAuthentication},
		{"the receiver's own certificate", c.parties["AP_DE_01"], fault.Defect{}, as4.FailedAuthentication},
		{"another party's certificate, node without the binding", xx, fault.Must(fault.AnySigner), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := newNet(t, netOptions{profile: profile, edit: func(name string, cfg *ap.Config) {
				if name == "AP_DE_01" {
					cfg.Fault = tc.fault
				}
			}})
			fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
			snd := &as4.Sender{PMode: fr.cfg.PMode, SigningKey: tc.signer.Sign.Signer(), SigningCert: tc.signer.Sign.Cert,
				PeerCert: fr.cfg.EncryptionCerts["AP_DE_01"], Client: http.DefaultClient}
			packed, err := snd.Pack(submission("", "spoof").Outbound("AP_FR_01"))
			if err != nil {
				t.Fatal(err)
			}
			defer packed.Close()
			a, err := snd.Post(context.Background(), packed, de.url+"/as4")
			if err != nil {
				t.Fatal(err)
			}
			list, _ := de.db.ListInbound(context.Background(), apstore.InboundFilter{IncludeAcked: true})
			if tc.code == "" {
				if a.Status != http.StatusOK || len(list) != 1 {
					t.Fatalf("the defective node: HTTP %d, %d stored", a.Status, len(list))
				}
				return
			}
			if got := errorCode(t, a.ContentType, a.Body); got != tc.code || a.Status != http.StatusInternalServerError {
				t.Fatalf("HTTP %d %s, want %s", a.Status, got, tc.code)
			}
			if len(list) != 0 {
				t.Fatalf("%d messages stored", len(list))
			}
		})
	}
}

// fakePartner is AP_DE_01's endpoint played by a test: it unpacks with
// DE's keys and answers as signer, after edit changes the reply.
func fakePartner(t *testing.T, profile wssec.Profile, signer *pki.Party, accept as4.Accept, edit func(*as4.Reply)) string {
	t.Helper()
	c := credentials(t, profile)
	de := c.parties["AP_DE_01"]
	pm := pmodes(profile, map[string]string{}, nil)
	pm.Self = "AP_DE_01"
	r := &as4.Receiver{PMode: pm, DecryptionKey: de.Encrypt.Key, Trust: trust.NewStore(c.ca.Cert), TempDir: t.TempDir(),
		SigningKey: signer.Sign.Signer(), SigningCert: signer.Sign.Cert, Reply: edit}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.Serve(w, req, accept) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSendBindsSignals: a receipt signed by a third party does not mark the
// message delivered, and an ebMS Error signal about another message does
// not fail it: both are ignored and the message retried. A signed error
// about the message fails it at once. With the defect any-receipt-signer
// the third party's receipt is taken, so the test fails without the check.
func TestSendBindsSignals(t *testing.T) {
	const profile = wssec.AS4v115
	c := credentials(t, profile)
	xx, de := intruder(t, profile), c.parties["AP_DE_01"]
	ok := func(context.Context, *as4.Inbound) error { return nil }
	refuse := func(context.Context, *as4.Inbound) error {
		return as4.Errorf(as4.ValueInconsistent, "refused by the test")
	}
	otherMessage := func(rp *as4.Reply) {
		if rp.Signal != nil {
			sm := rp.Signal.SignalMessages[0]
			sm.MessageInfo.RefToMessageID = "another-message@oots"
			for _, e := range sm.Errors {
				e.RefToMessageInError = "another-message@oots"
			}
		}
	}
	for _, tc := range []struct {
		name   string
		signer *pki.Party
		accept as4.Accept
		edit   func(*as4.Reply)
		fault  fault.Defect
		state  string
		last   string
	}{
		{"a receipt signed by a third party", xx, ok, nil, fault.Defect{}, apstore.OutQueued, "EBMS:0101"},
		{"an error signal about another message", de, refuse, otherMessage, fault.Defect{}, apstore.OutQueued, "another-message@oots"},
		{"an error signal about the message", de, refuse, nil, fault.Defect{}, apstore.OutFailed, "EBMS:0003"},
		{"the partner's receipt", de, ok, nil, fault.Defect{}, apstore.OutDelivered, ""},
		{"a receipt signed by a third party, node without the binding", xx, ok, nil, fault.Must(fault.AnyReceiptSigner), apstore.OutDelivered, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := fakePartner(t, profile, tc.signer, tc.accept, tc.edit)
			nodes := newNet(t, netOptions{profile: profile,
				retry: &pmode.Retry{Timeout: time.Hour, Count: 3, Strategy: pmode.RetryConstant},
				edit: func(name string, cfg *ap.Config) {
					if name == "AP_FR_01" {
						cfg.Fault = tc.fault
						for i := range cfg.PMode.Parties {
							if cfg.PMode.Parties[i].Name == "AP_DE_01" {
								cfg.PMode.Parties[i].Endpoint = url
							}
						}
					}
				}})
			fr := nodes["AP_FR_01"]
			st, _, err := fr.Submit(context.Background(), submission("", "signals"))
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			var got *ap.Status
			for {
				if got, err = fr.Status(context.Background(), st.MessageID); err != nil {
					t.Fatal(err)
				}
				if got.State != apstore.OutQueued || got.LastError != "" || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got.State != tc.state || !strings.Contains(got.LastError, tc.last) {
				t.Fatalf("state %s after %d attempt(s), last error %q; want %s with %q", got.State, got.Attempts, got.LastError, tc.state, tc.last)
			}
		})
	}
}

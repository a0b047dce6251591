package ap_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/openssltest"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// revocationNet starts the two nodes on the 1.15 profile, AP_FR_01 signing
// with a certificate that names the OCSP responder r, AP_DE_01 checking
// its partners' certificates online with on.
func revocationNet(t *testing.T, r *openssltest.OCSP, on *trust.Online) (map[string]*testNode, *pki.Party) {
	t.Helper()
	c := credentials(t, wssec.AS4v115)
	fr, err := pki.Issue(c.ca, "AP_FR_01", wssec.AS4v115, &pki.Options{Now: time.Now().Add(-time.Hour), OCSPServer: []string{r.URL}})
	if err != nil {
		t.Fatal(err)
	}
	r.Good(fr.Sign.Cert)
	nodes := newNet(t, netOptions{profile: wssec.AS4v115,
		retry: &pmode.Retry{Timeout: 30 * time.Second, Count: 3, Strategy: pmode.RetryConstant},
		edit: func(name string, cfg *ap.Config) {
			switch name {
			case "AP_FR_01":
				cfg.SigningKey, cfg.SigningCert = fr.Sign.Signer(), fr.Sign.Cert
			case "AP_DE_01":
				ts := trust.NewStore(c.ca.Cert)
				ts.SetOnline(on)
				cfg.Trust = ts
			}
		}})
	return nodes, fr
}

func metricsOf(t *testing.T, n *testNode) string {
	t.Helper()
	resp, err := http.Get(n.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

// TestPartnerRevokedOnline: once the sender's certificate is revoked at
// OpenSSL's OCSP responder, the receiver refuses its messages with
// EBMS:0101 as soon as the cached good answer has expired.
func TestPartnerRevokedOnline(t *testing.T) {
	c := credentials(t, wssec.AS4v115)
	k, err := pki.KeyPEM(c.ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	r := openssltest.StartOCSP(t, c.ca.Cert, openssltest.Signer{Cert: c.ca.Cert, Key: k}, time.Hour)
	const lifetime = time.Second
	on := &trust.Online{Policy: trust.RevocationRequire, MaxCacheAge: lifetime, Logger: quietLog}
	nodes, fr := revocationNet(t, r, on)
	ctx := context.Background()

	st, _, err := nodes["AP_FR_01"].Submit(ctx, submission("", "before"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, nodes["AP_FR_01"], st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("before the revocation: %+v", got)
	}
	r.Revoke(fr.Sign.Cert, time.Now())
	time.Sleep(lifetime + 100*time.Millisecond)
	st, _, err = nodes["AP_FR_01"].Submit(ctx, submission("", "after"))
	if err != nil {
		t.Fatal(err)
	}
	got := waitState(t, nodes["AP_FR_01"], st.MessageID, 20*time.Second)
	if got.State != apstore.OutFailed || !strings.Contains(got.LastError, "EBMS:0101") {
		t.Fatalf("after the revocation: %+v, want failed with EBMS:0101", got)
	}
	m := metricsOf(t, nodes["AP_DE_01"])
	if v, ok := metricValue(t, m, "oots_ap_revocation_checks_total", "source", "ocsp", "result", "revoked", "policy", "require", "decision", "refused"); v != 1 {
		t.Errorf("revoked and refused checks: %v (present %v), want 1:\n%s", v, ok, m)
	}
	if _, ok := metricValue(t, m, "oots_ap_revocation_checks_total", "source", "ocsp", "result", "good", "policy", "require", "decision", "accepted"); !ok {
		t.Errorf("metrics lack the good and accepted checks:\n%s", m)
	}
}

// TestPartnerResponderDown: with the OCSP responder down, the receiver's
// policy decides (prefer delivers, require refuses with EBMS:0101) and its
// log and metrics say which.
func TestPartnerResponderDown(t *testing.T) {
	c := credentials(t, wssec.AS4v115)
	k, err := pki.KeyPEM(c.ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		policy   trust.RevocationPolicy
		state    string
		decision string
	}{
		{trust.RevocationPrefer, apstore.OutDelivered, trust.DecisionAccepted},
		{trust.RevocationRequire, apstore.OutFailed, trust.DecisionRefused},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			r := openssltest.StartOCSP(t, c.ca.Cert, openssltest.Signer{Cert: c.ca.Cert, Key: k}, time.Hour)
			var log lockedBuffer
			on := &trust.Online{Policy: tc.policy, Logger: slog.New(slog.NewTextHandler(&log, nil))}
			nodes, _ := revocationNet(t, r, on)
			r.Stop()
			st, _, err := nodes["AP_FR_01"].Submit(context.Background(), submission("", "down"))
			if err != nil {
				t.Fatal(err)
			}
			got := waitState(t, nodes["AP_FR_01"], st.MessageID, 20*time.Second)
			if got.State != tc.state || tc.state == apstore.OutFailed && !strings.Contains(got.LastError, "EBMS:0101") {
				t.Fatalf("%+v, want %s", got, tc.state)
			}
			m := metricsOf(t, nodes["AP_DE_01"])
			if v, ok := metricValue(t, m, "oots_ap_revocation_checks_total", "source", "none", "result", "unknown", "policy", string(tc.policy), "decision", tc.decision); v != 1 {
				t.Errorf("checks without an answer decided %s: %v (present %v), want 1:\n%s", tc.decision, v, ok, m)
			}
			if l := log.String(); !strings.Contains(l, "policy "+string(tc.policy)) || !strings.Contains(l, "decision="+tc.decision) {
				t.Errorf("the log does not say what the policy decided:\n%s", l)
			}
		})
	}
}

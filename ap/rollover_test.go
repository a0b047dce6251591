package ap_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// TestRolloverDuringExchange: AP_DE_01 rolls over to a certificate of a new
// CA while both nodes exchange messages steadily. AP_FR_01 learns the next
// certificate and CA by a reload ahead of the switch and encrypts for it at
// once; AP_DE_01 decrypts with either key and signs with the next one from
// the switch. No message fails, none is retried, none is received twice.
func TestRolloverDuringExchange(t *testing.T) {
	for _, profile := range []wssec.Profile{wssec.AS4v20, wssec.AS4v115} {
		t.Run(string(profile), func(t *testing.T) { rollover(t, profile) })
	}
}

func rollover(t *testing.T, profile wssec.Profile) {
	kind := wssec.AS4v115
	if profile == wssec.AS4v20 {
		kind = wssec.AS4v20
	}
	c := credentials(t, profile)
	opt := &pki.Options{Now: time.Now().Add(-time.Hour)}
	ca2, err := pki.NewCA("oots ap test CA 2", kind, opt)
	if err != nil {
		t.Fatal(err)
	}
	next, err := pki.Issue(ca2, "AP_DE_01", kind, opt)
	if err != nil {
		t.Fatal(err)
	}
	// FR reloads 700 ms after the start, DE switches at 3 s: the reload
	// comes before the switch on a slow machine too.
	start := time.Now()
	switchAt := start.Add(3 * time.Second)
	nodes := newNet(t, netOptions{profile: profile, edit: func(name string, cfg *ap.Config) {
		if name == "AP_DE_01" {
			cfg.Next = &ap.Rollover{SigningKey: next.Sign.Signer(), SigningCert: next.Sign.Cert, DecryptionKey: next.Encrypt.Key, At: switchAt}
		}
	}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	cur := c.parties["AP_DE_01"]

	ctx := context.Background()
	type sent struct {
		from *testNode
		id   string
		at   time.Time
	}
	var all []sent
	reloaded, sentAfterSwitch := false, false
	for i := 0; time.Since(start) < 3500*time.Millisecond || !sentAfterSwitch; i++ {
		if !reloaded && time.Since(start) > 700*time.Millisecond {
			// FR learns DE's next certificate and its CA ahead of the switch.
			ts := trust.NewStore(c.ca.Cert, ca2.Cert)
			err := fr.Reload(ap.Partners{Trust: ts,
				EncryptionCerts: map[string]*x509.Certificate{"AP_DE_01": next.Encrypt.Cert},
				SigningCerts:    map[string][]*x509.Certificate{"AP_DE_01": {cur.Sign.Cert, next.Sign.Cert}}})
			if err != nil {
				t.Fatal(err)
			}
			reloaded = true
		}
		from, to := fr, "AP_DE_01"
		if i%2 == 1 {
			from, to = de, "AP_FR_01"
		}
		s := submission("", fmt.Sprintf("m%d", i))
		s.To = to
		st, _, err := from.Submit(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, sent{from, st.MessageID, time.Now()})
		if from == fr && all[len(all)-1].at.After(switchAt.Add(200*time.Millisecond)) {
			sentAfterSwitch = true
		}
		time.Sleep(40 * time.Millisecond)
	}
	afterSwitch := ""
	for _, m := range all {
		got := waitState(t, m.from, m.id, 20*time.Second)
		if got.State != apstore.OutDelivered || got.Attempts != 1 {
			t.Errorf("%s from %s at +%v: %+v", m.id, m.from.name, m.at.Sub(start), got)
		}
		if m.from == fr && m.at.After(switchAt.Add(200*time.Millisecond)) {
			afterSwitch = m.id
		}
	}
	for _, n := range []*testNode{fr, de} {
		list, err := n.db.ListInbound(ctx, apstore.InboundFilter{IncludeAcked: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, m := range all {
			if m.from != n {
				want++
			}
		}
		if len(list) != want {
			t.Errorf("%s received %d messages, want %d", n.name, len(list), want)
		}
	}
	if !de.SigningCertificate().Equal(next.Sign.Cert) {
		t.Errorf("DE signs with %q after the switch", de.SigningCertificate().Subject)
	}
	if afterSwitch == "" {
		t.Fatal("no message from FR after the switch")
	}
	o, err := fr.db.Outbound(ctx, afterSwitch)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(o.Receipt, []byte(base64.StdEncoding.EncodeToString(next.Sign.Cert.Raw)[:64])) {
		t.Errorf("the receipt of %s, after the switch, does not carry DE's next certificate", afterSwitch)
	}
}

// TestReloadRefusesNoTrust: a reload that would leave signed legs without
// a trust store changes nothing.
func TestReloadRefusesNoTrust(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	if err := nodes["AP_FR_01"].Reload(ap.Partners{}); err == nil {
		t.Fatal("Reload without a trust store: no error")
	}
	exchange(t, nodes)
}

// TestReloadRemovesAnchor: once a reload takes the sender's CA out of the
// receiver's trust store, the sender's next message is refused, although
// the receiver validated the same certificate for the message before.
func TestReloadRemovesAnchor(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	exchange(t, nodes)
	other, err := pki.NewCA("another CA", wssec.AS4v20, &pki.Options{Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	p := de.Partners()
	p.Trust = trust.NewStore(other.Cert)
	if err := de.Reload(p); err != nil {
		t.Fatal(err)
	}
	st, _, err := fr.Submit(context.Background(), submission("", "after the reload"))
	if err != nil {
		t.Fatal(err)
	}
	got := waitState(t, fr, st.MessageID, 20*time.Second)
	if got.State != apstore.OutFailed || !strings.Contains(got.LastError, "EBMS:0101") {
		t.Fatalf("sent to a receiver that no longer trusts the sender's CA: %+v", got)
	}
}

// TestCertificateExpiryMetrics: /metrics tells when the node's own and its
// partners' certificates expire.
func TestCertificateExpiryMetrics(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	fr := nodes["AP_FR_01"]
	c := credentials(t, wssec.AS4v20)
	m := metricsOf(t, fr)
	de := c.parties["AP_DE_01"].Encrypt.Cert
	for _, c := range []struct {
		role, party string
		cert        *x509.Certificate
	}{
		{"own-signing", "AP_FR_01", fr.cfg.SigningCert},
		{"partner-encryption", "AP_DE_01", de},
		{"trust-anchor", "", c.ca.Cert},
	} {
		v, ok := metricValue(t, m, "oots_ap_certificate_not_after_seconds", "role", c.role, "party", c.party,
			"subject", c.cert.Subject.String(), "serial", c.cert.SerialNumber.String())
		if !ok || int64(v) != c.cert.NotAfter.Unix() {
			t.Errorf("oots_ap_certificate_not_after_seconds of %s %s: %v (present %v), want %d", c.role, c.party, v, ok, c.cert.NotAfter.Unix())
		}
	}
}

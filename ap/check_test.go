package ap_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// TestCheckConfig: each problem of a node's keys, certificates and
// partners is reported under the Config field concerned, and a sound
// configuration gets no error or warning.
func TestCheckConfig(t *testing.T) {
	c20 := credentials(t, wssec.AS4v20)
	c115 := credentials(t, wssec.AS4v115)
	me, de := c20.parties["AP_FR_01"], c20.parties["AP_DE_01"]
	now := time.Now()
	base := func() *ap.Config {
		pm := pmodes(wssec.AS4v20, map[string]string{"AP_FR_01": "http://a/as4", "AP_DE_01": "http://b/as4"}, nil)
		pm.Self = "AP_FR_01"
		return &ap.Config{PMode: pm, SigningKey: me.Sign.Signer(), SigningCert: me.Sign.Cert, DecryptionKey: me.Encrypt.Key,
			Trust:           trust.NewStore(c20.ca.Cert),
			EncryptionCerts: map[string]*x509.Certificate{"AP_DE_01": de.Encrypt.Cert},
			SigningCerts:    map[string]*x509.Certificate{"AP_DE_01": de.Sign.Cert}}
	}
	for _, tc := range []struct {
		name string
		edit func(*ap.Config)
		now  time.Time
		want []string // the findings other than info: "flag rule location"
	}{
		{"sound", func(*ap.Config) {}, now, nil},
		{"keys of the other profile", func(c *ap.Config) {
			c.SigningKey, c.SigningCert = c115.parties["AP_FR_01"].Sign.Signer(), c115.parties["AP_FR_01"].Sign.Cert
		}, now, []string{
			"error AP-CONFIG-CERT SigningCert", // not issued by the trusted CA
			"error AP-CONFIG-ALGORITHM PMode.legs[0].security.profile",
			"error AP-CONFIG-ALGORITHM PMode.legs[1].security.profile",
			"error AP-CONFIG-ALGORITHM DecryptionKey",
			// The partner's X25519 certificate, judged for the profile of
			// the signing key (the legs are reported already), cannot
			// serve for RSA key transport.
			"error AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"error AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
		}},
		{"key and certificate apart", func(c *ap.Config) { c.SigningKey = de.Sign.Signer() }, now,
			[]string{"error AP-CONFIG-KEY SigningKey"}},
		{"no signing key on signed legs", func(c *ap.Config) { c.SigningKey, c.SigningCert = nil, nil }, now,
			[]string{"error AP-CONFIG-KEY SigningKey"}},
		{"no trust store", func(c *ap.Config) { c.Trust = nil }, now, []string{
			"warning AP-CONFIG-CERT SigningCert",
			"warning AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"warning AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"warning AP-CONFIG-CERT SigningCerts[AP_DE_01]",
		}},
		{"another CA", func(c *ap.Config) { c.Trust = trust.NewStore(c115.ca.Cert) }, now, []string{
			"error AP-CONFIG-CERT SigningCert",
			"error AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"error AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"error AP-CONFIG-CERT SigningCerts[AP_DE_01]",
		}},
		{"expiring", func(*ap.Config) {}, me.Sign.Cert.NotAfter.Add(-ap.CertWarning / 2), []string{
			"warning AP-CONFIG-CERT SigningCert",
			"warning AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"warning AP-CONFIG-CERT EncryptionCerts[AP_DE_01]",
			"warning AP-CONFIG-CERT SigningCerts[AP_DE_01]",
		}},
		{"partner without endpoint", func(c *ap.Config) { c.PMode.Parties[1].Endpoint = "" }, now, []string{
			"error AP-CONFIG-PARTNER PMode.legs[0]",
			"error AP-CONFIG-PARTNER PMode.legs[1]",
		}},
		{"partner without encryption certificate", func(c *ap.Config) { delete(c.EncryptionCerts, "AP_DE_01") }, now, []string{
			"error AP-CONFIG-PARTNER PMode.legs[0]",
			"error AP-CONFIG-PARTNER PMode.legs[1]",
		}},
		{"partner found by discovery", func(c *ap.Config) {
			c.PMode.Parties[1].Endpoint = ""
			delete(c.EncryptionCerts, "AP_DE_01")
			c.Discovered = map[string]ap.DiscoveredPartner{"AP_DE_01": {}}
		}, now, nil},
		{"self not a party", func(c *ap.Config) { c.PMode.Self = "AP_IT_01" }, now,
			[]string{"error AP-CONFIG-PMODE PMode.Self"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(c)
			var got []string
			for _, f := range ap.CheckConfig(c, tc.now) {
				if f.Flag != check.Info {
					got = append(got, strings.Join([]string{string(f.Flag), f.Rule, f.Location}, " "))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%v", diff, ap.CheckConfig(c, tc.now))
			}
		})
	}
}

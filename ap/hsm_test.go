//go:build pkcs11 && cgo

package ap_test

import (
	"crypto"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/pkcs11"
	"github.com/oots-go/oots/wssec"
)

// TestExchangeWithTokenKeys runs the two-access-point exchange of both
// profiles with every private key of both nodes in a SoftHSM2 token,
// opened by PKCS#11 URI: the signing keys (messages, receipts), the RSA
// decryption keys, and the X25519 ones where the token takes them (SoftHSM2
// 2.6 does not: they stay in memory, and the test says so).
func TestExchangeWithTokenKeys(t *testing.T) {
	for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(profile), func(t *testing.T) {
			c := credentials(t, profile)
			open := func(k crypto.PrivateKey) crypto.PrivateKey {
				t.Helper()
				key, err := pkcs11.Open(softhsmtest.Import(t, k))
				if err != nil {
					t.Fatal(err)
				}
				return key
			}
			keys := map[string][2]crypto.PrivateKey{}
			for name, p := range c.parties {
				sign := open(p.Sign.Key)
				dec := sign // RSA: one key signs and decrypts
				if profile == wssec.AS4v20 {
					uri, err := softhsmtest.ImportErr(t, p.Encrypt.Key)
					if err == nil {
						dec, err = pkcs11.Open(uri)
					}
					if err != nil {
						t.Logf("%s: X25519 decryption key kept in memory: %v", name, err)
						dec = p.Encrypt.Key
					}
				}
				keys[name] = [2]crypto.PrivateKey{sign, dec}
			}
			nodes := newNet(t, netOptions{profile: profile, edit: func(name string, cfg *ap.Config) {
				cfg.SigningKey = keys[name][0].(crypto.Signer)
				cfg.DecryptionKey = keys[name][1]
			}})
			for _, n := range nodes {
				if _, ok := n.cfg.SigningKey.(*pkcs11.Signer); !ok {
					if _, ok := n.cfg.SigningKey.(*pkcs11.Decrypter); !ok {
						t.Fatalf("%s signs with %T, not a token key", n.name, n.cfg.SigningKey)
					}
				}
			}
			exchange(t, nodes)
		})
	}
}

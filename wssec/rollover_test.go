package wssec_test

import (
	"testing"

	"github.com/oots-go/oots/wssec"
)

// TestNextDecryptionKey: during a rollover a partner may encrypt for the
// receiver's next certificate; the receiver decrypts with either key, and
// without the next one the message fails with EBMS:0102.
func TestNextDecryptionKey(t *testing.T) {
	for _, p := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(p), func(t *testing.T) {
			f := getFixture(t, p)
			s := secure(t, f, true) // encrypted for the receiver's key: here, the "next" one
			other := f.sender.Encrypt.Key

			cfg := f.verifyConfig(t, true)
			cfg.DecryptionKey = other
			if _, err := process(t, s, cfg); code(err) != "EBMS:0102" {
				t.Fatalf("with the current key only: %v, want EBMS:0102", err)
			}
			cfg = f.verifyConfig(t, true)
			cfg.DecryptionKey, cfg.NextDecryptionKey = other, f.receiver.Encrypt.Key
			res, err := process(t, s, cfg)
			if err != nil {
				t.Fatalf("with the next key: %v", err)
			}
			if got := readAll(t, res.Parts[1]); len(got) != len(payloads()[res.Parts[1].ContentID]) {
				t.Errorf("part %s: %d bytes", res.Parts[1].ContentID, len(got))
			}
			cfg = f.verifyConfig(t, true)
			cfg.NextDecryptionKey = other
			if _, err := process(t, s, cfg); err != nil {
				t.Fatalf("with the current key and another next one: %v", err)
			}
		})
	}
}

package wssec_test

import (
	"bytes"
	"crypto/rand"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"testing/cryptotest"

	"github.com/oots-go/oots/wssec"
)

var update = flag.Bool("update", false, "rewrite the golden messages in testdata/golden")

// TestGolden: with randomness and time fixed, Secure writes exactly the
// recorded message (a change of wire format shows here; re-record with
// -update after checking it against the JDK verifier), and the recorded
// message still verifies.
func TestGolden(t *testing.T) {
	for _, p := range profiles {
		t.Run(string(p), func(t *testing.T) {
			cryptotest.SetGlobalRandom(t, 2026)
			f := getFixture(t, p)
			doc := loadDoc(t, "envelope.xml")
			cfg := f.signConfig(t, true)
			cfg.Rand = rand.Reader
			out, err := wssec.Secure(doc, testParts(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", string(p)+".envelope.xml")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, doc.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(doc.Bytes(), want) {
				t.Errorf("Secure no longer writes %s (run with -update if the change is intended)", golden)
			}
			if _, err := process(t, sent{env: want, parts: out}, f.verifyConfig(t, true)); err != nil {
				t.Fatalf("the recorded message does not verify: %v", err)
			}
		})
	}
}

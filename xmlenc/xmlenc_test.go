package xmlenc_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// RFC 3394 §4.1: wrap 128 bits of key data with a 128-bit KEK.
func TestKeyWrapRFC3394(t *testing.T) {
	kek, _ := hex.DecodeString("000102030405060708090A0B0C0D0E0F")
	key, _ := hex.DecodeString("00112233445566778899AABBCCDDEEFF")
	want, _ := hex.DecodeString("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
	got, err := xmlenc.Wrap(kek, key)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("wrap = %X, %v", got, err)
	}
	back, err := xmlenc.Unwrap(kek, got)
	if err != nil || !bytes.Equal(back, key) {
		t.Fatalf("unwrap = %X, %v", back, err)
	}
	got[3] ^= 1
	if _, err := xmlenc.Unwrap(kek, got); !errors.Is(err, xmlenc.ErrAuthentication) {
		t.Fatalf("tampered unwrap: %v", err)
	}
}

func party(t testing.TB, p wssec.Profile) *pki.Party {
	t.Helper()
	ca, err := pki.NewCA("test CA", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := pki.Issue(ca, "AP_TEST_01", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

func TestIndependentPrimitives(t *testing.T) {
	py := testenv.Python(t, "cryptography")
	helper, _ := filepath.Abs("testdata/swa_crypto.py")
	for _, p := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(p), func(t *testing.T) {
			pt := party(t, p)
			dir := t.TempDir()
			keyPEM, err := pki.KeyPEM(pt.Encrypt.Key)
			if err != nil {
				t.Fatal(err)
			}
			write(t, dir, "key.pem", keyPEM)
			write(t, dir, "cert.pem", pki.CertPEM(pt.Encrypt.Cert))
			plain := make([]byte, 100_000)
			rand.Read(plain)
			write(t, dir, "plain", plain)

			// Ours → theirs.
			cek, _ := xmlenc.NewKey(rand.Reader)
			pub, err := xmlenc.CertificateKey(pt.Encrypt.Cert)
			if err != nil {
				t.Fatal(err)
			}
			ek, err := xmlenc.EncryptKeyFor(rand.Reader, pub, cek)
			if err != nil {
				t.Fatal(err)
			}
			el, err := ek.Element()
			if err != nil {
				t.Fatal(err)
			}
			var x bytes.Buffer
			xmltree.WriteElement(&x, el, xmltree.WriteOptions{})
			write(t, dir, "ek.xml", x.Bytes())
			var ct bytes.Buffer
			iv := make([]byte, 12)
			rand.Read(iv)
			if _, err := xmlenc.EncryptGCM(&ct, bytes.NewReader(plain), cek, iv); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "cipher", ct.Bytes())
			run(t, py, helper, "decrypt", filepath.Join(dir, "ek.xml"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "cipher"), filepath.Join(dir, "out"))
			if got, _ := os.ReadFile(filepath.Join(dir, "out")); !bytes.Equal(got, plain) {
				t.Fatal("python-cryptography decrypted something else")
			}

			// Theirs → ours.
			run(t, py, helper, "encrypt", filepath.Join(dir, "cert.pem"), filepath.Join(dir, "plain"), filepath.Join(dir, "ek2.xml"), filepath.Join(dir, "cipher2"))
			raw, _ := os.ReadFile(filepath.Join(dir, "ek2.xml"))
			doc, err := xmltree.ParseBytes(raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			ek2, err := xmlenc.ParseEncryptedKey(doc.Root, &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP, xmlenc.KWAES128}})
			if err != nil {
				t.Fatal(err)
			}
			cek2, err := ek2.Decrypt(pt.Encrypt.Key)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(filepath.Join(dir, "cipher2"))
			defer f.Close()
			name, _, err := xmlenc.DecryptGCMToFile(dir, f, cek2)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(name); !bytes.Equal(got, plain) {
				t.Fatal("we decrypted what python-cryptography encrypted into something else")
			}
		})
	}
}

func write(t testing.TB, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

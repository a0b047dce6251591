package xmlenc_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
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

// TestRSAOAEPMGF1SHA1: an xmlenc11#rsa-oaep EncryptedKey without xenc11:MGF
// means MGF1 with SHA-1 (XML Encryption 1.1 §5.5.2), as does one naming
// mgf1sha1. python-cryptography (testdata/swa_crypto.py) encrypts both;
// the AS4 policy (MGFs empty: MGF1-SHA256 only, eDelivery AS4 1.15) refuses
// them as an algorithm it does not allow, and a policy that lists MGF1SHA1
// decrypts them to the key Python encrypted. What we write from the parsed
// key (the MGF written out) Python decrypts again.
func TestRSAOAEPMGF1SHA1(t *testing.T) {
	py := pythonOAEP(t)
	both := &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP}, MGFs: []xmlenc.Algorithm{xmlenc.MGF1SHA256, xmlenc.MGF1SHA1}}
	for _, mgf := range []string{"none", "mgf1sha1", "mgf1sha256"} {
		t.Run(mgf, func(t *testing.T) {
			want := xmlenc.MGF1SHA1
			if mgf == "mgf1sha256" {
				want = xmlenc.MGF1SHA256
			}
			ek := py.roundTrip(t, mgf, mgf, "sha256", "MGF", mgf != "none", mgf == "mgf1sha256", both, want)
			if ek.MGF != want {
				t.Fatalf("MGF %q, want %q", ek.MGF, want)
			}
		})
	}
}

// TestRSAOAEPDigests: an xmlenc11#rsa-oaep EncryptedKey names its OAEP
// digest in ds:DigestMethod, SHA-1 when it names none (XML Encryption 1.1
// §5.5.2). python-cryptography (testdata/swa_crypto.py) encrypts with each
// digest of §5.7; the AS4 policy (Digests empty: SHA-256 only, eDelivery
// AS4 1.15) refuses all others as an algorithm it does not allow; a policy
// that lists them decrypts each to the key Python encrypted, and what we
// write from the parsed key Python decrypts again.
func TestRSAOAEPDigests(t *testing.T) {
	py := pythonOAEP(t)
	all := &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP}, MGFs: []xmlenc.Algorithm{xmlenc.MGF1SHA256, xmlenc.MGF1SHA1},
		Digests: []xmlenc.Algorithm{xmlenc.SHA1, xmlenc.SHA256, xmlenc.SHA384, xmlenc.SHA512}}
	for digest, want := range map[string]xmlenc.Algorithm{"none": xmlenc.SHA1, "sha1": xmlenc.SHA1, "sha256": xmlenc.SHA256, "sha384": xmlenc.SHA384, "sha512": xmlenc.SHA512} {
		t.Run(digest, func(t *testing.T) {
			ek := py.roundTrip(t, "digest-"+digest, "mgf1sha256", digest, "DigestMethod", digest != "none", digest == "sha256", all, want)
			if ek.DigestMethod != want {
				t.Fatalf("DigestMethod %q, want %q", ek.DigestMethod, want)
			}
		})
	}
}

// oaepPeer is python-cryptography (testdata/swa_crypto.py) with an RSA
// recipient's key and certificate in dir, and a plaintext.
type oaepPeer struct {
	py, helper, dir string
	key             *rsa.PrivateKey
	plain           []byte
}

func pythonOAEP(t *testing.T) *oaepPeer {
	t.Helper()
	py := testenv.Python(t, "cryptography")
	helper, _ := filepath.Abs("testdata/swa_crypto.py")
	pt := party(t, wssec.AS4v115)
	dir := t.TempDir()
	keyPEM, err := pki.KeyPEM(pt.Encrypt.Key)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := pt.Encrypt.Key.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("the AS4 1.15 encryption key is a %T", pt.Encrypt.Key)
	}
	write(t, dir, "key.pem", keyPEM)
	write(t, dir, "cert.pem", pki.CertPEM(pt.Encrypt.Cert))
	p := &oaepPeer{py: py, helper: helper, dir: dir, key: key, plain: []byte("the evidence, encrypted under a key transported by RSA-OAEP")}
	write(t, dir, "plain", p.plain)
	return p
}

// roundTrip has Python encrypt a key with the MGF and digest given (its
// EncryptedKey naming element when named), checks that the AS4 policy
// takes it only when as4 is true and that policy reads it, decrypts the
// part to the plaintext, and has Python decrypt again what we write from
// the parsed key, which must name want. It returns the parsed key.
func (p *oaepPeer) roundTrip(t *testing.T, name, mgf, digest, element string, named, as4 bool, policy *xmlenc.KeyPolicy, want xmlenc.Algorithm) *xmlenc.EncryptedKey {
	t.Helper()
	ekFile, ctFile := filepath.Join(p.dir, name+".xml"), filepath.Join(p.dir, name+".cipher")
	run(t, p.py, p.helper, "encrypt", filepath.Join(p.dir, "cert.pem"), filepath.Join(p.dir, "plain"), ekFile, ctFile, mgf, digest)
	raw, _ := os.ReadFile(ekFile)
	if bytes.Contains(raw, []byte(element)) != named {
		t.Fatalf("Python's EncryptedKey:\n%s", raw)
	}
	doc, err := xmltree.ParseBytes(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = xmlenc.ParseEncryptedKey(doc.Root, &xmlenc.KeyPolicy{Methods: []xmlenc.Algorithm{xmlenc.RSAOAEP}})
	if as4 && err != nil {
		t.Fatalf("the AS4 policy refuses it: %v", err)
	} else if !as4 && !errors.Is(err, xmlenc.ErrAlgorithm) {
		t.Fatalf("the AS4 policy: %v, want ErrAlgorithm", err)
	}
	ek, err := xmlenc.ParseEncryptedKey(doc.Root, policy)
	if err != nil {
		t.Fatal(err)
	}
	cek, err := ek.Decrypt(p.key)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(ctFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got bytes.Buffer
	if _, err := xmlenc.DecryptGCM(&got, f, cek); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), p.plain) {
		t.Fatalf("decrypted %q", got.Bytes())
	}
	// Ours, from the parsed key, → Python.
	el, err := ek.Element()
	if err != nil {
		t.Fatal(err)
	}
	var x bytes.Buffer
	xmltree.WriteElement(&x, el, xmltree.WriteOptions{})
	if !bytes.Contains(x.Bytes(), []byte(string(want))) {
		t.Fatalf("our EncryptedKey does not name %s:\n%s", want, x.Bytes())
	}
	write(t, p.dir, name+".ours.xml", x.Bytes())
	run(t, p.py, p.helper, "decrypt", filepath.Join(p.dir, name+".ours.xml"), filepath.Join(p.dir, "key.pem"), ctFile, filepath.Join(p.dir, name+".out"))
	if got, _ := os.ReadFile(filepath.Join(p.dir, name+".out")); !bytes.Equal(got, p.plain) {
		t.Fatal("python-cryptography decrypted something else")
	}
	return ek
}

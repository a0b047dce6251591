package pki_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// python-cryptography (OpenSSL) reads our X25519 key agreement certificate,
// sees an X25519 key with keyAgreement only, and verifies the CA's signature
// on it.
func TestX25519CertificateWithOpenSSL(t *testing.T) {
	py := testenv.Python(t, "cryptography")
	ca, err := pki.NewCA("oots test CA", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := pki.Issue(ca, "AP_FR_01", wssec.AS4v20, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ca.pem"), pki.CertPEM(ca.Cert), 0o600)
	os.WriteFile(filepath.Join(dir, "enc.pem"), pki.CertPEM(ap.Encrypt.Cert), 0o600)
	script := `import sys
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import x25519
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
c = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
assert isinstance(c.public_key(), x25519.X25519PublicKey), type(c.public_key())
ku = c.extensions.get_extension_for_class(x509.KeyUsage).value
assert ku.key_agreement and not ku.digital_signature, ku
ca.public_key().verify(c.signature, c.tbs_certificate_bytes)
print("ok")`
	out, err := exec.Command(py, "-c", script, filepath.Join(dir, "ca.pem"), filepath.Join(dir, "enc.pem")).CombinedOutput()
	if err != nil || string(out) != "ok\n" {
		t.Fatalf("python-cryptography: %v\n%s", err, out)
	}
}

package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"testing"

	"github.com/oots-go/oots/check"
)

// TestDoctorJournalWebhook: a journal section with a webhook is a
// configuration "oots serve" runs (the journal takes the partners'
// receipts in-process, the webhook every received message): the doctor
// finds no error in it.
func TestDoctorJournalWebhook(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, out, errOut := runCLI(t, "init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", "127.0.0.1:0"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	writeSecret(t, "fr/journal.key", make([]byte, 32))
	appendFile(t, "fr/oots.yaml", "journal: {keyFile: journal.key}\n")
	appendFile(t, "fr/oots.yaml", "webhook: {url: \"https://backend.example/\", secret: \"a-webhook-secret-0123\"}\n")
	code, fs := runDoctorJSON(t, "-config", "fr/oots.yaml", "-no-database")
	for _, f := range fs {
		if f.Invalidates() {
			t.Errorf("the journal with a webhook: finding %+v", f)
		}
	}
	if code != 0 || !hasFinding(fs, ruleConfig, check.Info, "configuration read") || !hasFinding(fs, ruleConfig, check.Info, "journal key read") {
		t.Errorf("the journal with a webhook: exit %d, findings %+v; want the configuration and the journal key read", code, fs)
	}
}

// TestDoctorSAMLKeys: oots doctor reads the preview space's SAML keys as
// "oots serve" does at start: a key whose certificate is another key's, or
// an encryption key that cannot decrypt, is an error naming the field; a
// pair that works is said to.
func TestDoctorSAMLKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, out, errOut := runCLI(t, "init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", "127.0.0.1:0"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	writeSAMLKeys(t, "fr")
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, "fr", "other", other)
	writeSecret(t, "fr/be-saml.json", []byte(exampleSAMLNode))
	base, err := os.ReadFile("fr/oots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doctor := func(encKey, encCert string) (int, []check.Finding) {
		t.Helper()
		writeSecret(t, "fr/oots.yaml", append(append([]byte(nil), base...), samlProviderSection(encKey, encCert)...))
		return runDoctorJSON(t, "-config", "fr/oots.yaml", "-no-database", "-offline")
	}
	if _, fs := doctor("saml-enc.key.pem", "saml-enc.cert.pem"); !hasFinding(fs, ruleConfig, check.Info, "decrypts an eIDAS node's key transport") {
		t.Errorf("a working pair: %+v", fs)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, "fr", "small", small)
	for _, tc := range []struct{ key, cert, want string }{
		{"other.key.pem", "saml-enc.cert.pem", "EncryptionCert is not the certificate of EncryptionKey"},
		{"saml-sign.key.pem", "saml-sign.cert.pem", "cannot decrypt"},
		{"small.key.pem", "small.cert.pem", "EncryptionKey: RSA keys of less than 2048 bits are refused"},
	} {
		if code, fs := doctor(tc.key, tc.cert); code != 1 || !hasFinding(fs, ruleConfig, check.Error, tc.want) {
			t.Errorf("encryptionKey %s, encryptionCertificate %s: exit %d, want an error saying %q: %+v", tc.key, tc.cert, code, tc.want, fs)
		}
	}
	// A signing key eIDAS nodes do not take (Ed25519), as oots serve
	// refuses it.
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, "fr", "saml-sign", ed)
	if code, fs := doctor("saml-enc.key.pem", "saml-enc.cert.pem"); code != 1 || !hasFinding(fs, ruleConfig, check.Error, "SigningKey: ed25519.PublicKey (ECDSA or RSA only)") {
		t.Errorf("an Ed25519 signing key: exit %d: %+v", code, fs)
	}
}

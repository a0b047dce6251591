package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/store"
)

// exampleSAMLNode is an eIDAS node file (provider.login.saml.nodes) that
// names the node's endpoint and certificate itself, for configurations
// that are read and checked but log no one in.
const exampleSAMLNode = `{"entityId": "https://eidas.example.be/metadata", "ssoUrl": "https://eidas.example.be/sso", "certificates": ["saml-sign.cert.pem"]}`

// writeSAMLKeys writes in dir the preview space's SAML keys as
// provider.login.saml names them, each with a self-signed certificate: the
// signing key saml-sign (ECDSA) and the encryption key saml-enc (RSA, for
// the nodes' RSA-OAEP key transport).
func writeSAMLKeys(t *testing.T, dir string) {
	t.Helper()
	sign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, dir, "saml-sign", sign)
	writeKeyCert(t, dir, "saml-enc", enc)
}

// samlProviderSection is a provider section whose preview space logs in by
// eIDAS SAML alone, at the BE node of be-saml.json, signing with saml-sign
// and decrypting with encKey (a file or a PKCS#11 URI) whose certificate
// is encCert; its one evidence type's data service is never asked.
func samlProviderSection(encKey, encCert string) string {
	return fmt.Sprintf(`provider:
  listen: 127.0.0.1:0
  previewBase: https://preview.fr.example
  login:
    saml: {nodes: {BE: be-saml.json}, signingKey: saml-sign.key.pem, signingCertificate: saml-sign.cert.pem,
           encryptionKey: %q, encryptionCertificate: %q}
  providers:
    - agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-EP-1, name: Mairie, country: FR}
      evidenceTypes: [{classification: "https://sr.example/et/1", formats: [{format: application/pdf}], dataService: "http://register.internal/oots"}]
`, encKey, encCert)
}

// samlLoginWith builds the preview space's eIDAS SAML login of a
// configuration in dir whose provider.login.saml.encryptionKey is encKey
// (a file in dir or a PKCS#11 URI) and encryptionCertificate encCert, as
// "oots serve" does at start-up.
func samlLoginWith(t *testing.T, dir, encKey, encCert string) (*saml.Authenticator, error) {
	t.Helper()
	sign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, dir, "saml-sign", sign)
	writeSecret(t, filepath.Join(dir, "be-saml.json"), []byte(exampleSAMLNode))
	writeSecret(t, filepath.Join(dir, "oots.yaml"), []byte("pmode: pmode.yaml\napi: {token: \"an-api-token-0123456789\"}\n"+samlProviderSection(encKey, encCert)))
	c, err := readServeConfig(filepath.Join(dir, "oots.yaml"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return c.Provider.samlLogin(context.Background(), c, db, "FR", slog.New(slog.DiscardHandler))
}

// publishes fails t unless the SAML metadata of a holds the certificate
// in the PEM file certFile (in dir) as our encryption certificate.
func publishes(t *testing.T, a *saml.Authenticator, dir, certFile string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCertPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	md, err := a.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte(base64.StdEncoding.EncodeToString(cert.Raw))) {
		t.Errorf("the metadata does not publish the encryption certificate:\n%.800s", md)
	}
}

// TestServeSAMLEncryptionKey: provider.login.saml.encryptionKey is an RSA
// key that decrypts the key transports of eIDAS nodes, checked at
// start-up; a key that cannot decrypt, or whose certificate is another
// key's, stops "oots serve" with a sentence naming the field.
func TestServeSAMLEncryptionKey(t *testing.T) {
	dir := t.TempDir()
	enc, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, dir, "saml-enc", enc)
	a, err := samlLoginWith(t, dir, "saml-enc.key.pem", "saml-enc.cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	publishes(t, a, dir, "saml-enc.cert.pem")

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, dir, "ec", ec)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyCert(t, dir, "other", other)
	for _, tc := range []struct{ key, cert, want string }{
		{"ec.key.pem", "ec.cert.pem", "provider.login.saml.encryptionKey: *ecdsa.PrivateKey cannot decrypt"},
		{"other.key.pem", "saml-enc.cert.pem", "Config.EncryptionCert is not the certificate of EncryptionKey"},
	} {
		if _, err := samlLoginWith(t, dir, tc.key, tc.cert); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("encryptionKey %s, encryptionCertificate %s: %v, want an error naming %q", tc.key, tc.cert, err, tc.want)
		}
	}
}

// TestSAMLDecrypterProbe: a key that claims an RSA public key but does not
// decrypt with it (a token key whose certificate was mixed up, a token
// that refuses OAEP) is refused at start-up, naming the field and the key
// transport.
func TestSAMLDecrypterProbe(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mixed := &mixedKeyTestWrapper{PrivateKey: k, pub: &other.PublicKey}
	_, err = samlDecrypter("provider.login.saml.encryptionKey", mixed, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "provider.login.saml.encryptionKey: the key cannot decrypt rsa-oaep-mgf1p") ||
		!strings.Contains(err.Error(), "rsa-oaep (SHA-256") {
		t.Fatalf("%v", err)
	}
	var warned []string
	warn := func(m string) { warned = append(warned, m) }
	if d, err := samlDecrypter("provider.login.saml.encryptionKey", k, warn); err != nil || d != any(k) || warned != nil {
		t.Fatalf("an RSA key: %v, warnings %q", err, warned)
	}
	// A token that refuses SHA-1 in OAEP (a FIPS mode) still decrypts
	// the SHA-256 transport: kept, with a warning naming the other.
	if d, err := samlDecrypter("provider.login.saml.encryptionKey", noSHA1TestWrapper{k}, warn); err != nil || d == nil ||
		len(warned) != 1 || !strings.Contains(warned[0], "rsa-oaep-mgf1p") {
		t.Fatalf("a key without SHA-1: %v, warnings %q", err, warned)
	}
}

// noSHA1TestWrapper is a test wrapper: an RSA key that refuses RSA-OAEP
// with SHA-1, as a token in a FIPS mode may.
type noSHA1TestWrapper struct{ k *rsa.PrivateKey }

func (w noSHA1TestWrapper) Public() crypto.PublicKey { return w.k.Public() }

func (w noSHA1TestWrapper) Decrypt(r io.Reader, ct []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	if o, ok := opts.(*rsa.OAEPOptions); ok && o.Hash == crypto.SHA1 {
		return nil, errors.New("CKR_MECHANISM_PARAM_INVALID")
	}
	return w.k.Decrypt(r, ct, opts)
}

// mixedKeyTestWrapper is a test wrapper: an RSA private key that reports
// another key's public key.
type mixedKeyTestWrapper struct {
	*rsa.PrivateKey
	pub *rsa.PublicKey
}

func (m *mixedKeyTestWrapper) Public() crypto.PublicKey { return m.pub }

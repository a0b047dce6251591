package main

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/xmlenc"
)

func runPKICLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, append([]string{"pki"}, args...))
	return code, out.String() + errOut.String()
}

func TestPKICommand(t *testing.T) {
	for _, profile := range []string{"rsa", "eddsa"} {
		t.Run(profile, func(t *testing.T) {
			dir := t.TempDir()
			if code, out := runPKICLI(t, "ca", "-profile", profile, "-out", dir); code != 0 {
				t.Fatalf("ca: %d %s", code, out)
			}
			if code, out := runPKICLI(t, "issue", "-profile", profile, "-ca", dir, "-name", "AP_FR_01", "-out", filepath.Join(dir, "fr")); code != 0 {
				t.Fatalf("issue: %d %s", code, out)
			}
			store, err := trust.LoadFiles(filepath.Join(dir, "ca.cert.pem"))
			if err != nil {
				t.Fatal(err)
			}
			party, err := pki.LoadParty(filepath.Join(dir, "fr"), "AP_FR_01")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Verify(party.Sign.Cert, trust.Signing, time.Now()); err != nil {
				t.Fatal(err)
			}
			encKey, err := xmlenc.CertificateKey(party.Encrypt.Cert)
			if err != nil {
				t.Fatal(err)
			}
			switch profile {
			case "rsa":
				if _, ok := party.Sign.Key.(*rsa.PrivateKey); !ok {
					t.Fatalf("sign key %T", party.Sign.Key)
				}
				if _, ok := encKey.(*rsa.PublicKey); !ok {
					t.Fatalf("enc key %T", encKey)
				}
			case "eddsa":
				if _, ok := party.Sign.Key.(ed25519.PrivateKey); !ok {
					t.Fatalf("sign key %T", party.Sign.Key)
				}
				if _, ok := encKey.(*ecdh.PublicKey); !ok {
					t.Fatalf("enc key %T", encKey)
				}
				if _, err := store.Verify(party.Encrypt.Cert, trust.KeyAgreement, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// Revocation: a CRL from the CLI makes the store refuse the certificate.
	dir := t.TempDir()
	runPKICLI(t, "ca", "-profile", "eddsa", "-out", dir)
	runPKICLI(t, "issue", "-profile", "eddsa", "-ca", dir, "-name", "AP_X", "-out", dir)
	crl := filepath.Join(dir, "crl.pem")
	if code, out := runPKICLI(t, "crl", "-ca", dir, "-out", crl, filepath.Join(dir, "AP_X.sign.cert.pem")); code != 0 {
		t.Fatalf("crl: %d %s", code, out)
	}
	store, err := trust.LoadFiles(filepath.Join(dir, "ca.cert.pem"), crl)
	if err != nil {
		t.Fatal(err)
	}
	party, _ := pki.LoadParty(dir, "AP_X")
	if _, err := store.Verify(party.Sign.Cert, trust.Signing, time.Now()); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("revoked by the CLI's CRL: %v", err)
	}
	if code, _ := runPKICLI(t, "issue", "-profile", "dsa", "-ca", "x", "-name", "y", "-out", t.TempDir()); code != 2 {
		t.Fatalf("bad profile: exit %d", code)
	}
	if code, _ := runPKICLI(t, "issue", "-profile", "rsa", "-ca", t.TempDir(), "-name", "y", "-out", t.TempDir()); code != 2 {
		t.Fatalf("missing CA: exit %d", code)
	}
}

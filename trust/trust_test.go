package trust_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/trust"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mk(tb testing.TB, cn string, parent *x509.Certificate, parentKey crypto.Signer, ca bool, usage x509.KeyUsage) (*x509.Certificate, crypto.Signer) {
	tb.Helper()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0, NotAfter: t0.Add(365 * 24 * time.Hour), KeyUsage: usage,
		BasicConstraintsValid: true, IsCA: ca,
	}
	if parent == nil {
		parent, parentKey = tpl, k
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, k.Public(), parentKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, k
}

func TestVerify(t *testing.T) {
	root, rk := mk(t, "root", nil, nil, true, x509.KeyUsageCertSign)
	inter, ik := mk(t, "intermediate", root, rk, true, x509.KeyUsageCertSign)
	leaf, _ := mk(t, "AP_FR_01", inter, ik, false, x509.KeyUsageDigitalSignature)
	encLeaf, _ := mk(t, "AP_FR_01 enc", inter, ik, false, x509.KeyUsageKeyAgreement)
	at := t0.Add(time.Hour)

	s := trust.NewStore(root)
	if _, err := s.Verify(leaf, trust.Signing, at); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("without the intermediate: %v", err)
	}
	chain, err := s.Verify(leaf, trust.Signing, at, inter)
	if err != nil || len(chain) != 3 {
		t.Fatalf("with the intermediate from the message: %v (%d)", err, len(chain))
	}
	s.AddIntermediate(inter)
	if _, err := s.Verify(leaf, trust.Signing, at); err != nil {
		t.Fatalf("with the intermediate in the store: %v", err)
	}
	if _, err := s.Verify(leaf, trust.Signing, t0.Add(400*24*time.Hour)); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := s.Verify(leaf, trust.KeyAgreement, at); !errors.Is(err, trust.ErrKeyUsage) {
		t.Fatalf("signing cert for key agreement: %v", err)
	}
	if _, err := s.Verify(encLeaf, trust.Signing, at); !errors.Is(err, trust.ErrKeyUsage) {
		t.Fatalf("key agreement cert for signing: %v", err)
	}
	// A directly trusted peer certificate (no chain).
	peer, _ := mk(t, "peer", nil, nil, false, x509.KeyUsageDigitalSignature)
	if _, err := trust.NewStore(peer).Verify(peer, trust.Signing, at); err != nil {
		t.Fatalf("pinned peer: %v", err)
	}
	if _, err := trust.NewStore(root).Verify(peer, trust.Signing, at); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("unknown self-signed peer: %v", err)
	}
}

func TestLoadFiles(t *testing.T) {
	root, _ := mk(t, "root", nil, nil, true, x509.KeyUsageCertSign)
	dir := t.TempDir()
	bundle := append([]byte("# comment\n"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})...)
	bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw})...)
	p := filepath.Join(dir, "bundle.pem")
	os.WriteFile(p, bundle, 0o600)
	s, err := trust.LoadFiles(p)
	if err != nil || len(s.Anchors()) != 1 {
		t.Fatalf("LoadFiles: %v", err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), 0o600)
	if _, err := trust.LoadFiles(empty); !errors.Is(err, trust.ErrNoCertificates) {
		t.Fatalf("no certificates: %v", err)
	}
}

// FuzzParsePEM: PEM bundles of any shape never panic the loader.
func FuzzParsePEM(f *testing.F) {
	root, _ := mk(f, "root", nil, nil, true, x509.KeyUsageCertSign)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		certs, err := trust.ParsePEM(b)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
	})
}

func TestCRL(t *testing.T) {
	root, rk := mk(t, "root", nil, nil, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign)
	leaf, _ := mk(t, "AP_FR_01", root, rk, false, x509.KeyUsageDigitalSignature)
	other, _ := mk(t, "AP_DE_01", root, rk, false, x509.KeyUsageDigitalSignature)
	at := t0.Add(time.Hour)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: t0, NextUpdate: t0.Add(24 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: leaf.SerialNumber, RevocationTime: t0}},
	}, root, rk)
	if err != nil {
		t.Fatal(err)
	}
	s := trust.NewStore(root)
	if err := s.AddCRL(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl})); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(leaf, trust.Signing, at); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("revoked leaf: %v", err)
	}
	if _, err := s.Verify(other, trust.Signing, at); err != nil {
		t.Fatalf("not revoked: %v", err)
	}
	// A CRL signed by someone else for the same issuer name is refused.
	fake, fk := mk(t, "root", nil, nil, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign)
	forged, _ := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(2), ThisUpdate: t0, NextUpdate: t0.Add(24 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: other.SerialNumber, RevocationTime: t0}},
	}, fake, fk)
	s2 := trust.NewStore(root)
	if err := s2.AddCRL(forged); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Verify(other, trust.Signing, at); err == nil || errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("forged CRL: %v", err)
	}
	if err := s.AddCRL([]byte("junk")); err == nil {
		t.Fatal("junk CRL accepted")
	}
}

// mkValid is mk with the validity period given.
func mkValid(tb testing.TB, cn string, parent *x509.Certificate, parentKey crypto.Signer, ca bool, usage x509.KeyUsage, from, to time.Time) (*x509.Certificate, crypto.Signer) {
	tb.Helper()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: from, NotAfter: to, KeyUsage: usage, BasicConstraintsValid: true, IsCA: ca,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, k.Public(), parentKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, k
}

// TestVerifyRememberedChainExpires: a chain validated once is remembered,
// but not beyond the validity of any of its certificates: an intermediate
// that expires while the leaf is still valid makes the leaf refused.
func TestVerifyRememberedChainExpires(t *testing.T) {
	root, rk := mk(t, "root", nil, nil, true, x509.KeyUsageCertSign)
	inter, ik := mkValid(t, "intermediate", root, rk, true, x509.KeyUsageCertSign, t0, t0.Add(10*24*time.Hour))
	leaf, _ := mk(t, "AP_FR_01", inter, ik, false, x509.KeyUsageDigitalSignature)
	s := trust.NewStore(root)
	for _, at := range []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		if chain, err := s.Verify(leaf, trust.Signing, at, inter); err != nil || len(chain) != 3 {
			t.Fatalf("at %s: %v (%d)", at, err, len(chain))
		}
	}
	if _, err := s.Verify(leaf, trust.Signing, t0.Add(20*24*time.Hour), inter); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("after the intermediate expired: %v", err)
	}
	// The intermediate not yet valid: likewise.
	late, lk := mkValid(t, "late intermediate", root, rk, true, x509.KeyUsageCertSign, t0.Add(24*time.Hour), t0.Add(300*24*time.Hour))
	leaf2, _ := mk(t, "AP_DE_01", late, lk, false, x509.KeyUsageDigitalSignature)
	if _, err := s.Verify(leaf2, trust.Signing, t0.Add(48*time.Hour), late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(leaf2, trust.Signing, t0.Add(time.Hour), late); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("before the intermediate is valid: %v", err)
	}
}

// TestVerifyRememberedChainAndStoreChanges: a change of the store (a CRL
// added, an intermediate that only a new store lacks) applies to the chains
// validated before it; another store does not share them.
func TestVerifyRememberedChainAndStoreChanges(t *testing.T) {
	root, rk := mk(t, "root", nil, nil, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign)
	leaf, _ := mk(t, "AP_FR_01", root, rk, false, x509.KeyUsageDigitalSignature)
	at := t0.Add(time.Hour)
	s := trust.NewStore(root)
	if _, err := s.Verify(leaf, trust.Signing, at); err != nil {
		t.Fatal(err)
	}
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: t0, NextUpdate: t0.Add(24 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: leaf.SerialNumber, RevocationTime: t0}},
	}, root, rk)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddCRL(crl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(leaf, trust.Signing, at); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("revoked after it was validated: %v", err)
	}

	// A reload is a new store: without the root, the leaf is refused.
	other, _ := mk(t, "other root", nil, nil, true, x509.KeyUsageCertSign)
	before := trust.NewStore(root)
	if _, err := before.Verify(leaf, trust.Signing, at); err != nil {
		t.Fatal(err)
	}
	if _, err := trust.NewStore(other).Verify(leaf, trust.Signing, at); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("store without the root: %v", err)
	}
}

// BenchmarkVerify: validating the same peer certificate again, as for
// every message of a partner.
func BenchmarkVerify(b *testing.B) {
	root, rk := mk(b, "root", nil, nil, true, x509.KeyUsageCertSign)
	inter, ik := mk(b, "intermediate", root, rk, true, x509.KeyUsageCertSign)
	leaf, _ := mk(b, "AP_FR_01", inter, ik, false, x509.KeyUsageDigitalSignature)
	s := trust.NewStore(root)
	s.AddIntermediate(inter)
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(leaf, trust.Signing, at); err != nil {
			b.Fatal(err)
		}
	}
}

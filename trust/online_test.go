package trust_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/oots-go/oots/internal/openssltest"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// syncBuffer is a log sink the checker and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newCA(tb testing.TB) *pki.Credential {
	tb.Helper()
	ca, err := pki.NewCA("Revocation test CA", wssec.AS4v115, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ca
}

func issue(tb testing.TB, ca *pki.Credential, name string, opt *pki.Options) *x509.Certificate {
	tb.Helper()
	p, err := pki.Issue(ca, name, wssec.AS4v115, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Sign.Cert
}

func caSigner(tb testing.TB, ca *pki.Credential) openssltest.Signer {
	tb.Helper()
	k, err := pki.KeyPEM(ca.Key)
	if err != nil {
		tb.Fatal(err)
	}
	return openssltest.Signer{Cert: ca.Cert, Key: k}
}

// TestOnlineOCSPRevokedWithinCacheLifetime: a certificate revoked at
// OpenSSL's OCSP responder is refused once the cached good answer has
// expired, and not before.
func TestOnlineOCSPRevokedWithinCacheLifetime(t *testing.T) {
	ca := newCA(t)
	r := openssltest.StartOCSP(t, ca.Cert, caSigner(t, ca), time.Hour)
	leaf := issue(t, ca, "AP_DE_01", &pki.Options{OCSPServer: []string{r.URL}})
	r.Good(leaf)

	// Long enough for the first lookup and the revocation (two requests to
	// openssl ocsp) on a loaded machine.
	const lifetime = 5 * time.Second
	var log syncBuffer
	on := &trust.Online{Policy: trust.RevocationRequire, MaxCacheAge: lifetime, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	s := trust.NewStore(ca.Cert)
	s.SetOnline(on)

	checked := time.Now()
	if _, err := s.Verify(leaf, trust.Signing, time.Now()); err != nil {
		t.Fatalf("good at the responder: %v", err)
	}
	fetched := time.Now() // the good answer was cached between checked and now
	r.Revoke(leaf, time.Now())
	if _, err := s.Verify(leaf, trust.Signing, time.Now()); err != nil || time.Since(checked) >= lifetime {
		t.Fatalf("within the cache lifetime the cached good answer holds: %v (after %v)", err, time.Since(checked))
	}
	time.Sleep(lifetime - time.Since(fetched) + 50*time.Millisecond)
	_, err := s.Verify(leaf, trust.Signing, time.Now())
	if !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("after the cache lifetime: %v, want ErrRevoked", err)
	}
	if !strings.Contains(err.Error(), "by ocsp") {
		t.Errorf("the error does not name OCSP: %v", err)
	}
	c := on.Counts()
	if c[trust.Outcome{Source: trust.SourceOCSP, Result: trust.ResultGood, Policy: trust.RevocationRequire, Decision: trust.DecisionAccepted}] != 2 ||
		c[trust.Outcome{Source: trust.SourceOCSP, Result: trust.ResultRevoked, Policy: trust.RevocationRequire, Decision: trust.DecisionRefused}] != 1 {
		t.Errorf("counts: %v", c)
	}
	if !strings.Contains(log.String(), "certificate revoked") {
		t.Errorf("log: %s", log.String())
	}
}

// TestOnlineResponderDown: with the responder down the policy of the
// anchor decides, and the log and the counts say which.
func TestOnlineResponderDown(t *testing.T) {
	ca := newCA(t)
	r := openssltest.StartOCSP(t, ca.Cert, caSigner(t, ca), 0)
	leaf := issue(t, ca, "AP_DE_01", &pki.Options{OCSPServer: []string{r.URL}})
	r.Good(leaf)
	r.Stop()

	for _, tc := range []struct {
		name     string
		online   *trust.Online
		want     error
		decision string
		policy   trust.RevocationPolicy
	}{
		{"prefer", &trust.Online{Policy: trust.RevocationPrefer}, nil, trust.DecisionAccepted, trust.RevocationPrefer},
		{"default is prefer", &trust.Online{}, nil, trust.DecisionAccepted, trust.RevocationPrefer},
		{"require", &trust.Online{Policy: trust.RevocationRequire}, trust.ErrRevocationUnknown, trust.DecisionRefused, trust.RevocationRequire},
		{"require by anchor", &trust.Online{Policy: trust.RevocationPrefer,
			AnchorPolicies: map[string]trust.RevocationPolicy{trust.Fingerprint(ca.Cert): trust.RevocationRequire}},
			trust.ErrRevocationUnknown, trust.DecisionRefused, trust.RevocationRequire},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log syncBuffer
			on := tc.online
			on.Logger = slog.New(slog.NewTextHandler(&log, nil))
			s := trust.NewStore(ca.Cert)
			s.SetOnline(on)
			_, err := s.Verify(leaf, trust.Signing, time.Now())
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
			oc := trust.Outcome{Source: trust.SourceNone, Result: trust.ResultUnknown, Policy: tc.policy, Decision: tc.decision}
			if n := on.Counts()[oc]; n != 1 {
				t.Errorf("count of %+v = %d; counts %v", oc, n, on.Counts())
			}
			if !strings.Contains(log.String(), "policy "+string(tc.policy)) || !strings.Contains(log.String(), "decision="+tc.decision) {
				t.Errorf("log does not say the policy decided: %s", log.String())
			}
		})
	}

	t.Run("off", func(t *testing.T) {
		on := &trust.Online{AnchorPolicies: map[string]trust.RevocationPolicy{trust.Fingerprint(ca.Cert): trust.RevocationOff}, Policy: trust.RevocationRequire}
		s := trust.NewStore(ca.Cert)
		s.SetOnline(on)
		if _, err := s.Verify(leaf, trust.Signing, time.Now()); err != nil {
			t.Fatalf("policy off: %v", err)
		}
		if len(on.Counts()) != 0 {
			t.Errorf("policy off asked: %v", on.Counts())
		}
	})
}

// TestOnlineDelegatedResponder: OpenSSL answers with a responder
// certificate the CA issued for OCSP signing.
func TestOnlineDelegatedResponder(t *testing.T) {
	ca := newCA(t)
	resp, respKey := responderCert(t, ca, true)
	k, err := pki.KeyPEM(respKey)
	if err != nil {
		t.Fatal(err)
	}
	r := openssltest.StartOCSP(t, ca.Cert, openssltest.Signer{Cert: resp, Key: k}, time.Hour)
	leaf := issue(t, ca, "AP_DE_01", &pki.Options{OCSPServer: []string{r.URL}})
	r.Revoke(leaf, time.Now().Add(-time.Minute))
	s := trust.NewStore(ca.Cert)
	s.SetOnline(&trust.Online{Policy: trust.RevocationRequire})
	if _, err := s.Verify(leaf, trust.Signing, time.Now()); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("revoked, answered by a delegated responder: %v", err)
	}
}

func responderCert(tb testing.TB, ca *pki.Credential, ocspSigning bool) (*x509.Certificate, *rsa.PrivateKey) {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "OCSP responder"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if ocspSigning {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, k.Public(), ca.Key.(crypto.Signer))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c, k
}

// TestParseOCSPChecks: the checks ParseOCSP adds to x/crypto/ocsp, each
// on a response made for the case (in-process, by ocsp.CreateResponse).
func TestParseOCSPChecks(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	leaf := issue(t, ca, "AP_DE_01", nil)
	now := time.Now()
	good := ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	mkResp := func(tpl ocsp.Response, signer *x509.Certificate, key crypto.Signer) []byte {
		t.Helper()
		if signer != ca.Cert {
			tpl.Certificate = signer
		}
		der, err := ocsp.CreateResponse(ca.Cert, signer, tpl, key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	caKey := ca.Key.(crypto.Signer)
	noEKU, noEKUKey := responderCert(t, ca, false)
	withEKU, withEKUKey := responderCert(t, ca, true)
	stale := good
	stale.ThisUpdate, stale.NextUpdate = now.Add(-2*time.Hour), now.Add(-time.Hour)
	future := good
	future.ThisUpdate = now.Add(time.Hour)

	for _, tc := range []struct {
		name string
		der  []byte
		ok   bool
	}{
		{"signed by the issuer", mkResp(good, ca.Cert, caKey), true},
		{"delegated with OCSP signing", mkResp(good, withEKU, withEKUKey), true},
		{"delegated without OCSP signing", mkResp(good, noEKU, noEKUKey), false},
		{"signed by another CA", mkResp(good, other.Cert, other.Key.(crypto.Signer)), false},
		{"nextUpdate past", mkResp(stale, ca.Cert, caKey), false},
		{"thisUpdate in the future", mkResp(future, ca.Cert, caKey), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trust.ParseOCSP(tc.der, leaf, ca.Cert, now)
			if tc.ok != (err == nil) {
				t.Fatalf("ParseOCSP: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestOnlineCRLDistributionPoint: a CRL served over HTTP, fetched once,
// cached, verified against the issuer, bounded in size.
func TestOnlineCRLDistributionPoint(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	var mu sync.Mutex
	var body []byte
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		defer mu.Unlock()
		w.Write(body)
	}))
	defer srv.Close()
	serve := func(b []byte) {
		mu.Lock()
		body = b
		mu.Unlock()
	}
	opt := &pki.Options{CRLDistributionPoints: []string{srv.URL + "/ca.crl"}}
	revoked := issue(t, ca, "AP_XX_01", opt)
	fine := issue(t, ca, "AP_DE_01", opt)
	crl, err := pki.CRL(ca, []*x509.Certificate{revoked}, 1, &pki.Options{Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	serve(crl)

	on := &trust.Online{Policy: trust.RevocationRequire}
	s := trust.NewStore(ca.Cert)
	s.SetOnline(on)
	if _, err := s.Verify(fine, trust.Signing, time.Now()); err != nil {
		t.Fatalf("not on the CRL: %v", err)
	}
	if _, err := s.Verify(revoked, trust.Signing, time.Now()); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("on the CRL: %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the CRL was fetched %d times, want once (cached)", n)
	}
	if n := on.Counts()[trust.Outcome{Source: trust.SourceCRL, Result: trust.ResultRevoked, Policy: trust.RevocationRequire, Decision: trust.DecisionRefused}]; n != 1 {
		t.Errorf("counts: %v", on.Counts())
	}

	forged, err := pki.CRL(other, nil, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body []byte
		on   *trust.Online
	}{
		{"signed by another CA", forged, &trust.Online{Policy: trust.RevocationRequire}},
		{"larger than MaxCRLSize", crl, &trust.Online{Policy: trust.RevocationRequire, MaxCRLSize: 100}},
		{"not a CRL", []byte("<html>maintenance</html>"), &trust.Online{Policy: trust.RevocationRequire}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serve(tc.body)
			s := trust.NewStore(ca.Cert)
			s.SetOnline(tc.on)
			if _, err := s.Verify(revoked, trust.Signing, time.Now()); !errors.Is(err, trust.ErrRevocationUnknown) {
				t.Fatalf("Verify: %v, want ErrRevocationUnknown", err)
			}
		})
	}
}

func FuzzParseOCSP(f *testing.F) {
	ca := newCA(f)
	leaf := issue(f, ca, "AP_DE_01", nil)
	now := time.Now()
	der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, ocsp.Response{Status: ocsp.Revoked, SerialNumber: leaf.SerialNumber,
		ThisUpdate: now, NextUpdate: now.Add(time.Hour), RevokedAt: now}, ca.Key.(crypto.Signer))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := trust.ParseOCSP(b, leaf, ca.Cert, now)
		if err == nil && r.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			t.Fatalf("accepted an answer about serial %s", r.SerialNumber)
		}
	})
}

func FuzzParseCRL(f *testing.F) {
	ca := newCA(f)
	leaf := issue(f, ca, "AP_DE_01", nil)
	crl, err := pki.CRL(ca, []*x509.Certificate{leaf}, 1, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(crl)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = trust.ParseCRL(b, ca.Cert, time.Now())
	})
}

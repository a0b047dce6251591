package jades_test

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/trust"
)

// The answers captured from the Commission's acceptance Common Services.
var captures = []string{"eb_requirements_fr", "eb_evidence_types_fr", "eb_requirements_catalogue", "dsd_data_services_fi"}

// captureRootSHA256 pins the root certificate the captures' x5c ends with
// ("European Commission Root CA - 2 test"): the test trusts it only because
// its fingerprint is this one, not because the signer sent it.
const captureRootSHA256 = "e7bd73a08dfb38f55a1c51fe9818cc815896c084b392b44648bff81f21445bbe"

// captureIat is the iat of the captured signatures (2026-07-29T09:01:50Z).
var captureIat = time.Unix(1785315710, 0).UTC()

func loadCapture(tb testing.TB, name string) (http.Header, []byte) {
	tb.Helper()
	dir := testenv.Spec(tb, "edm-2.0-oots-france/common_services")
	body, err := os.ReadFile(filepath.Join(dir, name+".xml"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, name+".headers"))
	if err != nil {
		tb.Fatal(err)
	}
	return parseHeaders(tb, raw), body
}

// parseHeaders reads "name: value" lines as an HTTP client would receive them.
func parseHeaders(tb testing.TB, raw []byte) http.Header {
	tb.Helper()
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			tb.Fatalf("bad header line %q", sc.Text())
		}
		h.Add(name, strings.TrimSpace(value))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return h
}

// captureTrust returns a store whose one anchor is the captured chain's root,
// after checking the root against the pinned fingerprint.
func captureTrust(tb testing.TB, h http.Header) *trust.Store {
	tb.Helper()
	protected, _, _ := strings.Cut(h.Get(jades.HeaderSignature), ".")
	js, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		tb.Fatal(err)
	}
	var ph struct{ X5c []string }
	if err := json.Unmarshal(js, &ph); err != nil {
		tb.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(ph.X5c[len(ph.X5c)-1])
	if err != nil {
		tb.Fatal(err)
	}
	if sum := sha256.Sum256(der); hex.EncodeToString(sum[:]) != captureRootSHA256 {
		tb.Fatalf("captured root has SHA-256 %x, want %s", sum, captureRootSHA256)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return trust.NewStore(root)
}

func TestVerifyCaptures(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			h, body := loadCapture(t, name)
			v, err := jades.Verify(h, body, jades.VerifyOptions{Trust: captureTrust(t, h), Now: captureIat})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.Body, body) {
				t.Error("Verified.Body is not the verified body")
			}
			if len(v.Chain) != 3 {
				t.Fatalf("chain has %d certificates, want leaf, CommisSign - 2 test, root", len(v.Chain))
			}
			if cn := v.Chain[0].Subject.CommonName; cn != "EC-OOTS-CS-ACC" {
				t.Errorf("signer %q, want EC-OOTS-CS-ACC", cn)
			}
			if cn := v.Chain[2].Subject.CommonName; cn != "European Commission Root CA - 2 test" {
				t.Errorf("anchor %q", cn)
			}
			if !v.SignedAt.Equal(captureIat) {
				t.Errorf("SignedAt %s, want %s", v.SignedAt, captureIat)
			}
			if fmt.Sprint(v.SignedHeaders) != "[digest]" {
				t.Errorf("SignedHeaders %v", v.SignedHeaders)
			}
		})
	}
}

// The captured signing certificate expires on 2027-10-23: verification at
// the current time succeeds before then and fails, for expiry, after.
func TestVerifyCaptureValidityPeriod(t *testing.T) {
	h, body := loadCapture(t, "eb_requirements_fr")
	store := captureTrust(t, h)
	v, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store, Now: captureIat})
	if err != nil {
		t.Fatal(err)
	}
	notAfter := v.Chain[0].NotAfter

	now := time.Now()
	_, err = jades.Verify(h, body, jades.VerifyOptions{Trust: store}) // Now zero: time.Now()
	if now.Before(notAfter) && err != nil {
		t.Errorf("at the current time %s (certificate valid until %s): %v", now.UTC(), notAfter, err)
	}
	if now.After(notAfter) && !errors.Is(err, trust.ErrExpired) {
		t.Errorf("at the current time %s, after expiry on %s: got %v, want trust.ErrExpired", now.UTC(), notAfter, err)
	}

	for _, at := range []time.Time{notAfter.Add(time.Second), v.Chain[0].NotBefore.Add(-time.Second)} {
		_, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store, Now: at})
		if !errors.Is(err, jades.ErrUntrustedChain) || !errors.Is(err, trust.ErrExpired) {
			t.Errorf("at %s: got %v, want ErrUntrustedChain wrapping trust.ErrExpired", at, err)
		}
	}
}

// Every byte of the signed header (digest) and of the JWS itself, changed,
// makes verification fail.
func TestVerifyCaptureRejectsChangedHeaders(t *testing.T) {
	const b64std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i, name := range captures {
		h, body := loadCapture(t, name)
		opts := jades.VerifyOptions{Trust: captureTrust(t, h), Now: captureIat}
		headers := []struct{ name, alphabet string }{{jades.HeaderDigest, b64std}}
		if i == 0 { // the JWS is the same size for all; check every byte of one
			headers = append(headers, struct{ name, alphabet string }{jades.HeaderSignature, b64url})
		}
		for _, hd := range headers {
			orig := h.Get(hd.name)
			step := 1
			if testing.Short() && hd.name == jades.HeaderSignature {
				step = 7 // -short (e.g. under -race): a sample of the 8 KB JWS
			}
			for pos := 0; pos < len(orig); pos += step {
				changed := []byte(orig)
				changed[pos] = mutate(changed[pos], hd.alphabet)
				h2 := h.Clone()
				h2.Set(hd.name, string(changed))
				_, err := jades.Verify(h2, body, opts)
				var je *jades.Error
				if !errors.As(err, &je) {
					t.Fatalf("%s: %s byte %d %q→%q: got %v, want a *jades.Error", name, hd.name, pos, orig[pos], changed[pos], err)
				}
				if errors.Is(err, jades.ErrDigestMismatch) {
					t.Fatalf("%s: %s byte %d: the header change was caught only by the body digest: %v", name, hd.name, pos, err)
				}
			}
		}
	}
}

// mutate replaces c with another character of the same alphabet (so that
// decoding still succeeds and the signature itself must catch the change),
// or flips a bit of a character outside it.
func mutate(c byte, alphabet string) byte {
	if i := strings.IndexByte(alphabet, c); i >= 0 {
		return alphabet[(i+1)%len(alphabet)]
	}
	return c ^ 0x01
}

func TestVerifyCaptureRejectsChangedBody(t *testing.T) {
	for _, name := range captures {
		h, body := loadCapture(t, name)
		opts := jades.VerifyOptions{Trust: captureTrust(t, h), Now: captureIat}
		step := len(body)/97 + 1
		positions := []int{0, len(body) - 1}
		for p := step / 2; p < len(body); p += step {
			positions = append(positions, p)
		}
		for _, pos := range positions {
			changed := bytes.Clone(body)
			changed[pos] ^= 0x01
			if _, err := jades.Verify(h, changed, opts); !errors.Is(err, jades.ErrDigestMismatch) {
				t.Fatalf("%s: body byte %d changed: got %v, want ErrDigestMismatch", name, pos, err)
			}
		}
		for what, b := range map[string][]byte{"truncated": body[:len(body)-1], "extended": append(bytes.Clone(body), '\n'), "empty": nil} {
			if _, err := jades.Verify(h, b, opts); !errors.Is(err, jades.ErrDigestMismatch) {
				t.Errorf("%s: body %s: got %v, want ErrDigestMismatch", name, what, err)
			}
		}
	}
}

func TestVerifyCaptureUntrusted(t *testing.T) {
	h, body := loadCapture(t, "eb_requirements_fr")
	other, _, _ := newChain(t, "Other Root")
	for what, store := range map[string]*trust.Store{
		"empty store":  trust.NewStore(),
		"another root": trust.NewStore(other[len(other)-1]),
	} {
		_, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store, Now: captureIat})
		if !errors.Is(err, jades.ErrUntrustedChain) || !errors.Is(err, trust.ErrUntrusted) {
			t.Errorf("%s: got %v, want ErrUntrustedChain wrapping trust.ErrUntrusted", what, err)
		}
	}
	if _, err := jades.Verify(h, body, jades.VerifyOptions{Now: captureIat}); err == nil || !strings.Contains(err.Error(), "VerifyOptions.Trust") {
		t.Errorf("without a trust store: got %v, want a configuration error naming VerifyOptions.Trust", err)
	}
}

// The kid and x5t#o that Sign writes are those the Commission's service
// writes for the same certificate.
func TestSignReferencesMatchCapture(t *testing.T) {
	h, _ := loadCapture(t, "eb_requirements_fr")
	captured := protectedOf(t, h)
	v, err := jades.Verify(h, mustBody(t, "eb_requirements_fr"), jades.VerifyOptions{Trust: captureTrust(t, h), Now: captureIat})
	if err != nil {
		t.Fatal(err)
	}
	// Sign with a fresh key but the captured certificate's identity fields:
	// kid and x5t#o depend only on the certificate.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fake := *v.Chain[0]
	fake.PublicKey = key.Public()
	ours := http.Header{}
	if err := jades.Sign(ours, []byte("x"), key, []*x509.Certificate{&fake}, captureIat); err != nil {
		t.Fatal(err)
	}
	mine := protectedOf(t, ours)
	for _, k := range []string{"alg", "kid", "x5t#o", "typ", "b64", "iat", "sigD", "crit"} {
		if string(mine[k]) != string(captured[k]) {
			t.Errorf("%s: ours %s, captured %s", k, mine[k], captured[k])
		}
	}
	var order []string
	for k := range mine {
		order = append(order, k)
	}
	sort.Strings(order)
	if fmt.Sprint(order) != "[alg b64 crit iat kid sigD typ x5c x5t#o]" {
		t.Errorf("protected header members %v", order)
	}
}

func mustBody(tb testing.TB, name string) []byte {
	tb.Helper()
	_, body := loadCapture(tb, name)
	return body
}

func protectedOf(tb testing.TB, h http.Header) map[string]json.RawMessage {
	tb.Helper()
	protected, _, _ := strings.Cut(h.Get(jades.HeaderSignature), ".")
	js, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(js, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// newChain makes a test PKI: a root, an intermediate and an ECDSA P-256
// signing certificate valid for a year from now. It returns the chain leaf
// first (root included, as the Commission's service sends it), and the key.
func newChain(tb testing.TB, rootName string) ([]*x509.Certificate, *ecdsa.PrivateKey, *trust.Store) {
	tb.Helper()
	now := time.Now()
	mk := func(cn string, serial int64, ca bool, pub crypto.PublicKey, parent *x509.Certificate, signer crypto.Signer) *x509.Certificate {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn, Organization: []string{"oots test"}},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(365 * 24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		}
		if ca {
			tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := mk(rootName, 1, true, rootKey.Public(), nil, rootKey)
	inter := mk("oots test signing CA", 2, true, interKey.Public(), root, rootKey)
	leaf := mk("oots test Common Services", 254974, false, leafKey.Public(), inter, interKey)
	return []*x509.Certificate{leaf, inter, root}, leafKey, trust.NewStore(root)
}

// A signed answer served over HTTP verifies on the client side.
func TestSignVerifyOverHTTP(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := mustBody(t, "eb_requirements_fr")
	signedAt := time.Now().Truncate(time.Second)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ebrs+xml")
		if err := jades.Sign(w.Header(), body, key, chain, signedAt); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	v, err := jades.Verify(resp.Header, got, jades.VerifyOptions{Trust: store})
	if err != nil {
		t.Fatal(err)
	}
	if !v.SignedAt.Equal(signedAt) || !v.Chain[0].Equal(chain[0]) || !v.Chain[len(v.Chain)-1].Equal(chain[2]) {
		t.Errorf("verified %v signed at %s", v.Chain, v.SignedAt)
	}
	if _, err := jades.Verify(resp.Header, append(got, ' '), jades.VerifyOptions{Trust: store}); !errors.Is(err, jades.ErrDigestMismatch) {
		t.Errorf("changed body: %v", err)
	}
}

// A directly trusted signing certificate (no CA) is accepted; so is a chain
// without the root.
func TestSignVerifyTrustVariants(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := []byte("<x/>")
	for what, c := range map[string]struct {
		chain []*x509.Certificate
		store *trust.Store
	}{
		"leaf pinned":  {chain[:1], trust.NewStore(chain[0])},
		"without root": {chain[:2], store},
	} {
		h := http.Header{}
		if err := jades.Sign(h, body, key, c.chain, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := jades.Verify(h, body, jades.VerifyOptions{Trust: c.store}); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	// The root the signer sends is not trusted because it is sent.
	h := http.Header{}
	if err := jades.Sign(h, body, key, chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := jades.Verify(h, body, jades.VerifyOptions{Trust: trust.NewStore()}); !errors.Is(err, jades.ErrUntrustedChain) {
		t.Errorf("self-sent root: got %v, want ErrUntrustedChain", err)
	}
}

func TestSignErrors(t *testing.T) {
	chain, key, _ := newChain(t, "oots test root")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, c := range []struct {
		name  string
		key   crypto.Signer
		chain []*x509.Certificate
		want  error
	}{
		{"RSA key", rsaKey, chain, jades.ErrUnsupportedAlgorithm},
		{"P-384 key", p384, chain, jades.ErrUnsupportedAlgorithm},
		{"no chain", key, nil, jades.ErrMalformed},
		{"key not of the certificate", other, chain, jades.ErrMalformed},
	} {
		h := http.Header{}
		if err := jades.Sign(h, nil, c.key, c.chain, time.Now()); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if len(h) != 0 {
			t.Errorf("%s: headers set despite the error: %v", c.name, h)
		}
	}
}

// Python's cryptography (OpenSSL) verifies what Sign produces, and agrees
// with us on the captures.
func TestSignVerifiedByPythonCryptography(t *testing.T) {
	py := testenv.Python(t, "cryptography")
	script, err := filepath.Abs(filepath.Join("testdata", "verify_es256.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(h http.Header, body []byte) (string, error) {
		var lines bytes.Buffer
		for _, k := range []string{jades.HeaderDigest, jades.HeaderSignature} {
			fmt.Fprintf(&lines, "%s: %s\n", k, h.Get(k))
		}
		hp, bp := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
		if err := os.WriteFile(hp, lines.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bp, body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, script, hp, bp).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}

	chain, key, _ := newChain(t, "oots test root")
	body := mustBody(t, "eb_evidence_types_fr")
	for i := 0; i < 3; i++ { // several signatures: r and s of varying length
		h := http.Header{}
		if err := jades.Sign(h, body, key, chain, time.Now()); err != nil {
			t.Fatal(err)
		}
		if out, err := run(h, body); err != nil || out != "OK" {
			t.Fatalf("python rejects our signature: %v: %s", err, out)
		}
		// The script can say no: the same signature with its end changed.
		h2 := h.Clone()
		sig := h.Get(jades.HeaderSignature)
		h2.Set(jades.HeaderSignature, sig[:len(sig)-4]+reverse(sig[len(sig)-4:]))
		if out, err := run(h2, body); err == nil || out == "OK" {
			t.Fatalf("python accepts a changed signature: %s", out)
		}
	}

	ch, cbody := loadCapture(t, "dsd_data_services_fi")
	if out, err := run(ch, cbody); err != nil || out != "OK" {
		t.Fatalf("python rejects the capture: %v: %s", err, out)
	}
	if out, err := run(ch, append(cbody, ' ')); err == nil || out == "OK" {
		t.Fatalf("python accepts a changed body: %s", out)
	}

	// JSON member names are exact in Python as in JOSE: a sigD whose mId
	// or pars is spelt in another case is no HttpHeaders sigD, for the
	// script as for Verify (encoding/json alone would match it).
	h := http.Header{}
	if err := jades.Sign(h, body, key, chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	protected, _, _ := strings.Cut(h.Get(jades.HeaderSignature), ".")
	js := string(mustDecode(t, protected))
	for _, variant := range []struct{ from, to string }{
		{`"mId"`, `"mid"`},
		{`"pars"`, `"PARS"`},
		{`"mId":"http://uri.etsi.org/19182/HttpHeaders"`, `"mId":"http://uri.etsi.org/19182/ObjectIdByURI","MID":"http://uri.etsi.org/19182/HttpHeaders"`},
	} {
		changed := strings.Replace(js, variant.from, variant.to, 1)
		if changed == js {
			t.Fatalf("%s is not in the protected header", variant.from)
		}
		h2 := resign(t, h, key, changed)
		if out, err := run(h2, body); err == nil || out == "OK" {
			t.Errorf("%s→%s: python accepts: %s", variant.from, variant.to, out)
		}
		if _, err := jades.Verify(h2, body, jades.VerifyOptions{Trust: trust.NewStore(chain[2])}); !errors.Is(err, jades.ErrMalformed) {
			t.Errorf("%s→%s: Verify: got %v, want ErrMalformed as python refuses", variant.from, variant.to, err)
		}
	}
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	if string(b) == s {
		b[0] ^= 1
	}
	return string(b)
}

// signedHeader signs body now with key and chain, and returns the headers
// and the members of the protected header, for a test to edit and resign.
func signedHeader(tb testing.TB, body []byte, key *ecdsa.PrivateKey, chain []*x509.Certificate) (http.Header, map[string]json.RawMessage) {
	tb.Helper()
	hs := http.Header{}
	if err := jades.Sign(hs, body, key, chain, time.Now()); err != nil {
		tb.Fatal(err)
	}
	protected, _, _ := strings.Cut(hs.Get(jades.HeaderSignature), ".")
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(mustDecode(tb, protected), &m); err != nil {
		tb.Fatal(err)
	}
	return hs, m
}

// resign replaces the protected header of a signed answer by protected and
// signs it again with key, so that a test reaches the check it is about and
// not the signature check.
func resign(tb testing.TB, h http.Header, key *ecdsa.PrivateKey, protected string) http.Header {
	tb.Helper()
	p := base64.RawURLEncoding.EncodeToString([]byte(protected))
	input := p + "." + jades.HeaderDigest + ": " + h.Get(jades.HeaderDigest)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	out := h.Clone()
	out.Set(jades.HeaderSignature, p+".."+base64.RawURLEncoding.EncodeToString(raw))
	return out
}

func TestVerifyProtectedHeaderChecks(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := []byte("<rs:RegistryResponse/>")
	h := http.Header{}
	if err := jades.Sign(h, body, key, chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	good := protectedOf(t, h)
	x5c := string(good["x5c"])
	// with builds a protected header from the good one: set replaces or adds
	// members (raw JSON), del removes them.
	with := func(set map[string]string, del ...string) string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = string(v)
		}
		for k, v := range set {
			m[k] = v
		}
		for _, k := range del {
			delete(m, k)
		}
		var parts []string
		for k, v := range m {
			kj, _ := json.Marshal(k)
			parts = append(parts, string(kj)+":"+v)
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	}
	// Another P-256 certificate, of another issuer and serial: the captured signer's.
	ch, cbody := loadCapture(t, "eb_requirements_fr")
	cv, err := jades.Verify(ch, cbody, jades.VerifyOptions{Trust: captureTrust(t, ch), Now: captureIat})
	if err != nil {
		t.Fatal(err)
	}
	otherX5c, _ := json.Marshal([]string{base64.StdEncoding.EncodeToString(cv.Chain[0].Raw)})

	for _, c := range []struct {
		name      string
		protected string
		want      error
	}{
		{"unchanged", with(nil), nil},
		{"alg none", with(map[string]string{"alg": `"none"`}), jades.ErrUnsupportedAlgorithm},
		{"alg HS256", with(map[string]string{"alg": `"HS256"`}), jades.ErrUnsupportedAlgorithm},
		{"alg absent", with(nil, "alg"), jades.ErrMalformed},
		{"alg case variant", with(map[string]string{"ALG": `"ES256"`}), jades.ErrMalformed},
		{"unknown crit", with(map[string]string{"crit": `["b64","sigD","exp"]`, "exp": `1`}), jades.ErrCriticalParameter},
		{"crit names absent member", with(nil, "sigD"), jades.ErrCriticalParameter},
		{"crit names unknown absent member", with(map[string]string{"crit": `["b64","sigD","sigT"]`}), jades.ErrCriticalParameter},
		{"crit lists alg", with(map[string]string{"crit": `["b64","sigD","alg"]`}), jades.ErrCriticalParameter},
		{"crit empty", with(map[string]string{"crit": `[]`}), jades.ErrMalformed},
		{"crit twice", with(map[string]string{"crit": `["b64","b64","sigD"]`}), jades.ErrMalformed},
		{"b64 not critical", with(map[string]string{"crit": `["sigD"]`}), jades.ErrCriticalParameter},
		{"sigD not critical", with(map[string]string{"crit": `["b64"]`}), jades.ErrCriticalParameter},
		{"no crit", with(nil, "crit"), jades.ErrCriticalParameter},
		{"b64 true", with(map[string]string{"b64": `true`}), jades.ErrMalformed},
		{"b64 absent", with(map[string]string{"crit": `["sigD"]`}, "b64"), jades.ErrMalformed},
		{"b64 string", with(map[string]string{"b64": `"false"`}), jades.ErrMalformed},
		{"sigD other mechanism", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/ObjectIdByURI","pars":["digest"]}`}), jades.ErrMalformed},
		{"sigD without digest", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["content-type"]}`}), jades.ErrMalformed},
		{"sigD pseudo-header", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["(request-target)","digest"]}`}), jades.ErrMalformed},
		{"sigD upper-case name", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["Digest"]}`}), jades.ErrMalformed},
		{"sigD repeated name", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest","digest"]}`}), jades.ErrMalformed},
		{"sigD absent header", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest","x-absent"]}`}), jades.ErrMissingHeader},
		{"duplicate member", strings.Replace(with(nil), `"alg":"ES256"`, `"alg":"ES256","alg":"ES256"`, 1), jades.ErrMalformed},
		{"not an object", `["ES256"]`, jades.ErrMalformed},
		{"trailing data", with(nil) + "{}", jades.ErrMalformed},
		{"x5c absent", with(nil, "x5c"), jades.ErrMalformed},
		{"x5c base64url", with(map[string]string{"x5c": strings.NewReplacer("+", "-", "/", "_").Replace(x5c)}), jades.ErrMalformed},
		{"x5c not a certificate", with(map[string]string{"x5c": `["AAAA"]`}), jades.ErrMalformed},
		{"x5c another certificate", with(map[string]string{"x5c": string(otherX5c)}, "kid", "x5t#o"), jades.ErrBadSignature},
		{"kid of another certificate", with(map[string]string{"x5c": string(otherX5c)}), jades.ErrCertificateMismatch},
		{"x5t#o of another certificate", with(map[string]string{"x5c": string(otherX5c)}, "kid"), jades.ErrCertificateMismatch},
		{"x5t#o unknown algorithm", with(map[string]string{"x5t#o": `{"digAlg":"MD5","digVal":"AAAA"}`}), jades.ErrUnsupportedAlgorithm},
		{"x5t#S256 wrong", with(map[string]string{"x5t#S256": `"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"`}), jades.ErrCertificateMismatch},
		{"kid not IssuerSerial", with(map[string]string{"kid": `"aGVsbG8="`}), jades.ErrMalformed},
		// Member names inside sigD and x5t#o are case-sensitive too.
		{"sigD mId case variant", with(map[string]string{"sigD": `{"mid":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest"]}`}), jades.ErrMalformed},
		{"sigD pars case variant", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/HttpHeaders","Pars":["digest"]}`}), jades.ErrMalformed},
		{"sigD mId and a case variant", with(map[string]string{"sigD": `{"mId":"http://uri.etsi.org/19182/ObjectIdByURI","MID":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest"]}`}), jades.ErrMalformed},
		{"x5t#o digAlg and a case variant", with(map[string]string{"x5t#o": strings.Replace(string(good["x5t#o"]), `"digAlg":"S512"`, `"digAlg":"MD5","DIGALG":"S512"`, 1)}), jades.ErrMalformed},
		{"x5t#o digVal case variant", with(map[string]string{"x5t#o": strings.Replace(string(good["x5t#o"]), `"digVal"`, `"DigVal"`, 1)}), jades.ErrMalformed},
		{"sigD not an object", with(map[string]string{"sigD": `["digest"]`}), jades.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := jades.Verify(resign(t, h, key, c.protected), body, jades.VerifyOptions{Trust: store})
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
}

// A JWS of another algorithm, with the signature that algorithm makes
// (RFC 7518: none is empty, HS256 is a 32-byte HMAC, here keyed with the
// signer's certificate as in the algorithm confusion attack), is refused for
// its algorithm, not for the length of its signature.
func TestVerifyOtherAlgorithms(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := []byte("<rs:RegistryResponse/>")
	h := http.Header{}
	if err := jades.Sign(h, body, key, chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	protected, _, _ := strings.Cut(h.Get(jades.HeaderSignature), ".")
	js := string(mustDecode(t, protected))
	for _, c := range []struct {
		alg  string
		sign func(input []byte) []byte
	}{
		{"none", func([]byte) []byte { return nil }},
		{"HS256", func(input []byte) []byte {
			m := hmac.New(sha256.New, chain[0].Raw)
			m.Write(input)
			return m.Sum(nil)
		}},
		{"HS512", func(input []byte) []byte {
			m := hmac.New(sha512.New, chain[0].Raw)
			m.Write(input)
			return m.Sum(nil)
		}},
	} {
		p := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(js, `"alg":"ES256"`, `"alg":"`+c.alg+`"`, 1)))
		sig := c.sign([]byte(p + "." + jades.HeaderDigest + ": " + h.Get(jades.HeaderDigest)))
		h2 := h.Clone()
		h2.Set(jades.HeaderSignature, p+".."+base64.RawURLEncoding.EncodeToString(sig))
		_, err := jades.Verify(h2, body, jades.VerifyOptions{Trust: store})
		if !errors.Is(err, jades.ErrUnsupportedAlgorithm) || !strings.Contains(err.Error(), c.alg) {
			t.Errorf("alg %s: got %v, want ErrUnsupportedAlgorithm naming %s", c.alg, err, c.alg)
		}
	}
}

func TestVerifyHeaderSyntax(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := []byte("<rs:RegistryResponse/>")
	h := http.Header{}
	if err := jades.Sign(h, body, key, chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	sig, dig := h.Get(jades.HeaderSignature), h.Get(jades.HeaderDigest)
	protected, _, _ := strings.Cut(sig, ".")
	for _, c := range []struct {
		name string
		edit func(http.Header)
		want error
	}{
		{"no signature header", func(h http.Header) { h.Del(jades.HeaderSignature) }, jades.ErrMissingHeader},
		{"no digest header", func(h http.Header) { h.Del(jades.HeaderDigest) }, jades.ErrMissingHeader},
		{"two digest headers", func(h http.Header) { h.Add(jades.HeaderDigest, dig) }, jades.ErrMalformed},
		{"digest under a non-canonical key", func(h http.Header) { h["digest"] = []string{dig} }, jades.ErrMalformed},
		{"two signature headers", func(h http.Header) { h.Add(jades.HeaderSignature, sig) }, jades.ErrMalformed},
		{"attached payload", func(h http.Header) { h.Set(jades.HeaderSignature, strings.Replace(sig, "..", ".eA.", 1)) }, jades.ErrMalformed},
		{"two parts", func(h http.Header) { h.Set(jades.HeaderSignature, strings.Replace(sig, "..", ".", 1)) }, jades.ErrMalformed},
		{"JSON serialization", func(h http.Header) { h.Set(jades.HeaderSignature, `{"protected":"`+protected+`"}`) }, jades.ErrMalformed},
		{"padded base64url", func(h http.Header) { h.Set(jades.HeaderSignature, sig+"==") }, jades.ErrMalformed},
		{"short signature", func(h http.Header) { h.Set(jades.HeaderSignature, sig[:len(sig)-4]) }, jades.ErrMalformed},
		{"huge header", func(h http.Header) { h.Set(jades.HeaderSignature, strings.Repeat("A", 1<<20)+"..") }, jades.ErrMalformed},
		{"digest without SHA-256", func(h http.Header) { h.Set(jades.HeaderDigest, "MD5=AAAA") }, jades.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			h2 := h.Clone()
			c.edit(h2)
			if _, err := jades.Verify(h2, body, jades.VerifyOptions{Trust: store}); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	// Case of names: a signed answer passed through a case-folding proxy.
	h3 := http.Header{}
	h3["OOTS-RESPONSE-SIG"] = []string{sig}
	h3["DIGEST"] = []string{dig}
	if _, err := jades.Verify(h3, body, jades.VerifyOptions{Trust: store}); err != nil {
		t.Errorf("upper-case header names: %v", err)
	}
	// Digest lists with other algorithms (RFC 3230) are fine when signed as such.
	h4 := h.Clone()
	h4.Set(jades.HeaderDigest, "sha-512=AAAA, "+dig)
	h4 = resign(t, h4, key, string(mustDecode(t, protected)))
	if _, err := jades.Verify(h4, body, jades.VerifyOptions{Trust: store}); err != nil {
		t.Errorf("digest list: %v", err)
	}
	h4.Set(jades.HeaderDigest, "SHA-512=AAAA")
	h4 = resign(t, h4, key, string(mustDecode(t, protected)))
	if _, err := jades.Verify(h4, body, jades.VerifyOptions{Trust: store}); !errors.Is(err, jades.ErrUnsupportedAlgorithm) {
		t.Errorf("digest without SHA-256, signed: got %v, want ErrUnsupportedAlgorithm", err)
	}
}

func mustDecode(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func BenchmarkSign(b *testing.B) {
	chain, key, _ := newChain(b, "oots test root")
	body := mustBody(b, "eb_evidence_types_fr")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := jades.Sign(http.Header{}, body, key, chain, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, body := loadCapture(b, "eb_evidence_types_fr")
	opts := jades.VerifyOptions{Trust: captureTrust(b, h), Now: captureIat}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := jades.Verify(h, body, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// pythonSign has testdata/sign_es256.py (Python's json and cryptography)
// sign body with key and chain once per iat (each the JSON text of the
// value), and returns the headers of each signature.
func pythonSign(t *testing.T, key *ecdsa.PrivateKey, chain []*x509.Certificate, body []byte, iats ...string) []http.Header {
	t.Helper()
	py := testenv.Python(t, "cryptography")
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var x5c []string
	for _, c := range chain {
		x5c = append(x5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	cfg, err := json.Marshal(map[string]any{
		"key":  string(pemBlock("PRIVATE KEY", der)),
		"x5c":  x5c,
		"iats": json.RawMessage("[" + strings.Join(iats, ",") + "]"),
		"body": string(body),
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "sign_es256.py"))
	cmd.Stdin = bytes.NewReader(cfg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sign_es256.py: %v", err)
	}
	var hs []http.Header
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("sign_es256.py printed %q: %v", line, err)
		}
		h := http.Header{}
		for k, v := range m {
			h.Set(k, v)
		}
		hs = append(hs, h)
	}
	if len(hs) != len(iats) {
		t.Fatalf("sign_es256.py signed %d times, want %d", len(hs), len(iats))
	}
	return hs
}

func pemBlock(typ string, der []byte) []byte {
	var b bytes.Buffer
	b.WriteString("-----BEGIN " + typ + "-----\n")
	s := base64.StdEncoding.EncodeToString(der)
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n-----END " + typ + "-----\n")
	return b.Bytes()
}

// RFC 7519 §2 NumericDate, the type of iat, is "a JSON numeric value" that
// "can represent any UTC date/time": a signer whose clock gives fractions of
// a second may write iat 1785315710.25. An answer signed by Python's json and
// cryptography with such an iat verifies, its SignedAt keeps the fraction to
// the microsecond, and the same answer with a changed body is still refused.
func TestVerifyFractionalIatFromPython(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := mustBody(t, "eb_evidence_types_fr")
	cases := []struct {
		iat  string
		want time.Time
	}{
		{"1785315710", captureIat},
		{"1785315710.25", captureIat.Add(250 * time.Millisecond)},
		{"1785315710.123456", captureIat.Add(123456 * time.Microsecond)},
		{"1785315710.999999", captureIat.Add(999999 * time.Microsecond)},
		{"1.7853157105e9", captureIat.Add(500 * time.Millisecond)},
	}
	bad := []string{`"1785315710"`, `1e300`, `-1e300`, `true`}
	var iats []string
	for _, c := range cases {
		iats = append(iats, c.iat)
	}
	signed := pythonSign(t, key, chain, body, append(iats, bad...)...)
	for i, c := range cases {
		h := signed[i]
		// What Python wrote is a non-integer number where one was asked.
		written := string(protectedOf(t, h)["iat"])
		if c.iat != "1785315710" && !strings.ContainsAny(written, ".eE") {
			t.Fatalf("iat %s: python wrote %s, not a fraction", c.iat, written)
		}
		v, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store})
		if err != nil {
			t.Errorf("iat %s (written %s): %v", c.iat, written, err)
			continue
		}
		if !v.SignedAt.Equal(c.want) {
			t.Errorf("iat %s: SignedAt %s, want %s", c.iat, v.SignedAt.Format(time.RFC3339Nano), c.want.Format(time.RFC3339Nano))
		}
		if _, err := jades.Verify(h, append(bytes.Clone(body), ' '), jades.VerifyOptions{Trust: store}); !errors.Is(err, jades.ErrDigestMismatch) {
			t.Errorf("iat %s, changed body: got %v, want ErrDigestMismatch", c.iat, err)
		}
	}
	// A string is not a NumericDate, nor is a date out of any range.
	for i, iat := range bad {
		h := signed[len(cases)+i]
		if _, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store}); !errors.Is(err, jades.ErrMalformed) {
			t.Errorf("iat %s: got %v, want ErrMalformed", iat, err)
		}
	}
}

// VerifyOptions.MaxAge bounds the distance between the signed iat and the
// verification time, with a fixed clock: the captured answers (signed at
// captureIat) verify up to MaxAge after it and are refused as stale beyond,
// as they are before it beyond MaxAge (a wrong clock). Without MaxAge, the
// default, a captured answer verifies however old while its certificate is
// valid: the captures themselves share one iat.
func TestVerifyMaxAge(t *testing.T) {
	h, body := loadCapture(t, "eb_requirements_fr")
	store := captureTrust(t, h)
	for _, c := range []struct {
		now    time.Time
		maxAge time.Duration
		want   error
	}{
		{captureIat.Add(30 * 24 * time.Hour), 0, nil},
		{captureIat, time.Second, nil},
		{captureIat.Add(time.Hour), time.Hour, nil},
		{captureIat.Add(time.Hour + time.Second), time.Hour, jades.ErrStale},
		{captureIat.Add(-time.Hour), time.Hour, nil},
		{captureIat.Add(-time.Hour - time.Second), time.Hour, jades.ErrStale},
		{captureIat.Add(30 * 24 * time.Hour), 24 * time.Hour, jades.ErrStale},
	} {
		_, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store, Now: c.now, MaxAge: c.maxAge})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("at iat%+v with MaxAge %s: got %v, want %v", c.now.Sub(captureIat), c.maxAge, err, c.want)
		}
	}
	if _, err := jades.Verify(h, body, jades.VerifyOptions{Trust: store, Now: captureIat, MaxAge: -time.Second}); err == nil || !strings.Contains(err.Error(), "MaxAge") {
		t.Errorf("negative MaxAge: got %v, want a configuration error naming MaxAge", err)
	}

	// Without iat, MaxAge cannot be honoured: refused; without MaxAge, fine.
	chain, key, ours := newChain(t, "oots test root")
	hs, m := signedHeader(t, body, key, chain)
	delete(m, "iat")
	js, _ := json.Marshal(m)
	noIat := resign(t, hs, key, string(js))
	if _, err := jades.Verify(noIat, body, jades.VerifyOptions{Trust: ours}); err != nil {
		t.Errorf("no iat, no MaxAge: %v", err)
	}
	if _, err := jades.Verify(noIat, body, jades.VerifyOptions{Trust: ours, MaxAge: time.Hour}); !errors.Is(err, jades.ErrStale) {
		t.Errorf("no iat, MaxAge 1h: got %v, want ErrStale", err)
	}
	// An iat at the edge of what NumericDate allows saturates, and is
	// still refused.
	m["iat"] = json.RawMessage("9007199254740991")
	js, _ = json.Marshal(m)
	if _, err := jades.Verify(resign(t, hs, key, string(js)), body, jades.VerifyOptions{Trust: ours, MaxAge: time.Hour}); !errors.Is(err, jades.ErrStale) {
		t.Errorf("iat far in the future: got %v, want ErrStale", err)
	}
}

// An integer iat is read exactly, within the range a fractional one is
// (2^53 seconds): beyond it, up to the largest int64, it does not name a
// time a time.Time holds (SignedAt would lie before the verification time,
// in a year it cannot be), and is malformed as a fractional one is.
func TestVerifyIatOutOfRange(t *testing.T) {
	chain, key, store := newChain(t, "oots test root")
	body := mustBody(t, "eb_evidence_types_fr")
	hs, m := signedHeader(t, body, key, chain)
	for _, iat := range []string{"9223372036854775807", "-9223372036854775808", "9007199254740992"} {
		m["iat"] = json.RawMessage(iat)
		js, _ := json.Marshal(m)
		v, err := jades.Verify(resign(t, hs, key, string(js)), body, jades.VerifyOptions{Trust: store})
		if !errors.Is(err, jades.ErrMalformed) {
			signed := ""
			if v != nil {
				signed = v.SignedAt.Format(time.RFC3339)
			}
			t.Errorf("iat %s: got %v (signed at %s), want ErrMalformed", iat, err, signed)
		}
	}
	m["iat"] = json.RawMessage("9007199254740991")
	js, _ := json.Marshal(m)
	if _, err := jades.Verify(resign(t, hs, key, string(js)), body, jades.VerifyOptions{Trust: store}); err != nil {
		t.Errorf("iat 2^53-1: %v", err)
	}
}

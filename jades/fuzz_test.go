package jades

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/trust"
)

// captureSeeds returns the signature and digest headers and bodies of the
// captured answers, or nothing when the shared folder is absent.
func captureSeeds(tb testing.TB) (sigs, digests []string, bodies [][]byte) {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(testenv.RepoRoot(tb), "..", "shared", "oots-spec")); err != nil {
		return nil, nil, nil
	}
	dir := testenv.Spec(tb, "edm-2.0-oots-france/common_services")
	for _, name := range []string{"eb_requirements_fr", "dsd_data_services_fi"} {
		raw, err := os.ReadFile(filepath.Join(dir, name+".headers"))
		if err != nil {
			tb.Fatal(err)
		}
		body, err := os.ReadFile(filepath.Join(dir, name+".xml"))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ": ")
			switch k {
			case HeaderSignature:
				sigs = append(sigs, v)
			case HeaderDigest:
				digests = append(digests, v)
			}
		}
		bodies = append(bodies, body)
	}
	return sigs, digests, bodies
}

// FuzzParseCompact checks that the JWS header parser never panics, that
// what it accepts has a protected part that round-trips through base64url,
// and that the profile checks do not panic on it either.
func FuzzParseCompact(f *testing.F) {
	sigs, _, _ := captureSeeds(f)
	for _, s := range sigs {
		f.Add(s)
	}
	f.Add("eyJhbGciOiJFUzI1NiJ9..AAAA")
	f.Add("..")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","b64":false,"crit":["b64","sigD"],"sigD":{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest"]},"x5c":[]}`)) + ".." + strings.Repeat("A", 86))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","b64":false,"iat":1785315710.25,"crit":["b64","sigD"],"sigD":{"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest"]},"x5c":[]}`)) + ".." + strings.Repeat("A", 86))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","b64":false,"crit":["b64","sigD"],"sigD":{"mid":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest"]},"x5c":[]}`)) + ".." + strings.Repeat("A", 86))
	f.Fuzz(func(t *testing.T, s string) {
		jws, err := parseCompact(s)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error is not a *jades.Error: %v", err)
			}
			return
		}
		js, _ := base64.RawURLEncoding.DecodeString(jws.protected)
		if base64.RawURLEncoding.EncodeToString(js) != jws.protected {
			t.Fatalf("protected part %q does not round-trip", jws.protected)
		}
		if len(jws.signature) != 64 {
			t.Fatalf("accepted a %d-byte signature", len(jws.signature))
		}
		if err := checkProfile(jws.header, jws.members); err == nil {
			if _, err := parseChain(jws.header.X5c); err == nil && len(jws.header.X5c) == 0 {
				t.Fatal("accepted an empty x5c")
			}
			// What passes names sigD's and x5t#o's members exactly as the
			// profile reads them: no case variant took their place.
			for obj, known := range map[string][]string{"sigD": knownSigDMembers, "x5t#o": knownX5tOMembers} {
				var inner map[string]json.RawMessage
				json.Unmarshal(jws.members[obj], &inner)
				for name := range inner {
					for _, k := range known {
						if name != k && strings.EqualFold(name, k) {
							t.Fatalf("accepted %s member %q for %q", obj, name, k)
						}
					}
				}
			}
		}
	})
}

// FuzzVerify runs the whole verification on arbitrary headers and bodies:
// it must return an error or a result, never panic, and never accept
// anything but the captured answers themselves.
func FuzzVerify(f *testing.F) {
	sigs, digests, bodies := captureSeeds(f)
	for i := range sigs {
		f.Add(sigs[i], digests[i], bodies[i])
	}
	f.Add("..", "SHA-256=", []byte(nil))
	var store *trust.Store
	if len(sigs) > 0 {
		jws, err := parseCompact(sigs[0])
		if err != nil {
			f.Fatal(err)
		}
		chain, err := parseChain(jws.header.X5c)
		if err != nil {
			f.Fatal(err)
		}
		store = trust.NewStore(chain[len(chain)-1])
	} else {
		store = trust.NewStore()
	}
	at := time.Unix(1785315710, 0)
	f.Fuzz(func(t *testing.T, sig, digest string, body []byte) {
		h := http.Header{}
		h.Set(HeaderSignature, sig)
		h.Set(HeaderDigest, digest)
		v, err := Verify(h, body, VerifyOptions{Trust: store, Now: at})
		if err != nil {
			return
		}
		for i := range sigs {
			if sig == sigs[i] && bytes.Equal(body, bodies[i]) {
				if len(v.Chain) == 0 {
					t.Fatal("verified without a chain")
				}
				return
			}
		}
		t.Fatalf("accepted a signature that is not one of the captures: %q", sig)
	})
}

// FuzzNumericDate checks the reading of iat (RFC 7519 NumericDate): it never
// panics, an integer is read exactly, a non-integer number lands within a
// microsecond of its value, anything else is an ErrMalformed *Error.
func FuzzNumericDate(f *testing.F) {
	for _, s := range []string{"1785315710", "1785315710.25", "1.7853157105e9", "-1", "0.0000001", "1e300", "9223372036854775808", "-0", "1E-400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n numericDate
		if err := json.Unmarshal([]byte(`{"iat":`+s+`}`), &struct {
			Iat *numericDate `json:"iat"`
		}{&n}); err != nil || n == "" {
			return
		}
		at, err := n.time()
		if err != nil {
			var je *Error
			if !errors.As(err, &je) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("%q: error %v is not an ErrMalformed *jades.Error", s, err)
			}
			return
		}
		if sec, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			if at.Unix() != sec || at.Nanosecond() != 0 {
				t.Fatalf("%q read as %s", s, at)
			}
			return
		}
		v, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			t.Fatalf("%q accepted but not a number: %v", s, err)
		}
		got := float64(at.Unix()) + float64(at.Nanosecond())/1e9
		if d := math.Abs(got - v); d > 1e-6+math.Abs(v)*1e-15 {
			t.Fatalf("%q read as %s, off by %g s", s, at.Format(time.RFC3339Nano), d)
		}
	})
}

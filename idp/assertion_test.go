package idp

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
)

var assertionTime = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

const testIssuer = "https://idp.de.example"

func validClaims(t testing.TB) *claims {
	t.Helper()
	p := demoUsers(t, "DE")[2].Identified("FR")
	co := demoUsers(t, "DE")[2].Represents[0].Identified("DE", "FR")
	return &claims{Issuer: testIssuer, Subject: p.Identifier, Audience: testClientID,
		IssuedAt: assertionTime.Unix(), Expiry: assertionTime.Add(assertionLife).Unix(),
		EID: &eid.Subject{Person: &p, Company: &co, LoA: eid.LoAHigh, Issuer: testIssuer, Country: "DE", AuthTime: assertionTime}}
}

func testOptions(k *ecdsa.PrivateKey) verifyOptions {
	return verifyOptions{Key: &k.PublicKey, Issuer: testIssuer, Audience: testClientID, Country: "DE", Now: assertionTime.Add(time.Minute)}
}

func sign(t testing.TB, c *claims, k *ecdsa.PrivateKey) string {
	t.Helper()
	s, err := signAssertion(c, k, keyID(&k.PublicKey), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signRaw signs arbitrary header and payload octets.
func signRaw(t testing.TB, h, p string, k *ecdsa.PrivateKey) string {
	t.Helper()
	in := b64([]byte(h)) + "." + b64([]byte(p))
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

func TestVerifyAssertion(t *testing.T) {
	k := newKey(t)
	good := sign(t, validClaims(t), k)
	s, err := verifyAssertion(good, testOptions(k))
	if err != nil {
		t.Fatalf("valid assertion: %v", err)
	}
	if s.Person.Identifier != "DE/FR/5c29d8e310" || s.Company.Identifier != "DE/FR/DE348213907" || !s.AuthTime.Equal(assertionTime) {
		t.Errorf("subject = %+v %+v %+v", s, s.Person, s.Company)
	}
	parts := strings.Split(good, ".")
	validPayload, _ := base64.RawURLEncoding.DecodeString(parts[1])

	with := func(f func(c *claims)) string {
		c := validClaims(t)
		f(c)
		return sign(t, c, k)
	}
	flipped := func() string {
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sig[10] ^= 1
		return parts[0] + "." + parts[1] + "." + b64(sig)
	}
	otherPayload := func() string {
		c := validClaims(t)
		c.EID.Person.FamilyName = "Schmidt"
		p, _ := json.Marshal(c)
		return parts[0] + "." + b64(p) + "." + parts[2]
	}

	tests := []struct {
		name  string
		token string
		opts  func(o *verifyOptions)
		want  string
	}{
		{"signature flipped", flipped(), nil, "signature does not verify"},
		{"claims changed", otherPayload(), nil, "signature does not verify"},
		{"other key", good, func(o *verifyOptions) { o.Key = &newKey(t).PublicKey }, "signature does not verify"},
		{"no key", good, func(o *verifyOptions) { o.Key = nil }, "no key"},
		{"alg none", b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", nil, `algorithm "none"`},
		{"alg HS256", signRaw(t, `{"alg":"HS256"}`, string(validPayload), k), nil, `algorithm "HS256"`},
		{"critical parameter", signRaw(t, `{"alg":"ES256","crit":["b64"],"b64":false}`, string(validPayload), k), nil, "critical parameters"},
		{"two parts", parts[0] + "." + parts[1], nil, "has 2 parts"},
		{"four parts", good + ".x", nil, "has 4 parts"},
		{"short signature", parts[0] + "." + parts[1] + "." + b64(make([]byte, 63)), nil, "63 octets"},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], nil, "assertion header"},
		{"header not JSON", b64([]byte("alg")) + "." + parts[1] + "." + parts[2], nil, "assertion header"},
		{"too long", strings.Repeat("a", maxAssertion+1), nil, "longer than"},
		{"claims not JSON", signRaw(t, `{"alg":"ES256"}`, "claims", k), nil, "assertion claims"},
		{"data after claims", signRaw(t, `{"alg":"ES256"}`, string(validPayload)+"{}", k), nil, "data after"},
		{"other issuer", with(func(c *claims) { c.Issuer = "https://evil.example" }), nil, "issuer"},
		{"other audience", with(func(c *claims) { c.Audience = "other" }), nil, "audience"},
		{"expired", good, func(o *verifyOptions) { o.Now = assertionTime.Add(assertionLife + clockLeeway) }, "expired"},
		{"issued in the future", good, func(o *verifyOptions) { o.Now = assertionTime.Add(-time.Minute) }, "future"},
		{"no exp", with(func(c *claims) { c.Expiry = 0 }), nil, "lacks iat or exp"},
		{"no subject", with(func(c *claims) { c.EID = nil }), nil, "no natural person"},
		{"no person", with(func(c *claims) { c.EID.Person = nil }), nil, "no natural person"},
		{"no family name", with(func(c *claims) { c.EID.Person.FamilyName = "" }), nil, "mandatory attribute"},
		{"bad birth date", with(func(c *claims) { c.EID.Person.DateOfBirth = "14.03.1985" }), nil, "date of birth"},
		{"sub differs", with(func(c *claims) { c.Subject = "DE/FR/other" }), nil, "sub"},
		{"identifier of another country", with(func(c *claims) {
			c.EID.Person.Identifier, c.Subject = "FR/FR/5c29d8e310", "FR/FR/5c29d8e310"
		}), nil, "not an eIDAS identifier of DE"},
		{"identifier without form", with(func(c *claims) { c.EID.Person.Identifier, c.Subject = "5c29d8e310", "5c29d8e310" }), nil, "not an eIDAS identifier"},
		{"company of another country", with(func(c *claims) { c.EID.Company.Identifier = "SE/FR/1" }), nil, "legal person identifier"},
		{"company without name", with(func(c *claims) { c.EID.Company.LegalName = "" }), nil, "no legal name"},
		{"unknown LoA", with(func(c *claims) { c.EID.LoA = "urn:loa:gold" }), nil, "level of assurance"},
		{"other subject country", with(func(c *claims) { c.EID.Country = "FR" }), nil, `country "FR"`},
		{"other subject issuer", with(func(c *claims) { c.EID.Issuer = "x" }), nil, `issuer "x"`},
		{"no auth time", with(func(c *claims) { c.EID.AuthTime = time.Time{} }), nil, "authentication time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(k)
			if tt.opts != nil {
				tt.opts(&o)
			}
			s, err := verifyAssertion(tt.token, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
			if s != nil {
				t.Error("a subject with the error")
			}
		})
	}
}

func TestJWKS(t *testing.T) {
	k := newKey(t)
	j, err := publicJWK(&k.PublicKey, "k1")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(jwkSet{Keys: []jwk{j}})
	got, err := parseJWKS(set, "")
	if err != nil || !got.Equal(&k.PublicKey) {
		t.Fatalf("parseJWKS = %v, %v; want the key back", got, err)
	}
	other, _ := publicJWK(&newKey(t).PublicKey, "k2")
	two, _ := json.Marshal(jwkSet{Keys: []jwk{j, other}})
	if got, err := parseJWKS(two, "k1"); err != nil || !got.Equal(&k.PublicKey) {
		t.Errorf("choice by kid: %v, %v", got, err)
	}
	bad := j
	bad.Y = bad.X // not on the curve
	tests := []struct {
		name string
		data string
		want string
	}{
		{"two keys, no kid", string(two), "more than one"},
		{"empty", `{"keys":[]}`, "no P-256 signing key"},
		{"RSA only", `{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`, "no P-256 signing key"},
		{"encryption key", `{"keys":[{"kty":"EC","crv":"P-256","use":"enc","x":"` + j.X + `","y":"` + j.Y + `"}]}`, "no P-256 signing key"},
		{"short x", `{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"` + j.Y + `"}]}`, "32 octets"},
		{"not JSON", `keys`, "JWK set"},
		{"point off the curve", func() string { b, _ := json.Marshal(jwkSet{Keys: []jwk{bad}}); return string(b) }(), "key 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseJWKS([]byte(tt.data), ""); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzVerifyAssertion: no input makes the verifier panic, and whatever it
// accepts carries a complete subject of the expected country.
func FuzzVerifyAssertion(f *testing.F) {
	k := newKey(f)
	good := sign(f, validClaims(f), k)
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("..")
	f.Add(b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".")
	f.Add(signRaw(f, `{"alg":"ES256"}`, `{"iss":"`+testIssuer+`","aud":"`+testClientID+`","iat":1,"exp":99999999999,"eid":{"person":{}}}`, k))
	f.Fuzz(func(t *testing.T, token string) {
		s, err := verifyAssertion(token, testOptions(k))
		if err != nil {
			return
		}
		if s == nil || s.Person == nil || s.Country != "DE" || s.LoA.Code() == "" {
			t.Fatalf("accepted an incomplete subject: %+v", s)
		}
	})
}

// FuzzParseJWKS: no input makes the JWK set parser panic, and a key it
// returns is a P-256 key.
func FuzzParseJWKS(f *testing.F) {
	j, err := publicJWK(&newKey(f).PublicKey, "k1")
	if err != nil {
		f.Fatal(err)
	}
	set, _ := json.Marshal(jwkSet{Keys: []jwk{j}})
	f.Add(set, "")
	f.Add(set, "k1")
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`), "")
	f.Fuzz(func(t *testing.T, data []byte, kid string) {
		k, err := parseJWKS(data, kid)
		if err != nil {
			return
		}
		if k == nil || k.Curve.Params().Name != "P-256" {
			t.Fatalf("returned %v", k)
		}
	})
}

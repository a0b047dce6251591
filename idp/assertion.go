package idp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
)

// The assertion is a JSON Web Token (RFC 7519) in JWS compact serialisation
// (RFC 7515 §7.1) signed with ES256 (RFC 7518 §3.4): the signature is R||S,
// 32 octets each, not DER.
const (
	algES256       = "ES256"
	maxAssertion   = 16 << 10 // octets of a compact JWS; a subject is well under 2 KiB
	assertionTyp   = "JWT"
	assertionLife  = 5 * time.Minute
	clockLeeway    = 30 * time.Second
	es256SigLength = 64
)

// header is the JOSE header of an assertion.
type header struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ,omitempty"`
	Kid  string   `json:"kid,omitempty"`
	Crit []string `json:"crit,omitempty"`
}

// claims is the payload of an assertion: the registered claims of RFC 7519
// §4.1 and the eIDAS subject.
type claims struct {
	Issuer   string       `json:"iss"`
	Subject  string       `json:"sub"` // the person's eIDAS unique identifier
	Audience string       `json:"aud"` // the relying party's client id
	IssuedAt int64        `json:"iat"`
	Expiry   int64        `json:"exp"`
	EID      *eid.Subject `json:"eid"`
}

// signAssertion returns the compact JWS of c signed with key.
func signAssertion(c *claims, key *ecdsa.PrivateKey, kid string, rand io.Reader) (string, error) {
	h, err := json.Marshal(header{Alg: algES256, Typ: assertionTyp, Kid: kid})
	if err != nil {
		return "", fmt.Errorf("encode assertion header: %w", err)
	}
	p, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode assertion claims: %w", err)
	}
	input := b64(h) + "." + b64(p)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand, key, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign assertion: %w", err)
	}
	sig := make([]byte, es256SigLength)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// verifyOptions is what an assertion must match.
type verifyOptions struct {
	Key      *ecdsa.PublicKey
	Issuer   string // iss and the subject's Issuer
	Audience string // aud: the client id
	Country  string // the subject's country and that of its identifiers
	Now      time.Time
}

// verifyAssertion checks an assertion in order — size and form, header,
// ES256 signature, then the claims (iss, aud, iat, exp, subject) — and
// returns the subject only when every check passed.
func verifyAssertion(token string, o verifyOptions) (*eid.Subject, error) {
	if len(token) > maxAssertion {
		return nil, fmt.Errorf("assertion of %d octets is longer than %d", len(token), maxAssertion)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("assertion has %d parts, want 3 (JWS compact serialisation)", len(parts))
	}
	hb, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("assertion header: %w", err)
	}
	var h header
	if err := strictJSON(hb, &h); err != nil {
		return nil, fmt.Errorf("assertion header: %w", err)
	}
	if h.Alg != algES256 {
		return nil, fmt.Errorf("assertion algorithm %q is not %s", h.Alg, algES256)
	}
	if len(h.Crit) > 0 {
		return nil, fmt.Errorf("assertion header has critical parameters %q, none are understood", h.Crit)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("assertion signature: %w", err)
	}
	if len(sig) != es256SigLength {
		return nil, fmt.Errorf("assertion signature has %d octets, want %d", len(sig), es256SigLength)
	}
	if o.Key == nil {
		return nil, errors.New("no key to verify the assertion")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(o.Key, sum[:], r, s) {
		return nil, errors.New("assertion signature does not verify with the identity provider's key")
	}

	// Only verified octets from here on.
	pb, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("assertion claims: %w", err)
	}
	var c claims
	if err := strictJSON(pb, &c); err != nil {
		return nil, fmt.Errorf("assertion claims: %w", err)
	}
	if c.Issuer != o.Issuer {
		return nil, fmt.Errorf("assertion issuer %q is not %q", c.Issuer, o.Issuer)
	}
	if c.Audience != o.Audience {
		return nil, fmt.Errorf("assertion audience %q is not this client %q", c.Audience, o.Audience)
	}
	iat, exp := time.Unix(c.IssuedAt, 0), time.Unix(c.Expiry, 0)
	if c.IssuedAt <= 0 || c.Expiry <= 0 {
		return nil, errors.New("assertion lacks iat or exp")
	}
	if iat.After(o.Now.Add(clockLeeway)) {
		return nil, fmt.Errorf("assertion issued in the future (%s, now %s)", iat.UTC().Format(time.RFC3339), o.Now.UTC().Format(time.RFC3339))
	}
	if !o.Now.Before(exp.Add(clockLeeway)) {
		return nil, fmt.Errorf("assertion expired at %s (now %s)", exp.UTC().Format(time.RFC3339), o.Now.UTC().Format(time.RFC3339))
	}
	if err := checkSubject(c.EID, c.Subject, o); err != nil {
		return nil, fmt.Errorf("assertion subject: %w", err)
	}
	return c.EID, nil
}

// checkSubject checks the eIDAS content of verified claims.
func checkSubject(s *eid.Subject, sub string, o verifyOptions) error {
	if s == nil || s.Person == nil {
		return errors.New("no natural person")
	}
	p := s.Person
	if p.Identifier == "" || p.FamilyName == "" || p.GivenName == "" || p.DateOfBirth == "" {
		return errors.New("a mandatory attribute of the natural person is empty (identifier, family name, given name, date of birth)")
	}
	if _, err := time.Parse(time.DateOnly, p.DateOfBirth); err != nil {
		return fmt.Errorf("date of birth %q is not YYYY-MM-DD", p.DateOfBirth)
	}
	if p.Identifier != sub {
		return fmt.Errorf("sub %q is not the person's identifier %q", sub, p.Identifier)
	}
	if cc, _, ok := eid.LocalID(p.Identifier); !ok || cc != o.Country {
		return fmt.Errorf("person identifier %q is not an eIDAS identifier of %s", p.Identifier, o.Country)
	}
	if s.Company != nil {
		if s.Company.LegalName == "" {
			return errors.New("the legal person has no legal name")
		}
		if cc, _, ok := eid.LocalID(s.Company.Identifier); !ok || cc != o.Country {
			return fmt.Errorf("legal person identifier %q is not an eIDAS identifier of %s", s.Company.Identifier, o.Country)
		}
	}
	if s.LoA.Code() == "" {
		return fmt.Errorf("unknown level of assurance %q", s.LoA)
	}
	if s.Country != o.Country {
		return fmt.Errorf("country %q is not %q", s.Country, o.Country)
	}
	if s.Issuer != o.Issuer {
		return fmt.Errorf("issuer %q is not %q", s.Issuer, o.Issuer)
	}
	if s.AuthTime.IsZero() {
		return errors.New("no authentication time")
	}
	return nil
}

// strictJSON decodes one JSON object with no trailing data.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// A jwk is a public key as a JSON Web Key (RFC 7517; EC keys RFC 7518 §6.2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// publicJWK returns the JWK of a P-256 public key.
func publicJWK(k *ecdsa.PublicKey, kid string) (jwk, error) {
	b, err := k.Bytes() // 0x04 || X || Y
	if err != nil {
		return jwk{}, fmt.Errorf("encode public key: %w", err)
	}
	if len(b) != 65 {
		return jwk{}, fmt.Errorf("public key is not on P-256")
	}
	return jwk{Kty: "EC", Crv: "P-256", X: b64(b[1:33]), Y: b64(b[33:]), Kid: kid, Use: "sig", Alg: algES256}, nil
}

// keyID names a public key: the base64url SHA-256 of its uncompressed
// point, shortened (a name, not a thumbprint to check).
func keyID(k *ecdsa.PublicKey) string {
	b, err := k.Bytes()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return b64(sum[:12])
}

// parseJWKS returns the ES256 signing key of a JWK set: the only P-256 key
// meant for signatures, or the one named kid when kid is not empty.
func parseJWKS(data []byte, kid string) (*ecdsa.PublicKey, error) {
	var set jwkSet
	if err := strictJSON(data, &set); err != nil {
		return nil, fmt.Errorf("JWK set: %w", err)
	}
	var found *ecdsa.PublicKey
	for i, k := range set.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != algES256) {
			continue
		}
		if kid != "" && k.Kid != kid {
			continue
		}
		x, errX := base64.RawURLEncoding.Strict().DecodeString(k.X)
		y, errY := base64.RawURLEncoding.Strict().DecodeString(k.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("JWK set: key %d: x and y must be 32 octets in base64url", i)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("JWK set: key %d: %w", i, err)
		}
		if found != nil {
			return nil, errors.New("JWK set: more than one ES256 signing key and no key id to choose")
		}
		found = pub
	}
	if found == nil {
		return nil, errors.New("JWK set: no P-256 signing key")
	}
	return found, nil
}

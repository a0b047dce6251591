// Package jades implements the response signature of the OOTS Common
// Services (Evidence Broker, Data Service Directory): a detached JAdES
// signature over HTTP headers, as the Commission's services send it (OOTS TDD
// 3.6.2, SPEC.md §3.1).
//
// A signed answer carries two HTTP headers:
//
//	digest: SHA-256=<base64 of SHA-256(body)>            (RFC 3230 instance digest)
//	oots-response-sig: <protected>..<signature>           (RFC 7515 compact JWS, detached)
//
// The protected header has alg ES256, the signer's chain in x5c, its SHA-512
// thumbprint in x5t#o, typ "jose", b64 false (RFC 7797), iat, and
// sigD {"mId":"http://uri.etsi.org/19182/HttpHeaders","pars":["digest"]} with
// crit ["b64","sigD"]: the JAdES HTTP-headers mechanism of ETSI TS 119 182-1
// §5.2.8. The signed content is therefore not the body but the listed header
// fields, each as a line "<lower-case name>: <value>", lines joined by "\n"
// with no trailing newline (the signature-string form of the HTTP Signatures
// draft that the mechanism references). With b64 false the JWS signing input
// is
//
//	BASE64URL(protected) || "." || "digest: SHA-256=…"
//
// This reading is checked against the real answers captured from the
// Commission's acceptance services (see the tests): the body is bound to the
// signature through the digest header.
//
// Sign produces both headers; Verify checks them in order — header syntax,
// algorithm and critical parameters, certificate references, the ES256
// signature, the signing time (when VerifyOptions.MaxAge bounds it), the
// signer's chain against a trust.Store at a given time, and
// finally the body digest — and returns only what it verified.
//
// Not implemented: algorithms other than ES256, b64 true (attached or
// base64url-encoded detached content), the sigD mechanisms other than
// HttpHeaders (ObjectIdByURI, ObjectIdByURIHash), pseudo-headers such as
// "(request-target)" (meaningless on a response), unsigned JAdES header
// parameters (etsiU) and signature time-stamps.
package jades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"time"
)

// Header names, as the Commission's services write them. HTTP field names
// are case-insensitive; http.Header stores them in canonical form.
const (
	// HeaderDigest carries the SHA-256 instance digest of the body (RFC 3230).
	HeaderDigest = "digest"
	// HeaderSignature carries the detached compact JWS.
	HeaderSignature = "oots-response-sig"
)

// Protected header values of the profile.
const (
	// AlgES256 is ECDSA on P-256 with SHA-256 (RFC 7518 §3.4), the only
	// algorithm of the profile.
	AlgES256 = "ES256"
	// MechanismHTTPHeaders is the sigD mId of the JAdES HTTP-headers
	// mechanism (ETSI TS 119 182-1 §5.2.8.2).
	MechanismHTTPHeaders = "http://uri.etsi.org/19182/HttpHeaders"
	// TypeJOSE is the typ the services send (RFC 7515 §4.1.9).
	TypeJOSE = "jose"
)

// Thumbprint algorithms of x5t#o (ETSI TS 119 182-1, "x5t#o" header parameter), named as in
// the captures.
const (
	digestS256 = "S256"
	digestS384 = "S384"
	digestS512 = "S512"
)

// Errors that Sign and Verify return, wrapped in an *Error. Callers branch
// with errors.Is.
var (
	// ErrMissingHeader: the digest or signature header is absent.
	ErrMissingHeader = errors.New("missing header")
	// ErrMalformed: a header or header parameter does not have the syntax
	// of the profile (JWS compact form, base64url, JSON, digest syntax,
	// certificate encoding, repeated fields).
	ErrMalformed = errors.New("malformed")
	// ErrUnsupportedAlgorithm: alg (or a thumbprint or digest algorithm,
	// or a key) is not one the profile allows.
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	// ErrCriticalParameter: crit lists a parameter this implementation does
	// not understand, or one that is absent (RFC 7515 §4.1.11), or the
	// profile's b64/sigD are used without being marked critical.
	ErrCriticalParameter = errors.New("critical header parameter not understood")
	// ErrBadSignature: the ES256 signature does not verify with the key of
	// the first x5c certificate.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrCertificateMismatch: kid, x5t#o or x5t#S256 do not identify the
	// first x5c certificate.
	ErrCertificateMismatch = errors.New("certificate reference does not match the signing certificate")
	// ErrStale: VerifyOptions.MaxAge is set and the signed iat is absent
	// or further from the verification time than MaxAge.
	ErrStale = errors.New("signing time out of bounds")
	// ErrUntrustedChain: the signing certificate has no valid path to a
	// trust anchor at the verification time, or may not sign. The *Error
	// also wraps the trust package's error (trust.ErrExpired,
	// trust.ErrUntrusted, trust.ErrKeyUsage).
	ErrUntrustedChain = errors.New("untrusted signing certificate")
	// ErrDigestMismatch: the body's SHA-256 differs from the digest header.
	ErrDigestMismatch = errors.New("body digest mismatch")
)

// Error is the error of Sign and Verify: what went wrong (Kind, one of the
// Err… values), where (Field: a header or protected header parameter), and
// the precise cause.
type Error struct {
	Kind   error  // one of ErrMissingHeader … ErrDigestMismatch
	Field  string // header or parameter name, e.g. "digest", "x5c[1]", "crit"
	Detail string // human-readable cause
	Err    error  // underlying error, if any
}

// Error returns "jades: <kind>: <field>: <detail>: <cause>".
func (e *Error) Error() string {
	s := "jades: " + e.Kind.Error()
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Kind and the underlying error, so that errors.Is matches
// both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func fail(kind error, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// protectedHeader is the JWS protected header of the profile, fields in the
// order the Commission's services emit them.
type protectedHeader struct {
	Alg     string       `json:"alg"`
	Kid     string       `json:"kid,omitempty"`
	X5tO    *certDigest  `json:"x5t#o,omitempty"`
	X5tS256 string       `json:"x5t#S256,omitempty"`
	X5c     []string     `json:"x5c"`
	Typ     string       `json:"typ,omitempty"`
	B64     *bool        `json:"b64,omitempty"`
	Iat     *numericDate `json:"iat,omitempty"`
	SigD    *sigD        `json:"sigD,omitempty"`
	Crit    []string     `json:"crit,omitempty"`
}

// numericDate is the value of iat: a JWT NumericDate (RFC 7519 §2), a JSON
// number of seconds since 1970-01-01T00:00:00Z, which "can represent any
// UTC date/time" and so may have a fraction or an exponent. It holds the
// number as written; time converts it.
type numericDate string

// UnmarshalJSON accepts a JSON number and nothing else (a string holding
// digits is not a NumericDate). encoding/json has already checked that b is
// one well-formed JSON value.
func (n *numericDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return fmt.Errorf("iat %s is not a JSON number", b)
	}
	*n = numericDate(b)
	return nil
}

// MarshalJSON writes the number as held.
func (n numericDate) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// maxNumericDate bounds the NumericDates time accepts: beyond 2^53 seconds
// (285 million years) a float64 no longer holds whole seconds, and an
// integer near the int64 bounds is no instant a time.Time holds.
const maxNumericDate = 1 << 53

// time converts n to a time. An integer is exact; a number with a fraction
// or an exponent keeps its sub-second part to the microsecond (a float64
// holds a present-day date to a fraction of a microsecond).
func (n numericDate) time() (time.Time, error) {
	if sec, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if sec >= maxNumericDate || sec <= -maxNumericDate {
			return time.Time{}, fail(ErrMalformed, "iat", "%s is out of the range of a date", string(n))
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) >= maxNumericDate {
		return time.Time{}, fail(ErrMalformed, "iat", "%s is out of the range of a date", string(n))
	}
	sec := math.Floor(f)
	usec := math.Round((f - sec) * 1e6)
	return time.Unix(int64(sec), int64(usec)*int64(time.Microsecond)).UTC(), nil
}

// certDigest is the value of x5t#o: a certificate digest with its algorithm.
type certDigest struct {
	DigAlg string `json:"digAlg"`
	DigVal string `json:"digVal"`
}

// sigD is the JAdES signed-data-objects parameter (ETSI TS 119 182-1 §5.2.8).
type sigD struct {
	MID  string   `json:"mId"`
	Pars []string `json:"pars"`
}

// issuerSerial is the ASN.1 IssuerSerial of RFC 5035 that the services put,
// DER-encoded and base64, in kid (ETSI TS 119 182-1, use of "kid").
type issuerSerial struct {
	Issuer []asn1.RawValue `asn1:""` // GeneralNames with one directoryName
	Serial *big.Int
}

// kidFor builds the kid of cert: IssuerSerial{GeneralNames{[4] issuer}, serial}.
func kidFor(cert *x509.Certificate) (string, error) {
	dn := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer}
	der, err := asn1.Marshal(issuerSerial{Issuer: []asn1.RawValue{dn}, Serial: cert.SerialNumber})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// Sign computes the digest of body and the detached JWS over it and sets
// both headers (HeaderDigest, HeaderSignature) on header, replacing any
// previous values. key must be an ECDSA P-256 key whose public key is that of
// chain[0]; chain is the signer's certificate followed by the intermediates
// (and, as the Commission's services do, optionally the root) and goes into
// x5c. now becomes iat.
//
// Errors: ErrUnsupportedAlgorithm for a key that is not ECDSA P-256;
// ErrMalformed for an empty chain or a chain whose first certificate does not
// belong to key; the signer's own error otherwise.
func Sign(header http.Header, body []byte, key crypto.Signer, chain []*x509.Certificate, now time.Time) error {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return fail(ErrUnsupportedAlgorithm, "key", "ES256 needs an ECDSA P-256 key, got %T", key.Public())
	}
	if len(chain) == 0 {
		return fail(ErrMalformed, "x5c", "no signing certificate given")
	}
	if !pub.Equal(chain[0].PublicKey) {
		return fail(ErrMalformed, "x5c[0]", "certificate %q does not hold the signing key", chain[0].Subject.String())
	}

	sum := sha256.Sum256(body)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])

	kid, err := kidFor(chain[0])
	if err != nil {
		return &Error{Kind: ErrMalformed, Field: "kid", Detail: "cannot encode issuer and serial", Err: err}
	}
	thumb := sha512.Sum512(chain[0].Raw)
	b64, iat := false, numericDate(strconv.FormatInt(now.Unix(), 10))
	ph := protectedHeader{
		Alg:  AlgES256,
		Kid:  kid,
		X5tO: &certDigest{DigAlg: digestS512, DigVal: base64.RawURLEncoding.EncodeToString(thumb[:])},
		Typ:  TypeJOSE,
		B64:  &b64,
		Iat:  &iat,
		SigD: &sigD{MID: MechanismHTTPHeaders, Pars: []string{HeaderDigest}},
		Crit: []string{"b64", "sigD"},
	}
	for _, c := range chain {
		ph.X5c = append(ph.X5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	js, err := json.Marshal(ph)
	if err != nil {
		return &Error{Kind: ErrMalformed, Field: "protected", Err: err}
	}
	protected := base64.RawURLEncoding.EncodeToString(js)

	input := signingInput(protected, []field{{HeaderDigest, digest}})
	hash := sha256.Sum256(input)
	der, err := key.Sign(rand.Reader, hash[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("jades: signing: %w", err)
	}
	raw, err := rawSignature(der)
	if err != nil {
		return fmt.Errorf("jades: signing: %w", err)
	}

	header.Del(HeaderDigest)
	header.Del(HeaderSignature)
	header.Set(HeaderDigest, digest)
	header.Set(HeaderSignature, protected+".."+base64.RawURLEncoding.EncodeToString(raw))
	return nil
}

// field is one signed header field: lower-case name and value.
type field struct{ name, value string }

// signingInput builds the JWS signing input for b64 false and the
// HttpHeaders mechanism: BASE64URL(protected) "." then, for each signed
// header field in sigD pars order, "<name>: <value>", joined by "\n".
func signingInput(protected string, fields []field) []byte {
	n := len(protected) + 1
	for _, f := range fields {
		n += len(f.name) + 3 + len(f.value)
	}
	b := make([]byte, 0, n)
	b = append(b, protected...)
	b = append(b, '.')
	for i, f := range fields {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, f.name...)
		b = append(b, ": "...)
		b = append(b, f.value...)
	}
	return b
}

// rawSignature converts an ASN.1 ECDSA signature into the JWS form: r and s
// as 32-byte big-endian integers (RFC 7518 §3.4).
func rawSignature(der []byte) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 {
		return nil, errors.New("signer returned a malformed ECDSA signature")
	}
	if sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("signer returned an ECDSA signature too large for P-256")
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

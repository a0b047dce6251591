package jades

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/oots-go/oots/trust"
)

// Limits on what Verify reads from the peer.
const (
	maxSignatureHeader = 64 << 10 // bytes of oots-response-sig
	maxChain           = 8        // certificates in x5c
	maxSignedHeaders   = 16       // names in sigD pars
	maxJSONDepth       = 8        // nesting of the protected header
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Trust holds the trust anchors of the Common Services signatures (the
	// Commission roots; for tests, the root of a test chain). An anchor may
	// also be the signing certificate itself, trusted directly. Required.
	Trust *trust.Store
	// Now is the time at which the chain is validated. Zero means
	// time.Now(). To check a recorded answer, pass its signing time.
	Now time.Time
	// MaxAge, when positive, bounds how far the signed iat may lie from
	// Now, in the past (a replayed old answer) or in the future (a wrong
	// clock); an answer without iat is then refused too. Zero, the
	// default, sets no bound: the specification sets none, and the
	// Commission's services have been seen serving several answers under
	// one signing time, so a service may sign once and serve the answer
	// for a while. Negative is a configuration error.
	MaxAge time.Duration
}

// Validate reports a configuration error, naming the field.
func (o VerifyOptions) Validate() error {
	if o.Trust == nil {
		return errors.New("jades: VerifyOptions.Trust is required (the trust anchors of the Common Services signatures)")
	}
	if o.MaxAge < 0 {
		return errors.New("jades: VerifyOptions.MaxAge must not be negative")
	}
	return nil
}

// Verified is what Verify has checked: the body it verified the digest of,
// the signer's validated chain, and the signed attributes. Callers use these
// values, not the raw headers.
type Verified struct {
	// Body is the verified body (the slice passed to Verify).
	Body []byte
	// Chain is the validated path, signing certificate first, trust
	// anchor last.
	Chain []*x509.Certificate
	// SignedAt is the iat of the protected header, or the zero time if
	// absent. A fractional iat (RFC 7519 NumericDate) keeps its sub-second
	// part to the microsecond.
	SignedAt time.Time
	// SignedHeaders lists the header fields the signature covers (sigD
	// pars), lower-case, in signing order.
	SignedHeaders []string
}

// Verify checks the signature headers of a Common Services answer against
// its body and returns what it verified. The steps follow the JWS and JAdES
// processing rules:
//
//  1. oots-response-sig is one compact JWS with an empty (detached)
//     payload (RFC 7515 §7.1, RFC 7797 §5.2);
//  2. the protected header is base64url of a JSON object without duplicate
//     member names, and without names that differ only by case from one the
//     profile reads, at the top or inside sigD and x5t#o (RFC 7515 §4);
//  3. alg is ES256; every crit name is understood and present, b64 and
//     sigD are critical (RFC 7515 §4.1.11, RFC 7797 §6); b64 is false and
//     sigD uses the HttpHeaders mechanism over at least the digest header
//     (ETSI TS 119 182-1 §5.2.8);
//  4. x5c decodes; kid, x5t#o and x5t#S256, when present, identify x5c[0]
//     (ETSI TS 119 182-1, kid and x5t#o);
//  5. the ES256 signature over BASE64URL(protected) "." and the signed
//     header lines verifies with x5c[0]'s key;
//  6. when opts.MaxAge is set, iat is present and within MaxAge of
//     opts.Now;
//  7. x5c[0] chains to an anchor of opts.Trust at opts.Now, with the other
//     x5c certificates as intermediates (the x5c root is never trusted by
//     itself), and its key usage allows signing;
//  8. the SHA-256 instance digest of the digest header equals the body's.
//
// Errors are *Error values wrapping ErrMissingHeader, ErrMalformed,
// ErrUnsupportedAlgorithm, ErrCriticalParameter, ErrCertificateMismatch,
// ErrBadSignature, ErrStale, ErrUntrustedChain or ErrDigestMismatch; a
// configuration error (opts.Trust nil, opts.MaxAge negative) is returned as a
// plain error.
func Verify(header http.Header, body []byte, opts VerifyOptions) (*Verified, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}

	// 1. The JWS, detached.
	jws, err := single(header, HeaderSignature)
	if err != nil {
		return nil, err
	}
	sig, err := parseCompact(jws)
	if err != nil {
		return nil, err
	}

	// 2.–3. Protected header and profile.
	ph := sig.header
	if err := checkProfile(ph, sig.members); err != nil {
		return nil, err
	}

	var signedAt time.Time
	if ph.Iat != nil {
		if signedAt, err = ph.Iat.time(); err != nil {
			return nil, err
		}
	}

	// 4. Certificates.
	chain, err := parseChain(ph.X5c)
	if err != nil {
		return nil, err
	}
	leaf := chain[0]
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fail(ErrUnsupportedAlgorithm, "x5c[0]", "ES256 needs an ECDSA P-256 key, the certificate holds %s", leaf.PublicKeyAlgorithm)
	}
	if err := checkReferences(ph, leaf); err != nil {
		return nil, err
	}

	// 5. Signature over the signed header lines.
	fields := make([]field, len(ph.SigD.Pars))
	for i, name := range ph.SigD.Pars {
		v, err := single(header, name)
		if err != nil {
			return nil, err
		}
		fields[i] = field{name, v}
	}
	input := signingInput(sig.protected, fields)
	hash := sha256.Sum256(input)
	r := new(big.Int).SetBytes(sig.signature[:32])
	s := new(big.Int).SetBytes(sig.signature[32:])
	if !ecdsa.Verify(pub, hash[:], r, s) {
		return nil, fail(ErrBadSignature, HeaderSignature, "ES256 signature over the protected header and %s does not verify with the key of %q",
			strings.Join(ph.SigD.Pars, ", "), leaf.Subject.String())
	}

	// 6. Signing time, now that the signature covers it.
	if opts.MaxAge > 0 {
		if ph.Iat == nil {
			return nil, fail(ErrStale, "iat", "absent, and VerifyOptions.MaxAge asks for a signing time within %s", opts.MaxAge)
		}
		if d := now.Sub(signedAt); d.Abs() > opts.MaxAge {
			return nil, fail(ErrStale, "iat", "signed at %s, %s from the verification time %s, more than VerifyOptions.MaxAge %s",
				signedAt.Format(time.RFC3339Nano), d.Abs(), now.UTC().Format(time.RFC3339), opts.MaxAge)
		}
	}

	// 7. Chain.
	path, err := opts.Trust.Verify(leaf, trust.Signing, now, chain[1:]...)
	if err != nil {
		return nil, &Error{Kind: ErrUntrustedChain, Field: "x5c", Detail: fmt.Sprintf("checked at %s", now.UTC().Format(time.RFC3339)), Err: err}
	}

	// 8. Body digest (the digest header is among the signed fields).
	var digest string
	for _, f := range fields {
		if f.name == HeaderDigest {
			digest = f.value
		}
	}
	want, err := sha256Digest(digest)
	if err != nil {
		return nil, err
	}
	got := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(want, got[:]) != 1 {
		return nil, fail(ErrDigestMismatch, HeaderDigest, "header says SHA-256=%s, body has SHA-256=%s",
			base64.StdEncoding.EncodeToString(want), base64.StdEncoding.EncodeToString(got[:]))
	}

	return &Verified{Body: body, Chain: path, SignedAt: signedAt, SignedHeaders: append([]string(nil), ph.SigD.Pars...)}, nil
}

// single returns the one value of a header field, matching the name without
// regard to case. An absent field is ErrMissingHeader, a repeated one
// ErrMalformed (a repeated signed field would make the signed text ambiguous).
func single(h http.Header, name string) (string, error) {
	var vals []string
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			vals = append(vals, vs...)
		}
	}
	switch len(vals) {
	case 0:
		return "", fail(ErrMissingHeader, name, "header is absent")
	case 1:
		return strings.Trim(vals[0], " \t"), nil
	default:
		return "", fail(ErrMalformed, name, "header appears %d times", len(vals))
	}
}

// compactJWS is a parsed detached compact JWS.
type compactJWS struct {
	protected string          // the first part, as received
	header    protectedHeader // its decoded JSON
	members   map[string]json.RawMessage
	signature []byte // r || s
}

// parseCompact parses "<protected>..<signature>" (RFC 7515 §7.1 with the
// payload detached, RFC 7515 Appendix F).
func parseCompact(s string) (*compactJWS, error) {
	if len(s) > maxSignatureHeader {
		return nil, fail(ErrMalformed, HeaderSignature, "%d bytes, more than the limit of %d", len(s), maxSignatureHeader)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fail(ErrMalformed, HeaderSignature, "a compact JWS has 3 parts separated by '.', this has %d", len(parts))
	}
	if parts[1] != "" {
		return nil, fail(ErrMalformed, HeaderSignature, "the payload part must be empty (detached content), it has %d characters", len(parts[1]))
	}
	js, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Field: "protected", Detail: "not base64url without padding", Err: err}
	}
	members, err := parseJSONObject(js)
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Field: "protected", Detail: "not a JSON object", Err: err}
	}
	var ph protectedHeader
	if err := json.Unmarshal(js, &ph); err != nil {
		return nil, &Error{Kind: ErrMalformed, Field: "protected", Detail: "parameter of the wrong type", Err: err}
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Field: "signature", Detail: "not base64url without padding", Err: err}
	}
	if len(sig) != 64 {
		if ph.Alg != AlgES256 {
			// alg "none" (an empty signature) or HS256 (32 bytes): say
			// which algorithm is refused, not that the length is wrong.
			return nil, fail(ErrUnsupportedAlgorithm, "alg", "%q; the profile uses %s", ph.Alg, AlgES256)
		}
		return nil, fail(ErrMalformed, "signature", "an ES256 signature has 64 bytes, this has %d", len(sig))
	}
	return &compactJWS{protected: parts[0], header: ph, members: members, signature: sig}, nil
}

// knownMembers are the protected header names the profile decodes, at the
// top level and inside the sigD and x5t#o objects. A member that differs from
// one of them only by case is refused: encoding/json matches names without
// regard to case, JOSE does not (a "mid" is not the "mId" of sigD, and the
// signer of {"mId":A,"MID":B} named mechanism A, not B).
var (
	knownMembers     = []string{"alg", "kid", "x5t#o", "x5t#S256", "x5c", "typ", "b64", "iat", "sigD", "crit"}
	knownSigDMembers = []string{"mId", "pars"}
	knownX5tOMembers = []string{"digAlg", "digVal"}
)

// understoodCrit are the extensions this implementation processes.
var understoodCrit = map[string]bool{"b64": true, "sigD": true}

// registeredNames may not appear in crit (RFC 7515 §4.1.11).
var registeredNames = map[string]bool{"alg": true, "jku": true, "jwk": true, "kid": true, "x5u": true, "x5c": true,
	"x5t": true, "x5t#S256": true, "typ": true, "cty": true, "crit": true}

// checkNames refuses a member of an object whose name differs from a known
// one only by case. prefix names the object in errors ("" for the header
// itself, "sigD." inside sigD).
func checkNames(prefix string, members map[string]json.RawMessage, known []string) error {
	for name := range members {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return fail(ErrMalformed, prefix+name, "header parameter names are case-sensitive; did the signer mean %q?", prefix+k)
			}
		}
	}
	return nil
}

func checkProfile(ph protectedHeader, members map[string]json.RawMessage) error {
	if err := checkNames("", members, knownMembers); err != nil {
		return err
	}
	for name, known := range map[string][]string{"sigD": knownSigDMembers, "x5t#o": knownX5tOMembers} {
		raw, ok := members[name]
		if !ok {
			continue
		}
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(raw, &inner); err != nil {
			return &Error{Kind: ErrMalformed, Field: name, Detail: "not a JSON object", Err: err}
		}
		if err := checkNames(name+".", inner, known); err != nil {
			return err
		}
	}
	if _, ok := members["alg"]; !ok {
		return fail(ErrMalformed, "alg", "parameter is absent")
	}
	if ph.Alg != AlgES256 {
		return fail(ErrUnsupportedAlgorithm, "alg", "%q; the profile uses %s", ph.Alg, AlgES256)
	}

	// crit (RFC 7515 §4.1.11).
	critical := map[string]bool{}
	if raw, ok := members["crit"]; ok {
		if len(ph.Crit) == 0 {
			return fail(ErrMalformed, "crit", "must be a non-empty array, got %s", raw)
		}
		for _, c := range ph.Crit {
			switch {
			case critical[c]:
				return fail(ErrMalformed, "crit", "lists %q twice", c)
			case registeredNames[c]:
				return fail(ErrCriticalParameter, "crit", "%q is a registered JWS parameter and may not be listed", c)
			case !understoodCrit[c]:
				return fail(ErrCriticalParameter, "crit", "%q is not understood", c)
			}
			if _, ok := members[c]; !ok {
				return fail(ErrCriticalParameter, "crit", "%q is listed but absent from the header", c)
			}
			critical[c] = true
		}
	}

	// b64 (RFC 7797 §3, §6).
	if _, ok := members["b64"]; !ok || ph.B64 == nil {
		return fail(ErrMalformed, "b64", "the profile signs unencoded detached content and needs b64 false")
	}
	if !critical["b64"] {
		return fail(ErrCriticalParameter, "b64", "must be listed in crit (RFC 7797 §6)")
	}
	if *ph.B64 {
		return fail(ErrMalformed, "b64", "true is not implemented; the profile uses false")
	}

	// sigD (ETSI TS 119 182-1 §5.2.8).
	if ph.SigD == nil {
		return fail(ErrMalformed, "sigD", "the profile signs HTTP headers and needs sigD")
	}
	if !critical["sigD"] {
		return fail(ErrCriticalParameter, "sigD", "must be listed in crit")
	}
	if ph.SigD.MID != MechanismHTTPHeaders {
		return fail(ErrMalformed, "sigD.mId", "%q is not implemented; the profile uses %s", ph.SigD.MID, MechanismHTTPHeaders)
	}
	if len(ph.SigD.Pars) == 0 || len(ph.SigD.Pars) > maxSignedHeaders {
		return fail(ErrMalformed, "sigD.pars", "needs 1 to %d header names, has %d", maxSignedHeaders, len(ph.SigD.Pars))
	}
	seen := map[string]bool{}
	for _, p := range ph.SigD.Pars {
		if !isLowerToken(p) {
			return fail(ErrMalformed, "sigD.pars", "%q is not a lower-case header field name", p)
		}
		if seen[p] {
			return fail(ErrMalformed, "sigD.pars", "lists %q twice", p)
		}
		seen[p] = true
	}
	if !seen[HeaderDigest] {
		return fail(ErrMalformed, "sigD.pars", "does not cover %q, so the body would not be signed", HeaderDigest)
	}
	return nil
}

// isLowerToken reports whether s is a lower-case HTTP field name (RFC 9110
// §5.1 token). Pseudo-headers such as "(request-target)" are not tokens.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseChain decodes x5c: standard base64 (not base64url) DER certificates
// (RFC 7515 §4.1.6).
func parseChain(x5c []string) ([]*x509.Certificate, error) {
	if len(x5c) == 0 {
		return nil, fail(ErrMalformed, "x5c", "no certificate")
	}
	if len(x5c) > maxChain {
		return nil, fail(ErrMalformed, "x5c", "%d certificates, more than the limit of %d", len(x5c), maxChain)
	}
	chain := make([]*x509.Certificate, len(x5c))
	for i, s := range x5c {
		name := fmt.Sprintf("x5c[%d]", i)
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, &Error{Kind: ErrMalformed, Field: name, Detail: "not base64", Err: err}
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, &Error{Kind: ErrMalformed, Field: name, Detail: "not a DER certificate", Err: err}
		}
		chain[i] = c
	}
	return chain, nil
}

// checkReferences checks that kid, x5t#o and x5t#S256 identify leaf.
func checkReferences(ph protectedHeader, leaf *x509.Certificate) error {
	if ph.Kid != "" {
		der, err := base64.StdEncoding.Strict().DecodeString(ph.Kid)
		if err != nil {
			return &Error{Kind: ErrMalformed, Field: "kid", Detail: "not base64 of an IssuerSerial", Err: err}
		}
		var is issuerSerial
		rest, err := asn1.Unmarshal(der, &is)
		if err != nil || len(rest) != 0 || len(is.Issuer) != 1 || is.Serial == nil {
			return &Error{Kind: ErrMalformed, Field: "kid", Detail: "not a DER IssuerSerial with one issuer name", Err: err}
		}
		dn := is.Issuer[0]
		if dn.Class != asn1.ClassContextSpecific || dn.Tag != 4 {
			return fail(ErrMalformed, "kid", "issuer is not a directoryName")
		}
		if !bytes.Equal(dn.Bytes, leaf.RawIssuer) || is.Serial.Cmp(leaf.SerialNumber) != 0 {
			return fail(ErrCertificateMismatch, "kid", "names serial %s of another issuer or certificate than x5c[0] (serial %s)", is.Serial, leaf.SerialNumber)
		}
	}
	if ph.X5tO != nil {
		var sum []byte
		switch ph.X5tO.DigAlg {
		case digestS256:
			s := sha256.Sum256(leaf.Raw)
			sum = s[:]
		case digestS384:
			s := sha512.Sum384(leaf.Raw)
			sum = s[:]
		case digestS512:
			s := sha512.Sum512(leaf.Raw)
			sum = s[:]
		default:
			return fail(ErrUnsupportedAlgorithm, "x5t#o.digAlg", "%q; supported are %s, %s, %s", ph.X5tO.DigAlg, digestS256, digestS384, digestS512)
		}
		got, err := base64.RawURLEncoding.Strict().DecodeString(ph.X5tO.DigVal)
		if err != nil {
			return &Error{Kind: ErrMalformed, Field: "x5t#o.digVal", Detail: "not base64url without padding", Err: err}
		}
		if !bytes.Equal(got, sum) {
			return fail(ErrCertificateMismatch, "x5t#o", "the %s thumbprint is not that of x5c[0]", ph.X5tO.DigAlg)
		}
	}
	if ph.X5tS256 != "" {
		got, err := base64.RawURLEncoding.Strict().DecodeString(ph.X5tS256)
		if err != nil {
			return &Error{Kind: ErrMalformed, Field: "x5t#S256", Detail: "not base64url without padding", Err: err}
		}
		sum := sha256.Sum256(leaf.Raw)
		if !bytes.Equal(got, sum[:]) {
			return fail(ErrCertificateMismatch, "x5t#S256", "the thumbprint is not that of x5c[0]")
		}
	}
	return nil
}

// sha256Digest returns the SHA-256 instance digest of a digest header value
// (RFC 3230 §4.3.2: comma-separated "algorithm=value", algorithm names
// case-insensitive, values base64).
func sha256Digest(v string) ([]byte, error) {
	var found []byte
	for _, item := range strings.Split(v, ",") {
		item = strings.Trim(item, " \t")
		alg, val, ok := strings.Cut(item, "=")
		if !ok || alg == "" {
			return nil, fail(ErrMalformed, HeaderDigest, "%q is not algorithm=value", item)
		}
		if !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		if found != nil {
			return nil, fail(ErrMalformed, HeaderDigest, "more than one SHA-256 digest")
		}
		d, err := base64.StdEncoding.Strict().DecodeString(val)
		if err != nil || len(d) != sha256.Size {
			return nil, &Error{Kind: ErrMalformed, Field: HeaderDigest, Detail: fmt.Sprintf("SHA-256 value %q is not base64 of 32 bytes", val), Err: err}
		}
		found = d
	}
	if found == nil {
		return nil, fail(ErrUnsupportedAlgorithm, HeaderDigest, "%q has no SHA-256 digest", v)
	}
	return found, nil
}

// parseJSONObject parses a JSON object strictly: one value, an object at the
// top, no duplicate member names at any level, bounded nesting. It returns
// the top-level members.
func parseJSONObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("top-level value is not an object")
	}
	if err := skipObject(dec, 1); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// skipObject consumes the members of an object whose '{' has been read,
// refusing duplicate names.
func skipObject(dec *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("nested too deeply")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, ok := tok.(string)
		if !ok {
			return errors.New("member name is not a string")
		}
		if seen[name] {
			return fmt.Errorf("member %q appears twice", name)
		}
		seen[name] = true
		if err := skipValue(dec, depth); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

func skipValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		return skipObject(dec, depth+1)
	case '[':
		if depth+1 > maxJSONDepth {
			return errors.New("nested too deeply")
		}
		for dec.More() {
			if err := skipValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	return fmt.Errorf("unexpected %v", d)
}

// Package pki makes test keys and certificates for demos and tests of the
// eDelivery AS4 security profiles: a certificate authority, and for each
// access point a signing certificate and an encryption certificate.
//
// The profile (wssec.Profile) selects the key types:
//
//   - wssec.AS4v115 (eDelivery AS4 1.15): one RSA-2048 key and certificate
//     for signing (rsa-sha256) and key transport (rsa-oaep), key usage
//     digitalSignature, nonRepudiation and keyEncipherment.
//   - wssec.AS4v20 (eDelivery AS4 2.0): an Ed25519 signing certificate
//     (digitalSignature, nonRepudiation; RFC 8410 §5) and an X25519
//     key agreement certificate (keyAgreement only; RFC 8410 §5).
//
// crypto/x509 cannot issue a certificate for an X25519 key, so the encryption
// certificate is issued for a placeholder with the same 32 octets and its
// SubjectPublicKeyInfo algorithm is changed to id-X25519 (1.3.101.110,
// RFC 8410 §3) before the CA signs the final TBSCertificate.
//
// These certificates are for tests and demonstrations, not for production.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/oots-go/oots/wssec"
)

// Credential is a private key with its certificate.
type Credential struct {
	Key  crypto.PrivateKey // *rsa.PrivateKey, ed25519.PrivateKey or *ecdh.PrivateKey (X25519)
	Cert *x509.Certificate
}

// Signer returns the key as a crypto.Signer (nil for an X25519 key).
func (c *Credential) Signer() crypto.Signer {
	s, _ := c.Key.(crypto.Signer)
	return s
}

// Party holds an access point's credentials. For wssec.AS4v115 Sign and
// Encrypt are the same credential.
type Party struct {
	Sign, Encrypt *Credential
}

// Options control issuance. Zero fields take the documented defaults.
type Options struct {
	Rand     io.Reader     // default crypto/rand.Reader
	Now      time.Time     // NotBefore; default time.Now()
	Validity time.Duration // default 2 years (CA: 10 years)
	// Organization and Country of the subject; default "oots test", "EU".
	Organization, Country string
	// OCSPServer and CRLDistributionPoints, when set, are written into the
	// end-entity certificates Issue makes (RFC 5280 §4.2.2.1 authority
	// information access, §4.2.1.13): where a relying party checks their
	// revocation online (trust.Online).
	OCSPServer, CRLDistributionPoints []string
}

func (o *Options) defaults(ca bool) Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Rand == nil {
		r.Rand = rand.Reader
	}
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	if r.Validity == 0 {
		r.Validity = 2 * 365 * 24 * time.Hour
		if ca {
			r.Validity = 10 * 365 * 24 * time.Hour
		}
	}
	if r.Organization == "" {
		r.Organization = "oots test"
	}
	if r.Country == "" {
		r.Country = "EU"
	}
	return r
}

func serial(r io.Reader) (*big.Int, error) {
	return rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 127))
}

func subject(cn string, o Options) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{o.Organization}, Country: []string{o.Country}}
}

// NewCA makes a self-signed certificate authority with an RSA-2048 key
// (wssec.AS4v115) or an Ed25519 key (wssec.AS4v20).
func NewCA(name string, p wssec.Profile, opt *Options) (*Credential, error) {
	o := opt.defaults(true)
	key, err := signingKey(p, o.Rand)
	if err != nil {
		return nil, err
	}
	sn, err := serial(o.Rand)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: sn, Subject: subject(name, o),
		NotBefore: o.Now.Add(-time.Minute), NotAfter: o.Now.Add(o.Validity),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(o.Rand, tpl, tpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return &Credential{Key: key, Cert: c}, nil
}

func signingKey(p wssec.Profile, r io.Reader) (crypto.Signer, error) {
	switch p {
	case wssec.AS4v115:
		return rsa.GenerateKey(r, 2048)
	case wssec.AS4v20:
		_, k, err := ed25519.GenerateKey(r)
		return k, err
	}
	return nil, fmt.Errorf("pki: unknown profile %q (%s or %s)", p, wssec.AS4v115, wssec.AS4v20)
}

// Issue makes the credentials of access point name (e.g. "AP_FR_01"),
// signed by ca.
func Issue(ca *Credential, name string, p wssec.Profile, opt *Options) (*Party, error) {
	o := opt.defaults(false)
	caKey, ok := ca.Key.(crypto.Signer)
	if !ok {
		return nil, errors.New("pki: the CA key cannot sign")
	}
	key, err := signingKey(p, o.Rand)
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	if p == wssec.AS4v115 {
		usage |= x509.KeyUsageKeyEncipherment
	}
	sign, err := issue(ca.Cert, caKey, name, key.Public(), usage, o)
	if err != nil {
		return nil, err
	}
	party := &Party{Sign: &Credential{Key: key, Cert: sign}}
	if p == wssec.AS4v115 {
		party.Encrypt = party.Sign
		return party, nil
	}
	xk, err := ecdh.X25519().GenerateKey(o.Rand)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	enc, err := issueX25519(ca.Cert, caKey, name, xk.PublicKey(), o)
	if err != nil {
		return nil, err
	}
	party.Encrypt = &Credential{Key: xk, Cert: enc}
	return party, nil
}

func issue(caCert *x509.Certificate, caKey crypto.Signer, name string, pub crypto.PublicKey, usage x509.KeyUsage, o Options) (*x509.Certificate, error) {
	der, err := issueDER(caCert, caKey, name, pub, usage, o)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return c, nil
}

func issueDER(caCert *x509.Certificate, caKey crypto.Signer, name string, pub crypto.PublicKey, usage x509.KeyUsage, o Options) ([]byte, error) {
	sn, err := serial(o.Rand)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: sn, Subject: subject(name, o),
		NotBefore: o.Now.Add(-time.Minute), NotAfter: o.Now.Add(o.Validity),
		BasicConstraintsValid: true, KeyUsage: usage,
		OCSPServer: o.OCSPServer, CRLDistributionPoints: o.CRLDistributionPoints,
	}
	der, err := x509.CreateCertificate(o.Rand, tpl, caCert, pub, caKey)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return der, nil
}

// SubjectPublicKeyInfo prefixes of RFC 8410 §4 for 32-octet keys.
var (
	spkiEd25519 = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
	spkiX25519  = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00}
)

type certASN1 struct {
	TBS asn1.RawValue
	Alg asn1.RawValue
	Sig asn1.BitString
}

func issueX25519(caCert *x509.Certificate, caKey crypto.Signer, name string, pub *ecdh.PublicKey, o Options) (*x509.Certificate, error) {
	raw := pub.Bytes()
	der, err := issueDER(caCert, caKey, name, ed25519.PublicKey(raw), x509.KeyUsageKeyAgreement, o)
	if err != nil {
		return nil, err
	}
	var c certASN1
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	old := append(append([]byte{}, spkiEd25519...), raw...)
	if bytes.Count(c.TBS.FullBytes, old) != 1 {
		return nil, errors.New("pki: cannot locate the placeholder key in the certificate")
	}
	tbs := bytes.Replace(c.TBS.FullBytes, old, append(append([]byte{}, spkiX25519...), raw...), 1)
	var sig []byte
	switch caKey.Public().(type) {
	case ed25519.PublicKey:
		sig, err = caKey.Sign(o.Rand, tbs, crypto.Hash(0))
	case *rsa.PublicKey:
		h := sha256.Sum256(tbs)
		sig, err = caKey.Sign(o.Rand, h[:], crypto.SHA256)
	default:
		return nil, fmt.Errorf("pki: CA key %T not supported", caKey.Public())
	}
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	c.TBS = asn1.RawValue{FullBytes: tbs}
	c.Sig = asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	out, err := asn1.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := x509.ParseCertificate(out)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	if err := cert.CheckSignatureFrom(caCert); err != nil {
		return nil, fmt.Errorf("pki: X25519 certificate: %w", err)
	}
	return cert, nil
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM encodes a private key as PKCS#8 PEM ("PRIVATE KEY").
func KeyPEM(k crypto.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKeyPEM decodes a PKCS#8 (or PKCS#1 "RSA PRIVATE KEY") PEM private key.
func ParseKeyPEM(data []byte) (crypto.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("pki: no PEM block")
	}
	switch b.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: %w", err)
		}
		return k, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("pki: PEM block %q is not a private key", b.Type)
}

// ParseCertPEM decodes the first certificate of a PEM input.
func ParseCertPEM(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("pki: no CERTIFICATE PEM block")
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: %w", err)
			}
			return c, nil
		}
	}
}

// CRL returns a PEM "X509 CRL" signed by ca revoking the given certificates
// (RFC 5280 §5), valid from now for validity (default 7 days). Loaded into
// a trust.Store, it makes those certificates fail validation.
func CRL(ca *Credential, revoked []*x509.Certificate, number int64, opt *Options) ([]byte, error) {
	o := opt.defaults(false)
	if opt == nil || opt.Validity == 0 {
		o.Validity = 7 * 24 * time.Hour
	}
	key, ok := ca.Key.(crypto.Signer)
	if !ok {
		return nil, errors.New("pki: the CA key cannot sign")
	}
	var entries []x509.RevocationListEntry
	for _, c := range revoked {
		if !bytes.Equal(c.RawIssuer, ca.Cert.RawSubject) {
			return nil, fmt.Errorf("pki: %q was not issued by %q", c.Subject.String(), ca.Cert.Subject.String())
		}
		entries = append(entries, x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: o.Now})
	}
	der, err := x509.CreateRevocationList(o.Rand, &x509.RevocationList{
		Number: big.NewInt(number), ThisUpdate: o.Now, NextUpdate: o.Now.Add(o.Validity),
		RevokedCertificateEntries: entries,
	}, ca.Cert, key)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}

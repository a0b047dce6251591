// Package trust validates the certificates of AS4 peers: path validation of a
// sender's signing certificate (the X.509 BinarySecurityToken of WS-Security,
// eDelivery AS4 profile §"Message Signing") and of a recipient's encryption
// certificate against a configured trust store, with key usage and validity
// checked at a given time (RFC 5280 §6; key usage §4.2.1.3).
//
// A Store holds trust anchors (self-signed roots, or directly trusted
// end-entity certificates as eDelivery deployments often configure them in a
// truststore), intermediates and certificate revocation lists (RFC 5280 §5,
// configured offline; OCSP and CRL distribution points are not fetched). It
// is safe for concurrent use once loaded.
package trust

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// Errors returned (wrapped) by Store.Verify. Callers branch with errors.Is.
var (
	// ErrUntrusted: no chain from the certificate to a trust anchor of the store.
	ErrUntrusted = errors.New("certificate not trusted")
	// ErrExpired: the certificate (or one in its chain) is not valid at the
	// time of verification.
	ErrExpired = errors.New("certificate not valid at this time")
	// ErrKeyUsage: the certificate's key usage does not allow the purpose.
	ErrKeyUsage = errors.New("certificate key usage does not allow this purpose")
	// ErrNoCertificates: a PEM bundle held no certificate.
	ErrNoCertificates = errors.New("no certificate in PEM input")
	// ErrRevoked: a certificate of the chain is listed in a CRL of the store.
	ErrRevoked = errors.New("certificate revoked")
)

// Purpose is what a certificate is validated for; it selects the key usage
// bits that must be present (RFC 5280 §4.2.1.3).
type Purpose int

// Purposes.
const (
	// AnyPurpose checks the path and validity only.
	AnyPurpose Purpose = iota
	// Signing requires digitalSignature or nonRepudiation (contentCommitment).
	Signing
	// KeyTransport requires keyEncipherment (RSA-OAEP key transport).
	KeyTransport
	// KeyAgreement requires keyAgreement (X25519 key agreement).
	KeyAgreement
)

// String names the purpose in error messages.
func (p Purpose) String() string {
	switch p {
	case Signing:
		return "signing"
	case KeyTransport:
		return "key transport"
	case KeyAgreement:
		return "key agreement"
	}
	return "any purpose"
}

// Store is a set of trust anchors and intermediate certificates.
// The zero value is an empty store that trusts nothing.
//
// A Store remembers the chains it validated (see Verify), so it must not
// be copied after first use; a reload of the trust configuration is a new
// Store, which starts with no chain remembered.
type Store struct {
	anchors       []*x509.Certificate
	intermediates []*x509.Certificate
	crls          []*x509.RevocationList
	online        *Online
	paths         pathCache
}

// SetOnline makes Verify check the revocation of every certificate of a
// validated chain but its anchor online with o, after the offline CRLs;
// nil turns online checking off. Call it before the store is shared.
func (s *Store) SetOnline(o *Online) {
	s.online = o
	s.paths.clear()
}

// Online returns the online revocation checker of the store, or nil.
func (s *Store) Online() *Online {
	if s == nil {
		return nil
	}
	return s.online
}

// revoked checks chain against the offline CRLs, then online.
func (s *Store) revoked(chain []*x509.Certificate) error {
	if err := s.checkRevocation(chain); err != nil {
		return err
	}
	if s.online != nil {
		return s.online.checkChain(context.Background(), chain)
	}
	return nil
}

// NewStore returns a store trusting the given anchors.
func NewStore(anchors ...*x509.Certificate) *Store {
	s := &Store{}
	for _, c := range anchors {
		s.AddAnchor(c)
	}
	return s
}

// AddAnchor trusts c: a root CA, or an end-entity certificate trusted as such.
func (s *Store) AddAnchor(c *x509.Certificate) {
	s.anchors = append(s.anchors, c)
	s.paths.clear()
}

// AddIntermediate adds a certificate that may complete a path but is not
// trusted by itself.
func (s *Store) AddIntermediate(c *x509.Certificate) {
	s.intermediates = append(s.intermediates, c)
	s.paths.clear()
}

// AddCRL adds a certificate revocation list (DER or PEM "X509 CRL"). Its
// signature is checked against the store's anchors and intermediates when a
// chain is validated: a CRL whose issuer is not in the chain is ignored, one
// whose signature does not verify is an error then.
func (s *Store) AddCRL(data []byte) error {
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "X509 CRL" {
			return fmt.Errorf("trust: PEM block %q is not an X509 CRL", b.Type)
		}
		data = b.Bytes
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	s.crls = append(s.crls, crl)
	s.paths.clear()
	return nil
}

// checkRevocation looks up every certificate of chain (leaf first) in the
// CRLs issued by the next certificate of the chain (RFC 5280 §6.3, without
// delta CRLs or distribution points: the store's CRLs are configured
// offline). A CRL past its NextUpdate still counts: a stale list is better
// evidence than none, and refreshing it is the operator's job.
func (s *Store) checkRevocation(chain []*x509.Certificate) error {
	for i, c := range chain {
		issuer := c
		if i+1 < len(chain) {
			issuer = chain[i+1]
		}
		for _, crl := range s.crls {
			if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
				continue
			}
			if err := crl.CheckSignatureFrom(issuer); err != nil {
				return fmt.Errorf("trust: CRL of %q: %w", issuer.Subject.String(), err)
			}
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber.Cmp(c.SerialNumber) == 0 && bytes.Equal(c.RawIssuer, crl.RawIssuer) {
					return fmt.Errorf("trust: %w: %q (serial %s) since %s", ErrRevoked, c.Subject.String(), c.SerialNumber, e.RevocationTime.UTC().Format(time.RFC3339))
				}
			}
		}
	}
	return nil
}

// Anchors returns the trust anchors of the store.
func (s *Store) Anchors() []*x509.Certificate { return append([]*x509.Certificate(nil), s.anchors...) }

// ParsePEM parses every CERTIFICATE block of a PEM bundle. Other block types
// are skipped. It returns ErrNoCertificates when there is none.
func ParsePEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			if len(certs) == 0 {
				return nil, fmt.Errorf("trust: not PEM data")
			}
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("trust: certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificates
	}
	return certs, nil
}

// AddPEM adds every certificate of a PEM bundle as a trust anchor and every
// "X509 CRL" block as a revocation list. Input with neither returns
// ErrNoCertificates.
func (s *Store) AddPEM(data []byte) error {
	found := false
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return fmt.Errorf("trust: %w", err)
			}
			s.AddAnchor(c)
			found = true
		case "X509 CRL":
			if err := s.AddCRL(b.Bytes); err != nil {
				return err
			}
			found = true
		}
	}
	if !found {
		return ErrNoCertificates
	}
	return nil
}

// LoadFiles returns a store whose anchors are the certificates (and whose
// revocation lists are the CRLs) of the given PEM files.
func LoadFiles(paths ...string) (*Store, error) {
	s := &Store{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("trust: %w", err)
		}
		if err := s.AddPEM(b); err != nil {
			return nil, fmt.Errorf("trust: %s: %w", p, err)
		}
	}
	return s, nil
}

// Verify validates cert for purpose at time at: a chain to an anchor of the
// store (using the store's intermediates and the extra ones given, e.g. from
// the message), every certificate of the chain valid at at, none of them
// revoked by a CRL of the store nor, with SetOnline, online (checked as of
// now, whatever at), and the key usage of cert allowing purpose.
// It returns the chain, leaf first.
//
// An anchor equal to cert is accepted without a chain (directly trusted
// peer certificate), still subject to validity and key usage.
// Errors wrap ErrUntrusted, ErrExpired, ErrKeyUsage, ErrRevoked or
// ErrRevocationUnknown.
//
// A peer signs every message with the same certificate, so the store
// remembers the chains it built (keyed by cert and extra): a later call
// with the same certificates reuses the chain without building the path or
// checking its signatures and offline CRLs again, as long as at lies
// within the validity of every certificate of the chain. The online
// revocation status is still asked at every call (Online keeps each answer
// only until its nextUpdate), and a remembered chain that it refuses is
// forgotten and the path built afresh. Failures are not remembered, and
// adding an anchor, an intermediate or a CRL, or setting the online
// checker, forgets every chain.
func (s *Store) Verify(cert *x509.Certificate, purpose Purpose, at time.Time, extra ...*x509.Certificate) ([]*x509.Certificate, error) {
	if s == nil || cert == nil {
		return nil, fmt.Errorf("trust: %w: no store or no certificate", ErrUntrusted)
	}
	if at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
		return nil, fmt.Errorf("trust: %w: %q valid %s to %s, checked at %s", ErrExpired,
			cert.Subject.String(), cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if err := checkUsage(cert, purpose); err != nil {
		return nil, err
	}
	for _, a := range s.anchors {
		if a.Equal(cert) {
			chain := []*x509.Certificate{cert}
			if err := s.revoked(chain); err != nil {
				return nil, err
			}
			return chain, nil
		}
	}
	key := pathKey(cert, extra)
	if e, ok := s.paths.get(key, at); ok {
		if s.online == nil {
			return slices.Clone(e.chain), nil
		}
		err := s.online.checkChain(context.Background(), e.chain)
		if err == nil {
			return slices.Clone(e.chain), nil
		}
		s.paths.forget(key)
		if !e.otherChains {
			return nil, err
		}
		// Refused online: another chain may still do.
	}
	roots := x509.NewCertPool()
	for _, a := range s.anchors {
		roots.AddCert(a)
	}
	inter := x509.NewCertPool()
	for _, c := range s.intermediates {
		inter.AddCert(c)
	}
	for _, c := range extra {
		inter.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return nil, fmt.Errorf("trust: %w: %w", ErrExpired, err)
		}
		return nil, fmt.Errorf("trust: %w: %q: %w", ErrUntrusted, cert.Subject.String(), err)
	}
	// Any chain that is not revoked will do.
	var rerr error
	for _, chain := range chains {
		if rerr = s.revoked(chain); rerr == nil {
			s.paths.put(key, cachedPath{chain: chain, otherChains: len(chains) > 1}, at)
			return chain, nil
		}
	}
	return nil, rerr
}

// maxPaths bounds the chains a Store remembers: a node has a few partners,
// each with a signing certificate or two during a rollover.
const maxPaths = 1024

// pathCache holds the chains Verify built, by pathKey. The zero value is
// empty and ready.
type pathCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]cachedPath
}

// cachedPath is a chain validated once, and the period in which every one
// of its certificates is valid: path validation (RFC 5280 §6.1) depends on
// the time only through these validity periods, so the chain holds at any
// time within it.
type cachedPath struct {
	chain               []*x509.Certificate
	notBefore, notAfter time.Time
	// otherChains: path building found more than one chain to an anchor.
	otherChains bool
}

// pathKey identifies a validation request: the certificate and the extra
// intermediates offered with it, each length-prefixed.
func pathKey(cert *x509.Certificate, extra []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, c := range append([]*x509.Certificate{cert}, extra...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns the chain remembered under key if every certificate of it is
// valid at at.
func (p *pathCache) get(key [sha256.Size]byte, at time.Time) (cachedPath, bool) {
	p.mu.Lock()
	e, ok := p.m[key]
	p.mu.Unlock()
	if !ok || at.Before(e.notBefore) || at.After(e.notAfter) {
		return cachedPath{}, false
	}
	return e, true
}

// put remembers e's chain, validated at at, under key. When the cache is
// full, the chains no longer valid at at go first, then arbitrary ones.
func (p *pathCache) put(key [sha256.Size]byte, e cachedPath, at time.Time) {
	chain := e.chain
	e.notBefore, e.notAfter = chain[0].NotBefore, chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotBefore.After(e.notBefore) {
			e.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(e.notAfter) {
			e.notAfter = c.NotAfter
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[[sha256.Size]byte]cachedPath{}
	}
	if len(p.m) >= maxPaths {
		for k, v := range p.m {
			if at.After(v.notAfter) {
				delete(p.m, k)
			}
		}
		for k := range p.m {
			if len(p.m) < maxPaths {
				break
			}
			delete(p.m, k)
		}
	}
	p.m[key] = e
}

func (p *pathCache) forget(key [sha256.Size]byte) {
	p.mu.Lock()
	delete(p.m, key)
	p.mu.Unlock()
}

func (p *pathCache) clear() {
	p.mu.Lock()
	p.m = nil
	p.mu.Unlock()
}

func checkUsage(c *x509.Certificate, p Purpose) error {
	var need x509.KeyUsage
	switch p {
	case AnyPurpose:
		return nil
	case Signing:
		need = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	case KeyTransport:
		need = x509.KeyUsageKeyEncipherment
	case KeyAgreement:
		need = x509.KeyUsageKeyAgreement
	}
	// RFC 5280 §4.2.1.3: without the extension, the key may serve any purpose.
	if c.KeyUsage == 0 || c.KeyUsage&need != 0 {
		return nil
	}
	return fmt.Errorf("trust: %w: %q is not for %s", ErrKeyUsage, c.Subject.String(), p)
}

package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
)

// IssueES256 makes an ECDSA P-256 signing credential named name, signed by
// ca: the key type of the Common Services response signatures (ES256, OOTS
// TDD 3.6.2; package jades). Key usage digitalSignature and
// nonRepudiation. The Credential's Key is an *ecdsa.PrivateKey, which
// WriteFiles and LoadCredential handle as PKCS#8.
func IssueES256(ca *Credential, name string, opt *Options) (*Credential, error) {
	o := opt.defaults(false)
	caKey, ok := ca.Key.(crypto.Signer)
	if !ok {
		return nil, errors.New("pki: the CA key cannot sign")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := issue(ca.Cert, caKey, name, key.Public(), x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment, o)
	if err != nil {
		return nil, err
	}
	return &Credential{Key: key, Cert: cert}, nil
}

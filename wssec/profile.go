package wssec

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/oots-go/oots/xmldsig"
)

// ErrKeyType is returned by ProfileFor for a key that belongs to no
// eDelivery AS4 profile (ECDSA, an X25519 key's cousins, nil...).
var ErrKeyType = errors.New("wssec: key of no eDelivery AS4 profile")

// ProfileFor returns the profile a key implies: AS4v115 for RSA (RSA-SHA256
// signatures, RSA-OAEP key transport), AS4v20 for Ed25519 (signatures) and
// X25519 (key agreement). key is a private or public key, a certificate,
// or a key that lives in a token and shows its public half (a
// crypto.Signer, crypto.Decrypter or xmlenc.KeyAgreer). Any other key
// gives an error wrapping ErrKeyType.
//
// It is the one place that says which profile a key belongs to: the
// access point's start-up checks, the doctor, the conformance kit and the
// SMP signer all ask it.
func ProfileFor(key any) (Profile, error) {
	switch k := key.(type) {
	case *x509.Certificate:
		if k != nil {
			key = k.PublicKey
		}
	case *rsa.PrivateKey, ed25519.PrivateKey, *ecdh.PrivateKey:
	case interface{ Public() crypto.PublicKey }:
		key = k.Public()
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k != nil {
			return AS4v115, nil
		}
	case *rsa.PrivateKey:
		if k != nil {
			return AS4v115, nil
		}
	case ed25519.PublicKey, ed25519.PrivateKey:
		return AS4v20, nil
	case *ecdh.PublicKey:
		if k != nil && k.Curve() == ecdh.X25519() {
			return AS4v20, nil
		}
	case *ecdh.PrivateKey:
		if k != nil && k.Curve() == ecdh.X25519() {
			return AS4v20, nil
		}
	}
	return "", fmt.Errorf("%w: %T", ErrKeyType, key)
}

// SignatureMethod is the XML signature algorithm of the profile
// (RSA-SHA256 or Ed25519), "" for an unknown profile.
func (p Profile) SignatureMethod() xmldsig.SignatureMethod {
	alg, _ := p.algorithms()
	return alg.signature
}

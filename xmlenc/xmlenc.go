// Package xmlenc implements the parts of W3C XML Encryption 1.1
// (https://www.w3.org/TR/xmlenc-core1/) that eDelivery AS4 uses to encrypt
// SOAP-with-Attachments parts (OASIS WSS SwA Profile 1.1 §5.3):
//
//   - content encryption: AES-128-GCM (xmlenc11#aes128-gcm, §5.2.4), streamed
//     (EncryptGCM, DecryptGCM, DecryptGCMToFile) so that memory does not grow
//     with the attachment; the part carries IV ‖ ciphertext ‖ tag under the
//     Attachment-Ciphertext-Transform;
//   - key transport (eDelivery AS4 1.15): RSA-OAEP (xmlenc11#rsa-oaep, §5.5.2)
//     with MGF1-SHA256 (xmlenc11#mgf1sha256) and a SHA-256 digest; read
//     also with MGF1-SHA1 (xmlenc11#mgf1sha1, which an EncryptionMethod
//     without xenc11:MGF means), and with a SHA-1 (which one without
//     ds:DigestMethod means), SHA-384 or SHA-512 digest, when the
//     KeyPolicy lists them;
//   - key agreement (eDelivery AS4 2.0): X25519 (RFC 7748; identifier
//     xmldsig-more#x25519 of RFC 9231) with an ephemeral originator key, HKDF
//     (RFC 5869) with HMAC-SHA256 as key derivation, and AES-128 key wrap
//     (xmlenc#kw-aes128, RFC 3394) of the content key.
//
// The XML of the key agreement follows XML Encryption 1.1 §5.6
// (xenc:AgreementMethod carrying xenc11:KeyDerivationMethod,
// xenc:OriginatorKeyInfo and xenc:RecipientKeyInfo, inside the
// EncryptedKey's ds:KeyInfo). The texts available to us name the algorithms
// of the eDelivery AS4 2.0 profile (X25519, HKDF with HMAC-SHA256, AES-128
// key wrap) but do not pin every element, so the form is a documented choice
// built from the published identifiers:
//
//   - key agreement Algorithm xmldsig-more#x25519 and key derivation
//     xmldsig-more#hkdf (the 2021/04 xmldsig-more namespace of RFC 9231);
//   - HKDF parameters in dsig-more:HKDFParams: PRF (Algorithm
//     xmldsig-more#hmac-sha256 of RFC 6931), Salt and Info (base64), and
//     KeyLength in octets (16), as Apache Santuario (inside WSS4J, hence
//     Domibus and phase4) writes them;
//   - the originator's ephemeral X25519 key as a dsig11:DEREncodedKeyValue
//     child of OriginatorKeyInfo (a SubjectPublicKeyInfo, RFC 8410; XML
//     Signature 1.1 §4.5.4); inside ds:KeyValue it is accepted too.
//   - Info is the key wrap algorithm URI, Salt 32 random octets.
//
// The tests check this form both ways against an independent helper built on
// python-cryptography (testdata/swa_crypto.py). Should the profile's
// published examples differ, EncryptedKey.Element and ParseEncryptedKey are
// the only writer and reader to change.
package xmlenc

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// Namespaces and the prefixes we write.
const (
	Namespace         = "http://www.w3.org/2001/04/xmlenc#"
	Prefix            = "xenc"
	Namespace11       = "http://www.w3.org/2009/xmlenc11#"
	Prefix11          = "xenc11"
	NamespaceDSig11   = "http://www.w3.org/2009/xmldsig11#"
	NamespaceDSigMore = "http://www.w3.org/2021/04/xmldsig-more#"
	PrefixDSigMore    = "dsig-more"
)

// Algorithm is an XML Encryption algorithm URI.
type Algorithm string

// Algorithms of the eDelivery AS4 profiles.
const (
	AES128GCM  Algorithm = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	RSAOAEP    Algorithm = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
	MGF1SHA256 Algorithm = "http://www.w3.org/2009/xmlenc11#mgf1sha256"
	// MGF1SHA1 is MGF1 with SHA-1, the mask generation function of an
	// RSAOAEP EncryptionMethod without xenc11:MGF (XML Encryption 1.1
	// §5.5.2). The eDelivery AS4 profiles require MGF1SHA256; a KeyPolicy
	// accepts MGF1SHA1 only when it lists it.
	MGF1SHA1 Algorithm = "http://www.w3.org/2009/xmlenc11#mgf1sha1"
	SHA256   Algorithm = "http://www.w3.org/2001/04/xmlenc#sha256"
	// SHA384 and SHA512 are OAEP digests a KeyPolicy may list
	// (KeyPolicy.Digests; XML Encryption 1.1 §5.7.3, §5.7.4).
	SHA384     Algorithm = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA512     Algorithm = "http://www.w3.org/2001/04/xmlenc#sha512"
	KWAES128   Algorithm = "http://www.w3.org/2001/04/xmlenc#kw-aes128"
	X25519     Algorithm = "http://www.w3.org/2021/04/xmldsig-more#x25519"
	HKDF       Algorithm = "http://www.w3.org/2021/04/xmldsig-more#hkdf"
	HMACSHA256 Algorithm = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"

	// AttachmentCiphertext is the SwA Profile 1.1 transform of a
	// CipherReference to an encrypted attachment.
	AttachmentCiphertext Algorithm = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform"
	// TypeAttachmentContentOnly is the EncryptedData Type of an attachment
	// whose content (not MIME headers) is encrypted.
	TypeAttachmentContentOnly = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only"
)

// Errors callers branch on.
var (
	// ErrAlgorithm: an algorithm other than the ones the profile allows.
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrMalformed: the EncryptedKey/EncryptedData structure is wrong.
	ErrMalformed = errors.New("malformed encryption element")
	// ErrKey: the key does not fit (wrong type, wrong recipient).
	ErrKey = errors.New("key does not fit")
)

var kwIV = [8]byte{0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6}

// Wrap wraps key (a multiple of 8 octets, at least 16) with kek per RFC 3394
// §2.2.1.
func Wrap(kek, key []byte) ([]byte, error) {
	if len(key)%8 != 0 || len(key) < 16 {
		return nil, fmt.Errorf("xmlenc: key wrap: key of %d octets", len(key))
	}
	blk, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key wrap: %w", err)
	}
	n := len(key) / 8
	out := make([]byte, 8+len(key))
	copy(out[8:], key)
	a := binary.BigEndian.Uint64(kwIV[:])
	var b [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			binary.BigEndian.PutUint64(b[:8], a)
			copy(b[8:], out[8*i:8*i+8])
			blk.Encrypt(b[:], b[:])
			a = binary.BigEndian.Uint64(b[:8]) ^ uint64(n*j+i)
			copy(out[8*i:], b[8:])
		}
	}
	binary.BigEndian.PutUint64(out[:8], a)
	return out, nil
}

// Unwrap reverses Wrap (RFC 3394 §2.2.2); a failed integrity check returns
// ErrAuthentication.
func Unwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped)%8 != 0 || len(wrapped) < 24 {
		return nil, fmt.Errorf("xmlenc: %w: wrapped key of %d octets", ErrAuthentication, len(wrapped))
	}
	blk, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key unwrap: %w", err)
	}
	n := len(wrapped)/8 - 1
	out := make([]byte, len(wrapped)-8)
	copy(out, wrapped[8:])
	a := binary.BigEndian.Uint64(wrapped[:8])
	var b [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			binary.BigEndian.PutUint64(b[:8], a^uint64(n*j+i))
			copy(b[8:], out[8*(i-1):8*i])
			blk.Decrypt(b[:], b[:])
			a = binary.BigEndian.Uint64(b[:8])
			copy(out[8*(i-1):], b[8:])
		}
	}
	var got [8]byte
	binary.BigEndian.PutUint64(got[:], a)
	if subtle.ConstantTimeCompare(got[:], kwIV[:]) != 1 {
		return nil, fmt.Errorf("xmlenc: %w: AES key unwrap integrity check", ErrAuthentication)
	}
	return out, nil
}

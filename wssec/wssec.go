// Package wssec implements the WS-Security 1.1.1 header of an eDelivery AS4
// message (OASIS WSS SOAP Message Security 1.1.1, X.509 Token Profile 1.1.1,
// SwA Profile 1.1) as the eDelivery AS4 profiles 1.15 and 2.0 configure it:
// an X.509 BinarySecurityToken, one ds:Signature over eb:Messaging, the
// SOAP Body and every attachment (and the Timestamp when the policy has
// one), and attachments encrypted after signing (sign then encrypt).
//
// The sender calls Secure; the receiver calls Process, which verifies, then
// decrypts, then checks the attachment digests, under a strict policy, and
// returns a Result holding ONLY what was verified (the defence against
// signature wrapping: callers use nothing else of the message). Receipts and
// Error signals are signed with SignSignal and checked with VerifySignal.
//
// # Profiles and algorithms
//
// Every URI is a typed constant of package xmldsig or xmlenc; anything else is
// refused with EBMS:0103.
//
//	eDelivery-AS4-1.15: rsa-sha256 (PKCS#1 v1.5), sha256, exc-c14n;
//	                    aes128-gcm; key transport xmlenc11#rsa-oaep with
//	                    mgf1sha256 and sha256
//	eDelivery-AS4-2.0:  eddsa-ed25519 (RFC 9231), sha256, exc-c14n;
//	                    aes128-gcm; key agreement x25519 (RFC 9231) with
//	                    HKDF-SHA256 and kw-aes128 (XML form: package xmlenc)
//
// # The header Secure writes
//
//	wsse:Security (S12:mustUnderstand="true")
//	  wsu:Timestamp wsu:Id=TS-…      Created, Expires (SignConfig.TimestampTTL);
//	                                 only when SignConfig.Timestamp is optional
//	                                 or required (default: none, as Domibus)
//	  wsse:BinarySecurityToken       the recipient's certificate, when
//	                                 EncryptionKeyRef is bst
//	  xenc:EncryptedKey Id=EK-…      KeyInfo names the recipient certificate
//	                                 (EncryptionKeyRef: X509IssuerSerial by
//	                                 default, bst or ski); ReferenceList
//	  xenc:EncryptedData Id=ED-…     one per attachment: Attachment-Content-Only,
//	                                 MimeType = original Content-Type,
//	                                 CipherReference cid:… with the
//	                                 Attachment-Ciphertext-Transform
//	  wsse:BinarySecurityToken wsu:Id=X509-…   X509v3, Base64Binary: the
//	                                 signing certificate (SignatureKeyRef bst)
//	  ds:Signature                   references #Messaging, #Body, #Timestamp
//	                                 (exc-c14n) and cid:… per attachment
//	                                 (Attachment-Content-Signature-Transform);
//	                                 KeyInfo: SecurityTokenReference → BST
//	                                 (or IssuerSerial, SKI: SignatureKeyRef)
//
// Process accepts the three reference forms for the signing certificate:
// a direct reference to a BinarySecurityToken, and X509IssuerSerial or a
// subject key identifier resolved against VerifyConfig.Certificates.
//
// eb:Messaging and the Body get a wsu:Id when they have none. Attachment
// content is canonicalized by MIME type before its digest (SwA Profile §5.4:
// XML by exclusive c14n, text/* to CRLF; see xmldsig.ContentDigest).
//
// # Errors
//
// Errors are *Error values whose Code is the ebMS3 error code a receiving
// MSH reports (ebMS3 Core §6.7.2, "Security Processing Errors"):
//
//	EBMS:0101 FailedAuthentication  bad signature value or digest, untrusted,
//	          expired or unusable signing certificate, wrapping (duplicate
//	          Ids, moved or duplicated eb:Messaging/Body/Signature/Security),
//	          expired or future Timestamp (replay)
//	EBMS:0102 FailedDecryption      wrong key, key unwrap or GCM tag failure,
//	          EncryptedData not matching a part
//	EBMS:0103 PolicyNoncompliance   missing signature, Timestamp or
//	          encryption the policy requires, an unsigned Timestamp, an algorithm the profile does
//	          not use (downgrade), an unsigned part or element reference
//
// Misconfiguration (SignConfig.Validate, VerifyConfig.Validate) returns a
// plain error naming the field, not an *Error.
//
// # Additions to the agreed API
//
// Part.Remove and Result.Close release the temporary files behind encrypted
// (Secure) and decrypted (Process) parts; SignConfig.TempDir;
// VerifyConfig.Timestamp and SignConfig.Timestamp (TimestampPolicy);
// key reference forms (KeyReference); VerifyConfig.Certificates; Validate methods; the Profile constants AS4v115 and AS4v20; the namespace and token
// URI constants.
//
// # Not implemented
//
// One EncryptedKey per message (one recipient); encryption of XML elements
// (the profiles encrypt attachments only); security tokens other than X.509
// certificates; detection of replayed MessageIds (the Timestamp bounds the window; the
// duplicate check belongs to the AS4 reception). XML attachments that are
// not compressed are canonicalized in memory up to 32 MiB.
package wssec

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"net/textproto"
	"time"

	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/xmltree"
)

// Part is one MIME attachment as WS-Security sees it (OASIS WSS SwA
// Profile 1.1).
type Part struct {
	// ContentID is the Content-ID without "cid:" and without angle brackets.
	ContentID string
	// Header holds the MIME headers of the part (at least Content-Type;
	// Content-ID).
	Header textproto.MIMEHeader
	// Open returns the content. It may be called more than once, so parts
	// are file-backed or in memory, never a one-shot stream.
	Open func() (io.ReadCloser, error)
	// Remove, when set, deletes the temporary file backing a part that
	// Secure (encrypted content) or Process (decrypted content) created
	// (content up to 1 MiB is in memory and Remove does nothing).
	// Parts given by the caller have no Remove.
	Remove func() error
}

// Profile names the eDelivery AS4 security profile.
type Profile string

// Profiles.
const (
	// AS4v115 is eDelivery AS4 1.15: RSA-SHA256, RSA-OAEP, AES-128-GCM.
	AS4v115 Profile = "eDelivery-AS4-1.15"
	// AS4v20 is eDelivery AS4 2.0: Ed25519, X25519 + HKDF + AES-128 key
	// wrap, AES-128-GCM.
	AS4v20 Profile = "eDelivery-AS4-2.0"
)

// SignConfig is the sender side configuration.
type SignConfig struct {
	Profile Profile
	// SigningKey signs; an *rsa.PrivateKey for AS4v115, an
	// ed25519.PrivateKey for AS4v20.
	SigningKey crypto.Signer
	// SigningCert is the certificate of SigningKey, sent as the
	// BinarySecurityToken.
	SigningCert *x509.Certificate
	// RecipientCert is the key transport (RSA) or key agreement (X25519)
	// certificate of the receiver. nil: attachments are not encrypted.
	RecipientCert *x509.Certificate
	// Now returns the current time (Timestamp/Created). Default time.Now.
	Now func() time.Time
	// Rand is the source of randomness for keys and nonces. Default
	// crypto/rand.Reader.
	Rand io.Reader
	// Timestamp says whether a signed wsu:Timestamp is added: with
	// TimestampOptional and TimestampRequired it is; with TimestampNone
	// (the default, "") it is not, as the eDelivery AS4 policies of
	// Domibus and Harmony have no sp:IncludeTimestamp and CXF refuses a
	// Timestamp the policy does not ask for.
	Timestamp TimestampPolicy
	// TimestampTTL is the lifetime written in Timestamp/Expires. Default
	// 5 minutes; negative: no Expires.
	TimestampTTL time.Duration
	// SignatureKeyRef is how the signature's KeyInfo names SigningCert;
	// default KeyRefBST (the certificate travels in the message).
	SignatureKeyRef KeyReference
	// EncryptionKeyRef is how the EncryptedKey names RecipientCert;
	// default KeyRefIssuerSerial. Domibus's eDeliveryAS4Policy_BST and
	// phase4 use KeyRefBST.
	EncryptionKeyRef KeyReference
	// TempDir is where encrypted attachments larger than 1 MiB are
	// written (smaller ones stay in memory). Default os.TempDir().
	TempDir string
}

// VerifyConfig is the receiver side policy and keys.
type VerifyConfig struct {
	Profile Profile
	// RequireSignature: a message without a signature fails with EBMS:0103.
	RequireSignature bool
	// RequireEncryption: a message whose attachments are not all encrypted
	// fails with EBMS:0103.
	RequireEncryption bool
	// Trust validates the sender's BinarySecurityToken certificate. nil
	// refuses every signed message (EBMS:0101): there is no "trust all".
	Trust *trust.Store
	// DecryptionKey is the receiver's *rsa.PrivateKey (AS4v115) or
	// *ecdh.PrivateKey on X25519 (AS4v20).
	DecryptionKey crypto.PrivateKey
	// NextDecryptionKey, when set, is a second key of the same kind the
	// receiver also decrypts with: the key of its next certificate during
	// a rollover, which partners may start encrypting for before the
	// receiver signs with it. It is tried when DecryptionKey fails.
	NextDecryptionKey crypto.PrivateKey
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Timestamp is whether a wsu:Timestamp is required: only
	// TimestampRequired refuses a message without one (EBMS:0103). A
	// Timestamp that is present is checked whatever the policy: it must be
	// signed, not created in the future and not expired. Without a
	// Timestamp, replay is bounded by the receiver's duplicate elimination
	// only.
	Timestamp TimestampPolicy
	// Certificates are the certificates a KeyInfo may name by issuer and
	// serial number or by subject key identifier instead of carrying a
	// BinarySecurityToken: the sending party's, from its P-Mode; the
	// certificates of Trust are searched after them. A certificate found
	// this way is validated against Trust like any other.
	Certificates []*x509.Certificate
	// MaxClockSkew is the tolerance on Timestamp/Created and Expires.
	// Default 2 minutes.
	MaxClockSkew time.Duration
	// TempDir is where decrypted content larger than 1 MiB spills (smaller
	// content stays in memory). Default os.TempDir().
	TempDir string
}

// TimestampPolicy is the P-Mode's setting for the WS-Security wsu:Timestamp
// (WS-SecurityPolicy sp:IncludeTimestamp).
type TimestampPolicy string

// Timestamp policies.
const (
	// TimestampNone: none is sent, and a message without one is accepted
	// (the eDelivery AS4 policies of Domibus and Harmony). The zero value
	// "" means the same.
	TimestampNone TimestampPolicy = "none"
	// TimestampOptional: one is sent, and a message without one is
	// accepted.
	TimestampOptional TimestampPolicy = "optional"
	// TimestampRequired: one is sent, and a message without one is refused
	// with EBMS:0103.
	TimestampRequired TimestampPolicy = "required"
)

// Validate reports a policy that is not one of the constants ("" is valid).
func (p TimestampPolicy) Validate() error {
	switch p {
	case "", TimestampNone, TimestampOptional, TimestampRequired:
		return nil
	}
	return fmt.Errorf("unknown timestamp policy %q (%q, %q or %q)", p, TimestampNone, TimestampOptional, TimestampRequired)
}

func (p TimestampPolicy) sent() bool { return p == TimestampOptional || p == TimestampRequired }

// Result holds ONLY what was verified: use nothing else from the message.
// Its elements are taken out of the processed envelope (see Process), with
// the namespaces they inherit, so none of them leads to the rest of it.
type Result struct {
	// Messaging is the verified eb:Messaging element.
	Messaging *xmltree.Element
	// Body is the verified SOAP Body.
	Body *xmltree.Element
	// Parts are the verified and decrypted attachments, in the order of the
	// signature's references. Decrypted parts are backed by files in
	// VerifyConfig.TempDir; call Result.Close to remove them.
	Parts []Part
	// SignerCert is the sender's certificate, validated against the store.
	SignerCert *x509.Certificate
	// SignedInfoReferences are the verified references, for the receipt's
	// NonRepudiationInformation (ebBP signal schema, ebMS3 Part 2 §5.1.8).
	SignedInfoReferences []Reference
	// Signature is the verified ds:Signature element (for non-repudiation).
	Signature *xmltree.Element

	cleanup []func()
}

// Close removes the temporary files backing decrypted parts.
func (r *Result) Close() error {
	if r == nil {
		return nil
	}
	for _, f := range r.cleanup {
		f()
	}
	r.cleanup = nil
	return nil
}

// Reference is one verified ds:Reference of the signature.
type Reference struct {
	URI          string   // "#id" or "cid:content-id"
	Transforms   []string // transform algorithm URIs, in order
	DigestMethod string   // digest algorithm URI
	DigestValue  []byte
}

// ebMS3 error codes (ebMS3 Core §6.7.2, "Security Processing Errors").
const (
	CodeFailedAuthentication = "EBMS:0101"
	CodeFailedDecryption     = "EBMS:0102"
	CodePolicyNoncompliance  = "EBMS:0103"
)

// Error is a WS-Security processing failure with the ebMS3 error code the
// receiving MSH reports to its peer. Detail is for the operator's log.
type Error struct {
	Code   string // CodeFailedAuthentication, CodeFailedDecryption or CodePolicyNoncompliance
	Detail string
	Err    error
}

// Error returns the code, the detail and the cause.
func (e *Error) Error() string {
	s := "wssec: " + e.Code + ": " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

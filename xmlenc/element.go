package xmlenc

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"fmt"
	"io"
	"slices"

	"github.com/oots-go/oots/xmltree"
)

// Algorithms of XML elements encrypted in place (XML Encryption 1.1 §4.1),
// as SAML encrypts assertions (SAML 2.0 Core §2.3.4, §6). The eIDAS
// Cryptographic Requirements for the Interoperability Framework (§3.3, §3.4)
// allow AES-GCM only for the data and RSA-OAEP for the key: CBC modes are
// named here so that they are refused by name, not accepted.
const (
	AES192GCM Algorithm = "http://www.w3.org/2009/xmlenc11#aes192-gcm"
	AES256GCM Algorithm = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	// AES128CBC and AES256CBC are refused (CBC without integrity is open
	// to padding-oracle attacks on XML Encryption; eIDAS does not allow
	// them).
	AES128CBC Algorithm = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	AES256CBC Algorithm = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	// RSAOAEPMGF1P is RSA-OAEP of XML Encryption 1.0 (§5.4.2): MGF1 with
	// SHA-1, the OAEP digest SHA-1 unless a ds:DigestMethod says SHA-256.
	// eIDAS lists it beside RSAOAEP; it is what xmlsec1 1.2 writes.
	RSAOAEPMGF1P Algorithm = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	// RSA15 is RSAES-PKCS1-v1_5 key transport, always refused
	// (Bleichenbacher's attack).
	RSA15 Algorithm = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
	// SHA1 is the SHA-1 digest, accepted only as an OAEP digest (OAEP does
	// not rely on collision resistance): of RSAOAEPMGF1P, and of RSAOAEP
	// when the KeyPolicy lists it (KeyPolicy.Digests).
	SHA1 Algorithm = "http://www.w3.org/2000/09/xmldsig#sha1"
	// TypeElement is the Type of an EncryptedData that replaces an
	// element (§3.5.1).
	TypeElement = "http://www.w3.org/2001/04/xmlenc#Element"
)

// gcmKeySize is the key length of each AES-GCM method.
var gcmKeySize = map[Algorithm]int{AES128GCM: 16, AES192GCM: 24, AES256GCM: 32}

func parseMGF1P(k *EncryptedKey, em *xmltree.Element) error {
	k.DigestMethod, k.MGF = SHA1, ""
	for _, c := range em.Elements() {
		if !c.Is(dsNS, "DigestMethod") {
			return malformed("unexpected %s in rsa-oaep-mgf1p EncryptionMethod (OAEPparams are not accepted)", c.Name)
		}
		k.DigestMethod = Algorithm(c.SelectAttr("", "Algorithm"))
	}
	if k.DigestMethod != SHA1 && k.DigestMethod != SHA256 {
		return fmt.Errorf("xmlenc: %w: rsa-oaep-mgf1p digest %q", ErrAlgorithm, k.DigestMethod)
	}
	return nil
}

func (k *EncryptedKey) decryptMGF1P(priv crypto.PrivateKey, check func([]byte) ([]byte, error)) ([]byte, error) {
	d, err := rsaDecrypter(priv, "rsa-oaep-mgf1p")
	if err != nil {
		return nil, err
	}
	h := crypto.SHA1
	if k.DigestMethod == SHA256 {
		h = crypto.SHA256
	}
	cek, err := d.Decrypt(nil, k.CipherValue, &rsa.OAEPOptions{Hash: h, MGFHash: crypto.SHA1})
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w: rsa-oaep-mgf1p decryption failed", ErrAuthentication)
	}
	return check(cek)
}

// DecryptKey recovers a content-encryption key of size octets (16, 24 or
// 32, for an AES-GCM method of that size) with priv, as Decrypt does.
func (k *EncryptedKey) DecryptKey(priv crypto.PrivateKey, size int) ([]byte, error) {
	return k.decrypt(priv, func(cek []byte) ([]byte, error) {
		if len(cek) != size {
			return nil, fmt.Errorf("xmlenc: %w: content key of %d octets (%d expected)", ErrAuthentication, len(cek), size)
		}
		return cek, nil
	})
}

// EncryptedElement is an xenc:EncryptedData of Type Element with its cipher
// text inline (xenc:CipherValue) and its key in ds:KeyInfo/xenc:EncryptedKey,
// as SAML's EncryptedAssertion carries one (SAML 2.0 Core §2.3.4).
type EncryptedElement struct {
	ID     string
	Method Algorithm // an AES-GCM method
	// Key is the EncryptedKey inside ds:KeyInfo.
	Key *EncryptedKey
	// CipherValue is IV (12 octets) ‖ cipher text ‖ tag (16 octets)
	// (XML Encryption 1.1 §5.2.4).
	CipherValue []byte
}

// ParseEncryptedElement reads an EncryptedData of Type Element whose method
// is one of methods (AES-GCM methods only) and whose ds:KeyInfo holds exactly
// one EncryptedKey allowed by keys. Anything else, a CipherReference
// included, is refused.
func ParseEncryptedElement(e *xmltree.Element, methods []Algorithm, keys *KeyPolicy) (*EncryptedElement, error) {
	if e == nil || !e.Is(Namespace, "EncryptedData") {
		return nil, malformed("not an xenc:EncryptedData")
	}
	if t, ok := e.AttrValue("", "Type"); ok && t != TypeElement {
		return nil, fmt.Errorf("xmlenc: %w: EncryptedData Type %q (only Element)", ErrAlgorithm, t)
	}
	d := &EncryptedElement{ID: e.SelectAttr("", "Id")}
	em, err := one(e, Namespace, "EncryptionMethod")
	if err != nil {
		return nil, err
	}
	d.Method = Algorithm(em.SelectAttr("", "Algorithm"))
	if _, gcm := gcmKeySize[d.Method]; !gcm || !slices.Contains(methods, d.Method) {
		return nil, fmt.Errorf("xmlenc: %w: data encryption %q", ErrAlgorithm, d.Method)
	}
	ki, err := one(e, dsNS, "KeyInfo")
	if err != nil {
		return nil, err
	}
	eks := ki.ChildrenNamed(Namespace, "EncryptedKey")
	if len(eks) != 1 {
		return nil, malformed("ds:KeyInfo of the EncryptedData has %d EncryptedKey (one expected)", len(eks))
	}
	if d.Key, err = ParseEncryptedKey(eks[0], keys); err != nil {
		return nil, err
	}
	cd, err := one(e, Namespace, "CipherData")
	if err != nil {
		return nil, err
	}
	cv, err := one(cd, Namespace, "CipherValue")
	if err != nil {
		return nil, err
	}
	if d.CipherValue, err = unb64(cv.Text()); err != nil || len(d.CipherValue) < 12+16 {
		return nil, malformed("CipherValue is not base64 IV, cipher text and tag")
	}
	return d, nil
}

// Decrypt recovers the element's octets with the recipient's private key:
// the content key from the EncryptedKey, then AES-GCM, whose tag
// authenticates the whole cipher text. Errors wrap ErrKey, ErrAlgorithm or
// ErrAuthentication.
func (d *EncryptedElement) Decrypt(priv crypto.PrivateKey) ([]byte, error) {
	size, ok := gcmKeySize[d.Method]
	if !ok {
		return nil, fmt.Errorf("xmlenc: %w: data encryption %q", ErrAlgorithm, d.Method)
	}
	cek, err := d.Key.DecryptKey(priv, size)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w: %w", ErrKey, err)
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w: %w", ErrKey, err)
	}
	iv, ct := d.CipherValue[:12], d.CipherValue[12:]
	pt, err := gcm.Open(nil, iv, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w: AES-GCM tag", ErrAuthentication)
	}
	return pt, nil
}

// EncryptElement encrypts plain (an element's octets) with method (an
// AES-GCM method) under a fresh key transported to pub with RSA-OAEP
// (SHA-256, MGF1-SHA256), and returns the xenc:EncryptedData of Type
// Element. It is how a SAML identity provider encrypts an assertion; the
// package's tests and test doubles use it.
func EncryptElement(rand io.Reader, plain []byte, method Algorithm, pub *rsa.PublicKey) (*xmltree.Element, error) {
	size, ok := gcmKeySize[method]
	if !ok {
		return nil, fmt.Errorf("xmlenc: %w: data encryption %q", ErrAlgorithm, method)
	}
	cek := make([]byte, size)
	iv := make([]byte, 12)
	if _, err := io.ReadFull(rand, cek); err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	blk, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	ct := gcm.Seal(append([]byte(nil), iv...), iv, plain, nil)
	ek, err := EncryptKeyRSA(rand, pub, cek)
	if err != nil {
		return nil, err
	}
	eke, err := ek.Element()
	if err != nil {
		return nil, err
	}
	e := xmltree.NewElement(Namespace, Prefix, "EncryptedData")
	e.DeclareNS(Prefix, Namespace)
	e.SetAttr("", "", "Type", TypeElement)
	e.AddElement(Namespace, Prefix, "EncryptionMethod").SetAttr("", "", "Algorithm", string(method))
	ki := e.AddElement(dsNS, dsPrefix, "KeyInfo")
	ki.DeclareNS(dsPrefix, dsNS)
	ki.AddChild(eke)
	e.AddElement(Namespace, Prefix, "CipherData").AddElement(Namespace, Prefix, "CipherValue").SetText(b64(ct))
	return e, nil
}

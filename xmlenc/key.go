package xmlenc

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/internal/cidurl"
	"github.com/oots-go/oots/xmltree"
)

const dsNS, dsPrefix = "http://www.w3.org/2000/09/xmldsig#", "ds"

// Agreement is the xenc:AgreementMethod of an X25519 EncryptedKey (XML
// Encryption 1.1 §5.6.1) with its HKDF key derivation.
type Agreement struct {
	Method     Algorithm // X25519
	KDF        Algorithm // HKDF
	PRF        Algorithm // HMACSHA256
	Salt, Info []byte
	KeyLength  int // length of the derived key-encryption key in octets (16)
	// Originator is the sender's ephemeral public key.
	Originator *ecdh.PublicKey
	// RecipientKeyInfo are the children of xenc:RecipientKeyInfo (e.g. a
	// wsse:SecurityTokenReference naming the recipient's certificate).
	RecipientKeyInfo []*xmltree.Element
}

// EncryptedKey is an xenc:EncryptedKey carrying the content-encryption key.
type EncryptedKey struct {
	ID     string
	Method Algorithm // RSAOAEP or KWAES128
	// DigestMethod and MGF are the RSA-OAEP parameters (§5.5.2); MGF is
	// MGF1SHA256 or MGF1SHA1, and "" (no xenc11:MGF) means MGF1SHA1.
	DigestMethod, MGF Algorithm
	// Agreement is set when Method is KWAES128.
	Agreement *Agreement
	// KeyInfo are the children of ds:KeyInfo for key transport (naming the
	// recipient's certificate).
	KeyInfo        []*xmltree.Element
	CipherValue    []byte
	DataReferences []string // "#id" URIs of the EncryptedData it decrypts
}

// NewKey returns a fresh AES-128 content-encryption key.
func NewKey(rand io.Reader) ([]byte, error) {
	k := make([]byte, 16)
	if _, err := io.ReadFull(rand, k); err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	return k, nil
}

// EncryptKeyRSA transports cek to pub with RSA-OAEP, MGF1-SHA256 and SHA-256
// (eDelivery AS4 1.15).
func EncryptKeyRSA(rand io.Reader, pub *rsa.PublicKey, cek []byte) (*EncryptedKey, error) {
	if pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("xmlenc: %w: RSA key of %d bits", ErrKey, pub.N.BitLen())
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand, pub, cek, nil)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: rsa-oaep: %w", err)
	}
	return &EncryptedKey{Method: RSAOAEP, DigestMethod: SHA256, MGF: MGF1SHA256, CipherValue: ct}, nil
}

// EncryptKeyX25519 agrees a key-encryption key with pub through an ephemeral
// X25519 key, derives it with HKDF-SHA256 (random 32-octet salt, info =
// the key wrap algorithm URI) and wraps cek with AES-128 key wrap
// (eDelivery AS4 2.0).
func EncryptKeyX25519(rand io.Reader, pub *ecdh.PublicKey, cek []byte) (*EncryptedKey, error) {
	if pub.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("xmlenc: %w: not an X25519 key", ErrKey)
	}
	eph, err := ecdh.X25519().GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	ag := &Agreement{Method: X25519, KDF: HKDF, PRF: HMACSHA256, Salt: salt, Info: []byte(KWAES128), KeyLength: 16, Originator: eph.PublicKey()}
	kek, err := ag.kek(eph, pub)
	if err != nil {
		return nil, err
	}
	wrapped, err := Wrap(kek, cek)
	if err != nil {
		return nil, err
	}
	return &EncryptedKey{Method: KWAES128, Agreement: ag, CipherValue: wrapped}, nil
}

// KeyAgreer is an X25519 private key that may live outside the process
// (a PKCS#11 token): *ecdh.PrivateKey is one.
type KeyAgreer interface {
	Public() crypto.PublicKey
	ECDH(remote *ecdh.PublicKey) ([]byte, error)
}

func (ag *Agreement) kek(priv KeyAgreer, pub *ecdh.PublicKey) ([]byte, error) {
	z, err := priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w: x25519: %w", ErrKey, err)
	}
	k, err := hkdf.Key(sha256.New, z, ag.Salt, string(ag.Info), ag.KeyLength)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: hkdf: %w", err)
	}
	return k, nil
}

// Decrypt recovers the content-encryption key with priv: an *rsa.PrivateKey
// (or another crypto.Decrypter of an RSA key, such as one in a token, that
// does OAEP with the digest and mask generation the key names) for RSAOAEP
// and RSAOAEPMGF1P, an X25519 *ecdh.PrivateKey (or another KeyAgreer on X25519) for
// key agreement. Any failure, including a wrong key, wraps ErrKey or
// ErrAuthentication.
func (k *EncryptedKey) Decrypt(priv crypto.PrivateKey) ([]byte, error) {
	return k.decrypt(priv, checkCEK)
}

// rsaDecrypter returns priv as the decrypter of an RSA key, or an error
// wrapping ErrKey that names method.
func rsaDecrypter(priv crypto.PrivateKey, method string) (crypto.Decrypter, error) {
	d, ok := priv.(crypto.Decrypter)
	if !ok {
		return nil, fmt.Errorf("xmlenc: %w: %T for %s", ErrKey, priv, method)
	}
	if _, ok := d.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("xmlenc: %w: %T for %s", ErrKey, d.Public(), method)
	}
	return d, nil
}

func (k *EncryptedKey) decrypt(priv crypto.PrivateKey, checkCEK func([]byte) ([]byte, error)) ([]byte, error) {
	switch k.Method {
	case RSAOAEPMGF1P:
		return k.decryptMGF1P(priv, checkCEK)
	case RSAOAEP:
		d, err := rsaDecrypter(priv, "rsa-oaep")
		if err != nil {
			return nil, err
		}
		mgf, ok := mgfHash[k.MGF]
		if !ok {
			return nil, fmt.Errorf("xmlenc: %w: rsa-oaep mask generation %q", ErrAlgorithm, k.MGF)
		}
		h, ok := digestHash[k.DigestMethod]
		if !ok {
			return nil, fmt.Errorf("xmlenc: %w: rsa-oaep digest %q", ErrAlgorithm, k.DigestMethod)
		}
		cek, err := d.Decrypt(nil, k.CipherValue, &rsa.OAEPOptions{Hash: h, MGFHash: mgf})
		if err != nil {
			return nil, fmt.Errorf("xmlenc: %w: rsa-oaep decryption failed", ErrAuthentication)
		}
		return checkCEK(cek)
	case KWAES128:
		xk, ok := priv.(KeyAgreer)
		if !ok || k.Agreement == nil {
			return nil, fmt.Errorf("xmlenc: %w: %T for x25519 key agreement", ErrKey, priv)
		}
		if pub, ok := xk.Public().(*ecdh.PublicKey); !ok || pub.Curve() != ecdh.X25519() {
			return nil, fmt.Errorf("xmlenc: %w: %T for x25519 key agreement", ErrKey, priv)
		}
		kek, err := k.Agreement.kek(xk, k.Agreement.Originator)
		if err != nil {
			return nil, err
		}
		cek, err := Unwrap(kek, k.CipherValue)
		if err != nil {
			return nil, err
		}
		return checkCEK(cek)
	}
	return nil, fmt.Errorf("xmlenc: %w: %q", ErrAlgorithm, k.Method)
}

// mgfHash is the hash of each mask generation function of RSAOAEP that
// this package computes; "" is an EncryptedKey without xenc11:MGF, MGF1
// with SHA-1 (XML Encryption 1.1 §5.5.2).
var mgfHash = map[Algorithm]crypto.Hash{MGF1SHA256: crypto.SHA256, MGF1SHA1: crypto.SHA1, "": crypto.SHA1}

func checkCEK(cek []byte) ([]byte, error) {
	if len(cek) != 16 {
		return nil, fmt.Errorf("xmlenc: %w: content key of %d octets (aes128-gcm needs 16)", ErrAuthentication, len(cek))
	}
	return cek, nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
}

// Element builds the xenc:EncryptedKey element.
func (k *EncryptedKey) Element() (*xmltree.Element, error) {
	e := xmltree.NewElement(Namespace, Prefix, "EncryptedKey")
	e.DeclareNS(Prefix, Namespace)
	if k.ID != "" {
		e.SetAttr("", "", "Id", k.ID)
	}
	em := e.AddElement(Namespace, Prefix, "EncryptionMethod")
	em.SetAttr("", "", "Algorithm", string(k.Method))
	switch k.Method {
	case RSAOAEP:
		em.AddElement(dsNS, dsPrefix, "DigestMethod").SetAttr("", "", "Algorithm", string(k.DigestMethod))
		if k.MGF != "" { // none means MGF1SHA1
			em.AddElement(Namespace11, Prefix11, "MGF").SetAttr("", "", "Algorithm", string(k.MGF))
		}
		if len(k.KeyInfo) > 0 {
			ki := e.AddElement(dsNS, dsPrefix, "KeyInfo")
			for _, c := range k.KeyInfo {
				ki.AddChild(c)
			}
		}
	case KWAES128:
		ag := k.Agreement
		if ag == nil {
			return nil, fmt.Errorf("xmlenc: %w: kw-aes128 without AgreementMethod", ErrMalformed)
		}
		spki, err := marshalOriginator(ag.Originator)
		if err != nil {
			return nil, fmt.Errorf("xmlenc: originator key: %w", err)
		}
		ki := e.AddElement(dsNS, dsPrefix, "KeyInfo")
		am := ki.AddElement(Namespace, Prefix, "AgreementMethod")
		am.SetAttr("", "", "Algorithm", string(ag.Method))
		kdm := am.AddElement(Namespace11, Prefix11, "KeyDerivationMethod")
		kdm.SetAttr("", "", "Algorithm", string(ag.KDF))
		p := kdm.AddElement(NamespaceDSigMore, PrefixDSigMore, "HKDFParams")
		p.AddElement(NamespaceDSigMore, PrefixDSigMore, "PRF").SetAttr("", "", "Algorithm", string(ag.PRF))
		p.AddElement(NamespaceDSigMore, PrefixDSigMore, "Salt").SetText(b64(ag.Salt))
		p.AddElement(NamespaceDSigMore, PrefixDSigMore, "Info").SetText(b64(ag.Info))
		p.AddElement(NamespaceDSigMore, PrefixDSigMore, "KeyLength").SetText(strconv.Itoa(ag.KeyLength))
		oki := am.AddElement(Namespace, Prefix, "OriginatorKeyInfo")
		oki.AddElement(NamespaceDSig11, "dsig11", "DEREncodedKeyValue").SetText(b64(spki))
		rki := am.AddElement(Namespace, Prefix, "RecipientKeyInfo")
		for _, c := range ag.RecipientKeyInfo {
			rki.AddChild(c)
		}
	default:
		return nil, fmt.Errorf("xmlenc: %w: %q", ErrAlgorithm, k.Method)
	}
	e.AddElement(Namespace, Prefix, "CipherData").AddElement(Namespace, Prefix, "CipherValue").SetText(b64(k.CipherValue))
	if len(k.DataReferences) > 0 {
		rl := e.AddElement(Namespace, Prefix, "ReferenceList")
		for _, u := range k.DataReferences {
			rl.AddElement(Namespace, Prefix, "DataReference").SetAttr("", "", "URI", u)
		}
	}
	return e, nil
}

func malformed(format string, a ...any) error {
	return fmt.Errorf("xmlenc: %w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

func one(e *xmltree.Element, space, local string) (*xmltree.Element, error) {
	cs := e.ChildrenNamed(space, local)
	if len(cs) != 1 {
		return nil, malformed("%s must have exactly one %s, found %d", e.QName(), local, len(cs))
	}
	return cs[0], nil
}

// KeyPolicy lists the key algorithms a receiver accepts.
type KeyPolicy struct {
	// Methods allowed as EncryptedKey EncryptionMethod (RSAOAEP,
	// RSAOAEPMGF1P or KWAES128).
	Methods []Algorithm
	// MGFs are the mask generation functions allowed with RSAOAEP:
	// MGF1SHA256, MGF1SHA1 (which an EncryptionMethod without xenc11:MGF
	// means, XML Encryption 1.1 §5.5.2). Empty means MGF1SHA256 only, as
	// the eDelivery AS4 1.15 profile requires.
	MGFs []Algorithm
	// Digests are the OAEP digests allowed with RSAOAEP: SHA256, SHA1
	// (which an EncryptionMethod without ds:DigestMethod means, XML
	// Encryption 1.1 §5.5.2), SHA384, SHA512. Empty means SHA256 only, as
	// the eDelivery AS4 1.15 profile requires.
	Digests []Algorithm
}

// digestHash maps the OAEP digests to their hash functions.
var digestHash = map[Algorithm]crypto.Hash{SHA1: crypto.SHA1, SHA256: crypto.SHA256, SHA384: crypto.SHA384, SHA512: crypto.SHA512}

func (p *KeyPolicy) allowsDigest(a Algorithm) bool {
	if _, ok := digestHash[a]; !ok {
		return false
	}
	if len(p.Digests) == 0 {
		return a == SHA256
	}
	return slices.Contains(p.Digests, a)
}

func (p *KeyPolicy) allows(a Algorithm) bool {
	for _, m := range p.Methods {
		if m == a {
			return true
		}
	}
	return false
}

func (p *KeyPolicy) allowsMGF(a Algorithm) bool {
	if _, ok := mgfHash[a]; !ok || a == "" {
		return false
	}
	if len(p.MGFs) == 0 {
		return a == MGF1SHA256
	}
	for _, m := range p.MGFs {
		if m == a {
			return true
		}
	}
	return false
}

// ParseEncryptedKey reads an xenc:EncryptedKey, refusing algorithms outside
// pol and parameters other than the profile's (RSA-OAEP with SHA-256 or
// another digest pol.Digests lists, and MGF1-SHA256 or another mask
// generation pol.MGFs lists; key agreement only X25519 + HKDF-HMAC-SHA256 +
// 128 bits).
func ParseEncryptedKey(e *xmltree.Element, pol *KeyPolicy) (*EncryptedKey, error) {
	if e == nil || !e.Is(Namespace, "EncryptedKey") {
		return nil, malformed("not an xenc:EncryptedKey")
	}
	k := &EncryptedKey{ID: e.SelectAttr("", "Id")}
	em, err := one(e, Namespace, "EncryptionMethod")
	if err != nil {
		return nil, err
	}
	k.Method = Algorithm(em.SelectAttr("", "Algorithm"))
	if !pol.allows(k.Method) {
		return nil, fmt.Errorf("xmlenc: %w: key encryption %q", ErrAlgorithm, k.Method)
	}
	kis := e.ChildrenNamed(dsNS, "KeyInfo")
	if len(kis) > 1 {
		return nil, malformed("more than one ds:KeyInfo in EncryptedKey")
	}
	switch k.Method {
	case RSAOAEP:
		k.DigestMethod, k.MGF = SHA1, MGF1SHA1 // the defaults (§5.5.2)
		for _, c := range em.Elements() {
			switch {
			case c.Is(dsNS, "DigestMethod"):
				k.DigestMethod = Algorithm(c.SelectAttr("", "Algorithm"))
			case c.Is(Namespace11, "MGF"):
				k.MGF = Algorithm(c.SelectAttr("", "Algorithm"))
			default:
				return nil, malformed("unexpected %s in rsa-oaep EncryptionMethod (OAEPparams are not accepted)", c.Name)
			}
		}
		if !pol.allowsDigest(k.DigestMethod) {
			if em.Child(dsNS, "DigestMethod") == nil {
				return nil, fmt.Errorf("xmlenc: %w: rsa-oaep without DigestMethod means SHA-1 (XML Encryption 1.1 §5.5.2), which the policy does not accept", ErrAlgorithm)
			}
			return nil, fmt.Errorf("xmlenc: %w: rsa-oaep digest %q is not one the policy accepts", ErrAlgorithm, k.DigestMethod)
		}
		if !pol.allowsMGF(k.MGF) {
			if em.Child(Namespace11, "MGF") == nil {
				return nil, fmt.Errorf("xmlenc: %w: rsa-oaep without xenc11:MGF means MGF1 with SHA-1 (XML Encryption 1.1 §5.5.2), which the policy does not accept", ErrAlgorithm)
			}
			return nil, fmt.Errorf("xmlenc: %w: rsa-oaep mask generation %q is not one the policy accepts", ErrAlgorithm, k.MGF)
		}
		if len(kis) == 1 {
			k.KeyInfo = kis[0].Elements()
		}
	case RSAOAEPMGF1P:
		if err := parseMGF1P(k, em); err != nil {
			return nil, err
		}
		if len(kis) == 1 {
			k.KeyInfo = kis[0].Elements()
		}
	case KWAES128:
		if len(em.Elements()) != 0 {
			return nil, malformed("kw-aes128 EncryptionMethod has parameters")
		}
		if len(kis) != 1 {
			return nil, malformed("kw-aes128 EncryptedKey without ds:KeyInfo/xenc:AgreementMethod")
		}
		am, err := one(kis[0], Namespace, "AgreementMethod")
		if err != nil {
			return nil, err
		}
		if k.Agreement, err = parseAgreement(am); err != nil {
			return nil, err
		}
	}
	cd, err := one(e, Namespace, "CipherData")
	if err != nil {
		return nil, err
	}
	cv, err := one(cd, Namespace, "CipherValue")
	if err != nil {
		return nil, err
	}
	if k.CipherValue, err = unb64(cv.Text()); err != nil || len(k.CipherValue) == 0 {
		return nil, malformed("CipherValue is not base64")
	}
	if rl := e.ChildrenNamed(Namespace, "ReferenceList"); len(rl) > 1 {
		return nil, malformed("more than one ReferenceList")
	} else if len(rl) == 1 {
		for _, d := range rl[0].Elements() {
			if !d.Is(Namespace, "DataReference") {
				return nil, malformed("unexpected %s in ReferenceList", d.Name)
			}
			k.DataReferences = append(k.DataReferences, d.SelectAttr("", "URI"))
		}
	}
	return k, nil
}

func parseAgreement(am *xmltree.Element) (*Agreement, error) {
	ag := &Agreement{Method: Algorithm(am.SelectAttr("", "Algorithm"))}
	if ag.Method != X25519 {
		return nil, fmt.Errorf("xmlenc: %w: key agreement %q", ErrAlgorithm, ag.Method)
	}
	kdm, err := one(am, Namespace11, "KeyDerivationMethod")
	if err != nil {
		return nil, err
	}
	ag.KDF = Algorithm(kdm.SelectAttr("", "Algorithm"))
	if ag.KDF != HKDF {
		return nil, fmt.Errorf("xmlenc: %w: key derivation %q", ErrAlgorithm, ag.KDF)
	}
	p, err := one(kdm, NamespaceDSigMore, "HKDFParams")
	if err != nil {
		return nil, err
	}
	prf, err := one(p, NamespaceDSigMore, "PRF")
	if err != nil {
		return nil, err
	}
	ag.PRF = Algorithm(prf.SelectAttr("", "Algorithm"))
	if ag.PRF != HMACSHA256 {
		return nil, fmt.Errorf("xmlenc: %w: HKDF PRF %q", ErrAlgorithm, ag.PRF)
	}
	if s := p.Child(NamespaceDSigMore, "Salt"); s != nil {
		if ag.Salt, err = unb64(s.Text()); err != nil {
			return nil, malformed("HKDF Salt is not base64")
		}
	}
	if s := p.Child(NamespaceDSigMore, "Info"); s != nil {
		if ag.Info, err = unb64(s.Text()); err != nil {
			return nil, malformed("HKDF Info is not base64")
		}
	}
	// KeyLength is in octets; absent, it is that of the key wrap key.
	ag.KeyLength = 16
	if kls := p.ChildrenNamed(NamespaceDSigMore, "KeyLength"); len(kls) > 1 {
		return nil, malformed("more than one HKDF KeyLength")
	} else if len(kls) == 1 {
		if ag.KeyLength, err = strconv.Atoi(strings.TrimSpace(kls[0].Text())); err != nil || ag.KeyLength != 16 {
			return nil, fmt.Errorf("xmlenc: %w: HKDF KeyLength %q (16 octets for kw-aes128)", ErrAlgorithm, kls[0].Text())
		}
	}
	oki, err := one(am, Namespace, "OriginatorKeyInfo")
	if err != nil {
		return nil, err
	}
	// dsig11:DEREncodedKeyValue is a KeyInfo child (XML Signature 1.1
	// §4.5.4); it is also accepted inside ds:KeyValue.
	ders := oki.ChildrenNamed(NamespaceDSig11, "DEREncodedKeyValue")
	for _, kv := range oki.ChildrenNamed(dsNS, "KeyValue") {
		ders = append(ders, kv.ChildrenNamed(NamespaceDSig11, "DEREncodedKeyValue")...)
	}
	if len(ders) != 1 {
		return nil, malformed("OriginatorKeyInfo must hold one dsig11:DEREncodedKeyValue (X25519), found %d", len(ders))
	}
	der := ders[0]
	raw, err := unb64(der.Text())
	if err != nil {
		return nil, malformed("DEREncodedKeyValue is not base64")
	}
	pub, err := parseOriginator(raw)
	if err != nil {
		return nil, malformed("originator key: %v", err)
	}
	xp, ok := pub.(*ecdh.PublicKey)
	if !ok || xp.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("xmlenc: %w: originator key %T is not X25519", ErrAlgorithm, pub)
	}
	ag.Originator = xp
	if rki := am.Child(Namespace, "RecipientKeyInfo"); rki != nil {
		ag.RecipientKeyInfo = rki.Elements()
	}
	return ag, nil
}

// EncryptedData is an xenc:EncryptedData for an attachment (SwA Profile 1.1
// §5.3.2): its cipher octets are the MIME part's content, named by a
// CipherReference to cid: with the Attachment-Ciphertext-Transform.
type EncryptedData struct {
	ID       string
	Type     string // TypeAttachmentContentOnly
	MimeType string // the attachment's original Content-Type
	Method   Algorithm
	// CipherReference is the "cid:..." URI of the part.
	CipherReference string
	// KeyInfo are the children of ds:KeyInfo (a reference to the
	// EncryptedKey).
	KeyInfo []*xmltree.Element
}

// Element builds the xenc:EncryptedData element.
func (d *EncryptedData) Element() *xmltree.Element {
	e := xmltree.NewElement(Namespace, Prefix, "EncryptedData")
	e.DeclareNS(Prefix, Namespace)
	e.SetAttr("", "", "Id", d.ID)
	if d.MimeType != "" {
		e.SetAttr("", "", "MimeType", d.MimeType)
	}
	e.SetAttr("", "", "Type", d.Type)
	e.AddElement(Namespace, Prefix, "EncryptionMethod").SetAttr("", "", "Algorithm", string(d.Method))
	if len(d.KeyInfo) > 0 {
		ki := e.AddElement(dsNS, dsPrefix, "KeyInfo")
		for _, c := range d.KeyInfo {
			ki.AddChild(c)
		}
	}
	cr := e.AddElement(Namespace, Prefix, "CipherData").AddElement(Namespace, Prefix, "CipherReference")
	cr.SetAttr("", "", "URI", d.CipherReference)
	cr.AddElement(Namespace, Prefix, "Transforms").AddElement(dsNS, dsPrefix, "Transform").SetAttr("", "", "Algorithm", string(AttachmentCiphertext))
	return e
}

// ParseEncryptedData reads an attachment's xenc:EncryptedData; only
// aes128-gcm, Type Attachment-Content-Only and a cid: CipherReference (its
// scheme in any case: "CID:" too) with exactly the
// Attachment-Ciphertext-Transform are accepted.
func ParseEncryptedData(e *xmltree.Element) (*EncryptedData, error) {
	if e == nil || !e.Is(Namespace, "EncryptedData") {
		return nil, malformed("not an xenc:EncryptedData")
	}
	d := &EncryptedData{ID: e.SelectAttr("", "Id"), Type: e.SelectAttr("", "Type"), MimeType: e.SelectAttr("", "MimeType")}
	if d.Type != TypeAttachmentContentOnly {
		return nil, fmt.Errorf("xmlenc: %w: EncryptedData Type %q (only Attachment-Content-Only)", ErrAlgorithm, d.Type)
	}
	em, err := one(e, Namespace, "EncryptionMethod")
	if err != nil {
		return nil, err
	}
	d.Method = Algorithm(em.SelectAttr("", "Algorithm"))
	if d.Method != AES128GCM {
		return nil, fmt.Errorf("xmlenc: %w: data encryption %q", ErrAlgorithm, d.Method)
	}
	if ki := e.Child(dsNS, "KeyInfo"); ki != nil {
		d.KeyInfo = ki.Elements()
	}
	cd, err := one(e, Namespace, "CipherData")
	if err != nil {
		return nil, err
	}
	cr, err := one(cd, Namespace, "CipherReference")
	if err != nil {
		return nil, err
	}
	d.CipherReference = cr.SelectAttr("", "URI")
	if !cidurl.Is(d.CipherReference) { // the scheme in any case (RFC 3986 §3.1)
		return nil, malformed("CipherReference %q is not a cid: URI", d.CipherReference)
	}
	ts, err := one(cr, Namespace, "Transforms")
	if err != nil {
		return nil, err
	}
	tl := ts.Elements()
	if len(tl) != 1 || !tl[0].Is(dsNS, "Transform") || Algorithm(tl[0].SelectAttr("", "Algorithm")) != AttachmentCiphertext {
		return nil, fmt.Errorf("xmlenc: %w: CipherReference transforms must be exactly the Attachment-Ciphertext-Transform", ErrAlgorithm)
	}
	return d, nil
}

// CertificateKey returns the public key of c. crypto/x509 leaves
// Certificate.PublicKey nil for X25519 (RFC 8410) keys; this parses them from
// the SubjectPublicKeyInfo as an *ecdh.PublicKey.
func CertificateKey(c *x509.Certificate) (crypto.PublicKey, error) {
	if c.PublicKey != nil {
		return c.PublicKey, nil
	}
	k, err := x509.ParsePKIXPublicKey(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w: certificate key: %w", ErrKey, err)
	}
	return k, nil
}

// EncryptKeyFor chooses the key method from the recipient's public key:
// EncryptKeyRSA for an *rsa.PublicKey, EncryptKeyX25519 for an X25519
// *ecdh.PublicKey.
func EncryptKeyFor(rand io.Reader, pub crypto.PublicKey, cek []byte) (*EncryptedKey, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return EncryptKeyRSA(rand, k, cek)
	case *ecdh.PublicKey:
		return EncryptKeyX25519(rand, k, cek)
	}
	return nil, fmt.Errorf("xmlenc: %w: recipient key %T", ErrKey, pub)
}

// x25519SPKI is the DER of an X25519 SubjectPublicKeyInfo (RFC 8410 §4)
// up to the key: SEQUENCE { SEQUENCE { OID 1.3.101.110 }, BIT STRING of
// 33 bytes, the first the count of unused bits (0) }. Every X25519 key has
// this prefix and 32 bytes after it.
var x25519SPKI = [...]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00}

// marshalOriginator is x509.MarshalPKIXPublicKey, written out for the
// X25519 key of every encrypted message (x509's goes through reflection).
func marshalOriginator(k crypto.PublicKey) ([]byte, error) {
	if xk, ok := k.(*ecdh.PublicKey); ok && xk.Curve() == ecdh.X25519() {
		return append(x25519SPKI[:len(x25519SPKI):len(x25519SPKI)], xk.Bytes()...), nil
	}
	return x509.MarshalPKIXPublicKey(k)
}

// parseOriginator is x509.ParsePKIXPublicKey, with the DER of an X25519 key
// read without reflection: exactly x25519SPKI and 32 bytes. Anything else
// is left to x509 (which refuses or returns another kind of key).
func parseOriginator(der []byte) (crypto.PublicKey, error) {
	if len(der) == len(x25519SPKI)+32 && bytes.Equal(der[:len(x25519SPKI)], x25519SPKI[:]) {
		return ecdh.X25519().NewPublicKey(der[len(x25519SPKI):])
	}
	return x509.ParsePKIXPublicKey(der)
}

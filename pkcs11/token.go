//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	p11 "github.com/miekg/pkcs11"
)

// PKCS #11 3.0 constants that miekg/pkcs11 does not define.
const (
	ckkECEdwards    = 0x40   // CKK_EC_EDWARDS
	ckkECMontgomery = 0x41   // CKK_EC_MONTGOMERY
	ckmEdDSA        = 0x1057 // CKM_EDDSA
)

// modules are the loaded PKCS#11 libraries by path: a library is
// initialised once per process (C_Initialize).
var (
	modulesMu sync.Mutex
	modules   = map[string]*p11.Ctx{}
)

func module(path string) (*p11.Ctx, error) {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if c := modules[path]; c != nil {
		return c, nil
	}
	c := p11.New(path)
	if c == nil {
		return nil, fmt.Errorf("pkcs11: cannot load the module %s", path)
	}
	if err := c.Initialize(); err != nil && !errors.Is(err, p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		c.Destroy()
		return nil, fmt.Errorf("pkcs11: %s: C_Initialize: %w", path, err)
	}
	modules[path] = c
	return c, nil
}

// key is a private key in a token: one logged-in session, used by one
// operation at a time (a PKCS#11 session is not for concurrent use).
type key struct {
	ctx  *p11.Ctx
	mu   sync.Mutex
	sh   p11.SessionHandle
	priv p11.ObjectHandle
	pub  crypto.PublicKey
	uri  string
}

// Signer is an RSA or Ed25519 key in a token.
type Signer struct{ *key }

// Decrypter is an RSA key in a token: it signs and decrypts.
type Decrypter struct{ Signer }

// Agreer is an X25519 key in a token.
type Agreer struct{ *key }

// Public returns the public key.
func (k *key) Public() crypto.PublicKey { return k.pub }

// String names the key by its URI (without PIN).
func (k *key) String() string { return k.uri }

// Open finds the private key the URI names (module-path is required; the
// token by token, serial or slot-id; the key by object and/or id) and
// logs in with the URI's PIN. It returns a Signer (Ed25519, ECDSA P-256), a Decrypter
// (RSA: signs and decrypts) or an Agreer (X25519). Errors wrap ErrURI,
// ErrNotFound or ErrUnsupported, or are the token's.
func Open(uri string) (crypto.PrivateKey, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	if u.ModulePath == "" {
		return nil, fmt.Errorf("%w: module-path is required", ErrURI)
	}
	if u.Object == "" && u.ID == nil {
		return nil, fmt.Errorf("%w: object or id is required to name a key", ErrURI)
	}
	if u.Type != "" && u.Type != "private" {
		return nil, fmt.Errorf("%w: type=%s does not name a private key", ErrURI, u.Type)
	}
	pin, err := u.PIN()
	if err != nil {
		return nil, err
	}
	ctx, err := module(u.ModulePath)
	if err != nil {
		return nil, err
	}
	slot, err := findSlot(ctx, u)
	if err != nil {
		return nil, err
	}
	sh, err := ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: C_OpenSession: %w", err)
	}
	k := &key{ctx: ctx, sh: sh, uri: u.String()}
	ok := false
	defer func() {
		if !ok {
			ctx.CloseSession(sh)
		}
	}()
	if pin != "" {
		if err := ctx.Login(sh, p11.CKU_USER, pin); err != nil && !errors.Is(err, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)) {
			return nil, fmt.Errorf("pkcs11: C_Login: %w", err)
		}
	}
	if k.priv, err = findObject(ctx, sh, p11.CKO_PRIVATE_KEY, u); err != nil {
		return nil, err
	}
	attrs, err := ctx.GetAttributeValue(sh, k.priv, []*p11.Attribute{p11.NewAttribute(p11.CKA_KEY_TYPE, nil)})
	if err != nil || len(attrs) != 1 {
		return nil, fmt.Errorf("pkcs11: CKA_KEY_TYPE: %v", err)
	}
	var out crypto.PrivateKey
	switch kt := bytesToUint(attrs[0].Value); kt {
	case p11.CKK_RSA:
		a, err := ctx.GetAttributeValue(sh, k.priv, []*p11.Attribute{p11.NewAttribute(p11.CKA_MODULUS, nil), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, nil)})
		if err != nil {
			return nil, fmt.Errorf("pkcs11: RSA public key: %w", err)
		}
		e := new(big.Int).SetBytes(a[1].Value)
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, fmt.Errorf("%w: RSA public exponent %s", ErrUnsupported, e)
		}
		k.pub = &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(e.Int64())}
		out = &Decrypter{Signer{k}}
	case p11.CKK_EC:
		point, err := publicPoint(ctx, sh, u)
		if err != nil {
			return nil, err
		}
		x, y := elliptic.Unmarshal(elliptic.P256(), point) //nolint:staticcheck // the uncompressed point of CKA_EC_POINT
		if x == nil {
			return nil, fmt.Errorf("%w: EC key not on P-256 (ECDSA P-256 is, for ES256)", ErrUnsupported)
		}
		k.pub = &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
		out = &Signer{k}
	case ckkECEdwards, ckkECMontgomery:
		point, err := publicPoint(ctx, sh, u)
		if err != nil {
			return nil, err
		}
		if kt == ckkECEdwards {
			if len(point) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("%w: Edwards key of %d bytes (only Ed25519)", ErrUnsupported, len(point))
			}
			k.pub = ed25519.PublicKey(point)
			out = &Signer{k}
			break
		}
		pub, err := ecdh.X25519().NewPublicKey(point)
		if err != nil {
			return nil, fmt.Errorf("%w: Montgomery key: %v (only X25519)", ErrUnsupported, err)
		}
		if err := supports(ctx, slot, p11.CKM_ECDH1_DERIVE); err != nil {
			return nil, err
		}
		k.pub = pub
		out = &Agreer{k}
	default:
		return nil, fmt.Errorf("%w: key type 0x%x (RSA, Ed25519 and X25519 are)", ErrUnsupported, kt)
	}
	ok = true
	return out, nil
}

// supports checks that the token of slot offers mechanism m.
func supports(ctx *p11.Ctx, slot uint, m uint) error {
	ms, err := ctx.GetMechanismList(slot)
	if err != nil {
		return fmt.Errorf("pkcs11: C_GetMechanismList: %w", err)
	}
	for _, x := range ms {
		if x.Mechanism == m {
			return nil
		}
	}
	return fmt.Errorf("%w: the token has no mechanism 0x%x", ErrUnsupported, m)
}

func bytesToUint(b []byte) uint {
	var v uint
	for i := len(b) - 1; i >= 0; i-- { // the platform's byte order: little-endian here
		v = v<<8 | uint(b[i])
	}
	return v
}

func findSlot(ctx *p11.Ctx, u *URI) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("pkcs11: C_GetSlotList: %w", err)
	}
	var found []uint
	for _, s := range slots {
		if u.SlotID != nil && *u.SlotID != s {
			continue
		}
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			continue
		}
		if u.Token != "" && ti.Label != u.Token || u.Serial != "" && ti.SerialNumber != u.Serial ||
			u.Manufacturer != "" && ti.ManufacturerID != u.Manufacturer || u.Model != "" && ti.Model != u.Model {
			continue
		}
		found = append(found, s)
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("%w: no token matches %s", ErrNotFound, u)
	case 1:
		return found[0], nil
	}
	return 0, fmt.Errorf("%w: %d tokens match %s", ErrNotFound, len(found), u)
}

func findObject(ctx *p11.Ctx, sh p11.SessionHandle, class uint, u *URI) (p11.ObjectHandle, error) {
	tpl := []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, class)}
	if u.Object != "" {
		tpl = append(tpl, p11.NewAttribute(p11.CKA_LABEL, u.Object))
	}
	if u.ID != nil {
		tpl = append(tpl, p11.NewAttribute(p11.CKA_ID, u.ID))
	}
	if err := ctx.FindObjectsInit(sh, tpl); err != nil {
		return 0, fmt.Errorf("pkcs11: C_FindObjectsInit: %w", err)
	}
	objs, _, err := ctx.FindObjects(sh, 2)
	ctx.FindObjectsFinal(sh)
	if err != nil {
		return 0, fmt.Errorf("pkcs11: C_FindObjects: %w", err)
	}
	if len(objs) != 1 {
		return 0, fmt.Errorf("%w: %d objects of class %d match %s", ErrNotFound, len(objs), class, u)
	}
	return objs[0], nil
}

// publicPoint reads the raw public key of an Edwards or Montgomery key
// from the public key object of the same label and id (CKA_EC_POINT, an
// OCTET STRING or, as some tokens store it, the raw bytes).
func publicPoint(ctx *p11.Ctx, sh p11.SessionHandle, u *URI) ([]byte, error) {
	pub, err := findObject(ctx, sh, p11.CKO_PUBLIC_KEY, u)
	if err != nil {
		return nil, fmt.Errorf("the public key beside the private one: %w", err)
	}
	a, err := ctx.GetAttributeValue(sh, pub, []*p11.Attribute{p11.NewAttribute(p11.CKA_EC_POINT, nil)})
	if err != nil || len(a) != 1 {
		return nil, fmt.Errorf("pkcs11: CKA_EC_POINT: %v", err)
	}
	var raw []byte
	if rest, err := asn1.Unmarshal(a[0].Value, &raw); err == nil && len(rest) == 0 {
		return raw, nil
	}
	return a[0].Value, nil
}

// Sign signs with the token: a SHA-256 digest with RSA PKCS #1 v1.5
// (CKM_RSA_PKCS over the DigestInfo), or a whole message with Ed25519
// (opts.HashFunc() == 0, CKM_EDDSA).
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var m *p11.Mechanism
	data := digest
	switch s.pub.(type) {
	case *rsa.PublicKey:
		if _, pss := opts.(*rsa.PSSOptions); pss {
			return nil, fmt.Errorf("%w: RSA-PSS", ErrUnsupported)
		}
		if opts.HashFunc() != crypto.SHA256 || len(digest) != 32 {
			return nil, fmt.Errorf("%w: RSA signature with %v (SHA-256 is)", ErrUnsupported, opts.HashFunc())
		}
		// DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
		prefix := []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
		data = append(append([]byte{}, prefix...), digest...)
		m = p11.NewMechanism(p11.CKM_RSA_PKCS, nil)
	case *ecdsa.PublicKey:
		if opts.HashFunc() != crypto.SHA256 || len(digest) != 32 {
			return nil, fmt.Errorf("%w: ECDSA with %v (SHA-256 is)", ErrUnsupported, opts.HashFunc())
		}
		m = p11.NewMechanism(p11.CKM_ECDSA, nil)
	case ed25519.PublicKey:
		if opts.HashFunc() != 0 {
			return nil, fmt.Errorf("%w: Ed25519ph", ErrUnsupported)
		}
		m = p11.NewMechanism(ckmEdDSA, nil)
	default:
		return nil, fmt.Errorf("%w: signing with %T", ErrUnsupported, s.pub)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ctx.SignInit(s.sh, []*p11.Mechanism{m}, s.priv); err != nil {
		return nil, fmt.Errorf("pkcs11: C_SignInit: %w", err)
	}
	sig, err := s.ctx.Sign(s.sh, data)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: C_Sign: %w", err)
	}
	if _, ok := s.pub.(*ecdsa.PublicKey); ok {
		// PKCS #11 gives r || s; crypto.Signer promises ASN.1 (RFC 3279).
		if len(sig) != 64 {
			return nil, fmt.Errorf("pkcs11: ECDSA signature of %d bytes", len(sig))
		}
		return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	}
	return sig, nil
}

// Decrypt decrypts RSA-OAEP with SHA-256 and MGF1-SHA-256 in the token
// (CKM_RSA_PKCS_OAEP); opts must be *rsa.OAEPOptions with those hashes
// and no label.
func (d *Decrypter) Decrypt(_ io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	o, ok := opts.(*rsa.OAEPOptions)
	if !ok || o.Hash != crypto.SHA256 || (o.MGFHash != 0 && o.MGFHash != crypto.SHA256) || len(o.Label) != 0 {
		return nil, fmt.Errorf("%w: decryption other than RSA-OAEP with SHA-256", ErrUnsupported)
	}
	m := p11.NewMechanism(p11.CKM_RSA_PKCS_OAEP, p11.NewOAEPParams(p11.CKM_SHA256, p11.CKG_MGF1_SHA256, p11.CKZ_DATA_SPECIFIED, nil))
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.ctx.DecryptInit(d.sh, []*p11.Mechanism{m}, d.priv)
	if errors.Is(err, p11.Error(p11.CKR_ARGUMENTS_BAD)) || errors.Is(err, p11.Error(p11.CKR_MECHANISM_PARAM_INVALID)) {
		// The token does OAEP with SHA-1 only (SoftHSM2 up to 2.6):
		// the raw RSA operation in the token, the OAEP decoding here.
		raw := p11.NewMechanism(p11.CKM_RSA_X_509, nil)
		if err := d.ctx.DecryptInit(d.sh, []*p11.Mechanism{raw}, d.priv); err != nil {
			return nil, fmt.Errorf("pkcs11: C_DecryptInit: %w", err)
		}
		em, err := d.ctx.Decrypt(d.sh, msg)
		if err != nil {
			return nil, fmt.Errorf("pkcs11: C_Decrypt: %w", err)
		}
		return decodeOAEP(em, (d.pub.(*rsa.PublicKey).N.BitLen()+7)/8)
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs11: C_DecryptInit: %w", err)
	}
	out, err := d.ctx.Decrypt(d.sh, msg)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: C_Decrypt: %w", err)
	}
	return out, nil
}

// ECDH derives the X25519 shared secret with remote in the token
// (CKM_ECDH1_DERIVE, no KDF) and reads it out as a generic secret.
func (a *Agreer) ECDH(remote *ecdh.PublicKey) ([]byte, error) {
	if remote.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("%w: ECDH with a non-X25519 key", ErrUnsupported)
	}
	m := p11.NewMechanism(p11.CKM_ECDH1_DERIVE, p11.NewECDH1DeriveParams(p11.CKD_NULL, nil, remote.Bytes()))
	tpl := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_GENERIC_SECRET),
		p11.NewAttribute(p11.CKA_TOKEN, false),
		p11.NewAttribute(p11.CKA_SENSITIVE, false),
		p11.NewAttribute(p11.CKA_EXTRACTABLE, true),
		p11.NewAttribute(p11.CKA_VALUE_LEN, 32),
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	h, err := a.ctx.DeriveKey(a.sh, []*p11.Mechanism{m}, a.priv, tpl)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: C_DeriveKey: %w", err)
	}
	defer a.ctx.DestroyObject(a.sh, h)
	v, err := a.ctx.GetAttributeValue(a.sh, h, []*p11.Attribute{p11.NewAttribute(p11.CKA_VALUE, nil)})
	if err != nil || len(v) != 1 {
		return nil, fmt.Errorf("pkcs11: shared secret: %v", err)
	}
	return v[0].Value, nil
}

var (
	_ crypto.Signer    = (*Signer)(nil)
	_ crypto.Decrypter = (*Decrypter)(nil)
)

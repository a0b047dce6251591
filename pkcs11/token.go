//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"

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

// Bounds on the use of a key (see key.do) when its URI sets none
// (x-max-sessions, x-timeout); tests shorten them.
var (
	// maxSessions is the number of sessions a key opens at most: as many
	// operations run in the token at once, the others wait for one.
	maxSessions = 8
	// opTimeout bounds how long an operation waits for a free session and
	// for the token's answer.
	opTimeout = 30 * time.Second
)

// key is a private key in a token, used through a pool of up to
// maxSessions logged-in sessions (a PKCS#11 session is for one operation
// at a time). A session the token no longer knows (closed, logged out,
// the token reset) is dropped and the operation is run once more on a new
// one, after finding the token and the key again and checking that the
// key is still the one opened.
type key struct {
	ctx  *p11.Ctx
	u    *URI
	pub  crypto.PublicKey
	uri  string
	busy chan struct{} // a value per session in use
	idle chan *session // the sessions not in use
	wait time.Duration // opTimeout when opened

	mu        sync.Mutex
	failedPIN string // the PIN the token refused when it was last tried
	loginErr  error  // that refusal
}

// session is a logged-in session and the key's handle in it.
type session struct {
	sh   p11.SessionHandle
	priv p11.ObjectHandle
}

// Signer is an RSA, ECDSA P-256 or Ed25519 key in a token.
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
// logs in with the URI's PIN; x-max-sessions and x-timeout bound its
// sessions and operations (see the package documentation). It returns a Signer (Ed25519, ECDSA P-256), a Decrypter
// (RSA: signs and decrypts) or an Agreer (X25519). Errors wrap ErrURI,
// ErrNotFound, ErrLogin or ErrUnsupported, or are the token's.
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
	ctx, err := module(u.ModulePath)
	if err != nil {
		return nil, err
	}
	pool, wait := maxSessions, opTimeout
	if u.MaxSessions > 0 {
		pool = u.MaxSessions
	}
	if u.Timeout > 0 {
		wait = u.Timeout
	}
	k := &key{ctx: ctx, u: u, uri: u.String(), busy: make(chan struct{}, pool), idle: make(chan *session, pool), wait: wait}
	s, slot, err := k.open()
	if err != nil {
		return nil, err
	}
	k.idle <- s
	var out crypto.PrivateKey
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		out = &Decrypter{Signer{k}}
	case *ecdsa.PublicKey, ed25519.PublicKey:
		out = &Signer{k}
	case *ecdh.PublicKey:
		if err := supports(ctx, slot, p11.CKM_ECDH1_DERIVE); err != nil {
			k.drop(s)
			return nil, err
		}
		out = &Agreer{k}
	default:
		k.drop(s)
		return nil, fmt.Errorf("%w: %T", ErrUnsupported, pub)
	}
	return out, nil
}

// open opens a session with the token the URI names, logs in, and finds
// the key. The first time it sets k.pub; later it refuses a key whose
// public key is not k.pub (the token's key was replaced under its label).
func (k *key) open() (*session, uint, error) {
	slot, err := findSlot(k.ctx, k.u)
	if err != nil {
		return nil, 0, err
	}
	sh, err := k.ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, 0, fmt.Errorf("pkcs11: %s: C_OpenSession: %w", k.uri, err)
	}
	s := &session{sh: sh}
	if err := k.login(sh); err != nil {
		k.ctx.CloseSession(sh)
		return nil, 0, err
	}
	if s.priv, err = findObject(k.ctx, sh, p11.CKO_PRIVATE_KEY, k.u); err != nil {
		k.ctx.CloseSession(sh)
		return nil, 0, err
	}
	pub, err := publicKey(k.ctx, sh, s.priv, k.u)
	if err != nil {
		k.ctx.CloseSession(sh)
		return nil, 0, err
	}
	if k.pub == nil {
		k.pub = pub
	} else if !publicEqual(k.pub, pub) {
		k.ctx.CloseSession(sh)
		return nil, 0, fmt.Errorf("%w: %s is now another key than the one opened (its public key changed); restart to use it", ErrNotFound, k.uri)
	}
	return s, slot, nil
}

// login logs the application in to the token with the URI's PIN (read
// again from pin-source). A PIN the token refused is not tried again, so
// that retries do not lock the token, until the PIN given changes.
func (k *key) login(sh p11.SessionHandle) error {
	pin, err := k.u.PIN()
	if err != nil || pin == "" {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.loginErr != nil && pin == k.failedPIN {
		return k.loginErr
	}
	err = k.ctx.Login(sh, p11.CKU_USER, pin)
	if err == nil || errors.Is(err, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)) {
		k.loginErr, k.failedPIN = nil, ""
		return nil
	}
	err = fmt.Errorf("%w: token %s: C_Login: %w", ErrLogin, k.tokenName(), err)
	for _, e := range []uint{p11.CKR_PIN_INCORRECT, p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE, p11.CKR_PIN_EXPIRED, p11.CKR_PIN_LOCKED} {
		if errors.Is(err, p11.Error(e)) {
			k.loginErr, k.failedPIN = fmt.Errorf("%w (the PIN is not tried again until it changes)", err), pin
			break
		}
	}
	return err
}

// tokenName names the token of the URI, without PIN or key.
func (k *key) tokenName() string {
	t := *k.u
	t.Object, t.ID, t.Type, t.PINValue, t.MaxSessions, t.Timeout = "", nil, "", "", 0, 0
	return t.String()
}

// publicKey reads the public key of the private key priv: an RSA key's
// modulus and exponent, else the public key object beside it.
func publicKey(ctx *p11.Ctx, sh p11.SessionHandle, priv p11.ObjectHandle, u *URI) (crypto.PublicKey, error) {
	attrs, err := ctx.GetAttributeValue(sh, priv, []*p11.Attribute{p11.NewAttribute(p11.CKA_KEY_TYPE, nil)})
	if err != nil || len(attrs) != 1 {
		return nil, attrErr("pkcs11: CKA_KEY_TYPE", err)
	}
	switch kt := bytesToUint(attrs[0].Value); kt {
	case p11.CKK_RSA:
		a, err := ctx.GetAttributeValue(sh, priv, []*p11.Attribute{p11.NewAttribute(p11.CKA_MODULUS, nil), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, nil)})
		if err != nil {
			return nil, fmt.Errorf("pkcs11: RSA public key: %w", err)
		}
		e := new(big.Int).SetBytes(a[1].Value)
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, fmt.Errorf("%w: RSA public exponent %s", ErrUnsupported, e)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(e.Int64())}, nil
	case p11.CKK_EC:
		point, err := publicPoint(ctx, sh, u)
		if err != nil {
			return nil, err
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point) // CKA_EC_POINT is uncompressed
		if err != nil {
			return nil, fmt.Errorf("%w: EC key not on P-256 (ECDSA P-256 is, for ES256)", ErrUnsupported)
		}
		return pub, nil
	case ckkECEdwards, ckkECMontgomery:
		point, err := publicPoint(ctx, sh, u)
		if err != nil {
			return nil, err
		}
		if kt == ckkECEdwards {
			if len(point) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("%w: Edwards key of %d bytes (only Ed25519)", ErrUnsupported, len(point))
			}
			return ed25519.PublicKey(point), nil
		}
		pub, err := ecdh.X25519().NewPublicKey(point)
		if err != nil {
			return nil, fmt.Errorf("%w: Montgomery key: %v (only X25519)", ErrUnsupported, err)
		}
		return pub, nil
	default:
		return nil, fmt.Errorf("%w: key type 0x%x (RSA, Ed25519 and X25519 are)", ErrUnsupported, kt)
	}
}

// attrErr is the error of C_GetAttributeValue, err or no value.
func attrErr(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%s: no value", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func publicEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// stale reports whether err says the session or the handle in it is no
// longer good (the session closed, the user logged out, the token
// removed or reset, the device failed), not that the operation's input
// was wrong: the operation is worth trying on a new session.
func stale(err error) bool {
	for _, e := range []uint{p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED, p11.CKR_OBJECT_HANDLE_INVALID,
		p11.CKR_KEY_HANDLE_INVALID, p11.CKR_USER_NOT_LOGGED_IN, p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_DEVICE_REMOVED,
		p11.CKR_TOKEN_NOT_RECOGNIZED, p11.CKR_CRYPTOKI_NOT_INITIALIZED,
		// SoftHSM2 2.6 answers C_SignInit so when the process is logged
		// out during the call; a network HSM's client when the link broke.
		p11.CKR_GENERAL_ERROR, p11.CKR_DEVICE_ERROR} {
		if errors.Is(err, p11.Error(e)) {
			return true
		}
	}
	return false
}

// do runs op (named by name, for errors) on a session of the key. It waits
// at most opTimeout for a free session and for the token's answer: a
// token that hangs fails the operations with ErrTimeout rather than
// blocking them for ever, and holds at most maxSessions sessions while it
// hangs. An operation that failed because its session was stale runs
// again on a new session, up to attempts times in all.
func (k *key) do(name string, op func(*session) ([]byte, error)) ([]byte, error) {
	timer := time.NewTimer(k.wait)
	defer timer.Stop()
	select {
	case k.busy <- struct{}{}:
	case <-timer.C:
		return nil, fmt.Errorf("%w: %s: all %d sessions of %s busy for %v", ErrTimeout, name, cap(k.busy), k.uri, k.wait)
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-k.busy }()
		out, err := k.run(name, op)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-timer.C:
		return nil, fmt.Errorf("%w: %s with %s: no answer from the token within %v", ErrTimeout, name, k.uri, k.wait)
	}
}

// attempts is how many sessions an operation is tried on while the
// token says the session was stale (it may log out again meanwhile).
const attempts = 3

func (k *key) run(name string, op func(*session) ([]byte, error)) ([]byte, error) {
	var s *session
	select {
	case s = <-k.idle:
	default:
	}
	var err error
	for i := 0; i < attempts; i++ {
		if s == nil {
			var oerr error
			if s, _, oerr = k.open(); oerr != nil {
				if stale(oerr) && i+1 < attempts {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("%w (after %s failed: %v)", oerr, name, err)
				}
				return nil, oerr
			}
		}
		var out []byte
		if out, err = op(s); err == nil || !stale(err) {
			k.idle <- s
			return out, k.opErr(name, err)
		}
		k.drop(s)
		s = nil
	}
	return nil, k.opErr(name, err)
}

func (k *key) opErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pkcs11: %s: %s: %w", k.uri, name, err)
}

// drop closes a session that is no longer used.
func (k *key) drop(s *session) { k.ctx.CloseSession(s.sh) }

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
		return nil, attrErr("pkcs11: CKA_EC_POINT", err)
	}
	var raw []byte
	if rest, err := asn1.Unmarshal(a[0].Value, &raw); err == nil && len(rest) == 0 {
		return raw, nil
	}
	return a[0].Value, nil
}

// Sign signs with the token: a digest with RSA PKCS #1 v1.5 (CKM_RSA_PKCS
// over the DigestInfo) or, when opts is *rsa.PSSOptions, RSASSA-PSS
// (CKM_RSA_PKCS_PSS, MGF1 with the digest's hash and the salt length of
// opts, as rsa.SignPSS reads it), both with SHA-256, SHA-384 or SHA-512;
// a SHA-256 digest with ECDSA P-256 (CKM_ECDSA); or a whole message with
// Ed25519 (opts.HashFunc() == 0, CKM_EDDSA).
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var m *p11.Mechanism
	data := digest
	switch pub := s.pub.(type) {
	case *rsa.PublicKey:
		h := opts.HashFunc()
		hm, ok := rsaHashes[h]
		if !ok || len(digest) != h.Size() {
			return nil, fmt.Errorf("%w: RSA signature with %v (SHA-256, SHA-384 and SHA-512 are)", ErrUnsupported, h)
		}
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			salt := pss.SaltLength
			switch salt {
			case rsa.PSSSaltLengthEqualsHash:
				salt = h.Size()
			case rsa.PSSSaltLengthAuto: // the longest, as rsa.SignPSS
				salt = (pub.N.BitLen()-1+7)/8 - 2 - h.Size()
			}
			if salt < 0 || salt > (pub.N.BitLen()-1+7)/8-2-h.Size() {
				return nil, fmt.Errorf("%w: RSA-PSS salt length %d", ErrUnsupported, pss.SaltLength)
			}
			m = p11.NewMechanism(p11.CKM_RSA_PKCS_PSS, p11.NewPSSParams(hm.mech, hm.mgf, uint(salt)))
			break
		}
		data = append(append([]byte{}, hm.digestInfo...), digest...)
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
	sig, err := s.do("sign", func(ss *session) ([]byte, error) {
		if err := s.ctx.SignInit(ss.sh, []*p11.Mechanism{m}, ss.priv); err != nil {
			return nil, fmt.Errorf("C_SignInit: %w", err)
		}
		sig, err := s.ctx.Sign(ss.sh, data)
		if err != nil {
			return nil, fmt.Errorf("C_Sign: %w", err)
		}
		return sig, nil
	})
	if err != nil {
		return nil, err
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

// rsaHash is what RSA signing needs of a hash: its PKCS #11 mechanism and
// MGF1 (for PSS) and its DigestInfo prefix (for PKCS #1 v1.5).
type rsaHash struct {
	mech, mgf  uint
	digestInfo []byte
}

var rsaHashes = map[crypto.Hash]rsaHash{
	crypto.SHA256: {p11.CKM_SHA256, p11.CKG_MGF1_SHA256, digestInfo(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, 32)},
	crypto.SHA384: {p11.CKM_SHA384, p11.CKG_MGF1_SHA384, digestInfo(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, 48)},
	crypto.SHA512: {p11.CKM_SHA512, p11.CKG_MGF1_SHA512, digestInfo(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, 64)},
}

// digestInfo is the DER DigestInfo (RFC 8017 §9.2) of a digest of size
// bytes with the hash oid, without the digest: the prefix to put before it.
func digestInfo(oid asn1.ObjectIdentifier, size int) []byte {
	b, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}{pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}, make([]byte, size)})
	if err != nil {
		panic(err)
	}
	return b[:len(b)-size]
}

// oaepHashes are the OAEP digests and MGF1 hashes an RSA key in a token
// decrypts with, and their PKCS #11 names (CK_RSA_PKCS_OAEP_PARAMS): SHA-1
// for XML Encryption 1.0's rsa-oaep-mgf1p (MGF1-SHA-1 with a SHA-1 or
// SHA-256 digest), SHA-256 for the AS4 1.15 key transport.
var oaepHashes = map[crypto.Hash]struct{ mech, mgf uint }{
	crypto.SHA1:   {p11.CKM_SHA_1, p11.CKG_MGF1_SHA1},
	crypto.SHA256: {p11.CKM_SHA256, p11.CKG_MGF1_SHA256},
	crypto.SHA384: {p11.CKM_SHA384, p11.CKG_MGF1_SHA384},
	crypto.SHA512: {p11.CKM_SHA512, p11.CKG_MGF1_SHA512},
}

// Decrypt decrypts RSA-OAEP in the token (CKM_RSA_PKCS_OAEP): opts must be
// *rsa.OAEPOptions whose digest and MGF1 hash (the digest when MGFHash is
// 0) are each SHA-1, SHA-256, SHA-384 or SHA-512. A token that refuses
// those parameters (SoftHSM2 2.6 does OAEP with SHA-1 only) does the raw
// RSA operation (CKM_RSA_X_509) and the OAEP decoding happens here. So
// does a token for a ciphertext with a label, as tokens may ignore the
// label (SoftHSM2 2.6 does: it decrypts what was encrypted under another
// one); only a token without raw RSA is given the label, in the OAEP
// parameters (CK_RSA_PKCS_OAEP_PARAMS).
func (d *Decrypter) Decrypt(_ io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	o, ok := opts.(*rsa.OAEPOptions)
	if !ok {
		return nil, fmt.Errorf("%w: decryption other than RSA-OAEP (%T options)", ErrUnsupported, opts)
	}
	mgfHash := o.MGFHash
	if mgfHash == 0 {
		mgfHash = o.Hash
	}
	h, okH := oaepHashes[o.Hash]
	g, okG := oaepHashes[mgfHash]
	if !okH || !okG {
		return nil, fmt.Errorf("%w: RSA-OAEP with the digest %v and MGF1 with %v (SHA-1, SHA-256, SHA-384 and SHA-512 are)", ErrUnsupported, o.Hash, mgfHash)
	}
	oaep := []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS_OAEP, p11.NewOAEPParams(h.mech, g.mgf, p11.CKZ_DATA_SPECIFIED, o.Label))}
	rawRSA := []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_X_509, nil)}
	var raw bool // the token's raw RSA, OAEP decoded here
	out, err := d.do("decrypt", func(s *session) ([]byte, error) {
		var err error
		if raw = len(o.Label) > 0; raw {
			if err = d.ctx.DecryptInit(s.sh, rawRSA, s.priv); errors.Is(err, p11.Error(p11.CKR_MECHANISM_INVALID)) {
				raw = false
				err = d.ctx.DecryptInit(s.sh, oaep, s.priv)
			}
		} else {
			err = d.ctx.DecryptInit(s.sh, oaep, s.priv)
			if errors.Is(err, p11.Error(p11.CKR_ARGUMENTS_BAD)) || errors.Is(err, p11.Error(p11.CKR_MECHANISM_PARAM_INVALID)) {
				raw = true
				err = d.ctx.DecryptInit(s.sh, rawRSA, s.priv)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("C_DecryptInit: %w", err)
		}
		out, err := d.ctx.Decrypt(s.sh, msg)
		if !raw && errors.Is(err, p11.Error(p11.CKR_GENERAL_ERROR)) {
			// SoftHSM2's answer to a ciphertext that is not OAEP: not a
			// stale session, not worth a new one (see stale).
			return nil, fmt.Errorf("C_Decrypt: %v", err)
		}
		if err != nil {
			return nil, fmt.Errorf("C_Decrypt: %w", err)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if raw {
		return decodeOAEP(out, (d.pub.(*rsa.PublicKey).N.BitLen()+7)/8, o.Hash, mgfHash, o.Label)
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
	return a.do("derive", func(s *session) ([]byte, error) {
		h, err := a.ctx.DeriveKey(s.sh, []*p11.Mechanism{m}, s.priv, tpl)
		if err != nil {
			return nil, fmt.Errorf("C_DeriveKey: %w", err)
		}
		defer a.ctx.DestroyObject(s.sh, h)
		v, err := a.ctx.GetAttributeValue(s.sh, h, []*p11.Attribute{p11.NewAttribute(p11.CKA_VALUE, nil)})
		if err != nil || len(v) != 1 {
			return nil, attrErr("shared secret", err)
		}
		return v[0].Value, nil
	})
}

var (
	_ crypto.Signer    = (*Signer)(nil)
	_ crypto.Decrypter = (*Decrypter)(nil)
)

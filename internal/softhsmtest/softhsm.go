//go:build pkcs11 && cgo

// Package softhsmtest gives tests a SoftHSM2 token (Debian softhsm2) and
// imports keys into it through PKCS#11, so that code under test opens them
// by PKCS#11 URI as it would keys in a hardware security module.
package softhsmtest

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	p11 "github.com/miekg/pkcs11"

	"github.com/oots-go/oots/internal/testenv"
)

// Module is where Debian installs the SoftHSM2 PKCS#11 library.
const Module = "/usr/lib/softhsm/libsofthsm2.so"

// The token's label and its user PIN.
const (
	TokenLabel = "oots-test"
	PIN        = "87654321"
	soPIN      = "12345678"
)

var (
	once    sync.Once
	initErr error
	ctx     *p11.Ctx
	slot    uint
	mu      sync.Mutex
	nextID  int
)

// start makes one token for the whole test process: SoftHSM reads its
// configuration (SOFTHSM2_CONF) once, when the library is initialised.
func start(tb testing.TB) {
	tb.Helper()
	testenv.File(tb, Module)
	util := testenv.Tool(tb, "softhsm2-util")
	once.Do(func() {
		dir, err := os.MkdirTemp("", "oots-softhsm-")
		if err != nil {
			initErr = err
			return
		}
		tokens := filepath.Join(dir, "tokens")
		if err := os.Mkdir(tokens, 0o700); err != nil {
			initErr = err
			return
		}
		conf := filepath.Join(dir, "softhsm2.conf")
		if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
			initErr = err
			return
		}
		os.Setenv("SOFTHSM2_CONF", conf)
		out, err := exec.Command(util, "--init-token", "--free", "--label", TokenLabel, "--pin", PIN, "--so-pin", soPIN).CombinedOutput()
		if err != nil {
			initErr = fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
			return
		}
		ctx = p11.New(Module)
		if ctx == nil {
			initErr = fmt.Errorf("cannot load %s", Module)
			return
		}
		if err := ctx.Initialize(); err != nil {
			initErr = err
			return
		}
		slots, err := ctx.GetSlotList(true)
		if err != nil {
			initErr = err
			return
		}
		for _, s := range slots {
			if ti, err := ctx.GetTokenInfo(s); err == nil && ti.Label == TokenLabel {
				slot = s
				return
			}
		}
		initErr = fmt.Errorf("the token %s is not in the slot list", TokenLabel)
	})
	if initErr != nil {
		tb.Fatalf("softhsmtest: %v", initErr)
	}
}

// URI names a key imported into the token.
func URI(label string) string {
	return "pkcs11:token=" + TokenLabel + ";object=" + url.PathEscape(label) + ";type=private?module-path=" + Module + "&pin-value=" + PIN
}

// Import stores key (an *rsa.PrivateKey, ed25519.PrivateKey or X25519
// *ecdh.PrivateKey) in the token under a new label, with its public key
// beside it, and returns its PKCS#11 URI. It skips the test when SoftHSM2
// is missing (fails under OOTS_REQUIRE_VERIFIERS=1), and fails it when the
// token refuses the key (err is then returned to callers that expect it:
// see ImportErr).
func Import(tb testing.TB, key crypto.PrivateKey) string {
	tb.Helper()
	uri, err := ImportErr(tb, key)
	if err != nil {
		tb.Fatalf("softhsmtest: %v", err)
	}
	return uri
}

// ImportErr is Import returning the token's refusal instead of failing.
func ImportErr(tb testing.TB, key crypto.PrivateKey) (string, error) {
	return importAs(tb, key, "")
}

// ImportAs is Import under the given label (CKA_LABEL, the URI's object).
func ImportAs(tb testing.TB, key crypto.PrivateKey, label string) string {
	tb.Helper()
	uri, err := importAs(tb, key, label)
	if err != nil {
		tb.Fatalf("softhsmtest: %v", err)
	}
	return uri
}

func importAs(tb testing.TB, key crypto.PrivateKey, label string) (string, error) {
	tb.Helper()
	start(tb)
	mu.Lock()
	defer mu.Unlock()
	nextID++
	if label == "" {
		label = fmt.Sprintf("key-%d", nextID)
	}
	id := []byte{byte(nextID >> 8), byte(nextID)}
	common := func(class, kt uint) []*p11.Attribute {
		return []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, class), p11.NewAttribute(p11.CKA_KEY_TYPE, kt),
			p11.NewAttribute(p11.CKA_TOKEN, true), p11.NewAttribute(p11.CKA_LABEL, label), p11.NewAttribute(p11.CKA_ID, id),
		}
	}
	var priv, pub []*p11.Attribute
	switch k := key.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		priv = append(common(p11.CKO_PRIVATE_KEY, p11.CKK_RSA),
			p11.NewAttribute(p11.CKA_PRIVATE, true), p11.NewAttribute(p11.CKA_SENSITIVE, true),
			p11.NewAttribute(p11.CKA_SIGN, true), p11.NewAttribute(p11.CKA_DECRYPT, true),
			p11.NewAttribute(p11.CKA_MODULUS, k.N.Bytes()), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, bigE(k.E)),
			p11.NewAttribute(p11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
			p11.NewAttribute(p11.CKA_PRIME_1, k.Primes[0].Bytes()), p11.NewAttribute(p11.CKA_PRIME_2, k.Primes[1].Bytes()),
			p11.NewAttribute(p11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()), p11.NewAttribute(p11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()),
			p11.NewAttribute(p11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()))
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("%T on %v", key, k.Curve.Params().Name)
		}
		params := mustOID(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})
		d := make([]byte, 32)
		k.D.FillBytes(d)
		priv = append(common(p11.CKO_PRIVATE_KEY, p11.CKK_EC),
			p11.NewAttribute(p11.CKA_PRIVATE, true), p11.NewAttribute(p11.CKA_SENSITIVE, true), p11.NewAttribute(p11.CKA_SIGN, true),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params), p11.NewAttribute(p11.CKA_VALUE, d))
		pub = append(common(p11.CKO_PUBLIC_KEY, p11.CKK_EC), p11.NewAttribute(p11.CKA_VERIFY, true),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params), p11.NewAttribute(p11.CKA_EC_POINT, octets(elliptic.Marshal(elliptic.P256(), k.X, k.Y)))) //nolint:staticcheck
	case ed25519.PrivateKey:
		params := mustOID(asn1.ObjectIdentifier{1, 3, 101, 112})
		priv = append(common(p11.CKO_PRIVATE_KEY, 0x40),
			p11.NewAttribute(p11.CKA_PRIVATE, true), p11.NewAttribute(p11.CKA_SENSITIVE, true), p11.NewAttribute(p11.CKA_SIGN, true),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params), p11.NewAttribute(p11.CKA_VALUE, k.Seed()))
		pub = append(common(p11.CKO_PUBLIC_KEY, 0x40), p11.NewAttribute(p11.CKA_VERIFY, true),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params), p11.NewAttribute(p11.CKA_EC_POINT, octets(k.Public().(ed25519.PublicKey))))
	case *ecdh.PrivateKey:
		if k.Curve() != ecdh.X25519() {
			return "", fmt.Errorf("%T on %v", key, k.Curve())
		}
		params := mustOID(asn1.ObjectIdentifier{1, 3, 101, 110})
		priv = append(common(p11.CKO_PRIVATE_KEY, 0x41),
			p11.NewAttribute(p11.CKA_PRIVATE, true), p11.NewAttribute(p11.CKA_SENSITIVE, true), p11.NewAttribute(p11.CKA_DERIVE, true),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params), p11.NewAttribute(p11.CKA_VALUE, k.Bytes()))
		pub = append(common(p11.CKO_PUBLIC_KEY, 0x41), p11.NewAttribute(p11.CKA_DERIVE, true),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params), p11.NewAttribute(p11.CKA_EC_POINT, octets(k.PublicKey().Bytes())))
	default:
		return "", fmt.Errorf("softhsmtest: %T not supported", key)
	}
	sh, err := ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		return "", err
	}
	defer ctx.CloseSession(sh)
	if err := ctx.Login(sh, p11.CKU_USER, PIN); err != nil && err != p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN) {
		return "", err
	}
	if _, err := ctx.CreateObject(sh, priv); err != nil {
		return "", fmt.Errorf("C_CreateObject (private %T): %w", key, err)
	}
	if pub != nil {
		if _, err := ctx.CreateObject(sh, pub); err != nil {
			return "", fmt.Errorf("C_CreateObject (public %T): %w", key, err)
		}
	}
	return URI(label), nil
}

func bigE(e int) []byte {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return b
}

func mustOID(o asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(o)
	if err != nil {
		panic(err)
	}
	return b
}

func octets(b []byte) []byte {
	d, err := asn1.Marshal(b)
	if err != nil {
		panic(err)
	}
	return d
}

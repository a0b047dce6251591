package xmlenc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"reflect"
	"testing"
)

// TestOriginatorDER: the X25519 key of an AgreementMethod is written
// exactly as crypto/x509 writes it, and read as x509 reads it, also DER
// that is not quite an X25519 key.
func TestOriginatorDER(t *testing.T) {
	for range 20 {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		want, err := x509.MarshalPKIXPublicKey(k.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalOriginator(k.PublicKey())
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("marshalOriginator = %x, %v; x509 writes %x", got, err, want)
		}
		back, err := parseOriginator(want)
		if err != nil || !back.(*ecdh.PublicKey).Equal(k.PublicKey()) {
			t.Fatalf("parseOriginator(%x) = %v, %v", want, back, err)
		}
	}
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	good, _ := x509.MarshalPKIXPublicKey(k.PublicKey())
	for name, der := range map[string][]byte{
		"short":       good[:len(good)-1],
		"long":        append(bytes.Clone(good), 0),
		"unused bits": append(append(bytes.Clone(good[:11]), 1), good[12:]...),
		"another OID": append(append(bytes.Clone(good[:8]), 0x70), good[9:]...),
		"empty":       nil,
	} {
		xpub, xerr := x509.ParsePKIXPublicKey(der)
		pub, err := parseOriginator(der)
		if (err == nil) != (xerr == nil) {
			t.Errorf("%s: parseOriginator error %v, x509's %v", name, err, xerr)
		}
		if err == nil && !reflect.DeepEqual(pub, xpub) {
			t.Errorf("%s: parseOriginator read %v, x509 %v", name, pub, xpub)
		}
	}
}

// FuzzOriginatorDER: parseOriginator reads any DER as crypto/x509 does.
func FuzzOriginatorDER(f *testing.F) {
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	good, _ := x509.MarshalPKIXPublicKey(k.PublicKey())
	f.Add(good)
	f.Add(good[:20])
	f.Fuzz(func(t *testing.T, der []byte) {
		xpub, xerr := x509.ParsePKIXPublicKey(der)
		pub, err := parseOriginator(der)
		if (err == nil) != (xerr == nil) || err == nil && !reflect.DeepEqual(pub, xpub) {
			t.Fatalf("parseOriginator(%x) = %v, %v; x509: %v, %v", der, pub, err, xpub, xerr)
		}
	})
}

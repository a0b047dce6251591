package pkcs11

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"testing"
)

// rawDecrypt is the raw RSA operation a token does with CKM_RSA_X_509.
func rawDecrypt(k *rsa.PrivateKey, c []byte) []byte {
	return new(big.Int).Exp(new(big.Int).SetBytes(c), k.D, k.N).Bytes()
}

// TestDecodeOAEP: what crypto/rsa encrypts, raw decryption and
// decodeOAEP recover; a modified ciphertext gives the one error.
func TestDecodeOAEP(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range [][]byte{[]byte("0123456789abcdef"), {}, bytes.Repeat([]byte{1}, 190)} {
		c, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOAEP(rawDecrypt(k, c), k.Size())
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%q: %q, %v", msg, got, err)
		}
		c[len(c)-1] ^= 1
		if _, err := decodeOAEP(rawDecrypt(k, c), k.Size()); err != errDecryption {
			t.Fatalf("modified ciphertext: %v", err)
		}
	}
}

func FuzzDecodeOAEP(f *testing.F) {
	f.Add(make([]byte, 256))
	f.Fuzz(func(t *testing.T, em []byte) {
		out, err := decodeOAEP(em, 256)
		if err == nil && len(out) > 256-2*32-2 {
			t.Fatalf("message of %d bytes", len(out))
		}
	})
}

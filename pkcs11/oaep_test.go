package pkcs11

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"
)

// rawDecrypt is the raw RSA operation a token does with CKM_RSA_X_509.
func rawDecrypt(k *rsa.PrivateKey, c []byte) []byte {
	return new(big.Int).Exp(new(big.Int).SetBytes(c), k.D, k.N).Bytes()
}

// TestDecodeOAEP: what crypto/rsa encrypts with each digest, MGF1 hash
// and label, raw decryption and decodeOAEP recover; a modified ciphertext,
// another label or other hashes give the one error.
func TestDecodeOAEP(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []rsa.OAEPOptions{
		{Hash: crypto.SHA256, MGFHash: crypto.SHA256},
		{Hash: crypto.SHA1, MGFHash: crypto.SHA1},
		{Hash: crypto.SHA256, MGFHash: crypto.SHA1},
		{Hash: crypto.SHA512, MGFHash: crypto.SHA384, Label: []byte("label")},
	} {
		for _, msg := range [][]byte{[]byte("0123456789abcdef"), {}, bytes.Repeat([]byte{1}, k.Size()-2*o.Hash.Size()-2)} {
			c, err := rsa.EncryptOAEPWithOptions(rand.Reader, &k.PublicKey, msg, &o)
			if err != nil {
				t.Fatal(err)
			}
			em := rawDecrypt(k, c)
			got, err := decodeOAEP(em, k.Size(), o.Hash, o.MGFHash, o.Label)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%v/%v %q: %q, %v", o.Hash, o.MGFHash, msg, got, err)
			}
			other := crypto.SHA256
			if o.MGFHash == other {
				other = crypto.SHA1
			}
			if _, err := decodeOAEP(em, k.Size(), o.Hash, other, o.Label); err != errDecryption {
				t.Fatalf("%v/%v decoded with MGF1-%v: %v", o.Hash, o.MGFHash, other, err)
			}
			if _, err := decodeOAEP(em, k.Size(), o.Hash, o.MGFHash, []byte("other")); err != errDecryption {
				t.Fatalf("%v/%v decoded with another label: %v", o.Hash, o.MGFHash, err)
			}
			c[len(c)-1] ^= 1
			if _, err := decodeOAEP(rawDecrypt(k, c), k.Size(), o.Hash, o.MGFHash, o.Label); err != errDecryption {
				t.Fatalf("modified ciphertext: %v", err)
			}
		}
	}
}

func FuzzDecodeOAEP(f *testing.F) {
	f.Add(make([]byte, 256))
	f.Fuzz(func(t *testing.T, em []byte) {
		out, err := decodeOAEP(em, 256, crypto.SHA256, crypto.SHA256, nil)
		if err == nil && len(out) > 256-2*32-2 {
			t.Fatalf("message of %d bytes", len(out))
		}
	})
}

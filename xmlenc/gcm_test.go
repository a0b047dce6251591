package xmlenc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"testing"
	"testing/iotest"
)

// The standard library's one-shot GCM is the oracle for the streaming one.
func TestGCMMatchesStdlib(t *testing.T) {
	key := make([]byte, 16)
	rand.Read(key)
	blk, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(blk)
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 1000, 65535, 65536, 65537, 131072, 196608 + 5, 300000} {
		pt := make([]byte, n)
		rand.Read(pt)
		iv := make([]byte, 12)
		rand.Read(iv)
		want := append(append([]byte{}, iv...), aead.Seal(nil, iv, pt, nil)...)
		var got bytes.Buffer
		if _, err := EncryptGCM(&got, iotest.HalfReader(bytes.NewReader(pt)), key, iv); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("len %d: streaming GCM differs from crypto/cipher", n)
		}
		var dec bytes.Buffer
		if _, err := DecryptGCM(&dec, iotest.OneByteReader(bytes.NewReader(want)), key); err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		if !bytes.Equal(dec.Bytes(), pt) {
			t.Fatalf("len %d: decryption differs", n)
		}
		if n > 0 {
			bad := bytes.Clone(want)
			bad[12+n/2] ^= 1
			var out bytes.Buffer
			if _, err := DecryptGCM(&out, bytes.NewReader(bad), key); !errors.Is(err, ErrAuthentication) {
				t.Fatalf("len %d: tampered ciphertext: %v", n, err)
			}
			// Up to 64 KiB, nothing is written before the tag verifies.
			if n < 64<<10 && out.Len() != 0 {
				t.Fatalf("len %d: %d octets of unauthenticated plaintext written", n, out.Len())
			}
		}
	}
}

// The chunked GHASH (standard library per chunk, folded with H^m) equals the
// table GHASH of this package block by block.
func TestChunkedGHASHMatchesTable(t *testing.T) {
	key := make([]byte, 16)
	rand.Read(key)
	blk, _ := aes.NewCipher(key)
	var h [16]byte
	blk.Encrypt(h[:], h[:])
	for _, n := range []int{0, 5, 16, ghashChunk - 1, ghashChunk, ghashChunk + 16, 3*ghashChunk + 7} {
		data := make([]byte, n)
		rand.Read(data)
		ref := newGHASH(h[:])
		ref.Write(data)
		want := ref.sum(0, uint64(n)*8)
		fast, err := newChunkedGHASH(blk, h[:])
		if err != nil {
			t.Fatal(err)
		}
		for p := data; len(p) > 0; {
			k := min(len(p), 1000)
			fast.Write(p[:k])
			p = p[k:]
		}
		if got := fast.sum(uint64(n) * 8); got != want {
			t.Fatalf("len %d: chunked GHASH %x, table GHASH %x", n, got, want)
		}
	}
}

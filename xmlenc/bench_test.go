package xmlenc_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"
	"testing"

	"github.com/oots-go/oots/xmlenc"
)

// BenchmarkGCM measures the streaming AES-128-GCM (hardware AES-CTR, GHASH
// in Go) against the standard library's one-shot AEAD for reference, for a
// large attachment and for a part of the size of an exchange's payload
// (which fits in one buffer: EncryptGCM and DecryptGCM then make one call
// of the standard library's AEAD).
//
//	go test ./xmlenc -run '^$' -bench GCM -benchmem
func BenchmarkGCM(b *testing.B) {
	for _, size := range []int{8 << 20, 600} {
		benchGCM(b, size)
	}
}

func benchGCM(b *testing.B, size int) {
	key, iv := make([]byte, 16), make([]byte, 12)
	pt := make([]byte, size)
	b.Run(fmt.Sprintf("stream-encrypt/%d", size), func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			if _, err := xmlenc.EncryptGCM(io.Discard, bytes.NewReader(pt), key, iv); err != nil {
				b.Fatal(err)
			}
		}
	})
	var ct bytes.Buffer
	xmlenc.EncryptGCM(&ct, bytes.NewReader(pt), key, iv)
	b.Run(fmt.Sprintf("stream-decrypt/%d", size), func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			if _, err := xmlenc.DecryptGCM(io.Discard, bytes.NewReader(ct.Bytes()), key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("stdlib-seal-oneshot/%d", size), func(b *testing.B) {
		blk, _ := aes.NewCipher(key)
		aead, _ := cipher.NewGCM(blk)
		dst := make([]byte, 0, size+16)
		b.SetBytes(int64(size))
		for b.Loop() {
			aead.Seal(dst[:0], iv, pt, nil)
		}
	})
}

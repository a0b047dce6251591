package xmlenc_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"testing"

	"github.com/oots-go/oots/xmlenc"
)

const benchSize = 8 << 20

// BenchmarkGCM measures the streaming AES-128-GCM (hardware AES-CTR, GHASH
// in Go) against the standard library's one-shot AEAD for reference.
func BenchmarkGCM(b *testing.B) {
	key, iv := make([]byte, 16), make([]byte, 12)
	pt := make([]byte, benchSize)
	b.Run("stream-encrypt", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			if _, err := xmlenc.EncryptGCM(io.Discard, bytes.NewReader(pt), key, iv); err != nil {
				b.Fatal(err)
			}
		}
	})
	var ct bytes.Buffer
	xmlenc.EncryptGCM(&ct, bytes.NewReader(pt), key, iv)
	b.Run("stream-decrypt", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			if _, err := xmlenc.DecryptGCM(io.Discard, bytes.NewReader(ct.Bytes()), key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib-seal-oneshot", func(b *testing.B) {
		blk, _ := aes.NewCipher(key)
		aead, _ := cipher.NewGCM(blk)
		dst := make([]byte, 0, benchSize+16)
		b.SetBytes(benchSize)
		for b.Loop() {
			aead.Seal(dst[:0], iv, pt, nil)
		}
	})
}

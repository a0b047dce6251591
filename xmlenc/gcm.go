package xmlenc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// AES-GCM (NIST SP 800-38D) as a stream: the standard library's AEAD needs the
// whole message in memory, which an attachment of a gigabyte must not. The
// keystream is AES-CTR from crypto/cipher (hardware AES where available);
// GHASH runs per 64 KiB chunk on the standard library's implementation and
// the chunks are combined by constant-time GF(2^128) arithmetic
// (chunkedGHASH: no branch and no table index depends on a secret), checked
// against a block-by-block reference GHASH and against crypto/cipher's
// one-shot GCM in the tests. Content that fits in one 64 KiB buffer (most
// parts of an exchange) goes through that one-shot GCM instead: combining
// chunks has a fixed cost of some microseconds.
//
// The XML Encryption 1.1 (§5.2.4) wire form is IV (12 octets) ‖ ciphertext ‖
// tag (16 octets).

const (
	// GCMNonceSize is the IV length of xmlenc11#aes128-gcm.
	GCMNonceSize = 12
	// GCMTagSize is the authentication tag length.
	GCMTagSize = 16
	// maxGCMBlocks keeps the 32-bit counter of GCM from wrapping
	// (SP 800-38D §5.2.1.1: at most 2^32-2 blocks).
	maxGCMBlocks = 1<<32 - 2
)

// ErrAuthentication: the GCM tag (or key unwrap integrity check) failed.
var ErrAuthentication = errors.New("message authentication failed")

// gf128 is an element of GF(2^128) in GCM's bit order: hi holds octets 0-7
// big-endian, the bit of degree 0 being the most significant of octet 0.
type gf128 struct{ hi, lo uint64 }

// mulX multiplies by x (a right shift in this bit order), reducing by
// x^128 + x^7 + x^2 + x + 1 (R = 0xE1 ‖ 0^120). Constant time: the
// reduction is masked, not branched on.
func (a gf128) mulX() gf128 {
	mask := -(a.lo & 1)
	a.lo = a.lo>>1 | a.hi<<63
	a.hi = a.hi>>1 ^ (0xE1<<56)&mask
	return a
}

type gcmState struct {
	ctr  cipher.Stream
	gh   *chunkedGHASH
	ekJ0 [16]byte // E(K, J0), masks the tag
	n    uint64   // ciphertext bytes so far
}

func newGCMState(key, iv []byte) (*gcmState, error) {
	if len(iv) != GCMNonceSize {
		return nil, fmt.Errorf("xmlenc: GCM IV of %d octets (12 required)", len(iv))
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	var h, j0 [16]byte
	blk.Encrypt(h[:], h[:])
	copy(j0[:], iv)
	j0[15] = 1
	gh, err := newChunkedGHASH(blk, h[:])
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	s := &gcmState{gh: gh}
	blk.Encrypt(s.ekJ0[:], j0[:])
	// The first counter block for data is inc32(J0). CTR in crypto/cipher
	// increments all 128 bits, which equals inc32 while the low 32 bits do
	// not wrap: guaranteed by maxGCMBlocks and J0's low word being 1.
	ctr0 := j0
	ctr0[15] = 2
	s.ctr = cipher.NewCTR(blk, ctr0[:])
	return s, nil
}

// release returns the state's buffer to the pool; s is not used after.
func (s *gcmState) release() {
	if s.gh.pooled != nil {
		buffers.Put(s.gh.pooled)
		s.gh.pooled, s.gh.buf = nil, nil
	}
}

// buffers holds the 64 KiB (+ tag) working buffers of EncryptGCM,
// DecryptGCM and the chunked GHASH, so that a message with small parts
// does not allocate them anew for every part (they are larger than most
// parts, and their garbage dominated the allocations of an AS4 exchange).
var buffers = sync.Pool{New: func() any {
	b := make([]byte, 64<<10+GCMTagSize)
	return &b
}}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func (s *gcmState) account(n int) error {
	s.n += uint64(n)
	if s.n > maxGCMBlocks*16 {
		return errors.New("xmlenc: message too long for AES-GCM")
	}
	return nil
}

func (s *gcmState) tag() [16]byte {
	t := s.gh.sum(s.n * 8)
	subtle.XORBytes(t[:], t[:], s.ekJ0[:])
	return t
}

// EncryptGCM streams src to dst as IV ‖ AES-GCM ciphertext ‖ tag (XML
// Encryption 1.1 §5.2.4, no additional authenticated data). iv must be 12
// random octets, never reused with the same key. Memory use is constant.
func EncryptGCM(dst io.Writer, src io.Reader, key, iv []byte) (int64, error) {
	if len(iv) != GCMNonceSize {
		return 0, fmt.Errorf("xmlenc: GCM IV of %d octets (12 required)", len(iv))
	}
	bp := getBuffer()
	defer buffers.Put(bp)
	buf := (*bp)[:64<<10]
	n, rerr := io.ReadFull(src, buf)
	if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
		// The whole plaintext is in buf: one call of the standard
		// library's AEAD, sealed in place (the buffer has room for the tag).
		aead, err := newAEAD(key)
		if err != nil {
			return 0, err
		}
		if _, err := dst.Write(iv); err != nil {
			return 0, err
		}
		ct := aead.Seal(buf[:0], iv, buf[:n], nil)
		if _, err := dst.Write(ct); err != nil {
			return int64(len(iv)), err
		}
		return int64(len(iv) + len(ct)), nil
	}
	if rerr != nil {
		return 0, rerr
	}
	s, err := newGCMState(key, iv)
	if err != nil {
		return 0, err
	}
	defer s.release()
	if _, err := dst.Write(iv); err != nil {
		return 0, err
	}
	written := int64(len(iv))
	for {
		if n > 0 {
			if err := s.account(n); err != nil {
				return written, err
			}
			s.ctr.XORKeyStream(buf[:n], buf[:n])
			s.gh.Write(buf[:n])
			if _, err := dst.Write(buf[:n]); err != nil {
				return written, err
			}
			written += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return written, rerr
		}
		n, rerr = src.Read(buf)
	}
	t := s.tag()
	if _, err := dst.Write(t[:]); err != nil {
		return written, err
	}
	return written + GCMTagSize, nil
}

// newAEAD returns the standard library's AES-GCM for key: what
// EncryptGCM and DecryptGCM use for a message that fits in one buffer.
func newAEAD(key []byte) (cipher.AEAD, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}
	return cipher.NewGCM(blk)
}

// DecryptGCM streams IV ‖ ciphertext ‖ tag from src and writes the plaintext
// to dst as it goes. The plaintext written is NOT authenticated until
// DecryptGCM returns nil: callers must write to a place they discard on
// error (see DecryptGCMToFile). A wrong tag returns ErrAuthentication. A
// ciphertext of up to 64 KiB is authenticated before any of it is written.
func DecryptGCM(dst io.Writer, src io.Reader, key []byte) (int64, error) {
	iv := make([]byte, GCMNonceSize)
	if _, err := io.ReadFull(src, iv); err != nil {
		return 0, fmt.Errorf("xmlenc: %w: ciphertext shorter than the IV", ErrAuthentication)
	}
	bp := getBuffer()
	defer buffers.Put(bp)
	buf := *bp
	held, rerr := io.ReadFull(src, buf)
	if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
		// The whole ciphertext and tag are in buf: one call of the
		// standard library's AEAD, opened in place.
		if held < GCMTagSize {
			return 0, fmt.Errorf("xmlenc: %w: ciphertext shorter than the tag", ErrAuthentication)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return 0, err
		}
		pt, err := aead.Open(buf[:0], iv, buf[:held], nil)
		if err != nil {
			return 0, fmt.Errorf("xmlenc: %w: AES-GCM tag mismatch", ErrAuthentication)
		}
		if _, err := dst.Write(pt); err != nil {
			return 0, err
		}
		return int64(len(pt)), nil
	}
	if rerr != nil {
		return 0, rerr
	}
	s, err := newGCMState(key, iv)
	if err != nil {
		return 0, err
	}
	defer s.release()
	// Hold back the last 16 octets read: they may be the tag.
	var written int64
	for {
		if held > GCMTagSize {
			m := held - GCMTagSize
			if err := s.account(m); err != nil {
				return written, err
			}
			s.gh.Write(buf[:m])
			s.ctr.XORKeyStream(buf[:m], buf[:m])
			if _, err := dst.Write(buf[:m]); err != nil {
				return written, err
			}
			written += int64(m)
			copy(buf, buf[m:held])
			held = GCMTagSize
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return written, rerr
		}
		var n int
		n, rerr = src.Read(buf[held:])
		held += n
	}
	if held != GCMTagSize {
		return written, fmt.Errorf("xmlenc: %w: ciphertext shorter than the tag", ErrAuthentication)
	}
	t := s.tag()
	if subtle.ConstantTimeCompare(t[:], buf[:GCMTagSize]) != 1 {
		return written, fmt.Errorf("xmlenc: %w: AES-GCM tag mismatch", ErrAuthentication)
	}
	return written, nil
}

// DecryptGCMToFile decrypts src into a new file in dir (os.TempDir() when
// empty) and returns its name only once the tag has verified; on any error
// the file is removed. The caller removes the file when done.
func DecryptGCMToFile(dir string, src io.Reader, key []byte) (string, int64, error) {
	f, err := os.CreateTemp(dir, "oots-dec-*")
	if err != nil {
		return "", 0, fmt.Errorf("xmlenc: %w", err)
	}
	n, err := DecryptGCM(f, src, key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	return f.Name(), n, nil
}

package xmlenc

import (
	"crypto/cipher"
	"encoding/binary"
)

// chunkedGHASH computes GHASH over a stream with the standard library's
// hardware-accelerated GHASH, one chunk at a time.
//
// For a chunk X of ℓ octets, AES-GCM with no plaintext and X as additional
// data yields tag = E(K, J0) ⊕ GHASH(X ‖ pad ‖ L), L = [8ℓ]₆₄ ‖ [0]₆₄. GHASH is
// linear: with G(X) = Σ Xᵢ·H^(n−i+1),
//
//	GHASH(X ‖ pad ‖ L) = G(X)·H ⊕ L·H, so G(X)·H = tag ⊕ E(K, J0) ⊕ L·H,
//
// and for consecutive chunks G(X₁ ‖ X₂) = G(X₁)·H^m₂ ⊕ G(X₂) (m₂ blocks in
// X₂). The accumulator therefore keeps G(all)·H, folding each chunk with one
// multiplication by H^m; only the last chunk may end in a partial block,
// which GCM pads with zeros exactly as it pads the ciphertext. The final
// GHASH of the ciphertext is G(C)·H ⊕ [0]₆₄‖[8|C|]₆₄ · H.
type chunkedGHASH struct {
	aead   cipher.AEAD
	ekJ0   [16]byte // E(K, 0⁹⁶ ‖ 0³¹1): the mask of the per-chunk tags
	h      gf128    // H
	hm     gf128    // H^(chunk/16)
	acc    gf128    // G(all so far)·H
	buf    []byte
	pooled *[]byte // buf's pooled array (see gcmState.release)
	nonce  [GCMNonceSize]byte
}

const ghashChunk = 64 << 10 // a multiple of 16

func newChunkedGHASH(blk cipher.Block, h []byte) (*chunkedGHASH, error) {
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	bp := getBuffer()
	g := &chunkedGHASH{aead: aead, buf: (*bp)[:0:ghashChunk], pooled: bp}
	var j0 [16]byte
	j0[15] = 1
	blk.Encrypt(g.ekJ0[:], j0[:])
	g.h = gf128{binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:])}
	g.hm = gfPow(g.h, ghashChunk/16)
	return g, nil
}

func (g *chunkedGHASH) Write(p []byte) {
	for len(p) > 0 {
		n := copy(g.buf[len(g.buf):cap(g.buf)], p)
		g.buf = g.buf[:len(g.buf)+n]
		p = p[n:]
		if len(g.buf) == cap(g.buf) {
			g.fold(g.buf, g.hm)
			g.buf = g.buf[:0]
		}
	}
}

func (g *chunkedGHASH) fold(x []byte, hm gf128) {
	tag := g.aead.Seal(nil, g.nonce[:], nil, x)
	v := gf128{
		binary.BigEndian.Uint64(tag[:8]) ^ binary.BigEndian.Uint64(g.ekJ0[:8]),
		binary.BigEndian.Uint64(tag[8:]) ^ binary.BigEndian.Uint64(g.ekJ0[8:]),
	}
	lh := gfMul(gf128{hi: uint64(len(x)) * 8}, g.h)
	v.hi ^= lh.hi
	v.lo ^= lh.lo
	a := gfMul(g.acc, hm)
	g.acc = gf128{a.hi ^ v.hi, a.lo ^ v.lo}
}

// sum returns GHASH(C ‖ pad ‖ [0]₆₄ ‖ [ctBits]₆₄) (no additional data).
func (g *chunkedGHASH) sum(ctBits uint64) [16]byte {
	if len(g.buf) > 0 {
		g.fold(g.buf, gfPow(g.h, (len(g.buf)+15)/16))
		g.buf = g.buf[:0]
	}
	lh := gfMul(gf128{lo: ctBits}, g.h)
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], g.acc.hi^lh.hi)
	binary.BigEndian.PutUint64(out[8:], g.acc.lo^lh.lo)
	return out
}

// gfMul multiplies in GF(2^128) bit by bit (SP 800-38D Algorithm 1), in
// constant time: each bit of x selects v through a mask, never a branch or
// an index, since x and y derive from the key and the data. It runs a few
// times per 64 KiB chunk only.
func gfMul(x, y gf128) gf128 {
	var z gf128
	v := y
	for i := range 128 {
		var bit uint64
		if i < 64 {
			bit = x.hi >> (63 - i) & 1
		} else {
			bit = x.lo >> (127 - i) & 1
		}
		mask := -bit
		z.hi ^= v.hi & mask
		z.lo ^= v.lo & mask
		v = v.mulX()
	}
	return z
}

// gfPow returns h^n (n ≥ 1) by square and multiply; it branches on the
// bits of n, a public length, only.
func gfPow(h gf128, n int) gf128 {
	result := gf128{hi: 1 << 63} // the element 1
	for base := h; n > 0; n >>= 1 {
		if n&1 != 0 {
			result = gfMul(result, base)
		}
		base = gfMul(base, base)
	}
	return result
}

package xmlenc

import "encoding/binary"

// reduce8[v] is (the element whose last octet is v) · x^8: the bits shifted
// out of a right shift by 8, folded back.
var reduce8 = func() (t [256]uint64) {
	for v := range 256 {
		a := gf128{lo: uint64(v)}
		for range 8 {
			a = a.mulX()
		}
		t[v] = a.hi // the low half is always zero: only the fold remains
	}
	return t
}()

// ghash is GHASH with an 8-bit table per key (Shoup's method), block by
// block: the reference the tests compare chunkedGHASH with. It indexes
// tables with secret-derived bytes, so it is not constant time, and it is
// test code only.
type ghash struct {
	table [256]gf128 // table[b] = (b as octet 0, rest zero) · H; table[0x80] = H
	y     gf128
	buf   [16]byte
	n     int // bytes buffered in buf
}

func newGHASH(h []byte) *ghash {
	g := &ghash{}
	H := gf128{binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:])}
	// table[0x80] = H (the bit of degree 0); each lower bit is one more ·x.
	v := H
	for bit := 0x80; bit > 0; bit >>= 1 {
		g.table[bit] = v
		v = v.mulX()
	}
	for b := 1; b < 256; b++ {
		if b&(b-1) == 0 {
			continue
		}
		low := b & -b
		g.table[b] = gf128{g.table[b^low].hi ^ g.table[low].hi, g.table[b^low].lo ^ g.table[low].lo}
	}
	return g
}

// mulH returns x · H, Horner over the octets from last to first:
// X·H = Σ (B_k·H)·x^(8k). Octets 15..8 are lo from its low end, 7..0 hi.
func (g *ghash) mulH(x gf128) gf128 {
	var zhi, zlo uint64
	for _, w := range [2]uint64{x.lo, x.hi} {
		for range 8 {
			// z = z·x^8 ^ table[b]
			fold := reduce8[byte(zlo)]
			zlo = zlo>>8 | zhi<<56
			zhi = zhi>>8 ^ fold
			t := &g.table[byte(w)]
			zhi ^= t.hi
			zlo ^= t.lo
			w >>= 8
		}
	}
	return gf128{zhi, zlo}
}

func (g *ghash) block(b []byte) {
	g.y.hi ^= binary.BigEndian.Uint64(b[:8])
	g.y.lo ^= binary.BigEndian.Uint64(b[8:16])
	g.y = g.mulH(g.y)
}

func (g *ghash) Write(p []byte) {
	if g.n > 0 {
		c := copy(g.buf[g.n:], p)
		g.n += c
		p = p[c:]
		if g.n < 16 {
			return
		}
		g.block(g.buf[:])
		g.n = 0
	}
	for len(p) >= 16 {
		g.block(p[:16])
		p = p[16:]
	}
	g.n = copy(g.buf[:], p)
}

// pad completes a partial block with zeros.
func (g *ghash) pad() {
	if g.n > 0 {
		clear(g.buf[g.n:])
		g.block(g.buf[:])
		g.n = 0
	}
}

func (g *ghash) sum(aadBits, ctBits uint64) [16]byte {
	g.pad()
	var l [16]byte
	binary.BigEndian.PutUint64(l[:8], aadBits)
	binary.BigEndian.PutUint64(l[8:], ctBits)
	g.block(l[:])
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], g.y.hi)
	binary.BigEndian.PutUint64(out[8:], g.y.lo)
	return out
}

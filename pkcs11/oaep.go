package pkcs11

import (
	"crypto"
	_ "crypto/sha1" // the OAEP digest and MGF1 hash of XML Encryption's rsa-oaep-mgf1p
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
)

// errDecryption is the one error of OAEP decoding, whatever failed, so
// that a caller learns nothing of where (RFC 8017 §7.1.2 note).
var errDecryption = errors.New("pkcs11: OAEP decryption error")

// decodeOAEP is EME-OAEP decoding (RFC 8017 §7.1.2 step 3) of em, the
// result of the raw RSA operation, for a modulus of k bytes, with the
// digest h, MGF1 with the hash mgf and the label. It runs in constant
// time with respect to the contents of em. h and mgf must be available
// (crypto.Hash.Available).
func decodeOAEP(em []byte, k int, h, mgf crypto.Hash, label []byte) ([]byte, error) {
	hLen := h.Size()
	if k < 2*hLen+2 || len(em) > k {
		return nil, errDecryption
	}
	if len(em) < k { // the token may drop leading zero bytes
		em = append(make([]byte, k-len(em)), em...)
	}
	em = append([]byte(nil), em...)
	d := h.New()
	d.Write(label)
	lHash := d.Sum(nil)
	firstByteIsZero := subtle.ConstantTimeByteEq(em[0], 0)
	seed, db := em[1:1+hLen], em[1+hLen:]
	mg := mgf.New()
	mgf1XOR(mg, seed, db)
	mgf1XOR(mg, db, seed)
	lHash2Good := subtle.ConstantTimeCompare(lHash, db[:hLen])
	// The rest of db is zeros, then 0x01, then the message.
	var lookingForIndex, index, invalid int
	lookingForIndex = 1
	rest := db[hLen:]
	for i := 0; i < len(rest); i++ {
		equals0 := subtle.ConstantTimeByteEq(rest[i], 0)
		equals1 := subtle.ConstantTimeByteEq(rest[i], 1)
		index = subtle.ConstantTimeSelect(lookingForIndex&equals1, i, index)
		lookingForIndex = subtle.ConstantTimeSelect(equals1, 0, lookingForIndex)
		invalid = subtle.ConstantTimeSelect(lookingForIndex&^equals0, 1, invalid)
	}
	if firstByteIsZero&lHash2Good&^invalid&^lookingForIndex != 1 {
		return nil, errDecryption
	}
	return rest[index+1:], nil
}

// mgf1XOR XORs out with MGF1 of seed (RFC 8017 §B.2.1) with the hash h.
func mgf1XOR(h hash.Hash, out, seed []byte) {
	var counter [4]byte
	var d []byte
	done := 0
	for done < len(out) {
		h.Reset()
		h.Write(seed)
		h.Write(counter[:])
		d = h.Sum(d[:0])
		for i := 0; i < len(d) && done < len(out); i++ {
			out[done] ^= d[i]
			done++
		}
		binary.BigEndian.PutUint32(counter[:], binary.BigEndian.Uint32(counter[:])+1)
	}
}

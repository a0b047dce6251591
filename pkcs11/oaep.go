package pkcs11

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// errDecryption is the one error of OAEP decoding, whatever failed, so
// that a caller learns nothing of where (RFC 8017 §7.1.2 note).
var errDecryption = errors.New("pkcs11: OAEP decryption error")

// decodeOAEP is EME-OAEP decoding with SHA-256, MGF1-SHA-256 and an empty
// label (RFC 8017 §7.1.2 step 3) of em, the result of the raw RSA
// operation, for a modulus of k bytes. It runs in constant time with
// respect to the contents of em.
func decodeOAEP(em []byte, k int) ([]byte, error) {
	const hLen = sha256.Size
	if k < 2*hLen+2 || len(em) > k {
		return nil, errDecryption
	}
	if len(em) < k { // the token may drop leading zero bytes
		em = append(make([]byte, k-len(em)), em...)
	}
	em = append([]byte(nil), em...)
	lHash := sha256.Sum256(nil)
	firstByteIsZero := subtle.ConstantTimeByteEq(em[0], 0)
	seed, db := em[1:1+hLen], em[1+hLen:]
	mgf1XOR(seed, db)
	mgf1XOR(db, seed)
	lHash2Good := subtle.ConstantTimeCompare(lHash[:], db[:hLen])
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

// mgf1XOR XORs out with MGF1-SHA-256 of seed (RFC 8017 §B.2.1).
func mgf1XOR(out, seed []byte) {
	var counter [4]byte
	done := 0
	for done < len(out) {
		h := sha256.New()
		h.Write(seed)
		h.Write(counter[:])
		d := h.Sum(nil)
		for i := 0; i < len(d) && done < len(out); i++ {
			out[done] ^= d[i]
			done++
		}
		binary.BigEndian.PutUint32(counter[:], binary.BigEndian.Uint32(counter[:])+1)
	}
}

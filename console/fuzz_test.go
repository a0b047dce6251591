package console

import (
	"strings"
	"testing"
)

// FuzzReceiptDigests: any stored receipt, however malformed, gives digests
// without a panic, each with the fields it was read from.
func FuzzReceiptDigests(f *testing.F) {
	f.Add([]byte(`<eb:Receipt xmlns:eb="e"><ebbp:NonRepudiationInformation xmlns:ebbp="b"><ebbp:MessagePartNRInformation><ds:Reference xmlns:ds="d" URI="cid:a"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ebbp:MessagePartNRInformation></ebbp:NonRepudiationInformation></eb:Receipt>`))
	f.Add([]byte(`<a><NonRepudiationInformation><Reference><DigestValue>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range receiptDigests(b) {
			if d.Digest != strings.TrimSpace(d.Digest) {
				t.Errorf("untrimmed digest %q", d.Digest)
			}
		}
	})
}

// FuzzVerifyPassword: a stored hash string of any shape is refused or
// checked, never a panic nor an unbounded computation (the parameters are
// bounded before argon2 runs).
func FuzzVerifyPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "pw")
	f.Add("$argon2id$v=19$m=4294967295,t=3,p=2$AA$AA", "pw")
	f.Add("$argon2i$v=19$m=65536,t=3,p=2$AA$AA", "")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		if len(phc) > 256 {
			return
		}
		if verifyPassword(phc, pw) && !strings.HasPrefix(phc, "$argon2id$") {
			t.Errorf("accepted %q", phc)
		}
	})
}

// TestPasswordHash: a hash verifies its password only.
func TestPasswordHash(t *testing.T) {
	h, err := hashPassword(strings.NewReader(strings.Repeat("s", 16)), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	if !verifyPassword(h, "correct horse") || verifyPassword(h, "correct horsE") {
		t.Error("verification")
	}
}

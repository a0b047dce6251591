package wssec

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// The cache of parsed BinarySecurityToken certificates answers only for
// the same DER bytes, and stays within its bound.
func TestCertCache(t *testing.T) {
	var ders [][]byte
	for _, name := range []string{"AP_FR_01.sign.cert.pem", "AP_DE_01.sign.cert.pem", "ca.cert.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", "pki", "eddsa", name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		ders = append(ders, blk.Bytes)
	}
	c := certCache{max: 2}
	a1, err := c.parse(ders[0])
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := c.parse(append([]byte(nil), ders[0]...))
	if a1 != a2 {
		t.Error("the same certificate was parsed twice")
	}
	b, _ := c.parse(ders[1])
	if b == a1 || string(b.Raw) != string(ders[1]) {
		t.Error("a different certificate got the cached one")
	}
	c.parse(ders[2])
	if len(c.m) > c.max {
		t.Errorf("cache holds %d certificates, bound %d", len(c.m), c.max)
	}
	bad := append([]byte(nil), ders[0]...)
	bad[len(bad)-1] ^= 1
	if cert, err := c.parse(bad); err == nil && string(cert.Raw) != string(bad) {
		t.Error("altered DER answered with the cached certificate")
	}
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/saml"
)

// TestReadSAMLNode: the file of -saml CC=FILE names the node and its
// certificates (PEM, relative to the file), read strictly.
func TestReadSAMLNode(t *testing.T) {
	dir := t.TempDir()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "node"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	os.WriteFile(filepath.Join(dir, "anchor.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	good := filepath.Join(dir, "be.json")
	os.WriteFile(good, []byte(`{"entityId": "https://eidas.be.example/metadata", "metadataUrl": "https://eidas.be.example/metadata",
		"anchor": "anchor.pem", "binding": "redirect", "minLoA": "high"}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"entity_id": "x"}`), 0o600)
	noCert := filepath.Join(dir, "nocert.json")
	os.WriteFile(noCert, []byte(`{"entityId": "x", "anchor": "absent.pem", "metadataUrl": "https://x"}`), 0o600)

	nodes := map[string]saml.Node{}
	if err := readSAMLNode(nodes, "be="+good); err != nil {
		t.Fatal(err)
	}
	n := nodes["BE"]
	if n.EntityID != "https://eidas.be.example/metadata" || n.Anchor == nil || n.Binding != saml.Redirect || n.MinLoA != eid.LoAHigh {
		t.Errorf("read %+v", n)
	}
	for _, v := range []string{"BE=" + bad, "BE=" + noCert, good} {
		if err := readSAMLNode(nodes, v); err == nil {
			t.Errorf("%s: accepted", v)
		}
	}
}

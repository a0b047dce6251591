package xmldsig_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// jdkCases are the signature methods and digests of the eIDAS SAML profile
// (ECDSA and RSASSA-PSS with SHA-256, SHA-384 and SHA-512; eIDAS-Node signs
// with RSASSA-PSS and SHA-512 where configured so).
var jdkCases = []struct {
	method xmldsig.SignatureMethod
	digest xmldsig.DigestMethod
	key    string // "rsa", "p256", "p384", "p521"
}{
	{xmldsig.RSAPSSSHA256, xmldsig.SHA256, "rsa"},
	{xmldsig.RSAPSSSHA384, xmldsig.SHA384, "rsa"},
	{xmldsig.RSAPSSSHA512, xmldsig.SHA512, "rsa"},
	{xmldsig.RSAPSSSHA512, xmldsig.SHA256, "rsa"},
	{xmldsig.ECDSASHA256, xmldsig.SHA256, "p256"},
	{xmldsig.ECDSASHA384, xmldsig.SHA384, "p384"},
	{xmldsig.ECDSASHA512, xmldsig.SHA512, "p521"},
	{xmldsig.ECDSASHA512, xmldsig.SHA512, "p256"},
}

var eidasPolicy = xmldsig.Policy{
	SignatureMethods: []xmldsig.SignatureMethod{xmldsig.RSAPSSSHA256, xmldsig.RSAPSSSHA384, xmldsig.RSAPSSSHA512, xmldsig.ECDSASHA256, xmldsig.ECDSASHA384, xmldsig.ECDSASHA512},
	DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256, xmldsig.SHA384, xmldsig.SHA512},
	Transforms:       []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.ExcC14N},
	MaxReferences:    1,
}

const jdkAssertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-12-06T10:00:00Z"><saml:Issuer>https://idp.example.eu</saml:Issuer><saml:Subject><saml:NameID>Élise &amp; co</saml:NameID></saml:Subject></saml:Assertion>`

// TestJDKWitness: the JDK's XML Signature implementation signs an
// assertion with each method and digest, and we verify it (and refuse it
// once its content is changed); we sign, and the JDK validates our
// signature. Before SHA-384, SHA-512 and their methods were implemented, a
// node that signs as eIDAS-Node can was refused.
func TestJDKWitness(t *testing.T) {
	java := testenv.Tool(t, "java")
	dir := t.TempDir()
	keys := map[string]crypto.Signer{}
	var jobs, ours strings.Builder
	for i, c := range jdkCases {
		if keys[c.key] == nil {
			keys[c.key] = newKey(t, c.key)
			writeKeyAndCert(t, dir, c.key, keys[c.key])
		}
		in := filepath.Join(dir, "in.xml")
		os.WriteFile(in, []byte(jdkAssertion), 0o600)
		fmt.Fprintf(&jobs, "sign %s %s %s %s _a1 %s %s\n", c.method, c.digest,
			filepath.Join(dir, c.key+".key.pem"), filepath.Join(dir, c.key+".cert.pem"), in, filepath.Join(dir, fmt.Sprint("jdk", i, ".xml")))

		doc, err := xmltree.Parse(strings.NewReader(jdkAssertion), nil)
		if err != nil {
			t.Fatal(err)
		}
		sg := xmldsig.Signer{Key: keys[c.key], Method: c.method, Digest: c.digest, Rand: rand.Reader}
		sig, err := sg.SignEnvelopedID(doc.Root, "_a1")
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.digest, err)
		}
		doc.Root.InsertChild(1, sig)
		var b bytes.Buffer
		if err := xmltree.Write(&b, doc, xmltree.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		mine := filepath.Join(dir, fmt.Sprint("ours", i, ".xml"))
		os.WriteFile(mine, b.Bytes(), 0o600)
		fmt.Fprintf(&ours, "verify %s %s\n", filepath.Join(dir, c.key+".cert.pem"), mine)
	}
	jobFile := filepath.Join(dir, "jobs")
	os.WriteFile(jobFile, []byte(jobs.String()+ours.String()), 0o600)
	src, err := filepath.Abs("testdata/XmlDsigWitness.java")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(java, src, jobFile).CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v: %s", err, out)
	}
	results := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(results) != 2*len(jdkCases) {
		t.Fatalf("java printed %d results for %d jobs: %s", len(results), 2*len(jdkCases), out)
	}
	for i, c := range jdkCases {
		name := fmt.Sprintf("%s with %s (%s key)", c.method, c.digest, c.key)
		if results[i] != "ok" {
			t.Errorf("the JDK could not sign %s: %s", name, results[i])
			continue
		}
		if r := results[len(jdkCases)+i]; r != "ok" {
			t.Errorf("the JDK refuses our signature, %s: %s", name, r)
		}
		signed, err := os.ReadFile(filepath.Join(dir, fmt.Sprint("jdk", i, ".xml")))
		if err != nil {
			t.Fatal(err)
		}
		pub := keys[c.key].Public()
		verify := func(b []byte) error {
			doc, err := xmltree.Parse(bytes.NewReader(b), nil)
			if err != nil {
				return err
			}
			_, sig, err := xmldsig.VerifyEnvelopedID(doc.Root, "ID", &eidasPolicy, func(*xmldsig.Signature) (crypto.PublicKey, error) { return pub, nil })
			if err == nil && (sig.Method != c.method || sig.References[0].DigestMethod != c.digest) {
				return fmt.Errorf("read as %s, %s", sig.Method, sig.References[0].DigestMethod)
			}
			return err
		}
		if err := verify(signed); err != nil {
			t.Errorf("the JDK's signature, %s: %v", name, err)
		}
		changed := bytes.Replace(signed, []byte("Élise"), []byte("Elise"), 1)
		if err := verify(changed); !errors.Is(err, xmldsig.ErrDigest) {
			t.Errorf("the JDK's signature over changed content, %s: %v", name, err)
		}
	}
}

func newKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeKeyAndCert(t *testing.T, dir, name string, k crypto.Signer) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "witness " + name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

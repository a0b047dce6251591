package demonet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// keys are the demo network's credentials, made once and kept in the data
// directory (keys/), so that a restarted network keeps its identities and
// what it stored stays verifiable.
type keys struct {
	// ca signs the access points' AS4 credentials (eDelivery AS4 2.0:
	// Ed25519 signing, X25519 key agreement).
	ca *pki.Credential
	// aps holds each country's access point credentials.
	aps map[string]*pki.Party
	// csCA and cs sign the Common Services answers (ES256, JAdES).
	csCA, cs *pki.Credential
	// tlsCA issued tlsCert, the certificate of every demo HTTPS server
	// (127.0.0.1 and localhost); browsers and clients trust tlsCA.
	tlsCA   *x509.Certificate
	tlsCert tls.Certificate
	// idp holds each country's identity provider signing key.
	idp map[string]*ecdsa.PrivateKey
	// csAP holds the credentials of the Common Services' access point
	// (CSParty), issued by ca.
	csAP *pki.Party
	// tester holds the conformance kit's credentials (TesterParty), issued
	// by ca and kept in ConformanceDir.
	tester *pki.Party
}

// loadKeys reads the credentials from dir, making the missing ones.
func loadKeys(dir string, countries []string) (*keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	k := &keys{aps: map[string]*pki.Party{}, idp: map[string]*ecdsa.PrivateKey{}}
	var err error
	if k.ca, err = credential(dir, "as4-ca", func() (*pki.Credential, error) { return pki.NewCA("oots demo AS4 CA", wssec.AS4v20, nil) }); err != nil {
		return nil, err
	}
	for _, cc := range countries {
		p, err := party(dir, partyName(cc), k.ca)
		if err != nil {
			return nil, err
		}
		k.aps[cc] = p
		c, err := credential(dir, "idp-"+cc, func() (*pki.Credential, error) {
			return pki.IssueES256(k.ca, "oots demo identity provider "+cc, nil)
		})
		if err != nil {
			return nil, err
		}
		k.idp[cc] = c.Key.(*ecdsa.PrivateKey)
	}
	if k.csAP, err = party(dir, CSParty, k.ca); err != nil {
		return nil, err
	}
	if k.csCA, err = credential(dir, "cs-ca", func() (*pki.Credential, error) { return pki.NewCA("oots demo Common Services CA", wssec.AS4v20, nil) }); err != nil {
		return nil, err
	}
	if k.cs, err = credential(dir, "cs-signer", func() (*pki.Credential, error) {
		return pki.IssueES256(k.csCA, "oots demo Common Services signer", nil)
	}); err != nil {
		return nil, err
	}
	if err := k.loadTLS(dir); err != nil {
		return nil, err
	}
	return k, nil
}

func credential(dir, base string, make func() (*pki.Credential, error)) (*pki.Credential, error) {
	c, err := pki.LoadCredential(dir, base)
	if errors.Is(err, fs.ErrNotExist) {
		if c, err = make(); err == nil {
			err = c.WriteFiles(dir, base)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("demonet: credential %s: %w", base, err)
	}
	return c, nil
}

// party reads the AS4 credentials of the party name from dir, issuing them
// with ca on first use.
func party(dir, name string, ca *pki.Credential) (*pki.Party, error) {
	p, err := pki.LoadParty(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		if p, err = pki.Issue(ca, name, wssec.AS4v20, nil); err == nil {
			err = p.WriteFiles(dir, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("demonet: credentials of %s: %w", name, err)
	}
	return p, nil
}

// loadTLS reads or makes the demo TLS CA (tls-ca.cert.pem, the file to
// import into a browser) and the server certificate for 127.0.0.1 and
// localhost.
func (k *keys) loadTLS(dir string) error {
	caFile, certFile, keyFile := filepath.Join(dir, "tls-ca.cert.pem"), filepath.Join(dir, "tls.cert.pem"), filepath.Join(dir, "tls.key.pem")
	if cert, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		caPEM, err := os.ReadFile(caFile)
		if err != nil {
			return err
		}
		if k.tlsCA, err = pki.ParseCertPEM(caPEM); err != nil {
			return err
		}
		k.tlsCert = cert
		return nil
	}
	now := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "oots demo TLS CA", Organization: []string{"oots demo"}},
		NotBefore: now, NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	if k.tlsCA, err = x509.ParseCertificate(caDER); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost", Organization: []string{"oots demo"}},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.tlsCA, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(caFile, pki.CertPEM(k.tlsCA), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	k.tlsCert, err = tls.X509KeyPair(certPEM, keyPEM)
	return err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}

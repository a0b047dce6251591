package demonet

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/store"
)

// samlSP returns the eIDAS SAML service provider of one web application
// (app, "portal" or "preview", at base) of node cc: the nodes of
// Config.SAML, the replay cache and the logins under way in the node's
// database, and fresh keys with self-signed
// certificates (published in its metadata at base + saml.MetadataPath,
// which an eIDAS node reads again when the network restarts).
func (n *Network) samlSP(ctx context.Context, cc string, db *store.DB, app, base string, log *slog.Logger) (*saml.Authenticator, error) {
	rc, err := saml.NewSQLReplay(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	pending, err := saml.NewSQLPending(ctx, db, app)
	if err != nil {
		return nil, err
	}
	sign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	enc, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	signCert, err := selfSignedSAML(sign, sign, "SAML signing "+base)
	if err != nil {
		return nil, err
	}
	encCert, err := selfSignedSAML(sign, enc, "SAML encryption "+base)
	if err != nil {
		return nil, err
	}
	sp, err := saml.New(saml.Config{BaseURL: base, Country: cc, SigningKey: sign, SigningCert: signCert, EncryptionKey: enc, EncryptionCert: encCert,
		Nodes: n.cfg.SAML, Replay: rc, Pending: pending, HTTPClient: n.client, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("demonet: %w", err)
	}
	return sp, nil
}

// selfSignedSAML makes the certificate of pub, signed by key.
func selfSignedSAML(key *ecdsa.PrivateKey, pub crypto.Signer, cn string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub.Public(), key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

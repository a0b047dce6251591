package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
)

// serveNextKeys is the keys.next section of oots serve: the node's next
// certificate (ap.Rollover).
//
//	keys:
//	  next:                                # omitted: no rollover under way
//	    signingKey: fr.sign.2027.key.pem   # signs from at
//	    signingCertificate: fr.sign.2027.cert.pem
//	    decryptionKey: fr.enc.2027.key.pem # decrypts from now on, beside keys.decryptionKey
//	    at: 2027-03-01T02:00:00Z           # the switch
type serveNextKeys struct {
	SigningKey         string    `yaml:"signingKey"`
	SigningCertificate string    `yaml:"signingCertificate"`
	DecryptionKey      string    `yaml:"decryptionKey"`
	At                 time.Time `yaml:"at"`
}

// rollover reads the files of the section.
func (k *serveNextKeys) rollover(path func(string) string) (*ap.Rollover, error) {
	if k.SigningKey == "" || k.SigningCertificate == "" || k.At.IsZero() {
		return nil, fmt.Errorf("keys.next: signingKey, signingCertificate and at are required")
	}
	key, err := serveReadKey("keys.next.signingKey", path(k.SigningKey))
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys.next.signingKey: %s is not a signing key", k.SigningKey)
	}
	r := &ap.Rollover{SigningKey: signer, At: k.At}
	if r.SigningCert, err = serveReadCert("keys.next.signingCertificate", path(k.SigningCertificate)); err != nil {
		return nil, err
	}
	if k.DecryptionKey != "" {
		if r.DecryptionKey, err = serveReadKey("keys.next.decryptionKey", path(k.DecryptionKey)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// reloadOnHangup re-reads the configuration file on SIGHUP and gives the
// node its P-Mode, its partners' certificates and its trust store anew
// (ap.Node.Reload): the pmode file, the P-Mode parties' certificates and
// keys.trust, without a restart. keep, when not nil, checks what the
// connectors need of a new P-Mode (serveConfig.connectorsKeep). The other
// settings take effect at the next start.
func reloadOnHangup(ctx context.Context, node *ap.Node, load func() (*serveConfig, error), keep func(*pmode.Config) error, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := reloadPartners(node, load, keep, logger); err != nil {
			logger.Error("reload refused; the node keeps its P-Mode and its partners' certificates", slog.String("error", err.Error()))
		}
	}
}

func reloadPartners(node *ap.Node, load func() (*serveConfig, error), keep func(*pmode.Config) error, logger *slog.Logger) error {
	c, err := load()
	if err != nil {
		return err
	}
	cfg, err := c.nodeConfig(logger, nil)
	if err != nil {
		return err
	}
	if keep != nil {
		if err := keep(cfg.PMode); err != nil {
			return err
		}
	}
	p := ap.Partners{PMode: cfg.PMode, Trust: cfg.Trust, EncryptionCerts: cfg.EncryptionCerts, SigningCerts: map[string][]*x509.Certificate{}}
	for name, cert := range cfg.SigningCerts {
		p.SigningCerts[name] = []*x509.Certificate{cert}
	}
	return node.Reload(p)
}

package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/internal/durable"
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

// reloader reads the node's configuration files again and gives the node
// its P-Mode, its partners' certificates and its trust store anew
// (ap.Node.Reload): the pmode file, the P-Mode parties' certificates and
// keys.trust, without a restart. The other settings take effect at the
// next start. kill -HUP and the console's administrators use it
// (console.Configurer), one change at a time.
type reloader struct {
	mu     sync.Mutex
	node   *ap.Node
	load   func() (*serveConfig, error)
	keep   func(*pmode.Config) error // nil, or what the connectors need of a P-Mode (serveConfig.connectorsKeep)
	logger *slog.Logger
}

var _ console.Configurer = (*reloader)(nil)

// onHangup reloads the configuration on each SIGHUP until ctx ends.
func (r *reloader) onHangup(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := r.Reload(ctx); err != nil {
			r.logger.Error("reload refused; the node keeps its P-Mode and its partners' certificates", slog.String("error", err.Error()))
		}
	}
}

// Reload reads the configuration files again and gives them to the node.
func (r *reloader) Reload(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.load()
	if err != nil {
		return err
	}
	p, err := r.partners(c, nil)
	if err != nil {
		return err
	}
	return r.node.Reload(p)
}

// ReplacePMode checks file as the node's P-Mode with the rest of the
// configuration as it is on disk, makes it the pmode file (the file it
// replaces, which a symbolic link pmode leads to, kept beside it as
// FILE.previous) and gives the node the result;
// when the node refuses it, the pmode file is put back.
func (r *reloader) ReplacePMode(_ context.Context, file []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.load()
	if err != nil {
		return err
	}
	// The upload is checked beside the name the configuration gives, which
	// the P-Mode's relative paths are relative to, and written over the
	// file that name leads to: a symbolic link (to a file a deployment
	// manages) stays one.
	named := c.path(c.PMode)
	target, err := filepath.EvalSymlinks(named)
	if err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	old, err := os.ReadFile(target)
	if err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	// The file keeps its kind: tools that edit it (oots partner add) tell
	// a Domibus PMode XML from a YAML P-Mode by its name.
	if was, is := pmodeKind(old), pmodeKind(file); was != is {
		return fmt.Errorf("pmode: %s holds a %s and the upload is a %s: upload a %s, or name another file in the configuration and restart",
			filepath.Base(named), was, is, was)
	}
	// The file keeps its mode: readers of the P-Mode other than this
	// process (oots doctor, a group of operators) still read it.
	fi, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	mode := fi.Mode().Perm()
	tmp, err := writeTemp(filepath.Dir(named), ".pmode-upload-*", file, mode)
	if err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	defer os.Remove(tmp)
	// Named as the configuration names files (c.path): absolute, since a
	// relative name is taken relative to the configuration's directory.
	if c.PMode, err = filepath.Abs(tmp); err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	p, err := r.partners(c, func(err error) {
		r.logger.Warn("a process of the uploaded Domibus P-Mode is left out: this node does not run it", "pmode", named, "error", err.Error())
	})
	if err != nil {
		return err
	}
	if filepath.Dir(target) != filepath.Dir(named) {
		if tmp, err = writeTemp(filepath.Dir(target), ".pmode-upload-*", file, mode); err != nil {
			return fmt.Errorf("pmode: %w", err)
		}
		defer os.Remove(tmp)
	}
	prev, err := writeTemp(filepath.Dir(target), ".pmode-previous-*", old, mode)
	if err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	defer os.Remove(prev)
	syncDir := func() { durable.SyncDir(filepath.Dir(target)) } // the renames durable
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("pmode: %w", err)
	}
	syncDir()
	if err := r.node.Reload(p); err != nil {
		// The old file back; FILE.previous stays what it was.
		if os.Rename(prev, target) == nil {
			syncDir()
		}
		return err
	}
	// The replaced file kept beside it, once the node uses the new one.
	if err := os.Rename(prev, target+".previous"); err != nil {
		r.logger.Warn("P-Mode replaced, the file it replaced not kept", slog.String("error", err.Error()))
	}
	syncDir()
	r.logger.Info("P-Mode replaced", slog.String("pmode", target), slog.String("previous", target+".previous"))
	return nil
}

// PModeFile returns the pmode file the configuration names, as it is on
// disk.
func (r *reloader) PModeFile(context.Context) (string, []byte, error) {
	c, err := r.load()
	if err != nil {
		return "", nil, err
	}
	named := c.path(c.PMode)
	b, err := os.ReadFile(named)
	if err != nil {
		return "", nil, fmt.Errorf("pmode: %w", err)
	}
	return filepath.Base(named), b, nil
}

// pmodeKind names the kind of a P-Mode file by its content, as loadPMode
// reads it.
func pmodeKind(b []byte) string {
	if pmode.IsDomibusXML(b) {
		return "Domibus PMode XML"
	}
	return "YAML P-Mode"
}

// partners reads what a reload gives the node from the files c names;
// leftOut, when not nil, is told of each process of a Domibus P-Mode the
// node does not run (nil: they are logged under the file's name).
func (r *reloader) partners(c *serveConfig, leftOut func(error)) (ap.Partners, error) {
	cfg, err := c.nodeConfig(r.logger, leftOut)
	if err != nil {
		return ap.Partners{}, err
	}
	if r.keep != nil {
		if err := r.keep(cfg.PMode); err != nil {
			return ap.Partners{}, err
		}
	}
	p := ap.Partners{PMode: cfg.PMode, Trust: cfg.Trust, EncryptionCerts: cfg.EncryptionCerts, SigningCerts: map[string][]*x509.Certificate{}}
	for name, cert := range cfg.SigningCerts {
		p.SigningCerts[name] = []*x509.Certificate{cert}
	}
	return p, nil
}

// writeTemp writes b to a new file of dir with the permissions mode,
// synced, and returns its name.
func writeTemp(dir, pattern string, b []byte, mode os.FileMode) (string, error) {
	return durable.Temp(dir, pattern, mode, func(w io.Writer) error { _, err := w.Write(b); return err })
}

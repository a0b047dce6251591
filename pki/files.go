package pki

import (
	"fmt"
	"os"
	"path/filepath"
)

// File layout written by WriteFiles and read by LoadCredential/LoadParty
// (and by the "oots pki" command):
//
//	BASE.key.pem   PKCS#8 private key
//	BASE.cert.pem  certificate
//
// A party NAME has NAME.sign.* and NAME.enc.* (for the rsa profile the two
// are the same key and certificate); a CA is "ca".

// WriteFiles writes dir/base.key.pem (mode 0600) and dir/base.cert.pem.
func (c *Credential) WriteFiles(dir, base string) error {
	k, err := KeyPEM(c.Key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, base+".key.pem"), k, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, base+".cert.pem"), CertPEM(c.Cert), 0o644); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

// LoadCredential reads dir/base.key.pem and dir/base.cert.pem.
func LoadCredential(dir, base string) (*Credential, error) {
	kb, err := os.ReadFile(filepath.Join(dir, base+".key.pem"))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	k, err := ParseKeyPEM(kb)
	if err != nil {
		return nil, fmt.Errorf("pki: %s.key.pem: %w", base, err)
	}
	cb, err := os.ReadFile(filepath.Join(dir, base+".cert.pem"))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	c, err := ParseCertPEM(cb)
	if err != nil {
		return nil, fmt.Errorf("pki: %s.cert.pem: %w", base, err)
	}
	return &Credential{Key: k, Cert: c}, nil
}

// WriteFiles writes dir/name.sign.{key,cert}.pem and dir/name.enc.{key,cert}.pem.
func (p *Party) WriteFiles(dir, name string) error {
	if err := p.Sign.WriteFiles(dir, name+".sign"); err != nil {
		return err
	}
	return p.Encrypt.WriteFiles(dir, name+".enc")
}

// LoadParty reads the files WriteFiles writes.
func LoadParty(dir, name string) (*Party, error) {
	s, err := LoadCredential(dir, name+".sign")
	if err != nil {
		return nil, err
	}
	e, err := LoadCredential(dir, name+".enc")
	if err != nil {
		return nil, err
	}
	return &Party{Sign: s, Encrypt: e}, nil
}

package ap

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// Rollover is a node's next certificate (Config.Next), so that a
// certificate is replaced without downtime:
//
//  1. from the start the node decrypts with the next key as well as the
//     current one, so partners may encrypt for the next certificate as soon
//     as they have it (a reload of their configuration, or the SMP entry
//     the operator publishes ahead of the switch);
//  2. until At it signs messages, receipts and errors with the current key
//     and certificate, from At with the next ones; partners trust both (the
//     same CA, or the next CA added to their trust store by a reload ahead
//     of the switch);
//  3. after the switch the operator makes the next certificate the current
//     one in the configuration at a convenient restart.
//
// Publishing the next certificate to the SMP of discovered partners is the
// operator's step (oots smp); the node does not do it.
type Rollover struct {
	// SigningKey and SigningCert sign from At; same profile as the
	// current ones.
	SigningKey  crypto.Signer
	SigningCert *x509.Certificate
	// DecryptionKey is the key of the next encryption certificate: tried
	// when the current one fails to decrypt (wssec.VerifyConfig.
	// NextDecryptionKey). Optional.
	DecryptionKey crypto.PrivateKey
	// At is the switch time.
	At time.Time
}

func (r *Rollover) validate(c *Config) error {
	bad := func(f, format string, a ...any) error { return &FieldError{"Next." + f, fmt.Sprintf(format, a...)} }
	if r.SigningKey == nil || r.SigningCert == nil {
		return bad("SigningKey", "a next signing key and certificate are required")
	}
	if !publicKeysEqual(r.SigningKey.Public(), r.SigningCert.PublicKey) {
		return bad("SigningCert", "does not match the next signing key")
	}
	if c.SigningKey == nil {
		return bad("SigningKey", "a next key without a current one")
	}
	next, err := wssec.ProfileFor(r.SigningKey)
	if err != nil {
		return bad("SigningKey", "%v", err)
	}
	if cur, _ := wssec.ProfileFor(c.SigningKey); next != cur {
		return bad("SigningKey", "the next signing key is not of the current one's profile (%s)", cur)
	}
	if r.At.IsZero() {
		return bad("At", "required: the time the node signs with the next certificate")
	}
	if r.At.Before(r.SigningCert.NotBefore) || r.At.After(r.SigningCert.NotAfter) {
		return bad("At", "%s is outside the next certificate's validity", r.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// Partners are what a node knows of its partners, replaced as a whole by
// Node.Reload: the P-Mode and the partners' certificates.
type Partners struct {
	// PMode is the P-Mode (Config.PMode): the parties, their endpoints and
	// the legs. In Reload, nil keeps the P-Mode in use.
	PMode *pmode.Config
	// Trust validates the partners' signing certificates (Config.Trust).
	Trust *trust.Store
	// EncryptionCerts are the partners' encryption certificates by party
	// (Config.EncryptionCerts).
	EncryptionCerts map[string]*x509.Certificate
	// SigningCerts are the certificates that may sign for a partner, by
	// party (Config.SigningCerts): during a partner's rollover, its current
	// and its next one.
	SigningCerts map[string][]*x509.Certificate
}

// partnerState is what a reload replaces: the partners and the receivers
// built on them. A request or an attempt holds the state it started with
// to its end, so nothing in flight sees a half-made change.
type partnerState struct {
	Partners
	// receivers sign receipts and errors with the current certificate
	// ([0]) and, from the switch, the next ([1]).
	receivers [2]*as4.Receiver
}

// install builds the receivers on p and makes p the node's partners.
func (n *Node) install(p Partners) {
	cfg := n.cfg
	st := &partnerState{Partners: p}
	for i := range st.receivers {
		r := &as4.Receiver{PMode: p.PMode, DecryptionKey: cfg.DecryptionKey, Trust: p.Trust,
			Now: cfg.Now, TempDir: cfg.TempDir, Rand: cfg.Rand, Domain: cfg.Domain,
			SigningKey: cfg.SigningKey, SigningCert: cfg.SigningCert, MaxBodySize: cfg.MaxBodySize,
			MaxDecompressed: cfg.MaxDecompressed, MaxRatio: cfg.MaxCompressionRatio,
			PartyCertificates: n.partyCertificates, Reply: n.reply}
		if cfg.Next != nil {
			r.NextDecryptionKey = cfg.Next.DecryptionKey
			if i == 1 {
				r.SigningKey, r.SigningCert = cfg.Next.SigningKey, cfg.Next.SigningCert
			}
		}
		if cfg.Fault.Is(fault.AnySigner) {
			r.Bind = anySigner // deliberate defect: see Config.Fault
		}
		st.receivers[i] = r
	}
	n.partners.Store(st)
	n.mu.Lock()
	clear(n.senders)
	n.mu.Unlock()
}

// receiverNow is the receiver of the current partners, signing with the
// certificate of the moment.
func (n *Node) receiverNow() *as4.Receiver {
	st := n.partners.Load()
	if n.switched() {
		return st.receivers[1]
	}
	return st.receivers[0]
}

// switched reports whether the node signs with its next certificate.
func (n *Node) switched() bool {
	return n.cfg.Next != nil && !n.cfg.Now().Before(n.cfg.Next.At)
}

// signing returns the key and certificate the node signs with now.
func (n *Node) signing() (crypto.Signer, *x509.Certificate) {
	if n.switched() {
		return n.cfg.Next.SigningKey, n.cfg.Next.SigningCert
	}
	return n.cfg.SigningKey, n.cfg.SigningCert
}

// SigningCertificate returns the certificate the node signs with now: the
// current one, or from Config.Next.At the next one.
func (n *Node) SigningCertificate() *x509.Certificate {
	_, c := n.signing()
	return c
}

// Partners returns the partners' certificates and trust store in use: those
// of the configuration, or of the last Reload.
func (n *Node) Partners() Partners { return n.partners.Load().Partners }

// Reload replaces the P-Mode and the partners' certificates and trust store
// without a restart: messages being received or sent finish with what they
// started with, the next ones use p. A message queued on a leg the new
// P-Mode lacks fails at its next attempt, naming the leg. Reload returns a
// *FieldError, and changes nothing, when p fails the checks New makes (a
// P-Mode that is not valid, a signed leg without a trust store, a leg of
// another profile than the node's keys, a partner resolved by discovery
// that is no party) or names another party as this node's own (PMode.Self:
// that takes a restart).
func (n *Node) Reload(p Partners) error {
	if p.PMode == nil {
		p.PMode = n.pmode()
	}
	c := n.cfg
	c.PMode, c.Trust, c.EncryptionCerts = p.PMode, p.Trust, p.EncryptionCerts
	if err := c.Validate(); err != nil {
		return err
	}
	if self := n.pmode().Self; p.PMode.Self != self {
		return &FieldError{"PMode.Self", fmt.Sprintf("%q, and this node is %q: a node changes its own party at a restart", p.PMode.Self, self)}
	}
	n.install(p)
	anchors := 0
	if p.Trust != nil {
		anchors = len(p.Trust.Anchors())
	}
	n.log.Info("partners reloaded", slog.Int(logParties, len(p.PMode.Parties)), slog.Int(logLegs, len(p.PMode.Legs)),
		slog.Int(logTrustAnchors, anchors),
		slog.Int(logEncryptionCerts, len(p.EncryptionCerts)), slog.Int(logSigningCerts, len(p.SigningCerts)))
	return nil
}

// pmode returns the P-Mode in use: the configuration's, or the last
// Reload's.
func (n *Node) pmode() *pmode.Config {
	if st := n.partners.Load(); st != nil {
		return st.PMode
	}
	return n.cfg.PMode
}

// Keys of the log attributes of a reload.
const (
	logParties         = "parties"
	logLegs            = "legs"
	logTrustAnchors    = "trust_anchors"
	logEncryptionCerts = "encryption_certificates"
	logSigningCerts    = "signing_certificates"
)

// partnersOf returns the initial partners of a configuration.
func partnersOf(cfg Config) Partners {
	p := Partners{PMode: cfg.PMode, Trust: cfg.Trust, EncryptionCerts: cfg.EncryptionCerts, SigningCerts: map[string][]*x509.Certificate{}}
	for name, c := range cfg.SigningCerts {
		if c != nil {
			p.SigningCerts[name] = []*x509.Certificate{c}
		}
	}
	return p
}

package ap

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// Rules of the findings of CheckConfig.
const (
	// RuleKey: the node's own keys (present, matching, of which profile).
	RuleKey = "AP-CONFIG-KEY"
	// RuleCert: a certificate's validity period, key usage or chain to
	// the trust store.
	RuleCert = "AP-CONFIG-CERT"
	// RuleAlgorithm: a key or a leg of another profile than the signing
	// key's, or an RSA key under 2048 bits (eDelivery AS4 1.15).
	RuleAlgorithm = "AP-CONFIG-ALGORITHM"
	// RulePMode: the P-Mode's parties against its legs.
	RulePMode = "AP-CONFIG-PMODE"
	// RulePartner: a partner this node sends to without an endpoint or,
	// on an encrypted leg, an encryption certificate.
	RulePartner = "AP-CONFIG-PARTNER"
)

// CertWarning is how long before a certificate expires CheckConfig warns.
const CertWarning = 30 * 24 * time.Hour

// CheckConfig reports, at time now, what is wrong or noteworthy in the keys
// and certificates of c against the profiles of c.PMode's legs, and in the
// partners this node sends to: where Validate stops at the first wrong
// field, CheckConfig goes on and says more (expiry, chains, key usage,
// every leg and partner), for an operator's check before the start.
//
// The checks, each a finding of one of the Rule… constants:
//   - the signing key is present when a leg is signed, matches
//     SigningCert, and its profile (wssec.ProfileFor) is every signed
//     leg's; an RSA key has at least 2048 bits;
//   - SigningCert is valid at now, for 30 days more (CertWarning), chains
//     to Trust for signing, and allows digitalSignature;
//   - DecryptionKey suits the signing key's profile (RSA for 1.15, X25519
//     for 2.0);
//   - PMode.Self is a party; each partner this node initiates a leg with
//     has an endpoint and, on an encrypted leg, an encryption certificate
//     valid at now that chains to Trust for key transport (1.15) or key
//     agreement (2.0); partners of Discovered are resolved at send time
//     and not checked here;
//   - each partner's certificate of SigningCerts is valid at now and
//     chains to Trust for signing.
//
// A finding's Location names the field of Config: "SigningKey",
// "SigningCert", "DecryptionKey", "PMode.Self", "PMode.legs[i]",
// "PMode.legs[i].security.profile" (as Validate does),
// "EncryptionCerts[party]" or "SigningCerts[party]"; a message names
// another field the same way. c.PMode must be set and valid
// (pmode.Config.Validate); CheckConfig does not read files or the network.
func CheckConfig(c *Config, now time.Time) []check.Finding {
	k := &configCheck{c: c, pm: c.PMode, now: now}
	k.keys()
	k.partners()
	return k.findings
}

// configCheck collects the findings of CheckConfig.
type configCheck struct {
	c        *Config
	pm       *pmode.Config
	now      time.Time
	findings []check.Finding
}

func (k *configCheck) add(rule string, flag check.Flag, loc, format string, a ...any) {
	k.findings = append(k.findings, check.Finding{Rule: rule, Flag: flag, Location: loc, Message: fmt.Sprintf(format, a...)})
}

// hasError reports whether an error or fatal finding is already at loc.
func (k *configCheck) hasError(loc string) bool {
	return slices.ContainsFunc(k.findings, func(f check.Finding) bool { return f.Location == loc && f.Invalidates() })
}

// legProfileField is the field of leg i's security profile, as Validate
// names it.
func legProfileField(i int) string { return fmt.Sprintf("PMode.legs[%d].security.profile", i) }

// keys checks the node's own keys against the legs' profiles.
func (k *configCheck) keys() {
	c, pm := k.c, k.pm
	const loc = "SigningCert"
	if c.SigningCert == nil {
		for _, l := range pm.Legs {
			if l.Security.Profile != pmode.ProfileNone {
				k.add(RuleKey, check.Error, "SigningKey", "leg %s is signed (%s) and no signing key is configured", l.Name, l.Security.Profile)
				return
			}
		}
		k.add(RuleKey, check.Warning, "SigningKey", "no signing key: only legs without security can be used")
		return
	}
	k.cert(loc, c.SigningCert, trust.Signing)
	if c.SigningCert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		k.add(RuleCert, check.Error, loc, "key usage lacks digitalSignature")
	}
	if c.SigningKey == nil || !publicKeysEqual(c.SigningKey.Public(), c.SigningCert.PublicKey) {
		k.add(RuleKey, check.Error, "SigningKey", "does not match SigningCert")
	}
	// A key of no profile ("") mismatches every signed leg below.
	profile, _ := wssec.ProfileFor(c.SigningCert)
	if rk, ok := c.SigningCert.PublicKey.(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
		k.add(RuleAlgorithm, check.Error, loc, "RSA key of %d bits: eDelivery AS4 1.15 needs at least 2048", rk.N.BitLen())
	}
	for i, l := range pm.Legs {
		if l.Security.Profile == pmode.ProfileNone {
			continue
		}
		if l.Security.Profile != profile {
			k.add(RuleAlgorithm, check.Error, legProfileField(i), "leg %s uses %s, and the signing key is for %q", l.Name, l.Security.Profile, profile)
		}
	}
	k.decryptionKey(profile)
	k.add(RuleKey, check.Info, loc, "%s, profile %s, subject %s", keyKind(c.SigningCert.PublicKey), profile, c.SigningCert.Subject)
}

// decryptionKey checks that the decryption key, when there is one, suits
// the signing key's profile. It is judged by its public key: the private
// one may be in a token (PKCS #11).
func (k *configCheck) decryptionKey(profile wssec.Profile) {
	dk := k.c.DecryptionKey
	if dk == nil {
		return
	}
	var pub crypto.PublicKey = dk
	if p, ok := dk.(interface{ Public() crypto.PublicKey }); ok {
		pub = p.Public()
	}
	switch key := pub.(type) {
	case *rsa.PublicKey:
		if profile != wssec.AS4v115 {
			k.add(RuleAlgorithm, check.Error, "DecryptionKey", "an RSA key, and the signing key is for %s (X25519 expected)", profile)
		}
	case *ecdh.PublicKey:
		if key.Curve() != ecdh.X25519() || profile != wssec.AS4v20 {
			k.add(RuleAlgorithm, check.Error, "DecryptionKey", "an ECDH key, and the signing key is for %s", profile)
		}
	default:
		k.add(RuleAlgorithm, check.Error, "DecryptionKey", "a %T cannot decrypt under eDelivery AS4", dk)
	}
}

// keyKind names a public key's algorithm and size for a sentence.
func keyKind(pub crypto.PublicKey) string {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", pub.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdh.PublicKey:
		return "X25519"
	}
	return fmt.Sprintf("%T", pub)
}

// cert checks a certificate's validity period at now and its chain to the
// trust store for a purpose.
func (k *configCheck) cert(loc string, cert *x509.Certificate, purpose trust.Purpose) {
	switch {
	case k.now.Before(cert.NotBefore):
		k.add(RuleCert, check.Error, loc, "not valid before %s", cert.NotBefore.Format(time.RFC3339))
	case k.now.After(cert.NotAfter):
		k.add(RuleCert, check.Error, loc, "expired on %s", cert.NotAfter.Format(time.RFC3339))
	case cert.NotAfter.Sub(k.now) < CertWarning:
		k.add(RuleCert, check.Warning, loc, "expires in less than 30 days (%s)", cert.NotAfter.Format(time.RFC3339))
	}
	if k.c.Trust == nil {
		k.add(RuleCert, check.Warning, loc, "no trust store (Trust): the chain is not checked")
		return
	}
	if _, err := k.c.Trust.Verify(cert, purpose, k.now); err != nil {
		k.add(RuleCert, check.Error, loc, "%v", err)
	}
}

// partners checks the P-Mode's parties against the legs: the partners this
// node sends to need an endpoint and, on encrypted legs, an encryption
// certificate that chains to the trust store.
func (k *configCheck) partners() {
	c, pm := k.c, k.pm
	if _, err := pm.Party(pm.Self); err != nil {
		k.add(RulePMode, check.Error, "PMode.Self", "%v", err)
		return
	}
	for li, l := range pm.Legs {
		loc := fmt.Sprintf("PMode.legs[%d]", li)
		initiates := slices.Contains(l.Initiator.Parties, pm.Self)
		responds := slices.Contains(l.Responder.Parties, pm.Self)
		if !initiates && !responds {
			k.add(RulePMode, check.Info, loc, "leg %s does not involve %s", l.Name, pm.Self)
			continue
		}
		if !initiates {
			continue
		}
		for _, name := range l.Responder.Parties {
			if name != pm.Self {
				k.partner(li, l, name)
			}
		}
	}
	for _, p := range pm.Parties {
		if cert := c.SigningCerts[p.Name]; cert != nil && p.Name != pm.Self {
			k.cert("SigningCerts["+p.Name+"]", cert, trust.Signing)
		}
	}
}

// partner checks the partner name to which leg l, the li-th, sends.
func (k *configCheck) partner(li int, l pmode.Leg, name string) {
	c, loc := k.c, fmt.Sprintf("PMode.legs[%d]", li)
	p, err := k.pm.Party(name)
	if err != nil {
		k.add(RulePMode, check.Error, loc, "%v", err)
		return
	}
	if _, dynamic := c.Discovered[name]; dynamic {
		return // endpoint and certificate found at send time (discovery)
	}
	if p.Endpoint == "" {
		k.add(RulePartner, check.Error, loc, "leg %s sends to %s, which has no endpoint", l.Name, name)
	}
	if !l.Security.Encrypt {
		return
	}
	cert := c.EncryptionCerts[name]
	if cert == nil {
		k.add(RulePartner, check.Error, loc, "leg %s encrypts for %s, which has no certificate in EncryptionCerts", l.Name, name)
		return
	}
	// A leg of the other profile than the signing key's is reported once
	// (keys); its partner's certificate is then judged for the profile the
	// leg will have once fixed.
	profile := l.Security.Profile
	if k.hasError(legProfileField(li)) && c.SigningCert != nil {
		profile, _ = wssec.ProfileFor(c.SigningCert)
	}
	purpose := trust.KeyTransport
	if profile == wssec.AS4v20 {
		purpose = trust.KeyAgreement
	}
	k.cert("EncryptionCerts["+name+"]", cert, purpose)
}

package as4

import (
	"crypto/x509"
	"errors"
	"strings"

	"github.com/oots-go/oots/as4/pmode"
)

// PartyCertificates returns the certificates that may sign for the named
// P-Mode party: the certificate of its P-Mode entry, or the one its SMP
// published when the party is found by dynamic discovery (several during a
// certificate rollover). It returns none when nothing is configured for the
// party; the party is then bound by name (CheckSigner).
type PartyCertificates func(party string) ([]*x509.Certificate, error)

// CheckSigner reports whether signer, a certificate that verified a
// message's signature and chains to the trust store, may speak for party
// (eb:From of a user message, or the party a signal answers for). This is
// the binding Domibus makes with domibus.sender.trust.validation.*:
//
//   - when certs holds certificates configured for the party, the signer
//     must be one of them (Domibus: the truststore entry whose alias is the
//     party's name);
//   - else the signer's subject common name must be the party's name or one
//     of its party identifiers (Domibus's
//     domibus.sender.certificate.subject.check), so that a certificate
//     issued to another access point of the same CA cannot speak for it.
//
// A mismatch is EBMS:0101 FailedAuthentication naming both, wrapping
// ErrWrongSigner.
func CheckSigner(party *pmode.Party, certs []*x509.Certificate, signer *x509.Certificate) error {
	if signer == nil {
		return Errorf(FailedAuthentication, "no verified signing certificate to bind to party %s", party.Name)
	}
	if len(certs) > 0 {
		for _, c := range certs {
			if c != nil && c.Equal(signer) {
				return nil
			}
		}
		return wrapErr(FailedAuthentication, ErrWrongSigner, "the message is signed by %q (serial %s), which is not the certificate of party %s (%q)",
			signer.Subject.String(), signer.SerialNumber, party.Name, certs[0].Subject.String())
	}
	cn := signer.Subject.CommonName
	if strings.EqualFold(cn, party.Name) {
		return nil
	}
	for _, id := range party.IDs {
		if strings.EqualFold(cn, id.Value) {
			return nil
		}
	}
	return wrapErr(FailedAuthentication, ErrWrongSigner, "the message is signed by %q, whose common name is neither the name nor an identifier of party %s, and no certificate is configured for that party",
		signer.Subject.String(), party.Name)
}

// ErrWrongSigner is wrapped by the *Error of CheckSigner (and of Check, for
// a signal signed by another party than the one the message went to).
var ErrWrongSigner = errors.New("as4: the signer is not the party's certificate")

// partyOf returns the P-Mode party one of whose identifiers is among ids.
func partyOf(c *pmode.Config, ids []PartyID) (*pmode.Party, bool) {
	for _, id := range ids {
		if p, ok := c.PartyByID(pmode.PartyID{Type: id.Type, Value: id.Value}); ok {
			return p, true
		}
	}
	return nil, false
}

// certificatesOf calls f for party; nil f or an unknown party give none.
// Errors are EBMS:0004 naming the party.
func certificatesOf(f PartyCertificates, party *pmode.Party) ([]*x509.Certificate, error) {
	if f == nil || party == nil {
		return nil, nil
	}
	certs, err := f(party.Name)
	if err != nil {
		return nil, wrapErr(Other, err, "the certificates of party %s", party.Name)
	}
	return certs, nil
}

// bind runs custom, or else CheckSigner with certs, the party's.
func bind(custom func(*pmode.Party, *x509.Certificate) error, party *pmode.Party, certs []*x509.Certificate, signer *x509.Certificate) error {
	if custom != nil {
		return custom(party, signer)
	}
	return CheckSigner(party, certs, signer)
}

// Package tlsprofile is the TLS profile of OOTS TDD 3.7 for every HTTPS
// client and server of oots (AS4 endpoints, Common Services queries, SMP,
// the web interfaces): TLS 1.2 at least (MUST), TLS 1.3 preferred (SHOULD,
// offered first by Go), key exchange over named groups only (X25519, P-256,
// P-384, and the X25519/ML-KEM-768 hybrid Go offers under TLS 1.3), and
// under TLS 1.2 only ECDHE suites with AEAD ciphers (forward secrecy; no
// RSA key transport, CBC or 3DES).
//
// Client and Server return configurations with the profile set; Apply sets
// it on an existing configuration; Check judges a connection's state (what
// "oots doctor" reports of a peer).
package tlsprofile

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
)

// MinVersion is the lowest version offered or accepted.
const MinVersion = tls.VersionTLS12

// Groups are the key-exchange groups offered and accepted, in order of
// preference.
var groups = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}

// suites12 are the TLS 1.2 cipher suites offered and accepted (TLS 1.3
// suites are not configurable in Go and are all AEAD).
var suites12 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Apply sets the profile on c (version floor, groups, TLS 1.2 suites) and
// returns it; a nil c gets a new configuration. A higher MinVersion already
// set is kept.
func Apply(c *tls.Config) *tls.Config {
	if c == nil {
		c = &tls.Config{}
	}
	if c.MinVersion < MinVersion {
		c.MinVersion = MinVersion
	}
	c.CurvePreferences = slices.Clone(groups)
	c.CipherSuites = slices.Clone(suites12)
	return c
}

// Client returns a client configuration with the profile, trusting roots
// (nil: the system roots).
func Client(roots *x509.CertPool) *tls.Config { return Apply(&tls.Config{RootCAs: roots}) }

// Server returns a server configuration with the profile serving certs.
func Server(certs ...tls.Certificate) *tls.Config {
	return Apply(&tls.Config{Certificates: certs})
}

// Check judges the state of an established connection against the profile:
// an error for a version below TLS 1.2, a TLS 1.2 suite outside the profile,
// or a key exchange outside its groups. A TLS 1.2 connection that meets the
// profile passes, with TLS13 false (SHOULD, not MUST).
func Check(st tls.ConnectionState) (tls13 bool, err error) {
	switch {
	case st.Version < MinVersion:
		return false, fmt.Errorf("tlsprofile: %s, below TLS 1.2 (OOTS TDD 3.7)", tls.VersionName(st.Version))
	case st.Version == tls.VersionTLS12 && !slices.Contains(suites12, st.CipherSuite):
		return false, fmt.Errorf("tlsprofile: TLS 1.2 suite %s is outside the profile (ECDHE with AEAD only)", tls.CipherSuiteName(st.CipherSuite))
	case st.CurveID != 0 && !slices.Contains(groups, st.CurveID):
		return false, fmt.Errorf("tlsprofile: key exchange group %s is outside the profile", st.CurveID)
	}
	return st.Version >= tls.VersionTLS13, nil
}

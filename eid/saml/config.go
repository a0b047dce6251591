package saml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
)

// Binding is a SAML 2.0 binding of the AuthnRequest (SAML 2.0 Bindings §3.4,
// §3.5). Responses always come by HTTP-POST (eIDAS SAML Message Format §3).
type Binding string

// The bindings of the AuthnRequest.
const (
	// POST is the HTTP-POST binding: an auto-submitted form carries the
	// signed request; the default.
	POST Binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	// Redirect is the HTTP-Redirect binding: the request, deflated, in
	// the query, signed over the query string (Bindings §3.4.4.1).
	Redirect Binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// Node is the eIDAS connector node of one country of eIDs (for a
// Member State's own SP, usually its own connector, which reaches the
// proxy services of the other countries).
type Node struct {
	// EntityID is the node's SAML entity ID, the Issuer of its responses
	// and assertions. Required (with MetadataURL, it must also be the
	// entityID of the metadata).
	EntityID string `json:"entityId"`
	// SSOURL is the node's SingleSignOnService location, and Binding the
	// binding to use there (default POST). Taken from the metadata when
	// MetadataURL is set.
	SSOURL  string  `json:"ssoUrl,omitempty"`
	Binding Binding `json:"binding,omitempty"`
	// Certificates are the node's signing certificates, when the node
	// has no metadata URL. A response or assertion signed with any other
	// key is refused.
	Certificates []*x509.Certificate `json:"-"`
	// MetadataURL is where the node publishes its signed metadata (its
	// md:EntityDescriptor, or an md:EntitiesDescriptor holding it); Anchor
	// is the certificate whose key must have signed it. Both or neither.
	MetadataURL string            `json:"metadataUrl,omitempty"`
	Anchor      *x509.Certificate `json:"-"`
	// MinLoA is the level asked for (Comparison minimum) and the least
	// accepted; default substantial.
	MinLoA eid.LoA `json:"minLoA,omitempty"`
}

// Config configures an Authenticator.
type Config struct {
	// BaseURL is the application's public base URL (scheme and host); the
	// assertion consumer service is BaseURL + ACSPath and our metadata
	// BaseURL + MetadataPath. Required: the node checks Destination and
	// Recipient against it.
	BaseURL string
	// EntityID is our entity ID; default BaseURL + MetadataPath (eIDAS
	// SAML Message Format §2.1: the entity ID is the metadata URL).
	EntityID string
	// Country is the relying party's country (upper case), sent as
	// eidas:SPCountry in our metadata.
	Country string
	// SigningKey signs our requests and metadata (ECDSA P-256/384/521 or
	// RSA ≥ 2048 bits, signed with ecdsa-sha256 or sha256-rsa-MGF1);
	// SigningCert is its certificate, published in our metadata.
	SigningKey  crypto.Signer
	SigningCert *x509.Certificate
	// EncryptionKey decrypts the key of each assertion (RSA-OAEP key
	// transport): an *rsa.PrivateKey, or any crypto.Decrypter whose
	// Public is an *rsa.PublicKey of at least 2048 bits, such as a key in
	// a hardware security module (package pkcs11). It is given
	// *rsa.OAEPOptions with SHA-1 or SHA-256 as the digest and MGF1 with
	// SHA-1 or SHA-256, as the node chose (eIDAS Cryptographic
	// Requirements §3.4). EncryptionCert, published in our metadata, is
	// what the node encrypts to: its key must be EncryptionKey's.
	EncryptionKey  crypto.Decrypter
	EncryptionCert *x509.Certificate
	// Nodes are the eIDAS nodes by country of the eID (ISO 3166-1
	// alpha-2, upper case). Required.
	Nodes map[string]Node
	// Replay keeps the assertions used (SQLReplay). Required.
	Replay ReplayCache
	// AllowUnencrypted accepts a plain saml:Assertion. Off by default:
	// eIDAS requires assertions encrypted, and a response that is not is
	// refused as a downgrade.
	AllowUnencrypted bool
	// SPType is eidas:SPType; default "public" (OOTS procedures are run
	// by public authorities).
	SPType string
	// Skew is the clock difference tolerated with a node; default 1
	// minute, at most 5 minutes.
	Skew time.Duration
	// LoginTTL is how long a begun login may take; default 10 minutes.
	LoginTTL time.Duration
	// MaxPending caps the logins begun and not finished; default 10000.
	MaxPending int
	// Pending keeps the logins begun and not finished; default the
	// memory of this process, where the node's answer and the callback
	// must come back. SQLPending keeps them in the node's database, for
	// a cluster of instances.
	Pending PendingStore
	// MaxResponse bounds a SAMLResponse (decoded) and a metadata
	// document; default 256 KiB.
	MaxResponse int64
	// MetadataRefresh is how long a node's metadata is used before it
	// is fetched again (never beyond its validUntil); default 1 hour.
	MetadataRefresh time.Duration
	// HTTPClient fetches metadata; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now and Rand are the clock and the source of identifiers and
	// signatures; default time.Now and crypto/rand.
	Now  func() time.Time
	Rand io.Reader
	// Logger records refused logins; default slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultSkew            = time.Minute
	DefaultLoginTTL        = 10 * time.Minute
	DefaultMaxPending      = 10000
	DefaultMaxResponse     = 256 << 10
	DefaultMetadataRefresh = time.Hour
	maxSkew                = 5 * time.Minute
)

// Paths of the handlers Authenticator.Handler adds to the application.
const (
	ACSPath      = "/saml/acs"
	MetadataPath = "/saml/metadata"
)

// ValidateKeys checks the keys and certificates of c as Validate does
// (signing key ECDSA or RSA ≥ 2048 bits, encryption key RSA ≥ 2048 bits,
// each with its certificate), for a tool that checks a configuration
// without making an Authenticator (oots doctor).
func (c *Config) ValidateKeys() error {
	switch k := c.SigningKey.(type) {
	case nil:
		return errors.New("saml: Config.SigningKey is missing")
	default:
		switch p := k.Public().(type) {
		case *ecdsa.PublicKey:
		case *rsa.PublicKey:
			if p.N.BitLen() < 2048 {
				return errors.New("saml: Config.SigningKey: RSA keys of less than 2048 bits are refused")
			}
		default:
			return fmt.Errorf("saml: Config.SigningKey: %T (ECDSA or RSA only)", p)
		}
	}
	noKey := c.EncryptionKey == nil
	if k, ok := c.EncryptionKey.(*rsa.PrivateKey); ok && k == nil {
		noKey = true // a nil *rsa.PrivateKey: missing, as it was before EncryptionKey was an interface
	}
	if c.SigningCert == nil || noKey || c.EncryptionCert == nil {
		return errors.New("saml: Config.SigningCert, EncryptionKey and EncryptionCert are required")
	}
	pub, ok := c.EncryptionKey.Public().(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("saml: Config.EncryptionKey: %T is not an RSA key (eIDAS transports the assertion's key with RSA-OAEP)", c.EncryptionKey.Public())
	}
	if pub.N.BitLen() < 2048 {
		return errors.New("saml: Config.EncryptionKey: RSA keys of less than 2048 bits are refused")
	}
	if !pub.Equal(c.EncryptionCert.PublicKey) {
		return errors.New("saml: Config.EncryptionCert is not the certificate of EncryptionKey: the nodes would encrypt to a key we do not hold")
	}
	if c.SigningCert != nil {
		if pub, ok := c.SigningKey.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(c.SigningCert.PublicKey) {
			return errors.New("saml: Config.SigningCert is not the certificate of SigningKey: the nodes would check our signatures with a key we do not sign with")
		}
	}
	return nil
}

// Validate reports the first field of c that is missing or wrong.
func (c *Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("saml: Config.BaseURL %q is not a scheme and host", c.BaseURL)
	}
	if len(c.Nodes) == 0 {
		return errors.New("saml: Config.Nodes is empty")
	}
	if err := c.ValidateKeys(); err != nil {
		return err
	}
	if c.Replay == nil {
		return errors.New("saml: Config.Replay is missing: without it an assertion could be used twice")
	}
	for cc, n := range c.Nodes {
		if len(cc) != 2 || strings.ToUpper(cc) != cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			return fmt.Errorf("saml: Config.Nodes: %q is not an upper-case ISO 3166-1 alpha-2 code", cc)
		}
		if n.EntityID == "" {
			return fmt.Errorf("saml: Config.Nodes[%s].EntityID is empty", cc)
		}
		if (n.MetadataURL == "") != (n.Anchor == nil) {
			return fmt.Errorf("saml: Config.Nodes[%s]: MetadataURL and Anchor go together", cc)
		}
		if n.MetadataURL == "" {
			if len(n.Certificates) == 0 {
				return fmt.Errorf("saml: Config.Nodes[%s].Certificates is empty (and no MetadataURL)", cc)
			}
			if _, err := url.Parse(n.SSOURL); err != nil || n.SSOURL == "" {
				return fmt.Errorf("saml: Config.Nodes[%s].SSOURL %q is not a URL", cc, n.SSOURL)
			}
		}
		if n.Binding != "" && n.Binding != POST && n.Binding != Redirect {
			return fmt.Errorf("saml: Config.Nodes[%s].Binding %q is neither HTTP-POST nor HTTP-Redirect", cc, n.Binding)
		}
		if n.MinLoA != "" && n.MinLoA.Code() == "" {
			return fmt.Errorf("saml: Config.Nodes[%s].MinLoA: %q is not an eIDAS level of assurance", cc, n.MinLoA)
		}
	}
	if c.SPType != "" && c.SPType != "public" && c.SPType != "private" {
		return fmt.Errorf("saml: Config.SPType %q is neither public nor private", c.SPType)
	}
	if c.Skew < 0 || c.Skew > maxSkew {
		return fmt.Errorf("saml: Config.Skew %v is outside 0…%v", c.Skew, maxSkew)
	}
	if c.MaxPending < 0 || c.MaxResponse < 0 || c.LoginTTL < 0 || c.MetadataRefresh < 0 {
		return errors.New("saml: Config.MaxPending, MaxResponse, LoginTTL and MetadataRefresh must not be negative")
	}
	return nil
}

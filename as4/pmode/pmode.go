// Package pmode holds AS4 processing modes (P-Modes, ebMS3 Core §4 and
// Appendix D; the AS4 profile's P-Mode parameters) as a documented YAML
// configuration, validates them (Validate names the wrong field), and imports
// the P-Mode XML of a Domibus access point (ImportDomibus), so that an
// existing Domibus deployment can move over.
//
// The YAML format, with every field, is shown in testdata/example.yaml and,
// one per eDelivery AS4 profile with a serve configuration, in ap/examples. In
// short: a file lists the parties (their typed party identifiers, endpoint and
// certificate files) and the legs; a leg is a One-Way/Push exchange with its
// initiator and responder parties and roles, service, action, agreement, MPC,
// security profile, reliability (receipts, reception-awareness retries,
// duplicate detection), message property set, payload profile and error
// handling. Certificate paths are relative to the YAML file; reading them is
// the caller's business (package pmode does no I/O).
package pmode

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/wssec"
)

// Values of the enumerated fields.
const (
	MEPOneWay   = "one-way"
	BindingPush = "push"

	// ProfileNone is the security profile of a leg without WS-Security;
	// the others are those of package wssec (wssec.AS4v115,
	// wssec.AS4v20).
	ProfileNone wssec.Profile = "none"

	// Timestamp policies (security.timestamp), the names of
	// wssec.TimestampPolicy.
	TimestampNone     = "none"     // default: none sent, none required (Domibus, Harmony)
	TimestampOptional = "optional" // sent; a message without one accepted
	TimestampRequired = "required" // sent and required

	// Key reference forms (security.signatureKeyReference and
	// encryptionKeyReference), the names of wssec.KeyReference.
	KeyRefBST          = "bst"          // a BinarySecurityToken in the message
	KeyRefIssuerSerial = "issuerSerial" // ds:X509IssuerSerial
	KeyRefSKI          = "ski"          // subject key identifier

	ReceiptNone     = "none"     // no receipt is expected
	ReceiptResponse = "response" // a synchronous receipt on the HTTP response

	RetryConstant    = "CONSTANT"
	RetryProgressive = "PROGRESSIVE"
)

// Config is a set of P-Modes: the parties and the legs between them.
type Config struct {
	// Self names the party this access point is (a Parties entry); optional.
	Self    string  `yaml:"self,omitempty"`
	Parties []Party `yaml:"parties"`
	Legs    []Leg   `yaml:"legs"`
}

// Party is a trading partner's access point.
type Party struct {
	Name string    `yaml:"name"`
	IDs  []PartyID `yaml:"ids"`
	// Endpoint is the https (or http, for tests) URL messages are posted to.
	Endpoint string `yaml:"endpoint,omitempty"`
	// SigningCertificate and EncryptionCertificate are PEM files, relative
	// to the configuration file. They may be the same file (eDelivery AS4
	// 1.15 uses one RSA certificate for both).
	SigningCertificate    string `yaml:"signingCertificate,omitempty"`
	EncryptionCertificate string `yaml:"encryptionCertificate,omitempty"`
}

// PartyID is a typed party identifier (eb:PartyId/@type).
type PartyID struct {
	Type  string `yaml:"type,omitempty"`
	Value string `yaml:"value"`
}

// Leg is the P-Mode of one One-Way/Push exchange.
type Leg struct {
	Name      string    `yaml:"name"`
	MEP       string    `yaml:"mep"`     // MEPOneWay
	Binding   string    `yaml:"binding"` // BindingPush
	Initiator PartyRole `yaml:"initiator"`
	Responder PartyRole `yaml:"responder"`
	// Agreement is eb:AgreementRef; nil when the exchange has none.
	Agreement   *Agreement  `yaml:"agreement,omitempty"`
	Service     Service     `yaml:"service"`
	Action      string      `yaml:"action"`
	MPC         string      `yaml:"mpc,omitempty"` // "" is the default MPC
	Security    Security    `yaml:"security"`
	Reliability Reliability `yaml:"reliability"`
	// Properties is the message property set: the eb:MessageProperties
	// the leg allows. A message with a property not listed is refused.
	Properties    []PropertyDef  `yaml:"properties,omitempty"`
	Payload       PayloadProfile `yaml:"payload"`
	ErrorHandling ErrorHandling  `yaml:"errorHandling"`
}

// PartyRole names the parties that may take a side of the leg, and its role.
type PartyRole struct {
	Parties []string `yaml:"parties"` // names of Config.Parties
	Role    string   `yaml:"role"`
}

// Agreement is eb:AgreementRef.
type Agreement struct {
	Value string `yaml:"value"`
	Type  string `yaml:"type,omitempty"`
}

// Service is eb:Service.
type Service struct {
	Value string `yaml:"value"`
	Type  string `yaml:"type,omitempty"`
}

// Security is the WS-Security part of the P-Mode.
type Security struct {
	// Profile is wssec.AS4v115, wssec.AS4v20 or ProfileNone.
	Profile wssec.Profile `yaml:"profile"`
	// Sign and Encrypt say what the sender does and the receiver requires.
	// Under a profile other than none, Sign must be true.
	Sign    bool `yaml:"sign"`
	Encrypt bool `yaml:"encrypt"`
	// Timestamp is TimestampNone (default), TimestampOptional or
	// TimestampRequired: whether a signed wsu:Timestamp is sent and
	// whether one is required on receipt (WS-SecurityPolicy
	// sp:IncludeTimestamp). A Timestamp that is present is always checked.
	Timestamp string `yaml:"timestamp,omitempty"`
	// SignatureKeyReference is how our signature names our certificate:
	// KeyRefBST (default), KeyRefIssuerSerial or KeyRefSKI. On receipt
	// every form is accepted.
	SignatureKeyReference string `yaml:"signatureKeyReference,omitempty"`
	// EncryptionKeyReference is how the EncryptedKey we send names the
	// receiver's certificate: KeyRefIssuerSerial (default), KeyRefBST or
	// KeyRefSKI.
	EncryptionKeyReference string `yaml:"encryptionKeyReference,omitempty"`
}

// Reliability is the AS4 reception awareness and receipt configuration.
type Reliability struct {
	// Receipt is ReceiptResponse (synchronous receipt) or ReceiptNone.
	Receipt string `yaml:"receipt"`
	// NonRepudiation: the receipt carries ebbp:NonRepudiationInformation
	// and is signed.
	NonRepudiation bool `yaml:"nonRepudiation"`
	// Retry is the reception awareness retry policy; nil: no retries.
	Retry              *Retry `yaml:"retry,omitempty"`
	DuplicateDetection bool   `yaml:"duplicateDetection"`
}

// Retry is a reception-awareness retry policy: Count retries within
// Timeout, spaced by Strategy.
type Retry struct {
	Timeout  time.Duration `yaml:"timeout"`
	Count    int           `yaml:"count"`
	Strategy string        `yaml:"strategy"` // RetryConstant or RetryProgressive
}

// PropertyDef is one message property of the property set.
type PropertyDef struct {
	Name     string `yaml:"name"`
	Required bool   `yaml:"required"`
}

// PayloadProfile constrains the payloads of the leg.
type PayloadProfile struct {
	// Compress: the sender gzips every payload (AS4 compression feature).
	Compress bool `yaml:"compress"`
	// MaxParts is the largest number of payloads; 0: no limit.
	MaxParts int `yaml:"maxParts,omitempty"`
	// MaxSize is the largest (decompressed) payload in bytes; 0: no limit.
	MaxSize int64 `yaml:"maxSize,omitempty"`
	// MimeTypes lists the allowed payload MIME types; empty: any.
	MimeTypes []string `yaml:"mimeTypes,omitempty"`
}

// ErrorHandling is the P-Mode's error reporting.
type ErrorHandling struct {
	// AsResponse: errors go back on the HTTP response of the user message.
	AsResponse bool `yaml:"asResponse"`
}

// FieldError is a P-Mode field with a wrong value.
type FieldError struct {
	Field   string // e.g. legs[2].security.profile
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string { return "pmode: " + e.Field + ": " + e.Problem }

// Parse decodes a YAML P-Mode configuration and validates it. Unknown fields
// are errors (a misspelt field must not silently take its default).
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("pmode: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Marshal encodes c as YAML.
func (c *Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }

// Validate checks the configuration and returns every problem found, each a
// *FieldError naming the field (joined with errors.Join).
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	parties := map[string]bool{}
	for i, p := range c.Parties {
		f := fmt.Sprintf("parties[%d]", i)
		if p.Name == "" {
			bad(f+".name", "required")
		} else if parties[p.Name] {
			bad(f+".name", "duplicate party %q", p.Name)
		}
		parties[p.Name] = true
		if len(p.IDs) == 0 {
			bad(f+".ids", "at least one party identifier is required")
		}
		for j, id := range p.IDs {
			if id.Value == "" {
				bad(fmt.Sprintf("%s.ids[%d].value", f, j), "required")
			}
		}
		if p.Endpoint != "" {
			if u, err := url.Parse(p.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
				bad(f+".endpoint", "%q is not an http(s) URL", p.Endpoint)
			}
		}
	}
	if c.Self != "" && !parties[c.Self] {
		bad("self", "party %q is not defined", c.Self)
	}
	if len(c.Legs) == 0 {
		bad("legs", "at least one leg is required")
	}
	legs := map[string]bool{}
	for i, l := range c.Legs {
		f := fmt.Sprintf("legs[%d]", i)
		if l.Name == "" {
			bad(f+".name", "required")
		} else if legs[l.Name] {
			bad(f+".name", "duplicate leg %q", l.Name)
		}
		legs[l.Name] = true
		if l.MEP != MEPOneWay {
			bad(f+".mep", "%q: only %q is supported", l.MEP, MEPOneWay)
		}
		if l.Binding != BindingPush {
			bad(f+".binding", "%q: only %q is supported", l.Binding, BindingPush)
		}
		for side, pr := range map[string]PartyRole{"initiator": l.Initiator, "responder": l.Responder} {
			if len(pr.Parties) == 0 {
				bad(f+"."+side+".parties", "at least one party is required")
			}
			for j, n := range pr.Parties {
				if !parties[n] {
					bad(fmt.Sprintf("%s.%s.parties[%d]", f, side, j), "party %q is not defined", n)
				}
			}
			if pr.Role == "" {
				bad(f+"."+side+".role", "required")
			}
		}
		if l.Agreement != nil && l.Agreement.Value == "" {
			bad(f+".agreement.value", "required when an agreement is given")
		}
		if l.Service.Value == "" {
			bad(f+".service.value", "required")
		} else if l.Service.Type == "" {
			if u, err := url.Parse(l.Service.Value); err != nil || u.Scheme == "" {
				bad(f+".service.type", "required: the service %q is not a URI (ebMS3 Core §5.2.2.8)", l.Service.Value)
			}
		}
		if l.Action == "" {
			bad(f+".action", "required")
		}
		switch l.Security.Profile {
		case wssec.AS4v115, wssec.AS4v20:
			if !l.Security.Sign {
				bad(f+".security.sign", "must be true under profile %q (sign then encrypt)", l.Security.Profile)
			}
		case ProfileNone:
			if l.Security.Sign || l.Security.Encrypt {
				bad(f+".security.profile", "%q cannot sign or encrypt", ProfileNone)
			}
		default:
			bad(f+".security.profile", "%q: want %q, %q or %q", l.Security.Profile, wssec.AS4v115, wssec.AS4v20, ProfileNone)
		}
		switch l.Security.Timestamp {
		case "", TimestampNone, TimestampOptional, TimestampRequired:
		default:
			bad(f+".security.timestamp", "%q: want %q, %q or %q", l.Security.Timestamp, TimestampNone, TimestampOptional, TimestampRequired)
		}
		for field, v := range map[string]string{"signatureKeyReference": l.Security.SignatureKeyReference, "encryptionKeyReference": l.Security.EncryptionKeyReference} {
			switch v {
			case "", KeyRefBST, KeyRefIssuerSerial, KeyRefSKI:
			default:
				bad(f+".security."+field, "%q: want %q, %q or %q", v, KeyRefBST, KeyRefIssuerSerial, KeyRefSKI)
			}
		}
		if l.Security.Profile == ProfileNone && l.Security.Timestamp != "" && l.Security.Timestamp != TimestampNone {
			bad(f+".security.timestamp", "%q needs a security profile that signs", l.Security.Timestamp)
		}
		switch l.Reliability.Receipt {
		case ReceiptResponse:
		case ReceiptNone:
			if l.Reliability.NonRepudiation {
				bad(f+".reliability.nonRepudiation", "requires receipt %q", ReceiptResponse)
			}
		default:
			bad(f+".reliability.receipt", "%q: want %q or %q", l.Reliability.Receipt, ReceiptResponse, ReceiptNone)
		}
		if l.Reliability.NonRepudiation && !l.Security.Sign {
			bad(f+".reliability.nonRepudiation", "requires a signed message (security.sign)")
		}
		if r := l.Reliability.Retry; r != nil {
			if r.Timeout <= 0 {
				bad(f+".reliability.retry.timeout", "must be positive")
			}
			if r.Count < 0 {
				bad(f+".reliability.retry.count", "must not be negative")
			}
			if r.Strategy != RetryConstant && r.Strategy != RetryProgressive {
				bad(f+".reliability.retry.strategy", "%q: want %q or %q", r.Strategy, RetryConstant, RetryProgressive)
			}
		}
		props := map[string]bool{}
		for j, p := range l.Properties {
			if p.Name == "" {
				bad(fmt.Sprintf("%s.properties[%d].name", f, j), "required")
			} else if props[p.Name] {
				bad(fmt.Sprintf("%s.properties[%d].name", f, j), "duplicate property %q", p.Name)
			}
			props[p.Name] = true
		}
		if l.Payload.MaxParts < 0 {
			bad(f+".payload.maxParts", "must not be negative")
		}
		if l.Payload.MaxSize < 0 {
			bad(f+".payload.maxSize", "must not be negative")
		}
	}
	return errors.Join(errs...)
}

// Leg returns the leg with the given name.
func (c *Config) Leg(name string) (*Leg, error) {
	for i := range c.Legs {
		if c.Legs[i].Name == name {
			return &c.Legs[i], nil
		}
	}
	return nil, fmt.Errorf("pmode: no leg %q", name)
}

// Party returns the party with the given name.
func (c *Config) Party(name string) (*Party, error) {
	for i := range c.Parties {
		if c.Parties[i].Name == name {
			return &c.Parties[i], nil
		}
	}
	return nil, fmt.Errorf("pmode: no party %q", name)
}

// PartyByID returns the party that has the given typed identifier.
func (c *Config) PartyByID(id PartyID) (*Party, bool) {
	for i := range c.Parties {
		for _, pid := range c.Parties[i].IDs {
			if pid == id {
				return &c.Parties[i], true
			}
		}
	}
	return nil, false
}

// LegsFor returns the legs whose service (value and type) and action match,
// the candidates for an incoming message (ebMS3 Core §4.1: the P-Mode is
// found from the header).
func (c *Config) LegsFor(service Service, action string) []*Leg {
	var out []*Leg
	for i := range c.Legs {
		l := &c.Legs[i]
		if l.Service == service && l.Action == action {
			out = append(out, l)
		}
	}
	return out
}

// Property returns the definition of the named property in the leg's set.
func (l *Leg) Property(name string) (PropertyDef, bool) {
	for _, p := range l.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return PropertyDef{}, false
}

package conformance

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/trust"
)

// ErrConfig is wrapped by the errors of Config.Validate.
var ErrConfig = errors.New("conformance: invalid configuration")

// Config says what to test and with which credentials. Each suite runs when
// its target is set.
type Config struct {
	// AS4 is the access point under test; nil skips the AS4 suites.
	AS4 *AS4Target
	// CS is the Common Services instance under test; nil skips the
	// common-services suite.
	CS *CSTarget
	// EDM runs the evidence exchange scenarios; nil skips the edm suite.
	EDM *EDMTarget
	// Requester runs the edm-requester suite (the kit as evidence
	// provider, the node's requester under test); nil skips it.
	Requester *RequesterTarget
	// Rules judge the messages received from the systems under test
	// (schematron.Catalogue: official rule files per EDM version); nil is
	// the embedded rules.
	Rules *schematron.Catalogue
	// Client makes the HTTP requests; default a client with a 20 s
	// timeout.
	Client *http.Client
	// Logger receives progress; default slog.Default().
	Logger *slog.Logger
	// TestingServices runs the kit in the mode of the Commission's
	// Testing Services: after the suites, every pair of messages the edm
	// and edm-requester suites exchanged is cross-validated (suite
	// cross-validation, CrossChecks), and the report maps the results to
	// the Acceleratormeter levels (Report.Readiness).
	TestingServices bool
	// Legs are the P-Mode legs of the evidence exchange's request, response
	// and error actions, used when Run makes the kit's access point for the
	// edm and edm-requester suites (an EDM or Requester target without a
	// Node, beside an AS4 target with a Listen address); default
	// exchange.DefaultLegs().
	Legs exchange.Legs
	// Now and Rand: default time.Now and crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader

	pairs *pairLog // the message pairs of the run (TestingServices)
}

// AS4Target is an access point under test and the kit's own identity as its
// partner access point. The P-Mode is the kit's view: Self is the kit's
// party, Node the node's party with its endpoint and certificates.
type AS4Target struct {
	// Endpoint is the node's AS4 URL (…/as4); default the P-Mode endpoint
	// of Node.
	Endpoint string
	// API is the base URL of the node's backend API (the node's root URL,
	// /api/v1/… is added) and APIToken its bearer token. Without API, the
	// delivery checks and the as4-send suite are skipped.
	API, APIToken string
	// PMode holds both parties and the legs; PMode.Self is the kit.
	PMode *pmode.Config
	// Node is the P-Mode party name of the access point under test.
	Node string
	// Leg is the leg the kit sends on and the node sends back on
	// (both parties must be initiator and responder of it).
	Leg string
	// SendLeg is the leg the node is asked to send on in the as4-send
	// suite; default Leg.
	SendLeg string
	// Properties are the message properties of the messages the kit sends
	// and asks the node to send; default originalSender and finalRecipient.
	Properties []as4.Property
	// SigningKey, SigningCert and DecryptionKey are the kit's credentials;
	// Trust the anchors for the node's certificates; NodeEncryptionCert the
	// node's encryption certificate.
	SigningKey         crypto.Signer
	SigningCert        *x509.Certificate
	DecryptionKey      crypto.PrivateKey
	Trust              *trust.Store
	NodeEncryptionCert *x509.Certificate
	// NodeSigningCert, when set, is the node's signing certificate: its
	// signals and messages must be signed with it. Without it the node's
	// signer is bound by name (its common name is the node's party name or
	// identifier, as4.CheckSigner).
	NodeSigningCert *x509.Certificate
	// ThirdPartyKey and ThirdPartyCert, optional, are a credential of
	// another party than the kit that chains to the node's trust anchors:
	// AS4-10 signs a message of the kit with it, AS4-S6 a receipt. Without
	// them AS4-10 claims to be the node itself and AS4-S6 is skipped.
	ThirdPartyKey  crypto.Signer
	ThirdPartyCert *x509.Certificate
	// Listen is the address of the kit's own AS4 endpoint (the endpoint of
	// PMode.Self as the node knows it); "" skips the as4-send suite.
	Listen string
	// MaxBodySize is the node's limit on a received message (default
	// 64 MiB): the oversized case sends one byte more.
	MaxBodySize int64
	// DeliveryTimeout bounds the wait for the node to send or deliver a
	// message; default 20 s.
	DeliveryTimeout time.Duration
}

// Validate names the first missing or wrong field.
func (c *Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
	}
	if c.AS4 == nil && c.CS == nil && c.EDM == nil && c.Requester == nil {
		return bad("nothing to test: give an AS4 target, a Common Services URL, an EDM target or a requester target")
	}
	if t := c.AS4; t != nil {
		switch {
		case t.PMode == nil:
			return bad("AS4.PMode is required")
		case t.PMode.Self == "":
			return bad("AS4.PMode.Self (the kit's party) is required")
		case t.Node == "":
			return bad("AS4.Node (the party of the node under test) is required")
		case t.Leg == "":
			return bad("AS4.Leg is required")
		case t.SigningKey == nil || t.SigningCert == nil:
			return bad("AS4.SigningKey and AS4.SigningCert (the kit's credentials) are required")
		case t.DecryptionKey == nil:
			return bad("AS4.DecryptionKey is required")
		case t.Trust == nil:
			return bad("AS4.Trust (anchors of the node's certificates) is required")
		case t.NodeEncryptionCert == nil:
			return bad("AS4.NodeEncryptionCert is required")
		}
		if _, err := t.PMode.Leg(t.Leg); err != nil {
			return bad("AS4.Leg: %v", err)
		}
		if t.SendLeg != "" {
			if _, err := t.PMode.Leg(t.SendLeg); err != nil {
				return bad("AS4.SendLeg: %v", err)
			}
		}
		if party(t.PMode, t.Node) == nil {
			return bad("AS4.Node: no party %q in the P-Mode", t.Node)
		}
		if party(t.PMode, t.PMode.Self) == nil {
			return bad("AS4.PMode.Self: no party %q in the P-Mode", t.PMode.Self)
		}
		if t.Endpoint == "" && party(t.PMode, t.Node).Endpoint == "" {
			return bad("AS4.Endpoint: required when the P-Mode party %s has no endpoint", t.Node)
		}
		if t.MaxBodySize < 0 || t.DeliveryTimeout < 0 {
			return bad("AS4.MaxBodySize and AS4.DeliveryTimeout must not be negative")
		}
	}
	if t := c.CS; t != nil {
		if t.BaseURL == "" {
			return bad("CS.BaseURL is required")
		}
		if t.Trust == nil {
			return bad("CS.Trust (anchors of the answers' signatures) is required")
		}
		if err := edm.ValidSREnv(t.SREnvironment); err != nil {
			return bad("CS.SREnvironment: %v", err)
		}
	}
	// Without a Node of their own, the edm suites get the kit's access
	// point, made by Run from the AS4 target.
	peerable := c.AS4 != nil && c.AS4.Listen != ""
	if t := c.EDM; t != nil && t.Node == nil && !peerable {
		return bad("EDM.Node is required (or an AS4 target with a Listen address, from which Run makes it)")
	}
	if t := c.Requester; t != nil {
		switch {
		case t.Node == nil && !peerable:
			return bad("Requester.Node (the kit's access point) is required (or an AS4 target with a Listen address, from which Run makes it)")
		case t.API == "":
			return bad("Requester.API (the node's requester REST API) is required")
		case t.Procedure == "" || t.Country == "":
			return bad("Requester.Procedure and Requester.Country are required")
		case t.Timeout < 0:
			return bad("Requester.Timeout must not be negative")
		case t.Version != "" && !t.Version.IsEDM():
			return bad("Requester.Version: %q is not an EDM version", t.Version)
		case t.Subject != nil && t.Subject.Person == nil:
			return bad("Requester.Subject needs a Person")
		}
	}
	return nil
}

func party(pm *pmode.Config, name string) *pmode.Party {
	for i := range pm.Parties {
		if pm.Parties[i].Name == name {
			return &pm.Parties[i]
		}
	}
	return nil
}

func (c *Config) defaults() {
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 20 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Legs == (exchange.Legs{}) {
		c.Legs = exchange.DefaultLegs()
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if t := c.AS4; t != nil {
		if t.Endpoint == "" {
			t.Endpoint = party(t.PMode, t.Node).Endpoint
		}
		if t.SendLeg == "" {
			t.SendLeg = t.Leg
		}
		if t.MaxBodySize == 0 {
			t.MaxBodySize = 64 << 20
		}
		if t.DeliveryTimeout == 0 {
			t.DeliveryTimeout = 20 * time.Second
		}
		if len(t.Properties) == 0 {
			t.Properties = []as4.Property{
				{Name: "originalSender", Type: "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots", Value: "conformance-kit"},
				{Name: "finalRecipient", Type: "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots", Value: "node-under-test"},
			}
		}
	}
}

// Run runs the suites whose targets are set and returns the report with
// the readiness level. The error is for a wrong configuration only: a
// failing system under test gives failed cases.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	cfg.pairs = &pairLog{on: cfg.TestingServices}
	r := &Report{Started: cfg.Now()}
	run := func(s Suite, id, name string, f func(ctx context.Context, c *Case)) {
		c := &Case{Suite: s, ID: id, Name: name, Status: Pass}
		start := time.Now()
		f(ctx, c)
		c.Duration = time.Since(start)
		r.Cases = append(r.Cases, c)
		cfg.Logger.Info("conformance case", slog.String("id", id), slog.String("status", string(c.Status)), slog.String("reason", c.Reason))
	}
	if cfg.AS4 != nil {
		r.Targets = append(r.Targets, "AS4 endpoint "+cfg.AS4.Endpoint)
		if cfg.AS4.API != "" {
			r.Targets = append(r.Targets, "backend API "+cfg.AS4.API)
		}
		k, err := newAS4Kit(&cfg)
		if err != nil {
			return nil, err
		}
		k.cases(run)
	}
	if cfg.CS != nil {
		r.Targets = append(r.Targets, "Common Services "+cfg.CS.BaseURL)
		(&csKit{cfg: &cfg, t: cfg.CS}).cases(run)
	}
	if (cfg.EDM != nil && cfg.EDM.Node == nil) || (cfg.Requester != nil && cfg.Requester.Node == nil) {
		// The kit's access point for the edm suites listens where the AS4
		// suites' own listener was: those suites have closed it by now.
		t := *cfg.AS4
		t.Leg = cfg.Legs.Request
		peer, err := NewAS4Peer(&t, cfg.Legs, cfg.Client)
		if err != nil {
			return nil, err
		}
		defer peer.Close()
		if cfg.EDM != nil && cfg.EDM.Node == nil {
			cfg.EDM.Node = peer
			if cfg.EDM.Name == "" {
				cfg.EDM.Name = cfg.AS4.Node + " at " + cfg.AS4.Endpoint
			}
		}
		if cfg.Requester != nil && cfg.Requester.Node == nil {
			cfg.Requester.Node = peer
		}
	}
	if cfg.EDM != nil {
		r.Targets = append(r.Targets, "evidence exchange node "+cfg.EDM.Name)
		(&edmKit{cfg: &cfg, t: cfg.EDM}).cases(run)
	}
	if cfg.Requester != nil {
		r.Targets = append(r.Targets, "requester API "+cfg.Requester.API)
		newRequesterKit(&cfg).cases(run)
	}
	if cfg.TestingServices {
		crossValidationCases(cfg.pairs.all(), run)
	}
	r.Duration = cfg.Now().Sub(r.Started)
	r.Level, r.Missing = Assess(r.Cases)
	if cfg.TestingServices {
		r.Readiness = Readiness(r.Cases)
	}
	return r, nil
}

// partyCertificates gives the node's signing certificate for the node's
// party (as4.PartyCertificates).
func (t *AS4Target) partyCertificates(party string) ([]*x509.Certificate, error) {
	if party == t.Node && t.NodeSigningCert != nil {
		return []*x509.Certificate{t.NodeSigningCert}, nil
	}
	return nil, nil
}

// DomibusPeer returns a copy of pm whose signed legs are written as a
// Domibus 5 access point on the OOTS P-Mode writes them: the
// eDeliveryAS4Policy_BST policy (both certificates as BinarySecurityTokens
// referenced directly) and no wsu:Timestamp, as pmode.ImportDomibus maps
// that policy. The kit then sends, and answers with, what a Domibus node
// would.
func DomibusPeer(pm *pmode.Config) *pmode.Config {
	out := clonePMode(pm)
	for i := range out.Legs {
		sec := &out.Legs[i].Security
		if sec.Profile == pmode.ProfileNone {
			continue
		}
		sec.Timestamp = pmode.TimestampNone
		sec.SignatureKeyReference, sec.EncryptionKeyReference = pmode.KeyRefBST, pmode.KeyRefBST
	}
	return out
}

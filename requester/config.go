package requester

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

// Sender hands a message to the access point (*ap.Node).
type Sender interface {
	Submit(ctx context.Context, s *ap.Submission) (*ap.Status, bool, error)
}

// MessageNamer is a Sender that names a message before it is submitted
// and sends it under that name (ap.Node: MessageIDFor, and
// ap.Submission.MessageID): the same client key gives the same name. With
// one, the connector journals an evidence request before the access point
// takes it, so that the journal never has the answer or the receipt of a
// request before the request; with another Sender, once the access point
// took it.
type MessageNamer interface {
	MessageIDFor(clientKey string) string
}

// onceAppender is a journal that appends a step once however often it is
// journaled (journal.Journal.AppendOnce): the connector journals a request
// inside a transaction that may run again.
type onceAppender interface {
	AppendOnce(ctx context.Context, r journal.Record) (*journal.Entry, bool, error)
}

// CommonServices is what the connector asks of the Evidence Broker and the
// Data Service Directory (*csclient.Client). DataServices answers DSD:ERR:0005
// with an error that errors.As gives as *csclient.ServiceError.
type CommonServices interface {
	Requirements(ctx context.Context, procedure, country string) ([]*edm.Requirement, error)
	EvidenceTypes(ctx context.Context, requirement, country string) (*edm.Requirement, error)
	DataServices(ctx context.Context, classification, country string, extra map[string]string) ([]*edm.DataServiceEvidenceType, error)
}

// Journal records the exchanges for audit (*journal.Journal): requests
// sent (the one after a preview too), answers received (RefTo: the
// request's eb:MessageId), answers ignored, timeouts. Every record of a
// requirement's exchange carries its identifier (Exchange.ID); a request
// whose id is not that identifier is named by a journal.EventRequestID
// record (package journal, "Evidence exchanges").
type Journal interface {
	Append(ctx context.Context, r journal.Record) (*journal.Entry, error)
}

// Events the connector journals besides those of package journal.
const (
	EventJourneyStarted   = "journey.started"
	EventPreviewRequired  = "preview.required"
	EventMessageIgnored   = "message.ignored" // malformed, uncorrelated or late
	EventJourneyCompleted = "journey.completed"
	EventDeliveryFailed   = "delivery.failed" // the access point gave up sending a request
)

// Default timeouts of the exchange (SPEC.md §1.2, TDD 4.4).
const (
	DefaultT1 = 5 * time.Minute  // first request → answer
	DefaultT2 = 15 * time.Minute // the user follows the preview link
	DefaultT3 = 40 * time.Minute // the user previews and decides
	// Slack is what the requester waits beyond each of the provider's
	// timeouts, so that the provider's EDM:ERR:0005 arrives first.
	Slack = time.Minute
)

// DefaultVersions returns the EDM versions the connector speaks by default,
// oldest first, a fresh slice on each call.
func DefaultVersions() []edm.Version { return slices.Clone(edmVersions) }

// edmVersions are the EDM versions, oldest first.
var edmVersions = []edm.Version{edm.V1_0, edm.V1_1, edm.V1_2, edm.V2_0}

// Config configures a Connector.
type Config struct {
	// DB is the node database; the connector keeps its tables there
	// (component "requester", tables requester_*). Required.
	DB *store.DB
	// Sender sends the evidence requests (*ap.Node). Required.
	Sender Sender
	// Legs are the P-Mode legs; default exchange.DefaultLegs().
	Legs exchange.Legs
	// Services are the Common Services (*csclient.Client). Required.
	Services CommonServices
	// Requester is the evidence requester (Classification ER is set);
	// Intermediary, when its identifier is set, the intermediary platform
	// (IP). Requester is required, and with EDM 2.0 among the Versions its
	// Address with the country (AdminUnitLevel1): the official rule
	// R-EDM-REQ-C073 requires it of the agent classified ER.
	Requester    edm.Agent
	Intermediary edm.Agent
	// Route maps the DSD's AccessService identifier (the C3 party id) to
	// the P-Mode party name of the access point. Required.
	Route func(accessService edm.Identifier) (party string, err error)
	// Versions are the EDM versions the connector speaks; default
	// DefaultVersions(). The request uses the highest one that the
	// AccessService's ConformsTo lists.
	Versions []edm.Version
	// Background marks every first evidence request as a background
	// request (the sector-specific attribute exchange.AttributeBackground of the
	// subject, an extension): a provider that holds the user's consent to
	// background exchanges answers it with the evidence at once; any other
	// provider, a standard one included, answers with its preview as
	// usual. The user's explicit request is still needed for each request.
	Background bool
	// WithheldIdentifiers are the countries (ISO 3166-1 alpha-2, upper
	// case) whose eIDAS unique identifier must not be transmitted: the
	// sdg:Person of a subject whose eID one of them issued (eid.Subject
	// Country, else the identifier's first part) carries no Identifier
	// (the official rule R-EDM-REQ-C038 only warns of that: SHOULD);
	// providers then match on the other attributes. Default none.
	WithheldIdentifiers []string
	// T1, T2, T3 are the provider's timeouts (SPEC.md §1.2); defaults
	// DefaultT1, DefaultT2, DefaultT3. The connector waits Slack longer.
	T1, T2, T3 time.Duration
	// SweepEvery is how often Run looks for timed-out exchanges and for
	// deferred evidence whose time has come; default 15s.
	SweepEvery time.Duration
	// MaxDeferral bounds how far ahead a provider may defer an evidence
	// (ResponseAvailableDateTime); default DefaultMaxDeferral (30 days).
	// MaxDeferrals bounds the deferrals of one exchange in a row; default
	// DefaultMaxDeferrals. Beyond either the requirement fails.
	MaxDeferral  time.Duration
	MaxDeferrals int
	// APIToken, when set, is the bearer token the REST API requires.
	APIToken string
	// Journal records events for audit; optional.
	Journal Journal
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Now and Rand: clock and randomness; defaults time.Now and
	// crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// Validate reports the first configuration error, naming the field.
func (c *Config) Validate() error {
	switch {
	case c.DB == nil:
		return errors.New("requester: Config.DB is required")
	case c.Sender == nil:
		return errors.New("requester: Config.Sender is required")
	case c.Services == nil:
		return errors.New("requester: Config.Services is required")
	case c.Route == nil:
		return errors.New("requester: Config.Route is required")
	case c.Requester.Identifier.Value == "" || len(c.Requester.Name) == 0:
		return errors.New("requester: Config.Requester needs an Identifier and a Name")
	case c.Intermediary.Identifier.Value != "" && len(c.Intermediary.Name) == 0:
		return errors.New("requester: Config.Intermediary needs a Name")
	case c.T1 < 0 || c.T2 < 0 || c.T3 < 0:
		return errors.New("requester: Config.T1, T2 and T3 must not be negative")
	case c.MaxDeferral < 0 || c.MaxDeferrals < 0:
		return errors.New("requester: Config.MaxDeferral and MaxDeferrals must not be negative")
	}
	for _, v := range c.Versions {
		if !v.IsEDM() {
			return errors.New("requester: Config.Versions: " + string(v) + " is not an EDM version")
		}
	}
	versions := c.Versions
	if len(versions) == 0 {
		versions = DefaultVersions()
	}
	for _, v := range versions {
		if v.Is2() && (c.Requester.Address == nil || strings.TrimSpace(c.Requester.Address.AdminUnitLevel1) == "") {
			return errors.New("requester: Config.Requester.Address needs the country (AdminUnitLevel1): EDM 2.0 requires it of the requester (R-EDM-REQ-C073)")
		}
	}
	return nil
}

func (c *Config) defaults() {
	if c.Legs == (exchange.Legs{}) {
		c.Legs = exchange.DefaultLegs()
	}
	if len(c.Versions) == 0 {
		c.Versions = DefaultVersions()
	}
	if c.T1 == 0 {
		c.T1 = DefaultT1
	}
	if c.T2 == 0 {
		c.T2 = DefaultT2
	}
	if c.T3 == 0 {
		c.T3 = DefaultT3
	}
	if c.MaxDeferral == 0 {
		c.MaxDeferral = DefaultMaxDeferral
	}
	if c.MaxDeferrals == 0 {
		c.MaxDeferrals = DefaultMaxDeferrals
	}
	if c.SweepEvery == 0 {
		c.SweepEvery = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
}

// version returns the highest EDM version of conformsTo that the connector
// speaks.
func (c *Config) version(conformsTo []string) (edm.Version, bool) {
	best := -1
	for _, s := range conformsTo {
		if i := slices.Index(c.Versions, edm.Version(s)); i >= 0 && (best < 0 || versionRank(c.Versions[i]) > versionRank(c.Versions[best])) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return c.Versions[best], true
}

func versionRank(v edm.Version) int { return slices.Index(edmVersions, v) }

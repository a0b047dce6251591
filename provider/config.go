package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/store"
)

// Sender submits a message to the access point (ap.Node.Submit). The
// connector gives every answer a client key, so a repeated submission is
// not sent twice.
type Sender interface {
	Submit(ctx context.Context, s *ap.Submission) (*ap.Status, bool, error)
}

// Audit receives the journal records of the connector (*journal.Journal):
// each request received, each answer sent (Outcome: journal.OutcomeOK or
// the EDM error code), each preview shown, approved, refused or timed out.
// Records carry identifiers, never personal data or evidence. The request
// after a preview and its answer are journaled in the exchange of the
// first request (the preview session's), and a request whose id is not
// the exchange's identifier is named by a journal.EventRequestID record
// (package journal, "Evidence exchanges"). A failure to journal is logged
// and does not stop the exchange.
type Audit interface {
	Append(ctx context.Context, r journal.Record) (*journal.Entry, error)
}

// Events of the journal that package journal does not name.
const (
	// EventWrongUser: someone other than the subject logged in at the
	// preview (Outcome EDM:ERR:0001).
	EventWrongUser = "preview.wrong_user"
	// EventReturnRefused: the 1.x return address was not allowed.
	EventReturnRefused = "preview.return_refused"
	// EventDuplicate: a request delivered again was not processed again.
	EventDuplicate = "request.duplicate"
)

// ServedType is an evidence type a provider serves, with the distributions
// it can produce (the DSD's DistributedAs).
type ServedType struct {
	Classification string
	Formats        []Format
	// ConsentProcedures are the procedures (codes of the Procedures code
	// list) for which the user may consent, at the preview, to background
	// exchanges of this evidence type (ConsentPolicy): the consent form
	// lists them, the user chooses among them. Empty means only the
	// procedure of the request being previewed; a request for a procedure
	// not listed gets no consent offer.
	ConsentProcedures []string
}

// Authority is an evidence provider (C4) hosted by the connector.
type Authority struct {
	// Agent is the provider's identifier (with its scheme) and name, as
	// the DSD publishes them; the error provider of its error answers.
	Agent         edm.Agent
	EvidenceTypes []ServedType
	DataService   DataService
	// WithoutPreview answers the first request with the evidence at once.
	// The default is a preview (SPEC.md §1.2 step 4), as personal data
	// almost always needs.
	WithoutPreview bool
	// MinLoA is the lowest level of assurance of the subject's
	// authentication the provider accepts, both in the request and at the
	// preview login; "" means Low.
	MinLoA eid.LoA
}

// Timeouts are the deadlines of SPEC.md §1.2, counted from the ebMS
// Timestamp of the first request. Zero fields take the defaults.
type Timeouts struct {
	// T1 (5 min): the first request must reach the provider within T1.
	T1 time.Duration
	// T2 (15 min): the user must open the preview link within T1+T2.
	T2 time.Duration
	// T3 (40 min): the user must decide within T3 of opening the link, and
	// at the latest T1+T2+T3 after the first request.
	T3 time.Duration
}

// Config configures a Connector.
type Config struct {
	// DB holds the connector's state (tables provider_*): required.
	DB *store.DB
	// Sender sends the answers (ap.Node): required.
	Sender Sender
	// Legs are the P-Mode legs of the answers; zero means
	// exchange.DefaultLegs().
	Legs exchange.Legs
	// Providers are the evidence providers served: at least one.
	Providers []Authority
	// PreviewBase is the public base URL of the preview space
	// ("https://preview.example.eu"); PreviewLocation is
	// PreviewBase + "/preview/" + token. It must be https unless
	// AllowInsecure is set (tests).
	PreviewBase   string
	AllowInsecure bool
	// ReturnAllow lists the URL prefixes to which the preview space sends
	// the user back in EDM 1.x, where the requester's return address comes
	// as the query parameter returnurl of the preview link. Each must be an
	// absolute https URL (http with AllowInsecure) ending in "/". EDM 2.0
	// takes the ReturnLocation of the second request instead.
	ReturnAllow []string
	// Authenticator logs the user in at the preview space: required.
	Authenticator eid.Authenticator
	// Timeouts: T1 5m, T2 15m, T3 40m by default.
	Timeouts Timeouts
	// Consent enables background exchanges with the user's consent (an
	// extension, see ConsentPolicy); off by default.
	Consent ConsentPolicy
	// ProcedureNames are names of procedures (codes of the code list
	// Procedures) by page language ("de"), shown in the preview space
	// before the code list's own names, which are in English for most
	// procedures; optional.
	ProcedureNames map[string]map[string]string
	// SweepEvery is how often Run looks for expired previews and unsent
	// answers; 0 means 15 s.
	SweepEvery time.Duration
	// Rules judge the received requests (schematron.Catalogue: official
	// rule files per EDM version); nil is the embedded rules.
	Rules *schematron.Catalogue
	// Journal records the exchange; nil records nothing.
	Journal Audit
	// Logger: nil discards.
	Logger *slog.Logger
	// Now and Rand: time.Now and crypto/rand.Reader by default.
	Now  func() time.Time
	Rand io.Reader
}

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("provider: invalid configuration")

func confErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// Validate checks the configuration and fills in the defaults.
func (c *Config) Validate() error {
	if c.DB == nil {
		return confErr("Config.DB is required")
	}
	if c.Sender == nil {
		return confErr("Config.Sender is required")
	}
	if c.Authenticator == nil {
		return confErr("Config.Authenticator is required")
	}
	if c.Legs == (exchange.Legs{}) {
		c.Legs = exchange.DefaultLegs()
	}
	if len(c.Providers) == 0 {
		return confErr("Config.Providers is empty")
	}
	seen := map[string]bool{}
	for i, p := range c.Providers {
		if p.Agent.Identifier.Value == "" || len(p.Agent.Name) == 0 {
			return confErr("Config.Providers[%d].Agent needs an identifier and a name", i)
		}
		if seen[p.Agent.Identifier.Value] {
			return confErr("Config.Providers[%d]: provider %q appears twice", i, p.Agent.Identifier.Value)
		}
		seen[p.Agent.Identifier.Value] = true
		if p.DataService == nil {
			return confErr("Config.Providers[%d] (%s).DataService is required", i, p.Agent.Identifier.Value)
		}
		if len(p.EvidenceTypes) == 0 {
			return confErr("Config.Providers[%d] (%s).EvidenceTypes is empty", i, p.Agent.Identifier.Value)
		}
		for j, t := range p.EvidenceTypes {
			if t.Classification == "" || len(t.Formats) == 0 {
				return confErr("Config.Providers[%d].EvidenceTypes[%d] needs a classification and formats", i, j)
			}
			for k, p := range t.ConsentProcedures {
				if strings.TrimSpace(p) == "" || p != strings.TrimSpace(p) || slices.Contains(t.ConsentProcedures[:k], p) {
					return confErr("Config.Providers[%d].EvidenceTypes[%d].ConsentProcedures[%d] %q is empty, padded or repeated", i, j, k, p)
				}
			}
		}
		if p.MinLoA != "" && p.MinLoA.Code() == "" {
			return confErr("Config.Providers[%d].MinLoA %q is not an eIDAS level", i, p.MinLoA)
		}
	}
	u, err := url.Parse(c.PreviewBase)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(c.AllowInsecure && u.Scheme == "http")) || u.RawQuery != "" || u.Fragment != "" {
		return confErr("Config.PreviewBase %q must be an absolute https URL without query (http only with AllowInsecure)", c.PreviewBase)
	}
	c.PreviewBase = strings.TrimRight(c.PreviewBase, "/")
	for i, p := range c.ReturnAllow {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(c.AllowInsecure && u.Scheme == "http")) || !strings.HasSuffix(p, "/") {
			return confErr("Config.ReturnAllow[%d] %q must be an absolute https URL ending in \"/\"", i, p)
		}
	}
	if c.Timeouts.T1 < 0 || c.Timeouts.T2 < 0 || c.Timeouts.T3 < 0 {
		return confErr("Config.Timeouts must not be negative")
	}
	if c.Timeouts.T1 == 0 {
		c.Timeouts.T1 = 5 * time.Minute
	}
	if c.Timeouts.T2 == 0 {
		c.Timeouts.T2 = 15 * time.Minute
	}
	if c.Timeouts.T3 == 0 {
		c.Timeouts.T3 = 40 * time.Minute
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 15 * time.Second
	}
	switch {
	case c.Consent.Validity < 0 || c.Consent.Validity > 366*24*time.Hour:
		return fmt.Errorf("%w: Consent.Validity %s is not between 0 and one year", ErrConfig, c.Consent.Validity)
	case c.Consent.Validity == 0:
		c.Consent.Validity = DefaultConsentValidity
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return nil
}

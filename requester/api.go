package requester

import (
	"context"
	"fmt"
	"time"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
)

// Service is what a procedure portal asks of the requester connector. The
// connector implements it in-process (*Connector) and over its REST API
// (*Client); the demo portal (package portal) uses either.
//
// A journey follows SPEC.md §1.2 steps 2–6: Start finds the requirements of
// the procedure (Evidence Broker); Choose records the user's choices for a
// requirement (evidence type, answers to the DSD's questions, provider) and
// asks the DSD; Request, after the user's explicit request, sends the
// evidence request; when the provider asks for a preview the requirement's
// exchange carries the PreviewURL to send the user's browser to; the
// evidence (or the reason for failure) arrives in the requirement's
// exchange; Get reads the journey at any time.
type Service interface {
	Start(ctx context.Context, s StartRequest) (*Journey, error)
	Get(ctx context.Context, journeyID string) (*Journey, error)
	Choose(ctx context.Context, journeyID, requirementID string, c Choice) (*Journey, error)
	Request(ctx context.Context, journeyID, requirementID string, r ExplicitRequest) (*Journey, error)
	// Evidence returns one evidence file of a journey (content and MIME
	// type); the caller must have checked that its user owns the journey.
	Evidence(ctx context.Context, journeyID, evidenceID string) (*File, error)
}

// StartRequest begins a journey for an authenticated user.
type StartRequest struct {
	// Procedure is a code of the Procedures list (R1, T2, …); Country the
	// Member State asked for evidence (ISO 3166-1 alpha-2).
	Procedure string `json:"procedure"`
	Country   string `json:"country"`
	// Subject is the authenticated user (eIDAS minimum data set, LoA);
	// with Subject.Company set the evidence is about the company and the
	// person is its authorised representative.
	Subject eid.Subject `json:"subject"`
	// ReturnURL is where the provider's preview space sends the user back
	// (https; the connector appends the journey and requirement).
	ReturnURL string `json:"returnUrl"`
	// Languages preferred for the evidence (ISO 639-1, optional).
	Languages []string `json:"languages,omitempty"`
	// AssociatedDocuments are the documents the procedure wants with each
	// evidence besides the main one, asked of an EDM 2.0 provider with
	// DistributedAs/AssociatedDocumentRequest: "Annex",
	// "HumanReadableVersion", "Translation" (the translations into
	// Languages, or any when none). 1.x has no such request; the
	// human-readable version of structured evidence is asked for anyway.
	AssociatedDocuments []string `json:"associatedDocuments,omitempty"`
	// ClientKey makes Start idempotent for a portal that retries.
	ClientKey string `json:"clientKey,omitempty"`
}

// Journey is one user's journey through one procedure: eb:ConversationId.
type Journey struct {
	ID           string         `json:"id"` // a UUID, the eb:ConversationId
	Procedure    string         `json:"procedure"`
	Country      string         `json:"country"`
	State        string         `json:"state"` // JourneyOpen, JourneyComplete, JourneyFailed
	Requirements []*Requirement `json:"requirements"`
	// Deadline is when the journey times out: (T1+T2+T3) × number of
	// requirements after it started (SPEC.md §1.2).
	Deadline time.Time `json:"deadline"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// States of a journey.
const (
	JourneyOpen     = "open"     // some requirement is not yet answered
	JourneyComplete = "complete" // every requirement has its evidence
	JourneyFailed   = "failed"   // some requirement failed or timed out
)

// Requirement is one requirement of the procedure and where its evidence
// stands. Step tells the portal what to show next.
type Requirement struct {
	ID   string `json:"id"` // the Semantic Repository URI of the requirement
	Name string `json:"name"`
	Step string `json:"step"` // one of the Step… constants
	// EvidenceTypes are the evidence types that satisfy the requirement
	// in the country (from the Evidence Broker); when there are several
	// the user chooses one (Choice.EvidenceType).
	EvidenceTypes []EvidenceTypeOption `json:"evidenceTypes"`
	// Questions are the DSD's requests for additional input
	// (DSD:ERR:0005): each to be answered in Choice.Answers.
	Questions []Question `json:"questions,omitempty"`
	// Providers are the data services the DSD found for the chosen
	// evidence type; when there are several the user chooses one
	// (Choice.Provider).
	Providers []ProviderOption `json:"providers,omitempty"`
	// Chosen is the evidence type and provider the request goes to.
	ChosenEvidenceType string    `json:"chosenEvidenceType,omitempty"`
	ChosenProvider     string    `json:"chosenProvider,omitempty"`
	Exchange           *Exchange `json:"exchange,omitempty"`
}

// Steps of a requirement.
const (
	StepChooseEvidenceType = "choose-evidence-type"
	StepAnswerQuestions    = "answer-questions"
	StepChooseProvider     = "choose-provider"
	StepExplicitRequest    = "explicit-request" // ready: ask the user's explicit request
	StepWaiting            = "waiting"          // request sent, no answer yet
	StepPreview            = "preview"          // send the user to Exchange.PreviewURL
	StepDeferred           = "deferred"         // the evidence comes later: asked again at Exchange.AvailableAt
	StepDone               = "done"             // Exchange.Evidence holds the evidence
	StepFailed             = "failed"           // Exchange.Error tells why
)

// EvidenceTypeOption is an evidence type that satisfies a requirement.
type EvidenceTypeOption struct {
	Classification string `json:"classification"` // EvidenceTypeClassification URI
	Title          string `json:"title"`
	Description    string `json:"description,omitempty"`
	List           string `json:"list,omitempty"` // the evidence type list it belongs to
}

// Question is a classification concept the DSD asks the user to give
// (DSD:ERR:0005).
type Question struct {
	ID          string   `json:"id"` // the concept's Identifier, the answer's key
	Description string   `json:"description"`
	Values      []string `json:"values,omitempty"` // the supported values, when the DSD lists them
}

// ProviderOption is a data service of an evidence provider.
type ProviderOption struct {
	ID      string   `json:"id"` // the Publisher's identifier value
	Name    string   `json:"name"`
	Formats []string `json:"formats"`
}

// Choice is the user's choice for a requirement; empty fields keep the
// previous choice.
type Choice struct {
	EvidenceType string            `json:"evidenceType,omitempty"`
	Answers      map[string]string `json:"answers,omitempty"`
	Provider     string            `json:"provider,omitempty"`
	Format       string            `json:"format,omitempty"`
}

// ExplicitRequest is the user's explicit request to fetch the evidence
// (ExplicitRequestGiven, SPEC.md §2.2): Given must be true.
type ExplicitRequest struct {
	Given bool `json:"given"`
	// Preview: the user can be redirected to a preview
	// (PossibilityForPreview); default true for a user at a browser.
	Preview *bool `json:"preview,omitempty"`
}

// Exchange is the evidence exchange of a requirement: ExchangeId (2.0) or
// the first request's id.
type Exchange struct {
	ID         string `json:"id"`
	RequestID  string `json:"requestId"`
	Provider   string `json:"provider"`
	Version    string `json:"version"` // EDM version, from the DSD's ConformsTo
	PreviewURL string `json:"previewUrl,omitempty"`
	// Background: the first request was marked as a background request
	// (Config.Background). Previewed: the provider asked for a preview;
	// an evidence received for a background request without a preview
	// relied on the user's consent at the provider.
	Background bool       `json:"background,omitempty"`
	Previewed  bool       `json:"previewed,omitempty"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	Error      *Failure   `json:"error,omitempty"`
	Sent       time.Time  `json:"sent"`
	Deadline   time.Time  `json:"deadline"`
	// AvailableAt is when the provider said the evidence will be
	// available (its last deferred response, ResponseAvailableDateTime);
	// at StepDeferred the connector asks again then, by itself. Deferrals
	// counts the deferred responses of the exchange.
	AvailableAt *time.Time `json:"availableAt,omitempty"`
	Deferrals   int        `json:"deferrals,omitempty"`
}

// Evidence is one received evidence: its metadata and a reference to its
// file (Service.Evidence).
type Evidence struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Format      string `json:"format"` // MIME type
	Language    string `json:"language,omitempty"`
	IssuingDate string `json:"issuingDate,omitempty"`
	Issuer      string `json:"issuer,omitempty"`
	Size        int64  `json:"size"`
	Role        string `json:"role,omitempty"` // 2.0: MainEvidence, Annex, HumanReadableVersion, Translation
	// Of is, for a supplementary document (Annex, HumanReadableVersion,
	// Translation), the ID of the received MainEvidence it goes with (the
	// rim:Association of its package).
	// ConformsTo is the data model of structured evidence (XML or JSON),
	// checked on receipt when package datamodel knows it; see Structured.
	ConformsTo string `json:"conformsTo,omitempty"`
	Of         string `json:"of,omitempty"`
}

// Failure is why an exchange failed: the EDM error code and text from the
// provider (EDM:ERR:…), or a connector condition (timeout, delivery failure).
// It is the JSON form of an *edm.Error in the requester's API.
type Failure struct {
	Code    edm.ErrorCode `json:"code"`
	Message string        `json:"message"`
	Detail  string        `json:"detail,omitempty"`
}

// failureOf is the Failure that reports e, the one place where the API's
// JSON is built from the error: its code, its message (the catalogue's text
// of the code when e has none) and its detail.
func failureOf(e *edm.Error) *Failure {
	x := e.Exception()
	return &Failure{Code: x.Code, Message: x.Message, Detail: x.Detail}
}

// File is an evidence file.
type File struct {
	Name     string
	MimeType string
	Data     []byte
}

// Structured returns the fields of a received structured evidence by data
// model path ("Child/FamilyName"), read from its file (Service.Evidence):
// the evidence must have a ConformsTo of package datamodel and a structured
// format (XML or JSON). It is what a portal pre-fills its forms from (see
// package datamodel for the paths and their labels). Errors:
// datamodel.ErrUnknownModel, datamodel.ErrUnsupportedFormat, or a
// *datamodel.FieldError.
func Structured(e Evidence, f *File) (map[string]string, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: no file", ErrInvalid)
	}
	if e.ConformsTo == "" {
		return nil, fmt.Errorf("%w: evidence %s names no data model", datamodel.ErrUnknownModel, e.ID)
	}
	mt := f.MimeType
	if mt == "" {
		mt = e.Format
	}
	return datamodel.Fields(e.ConformsTo, mt, f.Data)
}

package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/oots-go/oots/eid"
)

// DataService is the backend of an evidence provider: the register that
// finds the evidence of a subject. The matching rules are the data
// service's; the connector only enforces that the result designates one
// subject (SPEC.md §1.2 step 5: evidence that cannot be attributed is never
// shown).
type DataService interface {
	// Find returns the records that match the query. No match is an empty
	// Result, not an error; an error means the data service could not
	// answer (the connector answers EDM:ERR:0008).
	Find(ctx context.Context, q Query) (*Result, error)
}

// Query is what the connector asks a data service: the evidence type
// requested of one provider about one subject, in the formats and languages
// the evidence requester asked for. Its JSON form is the body that
// HTTPDataService posts.
type Query struct {
	// EvidenceType is the EvidenceTypeClassification URI of the request
	// (EvidenceRequest/EvidenceTypeClassification).
	EvidenceType string `json:"evidenceType"`
	// Provider is the identifier of the evidence provider (C4) the request
	// is addressed to (EvidenceProvider/Identifier).
	Provider Identifier `json:"provider"`
	// Subject is whom the evidence must be about.
	Subject Subject `json:"subject"`
	// Formats are the requested distributions (DistributedAs); Languages
	// the requested languages (EDM 1.x xml:lang, EDM 2.0
	// DistributedAs/Language), upper-case codes. Empty means any.
	Formats   []Format `json:"formats,omitempty"`
	Languages []string `json:"languages,omitempty"`
}

// Identifier is an identifier with its scheme (sdg:Identifier/@schemeID).
type Identifier struct {
	Scheme string `json:"scheme,omitempty"`
	Value  string `json:"value"`
}

// Format is a requested or served distribution: a MIME type of the
// OOTSMediaTypes list and, for structured data, the data model URI.
type Format struct {
	Format     string `json:"format"`
	ConformsTo string `json:"conformsTo,omitempty"`
}

// Subject is the subject of an evidence request: exactly one of Person
// (sdg:Person of the NaturalPerson slot) and Company (LegalPerson slot), and
// the natural person who represents it when the request names one
// (AuthorizedRepresentative). Identifiers are eIDAS unique identifiers
// "XX/YY/ZZZ"; a company's other identifiers (VAT, TAX, LEI, EORI) are in
// the eid.LegalPerson fields of the same names. LoA is the level of
// assurance the request states.
type Subject struct {
	Person         *eid.NaturalPerson `json:"person,omitempty"`
	Company        *eid.LegalPerson   `json:"company,omitempty"`
	Representative *eid.NaturalPerson `json:"representative,omitempty"`
	LoA            eid.LoA            `json:"loa,omitempty"`
}

// Result is the answer of a data service: one Match per distinct subject of
// its register that the query designates.
type Result struct {
	Matches []Match `json:"matches"`
}

// Match is one subject of the register with the evidence documents of the
// requested type that it holds.
type Match struct {
	// Subject is the register's stable key of the person or company; two
	// matches with different keys are two people.
	Subject   string     `json:"subject"`
	Documents []Document `json:"documents"`
	// Deferred, instead of Documents, says the subject's evidence exists
	// but can only be sent from a later time (see Deferral).
	Deferred *Deferral `json:"deferred,omitempty"`
}

// Document is one evidence document.
type Document struct {
	// ID identifies the evidence in the register (stable across queries).
	ID    string `json:"id"`
	Title string `json:"title"`
	// IssuingDate is an xsd:date (YYYY-MM-DD).
	IssuingDate string `json:"issuingDate"`
	// IssuingAuthority is the authority that issued the document; empty
	// means the evidence provider itself.
	IssuingAuthority *Issuer `json:"issuingAuthority,omitempty"`
	// Language is the language of the document (upper-case code, "DE").
	Language string `json:"language,omitempty"`
	// Format is the MIME type (application/pdf, application/xml, …) and
	// ConformsTo the data model of structured content.
	Format     string `json:"format"`
	ConformsTo string `json:"conformsTo,omitempty"`
	// Content is the document itself (base64 in JSON).
	Content []byte `json:"content"`
	// ValidFrom and ValidTo (xsd:date) give the validity period, if any.
	ValidFrom string `json:"validFrom,omitempty"`
	ValidTo   string `json:"validTo,omitempty"`
	// Fields is a readable form of structured content for the preview
	// page, in document order.
	Fields []Field `json:"fields,omitempty"`
	// HumanReadableVersion is, for structured content, the same evidence
	// for people (a PDF): in EDM 2.0 it is sent with the structured
	// document as its HumanReadableVersion when the request asks for one
	// (DistributedAs/AssociatedDocumentRequest).
	HumanReadableVersion *Document `json:"humanReadableVersion,omitempty"`
	// Annexes are documents that go with the evidence (EDM 2.0 role
	// Annex), and Translations the evidence in other languages (role
	// Translation; Language is required). Each is sent, in its own
	// payload and linked to the evidence, only when the request's
	// DistributedAs asks for its role (AssociatedDocumentRequest), and a
	// translation only into a language the request lists, if it lists
	// any. Their Title, Format, Content, ID and Language are used; the
	// rest of their metadata is the evidence's.
	Annexes      []Document `json:"annexes,omitempty"`
	Translations []Document `json:"translations,omitempty"`
}

// check tells what is wrong with a document of the data service: no format
// or content, of its own or of a supplementary document, or a translation
// without a language.
func (d *Document) check() error {
	if d.Format == "" || len(d.Content) == 0 {
		return fmt.Errorf("document %q has no format or no content", d.ID)
	}
	for _, s := range d.supplementary() {
		if s.doc.Format == "" || len(s.doc.Content) == 0 {
			return fmt.Errorf("%s %q of document %q has no format or no content", s.role, s.doc.ID, d.ID)
		}
		if s.role == "translation" && s.doc.Language == "" {
			return fmt.Errorf("translation %q of document %q has no language", s.doc.ID, d.ID)
		}
	}
	return nil
}

type roleDoc struct {
	role string
	doc  *Document
}

// supplementary lists the documents that go with d.
func (d *Document) supplementary() []roleDoc {
	var out []roleDoc
	if d.HumanReadableVersion != nil {
		out = append(out, roleDoc{"human-readable version", d.HumanReadableVersion})
	}
	for i := range d.Annexes {
		out = append(out, roleDoc{"annex", &d.Annexes[i]})
	}
	for i := range d.Translations {
		out = append(out, roleDoc{"translation", &d.Translations[i]})
	}
	return out
}

// Issuer is an issuing authority: identifier and name.
type Issuer struct {
	Identifier Identifier `json:"identifier"`
	Name       string     `json:"name"`
}

// Field is one label and value of structured content.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Errors of the matching step (errors.Is).
var (
	// ErrNotFound: no record matches the subject.
	ErrNotFound = errors.New("provider: no matching record")
	// ErrAmbiguous: more than one subject matches; the evidence cannot be
	// attributed and is never shown.
	ErrAmbiguous = errors.New("provider: more than one subject matches")
)

// resolve applies the connector's rule to a result: exactly one subject with
// at least one document.
func (r *Result) resolve() (*Match, error) {
	if r == nil {
		return nil, ErrNotFound
	}
	subjects := map[string]*Match{}
	for i := range r.Matches {
		m := &r.Matches[i]
		if prev, ok := subjects[m.Subject]; ok {
			prev.Documents = append(prev.Documents, m.Documents...)
			continue
		}
		subjects[m.Subject] = m
	}
	switch len(subjects) {
	case 0:
		return nil, ErrNotFound
	case 1:
	default:
		return nil, fmt.Errorf("%w: %d subjects", ErrAmbiguous, len(subjects))
	}
	for _, m := range subjects {
		if m.Deferred != nil {
			if len(m.Documents) > 0 {
				return nil, fmt.Errorf("%w: subject %q has documents too", errBadDeferral, m.Subject)
			}
			return m, m.Deferred.check()
		}
		if len(m.Documents) == 0 {
			return nil, ErrNotFound
		}
		for i := range m.Documents {
			if err := m.Documents[i].check(); err != nil {
				return nil, fmt.Errorf("provider: data service document %d: %w", i+1, err)
			}
		}
		return m, nil
	}
	return nil, ErrNotFound
}

// HTTPDataService is a DataService reached over HTTP: the connector POSTs
// the Query as JSON (Content-Type application/json) to URL and expects 200
// with a Result as JSON:
//
//	POST URL
//	{"evidenceType":"https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/…",
//	 "provider":{"scheme":"urn:cef.eu:names:identifier:EAS:9930","value":"DE-EP-R1"},
//	 "subject":{"person":{"identifier":"SE/DE/199001011234","familyName":"Lindberg",
//	            "givenName":"Elsa","dateOfBirth":"1990-01-01"},"loa":"http://eidas.europa.eu/LoA/substantial"},
//	 "formats":[{"format":"application/pdf"}],"languages":["EN"]}
//
//	200 OK
//	{"matches":[{"subject":"person-17","documents":[{"id":"…","title":"Certificate of birth",
//	  "issuingDate":"2024-01-02","language":"DE","format":"application/pdf",
//	  "content":"JVBERi0xLjQK…","fields":[{"label":"Family name","value":"Lindberg"}]}]}]}
//
// A document may carry its humanReadableVersion, its "annexes" and its
// "translations" (each a document of the same shape; a translation with
// its "language"), sent in an EDM 2.0 answer when the request asks for them:
//
//	{"id":"…","title":"Asuinpaikkatodistus","language":"FI","format":"application/pdf","content":"JVBERi0…",
//	 "annexes":[{"id":"…","title":"Members of the household","format":"application/pdf","content":"JVBERi0…"}],
//	 "translations":[{"id":"…","title":"Certificate of residence","language":"EN","format":"application/pdf","content":"JVBERi0…"}]}
//
// A subject whose evidence exists but is not ready yet (handling, payment
// or digitisation; see Deferral) is answered without documents:
//
//	{"matches":[{"subject":"person-17","documents":[],
//	  "deferred":{"availableAt":"2026-08-07T09:30:00Z","reason":"payment"}}]}
//
// Any other status is an error naming it. Answers are limited to
// MaxResponseBytes (default 32 MiB).
type HTTPDataService struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient
	// MaxResponseBytes limits the answer; 0 means 32 MiB.
	MaxResponseBytes int64
}

var _ DataService = (*HTTPDataService)(nil)

// Find posts q and decodes the Result.
func (h *HTTPDataService) Find(ctx context.Context, q Query) (*Result, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("provider: data service query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("provider: data service: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("provider: data service: %w", err)
	}
	defer resp.Body.Close()
	limit := h.MaxResponseBytes
	if limit <= 0 {
		limit = 32 << 20
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("provider: data service: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("provider: data service answered %s: %s", resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("provider: data service answer larger than %d bytes", limit)
	}
	return ParseResult(b)
}

// ParseResult decodes the JSON answer of a data service. Unknown fields are
// refused so that a misspelt field is not silently lost.
func ParseResult(b []byte) (*Result, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("provider: data service answer: %w", err)
	}
	if dec.More() {
		return nil, errors.New("provider: data service answer: data after the JSON object")
	}
	for i, m := range r.Matches {
		if m.Subject == "" {
			return nil, fmt.Errorf("provider: data service answer: match %d has no subject key", i)
		}
		if m.Deferred != nil {
			if err := m.Deferred.check(); err != nil {
				return nil, fmt.Errorf("%w (match %d)", err, i)
			}
		}
	}
	return &r, nil
}

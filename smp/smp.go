// Package smp implements Service Metadata Publishing, the second step of
// eDelivery dynamic discovery (the first is BDXL, package bdxl): a server
// that publishes which document types a participant receives, through which
// processes and at which access point endpoint with which certificate, and a
// client that looks this up and checks the answer.
//
// Three flavours of the same model are served and read:
//
//   - OASIS BDXR SMP 1.0 (namespace http://docs.oasis-open.org/bdxr/ns/SMP/2016/05):
//     ServiceGroup, SignedServiceMetadata with an enveloped XML signature;
//     REST paths /{participant} and
//     /{participant}/services/{documentType};
//   - OASIS BDXR SMP 2.0 (namespaces http://docs.oasis-open.org/bdxr/ns/SMP/2/…):
//     ServiceGroup and ServiceMetadata with the ds:Signature as its last child;
//     REST paths under /bdxr-smp-2/;
//   - the Peppol SMP 1.x flavour (namespaces http://busdox.org/…): the SMP 1.0
//     structure with busdox identifiers and a WS-Addressing endpoint
//     reference (Peppol SMP specification 1.x).
//
// Identifiers travel as "scheme::value", percent-encoded in URL paths
// (Peppol Policy for use of identifiers, SMP 1.0 REST binding). Participant
// identifiers are compared without regard to case; document type and process
// identifiers exactly.
//
// # How it fits together
//
// Server serves a Store (MemoryStore, or SQLStore in the node's database:
// SQLite or PostgreSQL through package store, component "smp") over HTTP: the
// SMP read interface, signed with the SMP's key, and a JSON management API
// under /api/smp/v1/ guarded by a bearer token (RemoteStore is a Store over
// that API, for tools that manage an SMP running elsewhere). Client finds the
// SMP of a participant by BDXL (or uses a fixed SMP URL, or the legacy Peppol
// host name), fetches the service metadata, verifies the enveloped signature
// with the certificate in ds:KeyInfo after validating that certificate against
// a trust store, checks that the answer is about the participant and document
// type asked, and returns the endpoint with its encryption certificate in
// use at the time of the lookup (Client.Resolve, Endpoint.CertificateAt).
// Answers are cached.
//
// A redirect is followed once (Client.Resolve step 3a): that of the whole
// document (SMP 1.0 and Peppol Redirect), or in SMP 2.0 that of the
// ProcessMetadata listing the process resolved, the endpoints of the other
// ProcessMetadata serving their processes (Process.Redirect). SMP 1.0 and
// Peppol cannot redirect single processes: the server leaves such
// processes out of those documents, which redirect as a whole when every
// process is redirected alike (ServiceMetadata.Validate). Signatures
// are accepted canonicalized as this package signs (exclusive c14n) and as
// phoss-SMP signs (Canonical XML 1.0 or 1.1, the reference with the
// enveloped-signature transform alone), short of xml: attributes inherited
// into the SignedInfo (xmltree.CanonicalizeInclusive). Not implemented: SMP
// 2.0 signatures of ServiceGroup documents, SHA-1 signatures (refused with
// ErrSignature, as Peppol has since 2020; ParseServiceMetadata still reads
// such an answer unverified), and the Peppol SMP client-certificate and SML
// registration (the SML's own interface).
package smp

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Flavour is one of the SMP document formats.
type Flavour string

// The flavours.
const (
	OASIS1 Flavour = "oasis-smp-1"
	OASIS2 Flavour = "oasis-smp-2"
	Peppol Flavour = "peppol"
)

// Valid reports whether f is a known flavour.
func (f Flavour) Valid() bool { return f == OASIS1 || f == OASIS2 || f == Peppol }

// Transport profiles of endpoints (OASIS BDXR, eDelivery AS4, Peppol AS4).
const (
	TransportEBMS3AS4  = "bdxr-transport-ebms3-as4-v1p0"
	TransportPeppolAS4 = "peppol-transport-as4-v2_0"
)

// Identifier schemes of the Peppol Policy for use of identifiers.
const (
	SchemeParticipantISO6523 = "iso6523-actorid-upis"
	SchemeDocumentBusdox     = "busdox-docid-qns"
	SchemeProcessCENBII      = "cenbii-procid-ubl"
)

// ID is an identifier with its scheme: participant, document type or
// process.
type ID struct {
	Scheme string `json:"scheme,omitempty"`
	Value  string `json:"value"`
}

// String returns "scheme::value", or the value alone without a scheme
// (unless the value holds "::").
func (id ID) String() string {
	if id.Scheme == "" && !strings.Contains(id.Value, "::") {
		return id.Value
	}
	// A value holding "::" keeps its empty scheme written out ("::a::b"),
	// or it would read back as scheme "a".
	return id.Scheme + "::" + id.Value
}

// ErrIdentifier: an identifier that is empty or cannot be parsed.
var ErrIdentifier = errors.New("smp: bad identifier")

// ParseID reads "scheme::value" (the first "::" separates them; a string
// without "::" is a value without scheme).
func ParseID(s string) (ID, error) {
	var id ID
	if scheme, value, ok := strings.Cut(s, "::"); ok {
		id = ID{Scheme: scheme, Value: value}
	} else {
		id = ID{Value: s}
	}
	if strings.TrimSpace(id.Value) == "" {
		return id, fmt.Errorf("%w: %q has an empty value", ErrIdentifier, s)
	}
	return id, nil
}

// participantKey is the identity of a participant: scheme and value without
// regard to case (Peppol Policy for use of identifiers POLICY 1).
func participantKey(id ID) string { return strings.ToLower(id.String()) }

// PathSegment returns the identifier percent-encoded for an SMP URL path
// ("::", "#" and "/" encoded).
func (id ID) PathSegment() string {
	return strings.ReplaceAll(url.PathEscape(id.String()), ":", "%3A")
}

// ServiceGroup is the list of document types a participant receives (SMP
// 1.0 and 2.0 ServiceGroup).
type ServiceGroup struct {
	Participant   ID   `json:"participant"`
	DocumentTypes []ID `json:"documentTypes,omitempty"`
}

// ServiceMetadata is what a participant receives of one document type: the
// processes and their endpoints, or a redirection to another SMP.
type ServiceMetadata struct {
	Participant  ID        `json:"participant"`
	DocumentType ID        `json:"documentType"`
	Processes    []Process `json:"processes,omitempty"`
	// Redirect, when set, sends every process of the document type to
	// another SMP, and there are no Processes: the SMP 1.0 and Peppol
	// Redirect, and in SMP 2.0 a document whose one ProcessMetadata has a
	// Redirect and no Process. A redirect of some processes only (SMP 2.0)
	// is Process.Redirect.
	Redirect *Redirect `json:"redirect,omitempty"`
}

// Process is one process (business collaboration) in which the document
// type is received, with its endpoints, or (SMP 2.0) with a Redirect
// instead: the processes an SMP 2.0 ProcessMetadata lists share its
// Endpoint elements or its Redirect. A client resolving the process
// follows its redirect; the other processes' endpoints are used as they
// are.
//
// A Process read with an empty ID comes from an SMP 2.0 ProcessMetadata
// without Process: its endpoints serve any process, and its redirect is
// followed for a process no other ProcessMetadata lists. A process
// published by the server has an ID (Validate).
type Process struct {
	ID        ID         `json:"id"`
	Endpoints []Endpoint `json:"endpoints"`
	Redirect  *Redirect  `json:"redirect,omitempty"`
}

// Endpoint is an access point endpoint of a process.
type Endpoint struct {
	// TransportProfile is e.g. TransportEBMS3AS4.
	TransportProfile string `json:"transportProfile"`
	// URL is where the access point receives messages.
	URL string `json:"url"`
	// Certificate is the DER certificate of the receiving access point in
	// use (to encrypt to it and check its receipts). An endpoint without
	// Certificates publishes it alone (in SMP 2.0 with the TypeCode
	// encryption); SMP 1.0 and Peppol documents always publish it alone.
	// With Certificates it must be one of them. As read from an SMP 2.0
	// document it is the first of the type encryption, else the first;
	// a lookup selects among Certificates by date instead (CertificateAt).
	Certificate []byte `json:"certificate"`
	// Certificates are all the certificates the endpoint publishes (SMP
	// 2.0 Certificate, 0..n), each with its use and validity: several
	// while its access point rolls a key over, or one for each use. SMP
	// 2.0 documents are written with all of them when there are any, and
	// read with all of them, short of one encryption certificate without
	// description or dates and of the mimeCode MimeCodeDefault, which is
	// read as Certificate alone (as it is written). SMP 1.0 and Peppol
	// documents carry one certificate, Certificate, and are read without
	// Certificates.
	Certificates []EndpointCertificate `json:"certificates,omitempty"`
	// Description and Contact (SMP 1.0 ServiceDescription and
	// TechnicalContactUrl; SMP 2.0 Description and Contact).
	Description string `json:"description,omitempty"`
	Contact     string `json:"contact,omitempty"`
	// Activation and Expiration bound when the endpoint is in service:
	// from Activation on, and before Expiration (at Expiration it is out
	// of service); zero when not given.
	//
	// SMP 2.0 ActivationDate and ExpirationDate are xs:date, whole days:
	// the endpoint is in service from the start of its activation date and
	// during all of its expiration date, so Activation reads as the first
	// instant of the activation date and Expiration as the first instant
	// of the day after the expiration date, in the date's time zone (UTC
	// when it has none). The SMP 2.0 schema calls them only the
	// "Activation date of the service" and the "Expiration date of the
	// service"; that the expiration date is still a day in service is this
	// package's reading. SMP 1.0 and Peppol ServiceActivationDate and
	// ServiceExpirationDate are xs:dateTime instants, read as they are (a
	// date alone, which some SMPs publish there, as in SMP 2.0). How the
	// SMP 2.0 writer turns an instant that does not start a day into a
	// date: ServiceMetadataElement.
	Activation time.Time `json:"activation,omitzero"`
	Expiration time.Time `json:"expiration,omitzero"`
}

// Uses of a certificate (SMP 2.0 Certificate TypeCode). The SMP 2.0
// schema leaves the code to the domain ("the use of the certificate being
// provided, expressed as a user or domain defined code", 0..1): this
// package writes CertificateEncryption for an endpoint's certificate
// given alone (Endpoint.Certificate) and CertificateSigning for a
// Redirect's that has none of its own (Redirect.Types); a lookup selects
// an endpoint's CertificateEncryption certificate, and checks the
// signature of the SMP a Redirect leads to against the Redirect's
// certificates of CertificateSigning or of no TypeCode only
// (Redirect.SignsMetadata). Other codes (e.g. "sign-and-encrypt") are
// kept as they are.
const (
	CertificateEncryption = "encryption"
	CertificateSigning    = "signing"
)

// MimeCodeDefault is the mimeCode written for a certificate that has none
// (EndpointCertificate.MimeCode, Redirect.MimeCodes): the one this package
// wrote for every certificate before it kept theirs.
const MimeCodeDefault = "application/base64"

// EndpointCertificate is one certificate an SMP 2.0 endpoint publishes,
// with its use and when it may be used.
type EndpointCertificate struct {
	// Type is the TypeCode, e.g. CertificateEncryption; empty when not
	// given.
	Type string `json:"type,omitempty"`
	// Description is the certificate's Description, if any.
	Description string `json:"description,omitempty"`
	// Certificate is the DER certificate.
	Certificate []byte `json:"certificate"`
	// MimeCode is the mimeCode of the certificate's SMP 2.0
	// ContentBinaryObject, "the mime type of the binary object": kept as
	// read and written as given, e.g. "application/pkix-cert" (RFC 2585),
	// which other SMPs publish. The schema requires one
	// (udt:BinaryObjectType, mimeCode use="required"): empty, it is
	// written as MimeCodeDefault; a document with a certificate without
	// one, or with an empty one, is refused at read, as it could not be
	// written back as read. Validate accepts a media type (RFC 2045) or
	// empty. A Redirect's certificates keep theirs alike
	// (Redirect.MimeCodes).
	MimeCode string `json:"mimeCode,omitempty"`
	// Activation and Expiration bound when the certificate may be used
	// (ActivationDate, ExpirationDate): from Activation on, before
	// Expiration; either zero when not given. They are read, written and
	// checked as those of a Redirect's certificates (Validity): in use
	// from the start of the ActivationDate and during all of the
	// ExpirationDate, in the dates' time zone. The certificate's own
	// validity (notBefore, notAfter) is the trust store's to check.
	Activation time.Time `json:"activation,omitzero"`
	Expiration time.Time `json:"expiration,omitzero"`
}

// validity returns when c may be used.
func (c EndpointCertificate) validity() Validity {
	return Validity{Activation: c.Activation, Expiration: c.Expiration}
}

// validity returns when e is in service.
func (e Endpoint) validity() Validity {
	return Validity{Activation: e.Activation, Expiration: e.Expiration}
}

// ErrNoCertificateInUse: an endpoint publishes no certificate of the use
// needed that may be used at the time of the lookup.
var ErrNoCertificateInUse = errors.New("smp: no endpoint certificate in use")

// CertificateAt returns the certificate of e for use (e.g.
// CertificateEncryption) at the instant at: among the Certificates of that
// type (compared without regard to case; all of them when none has that
// type, as an endpoint publishing a single "sign-and-encrypt" or untyped
// certificate), one whose window holds at, and when several do, the one
// activated most recently (the first of those in the document on a tie).
// An endpoint without Certificates has Certificate, at any time. When no
// certificate may be used at at, the error wraps ErrNoCertificateInUse and
// names the endpoint and the dates of its certificates.
func (e *Endpoint) CertificateAt(use string, at time.Time) (EndpointCertificate, error) {
	c, _, none := e.certificateAt(use, at)
	if none != "" {
		return EndpointCertificate{}, fmt.Errorf("%w: %s", ErrNoCertificateInUse, none)
	}
	return c, nil
}

// certificateAt is CertificateAt, and also returns until when the choice
// holds: the end of the certificate's window, or the activation of
// another that will then be preferred, whichever comes first (zero:
// unbounded). When no certificate may be used at at, none says so, naming
// the endpoint and the dates of its certificates.
func (e *Endpoint) certificateAt(use string, at time.Time) (c EndpointCertificate, until time.Time, none string) {
	if len(e.Certificates) == 0 {
		return EndpointCertificate{Type: use, Certificate: e.Certificate}, time.Time{}, ""
	}
	var candidates []EndpointCertificate
	for _, c := range e.Certificates {
		if strings.EqualFold(c.Type, use) {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		candidates = e.Certificates
	}
	best := -1
	for i, c := range candidates {
		if c.validity().In(at) && (best < 0 || c.Activation.After(candidates[best].Activation)) {
			best = i
		}
	}
	if best < 0 {
		var s []string
		for i, c := range candidates {
			s = append(s, fmt.Sprintf("certificate %d (%s) %s", i+1, cmp.Or(c.Type, "no TypeCode"), c.validity().dates()))
		}
		return EndpointCertificate{}, time.Time{}, fmt.Sprintf("endpoint %s publishes no %s certificate in use at %s: %s",
			e.URL, use, at.Format(time.RFC3339), strings.Join(s, "; "))
	}
	until = candidates[best].Expiration
	for _, c := range candidates {
		if c.Activation.After(at) && (until.IsZero() || c.Activation.Before(until)) {
			until = c.Activation
		}
	}
	return candidates[best], until, ""
}

// Redirect sends the client to another SMP (SMP 1.0 and
// 2.0 Redirect). URL is the other SMP's service metadata resource or base
// URL (SMP 1.0 href, SMP 2.0 PublisherURI).
type Redirect struct {
	URL string `json:"url"`
	// CertificateUID is the SMP 1.0 and Peppol unique identifier of the
	// other SMP's signing certificate.
	CertificateUID string `json:"certificateUID,omitempty"`
	// Certificates are DER signing certificates of the other SMP (SMP 2.0
	// Redirect Certificate, 0..n: several while that SMP rolls its key
	// over). When there are any, the other SMP's answer must be signed
	// with one of them whose TypeCode says it signs that SMP's metadata
	// (SignsMetadata). SMP 1.0 and Peppol documents carry none.
	Certificates [][]byte `json:"certificates,omitempty"`
	// Validity is when each certificate may be used, as the redirect
	// publishes it (SMP 2.0 Certificate ActivationDate and
	// ExpirationDate): Validity[i] that of Certificates[i], unbounded when
	// missing. An answer signed by a certificate outside its window is
	// refused.
	Validity []Validity `json:"validity,omitempty"`
	// MimeCodes are the mimeCodes of the certificates' SMP 2.0
	// ContentBinaryObject, as EndpointCertificate.MimeCode: MimeCodes[i]
	// that of Certificates[i], written as MimeCodeDefault when empty or
	// missing. Read from an SMP 2.0 document, they are kept as read when
	// any certificate has another than MimeCodeDefault, and are none
	// otherwise (the document is written back alike); a certificate
	// without mimeCode is refused there, as an endpoint's. Validate
	// accepts a media type (RFC 2045) or empty for each.
	MimeCodes []string `json:"mimeCodes,omitempty"`
	// Types are the certificates' SMP 2.0 TypeCodes, as
	// EndpointCertificate.Type: Types[i] that of Certificates[i], written
	// as CertificateSigning when empty or missing. Read from an SMP 2.0
	// document, they are kept as read when any certificate has another
	// than CertificateSigning, a certificate without TypeCode then read
	// as CertificateSigning (as it is written), and are none otherwise.
	// The client accepts the other SMP's signature only by a certificate
	// of CertificateSigning or of no TypeCode (SignsMetadata).
	Types []string `json:"types,omitempty"`
	// Descriptions are the certificates' SMP 2.0 Descriptions:
	// Descriptions[i] that of Certificates[i], written when not empty.
	// Read from an SMP 2.0 document, they are kept as read when any
	// certificate has one, and are none otherwise.
	//
	// Validate refuses a TypeCode or Description that would not be read
	// back as given: with a character XML cannot carry or white space at
	// either end, or a TypeCode (xsd:normalizedString) with a tab or line
	// break.
	Descriptions []string `json:"descriptions,omitempty"`
}

// Validity is when a certificate a Redirect carries may be used: from
// Activation on, before Expiration; either zero when not given. The SMP
// 2.0 dates are read and written as an Endpoint's: the certificate is in
// use from the start of its ActivationDate and during all of its
// ExpirationDate, in the dates' time zone. The SMP 2.0 schema calls the
// ExpirationDate "the date from which the embedded certificate can no
// longer be used, extracted from the certificate itself or set
// explicitly"; a date extracted from a certificate's notAfter is a day
// during part of which the certificate still signs, and it is that
// instant, checked by the trust store, which ends its use.
type Validity struct {
	Activation time.Time `json:"activation,omitzero"`
	Expiration time.Time `json:"expiration,omitzero"`
}

// In reports whether at is within v: from Activation on, before
// Expiration.
func (v Validity) In(at time.Time) bool {
	return (v.Activation.IsZero() || !at.Before(v.Activation)) && (v.Expiration.IsZero() || at.Before(v.Expiration))
}

// ordered reports whether v is a window at all: no Activation at or after
// its Expiration (a certificate or endpoint that would never be in use).
func (v Validity) ordered() bool {
	return v.Activation.IsZero() || v.Expiration.IsZero() || v.Activation.Before(v.Expiration)
}

// String returns "from <activation> until <expiration>", either left out
// when not given.
func (v Validity) String() string {
	var s []string
	if !v.Activation.IsZero() {
		s = append(s, "from "+v.Activation.Format(time.RFC3339))
	}
	if !v.Expiration.IsZero() {
		s = append(s, "until "+v.Expiration.Format(time.RFC3339))
	}
	if len(s) == 0 {
		return "at any time"
	}
	return strings.Join(s, " ")
}

// Days returns v as SMP 2.0 publishes it (xs:date with its time zone):
// the ActivationDate, the first day in use, and the ExpirationDate, the
// last day in use; "" for a bound not given. An instant that does not
// start a day is rounded inwards, as the SMP 2.0 writer does.
func (v Validity) Days() (activation, expiration string) {
	if !v.Activation.IsZero() {
		activation = activationDate(v.Activation)
	}
	if !v.Expiration.IsZero() {
		expiration = expirationDate(v.Expiration)
	}
	return activation, expiration
}

// dates returns v as SMP 2.0 publishes it: "ActivationDate <date>,
// ExpirationDate <date>", either left out when not given.
func (v Validity) dates() string {
	var s []string
	from, until := v.Days()
	if from != "" {
		s = append(s, "ActivationDate "+from)
	}
	if until != "" {
		s = append(s, "ExpirationDate "+until)
	}
	if len(s) == 0 {
		return "without dates"
	}
	return strings.Join(s, ", ")
}

// validity returns the window of certificate i; unbounded when r does not
// publish one.
func (r *Redirect) validity(i int) Validity {
	if r == nil || i < 0 || i >= len(r.Validity) {
		return Validity{}
	}
	return r.Validity[i]
}

// mimeCode returns the mimeCode certificate i is written with: its own,
// else MimeCodeDefault.
func (r *Redirect) mimeCode(i int) string {
	if r == nil || i < 0 || i >= len(r.MimeCodes) {
		return MimeCodeDefault
	}
	return cmp.Or(r.MimeCodes[i], MimeCodeDefault)
}

// typeCode returns the TypeCode certificate i is written with: its own,
// else CertificateSigning.
func (r *Redirect) typeCode(i int) string {
	if r == nil || i < 0 || i >= len(r.Types) {
		return CertificateSigning
	}
	return cmp.Or(r.Types[i], CertificateSigning)
}

// SignsMetadata reports whether certificate i of r is one a lookup checks
// the other SMP's signature with: of the TypeCode CertificateSigning
// (compared without regard to case, as an endpoint's TypeCode), or of
// none. A certificate of another TypeCode is published for another use,
// and an answer signed by it is refused.
//
// The SMP 2.0 schema (SMP-AggregateComponents-2.0.xsd) defines a
// Redirect's Certificate as "the certificate used to validate information
// signed by the destination SMP" (0..n), the Certificate class as holding
// "information necessary to validate the signature of the SMP service",
// and its TypeCode as "the use of the certificate being provided,
// expressed as a user or domain defined code" (0..1). It fixes no code:
// a certificate without TypeCode is what the Redirect says of it, one to
// validate the destination SMP's signature, and is accepted; one with a
// TypeCode is accepted when that code is this package's code for that
// use, CertificateSigning, which it publishes for every Redirect
// certificate without a TypeCode of its own.
func (r *Redirect) SignsMetadata(i int) bool {
	return r != nil && i >= 0 && i < len(r.Certificates) && strings.EqualFold(r.typeCode(i), CertificateSigning)
}

// description returns the Description of certificate i; "" when r does not
// publish one.
func (r *Redirect) description(i int) string {
	if r == nil || i < 0 || i >= len(r.Descriptions) {
		return ""
	}
	return r.Descriptions[i]
}

// PublishedCertificates returns r's certificates as an SMP 2.0 document
// publishes them: each with its TypeCode (CertificateSigning when none),
// Description, mimeCode (MimeCodeDefault when none) and dates. None when
// r is nil.
func (r *Redirect) PublishedCertificates() []EndpointCertificate {
	var cs []EndpointCertificate
	for i, der := range r.certificates() {
		v := r.validity(i)
		cs = append(cs, EndpointCertificate{Type: r.typeCode(i), Description: r.description(i), Certificate: der, MimeCode: r.mimeCode(i),
			Activation: v.Activation, Expiration: v.Expiration})
	}
	return cs
}

// redirectJSON is the JSON form a Redirect is read from: its fields
// (redirectFields, a Redirect without its UnmarshalJSON) and the one
// certificate of before Certificates.
type redirectJSON struct {
	redirectFields
	Certificate []byte `json:"certificate"`
}

type redirectFields Redirect

// UnmarshalJSON reads a Redirect, also as it was stored before it held
// several certificates (one "certificate", which comes first in
// Certificates). A member whose name is not exactly that of a field
// (encoding/json would match it without regard to case), or that it does
// not know at all, is an error, so that a misspelt "certificates" is not
// silently a redirect without a signer check.
func (r *Redirect) UnmarshalJSON(b []byte) error {
	var v redirectJSON
	if err := decodeExact(b, &v); err != nil {
		return fmt.Errorf("smp: redirect: %w", err)
	}
	*r = Redirect(v.redirectFields)
	if len(v.Certificate) > 0 {
		r.Certificates = append([][]byte{v.Certificate}, v.Certificates...)
		if len(v.Validity) > 0 {
			r.Validity = append([]Validity{{}}, v.Validity...)
		}
		if len(v.MimeCodes) > 0 {
			r.MimeCodes = append([]string{""}, v.MimeCodes...)
		}
		if len(v.Types) > 0 {
			r.Types = append([]string{""}, v.Types...)
		}
		if len(v.Descriptions) > 0 {
			r.Descriptions = append([]string{""}, v.Descriptions...)
		}
	}
	return nil
}

// certificates returns r's certificates; none when r is nil.
func (r *Redirect) certificates() [][]byte {
	if r == nil {
		return nil
	}
	return r.Certificates
}

// equal reports whether r and o redirect alike, and are written alike (a
// certificate's mimeCode empty or MimeCodeDefault is written as the
// latter, its TypeCode empty or CertificateSigning as the latter).
func (r *Redirect) equal(o *Redirect) bool {
	if r == nil || o == nil {
		return r == o
	}
	if r.URL != o.URL || r.CertificateUID != o.CertificateUID || !slices.EqualFunc(r.Certificates, o.Certificates, bytes.Equal) {
		return false
	}
	for i := range max(len(r.Validity), len(o.Validity)) {
		a, b := r.validity(i), o.validity(i)
		if !sameInstant(a.Activation, b.Activation) || !sameInstant(a.Expiration, b.Expiration) {
			return false
		}
	}
	for i := range max(len(r.MimeCodes), len(o.MimeCodes)) {
		if r.mimeCode(i) != o.mimeCode(i) {
			return false
		}
	}
	for i := range max(len(r.Types), len(o.Types)) {
		if r.typeCode(i) != o.typeCode(i) {
			return false
		}
	}
	for i := range max(len(r.Descriptions), len(o.Descriptions)) {
		if r.description(i) != o.description(i) {
			return false
		}
	}
	return true
}

// redirectFor returns the redirect a client follows to resolve process:
// the whole document's (Redirect), else that of the process's entry
// (Process.Redirect), else, when no entry names the process, that of an
// entry for any process (empty ID); nil when the process's endpoints are
// here.
func (m *ServiceMetadata) redirectFor(process ID) *Redirect {
	if m.Redirect != nil {
		return m.Redirect
	}
	var listed bool
	var anyProcess *Redirect
	for i := range m.Processes {
		p := &m.Processes[i]
		switch {
		case p.ID == process:
			if p.Redirect != nil {
				return p.Redirect
			}
			listed = true
		case p.ID.Value == "" && p.Redirect != nil:
			anyProcess = p.Redirect
		}
	}
	if listed {
		return nil
	}
	return anyProcess
}

// Validate checks what the server needs to publish m, in every flavour:
// SMP 1.0 and Peppol documents cannot redirect single processes, so a
// process with a redirect is left out of them, and when every process has
// one, the document redirects as a whole, which requires the same
// redirect for all.
func (m *ServiceMetadata) Validate() error {
	if m.Participant.Value == "" || m.DocumentType.Value == "" {
		return fmt.Errorf("%w: participant and document type are required", ErrIdentifier)
	}
	if m.Redirect != nil {
		if len(m.Processes) != 0 {
			return errors.New("smp: service metadata has both processes and a redirect")
		}
		if _, err := url.Parse(m.Redirect.URL); err != nil || m.Redirect.URL == "" {
			return fmt.Errorf("smp: redirect URL %q is not a URL", m.Redirect.URL)
		}
		return m.Redirect.validate()
	}
	if len(m.Processes) == 0 {
		return errors.New("smp: service metadata without a process")
	}
	redirected := map[ID]bool{}
	served, differ := false, false
	for i, p := range m.Processes {
		if p.ID.Value == "" {
			return fmt.Errorf("%w: process %d has no identifier", ErrIdentifier, i+1)
		}
		if r, ok := redirected[p.ID]; ok && (r || p.Redirect != nil) {
			return fmt.Errorf("smp: process %s is listed twice, and redirected in one of them", p.ID)
		}
		redirected[p.ID] = p.Redirect != nil
		if p.Redirect != nil {
			if len(p.Endpoints) != 0 {
				return fmt.Errorf("smp: process %s has both endpoints and a redirect", p.ID)
			}
			if _, err := url.Parse(p.Redirect.URL); err != nil || p.Redirect.URL == "" {
				return fmt.Errorf("smp: the redirect URL %q of process %s is not a URL", p.Redirect.URL, p.ID)
			}
			if err := p.Redirect.validate(); err != nil {
				return fmt.Errorf("%w (process %s)", err, p.ID)
			}
			differ = differ || !p.Redirect.equal(m.Processes[0].Redirect)
			continue
		}
		served = true
		if len(p.Endpoints) == 0 {
			return fmt.Errorf("smp: process %s has no endpoint", p.ID)
		}
		for _, e := range p.Endpoints {
			if e.TransportProfile == "" {
				return fmt.Errorf("smp: an endpoint of process %s has no transport profile", p.ID)
			}
			if u, err := url.Parse(e.URL); err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("smp: endpoint URL %q of process %s is not an absolute URL", e.URL, p.ID)
			}
			if len(e.Certificate) == 0 {
				return fmt.Errorf("smp: the %s endpoint of process %s has no certificate", e.TransportProfile, p.ID)
			}
			if !e.validity().ordered() {
				return fmt.Errorf("smp: the %s endpoint of process %s is activated %s, not before it expires %s", e.TransportProfile, p.ID, e.Activation, e.Expiration)
			}
			for j, c := range e.Certificates {
				if len(c.Certificate) == 0 {
					return fmt.Errorf("smp: certificate %d of the %s endpoint of process %s is empty", j+1, e.TransportProfile, p.ID)
				}
				if !c.validity().ordered() {
					return fmt.Errorf("smp: certificate %d of the %s endpoint of process %s is activated %s, not before it expires %s", j+1, e.TransportProfile, p.ID, c.Activation, c.Expiration)
				}
				if c.MimeCode != "" {
					if _, _, err := mime.ParseMediaType(c.MimeCode); err != nil {
						return fmt.Errorf("smp: certificate %d of the %s endpoint of process %s has the mimeCode %q, not a media type: %v", j+1, e.TransportProfile, p.ID, c.MimeCode, err)
					}
				}
			}
			if len(e.Certificates) > 0 && !slices.ContainsFunc(e.Certificates, func(c EndpointCertificate) bool { return bytes.Equal(c.Certificate, e.Certificate) }) {
				return fmt.Errorf("smp: the certificate of the %s endpoint of process %s (the one in use, which SMP 1.0 and Peppol documents publish) is not among its certificates", e.TransportProfile, p.ID)
			}
		}
	}
	if !served && differ {
		return errors.New("smp: every process is redirected, not all alike: an SMP 1.0 or Peppol document can only redirect the whole document type (give the processes one redirect, or one process endpoints)")
	}
	return nil
}

// validate checks that r's validity windows, mimeCodes, TypeCodes and
// descriptions are of its certificates, each mimeCode a media type or
// empty, and each TypeCode and description one read back as given.
func (r *Redirect) validate() error {
	for _, l := range []struct {
		name string
		n    int
	}{{"validity windows", len(r.Validity)}, {"mimeCodes", len(r.MimeCodes)}, {"TypeCodes", len(r.Types)}, {"descriptions", len(r.Descriptions)}} {
		if l.n > len(r.Certificates) {
			return fmt.Errorf("smp: the redirect to %s has %d %s for %d certificates", r.URL, l.n, l.name, len(r.Certificates))
		}
	}
	for i, v := range r.Validity {
		if !v.ordered() {
			return fmt.Errorf("smp: certificate %d of the redirect to %s is activated %s, not before it expires %s", i+1, r.URL, v.Activation, v.Expiration)
		}
	}
	for i, m := range r.MimeCodes {
		if m != "" {
			if _, _, err := mime.ParseMediaType(m); err != nil {
				return fmt.Errorf("smp: certificate %d of the redirect to %s has the mimeCode %q, not a media type: %v", i+1, r.URL, m, err)
			}
		}
	}
	for i, t := range r.Types {
		if why := textProblem(t, true); why != "" {
			return fmt.Errorf("smp: certificate %d of the redirect to %s has the TypeCode %q, %s", i+1, r.URL, t, why)
		}
	}
	for i, d := range r.Descriptions {
		if why := textProblem(d, false); why != "" {
			return fmt.Errorf("smp: certificate %d of the redirect to %s has the description %q, %s", i+1, r.URL, d, why)
		}
	}
	return nil
}

// textProblem says why s, the text of an SMP 2.0 element, would not be
// read back as given: a character XML 1.0 cannot carry (§2.2 Char), white
// space at either end (the reader trims it), or with normalized
// (xsd:normalizedString), a tab or line break, which a reader takes for
// a space. It is "" when s would be.
func textProblem(s string, normalized bool) string {
	if !utf8.ValidString(s) {
		return "not UTF-8"
	}
	for _, r := range s {
		switch {
		case !xmlChar(r):
			return fmt.Sprintf("with the character %U, which XML cannot carry", r)
		case normalized && (r == '\t' || r == '\n' || r == '\r'):
			return fmt.Sprintf("with the character %U, which xsd:normalizedString reads as a space", r)
		}
	}
	if strings.TrimSpace(s) != s {
		return "with white space at an end, which a reader drops"
	}
	return ""
}

// xmlChar reports whether r is an XML 1.0 character (§2.2 Char).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD ||
		0x10000 <= r && r <= 0x10FFFF
}

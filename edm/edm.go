// Package edm implements the OOTS Exchange Data Model (EDM) and the SDG
// Generic Metadata Profile on top of RegRep 4 (package regrep): every message
// of the Once-Only Technical System as a typed Go value, for EDM 1.x
// (oots-edm:v1.0, v1.1, v1.2) and 2.0 (oots-edm:v2.0), and the answers of the
// Common Services (oots-cs:v1, oots-cs:v2.0).
//
// Messages (SPEC.md §2.2–§2.5, §3.2–§3.5 and the 2.0 deltas of §6):
//
//   - [QueryRequest]: the evidence request (EDM-REQ);
//   - [QueryResponse]: the evidence response (EDM-RESP), with the 1.x flat
//     list of evidence objects or the 2.0 RegistryPackage with MainEvidence,
//     Annex, HumanReadableVersion and Translation;
//   - [ErrorResponse]: the error responses of the evidence exchange (EDM-ERR),
//     the Evidence Broker (EB-ERR) and the Data Service Directory (DSD-ERR,
//     including DSD:ERR:0005 with its slots);
//   - [ServiceResponse]: the Evidence Broker answers (EB-REQ requirements,
//     EB-EVI evidence type lists) and the DSD answer (DSD-RESP);
//   - [SubmitObjectsRequest]: LCM submissions to the EB (EB-SUB) and the DSD
//     (DSD-SUB);
//   - [RegistryResponse]: LCM answers (LCM-SUC, LCM-ERR);
//   - [Header]: an ebMS3 eb:Messaging header document (EBMS), recognised but
//     not modelled here (that belongs to the AS4 layer).
//
// [Parse] screens the document (no DTD, size, depth and element limits),
// detects the kind and specification version ([Detect]), builds the typed
// message and returns structural and code-list findings. Each message's
// Marshal writes it back deterministically with the conventional prefixes
// (query, rim, rs, lcm, sdg, xlink, xsi); for a valid message the result
// equals the input after exclusive canonicalisation. Builders (NewQueryRequest,
// …) refuse to produce a message that lacks a required part.
//
// The 2.0 vocabulary: sdg:Format repeats in a 2.0 DistributedAs or
// Distribution (Distribution.Format holds the first, MoreFormats the others;
// 1.x keeps exactly one, and one DistributedAs per request), sdg:Gender is a
// code of the Gender list (the XSD enumeration in 1.x), an Identifier of
// schemeID "eidas2" selects the EUDI identity profile (SchemeEIDAS2), and
// EB:ERR:0004 does not exist in 2.0 (ErrorCode.In). [Check] judges these by
// the message's version. Not implemented: the official 2.0.1 texts of the
// eidas2 rules on BirthName and Gender are not public here, so those checks
// are warnings.
//
// The package never imports the transport.
package edm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Kind is the kind of an OOTS message, named after the official Schematron
// rule-file groups of the TDD.
type Kind string

// Message kinds.
const (
	KindEvidenceRequest  Kind = "EDM-REQ"
	KindEvidenceResponse Kind = "EDM-RESP"
	KindEvidenceError    Kind = "EDM-ERR"
	KindEBRequirements   Kind = "EB-REQ"
	KindEBEvidenceTypes  Kind = "EB-EVI"
	KindEBError          Kind = "EB-ERR"
	KindEBSubmission     Kind = "EB-SUB"
	KindDSDResponse      Kind = "DSD-RESP"
	KindDSDError         Kind = "DSD-ERR"
	KindDSDSubmission    Kind = "DSD-SUB"
	KindLCMSuccess       Kind = "LCM-SUC"
	KindLCMError         Kind = "LCM-ERR"
	KindEBMSHeader       Kind = "EBMS"
)

// Version is a specification version: the EDM version of an evidence
// exchange message (SpecificationIdentifier slot or ebMS SpecificationId
// property) or the Common Services interface version.
type Version string

// Specification versions.
//
// Common Services answers carry no SpecificationIdentifier before 2.0; their
// version is inferred from content: an answer is oots-cs:v2.0 when it has the
// slot SpecificationIdentifier = oots-cs:v2.0, or uses a 2.0-only construct
// (sdg:Jurisdiction in an EvidenceTypeList, AdditionalJurisdictionClassification,
// an AccessService Name, a Publisher Description, an SR "datamodels/" URI);
// otherwise it is oots-cs:v1. LCM messages carry no version marker at all
// and are reported as oots-cs:v1. An ebMS header without a SpecificationId
// property (EDM 1.x) has the empty Version.
const (
	V1_0  Version = "oots-edm:v1.0"
	V1_1  Version = "oots-edm:v1.1"
	V1_2  Version = "oots-edm:v1.2"
	V2_0  Version = "oots-edm:v2.0"
	CSv1  Version = "oots-cs:v1"
	CSv20 Version = "oots-cs:v2.0"
)

// Is2 reports whether v is a 2.0 version (EDM or Common Services).
func (v Version) Is2() bool { return v == V2_0 || v == CSv20 }

// IsEDM reports whether v is an EDM version (oots-edm:v1.0 … v2.0).
func (v Version) IsEDM() bool {
	switch v {
	case V1_0, V1_1, V1_2, V2_0:
		return true
	}
	return false
}

// Known reports whether v is one of the versions above.
func (v Version) Known() bool {
	switch v {
	case V1_0, V1_1, V1_2, V2_0, CSv1, CSv20:
		return true
	}
	return false
}

// Message is a parsed or built OOTS message.
type Message interface {
	// Kind returns the message kind.
	Kind() Kind
	// Version returns the specification version the message follows.
	Version() Version
	// Element writes the message as a tree with the conventional prefixes.
	Element() (*xmltree.Element, error)
	// Marshal writes the message as an indented XML document. It fails when
	// a required part is missing.
	Marshal() ([]byte, error)
}

// Errors returned by Detect and Parse (besides the *xmltree.SyntaxError of
// a document that is not well-formed or breaks the limits).
var (
	// ErrNotOOTS: the document element is not an OOTS message.
	ErrNotOOTS = errors.New("edm: not an OOTS message")
	// ErrUnknownKind: a RegRep message whose OOTS kind cannot be told.
	ErrUnknownKind = errors.New("edm: cannot tell the kind of message")
)

// Limits returns the screening limits Parse applies: 16 MiB, 64 levels,
// 200,000 elements, 64 attributes per element. OOTS messages carry their
// evidence as attachments, so the XML itself is small (the full EB catalogue
// of the acceptance environment is 0.6 MB).
func Limits() xmltree.Limits {
	return xmltree.Limits{MaxBytes: 16 << 20, MaxDepth: 64, MaxElements: 200_000, MaxAttrs: 64}
}

// Parse reads one OOTS message: it screens the XML, detects kind and
// version, builds the typed message and checks it. Findings describe what is
// wrong with a message that could be read; the error is a *xmltree.SyntaxError
// (wrapping ErrDTD, ErrTooLarge, ErrTooDeep…), ErrNotOOTS or ErrUnknownKind
// when there is no message to speak of.
func Parse(r io.Reader) (Message, []check.Finding, error) {
	lim := Limits()
	doc, err := xmltree.Parse(r, &lim)
	if err != nil {
		return nil, nil, err
	}
	return ParseDocument(doc)
}

// ParseBytes is Parse on a document held in memory.
func ParseBytes(b []byte) (Message, []check.Finding, error) { return Parse(bytes.NewReader(b)) }

// ParseDocument is Parse on an already screened document.
func ParseDocument(doc *xmltree.Document) (Message, []check.Finding, error) {
	kind, version, err := Detect(doc)
	if err != nil {
		return nil, nil, err
	}
	if kind == KindEBMSHeader {
		return &Header{root: doc.Root.Copy(), version: version}, nil, nil
	}
	rm, findings, err := regrep.Parse(doc.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotOOTS, err)
	}
	d := &sdgDecoder{findings: findings}
	var m Message
	switch kind {
	case KindEvidenceRequest:
		m = decodeQueryRequest(d, rm.(*regrep.QueryRequest), version)
	case KindEvidenceResponse:
		m = decodeQueryResponse(d, rm.(*regrep.QueryResponse), version)
	case KindEvidenceError, KindEBError, KindDSDError:
		m = decodeErrorResponse(d, rm.(*regrep.QueryResponse), kind, version)
	case KindEBRequirements, KindEBEvidenceTypes, KindDSDResponse:
		m = decodeServiceResponse(d, rm.(*regrep.QueryResponse), kind, version)
	case KindEBSubmission, KindDSDSubmission:
		m = decodeSubmit(d, rm.(*regrep.SubmitObjectsRequest), kind, version)
	case KindLCMSuccess, KindLCMError:
		m = decodeRegistryResponse(d, rm.(*regrep.RegistryResponse), kind, version)
	}
	d.findings = append(d.findings, Check(m)...)
	return m, d.findings, nil
}

// namespace of the ebMS3 header.
const namespaceEB = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"

// Detect tells the kind and specification version of a document from its
// structure, matching names by namespace URI (SPEC.md §2–§3). See Version
// for how Common Services and LCM versions are inferred.
func Detect(doc *xmltree.Document) (Kind, Version, error) {
	root := doc.Root
	if root == nil {
		return "", "", ErrNotOOTS
	}
	switch {
	case root.Is(namespaceEB, "Messaging"):
		var v Version
		root.Walk(func(e *xmltree.Element) bool {
			if e.Is(namespaceEB, "Property") && e.SelectAttr("", "name") == "SpecificationId" {
				v = Version(strings.TrimSpace(e.Text()))
			}
			return true
		})
		return KindEBMSHeader, v, nil
	case root.Is(regrep.NamespaceQuery, "QueryRequest"):
		return KindEvidenceRequest, specSlot(root), nil
	case root.Is(regrep.NamespaceRS, "RegistryResponse"):
		if strings.HasSuffix(root.SelectAttr("", "status"), ":Success") {
			return KindLCMSuccess, CSv1, nil
		}
		return KindLCMError, CSv1, nil
	case root.Is(regrep.NamespaceLCM, "SubmitObjectsRequest"):
		return detectSubmit(root)
	case root.Is(regrep.NamespaceQuery, "QueryResponse"):
		return detectResponse(root)
	}
	return "", "", fmt.Errorf("%w: document element %s", ErrNotOOTS, root.Name)
}

// specSlot returns the SpecificationIdentifier slot value of a message.
func specSlot(root *xmltree.Element) Version {
	for _, s := range root.ChildrenNamed(regrep.NamespaceRIM, "Slot") {
		if s.SelectAttr("", "name") != "SpecificationIdentifier" {
			continue
		}
		if v := s.Child(regrep.NamespaceRIM, "SlotValue"); v != nil {
			if val := v.Child(regrep.NamespaceRIM, "Value"); val != nil {
				return Version(strings.TrimSpace(val.Text()))
			}
		}
	}
	return ""
}

func detectResponse(root *xmltree.Element) (Kind, Version, error) {
	spec := specSlot(root)
	edmVersion := strings.HasPrefix(string(spec), "oots-edm:")
	var slots []string
	for _, s := range root.ChildrenNamed(regrep.NamespaceRIM, "Slot") {
		slots = append(slots, s.SelectAttr("", "name"))
	}
	has := func(name string) bool {
		for _, s := range slots {
			if s == name {
				return true
			}
		}
		return false
	}
	if exc := root.Child(regrep.NamespaceRS, "Exception"); exc != nil || strings.HasSuffix(root.SelectAttr("", "status"), ":Failure") {
		code := ""
		if exc != nil {
			code = exc.SelectAttr("", "code")
		}
		switch {
		case strings.HasPrefix(code, "EDM:") || edmVersion || has("ErrorProvider"):
			return KindEvidenceError, spec, nil
		case strings.HasPrefix(code, "EB:"):
			return KindEBError, csVersion(root, spec), nil
		case strings.HasPrefix(code, "DSD:"):
			return KindDSDError, csVersion(root, spec), nil
		}
		return "", "", fmt.Errorf("%w: error response with exception code %q", ErrUnknownKind, code)
	}
	if edmVersion || has("EvidenceResponseIdentifier") {
		return KindEvidenceResponse, spec, nil
	}
	var kind Kind
	if list := root.Child(regrep.NamespaceRIM, "RegistryObjectList"); list != nil {
		for _, o := range list.ChildrenNamed(regrep.NamespaceRIM, "RegistryObject") {
			for _, s := range o.ChildrenNamed(regrep.NamespaceRIM, "Slot") {
				switch s.SelectAttr("", "name") {
				case "DataServiceEvidenceType":
					kind = KindDSDResponse
				case "Requirement":
					if kind == "" {
						kind = KindEBRequirements
					}
					s.Walk(func(e *xmltree.Element) bool {
						if e.Is(NamespaceSDG, "EvidenceTypeList") {
							kind = KindEBEvidenceTypes
						}
						return true
					})
				}
			}
		}
	}
	if kind == "" {
		return "", "", fmt.Errorf("%w: success response without evidence, requirement or data service objects", ErrUnknownKind)
	}
	return kind, csVersion(root, spec), nil
}

// csVersion infers the Common Services version (see Version).
func csVersion(root *xmltree.Element, spec Version) Version {
	if spec != "" {
		return spec
	}
	v2 := false
	root.Walk(func(e *xmltree.Element) bool {
		if v2 {
			return false
		}
		if e.Space == NamespaceSDG {
			p := e.Parent()
			switch {
			case e.Local == "AdditionalJurisdictionClassification",
				e.Local == "Jurisdiction" && p != nil && p.Is(NamespaceSDG, "EvidenceTypeList"),
				e.Local == "Name" && p != nil && p.Is(NamespaceSDG, "AccessService"),
				e.Local == "Description" && p != nil && p.Is(NamespaceSDG, "Publisher"),
				e.Local == "ConformsTo" && strings.Contains(e.Text(), "/datamodels/"):
				v2 = true
			}
		}
		return true
	})
	if v2 {
		return CSv20
	}
	return CSv1
}

func detectSubmit(root *xmltree.Element) (Kind, Version, error) {
	var kind Kind
	root.Walk(func(e *xmltree.Element) bool {
		switch {
		case e.Is(regrep.NamespaceRIM, "Classification"):
			scheme := e.SelectAttr("", "classificationScheme")
			switch {
			case strings.HasSuffix(scheme, ":dsd"):
				kind = KindDSDSubmission
			case strings.HasSuffix(scheme, ":eb") && kind == "":
				kind = KindEBSubmission
			}
		case e.Is(regrep.NamespaceRIM, "Slot") && kind == "":
			switch e.SelectAttr("", "name") {
			case "DataServiceEvidenceType", "DataServiceEvidenceProvider", "EvidenceProvider":
				kind = KindDSDSubmission
			case "Requirement", "EvidenceType", "EvidenceTypeList", "ReferenceFramework":
				kind = KindEBSubmission
			}
		}
		return true
	})
	if kind == "" {
		return "", "", fmt.Errorf("%w: LCM submission without EB or DSD objects", ErrUnknownKind)
	}
	return kind, CSv1, nil
}

// Header is an ebMS3 eb:Messaging header document (kind EBMS). The model
// keeps it as a tree: modelling the header is the AS4 layer's work, so
// Marshal is a plain tree round trip.
type Header struct {
	root    *xmltree.Element
	version Version
}

// Kind returns KindEBMSHeader.
func (h *Header) Kind() Kind { return KindEBMSHeader }

// Version returns the SpecificationId property, or "" when absent (EDM 1.x).
func (h *Header) Version() Version { return h.version }

// Element returns a copy of the header tree.
func (h *Header) Element() (*xmltree.Element, error) { return h.root.Copy(), nil }

// Marshal writes the header tree back.
func (h *Header) Marshal() ([]byte, error) { return marshal(h) }

// marshal writes a message as an indented document.
func marshal(m Message) ([]byte, error) {
	el, err := m.Element()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, el, xmltree.WriteOptions{Declaration: true, Indent: "  "}); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

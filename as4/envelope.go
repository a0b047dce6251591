package as4

import (
	"errors"
	"io"

	"github.com/oots-go/oots/xmltree"
)

// DefaultEnvelopeLimits returns the limits ParseEnvelope applies when given
// none (and a Receiver without EnvelopeLimits): an AS4 envelope carries only
// headers (payloads travel as attachments), so the limits are small. Each
// call returns a new value: a program that loosens the limits of one
// receiver does not loosen them for the others.
func DefaultEnvelopeLimits() xmltree.Limits {
	return xmltree.Limits{MaxBytes: 4 << 20, MaxDepth: 64, MaxElements: 20_000, MaxAttrs: 64}
}

// NewEnvelope returns a SOAP 1.2 envelope (SOAP 1.2 Part 1 §5) whose header
// carries m as eb:Messaging with S12:mustUnderstand="true" (ebMS3 Core §5.2.1)
// and whose Body is empty: AS4 payloads travel only as attachments (eDelivery
// AS4 profile, SPEC.md §4.1).
func NewEnvelope(m *Messaging) *xmltree.Document {
	env := xmltree.NewElement(NamespaceSOAP12, "S12", "Envelope")
	env.DeclareNS("S12", NamespaceSOAP12)
	hdr := env.AddElement(NamespaceSOAP12, "S12", "Header")
	me := m.Element()
	if _, ok := me.AttrValue(NamespaceSOAP12, "mustUnderstand"); !ok {
		me.SetAttr(NamespaceSOAP12, "S12", "mustUnderstand", "true")
	}
	hdr.AddChild(me)
	env.AddElement(NamespaceSOAP12, "S12", "Body")
	return &xmltree.Document{Root: env, Children: []xmltree.Node{env}}
}

// Envelope is a parsed SOAP 1.2 envelope, before any security processing.
// Nothing in it is verified: only Unpack's result is.
type Envelope struct {
	Doc       *xmltree.Document
	Header    *xmltree.Element
	Messaging *xmltree.Element // the one eb:Messaging header block
	Body      *xmltree.Element
}

// ParseEnvelope reads a SOAP 1.2 envelope within lim (nil:
// DefaultEnvelopeLimits) and finds its eb:Messaging header. A document that is not well-formed, is beyond the
// limits, has a DTD, is not a SOAP 1.2 envelope or has zero or several
// eb:Messaging blocks is an *Error with code EBMS:0009 InvalidHeader (a SOAP
// 1.1 envelope is EBMS:0008: AS4 uses SOAP 1.2 only).
func ParseEnvelope(r io.Reader, lim *xmltree.Limits) (*Envelope, error) {
	l := DefaultEnvelopeLimits()
	if lim != nil {
		l = *lim
	}
	doc, err := xmltree.Parse(r, &l)
	if err != nil {
		var se *xmltree.SyntaxError
		if errors.As(err, &se) {
			return nil, wrapErr(InvalidHeader, err, "SOAP envelope rejected")
		}
		return nil, wrapErr(InvalidHeader, err, "reading SOAP envelope")
	}
	return EnvelopeOf(doc)
}

// EnvelopeOf finds the parts of a parsed SOAP 1.2 envelope; see ParseEnvelope.
func EnvelopeOf(doc *xmltree.Document) (*Envelope, error) {
	root := doc.Root
	if root.Is("http://schemas.xmlsoap.org/soap/envelope/", "Envelope") {
		return nil, Errorf(FeatureNotSupportedPackaging, "SOAP 1.1 envelope: AS4 requires SOAP 1.2")
	}
	if !root.Is(NamespaceSOAP12, "Envelope") {
		return nil, Errorf(InvalidHeader, "root element %s is not a SOAP 1.2 Envelope", root.Name)
	}
	e := &Envelope{Doc: doc}
	kids := root.Elements()
	if len(kids) == 2 && kids[0].Is(NamespaceSOAP12, "Header") && kids[1].Is(NamespaceSOAP12, "Body") {
		e.Header, e.Body = kids[0], kids[1]
	} else {
		return nil, Errorf(InvalidHeader, "SOAP envelope must hold exactly S12:Header then S12:Body")
	}
	ms := e.Header.ChildrenNamed(NamespaceEB, "Messaging")
	switch len(ms) {
	case 0:
		return nil, Errorf(InvalidHeader, "no eb:Messaging header block")
	case 1:
		e.Messaging = ms[0]
	default:
		return nil, Errorf(InvalidHeader, "%d eb:Messaging header blocks", len(ms))
	}
	return e, nil
}

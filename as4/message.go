package as4

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/xmltree"
)

// Messaging is the eb:Messaging SOAP header block (ebMS3 Core §5.2.1). AS4
// carries at most one UserMessage per message (AS4 profile, ebHandler conformance profile).
type Messaging struct {
	// Attr holds the attributes of eb:Messaging other than namespace
	// declarations (S12:mustUnderstand, wsu:Id, xsi:schemaLocation …), in
	// document order, so that a parsed header marshals back unchanged.
	Attr           []xmltree.Attr
	UserMessage    *UserMessage
	SignalMessages []*SignalMessage
}

// UserMessage is eb:UserMessage (ebMS3 Core §5.2.2).
type UserMessage struct {
	MPC               string // @mpc; "" means the default MPC
	MessageInfo       MessageInfo
	PartyInfo         PartyInfo
	CollaborationInfo CollaborationInfo
	MessageProperties []Property // nil: no eb:MessageProperties element
	PayloadInfo       []PartInfo // nil: no eb:PayloadInfo element
}

// MessageInfo is eb:MessageInfo (ebMS3 Core §5.2.2.1).
type MessageInfo struct {
	Timestamp      time.Time
	MessageID      string
	RefToMessageID string

	// timestampText is the eb:Timestamp as parsed, written back while it
	// still denotes Timestamp (so that parse→marshal is lossless).
	timestampText string
}

// PartyInfo is eb:PartyInfo (ebMS3 Core §5.2.2.2–5.2.2.5).
type PartyInfo struct {
	From, To Party
}

// Party is eb:From or eb:To: one or more typed party identifiers and a role.
type Party struct {
	PartyIDs []PartyID
	Role     string
}

// PartyID is eb:PartyId with its optional @type.
type PartyID struct {
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

// CollaborationInfo is eb:CollaborationInfo (ebMS3 Core §5.2.2.6–5.2.2.11).
type CollaborationInfo struct {
	AgreementRef   *AgreementRef // nil: no eb:AgreementRef
	Service        Service
	Action         string
	ConversationID string
}

// AgreementRef is eb:AgreementRef with its optional @type and @pmode.
type AgreementRef struct {
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
	PMode string `json:"pmode,omitempty"`
}

// Service is eb:Service with its optional @type.
type Service struct {
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
}

// Property is eb:Property of MessageProperties or PartProperties, with the
// optional @type of the "ebms-header-3_0-200704 with property type attribute"
// schema that OOTS uses.
type Property struct {
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

// PartInfo is eb:PartInfo (ebMS3 Core §5.2.2.13). Properties nil means no
// eb:PartProperties element.
type PartInfo struct {
	Href       string
	Properties []Property
}

// Part properties of the AS4 compression feature (AS4 profile, "AS4 Compression").
const (
	PropMimeType        = "MimeType"
	PropCharacterSet    = "CharacterSet"
	PropCompressionType = "CompressionType"
)

// Property returns the value of the named property and whether it is there.
func (p *PartInfo) Property(name string) (string, bool) {
	return lookup(p.Properties, name)
}

// ContentID returns the content-id of the href as written ("cid:", in any
// case, removed; not percent-decoded), or "" when the href is not a cid:
// URI. A receiver matches an href with the attachments by swa.ResolveCID,
// which also tries the percent-decoded form (RFC 2392).
func (p *PartInfo) ContentID() string {
	s, _ := swa.CutCID(p.Href)
	return s
}

// Property returns the value of the named message property.
func (u *UserMessage) Property(name string) (string, bool) {
	return lookup(u.MessageProperties, name)
}

func lookup(ps []Property, name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// SignalMessage is eb:SignalMessage (ebMS3 Core §5.2.3) carrying a Receipt
// or Errors (pull requests are not supported: OOTS uses push only).
type SignalMessage struct {
	MessageInfo MessageInfo
	Receipt     *Receipt
	Errors      []*Error
}

// Receipt is eb:Receipt. AS4 receipts with non-repudiation carry an
// ebbp:NonRepudiationInformation with one MessagePartNRInformation per
// reference signed in the acknowledged message (AS4 profile, receipts; ebBP signals 2.0).
type Receipt struct {
	NonRepudiation []Reference
	// Other holds any other content (for example the copy of eb:UserMessage
	// of a receipt without non-repudiation), copied as it was.
	Other []*xmltree.Element
}

// Reference is one ds:Reference of a signature, as a receipt repeats it.
type Reference struct {
	URI          string
	Transforms   []string // transform algorithm URIs, in order
	DigestMethod string
	DigestValue  []byte
}

// timestampLayout writes eb:Timestamp in UTC with milliseconds, as the OOTS
// samples and the major AS4 implementations do.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// ParseMessaging reads an eb:Messaging element. Anything that does not fit
// the ebMS3 header schema is an *Error with code EBMS:0009 InvalidHeader
// naming the element. Marshalling the result (Messaging.Element) gives the
// same exclusive canonical form, up to insignificant whitespace, except for
// eb:PartInfo/eb:Schema and eb:PartInfo/eb:Description, which are accepted
// and dropped (OOTS uses neither).
func ParseMessaging(el *xmltree.Element) (*Messaging, error) {
	if el == nil || !el.Is(NamespaceEB, "Messaging") {
		return nil, Errorf(InvalidHeader, "no eb:Messaging header")
	}
	m := &Messaging{Attr: append([]xmltree.Attr(nil), el.Attr...)}
	for _, c := range el.Elements() {
		switch {
		case c.Is(NamespaceEB, "UserMessage"):
			if m.UserMessage != nil {
				return nil, Errorf(InvalidHeader, "%s: more than one eb:UserMessage", c.Path())
			}
			um, err := parseUserMessage(c)
			if err != nil {
				return nil, err
			}
			m.UserMessage = um
		case c.Is(NamespaceEB, "SignalMessage"):
			sm, err := parseSignalMessage(c)
			if err != nil {
				return nil, err
			}
			m.SignalMessages = append(m.SignalMessages, sm)
		default:
			return nil, Errorf(InvalidHeader, "%s: unexpected element %s", c.Path(), c.Name)
		}
	}
	if m.UserMessage == nil && len(m.SignalMessages) == 0 {
		return nil, Errorf(InvalidHeader, "%s: neither eb:UserMessage nor eb:SignalMessage", el.Path())
	}
	return m, nil
}

// reader walks the children of an element in schema order.
type reader struct {
	parent *xmltree.Element
	kids   []*xmltree.Element
	err    error
}

func newReader(el *xmltree.Element) *reader { return &reader{parent: el, kids: el.Elements()} }

// opt returns the next child if it is eb:local.
func (r *reader) opt(local string) *xmltree.Element {
	if r.err != nil || len(r.kids) == 0 || !r.kids[0].Is(NamespaceEB, local) {
		return nil
	}
	c := r.kids[0]
	r.kids = r.kids[1:]
	return c
}

// req returns the next child, which must be eb:local.
func (r *reader) req(local string) *xmltree.Element {
	c := r.opt(local)
	if c == nil && r.err == nil {
		r.err = Errorf(InvalidHeader, "%s: missing eb:%s", r.parent.Path(), local)
	}
	return c
}

// many returns the following children named eb:local.
func (r *reader) many(local string) []*xmltree.Element {
	var out []*xmltree.Element
	for c := r.opt(local); c != nil; c = r.opt(local) {
		out = append(out, c)
	}
	return out
}

// end checks that no child is left.
func (r *reader) end() error {
	if r.err == nil && len(r.kids) > 0 {
		r.err = Errorf(InvalidHeader, "%s: unexpected element %s", r.kids[0].Path(), r.kids[0].Name)
	}
	return r.err
}

func text(el *xmltree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

func parseUserMessage(el *xmltree.Element) (*UserMessage, error) {
	um := &UserMessage{MPC: el.SelectAttr("", "mpc")}
	r := newReader(el)
	mi := r.req("MessageInfo")
	pi := r.req("PartyInfo")
	ci := r.req("CollaborationInfo")
	mp := r.opt("MessageProperties")
	pl := r.opt("PayloadInfo")
	if err := r.end(); err != nil {
		return nil, err
	}
	var err error
	if um.MessageInfo, err = parseMessageInfo(mi); err != nil {
		return nil, err
	}
	pr := newReader(pi)
	from, to := pr.req("From"), pr.req("To")
	if err := pr.end(); err != nil {
		return nil, err
	}
	if um.PartyInfo.From, err = parseParty(from); err != nil {
		return nil, err
	}
	if um.PartyInfo.To, err = parseParty(to); err != nil {
		return nil, err
	}
	cr := newReader(ci)
	agr, svc, act, conv := cr.opt("AgreementRef"), cr.req("Service"), cr.req("Action"), cr.req("ConversationId")
	if err := cr.end(); err != nil {
		return nil, err
	}
	if agr != nil {
		um.CollaborationInfo.AgreementRef = &AgreementRef{Value: text(agr), Type: agr.SelectAttr("", "type"), PMode: agr.SelectAttr("", "pmode")}
	}
	um.CollaborationInfo.Service = Service{Value: text(svc), Type: svc.SelectAttr("", "type")}
	um.CollaborationInfo.Action = text(act)
	um.CollaborationInfo.ConversationID = text(conv)
	if um.CollaborationInfo.Service.Value == "" || um.CollaborationInfo.Action == "" {
		return nil, Errorf(InvalidHeader, "%s: empty eb:Service or eb:Action", ci.Path())
	}
	if mp != nil {
		if um.MessageProperties, err = parseProperties(mp); err != nil {
			return nil, err
		}
		if um.MessageProperties == nil {
			um.MessageProperties = []Property{}
		}
	}
	if pl != nil {
		lr := newReader(pl)
		parts := lr.many("PartInfo")
		if err := lr.end(); err != nil {
			return nil, err
		}
		um.PayloadInfo = []PartInfo{}
		for _, p := range parts {
			info := PartInfo{Href: p.SelectAttr("", "href")}
			pr := newReader(p)
			_ = pr.opt("Schema") // schema references are accepted and not kept
			_ = pr.opt("Description")
			props := pr.opt("PartProperties")
			if err := pr.end(); err != nil {
				return nil, err
			}
			if props != nil {
				if info.Properties, err = parseProperties(props); err != nil {
					return nil, err
				}
				if info.Properties == nil {
					info.Properties = []Property{}
				}
			}
			um.PayloadInfo = append(um.PayloadInfo, info)
		}
	}
	return um, nil
}

func parseMessageInfo(el *xmltree.Element) (MessageInfo, error) {
	var mi MessageInfo
	r := newReader(el)
	ts, id, ref := r.req("Timestamp"), r.req("MessageId"), r.opt("RefToMessageId")
	if err := r.end(); err != nil {
		return mi, err
	}
	t, err := parseTimestamp(text(ts))
	if err != nil {
		return mi, Errorf(InvalidHeader, "%s: %v", ts.Path(), err)
	}
	mi.Timestamp = t
	mi.timestampText = text(ts)
	mi.MessageID = text(id)
	if mi.MessageID == "" {
		return mi, Errorf(InvalidHeader, "%s: empty eb:MessageId", id.Path())
	}
	mi.RefToMessageID = text(ref)
	return mi, nil
}

// parseTimestamp accepts an xsd:dateTime; one without a zone is UTC, as
// ebMS3 Core §5.2.2.1 requires UTC.
func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("eb:Timestamp %q is not an xsd:dateTime", s)
}

func parseParty(el *xmltree.Element) (Party, error) {
	var p Party
	r := newReader(el)
	ids := r.many("PartyId")
	role := r.req("Role")
	if err := r.end(); err != nil {
		return p, err
	}
	if len(ids) == 0 {
		return p, Errorf(InvalidHeader, "%s: missing eb:PartyId", el.Path())
	}
	for _, id := range ids {
		p.PartyIDs = append(p.PartyIDs, PartyID{Type: id.SelectAttr("", "type"), Value: text(id)})
	}
	p.Role = text(role)
	return p, nil
}

func parseProperties(el *xmltree.Element) ([]Property, error) {
	r := newReader(el)
	ps := r.many("Property")
	if err := r.end(); err != nil {
		return nil, err
	}
	var out []Property
	for _, p := range ps {
		name, ok := p.AttrValue("", "name")
		if !ok {
			return nil, Errorf(InvalidHeader, "%s: eb:Property without @name", p.Path())
		}
		out = append(out, Property{Name: name, Type: p.SelectAttr("", "type"), Value: p.Text()})
	}
	return out, nil
}

func parseSignalMessage(el *xmltree.Element) (*SignalMessage, error) {
	sm := &SignalMessage{}
	kids := el.Elements()
	if len(kids) == 0 || !kids[0].Is(NamespaceEB, "MessageInfo") {
		return nil, Errorf(InvalidHeader, "%s: missing eb:MessageInfo", el.Path())
	}
	var err error
	if sm.MessageInfo, err = parseMessageInfo(kids[0]); err != nil {
		return nil, err
	}
	for _, c := range kids[1:] {
		switch {
		case c.Is(NamespaceEB, "Receipt") && sm.Receipt == nil && len(sm.Errors) == 0:
			if sm.Receipt, err = parseReceipt(c); err != nil {
				return nil, err
			}
		case c.Is(NamespaceEB, "Error") && sm.Receipt == nil:
			e, err := parseError(c)
			if err != nil {
				return nil, err
			}
			sm.Errors = append(sm.Errors, e)
		default:
			return nil, Errorf(InvalidHeader, "%s: unexpected or unsupported signal %s", c.Path(), c.Name)
		}
	}
	if sm.Receipt == nil && len(sm.Errors) == 0 {
		return nil, Errorf(InvalidHeader, "%s: signal without eb:Receipt or eb:Error", el.Path())
	}
	return sm, nil
}

func parseReceipt(el *xmltree.Element) (*Receipt, error) {
	rc := &Receipt{}
	for _, c := range el.Elements() {
		if !c.Is(NamespaceEBBP, "NonRepudiationInformation") {
			rc.Other = append(rc.Other, c.Copy())
			continue
		}
		for _, part := range c.Elements() {
			if !part.Is(NamespaceEBBP, "MessagePartNRInformation") {
				return nil, Errorf(InvalidHeader, "%s: unexpected element %s", part.Path(), part.Name)
			}
			ref := part.Child(NamespaceDS, "Reference")
			if ref == nil {
				return nil, Errorf(InvalidHeader, "%s: missing ds:Reference", part.Path())
			}
			r, err := parseDSReference(ref)
			if err != nil {
				return nil, err
			}
			rc.NonRepudiation = append(rc.NonRepudiation, r)
		}
	}
	return rc, nil
}

func parseDSReference(el *xmltree.Element) (Reference, error) {
	r := Reference{URI: el.SelectAttr("", "URI")}
	if ts := el.Child(NamespaceDS, "Transforms"); ts != nil {
		for _, t := range ts.ChildrenNamed(NamespaceDS, "Transform") {
			r.Transforms = append(r.Transforms, t.SelectAttr("", "Algorithm"))
		}
	}
	dm, dv := el.Child(NamespaceDS, "DigestMethod"), el.Child(NamespaceDS, "DigestValue")
	if dm == nil || dv == nil {
		return r, Errorf(InvalidHeader, "%s: ds:Reference without ds:DigestMethod or ds:DigestValue", el.Path())
	}
	r.DigestMethod = dm.SelectAttr("", "Algorithm")
	v, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(dv.Text()), ""))
	if err != nil {
		return r, Errorf(InvalidHeader, "%s: ds:DigestValue is not base64", dv.Path())
	}
	r.DigestValue = v
	return r, nil
}

func parseError(el *xmltree.Element) (*Error, error) {
	code, _ := el.AttrValue("", "errorCode")
	sev, _ := el.AttrValue("", "severity")
	if code == "" || sev == "" {
		return nil, Errorf(InvalidHeader, "%s: eb:Error needs @errorCode and @severity", el.Path())
	}
	e := &Error{
		Code:                Code(code),
		Severity:            sev,
		Category:            el.SelectAttr("", "category"),
		Origin:              el.SelectAttr("", "origin"),
		ShortDescription:    el.SelectAttr("", "shortDescription"),
		RefToMessageInError: el.SelectAttr("", "refToMessageInError"),
	}
	r := newReader(el)
	d, det := r.opt("Description"), r.opt("ErrorDetail")
	if err := r.end(); err != nil {
		return nil, err
	}
	e.Description = text(d)
	e.Detail = text(det)
	return e, nil
}

// Element marshals m as an eb:Messaging element with the prefix "eb".
// The output depends only on m (deterministic), and parsing it gives m back.
func (m *Messaging) Element() *xmltree.Element {
	el := xmltree.NewElement(NamespaceEB, "eb", "Messaging")
	el.DeclareNS("eb", NamespaceEB)
	el.Attr = append(el.Attr, m.Attr...)
	if um := m.UserMessage; um != nil {
		u := el.AddElement(NamespaceEB, "eb", "UserMessage")
		if um.MPC != "" {
			u.SetAttr("", "", "mpc", um.MPC)
		}
		addMessageInfo(u, um.MessageInfo)
		pi := u.AddElement(NamespaceEB, "eb", "PartyInfo")
		addParty(pi, "From", um.PartyInfo.From)
		addParty(pi, "To", um.PartyInfo.To)
		ci := u.AddElement(NamespaceEB, "eb", "CollaborationInfo")
		if a := um.CollaborationInfo.AgreementRef; a != nil {
			ae := addText(ci, "AgreementRef", a.Value)
			setOpt(ae, "type", a.Type)
			setOpt(ae, "pmode", a.PMode)
		}
		setOpt(addText(ci, "Service", um.CollaborationInfo.Service.Value), "type", um.CollaborationInfo.Service.Type)
		addText(ci, "Action", um.CollaborationInfo.Action)
		addText(ci, "ConversationId", um.CollaborationInfo.ConversationID)
		if um.MessageProperties != nil {
			addProperties(u, "MessageProperties", um.MessageProperties)
		}
		if um.PayloadInfo != nil {
			pl := u.AddElement(NamespaceEB, "eb", "PayloadInfo")
			for _, p := range um.PayloadInfo {
				pe := pl.AddElement(NamespaceEB, "eb", "PartInfo")
				setOpt(pe, "href", p.Href)
				if p.Properties != nil {
					addProperties(pe, "PartProperties", p.Properties)
				}
			}
		}
	}
	for _, sm := range m.SignalMessages {
		s := el.AddElement(NamespaceEB, "eb", "SignalMessage")
		addMessageInfo(s, sm.MessageInfo)
		if rc := sm.Receipt; rc != nil {
			r := s.AddElement(NamespaceEB, "eb", "Receipt")
			if len(rc.NonRepudiation) > 0 {
				nri := r.AddElement(NamespaceEBBP, "ebbp", "NonRepudiationInformation")
				for _, ref := range rc.NonRepudiation {
					addDSReference(nri.AddElement(NamespaceEBBP, "ebbp", "MessagePartNRInformation"), ref)
				}
			}
			for _, o := range rc.Other {
				r.AddChild(o.Copy())
			}
		}
		for _, e := range sm.Errors {
			k := e.Kind()
			ee := s.AddElement(NamespaceEB, "eb", "Error")
			ee.SetAttr("", "", "category", k.Category)
			ee.SetAttr("", "", "errorCode", string(e.Code))
			ee.SetAttr("", "", "origin", k.Origin)
			setOpt(ee, "refToMessageInError", e.RefToMessageInError)
			ee.SetAttr("", "", "severity", k.Severity)
			ee.SetAttr("", "", "shortDescription", k.ShortDescription)
			if k.Description != "" {
				d := addText(ee, "Description", k.Description)
				d.SetAttr(xmltree.NamespaceXML, "xml", "lang", "en")
			}
			if e.Detail != "" {
				addText(ee, "ErrorDetail", e.Detail)
			}
		}
	}
	return el
}

func addMessageInfo(parent *xmltree.Element, mi MessageInfo) {
	e := parent.AddElement(NamespaceEB, "eb", "MessageInfo")
	ts := mi.Timestamp.UTC().Format(timestampLayout)
	if t, err := parseTimestamp(mi.timestampText); err == nil && t.Equal(mi.Timestamp) {
		ts = mi.timestampText
	}
	addText(e, "Timestamp", ts)
	addText(e, "MessageId", mi.MessageID)
	if mi.RefToMessageID != "" {
		addText(e, "RefToMessageId", mi.RefToMessageID)
	}
}

func addParty(parent *xmltree.Element, local string, p Party) {
	e := parent.AddElement(NamespaceEB, "eb", local)
	for _, id := range p.PartyIDs {
		setOpt(addText(e, "PartyId", id.Value), "type", id.Type)
	}
	addText(e, "Role", p.Role)
}

func addProperties(parent *xmltree.Element, local string, ps []Property) {
	e := parent.AddElement(NamespaceEB, "eb", local)
	for _, p := range ps {
		pe := e.AddElement(NamespaceEB, "eb", "Property")
		pe.SetAttr("", "", "name", p.Name)
		setOpt(pe, "type", p.Type)
		pe.SetText(p.Value)
	}
}

func addDSReference(parent *xmltree.Element, r Reference) {
	e := parent.AddElement(NamespaceDS, "ds", "Reference")
	setOpt(e, "URI", r.URI)
	if len(r.Transforms) > 0 {
		ts := e.AddElement(NamespaceDS, "ds", "Transforms")
		for _, t := range r.Transforms {
			ts.AddElement(NamespaceDS, "ds", "Transform").SetAttr("", "", "Algorithm", t)
		}
	}
	e.AddElement(NamespaceDS, "ds", "DigestMethod").SetAttr("", "", "Algorithm", r.DigestMethod)
	e.AddElement(NamespaceDS, "ds", "DigestValue").SetText(base64.StdEncoding.EncodeToString(r.DigestValue))
}

func addText(parent *xmltree.Element, local, value string) *xmltree.Element {
	e := parent.AddElement(NamespaceEB, "eb", local)
	e.SetText(value)
	return e
}

func setOpt(e *xmltree.Element, name, value string) {
	if value != "" {
		e.SetAttr("", "", name, value)
	}
}

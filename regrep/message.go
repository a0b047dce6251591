package regrep

import (
	"errors"
	"fmt"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
)

// ErrNotRegRep is returned by Parse when the document element is not one of
// the RegRep messages this package models.
var ErrNotRegRep = errors.New("regrep: not a RegRep query or LCM message")

// Message is a RegRep protocol message: *QueryRequest, *QueryResponse,
// *RegistryResponse or *SubmitObjectsRequest.
type Message interface {
	// Element writes the message as a document element with the
	// conventional prefixes declared.
	Element() *xmltree.Element
}

var (
	_ Message = (*QueryRequest)(nil)
	_ Message = (*QueryResponse)(nil)
	_ Message = (*RegistryResponse)(nil)
	_ Message = (*SubmitObjectsRequest)(nil)
)

// QueryRequest is a query:QueryRequest (ebRS §2.4.2).
type QueryRequest struct {
	ID      string // @id
	Comment string
	Lang    string // @xml:lang
	Slots   []*Slot
	// ResponseOption is query:ResponseOption/@returnType (required element).
	ResponseOption      string
	ResponseOptionAttrs []xmltree.Attr
	Query               Query
	OtherAttrs          []xmltree.Attr
	Extras              []*xmltree.Element
}

// Query is a query:Query (rim:QueryType): a query definition and its
// parameters as slots.
type Query struct {
	Definition string // @queryDefinition
	Slots      []*Slot
	OtherAttrs []xmltree.Attr
	Extras     []*xmltree.Element
}

// RegistryResponse is an rs:RegistryResponse (ebRS §2.1.3), the answer of
// LCM requests.
type RegistryResponse struct {
	Status     string // @status
	RequestID  string // @requestId
	Slots      []*Slot
	Exceptions []*Exception
	// RegistryObjects is the rim:RegistryObjectList; HasList keeps an empty
	// one.
	RegistryObjects []*RegistryObject
	HasList         bool
	// ListExtras are unknown elements inside the rim:RegistryObjectList.
	ListExtras    []*xmltree.Element
	ObjectRefList *xmltree.Element
	OtherAttrs    []xmltree.Attr
	Extras        []*xmltree.Element
}

// QueryResponse is a query:QueryResponse: a RegistryResponse with paging
// attributes (ebRS §2.4.3).
type QueryResponse struct {
	RegistryResponse
	StartIndex, TotalResultCount string
}

// Exception is an rs:Exception (rs:RegistryExceptionType and subtypes).
type Exception struct {
	Type                            xmltree.Name // xsi:type, e.g. {rs}ObjectNotFoundExceptionType
	Code, Detail, Message, Severity string
	Slots                           []*Slot
	OtherAttrs                      []xmltree.Attr
	Extras                          []*xmltree.Element

	src *xmltree.Element // the parsed element, for Path
}

// Path returns the location of the parsed exception, or "" for a built one.
func (e *Exception) Path() string { return pathOf(e.src) }

// Slot returns the exception's slot with the given name, or nil.
func (e *Exception) Slot(name string) *Slot { return Find(e.Slots, name) }

// SubmitObjectsRequest is an lcm:SubmitObjectsRequest (ebRS §3.1).
type SubmitObjectsRequest struct {
	ID, Comment, CheckReferences, Mode string
	Slots                              []*Slot
	RegistryObjects                    []*RegistryObject
	HasList                            bool
	ListExtras                         []*xmltree.Element // unknown elements in the list
	OtherAttrs                         []xmltree.Attr
	Extras                             []*xmltree.Element
}

// Parse reads a RegRep message from its document element and reports what
// does not fit the schemas as findings. The error is ErrNotRegRep for
// another document element.
func Parse(root *xmltree.Element) (Message, []check.Finding, error) {
	d := &decoder{}
	var m Message
	switch {
	case root.Is(NamespaceQuery, "QueryRequest"):
		m = d.queryRequest(root)
	case root.Is(NamespaceQuery, "QueryResponse"):
		r := &QueryResponse{}
		d.registryResponse(root, &r.RegistryResponse, map[xmltree.Name]*string{
			{Local: "startIndex"}: &r.StartIndex, {Local: "totalResultCount"}: &r.TotalResultCount})
		m = r
	case root.Is(NamespaceRS, "RegistryResponse"):
		r := &RegistryResponse{}
		d.registryResponse(root, r, nil)
		m = r
	case root.Is(NamespaceLCM, "SubmitObjectsRequest"):
		m = d.submit(root)
	default:
		return nil, nil, fmt.Errorf("%w: document element is %s", ErrNotRegRep, root.Name)
	}
	return m, d.findings, nil
}

func (d *decoder) queryRequest(el *xmltree.Element) *QueryRequest {
	q := &QueryRequest{}
	q.OtherAttrs = d.attrs(el, map[xmltree.Name]*string{
		{Local: "id"}: &q.ID, {Local: "comment"}: &q.Comment, {Space: xmltree.NamespaceXML, Local: "lang"}: &q.Lang})
	d.require(el, "id", q.ID)
	d.text(el)
	o := order{d: d}
	var sawOption, sawQuery bool
	for _, c := range el.Elements() {
		switch {
		case c.Is(NamespaceRIM, "Slot"):
			o.at(c, 0)
			q.Slots = append(q.Slots, d.slot(c))
		case c.Is(NamespaceQuery, "ResponseOption") && !sawOption:
			o.at(c, 1)
			sawOption = true
			var composed string
			q.ResponseOptionAttrs = d.attrs(c, map[xmltree.Name]*string{{Local: "returnType"}: &q.ResponseOption})
			_ = composed
		case c.Is(NamespaceQuery, "Query") && !sawQuery:
			o.at(c, 2)
			sawQuery = true
			q.Query.OtherAttrs = d.attrs(c, map[xmltree.Name]*string{{Local: "queryDefinition"}: &q.Query.Definition})
			d.require(c, "queryDefinition", q.Query.Definition)
			d.text(c)
			for _, s := range c.Elements() {
				if s.Is(NamespaceRIM, "Slot") {
					q.Query.Slots = append(q.Query.Slots, d.slot(s))
					continue
				}
				d.unknown(c, s, &q.Query.Extras)
			}
		default:
			d.unknown(el, c, &q.Extras)
		}
	}
	if !sawOption {
		d.add(RuleMissing, check.Error, el, "required element query:ResponseOption is missing")
	}
	if !sawQuery {
		d.add(RuleMissing, check.Error, el, "required element query:Query is missing")
	}
	return q
}

func (d *decoder) registryResponse(el *xmltree.Element, r *RegistryResponse, extra map[xmltree.Name]*string) {
	known := map[xmltree.Name]*string{{Local: "status"}: &r.Status, {Local: "requestId"}: &r.RequestID}
	for k, v := range extra {
		known[k] = v
	}
	r.OtherAttrs = d.attrs(el, known)
	d.require(el, "status", r.Status)
	d.text(el)
	o := order{d: d}
	for _, c := range el.Elements() {
		switch {
		case c.Is(NamespaceRIM, "Slot"):
			o.at(c, 0)
			r.Slots = append(r.Slots, d.slot(c))
		case c.Is(NamespaceRS, "Exception"):
			o.at(c, 1)
			r.Exceptions = append(r.Exceptions, d.exception(c))
		case c.Is(NamespaceRIM, "RegistryObjectList") && !r.HasList:
			o.at(c, 2)
			r.HasList = true
			r.RegistryObjects = d.objectList(c, &r.ListExtras)
		case c.Is(NamespaceRIM, "ObjectRefList") && r.ObjectRefList == nil:
			o.at(c, 3)
			r.ObjectRefList = c
		default:
			d.unknown(el, c, &r.Extras)
		}
	}
}

func (d *decoder) exception(el *xmltree.Element) *Exception {
	e := &Exception{src: el}
	if t, ok := xsiType(el); ok {
		e.Type = t
	}
	e.OtherAttrs = d.attrs(el, map[xmltree.Name]*string{
		{Local: "code"}: &e.Code, {Local: "detail"}: &e.Detail, {Local: "message"}: &e.Message, {Local: "severity"}: &e.Severity})
	d.text(el)
	for _, c := range el.Elements() {
		if c.Is(NamespaceRIM, "Slot") {
			e.Slots = append(e.Slots, d.slot(c))
			continue
		}
		d.unknown(el, c, &e.Extras)
	}
	return e
}

func (d *decoder) submit(el *xmltree.Element) *SubmitObjectsRequest {
	s := &SubmitObjectsRequest{}
	s.OtherAttrs = d.attrs(el, map[xmltree.Name]*string{
		{Local: "id"}: &s.ID, {Local: "comment"}: &s.Comment, {Local: "checkReferences"}: &s.CheckReferences, {Local: "mode"}: &s.Mode})
	d.require(el, "id", s.ID)
	d.text(el)
	o := order{d: d}
	for _, c := range el.Elements() {
		switch {
		case c.Is(NamespaceRIM, "Slot"):
			o.at(c, 0)
			s.Slots = append(s.Slots, d.slot(c))
		case c.Is(NamespaceRIM, "RegistryObjectList") && !s.HasList:
			o.at(c, 1)
			s.HasList = true
			s.RegistryObjects = d.objectList(c, &s.ListExtras)
		default:
			d.unknown(el, c, &s.Extras)
		}
	}
	return s
}

// Element writes the request as a query:QueryRequest.
func (q *QueryRequest) Element() *xmltree.Element {
	el := newElement(NamespaceQuery, "QueryRequest")
	DeclareConventional(el, NamespaceQuery, NamespaceRIM, NamespaceRS, NamespaceXSI, NamespaceXLink)
	if q.Lang != "" {
		el.SetAttr(xmltree.NamespaceXML, "xml", "lang", q.Lang)
	}
	setAttr(el, "id", q.ID)
	setAttr(el, "comment", q.Comment)
	putAttrs(el, q.OtherAttrs)
	for _, s := range q.Slots {
		addChild(el, s.Element())
	}
	ro := el.AddElement(NamespaceQuery, "query", "ResponseOption")
	setAttr(ro, "returnType", q.ResponseOption)
	putAttrs(ro, q.ResponseOptionAttrs)
	qe := el.AddElement(NamespaceQuery, "query", "Query")
	qe.SetAttr("", "", "queryDefinition", q.Query.Definition)
	putAttrs(qe, q.Query.OtherAttrs)
	for _, s := range q.Query.Slots {
		addChild(qe, s.Element())
	}
	putExtras(qe, q.Query.Extras)
	putExtras(el, q.Extras)
	return el
}

func (r *RegistryResponse) fill(el *xmltree.Element) {
	setAttr(el, "status", r.Status)
	setAttr(el, "requestId", r.RequestID)
	putAttrs(el, r.OtherAttrs)
	for _, s := range r.Slots {
		addChild(el, s.Element())
	}
	for _, e := range r.Exceptions {
		addChild(el, e.Element())
	}
	if r.HasList || len(r.RegistryObjects) > 0 {
		addChild(el, objectListElement(r.RegistryObjects, r.ListExtras))
	}
	if r.ObjectRefList != nil {
		addChild(el, r.ObjectRefList.Copy())
	}
	putExtras(el, r.Extras)
}

// Element writes the response as an rs:RegistryResponse.
func (r *RegistryResponse) Element() *xmltree.Element {
	el := newElement(NamespaceRS, "RegistryResponse")
	DeclareConventional(el, NamespaceRS, NamespaceRIM, NamespaceXSI)
	r.fill(el)
	return el
}

// Element writes the response as a query:QueryResponse.
func (r *QueryResponse) Element() *xmltree.Element {
	el := newElement(NamespaceQuery, "QueryResponse")
	DeclareConventional(el, NamespaceQuery, NamespaceRIM, NamespaceRS, NamespaceXSI, NamespaceXLink)
	setAttr(el, "startIndex", r.StartIndex)
	setAttr(el, "totalResultCount", r.TotalResultCount)
	r.fill(el)
	return el
}

// Element writes the exception as an rs:Exception.
func (e *Exception) Element() *xmltree.Element {
	el := newElement(NamespaceRS, "Exception")
	setXSIType(el, e.Type)
	setAttr(el, "severity", e.Severity)
	setAttr(el, "message", e.Message)
	setAttr(el, "detail", e.Detail)
	setAttr(el, "code", e.Code)
	putAttrs(el, e.OtherAttrs)
	for _, s := range e.Slots {
		addChild(el, s.Element())
	}
	putExtras(el, e.Extras)
	return el
}

// Element writes the request as an lcm:SubmitObjectsRequest.
func (s *SubmitObjectsRequest) Element() *xmltree.Element {
	el := newElement(NamespaceLCM, "SubmitObjectsRequest")
	DeclareConventional(el, NamespaceLCM, NamespaceRIM, NamespaceRS, NamespaceXSI, NamespaceXLink)
	setAttr(el, "id", s.ID)
	setAttr(el, "comment", s.Comment)
	setAttr(el, "checkReferences", s.CheckReferences)
	setAttr(el, "mode", s.Mode)
	putAttrs(el, s.OtherAttrs)
	for _, sl := range s.Slots {
		addChild(el, sl.Element())
	}
	if s.HasList || len(s.RegistryObjects) > 0 {
		addChild(el, objectListElement(s.RegistryObjects, s.ListExtras))
	}
	putExtras(el, s.Extras)
	return el
}

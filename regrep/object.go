package regrep

import (
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
)

// ObjectType is the local name of the xsi:type of a rim:RegistryObject
// (ebRIM §2.2–§2.8), e.g. ExtrinsicObjectType.
type ObjectType string

// Registry object types used by OOTS.
const (
	RegistryObjectType  ObjectType = "RegistryObjectType"
	ExtrinsicObjectType ObjectType = "ExtrinsicObjectType"
	RegistryPackageType ObjectType = "RegistryPackageType"
	AssociationType     ObjectType = "AssociationType"
	ClassificationType  ObjectType = "ClassificationType"
)

// RegistryObject is a rim:RegistryObject (or a rim:Classification, which has
// the same content): the identifiable object of ebRIM with the parts that
// its OOTS subtypes add (Association, ExtrinsicObject, RegistryPackage,
// Classification attributes).
type RegistryObject struct {
	// Type is the xsi:type; "" when absent (plain RegistryObjectType).
	Type ObjectType

	ID, Lid, ObjectType, Owner, Status string

	Slots           []*Slot
	Name            *InternationalString
	Description     *InternationalString
	VersionInfo     *VersionInfo
	Classifications []*RegistryObject
	// ExternalIdentifiers and ExternalLinks are kept as elements: OOTS does
	// not use them.
	ExternalIdentifiers []*xmltree.Element
	ExternalLinks       []*xmltree.Element

	// Classification attributes.
	ClassificationScheme, ClassifiedObject, ClassificationNode, NodeRepresentation string
	// Association attributes.
	AssociationType, SourceObject, TargetObject string
	// ExtrinsicObject content.
	MimeType           string
	ContentVersionInfo *VersionInfo
	RepositoryItemRef  *SimpleLink
	// RegistryPackage content; HasList keeps an empty rim:RegistryObjectList.
	RegistryObjects []*RegistryObject
	HasList         bool
	// ListExtras are unknown elements inside the rim:RegistryObjectList.
	ListExtras []*xmltree.Element

	OtherAttrs []xmltree.Attr
	Extras     []*xmltree.Element

	src *xmltree.Element // the parsed element, for Path
}

// Path returns the location of the parsed object, or "" for a built one.
// It costs a walk to the root: call it when reporting, not for every object.
func (o *RegistryObject) Path() string { return pathOf(o.src) }

// VersionInfo is a rim:VersionInfoType.
type VersionInfo struct {
	VersionName, UserVersionName string
}

// SimpleLink is a rim:SimpleLinkType such as rim:RepositoryItemRef, whose
// xlink:href names the repository item (in OOTS, "cid:" + the Content-ID of
// the AS4 payload part).
type SimpleLink struct {
	Href, Title string
	OtherAttrs  []xmltree.Attr
}

// Slot returns the object's slot with the given name, or nil.
func (o *RegistryObject) Slot(name string) *Slot { return Find(o.Slots, name) }

func (d *decoder) object(el *xmltree.Element) *RegistryObject {
	o := &RegistryObject{src: el}
	if t, ok := xsiType(el); ok {
		if t.Space != NamespaceRIM {
			d.add(RuleValueType, check.Error, el, "%s has an unknown xsi:type %s", el.QName(), t)
		}
		o.Type = ObjectType(t.Local)
	}
	if el.Is(NamespaceRIM, "Classification") {
		o.Type = ""
	}
	known := map[xmltree.Name]*string{
		{Local: "id"}: &o.ID, {Local: "lid"}: &o.Lid, {Local: "objectType"}: &o.ObjectType,
		{Local: "owner"}: &o.Owner, {Local: "status"}: &o.Status,
	}
	switch {
	case el.Is(NamespaceRIM, "Classification") || o.Type == ClassificationType:
		known[xmltree.Name{Local: "classificationScheme"}] = &o.ClassificationScheme
		known[xmltree.Name{Local: "classifiedObject"}] = &o.ClassifiedObject
		known[xmltree.Name{Local: "classificationNode"}] = &o.ClassificationNode
		known[xmltree.Name{Local: "nodeRepresentation"}] = &o.NodeRepresentation
	case o.Type == AssociationType:
		known[xmltree.Name{Local: "type"}] = &o.AssociationType
		known[xmltree.Name{Local: "sourceObject"}] = &o.SourceObject
		known[xmltree.Name{Local: "targetObject"}] = &o.TargetObject
	case o.Type == ExtrinsicObjectType:
		known[xmltree.Name{Local: "mimeType"}] = &o.MimeType
	}
	o.OtherAttrs = d.attrs(el, known)
	d.require(el, "id", o.ID)
	if o.Type == AssociationType {
		d.require(el, "type", o.AssociationType)
		d.require(el, "sourceObject", o.SourceObject)
		d.require(el, "targetObject", o.TargetObject)
	}
	d.text(el)
	ord := order{d: d}
	for _, c := range el.Elements() {
		if c.Space != NamespaceRIM {
			d.unknown(el, c, &o.Extras)
			continue
		}
		switch {
		case c.Local == "Slot":
			ord.at(c, 0)
			o.Slots = append(o.Slots, d.slot(c))
		case c.Local == "Name" && o.Name == nil:
			ord.at(c, 1)
			o.Name = d.intl(c)
		case c.Local == "Description" && o.Description == nil:
			ord.at(c, 2)
			o.Description = d.intl(c)
		case c.Local == "VersionInfo" && o.VersionInfo == nil:
			ord.at(c, 3)
			o.VersionInfo = d.versionInfo(c)
		case c.Local == "Classification":
			ord.at(c, 4)
			o.Classifications = append(o.Classifications, d.object(c))
		case c.Local == "ExternalIdentifier":
			ord.at(c, 5)
			o.ExternalIdentifiers = append(o.ExternalIdentifiers, c)
		case c.Local == "ExternalLink":
			ord.at(c, 6)
			o.ExternalLinks = append(o.ExternalLinks, c)
		case o.Type == ExtrinsicObjectType && c.Local == "ContentVersionInfo" && o.ContentVersionInfo == nil:
			ord.at(c, 7)
			o.ContentVersionInfo = d.versionInfo(c)
		case o.Type == ExtrinsicObjectType && c.Local == "RepositoryItemRef" && o.RepositoryItemRef == nil:
			ord.at(c, 8)
			o.RepositoryItemRef = d.link(c)
		case o.Type == RegistryPackageType && c.Local == "RegistryObjectList" && !o.HasList:
			ord.at(c, 7)
			o.HasList = true
			o.RegistryObjects = d.objectList(c, &o.ListExtras)
		default:
			d.unknown(el, c, &o.Extras)
		}
	}
	return o
}

func (d *decoder) versionInfo(el *xmltree.Element) *VersionInfo {
	v := &VersionInfo{}
	d.attrs(el, map[xmltree.Name]*string{{Local: "versionName"}: &v.VersionName, {Local: "userVersionName"}: &v.UserVersionName})
	return v
}

func (d *decoder) link(el *xmltree.Element) *SimpleLink {
	l := &SimpleLink{}
	for _, a := range el.Attr {
		switch {
		case a.Space == NamespaceXLink && a.Local == "href":
			l.Href = a.Value
		case a.Space == NamespaceXLink && a.Local == "title":
			l.Title = a.Value
		default:
			l.OtherAttrs = append(l.OtherAttrs, a) // other xlink attributes are allowed
		}
	}
	return l
}

// objectList reads a rim:RegistryObjectList; elements other than
// rim:RegistryObject are kept in extras (written back at the end of the
// list).
func (d *decoder) objectList(el *xmltree.Element, extras *[]*xmltree.Element) []*RegistryObject {
	var out []*RegistryObject
	d.text(el)
	for _, c := range el.Elements() {
		if c.Is(NamespaceRIM, "RegistryObject") {
			out = append(out, d.object(c))
			continue
		}
		d.unknown(el, c, extras)
	}
	return out
}

// Element writes the object as a rim:RegistryObject.
func (o *RegistryObject) Element() *xmltree.Element { return o.element("RegistryObject") }

// ClassificationElement writes the object as a rim:Classification.
func (o *RegistryObject) ClassificationElement() *xmltree.Element {
	return o.element("Classification")
}

func (o *RegistryObject) element(local string) *xmltree.Element {
	el := newElement(NamespaceRIM, local)
	if o.Type != "" && local != "Classification" {
		setXSIType(el, xmltree.Name{Space: NamespaceRIM, Local: string(o.Type)})
	}
	setAttr(el, "id", o.ID)
	setAttr(el, "lid", o.Lid)
	setAttr(el, "objectType", o.ObjectType)
	setAttr(el, "owner", o.Owner)
	setAttr(el, "status", o.Status)
	setAttr(el, "classificationScheme", o.ClassificationScheme)
	setAttr(el, "classifiedObject", o.ClassifiedObject)
	setAttr(el, "classificationNode", o.ClassificationNode)
	setAttr(el, "nodeRepresentation", o.NodeRepresentation)
	setAttr(el, "type", o.AssociationType)
	setAttr(el, "sourceObject", o.SourceObject)
	setAttr(el, "targetObject", o.TargetObject)
	setAttr(el, "mimeType", o.MimeType)
	putAttrs(el, o.OtherAttrs)
	for _, s := range o.Slots {
		addChild(el, s.Element())
	}
	if o.Name != nil {
		addChild(el, o.Name.element("Name"))
	}
	if o.Description != nil {
		addChild(el, o.Description.element("Description"))
	}
	if o.VersionInfo != nil {
		addChild(el, o.VersionInfo.element("VersionInfo"))
	}
	for _, c := range o.Classifications {
		addChild(el, c.ClassificationElement())
	}
	putExtras(el, o.ExternalIdentifiers)
	putExtras(el, o.ExternalLinks)
	if o.ContentVersionInfo != nil {
		addChild(el, o.ContentVersionInfo.element("ContentVersionInfo"))
	}
	if o.RepositoryItemRef != nil {
		addChild(el, o.RepositoryItemRef.element("RepositoryItemRef"))
	}
	if o.HasList || len(o.RegistryObjects) > 0 {
		addChild(el, objectListElement(o.RegistryObjects, o.ListExtras))
	}
	putExtras(el, o.Extras)
	return el
}

func (v *VersionInfo) element(local string) *xmltree.Element {
	el := newElement(NamespaceRIM, local)
	setAttr(el, "versionName", v.VersionName)
	setAttr(el, "userVersionName", v.UserVersionName)
	return el
}

func (l *SimpleLink) element(local string) *xmltree.Element {
	el := newElement(NamespaceRIM, local)
	if l.Href != "" {
		el.SetAttr(NamespaceXLink, "xlink", "href", l.Href)
	}
	if l.Title != "" {
		el.SetAttr(NamespaceXLink, "xlink", "title", l.Title)
	}
	putAttrs(el, l.OtherAttrs)
	return el
}

func objectListElement(objs []*RegistryObject, extras []*xmltree.Element) *xmltree.Element {
	el := newElement(NamespaceRIM, "RegistryObjectList")
	for _, o := range objs {
		addChild(el, o.Element())
	}
	putExtras(el, extras)
	return el
}

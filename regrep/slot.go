package regrep

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
)

// ValueType is the local name of a concrete rim:ValueType subtype, as written
// in the xsi:type of a rim:SlotValue or rim:Element (ebRIM §2.5).
type ValueType string

// The slot value types of ebRIM 4.0.
const (
	StringValueType              ValueType = "StringValueType"
	BooleanValueType             ValueType = "BooleanValueType"
	DateTimeValueType            ValueType = "DateTimeValueType"
	DurationValueType            ValueType = "DurationValueType"
	IntegerValueType             ValueType = "IntegerValueType"
	FloatValueType               ValueType = "FloatValueType"
	InternationalStringValueType ValueType = "InternationalStringValueType"
	VocabularyTermValueType      ValueType = "VocabularyTermValueType"
	CollectionValueType          ValueType = "CollectionValueType"
	MapValueType                 ValueType = "MapValueType"
	SlotValueType                ValueType = "SlotValueType"
	AnyValueType                 ValueType = "AnyValueType"
)

// simple reports whether t holds its value as text in rim:Value.
func (t ValueType) simple() bool {
	switch t {
	case StringValueType, BooleanValueType, DateTimeValueType, DurationValueType, IntegerValueType, FloatValueType:
		return true
	}
	return false
}

func (t ValueType) known() bool {
	switch t {
	case InternationalStringValueType, VocabularyTermValueType, CollectionValueType, MapValueType, SlotValueType, AnyValueType:
		return true
	}
	return t.simple()
}

// Slot is a rim:Slot: a named, typed value attached to an extensible object.
type Slot struct {
	Name       string     // @name (required)
	Type       string     // @type (optional, not used by OOTS)
	Slots      []*Slot    // nested rim:Slot (Slot is itself extensible)
	Value      *SlotValue // rim:SlotValue, nil when absent
	OtherAttrs []xmltree.Attr
	Extras     []*xmltree.Element

	src *xmltree.Element // the parsed element, for Path
}

// Path returns the location of the parsed slot, or "" for a built one.
func (s *Slot) Path() string { return pathOf(s.src) }

// SlotValue is a rim:SlotValue (or a rim:Element of a collection): a value
// of one of the ValueType kinds. Which fields are used depends on Type.
type SlotValue struct {
	Type ValueType // from xsi:type

	// Text is the lexical form of a String, Boolean, DateTime, Duration,
	// Integer or Float value; HasValue tells whether rim:Value is present.
	Text     string
	HasValue bool

	Strings        *InternationalString // InternationalStringValueType
	Term           *VocabularyTerm      // VocabularyTermValueType
	Slot           *Slot                // SlotValueType
	Any            []*xmltree.Element   // AnyValueType: the element content
	CollectionType string               // CollectionValueType: @collectionType
	Elements       []*SlotValue         // CollectionValueType: rim:Element children

	OtherAttrs []xmltree.Attr
	Extras     []*xmltree.Element // rim:Map of a MapValueType, unknown elements

	src *xmltree.Element // the parsed element, for Path
}

// Path returns the location of the parsed value, or "" for a built one.
func (v *SlotValue) Path() string { return pathOf(v.src) }

// InternationalString is a rim:InternationalStringType: localized strings.
type InternationalString struct {
	Strings    []LocalizedString
	OtherAttrs []xmltree.Attr
	Extras     []*xmltree.Element
}

// LocalizedString is one rim:LocalizedString (@xml:lang, @value).
type LocalizedString struct {
	Lang  string
	Value string
}

// VocabularyTerm is a rim:VocabularyTermType.
type VocabularyTerm struct {
	Vocabulary string
	Term       string
}

// String returns a StringValueType value.
func String(s string) *SlotValue { return &SlotValue{Type: StringValueType, Text: s, HasValue: true} }

// Boolean returns a BooleanValueType value.
func Boolean(b bool) *SlotValue {
	return &SlotValue{Type: BooleanValueType, Text: strconv.FormatBool(b), HasValue: true}
}

// DateTime returns a DateTimeValueType value in UTC with millisecond
// precision, the form of the OOTS samples (2022-05-19T17:08:10.872Z).
func DateTime(t time.Time) *SlotValue {
	return &SlotValue{Type: DateTimeValueType, Text: FormatDateTime(t), HasValue: true}
}

// FormatDateTime writes t as an xsd:dateTime in UTC with milliseconds.
func FormatDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// LocalizedStrings returns an InternationalStringValueType value.
func LocalizedStrings(ls ...LocalizedString) *SlotValue {
	return &SlotValue{Type: InternationalStringValueType, Strings: &InternationalString{Strings: ls}}
}

// Any returns an AnyValueType value holding the given elements.
func Any(els ...*xmltree.Element) *SlotValue { return &SlotValue{Type: AnyValueType, Any: els} }

// Collection returns a CollectionValueType value; collectionType may be ""
// (the schema default is Bag).
func Collection(collectionType string, elems ...*SlotValue) *SlotValue {
	return &SlotValue{Type: CollectionValueType, CollectionType: collectionType, Elements: elems}
}

// Bool parses the lexical form of a BooleanValueType value.
func (v *SlotValue) Bool() (bool, error) {
	switch strings.TrimSpace(v.Text) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("regrep: %q is not an xsd:boolean", v.Text)
}

// Time parses the lexical form of a DateTimeValueType value (xsd:dateTime;
// without a time zone the time is taken as UTC).
func (v *SlotValue) Time() (time.Time, error) { return ParseDateTime(v.Text) }

// ParseDateTime parses an xsd:dateTime.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("regrep: %q is not an xsd:dateTime", s)
}

// First returns the value of the first localized string, or "".
func (s *InternationalString) First() (lang, value string) {
	if s == nil || len(s.Strings) == 0 {
		return "", ""
	}
	return s.Strings[0].Lang, s.Strings[0].Value
}

// Find returns the slot with the given name among slots, or nil.
func Find(slots []*Slot, name string) *Slot {
	for _, s := range slots {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// NewSlot returns a slot holding v.
func NewSlot(name string, v *SlotValue) *Slot { return &Slot{Name: name, Value: v} }

func (d *decoder) slot(el *xmltree.Element) *Slot {
	s := &Slot{src: el}
	s.OtherAttrs = d.attrs(el, map[xmltree.Name]*string{{Local: "name"}: &s.Name, {Local: "type"}: &s.Type})
	d.require(el, "name", s.Name)
	d.text(el)
	o := order{d: d}
	for _, c := range el.Elements() {
		switch {
		case c.Is(NamespaceRIM, "Slot"):
			o.at(c, 0)
			s.Slots = append(s.Slots, d.slot(c))
		case c.Is(NamespaceRIM, "SlotValue") && s.Value == nil:
			o.at(c, 1)
			s.Value = d.value(c)
		default:
			d.unknown(el, c, &s.Extras)
		}
	}
	return s
}

func (d *decoder) value(el *xmltree.Element) *SlotValue {
	v := &SlotValue{src: el}
	t, ok := xsiType(el)
	switch {
	case !ok:
		d.add(RuleValueType, check.Error, el, "%s has no xsi:type", el.QName())
	case t.Space != NamespaceRIM || !ValueType(t.Local).known():
		d.add(RuleValueType, check.Error, el, "%s has an unknown xsi:type %s", el.QName(), t)
	default:
		v.Type = ValueType(t.Local)
	}
	known := map[xmltree.Name]*string{}
	if v.Type == CollectionValueType {
		known[xmltree.Name{Local: "collectionType"}] = &v.CollectionType
	}
	v.OtherAttrs = d.attrs(el, known)
	if v.Type != AnyValueType {
		d.text(el)
	}
	o := order{d: d}
	for _, c := range el.Elements() {
		switch {
		case v.Type.simple() && c.Is(NamespaceRIM, "Value") && !v.HasValue:
			o.at(c, 1)
			v.HasValue = true
			v.Text = c.Text()
			if len(c.Elements()) > 0 || len(c.Attr) > 0 {
				d.add(RuleText, check.Error, c, "rim:Value of a %s holds markup", v.Type)
			}
		case v.Type == InternationalStringValueType && c.Is(NamespaceRIM, "Value") && v.Strings == nil:
			o.at(c, 1)
			v.Strings = d.intl(c)
		case v.Type == VocabularyTermValueType && c.Is(NamespaceRIM, "Value") && v.Term == nil:
			o.at(c, 1)
			v.Term = &VocabularyTerm{}
			d.attrs(c, map[xmltree.Name]*string{{Local: "vocabulary"}: &v.Term.Vocabulary, {Local: "term"}: &v.Term.Term})
		case v.Type == SlotValueType && c.Is(NamespaceRIM, "Slot") && v.Slot == nil:
			o.at(c, 1)
			v.Slot = d.slot(c)
		case v.Type == CollectionValueType && c.Is(NamespaceRIM, "Element"):
			o.at(c, 1)
			v.Elements = append(v.Elements, d.value(c))
		case v.Type == MapValueType && c.Is(NamespaceRIM, "Map"):
			o.at(c, 1)
			v.Extras = append(v.Extras, c)
		case v.Type == AnyValueType:
			o.at(c, 1)
			v.Any = append(v.Any, c)
		default:
			d.unknown(el, c, &v.Extras)
		}
	}
	return v
}

func (d *decoder) intl(el *xmltree.Element) *InternationalString {
	s := &InternationalString{}
	s.OtherAttrs = d.attrs(el, nil)
	d.text(el)
	for _, c := range el.Elements() {
		if !c.Is(NamespaceRIM, "LocalizedString") {
			d.unknown(el, c, &s.Extras)
			continue
		}
		var ls LocalizedString
		d.attrs(c, map[xmltree.Name]*string{{Space: xmltree.NamespaceXML, Local: "lang"}: &ls.Lang, {Local: "value"}: &ls.Value})
		if _, ok := c.AttrValue("", "value"); !ok {
			d.add(RuleMissing, check.Error, c, "required attribute value is missing on %s", c.QName())
		}
		s.Strings = append(s.Strings, ls)
	}
	return s
}

// Element writes the slot as a rim:Slot.
func (s *Slot) Element() *xmltree.Element {
	el := newElement(NamespaceRIM, "Slot")
	el.SetAttr("", "", "name", s.Name)
	setAttr(el, "type", s.Type)
	putAttrs(el, s.OtherAttrs)
	for _, c := range s.Slots {
		addChild(el, c.Element())
	}
	if s.Value != nil {
		addChild(el, s.Value.element("SlotValue"))
	}
	putExtras(el, s.Extras)
	return el
}

func (v *SlotValue) element(local string) *xmltree.Element {
	el := newElement(NamespaceRIM, local)
	if v.Type != "" {
		setXSIType(el, xmltree.Name{Space: NamespaceRIM, Local: string(v.Type)})
	}
	setAttr(el, "collectionType", v.CollectionType)
	putAttrs(el, v.OtherAttrs)
	switch {
	case v.Type.simple():
		if v.HasValue {
			val := el.AddElement(NamespaceRIM, "rim", "Value")
			val.SetText(v.Text)
		}
	case v.Type == InternationalStringValueType:
		if v.Strings != nil {
			addChild(el, v.Strings.element("Value"))
		}
	case v.Type == VocabularyTermValueType:
		if v.Term != nil {
			val := el.AddElement(NamespaceRIM, "rim", "Value")
			setAttr(val, "vocabulary", v.Term.Vocabulary)
			val.SetAttr("", "", "term", v.Term.Term)
		}
	case v.Type == SlotValueType:
		if v.Slot != nil {
			addChild(el, v.Slot.Element())
		}
	case v.Type == CollectionValueType:
		for _, e := range v.Elements {
			addChild(el, e.element("Element"))
		}
	case v.Type == AnyValueType:
		for _, a := range v.Any {
			addChild(el, a.Copy())
		}
	}
	putExtras(el, v.Extras)
	return el
}

func (s *InternationalString) element(local string) *xmltree.Element {
	el := newElement(NamespaceRIM, local)
	putAttrs(el, s.OtherAttrs)
	for _, ls := range s.Strings {
		c := el.AddElement(NamespaceRIM, "rim", "LocalizedString")
		if ls.Lang != "" {
			c.SetAttr(xmltree.NamespaceXML, "xml", "lang", ls.Lang)
		}
		c.SetAttr("", "", "value", ls.Value)
	}
	putExtras(el, s.Extras)
	return el
}

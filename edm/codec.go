package edm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// The SDG profile types of this package are plain structs whose fields carry
// an `sdg` tag; one codec maps them to and from the tree. A tag is
//
//	`sdg:"Name"`          child element sdg:Name (string, []string, struct,
//	                      *struct or []struct); ",req" marks a required one
//	`sdg:"name,attr"`     attribute without namespace
//	`sdg:",chardata"`     the element's text
//	`sdg:",any"`          []*xmltree.Element: unknown children, kept
//	`sdg:",anyattr"`      []xmltree.Attr: unknown attributes, kept
//	`sdg:"Name,more"`     []string: the occurrences of sdg:Name after the
//	                      first, which the preceding field of the same name
//	                      holds (a repeatable element whose first occurrence
//	                      keeps its single-valued field)
//	`sdg:"Name,empty"`    string: an xs:string (or anyURI, or code) element
//	                      that may be empty (<sdg:Name/>), as the schema
//	                      allows and no official rule refuses; it reads as
//	                      the empty string, its name goes to the ",emptied"
//	                      field, and it is written back present and empty.
//	                      Without the option an empty text element is
//	                      reported and kept as an unknown one.
//	`sdg:",emptied"`      []string: the names of the ",empty" elements read
//	                      present but empty (a required one among them gets
//	                      a warning, as it holds nothing)
//
// Fields are written in declaration order, which is the schema order.

type sdgField struct {
	index                             int
	name                              string
	attr, chardata, any, anyattr, req bool
	more, empty, emptied              bool
	order                             int
}

var sdgFields sync.Map // reflect.Type -> []sdgField

func fieldsOf(t reflect.Type) []sdgField {
	if f, ok := sdgFields.Load(t); ok {
		return f.([]sdgField)
	}
	var out []sdgField
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("sdg")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		f := sdgField{index: i, name: parts[0], order: len(out)}
		for _, p := range parts[1:] {
			switch p {
			case "attr":
				f.attr = true
			case "chardata":
				f.chardata = true
			case "any":
				f.any = true
			case "anyattr":
				f.anyattr = true
			case "req":
				f.req = true
			case "more":
				f.more = true
			case "empty":
				f.empty = true
			case "emptied":
				f.emptied = true
			}
		}
		out = append(out, f)
	}
	sdgFields.Store(t, out)
	return out
}

// sdgDecoder collects findings while decoding SDG content.
type sdgDecoder struct {
	findings []check.Finding
}

func (d *sdgDecoder) add(rule string, flag check.Flag, el *xmltree.Element, format string, args ...any) {
	if len(d.findings) >= regrep.MaxFindings {
		return // do not even compute the location
	}
	d.findings = regrep.AppendFinding(d.findings, check.Finding{Rule: rule, Flag: flag, Location: el.Path(), Message: fmt.Sprintf(format, args...)})
}

// decode fills the struct pointed to by v from el.
func (d *sdgDecoder) decode(el *xmltree.Element, v any) {
	d.decodeValue(el, reflect.ValueOf(v).Elem())
}

func (d *sdgDecoder) decodeValue(el *xmltree.Element, sv reflect.Value) {
	fields := fieldsOf(sv.Type())
	var anyF, anyAttrF, emptiedF *sdgField
	var hasChardata bool
	for i := range fields {
		f := &fields[i]
		switch {
		case f.any:
			anyF = f
		case f.anyattr:
			anyAttrF = f
		case f.emptied:
			emptiedF = f
		case f.chardata:
			hasChardata = true
			sv.Field(f.index).SetString(el.Text())
		}
	}
	for _, a := range el.Attr {
		matched := false
		if a.Space == "" {
			for _, f := range fields {
				if f.attr && f.name == a.Local {
					sv.Field(f.index).SetString(a.Value)
					matched = true
				}
			}
		}
		if !matched {
			d.add(regrep.RuleUnknownAttribute, check.Error, el, "attribute %s is not allowed on %s; kept as is", a.Name, el.QName())
			if anyAttrF != nil {
				fv := sv.Field(anyAttrF.index)
				fv.Set(reflect.Append(fv, reflect.ValueOf(a)))
			}
		}
	}
	if !hasChardata {
		for _, n := range el.Children {
			if c, ok := n.(*xmltree.CharData); ok && strings.TrimSpace(c.Data) != "" {
				d.add(regrep.RuleText, check.Error, el, "unexpected text %q in %s", strings.TrimSpace(c.Data), el.QName())
				break
			}
		}
	}
	seen := make([]bool, len(fields))
	last := -1
	keep := func(c *xmltree.Element, why string) {
		d.add(regrep.RuleUnknownElement, check.Error, c, "%s; kept as is", why)
		if anyF != nil {
			fv := sv.Field(anyF.index)
			fv.Set(reflect.Append(fv, reflect.ValueOf(c)))
		}
	}
	for _, c := range el.Elements() {
		var f *sdgField
		if c.Space == NamespaceSDG {
			for i := range fields {
				if fields[i].element() && !fields[i].more && fields[i].name == c.Local {
					f = &fields[i]
					break
				}
			}
			// A further occurrence of an element whose first one has a
			// single-valued field goes to its "more" field.
			if f != nil && seen[f.order] && f.order+1 < len(fields) && fields[f.order+1].more && fields[f.order+1].name == c.Local {
				f = &fields[f.order+1]
			}
		}
		if f == nil {
			keep(c, fmt.Sprintf("element %s is not allowed in %s", c.Name, el.QName()))
			continue
		}
		fv := sv.Field(f.index)
		ft := fv.Type()
		isSlice := ft.Kind() == reflect.Slice
		if seen[f.order] && !isSlice {
			keep(c, fmt.Sprintf("element %s may occur only once in %s", c.QName(), el.QName()))
			continue
		}
		elemKind := ft.Kind()
		if isSlice {
			elemKind = ft.Elem().Kind()
		}
		if elemKind == reflect.String {
			if len(c.Elements()) > 0 || len(c.Attr) > 0 {
				keep(c, fmt.Sprintf("element %s must hold text only", c.QName()))
				continue
			}
			if c.Text() == "" && !f.empty {
				keep(c, fmt.Sprintf("element %s is empty", c.QName()))
				continue
			}
			if c.Text() == "" && !isSlice && emptiedF != nil {
				ev := sv.Field(emptiedF.index)
				ev.Set(reflect.Append(ev, reflect.ValueOf(f.name)))
				if f.req {
					d.add(regrep.RuleMissing, check.Warning, c, "required element %s is present but empty", c.QName())
				}
			}
		}
		if f.order < last {
			d.add(regrep.RuleOrder, check.Error, c, "element %s is out of the schema order in %s", c.QName(), el.QName())
		} else {
			last = f.order
		}
		seen[f.order] = true
		switch {
		case ft.Kind() == reflect.String:
			fv.SetString(c.Text())
		case isSlice && elemKind == reflect.String:
			fv.Set(reflect.Append(fv, reflect.ValueOf(c.Text())))
		case ft.Kind() == reflect.Struct:
			d.decodeValue(c, fv)
		case ft.Kind() == reflect.Pointer:
			nv := reflect.New(ft.Elem())
			d.decodeValue(c, nv.Elem())
			fv.Set(nv)
		case isSlice && elemKind == reflect.Struct:
			nv := reflect.New(ft.Elem()).Elem()
			d.decodeValue(c, nv)
			fv.Set(reflect.Append(fv, nv))
		}
	}
	for _, f := range fields {
		if f.req && !seen[f.order] {
			d.add(regrep.RuleMissing, check.Error, el, "required element sdg:%s is missing in %s", f.name, el.QName())
		}
	}
}

// element reports whether the field maps a child element.
func (f *sdgField) element() bool {
	return !f.attr && !f.chardata && !f.any && !f.anyattr && !f.emptied
}

// encode writes v (a struct or pointer to one) as the element sdg:name.
func encode(name string, v any) *xmltree.Element {
	el := xmltree.NewElement(NamespaceSDG, "sdg", name)
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	encodeValue(el, rv)
	return el
}

func encodeValue(el *xmltree.Element, sv reflect.Value) {
	fields := fieldsOf(sv.Type())
	var emptied []string
	for _, f := range fields {
		if f.emptied {
			emptied = sv.Field(f.index).Interface().([]string)
		}
	}
	for _, f := range fields {
		fv := sv.Field(f.index)
		switch {
		case f.emptied:
		case f.attr:
			if s := fv.String(); s != "" {
				el.SetAttr("", "", f.name, s)
			}
		case f.anyattr:
			for _, a := range fv.Interface().([]xmltree.Attr) {
				el.SetAttr(a.Space, a.Prefix, a.Local, a.Value)
			}
		case f.chardata:
			if s := fv.String(); s != "" {
				el.AddText(s)
			}
		case f.any:
			for _, x := range fv.Interface().([]*xmltree.Element) {
				el.AddChild(x.Copy())
			}
		case fv.Kind() == reflect.String:
			if s := fv.String(); s != "" {
				el.AddElement(NamespaceSDG, "sdg", f.name).SetText(s)
			} else if f.empty && slices.Contains(emptied, f.name) {
				el.AddElement(NamespaceSDG, "sdg", f.name)
			}
		case fv.Kind() == reflect.Struct:
			if !fv.IsZero() {
				encodeValue(el.AddElement(NamespaceSDG, "sdg", f.name), fv)
			}
		case fv.Kind() == reflect.Pointer:
			if !fv.IsNil() {
				encodeValue(el.AddElement(NamespaceSDG, "sdg", f.name), fv.Elem())
			}
		case fv.Kind() == reflect.Slice:
			for i := range fv.Len() {
				item := fv.Index(i)
				if item.Kind() == reflect.String {
					el.AddElement(NamespaceSDG, "sdg", f.name).SetText(item.String())
					continue
				}
				encodeValue(el.AddElement(NamespaceSDG, "sdg", f.name), item)
			}
		}
	}
}

package regrep

import (
	"fmt"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
)

// MaxFindings bounds the findings of one parse: beyond it a document is
// hopeless, and computing more locations would only cost time.
const MaxFindings = 200

// RuleTooMany is the rule of the last finding when MaxFindings is reached.
const RuleTooMany = "OOTS-TOO-MANY-FINDINGS"

// decoder collects the findings of one parse.
type decoder struct {
	findings []check.Finding
}

func (d *decoder) add(rule string, flag check.Flag, el *xmltree.Element, format string, args ...any) {
	if len(d.findings) >= MaxFindings {
		return // do not even compute the location
	}
	d.findings = AppendFinding(d.findings, check.Finding{Rule: rule, Flag: flag, Location: pathOf(el), Message: fmt.Sprintf(format, args...)})
}

// AppendFinding appends f unless fs already holds MaxFindings findings; the
// finding that reaches the bound is replaced by one saying so.
func AppendFinding(fs []check.Finding, f check.Finding) []check.Finding {
	switch {
	case len(fs) < MaxFindings-1:
		return append(fs, f)
	case len(fs) == MaxFindings-1:
		return append(fs, check.Finding{Rule: RuleTooMany, Flag: check.Error, Location: f.Location,
			Message: fmt.Sprintf("more than %d findings; the rest are not reported", MaxFindings-1)})
	}
	return fs
}

func pathOf(el *xmltree.Element) string {
	if el == nil {
		return ""
	}
	return el.Path()
}

// unknown records a child element the model does not know; it is kept.
func (d *decoder) unknown(parent, el *xmltree.Element, extras *[]*xmltree.Element) {
	d.add(RuleUnknownElement, check.Error, el, "element %s is not allowed in %s; kept as is", el.Name, parent.QName())
	*extras = append(*extras, el)
}

// text reports non-whitespace character data directly inside an element that
// has element-only content.
func (d *decoder) text(el *xmltree.Element) {
	for _, n := range el.Children {
		if c, ok := n.(*xmltree.CharData); ok && strings.TrimSpace(c.Data) != "" {
			d.add(RuleText, check.Error, el, "unexpected text %q in %s", clip(c.Data), el.QName())
			return
		}
	}
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// attrs reads the attributes of el: each known one (by expanded name) into
// its target, every other one into the returned list (and a finding).
func (d *decoder) attrs(el *xmltree.Element, known map[xmltree.Name]*string) []xmltree.Attr {
	var other []xmltree.Attr
	for _, a := range el.Attr {
		if p, ok := known[a.Name]; ok && a.Value != "" {
			*p = a.Value
			continue
		} else if ok {
			other = append(other, a) // an empty value is kept as written
			continue
		}
		if a.Name.Space == NamespaceXSI && a.Name.Local == "type" {
			continue // handled by the caller
		}
		d.add(RuleUnknownAttribute, check.Error, el, "attribute %s is not allowed on %s; kept as is", a.Name, el.QName())
		other = append(other, a)
	}
	return other
}

// require reports a missing required attribute.
func (d *decoder) require(el *xmltree.Element, name, value string) {
	if value == "" {
		d.add(RuleMissing, check.Error, el, "required attribute %s is missing on %s", name, el.QName())
	}
}

// order tracks the position in a schema sequence.
type order struct {
	d    *decoder
	last int
}

// at reports el when it comes before something that precedes it in the
// schema sequence. The model writes elements in schema order.
func (o *order) at(el *xmltree.Element, stage int) {
	if stage < o.last {
		o.d.add(RuleOrder, check.Error, el, "element %s is out of the schema order", el.QName())
		return
	}
	o.last = stage
}

// xsiType resolves the xsi:type QName of el.
func xsiType(el *xmltree.Element) (xmltree.Name, bool) {
	v, ok := el.AttrValue(NamespaceXSI, "type")
	if !ok {
		return xmltree.Name{}, false
	}
	v = strings.TrimSpace(v)
	prefix, local, found := strings.Cut(v, ":")
	if !found {
		prefix, local = "", v
	}
	uri, _ := el.LookupPrefix(prefix)
	return xmltree.Name{Space: uri, Local: local}, true
}

// qname writes a QName value with the conventional prefix of its namespace.
func qname(n xmltree.Name) string {
	if p, ok := prefixes[n.Space]; ok {
		return p + ":" + n.Local
	}
	return n.Local
}

// newElement creates an element with the conventional prefix.
func newElement(space, local string) *xmltree.Element {
	return xmltree.NewElement(space, prefixes[space], local)
}

// addChild appends a detached element to parent.
func addChild(parent, child *xmltree.Element) {
	if child != nil {
		parent.AddChild(child)
	}
}

// setAttr sets a no-namespace attribute when the value is not empty.
func setAttr(el *xmltree.Element, local, value string) {
	if value != "" {
		el.SetAttr("", "", local, value)
	}
}

func setXSIType(el *xmltree.Element, t xmltree.Name) {
	if t.Local != "" {
		el.SetAttr(NamespaceXSI, "xsi", "type", qname(t))
	}
}

func putAttrs(el *xmltree.Element, attrs []xmltree.Attr) {
	for _, a := range attrs {
		el.SetAttr(a.Space, a.Prefix, a.Local, a.Value)
	}
}

func putExtras(el *xmltree.Element, extras []*xmltree.Element) {
	for _, x := range extras {
		el.AddChild(x.Copy())
	}
}

// DeclareConventional declares on el the conventional prefixes of the given
// namespaces, so that QName attribute values (xsi:type="rim:…") resolve.
func DeclareConventional(el *xmltree.Element, namespaces ...string) {
	for _, ns := range namespaces {
		if p, ok := prefixes[ns]; ok && ns != xmltree.NamespaceXML {
			el.DeclareNS(p, ns)
		}
	}
}

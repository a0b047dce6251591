package edm

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Rule identifiers of the findings of this package (structure and content
// checks of our own; the official rules are the Schematron files).
const (
	RuleSlotMissing = "OOTS-STRUCT-SLOT-MISSING"
	RuleSlotUnknown = "OOTS-STRUCT-SLOT-UNKNOWN"
	RuleSlotType    = "OOTS-STRUCT-SLOT-TYPE"
	RuleSlotOrder   = "OOTS-STRUCT-SLOT-ORDER"
	RuleVersion     = "OOTS-VERSION"
	RuleUUID        = "OOTS-CONTENT-UUID"
	RuleDateTime    = "OOTS-CONTENT-DATETIME"
	RuleURL         = "OOTS-CONTENT-URL"
	RuleCode        = "OOTS-CODELIST"
	RuleContent     = "OOTS-CONTENT"
)

// slotSet reads the slots of one extensible object: each known slot is
// taken once by name; what is left is unknown.
type slotSet struct {
	d     *sdgDecoder
	owner func() string // path of the owning element, for findings
	slots []*regrep.Slot
	taken map[*regrep.Slot]bool
	order []string // names in the order they were asked for
	orig  map[string]*regrep.Slot
}

// at returns a constant location.
func at(loc string) func() string { return func() string { return loc } }

func newSlotSet(d *sdgDecoder, owner func() string, slots []*regrep.Slot) *slotSet {
	return &slotSet{d: d, owner: owner, slots: slots, taken: map[*regrep.Slot]bool{}, orig: map[string]*regrep.Slot{}}
}

func (s *slotSet) finding(rule string, loc func() string, format string, args ...any) {
	if len(s.d.findings) >= regrep.MaxFindings {
		return
	}
	s.d.findings = regrep.AppendFinding(s.d.findings, check.Finding{Rule: rule, Flag: check.Error, Location: loc(), Message: fmt.Sprintf(format, args...)})
}

// take returns the slot with the given name and the wanted value type, or
// nil (with a finding when required). A slot of another value type is left
// for rest, which keeps it as it is.
func (s *slotSet) take(name string, req bool, types ...regrep.ValueType) *regrep.Slot {
	s.order = append(s.order, name)
	for _, sl := range s.slots {
		if sl.Name != name || s.taken[sl] {
			continue
		}
		if sl.Value == nil {
			s.finding(RuleSlotType, sl.Path, "slot %s has no rim:SlotValue", name)
			return nil
		}
		ok := false
		for _, t := range types {
			ok = ok || sl.Value.Type == t
		}
		if !ok {
			s.finding(RuleSlotType, sl.Path, "slot %s has value type %s, want %s", name, sl.Value.Type, types[0])
			return nil
		}
		s.taken[sl] = true
		s.orig[name] = sl
		return sl
	}
	if req {
		s.finding(RuleSlotMissing, s.owner, "required slot %s is missing", name)
	}
	return nil
}

// spec reads the SpecificationIdentifier slot of an evidence exchange
// message. Detect reads the version through white space around the value;
// the official rules compare it exactly (rule, e.g. R-EDM-REQ-C001:
// rim:Value='oots-edm:v1.0'), so spaces or line breaks around it are an
// error here too, reported with the official rule's id.
func (s *slotSet) spec(req bool, rule string) {
	sl := s.take("SpecificationIdentifier", req, regrep.StringValueType)
	if sl == nil {
		return
	}
	if raw := sl.Value.Text; raw != strings.TrimSpace(raw) {
		s.finding(RuleVersion, sl.Path, "specification identifier %q has white space around it; the official rule %s compares the value exactly", raw, rule)
	}
}

func (s *slotSet) str(name string, req bool) string {
	if sl := s.take(name, req, regrep.StringValueType); sl != nil {
		return sl.Value.Text
	}
	return ""
}

func (s *slotSet) dateTime(name string, req bool) string {
	if sl := s.take(name, req, regrep.DateTimeValueType); sl != nil {
		if _, err := sl.Value.Time(); err != nil {
			s.finding(RuleDateTime, sl.Path, "slot %s: %q is not an xsd:dateTime", name, sl.Value.Text)
		}
		return sl.Value.Text
	}
	return ""
}

func (s *slotSet) boolean(name string, req bool) bool {
	if sl := s.take(name, req, regrep.BooleanValueType); sl != nil {
		b, err := sl.Value.Bool()
		if err != nil {
			s.finding(RuleSlotType, sl.Path, "slot %s: %q is not an xsd:boolean", name, sl.Value.Text)
		}
		return b
	}
	return false
}

// one decodes an AnyValue slot holding one sdg:elem into v (a pointer to a
// struct) and reports whether it was there.
func (s *slotSet) one(name string, req bool, elem string, v any) bool {
	sl := s.take(name, req, regrep.AnyValueType)
	if sl == nil {
		return false
	}
	if !s.decodeAny(sl, sl.Value, elem, v) {
		return false
	}
	return true
}

func (s *slotSet) decodeAny(sl *regrep.Slot, val *regrep.SlotValue, elem string, v any) bool {
	if len(val.Any) != 1 || !val.Any[0].Is(NamespaceSDG, elem) {
		s.finding(RuleSlotType, val.Path, "slot %s must hold one sdg:%s", sl.Name, elem)
		delete(s.taken, sl)
		return false
	}
	s.d.decodeAt(val.Path, val.Any[0], v)
	return true
}

// many decodes a CollectionValueType slot whose elements each hold one
// sdg:elem, appending to the slice pointed to by list.
func (s *slotSet) many(name string, req bool, elem string, list any) bool {
	sl := s.take(name, req, regrep.CollectionValueType)
	if sl == nil {
		return false
	}
	lv := reflect.ValueOf(list).Elem()
	for _, e := range sl.Value.Elements {
		if e.Type != regrep.AnyValueType || len(e.Any) != 1 || !e.Any[0].Is(NamespaceSDG, elem) {
			s.finding(RuleSlotType, e.Path, "element of slot %s must be an AnyValueType holding one sdg:%s", name, elem)
			delete(s.taken, sl)
			lv.Set(reflect.Zero(lv.Type()))
			return false
		}
		nv := reflect.New(lv.Type().Elem())
		s.d.decodeAt(e.Path, e.Any[0], nv.Interface())
		lv.Set(reflect.Append(lv, nv.Elem()))
	}
	if len(sl.Value.Elements) == 0 && req {
		s.finding(RuleSlotMissing, sl.Path, "slot %s holds no element", name)
	}
	return true
}

// rest returns the slots nobody took, reporting each, and checks that the
// known slots came in the order they are written.
func (s *slotSet) rest() []*regrep.Slot {
	var out []*regrep.Slot
	pos := map[string]int{}
	for i, n := range s.order {
		if _, ok := pos[n]; !ok {
			pos[n] = i
		}
	}
	last := -1
	for _, sl := range s.slots {
		if !s.taken[sl] {
			s.finding(RuleSlotUnknown, sl.Path, "slot %s is not part of this message; kept as is", sl.Name)
			out = append(out, sl)
			continue
		}
		if p := pos[sl.Name]; p < last {
			s.finding(RuleSlotOrder, sl.Path, "slot %s is out of the usual order; it is written back in that order", sl.Name)
		} else {
			last = p
		}
	}
	return out
}

// decodeAt decodes el, an element of the parsed tree (so that locations
// of findings are its paths). base is the location of the value holding el,
// used when el is detached.
func (d *sdgDecoder) decodeAt(base func() string, el *xmltree.Element, v any) {
	n := len(d.findings)
	d.decode(el, v)
	if len(d.findings) > n && el.Parent() == nil {
		b := base()
		for i := n; i < len(d.findings); i++ {
			d.findings[i].Location = b + d.findings[i].Location
		}
	}
}

// slotWriter builds the slot list of a message in the usual order, reusing
// what the parsed slot had besides its value (attributes, collection type).
type slotWriter struct {
	orig  map[string]*regrep.Slot
	slots []*regrep.Slot
}

func (w *slotWriter) add(name string, v *regrep.SlotValue) {
	s := &regrep.Slot{Name: name, Value: v}
	if o := w.orig[name]; o != nil {
		s.Type, s.OtherAttrs, s.Extras, s.Slots = o.Type, o.OtherAttrs, o.Extras, o.Slots
		if o.Value != nil && o.Value.Type == v.Type {
			v.OtherAttrs, v.Extras = o.Value.OtherAttrs, o.Value.Extras
			if v.Type == regrep.CollectionValueType {
				v.CollectionType = o.Value.CollectionType
			}
		}
	}
	w.slots = append(w.slots, s)
}

func (w *slotWriter) str(name, value string) {
	if value != "" {
		w.add(name, regrep.String(value))
	}
}

func (w *slotWriter) dateTime(name, value string) {
	if value != "" {
		w.add(name, &regrep.SlotValue{Type: regrep.DateTimeValueType, Text: value, HasValue: true})
	}
}

func (w *slotWriter) boolean(name string, b bool) { w.add(name, regrep.Boolean(b)) }

// one writes an AnyValue slot when v (a pointer) is not nil.
func (w *slotWriter) one(name, elem string, v any) {
	if reflect.ValueOf(v).IsNil() {
		return
	}
	w.add(name, regrep.Any(encode(elem, v)))
}

// many writes a Collection(Set) slot of sdg:elem when list (a slice) is not
// empty.
func (w *slotWriter) many(name, elem string, list any) {
	lv := reflect.ValueOf(list)
	if lv.Len() == 0 {
		return
	}
	var elems []*regrep.SlotValue
	for i := range lv.Len() {
		elems = append(elems, regrep.Any(encode(elem, lv.Index(i).Interface())))
	}
	w.add(name, regrep.Collection(regrep.CollectionTypeSet, elems...))
}

func (w *slotWriter) keep(rest []*regrep.Slot) { w.slots = append(w.slots, rest...) }

// IsUUID reports whether s is a UUID in its canonical textual form (RFC
// 4122/9562: 8-4-4-4-12 hexadecimal digits, either case).
func IsUUID(s string) bool { return uuid.Valid(s) }

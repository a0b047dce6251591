package smp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// JSON from outside the package (the management API's request bodies, its
// answers to RemoteStore) is read with encoding/json, which matches a
// member to a field without regard to case: "URL" is taken for "url",
// "Certificates" for "certificates". Its names are first checked against
// the fields exactly (exactNames), so that such a member is refused,
// naming it, as one the value does not have at all.
//
// encoding/json/v2 matches names exactly, but needs go 1.27 in go.mod
// (the module says go 1.26).

// readJSON reads one JSON value from r into v: a member whose name is not
// exactly that of a field of v, at any depth, is an error (`json: unknown
// field "name" within "/json/pointer"`, with the field's name when it
// differs by case only), and so is a member given twice and anything
// after the value ("there is more after the JSON value"). An empty r is
// io.EOF itself; an error of r (e.g. *http.MaxBytesError) is returned as
// it is.
func readJSON(r io.Reader, v any) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return decodeExact(b, v)
}

// decodeExact is readJSON of a value already read: b into v, its member
// names matched exactly, none unknown, nothing after it.
func decodeExact(b []byte, v any) error {
	if err := exactNames(b, reflect.TypeOf(v), false); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// One value, and nothing after it.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("there is more after the JSON value")
	}
	return nil
}

// wireTypes are the types read through a JSON form of their own (their
// UnmarshalJSON), by the fields of that form.
var wireTypes = map[reflect.Type]reflect.Type{
	reflect.TypeFor[Redirect](): reflect.TypeFor[redirectJSON](),
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactNames checks the names of the members of the first JSON value of b,
// to be read into a value of type t, against the JSON names of the fields
// they are read into, as encoding/json resolves them but with their case:
// a member that is a field's name but for case is an error naming both;
// one given twice in an object is an error; with unknownOK unset, so is
// a member no field has. The members of a value with an UnmarshalJSON of
// its own (time.Time) and of a map are not checked, short of wireTypes.
// Syntax errors are encoding/json's; an empty b is io.EOF. Arrays and
// objects nested deeper than maxNesting, encoding/json's own bound, are an
// error; the time taken is linear in len(b) (where a member is, as a JSON
// pointer, is only spelt out for an error).
func exactNames(b []byte, t reflect.Type, unknownOK bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	w := &nameWalker{dec: dec, unknownOK: unknownOK}
	return w.walk(t)
}

// maxNesting bounds the arrays and objects open at once in a value
// exactNames reads: encoding/json's bound (its scanner's maxNestingDepth).
const maxNesting = 10000

// nameWalker is the state of exactNames.
type nameWalker struct {
	dec       *json.Decoder
	unknownOK bool
	// path holds the JSON pointer tokens (RFC 6901, escaped) of the
	// value being read: one for each open array or object.
	path []string
}

// at is the JSON pointer of the value being read; "" at the top.
func (w *nameWalker) at() string {
	if len(w.path) == 0 {
		return ""
	}
	return "/" + strings.Join(w.path, "/")
}

// walk reads the next value of w.dec, of Go type t (nil: not checked).
func (w *nameWalker) walk(t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['), json.Delim('{'):
		if len(w.path) >= maxNesting {
			return fmt.Errorf("json: arrays and objects nested more than %d deep%s", maxNesting, within(w.at()))
		}
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && !reflect.PointerTo(t).Implements(unmarshalerType) {
			elem = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			w.path = append(w.path, strconv.Itoa(i))
			if err := w.walk(elem); err != nil {
				return err
			}
			w.path = w.path[:len(w.path)-1]
		}
	case json.Delim('{'):
		fields := jsonFields(t)
		seen := map[string]bool{}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			name, _ := tok.(string)
			var ft reflect.Type
			if fields != nil {
				var known bool
				ft, known = fields[name]
				switch {
				case seen[name]:
					return fmt.Errorf("json: field %q is given twice%s", name, within(w.at()))
				case !known:
					if field := foldedName(fields, name); field != "" {
						return fmt.Errorf("json: unknown field %q%s (names are matched exactly: the field is %q)", name, within(w.at()), field)
					}
					if !w.unknownOK {
						return fmt.Errorf("json: unknown field %q%s", name, within(w.at()))
					}
				}
				seen[name] = true
			}
			w.path = append(w.path, pointerToken(name))
			if err := w.walk(ft); err != nil {
				return err
			}
			w.path = w.path[:len(w.path)-1]
		}
	default:
		return nil // a string, number, boolean or null
	}
	_, err = w.dec.Token() // the closing ']' or '}'
	return err
}

// jsonFields returns the fields encoding/json reads an object into a
// value of type t with, by JSON name; nil when it does not read it field
// by field (not a struct, or one with an UnmarshalJSON of its own, short
// of wireTypes).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if w, ok := wireTypes[t]; ok {
		t = w
	}
	if t == nil || t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.(map[string]reflect.Type)
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// typeFields resolves the JSON names of t's fields as encoding/json does
// (its typeFields): the fields of an embedded struct without a name in
// its tag are t's own, one level deeper, visiting each struct type once
// (an embedded struct that embeds itself ends); of the fields with one
// name, the shallowest wins, then the one whose tag names it; where that
// leaves more than one, encoding/json reads none of them, and neither
// does the name here.
func typeFields(t reflect.Type) map[string]reflect.Type {
	type field struct {
		typ    reflect.Type
		depth  int
		tagged bool
	}
	byName := map[string][]field{}
	visited := map[reflect.Type]bool{}
	next, nextCount := []reflect.Type{t}, map[reflect.Type]int{t: 1}
	for depth := 0; len(next) > 0; depth++ {
		current, count := next, nextCount
		next, nextCount = nil, map[reflect.Type]int{}
		for _, st := range current {
			if visited[st] {
				continue
			}
			visited[st] = true
			for i := range st.NumField() {
				sf := st.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := field{typ: sf.Type, depth: depth, tagged: name != ""}
					if name == "" {
						name = sf.Name
					}
					byName[name] = append(byName[name], f)
					if count[st] > 1 {
						// st is embedded twice at this depth: its
						// fields annihilate each other.
						byName[name] = append(byName[name], f)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, ft)
				}
			}
		}
	}
	fields := map[string]reflect.Type{}
	for name, fs := range byName {
		var dominant []field
		for _, f := range fs {
			switch {
			case len(dominant) == 0 || f.depth < dominant[0].depth:
				dominant = []field{f}
			case f.depth == dominant[0].depth:
				dominant = append(dominant, f)
			}
		}
		var tagged []field
		for _, f := range dominant {
			if f.tagged {
				tagged = append(tagged, f)
			}
		}
		switch {
		case len(dominant) == 1:
			fields[name] = dominant[0].typ
		case len(tagged) == 1:
			fields[name] = tagged[0].typ
		}
	}
	return fields
}

// foldedName returns the name among fields that is name but for case; ""
// when there is none.
func foldedName(fields map[string]reflect.Type, name string) string {
	for f := range fields {
		if strings.EqualFold(f, name) {
			return f
		}
	}
	return ""
}

// within says where a member is: ` within "/a/0"`, nothing at the top.
func within(at string) string {
	if at == "" {
		return ""
	}
	return fmt.Sprintf(" within %q", at)
}

// pointerToken escapes a member name as a JSON pointer token (RFC 6901).
func pointerToken(name string) string {
	if !strings.ContainsAny(name, "~/") {
		return name
	}
	return pointerEscaper.Replace(name)
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

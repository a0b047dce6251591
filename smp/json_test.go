package smp

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestExactNamesBounds: exactNames takes time and memory linear in its
// input however deep the members are (where one is, as a JSON pointer, is
// spelt out for an error only, not for every value read), and refuses
// what is nested deeper than encoding/json allows, naming the bound.
func TestExactNamesBounds(t *testing.T) {
	typ := reflect.TypeFor[*ServiceMetadata]()
	// Empty arrays side by side, as deep as encoding/json allows: the
	// pointer of each is some 10 KB long.
	const depth, siblings = maxNesting - 1, 20000
	b := []byte(`{"processes":` + strings.Repeat("[", depth-1) + strings.Repeat("[],", siblings) + "[]" + strings.Repeat("]", depth-1) + "}")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := exactNames(b, typ, false); err != nil {
		t.Fatalf("%d empty arrays at depth %d: %v", siblings, depth, err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64*uint64(len(b)) {
		t.Errorf("%d empty arrays at depth %d (%d bytes): %d bytes allocated, more than 64 a byte", siblings, depth, len(b), n)
	}
	// An error still says where.
	bad := `{"processes":[{"id":{"Scheme":"s"}}]}`
	if err := exactNames([]byte(bad), typ, false); err == nil || !strings.Contains(err.Error(), `within "/processes/0/id"`) {
		t.Errorf("%s: %v", bad, err)
	}
	// One level deeper than encoding/json allows: refused.
	deep := []byte(strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1))
	if err := exactNames(deep, typ, false); err == nil || !strings.Contains(err.Error(), "depth") && !strings.Contains(err.Error(), "deep") {
		t.Errorf("nested %d deep: %v", maxNesting+1, err)
	}
	if err := exactNames(deep[1:len(deep)-1], typ, false); err != nil {
		t.Errorf("nested %d deep: %v", maxNesting, err)
	}
}

// Types whose fields encoding/json resolves by its rules of embedding.
type (
	jsonA struct {
		A int `json:"a"`
	}
	jsonB struct {
		B int `json:"b"`
	}
	jsonInnerX struct {
		X jsonA `json:"x"`
	}
	// X is its own, not jsonInnerX's: the shallower wins.
	jsonShallow struct {
		jsonInnerX
		X *jsonB `json:"x"`
	}
	// Embedded side by side (jsonAmbiguous), "x" is both structs', at one
	// depth: neither's.
	JSONAX struct {
		X jsonA `json:"x"`
	}
	JSONBX struct {
		X jsonB `json:"x"`
	}
	jsonUntagged struct{ X jsonA }
	jsonTaggedX  struct {
		Y jsonB `json:"X"`
	}
	// "X" is jsonTaggedX's, whose tag names it.
	jsonTagWins struct {
		jsonUntagged
		jsonTaggedX
	}
	// A struct that embeds itself.
	JSONCycle struct {
		*JSONCycle
		A jsonB `json:"a"`
	}
)

// TestExactNamesResolution: exactNames resolves the JSON names of
// embedded structs' fields as encoding/json does (the shallowest, then
// the tagged, and none where that leaves two), checks the members of a
// field by the type encoding/json reads it into, ends on a struct that
// embeds itself, and takes a json tag's name as encoding/json does
// ("-", "-,"). Oracle: for members named
// exactly, it accepts what encoding/json, refusing unknown fields, reads.
func TestExactNamesResolution(t *testing.T) {
	// Built with reflect, where go vet would refuse the tag repeated.
	jsonAmbiguous := reflect.StructOf([]reflect.StructField{
		{Name: "JSONAX", Type: reflect.TypeFor[JSONAX](), Anonymous: true},
		{Name: "JSONBX", Type: reflect.TypeFor[JSONBX](), Anonymous: true}})
	// "-," names the field "-" (a tag staticcheck would question).
	jsonOddTags := reflect.StructOf([]reflect.StructField{
		{Name: "Dash", Type: reflect.TypeFor[jsonA](), Tag: `json:"-,"`},
		{Name: "Skip", Type: reflect.TypeFor[jsonA](), Tag: `json:"-"`}})
	for _, c := range []struct {
		typ  reflect.Type
		body string
	}{
		{reflect.TypeFor[jsonShallow](), `{"x":{"b":1}}`},
		{reflect.TypeFor[jsonShallow](), `{"x":{"a":1}}`},
		{jsonAmbiguous, `{"x":{"a":1}}`},
		{jsonAmbiguous, `{"x":{"b":1}}`},
		{reflect.TypeFor[jsonTagWins](), `{"X":{"b":1}}`},
		{reflect.TypeFor[jsonTagWins](), `{"X":{"a":1}}`},
		{reflect.TypeFor[JSONCycle](), `{"a":{"b":1}}`},
		{jsonOddTags, `{"-":{"a":1}}`},
		{jsonOddTags, `{"Skip":{"a":1}}`},
	} {
		dec := json.NewDecoder(strings.NewReader(c.body))
		dec.DisallowUnknownFields()
		want := dec.Decode(reflect.New(c.typ).Interface())
		got := exactNames([]byte(c.body), c.typ, false)
		if (got == nil) != (want == nil) {
			t.Errorf("%v %s: exactNames %v, encoding/json %v", c.typ, c.body, got, want)
		}
	}
	// A name but for case is refused naming the field encoding/json
	// would have taken it for.
	if err := exactNames([]byte(`{"x":{"B":1}}`), reflect.TypeFor[jsonShallow](), true); err == nil || !strings.Contains(err.Error(), `the field is "b"`) {
		t.Errorf(`jsonShallow {"x":{"B":1}}: %v`, err)
	}
}

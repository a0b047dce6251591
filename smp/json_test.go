package smp

import (
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

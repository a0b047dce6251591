package fault

import (
	"slices"
	"strings"
	"testing"
)

func TestNamed(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) || len(names) != 7 {
		t.Errorf("Names() = %v, want 7 sorted names", names)
	}
	for _, name := range names {
		d, err := Named(name)
		if err != nil || !d.Is(name) || d.None() || d.Name() != name || d.Effect() == "" {
			t.Errorf("%s: %+v, %v", name, d, err)
		}
	}
	if d, err := Named(""); err != nil || !d.None() || d.Is("") || d.Effect() != "" {
		t.Errorf("no fault: %+v, %v", d, err)
	}
	_, err := Named("unsigned-receipts")
	if err == nil || !strings.Contains(err.Error(), `unknown fault "unsigned-receipts"`) || !strings.Contains(err.Error(), UnsignedReceipt) {
		t.Errorf("a misspelt fault: %v", err)
	}
}

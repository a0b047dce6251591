package ap

import (
	"strings"
	"testing"
)

func TestFaultNames(t *testing.T) {
	for _, name := range FaultNames() {
		if err := validFault(name); err != nil || Faults[name] == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := validFault(""); err != nil {
		t.Errorf("no fault: %v", err)
	}
	err := validFault("unsigned-receipts")
	if err == nil || !strings.Contains(err.Error(), `unknown fault "unsigned-receipts"`) || !strings.Contains(err.Error(), FaultUnsignedReceipt) {
		t.Errorf("a misspelt fault: %v", err)
	}
}

package ap

import (
	"crypto/x509"
	"fmt"
	"sort"
	"strings"

	"github.com/oots-go/oots/as4/pmode"
)

// Faults lists the deliberate defects Config.Fault may name, each with what it
// breaks. They exist only to show that the conformance kit (package
// conformance) detects each defect; a production node never sets Fault.
var Faults = map[string]string{
	FaultUnsignedReceipt:    "receipts are sent without a signature",
	FaultWrongReceiptRef:    "receipts refer to another eb:MessageId than the received message's",
	FaultNoDedup:            "a repeated eb:MessageId is stored and delivered again",
	FaultErrorUnsigned:      "ebMS Error signals are sent without a signature",
	FaultAcceptBadSignature: "a message failing signature verification (EBMS:0101) is answered HTTP 200 without a signal",
	FaultAnySigner:          "a user message signed by any trusted certificate is accepted as coming from the party its eb:From names",
	FaultAnyReceiptSigner:   "a receipt signed by any trusted certificate marks the message delivered",
}

// The names of Faults.
const (
	FaultUnsignedReceipt    = "unsigned-receipt"
	FaultWrongReceiptRef    = "wrong-receipt-ref"
	FaultNoDedup            = "no-dedup"
	FaultErrorUnsigned      = "error-unsigned"
	FaultAcceptBadSignature = "accept-bad-signature"
	FaultAnySigner          = "any-signer"
	FaultAnyReceiptSigner   = "any-receipt-signer"
)

// anySigner binds every signer to every party: the defect of
// FaultAnySigner and FaultAnyReceiptSigner.
func anySigner(*pmode.Party, *x509.Certificate) error { return nil }

// FaultNames returns the names of Faults, sorted.
func FaultNames() []string {
	names := make([]string, 0, len(Faults))
	for n := range Faults {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func validFault(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := Faults[name]; !ok {
		return fmt.Errorf("unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
	}
	return nil
}

// Package fault names the deliberate defects an access point can be given
// (ap.Config.Fault), each breaking one rule of ebMS3/AS4 that a conformance
// kit must catch. They exist only to show that package conformance detects
// each one: the module's tests set them, and so does an oots binary built
// with the ootsfault tag ("oots serve -fault NAME", "oots demo -fault NAME");
// a normal build offers no way to. The package is internal so that no
// program outside this module can name a defect: the zero Defect, a
// correct node, is the only one it can give.
package fault

import (
	"fmt"
	"strings"
)

// The names of the defects.
const (
	UnsignedReceipt    = "unsigned-receipt"
	WrongReceiptRef    = "wrong-receipt-ref"
	NoDedup            = "no-dedup"
	ErrorUnsigned      = "error-unsigned"
	AcceptBadSignature = "accept-bad-signature"
	AnySigner          = "any-signer"
	AnyReceiptSigner   = "any-receipt-signer"
)

// defects lists each defect with what it breaks, sorted by name.
var defects = [...]struct{ name, effect string }{
	{AcceptBadSignature, "a message failing signature verification (EBMS:0101) is answered HTTP 200 without a signal"},
	{AnyReceiptSigner, "a receipt signed by any trusted certificate marks the message delivered"},
	{AnySigner, "a user message signed by any trusted certificate is accepted as coming from the party its eb:From names"},
	{ErrorUnsigned, "ebMS Error signals are sent without a signature"},
	{NoDedup, "a repeated eb:MessageId is stored and delivered again"},
	{UnsignedReceipt, "receipts are sent without a signature"},
	{WrongReceiptRef, "receipts refer to another eb:MessageId than the received message's"},
}

// Defect is one deliberate defect; the zero Defect is none.
type Defect struct{ name string }

// Named returns the defect of that name; "" is none.
func Named(name string) (Defect, error) {
	if name == "" {
		return Defect{}, nil
	}
	for _, d := range defects {
		if d.name == name {
			return Defect{name}, nil
		}
	}
	return Defect{}, fmt.Errorf("unknown fault %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Must returns the defect of that name and panics if there is none: for
// tests, with one of the constants.
func Must(name string) Defect {
	d, err := Named(name)
	if err != nil {
		panic(err)
	}
	return d
}

// Names returns the names of every defect, sorted.
func Names() []string {
	names := make([]string, len(defects))
	for i, d := range defects {
		names[i] = d.name
	}
	return names
}

// Name is the defect's name, "" for none.
func (d Defect) Name() string { return d.name }

// Is reports whether d is the defect of that name.
func (d Defect) Is(name string) bool { return d.name != "" && d.name == name }

// None reports whether d is no defect: a correct node.
func (d Defect) None() bool { return d.name == "" }

// Effect says what the defect breaks; "" for none.
func (d Defect) Effect() string {
	for _, e := range defects {
		if e.name == d.name {
			return e.effect
		}
	}
	return ""
}

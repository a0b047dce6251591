//go:build !ootsfault

package main

import (
	"flag"

	"github.com/oots-go/oots/internal/fault"
)

// faultFlag registers no flag: a normal build cannot give an access point a
// deliberate defect (see fault_on.go). The tests in this package can, through
// env.
func faultFlag(_ *flag.FlagSet, env *Env, _ string) func() (fault.Defect, error) {
	return func() (fault.Defect, error) { return env.fault, nil }
}

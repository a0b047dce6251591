//go:build ootsfault

package main

import (
	"flag"
	"strings"

	"github.com/oots-go/oots/internal/fault"
)

// faultFlag registers -fault: this binary is built with the ootsfault tag,
// for the tests that show the conformance kit detecting each deliberate
// defect of an access point (package internal/fault). A normal build has
// no such flag (fault_off.go). The result gives the defect named, or
// env's, which the tests in this package set.
func faultFlag(fs *flag.FlagSet, env *Env, what string) func() (fault.Defect, error) {
	name := fs.String("fault", "", "TEST ONLY: give "+what+" one deliberate defect, to check that a conformance kit detects it: "+strings.Join(fault.Names(), ", "))
	return func() (fault.Defect, error) {
		if *name == "" {
			return env.fault, nil
		}
		return fault.Named(*name)
	}
}

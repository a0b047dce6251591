package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/oots-go/oots/edm"
)

// runFmt implements "oots fmt FILE": it parses the message and writes it
// back through the model (package edm) to standard output, with the
// conventional prefixes and indentation. For every valid message the output
// equals the input after exclusive canonicalisation. An ebMS header document
// (kind EBMS) is not modelled by package edm: it is written back as a plain
// tree. Exit 1 when the file is not an OOTS message, 2 on usage or I/O
// errors.
func runFmt(_ context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	fl.Usage = func() { fmt.Fprintln(env.Stderr, "usage: oots fmt FILE") }
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots fmt: %v\n", err)
		return 2
	}
	defer f.Close()
	m, findings, err := edm.Parse(f)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots fmt: %s: %v\n", fl.Arg(0), err)
		return 1
	}
	out, err := m.Marshal()
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots fmt: %s: %v\n", fl.Arg(0), err)
		return 1
	}
	if len(findings) > 0 {
		fmt.Fprintf(env.Stderr, "oots fmt: %s: %d findings (see oots validate); unknown parts are kept\n", fl.Arg(0), len(findings))
	}
	if _, err := env.Stdout.Write(out); err != nil {
		fmt.Fprintf(env.Stderr, "oots fmt: %v\n", err)
		return 2
	}
	return 0
}

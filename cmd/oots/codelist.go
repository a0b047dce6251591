package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/oots-go/oots/codelist"
)

// runCodelist lists the OOTS code lists, prints one list, or checks codes
// against a list:
//
//	oots codelist                          the lists: name, version, rows, URI
//	oots codelist LIST                     the codes of LIST with their names
//	oots codelist LIST CODE...             check codes (exit 1 if one is unknown)
//	oots codelist -file F.gc [CODE...]     the same with a Genericode file
//	oots codelist -export LIST             LIST as a Genericode document
//
// LIST is a ShortName (any case) or a canonical URI. With -spec, the
// Procedures list also accepts the later codes of that EDM version
// (codelist.KnownProcedure).
func runCodelist(_ context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("codelist", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	file := fs.String("file", "", "read the list from this Genericode 1.0 `file` instead of the built-in lists")
	spec := fs.String("spec", "", "EDM specification `version` for Procedures checks, e.g. oots-edm:v2.0")
	export := fs.Bool("export", false, "write the list as a Genericode 1.0 document (with the corrections of its notes)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots codelist [-spec version] [LIST [CODE...]]\n       oots codelist -file F.gc [CODE...]\n       oots codelist -export LIST")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	var l *codelist.List
	switch {
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots codelist:", err)
			return 2
		}
		if l, err = codelist.Parse(b, *file); err != nil {
			fmt.Fprintln(env.Stderr, "oots codelist:", err)
			return 2
		}
	case len(rest) == 0:
		for _, l := range codelist.All() {
			fmt.Fprintf(env.Stdout, "%s\t%s\t%d\t%s\n", l.ShortName, l.Version, l.Len(), l.CanonicalVersionURI)
		}
		return 0
	default:
		var ok bool
		if l, ok = findList(rest[0]); !ok {
			fmt.Fprintf(env.Stderr, "oots codelist: no code list %q (run 'oots codelist' for the names)\n", rest[0])
			return 2
		}
		rest = rest[1:]
	}
	if *export {
		if len(rest) > 0 {
			fs.Usage()
			return 2
		}
		b, err := l.MarshalGenericode()
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots codelist:", err)
			return 2
		}
		if _, err := env.Stdout.Write(b); err != nil {
			fmt.Fprintln(env.Stderr, "oots codelist:", err)
			return 2
		}
		return 0
	}
	if len(rest) == 0 {
		for _, n := range l.Notes {
			fmt.Fprintf(env.Stdout, "# %s\n", n)
		}
		for _, c := range l.Codes() {
			fmt.Fprintf(env.Stdout, "%s\t%s\n", c.Value, c.Name())
		}
		return 0
	}
	status := 0
	for _, code := range rest {
		c, found := l.Lookup(code)
		if !found && l == codelist.Procedures() && codelist.KnownProcedure(code, *spec) {
			c, found = codelist.ProceduresSupplement().Lookup(code)
		}
		if !found {
			fmt.Fprintf(env.Stdout, "%s\tunknown in %s\n", code, l)
			status = 1
			continue
		}
		fmt.Fprintf(env.Stdout, "%s\tok\t%s\n", code, c.Name())
	}
	return status
}

// findList finds a built-in list by ShortName (exact, then any case) or by
// canonical URI.
func findList(name string) (*codelist.List, bool) {
	if l, ok := codelist.ByName(name); ok {
		return l, true
	}
	for _, l := range codelist.All() {
		if strings.EqualFold(l.ShortName, name) {
			return l, true
		}
	}
	return codelist.ByURI(name)
}

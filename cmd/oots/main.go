// Command oots is the single binary of the oots project: a Member State's OOTS
// node (AS4 access point and OOTS connector), the Common Services, and the tools
// to validate messages and test conformance.
//
// Each subcommand lives in its own file of this package and is listed in
// commands below.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/oots-go/oots/internal/fault"
)

// command is one subcommand: run gets the arguments after the command name
// and returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

// Env is what a subcommand may touch of the process: its streams and
// working directory. Tests pass their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string

	// fault, set only by the tests of this package, gives the access
	// points that "oots serve" and "oots demo" start one deliberate
	// defect, to show that the conformance kit detects it.
	fault fault.Defect
}

// commands lists every subcommand. Keep it sorted by name.
var commands = map[string]command{
	"as4":         {"pack or unpack an AS4 message (ebMS3, WS-Security, MIME) as an HTTP request", runAS4},
	"codelist":    {"list the OOTS code lists, or check codes against one", runCodelist},
	"conformance": {"run the conformance kit against a node and Common Services: AS4, EB/DSD, readiness level", runConformance},
	"console":     {"manage the accounts of the operator's console (oots console user add)", runConsole},
	"cs":          {"serve the Common Services: Evidence Broker, DSD, Semantic Repository, LCM", runCS},
	"cs-discover": {"find a Common Services instance by DNS NAPTR", runCSDiscover},
	"cs-verify":   {"verify the response signature of a Common Services answer", runCSVerify},
	"demo":        {"run a whole OOTS network on this machine: Common Services and four Member State nodes", runDemo},
	"doctor":      {"check a node configuration: keys, certificates, P-Modes, partner endpoints, database", runDoctor},
	"fmt":         {"re-emit an OOTS message through the message model", runFmt},
	"init":        {"scaffold a node in a directory: keys (or a CSR), configuration and P-Mode for a profile", runInit},
	"partner":     {"add a partner to a node: its certificates and endpoint, or a party of a Domibus P-Mode", runPartner},
	"journal":     {"the audit journal: export (one evidence's AS4 ids and receipt digests), verify, purge", runJournal},
	"lcm":         {"submit a Member State's EB/DSD data to the Common Services over AS4 (LCM) through a running node", runLCM},
	"pki":         {"make test keys and certificates (CA, RSA or Ed25519/X25519 access points)", runPKI},
	"rules":       {"list the business rules (Schematron) that judge each message kind and version, with checksums", runRules},
	"send":        {"submit a message to a running node through its backend API, and wait for its receipt", runSend},
	"serve":       {"run an AS4 access point node from a configuration file", runServe},
	"smp":         {"SMP server and client: serve, manage entries, look endpoints up by BDXL and SMP", runSMP},
	"validate":    {"check OOTS messages: kind, version, structure, code lists, business rules", runValidate},
	"version":     {"print the version", runVersion},
}

// buildVersion is set at build time with -ldflags "-X main.buildVersion=…";
// a variable, because -X sets only variables, and unexported, so that no
// code changes it.
var buildVersion = "dev"

func runVersion(_ context.Context, env *Env, _ []string) int {
	fmt.Fprintln(env.Stdout, "oots", buildVersion)
	return 0
}

// Main runs the CLI with the given arguments (without the program name) and
// returns the exit code: 0 success, 1 a negative result (invalid message,
// failed check), 2 usage or I/O error.
func Main(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "oots: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return 2
	}
	return c.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: oots <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'oots <command> -h' for a command's options.")
}

func main() {
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(Main(context.Background(), env, os.Args[1:]))
}

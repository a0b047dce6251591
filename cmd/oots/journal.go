package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

// oots journal: the audit journal of a node (package journal) read, checked
// and purged from its database, as an auditor or an operator does it.
//
//	oots journal export -db DB [-exchange ID] [-json]   the journal, or the chain of one evidence
//	oots journal verify -db DB                          check the hash chain; print its head
//	oots journal verify-export [-head SEQ:HASH] FILE    check an export offline, against a head kept earlier
//	oots journal purge -db DB -key FILE [-months 12]    remove what is older than the retention period (journaled)
//
// DB is a SQLite file (the node's oots.db; in `oots demo`, DIR/CC/oots.db)
// or a PostgreSQL URL.

func journalUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: oots journal export -db DB [-exchange ID] [-json]
       oots journal verify -db DB
       oots journal verify-export [-head SEQ:HASH] FILE
       oots journal purge -db DB -key FILE [-months 12]

export without -exchange writes every entry as JSON lines (what verify-export
checks offline); with -exchange it shows the chain of one evidence exchange
(the request's id or EDM 2.0 ExchangeId): the AS4 message ids of the request
and the response and the NRR digests of their signed receipts.
verify prints the journal's head (SEQ:HASH): kept outside the journal, it lets
verify-export -head prove later that an export holds every entry up to it,
unchanged (an export cut short after any entry verifies by itself). FILE "-"
is the standard input.
export and verify only read DB (SQLite read-only; PostgreSQL read-only
transactions, so a role with SELECT alone may run them); a database without
the journal's tables is refused, not set up. Only purge writes.
DB is a SQLite file (in oots demo: DIR/CC/oots.db) or a postgres:// URL.`)
}

func runJournal(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		journalUsage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "verify-export" {
		return runVerifyExport(env, args[1:])
	}
	fs := flag.NewFlagSet("oots journal "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dsn := fs.String("db", "", "the node's database: a SQLite file or a postgres:// URL")
	exch := fs.String("exchange", "", "export: the chain of this evidence exchange only")
	asJSON := fs.Bool("json", false, "export -exchange: JSON lines instead of a table")
	keyFile := fs.String("key", "", "purge: the journal's 32-byte key file (the entry the purge appends is written with it)")
	months := fs.Int("months", journal.DefaultRetentionMonths, "purge: the retention period in months")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dsn == "" || fs.NArg() > 0 {
		journalUsage(env.Stderr)
		return 2
	}
	// Reading and checking need no key: personal data stays sealed.
	key := make([]byte, 32)
	if args[0] == "purge" {
		if *keyFile == "" {
			fmt.Fprintln(env.Stderr, "oots journal purge: -key is required (the journal's key file)")
			return 2
		}
		if *months <= 0 {
			fmt.Fprintln(env.Stderr, "oots journal purge: -months must be positive")
			return 2
		}
		k, err := os.ReadFile(*keyFile)
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots journal purge:", err)
			return 2
		}
		key = k
	}
	if !strings.Contains(*dsn, "://") {
		if _, err := os.Stat(*dsn); err != nil {
			fmt.Fprintln(env.Stderr, "oots journal:", err)
			return 2
		}
	}
	// Only purge writes: verify and export open the database read-only, so
	// that they neither change what they check nor need more than SELECT.
	open := store.OpenReadOnly
	if args[0] == "purge" {
		open = store.Open
	}
	db, err := open(ctx, *dsn)
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots journal:", err)
		return 2
	}
	defer db.Close()
	j, err := journal.Open(ctx, db, journal.Config{Key: key, Node: "oots-journal", RetentionMonths: *months})
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots journal:", err)
		return 2
	}
	switch args[0] {
	case "export":
		if *exch == "" {
			if err := j.Export(ctx, env.Stdout); err != nil {
				fmt.Fprintln(env.Stderr, "oots journal export:", err)
				return 2
			}
			return 0
		}
		es, err := j.Evidence(ctx, *exch)
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots journal export:", err)
			return 2
		}
		if len(es) == 0 {
			fmt.Fprintf(env.Stderr, "oots journal export: no entry of exchange %q\n", *exch)
			return 1
		}
		if *asJSON {
			enc := json.NewEncoder(env.Stdout)
			for _, e := range es {
				enc.Encode(e)
			}
			return 0
		}
		writeEvidenceChain(env.Stdout, *exch, es)
		return 0
	case "verify":
		n, err := j.Verify(ctx)
		if err != nil {
			fmt.Fprintf(env.Stdout, "journal broken after %d entries: %v\n", n, err)
			if errors.Is(err, journal.ErrTampered) {
				return 1
			}
			return 2
		}
		base, _, _ := j.Base(ctx)
		seq, head, _ := j.Head(ctx)
		if base > 0 {
			fmt.Fprintf(env.Stdout, "journal holds: %d entries (%d to %d; 1 to %d purged by retention), head %d:%s\n", n, base+1, seq, base, seq, head)
		} else {
			fmt.Fprintf(env.Stdout, "journal holds: %d entries, head %d:%s\n", n, seq, head)
		}
		return 0
	case "purge":
		p, err := j.PurgeExpired(ctx)
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots journal purge:", err)
			return 2
		}
		if p.Count == 0 {
			fmt.Fprintf(env.Stdout, "nothing older than %d months\n", *months)
			return 0
		}
		fmt.Fprintf(env.Stdout, "purged %d entries (up to %d); journaled as entry %d (%s)\n", p.Count, p.Through, p.Checkpoint.Seq, p.Checkpoint.Outcome)
		return 0
	}
	fmt.Fprintf(env.Stderr, "oots journal: unknown subcommand %q\n", args[0])
	journalUsage(env.Stderr)
	return 2
}

// runVerifyExport checks an export file (journal.VerifyExport), and with
// -head against a head that oots journal verify printed earlier
// (journal.VerifyExportHead). It needs no database and no key.
func runVerifyExport(env *Env, args []string) int {
	fs := flag.NewFlagSet("oots journal verify-export", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	headFlag := fs.String("head", "", "SEQ:HASH, a head that oots journal verify printed: the export must hold that entry, unchanged")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		journalUsage(env.Stderr)
		return 2
	}
	var seq int64
	var head journal.Hash
	if *headFlag != "" {
		s, h, ok := strings.Cut(*headFlag, ":")
		var err error
		if ok {
			seq, err = strconv.ParseInt(s, 10, 64)
			if err == nil {
				err = head.UnmarshalText([]byte(h))
			}
		}
		if !ok || err != nil {
			fmt.Fprintf(env.Stderr, "oots journal verify-export: -head %q is not SEQ:HASH (as oots journal verify prints it)\n", *headFlag)
			return 2
		}
	}
	var r io.Reader = env.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots journal verify-export:", err)
			return 2
		}
		defer f.Close()
		r = f
	}
	if r == nil {
		fmt.Fprintln(env.Stderr, "oots journal verify-export: no standard input")
		return 2
	}
	var err error
	if *headFlag != "" {
		err = journal.VerifyExportHead(r, seq, head)
	} else {
		err = journal.VerifyExport(r)
	}
	var xe *journal.ExportError
	switch {
	case errors.Is(err, journal.ErrTampered):
		fmt.Fprintln(env.Stdout, "export broken:", err)
		return 1
	case errors.As(err, &xe):
		fmt.Fprintln(env.Stdout, "not an export:", err)
		return 1
	case err != nil:
		fmt.Fprintln(env.Stderr, "oots journal verify-export:", err)
		return 2
	case *headFlag != "":
		fmt.Fprintf(env.Stdout, "export verifies, and holds entry %d of the head unchanged\n", seq)
	default:
		fmt.Fprintln(env.Stdout, "export verifies (without -head it may end before the journal's head)")
	}
	return 0
}

// writeEvidenceChain prints the entries of one evidence exchange: what
// happened, to which AS4 message, and the receipt that proves its delivery.
func writeEvidenceChain(w io.Writer, exchange string, es []*journal.Entry) {
	fmt.Fprintf(w, "evidence exchange %s\n\n", exchange)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tEVENT\tAS4 MESSAGE\tRECEIPT\tOUTCOME")
	for _, e := range es {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Format(time.RFC3339), e.Event, dash(e.MessageID), dash(e.Receipt), dash(e.Outcome))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nnon-repudiation (digests of the signed receipts):")
	for _, e := range es {
		if e.NRR == "" {
			continue
		}
		who := "receipt " + e.Receipt + " from the partner"
		if e.Receipt == "" {
			who = "our signed receipt"
		}
		fmt.Fprintf(w, "  %s (%s, entry %d):\n", e.MessageID, who, e.Seq)
		for _, d := range strings.Fields(e.NRR) {
			fmt.Fprintf(w, "    %s\n", d)
		}
	}
	fmt.Fprintln(w, "\nentry hashes (in the hash chain that oots journal verify checks):")
	for _, e := range es {
		fmt.Fprintf(w, "  %d %s\n", e.Seq, e.Hash)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

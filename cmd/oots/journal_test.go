package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/store"
)

// TestJournalExportEvidence: after a journey of the demo network (real
// access points, signed receipts), `oots journal export -exchange` on each
// node's database shows the AS4 message ids of the request and the response
// and the digests of their signed receipts; the digests the requester's node
// received in the provider's receipt are those the provider journaled as
// the ones it signed.
func TestJournalExportEvidence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a demo network")
	}
	ctx := context.Background()
	dir := t.TempDir()
	n, err := demonet.Start(ctx, demonet.Config{Dir: dir, Countries: []string{"DE", "FR"}, WithoutPreview: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			n.Close()
		}
	}()
	who := demo.Users("FR")[0]
	p := who.Identified("DE")
	subject := eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: "FR", Country: "FR", AuthTime: time.Now()}
	de := n.Node("DE")
	j, err := de.Requester.Start(ctx, requester.StartRequest{Procedure: "R1", Country: "FR", Subject: subject, ReturnURL: de.PortalURL + "/return"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := de.Requester.Request(ctx, j.ID, j.Requirements[0].ID, requester.ExplicitRequest{Given: true}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if j, err = de.Requester.Get(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		if j.State != requester.JourneyOpen || time.Now().After(deadline) {
			break
		}
	}
	if j.State != requester.JourneyComplete {
		t.Fatalf("journey %s", j.State)
	}
	exch := j.Requirements[0].Exchange.ID
	// The provider's receipt for the response is journaled once its
	// access point recorded the delivery: wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		es, err := n.Node("FR").Journal.Evidence(ctx, exch)
		if err != nil {
			t.Fatal(err)
		}
		if hasEvent(es, journal.EventReceipt) || time.Now().After(deadline) {
			break
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true

	chain := func(cc string) []*journal.Entry {
		t.Helper()
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		if code := Main(ctx, env, []string{"journal", "export", "-db", filepath.Join(dir, cc, "oots.db"), "-exchange", exch, "-json"}); code != 0 {
			t.Fatalf("journal export %s: exit %d: %s", cc, code, errb.String())
		}
		var es []*journal.Entry
		dec := json.NewDecoder(&out)
		for dec.More() {
			var e journal.Entry
			if err := dec.Decode(&e); err != nil {
				t.Fatal(err)
			}
			es = append(es, &e)
		}
		return es
	}
	deChain, frChain := chain("DE"), chain("FR")
	sent := find(t, deChain, journal.EventRequestSent)
	rcpt := find(t, deChain, journal.EventReceipt)
	resp := find(t, deChain, journal.EventResponseReceived)
	if rcpt.MessageID != sent.MessageID || rcpt.Receipt == "" || !strings.Contains(rcpt.NRR, "=sha256:") {
		t.Fatalf("DE: receipt entry %+v for request %s", rcpt, sent.MessageID)
	}
	if resp.NRR == "" || resp.MessageID == sent.MessageID {
		t.Fatalf("DE: response entry %+v", resp)
	}
	got := find(t, frChain, journal.EventRequestReceived)
	if got.MessageID != sent.MessageID || got.NRR != rcpt.NRR {
		t.Fatalf("FR journaled request %s with digests %q; DE's receipt from FR has %q", got.MessageID, got.NRR, rcpt.NRR)
	}
	// The provider journals its answer before its access point names it:
	// the receipt entry names the answer and the request it refers to.
	find(t, frChain, journal.EventResponseSent)
	frRcpt := find(t, frChain, journal.EventReceipt)
	if frRcpt.MessageID != resp.MessageID || frRcpt.RefTo != sent.MessageID || frRcpt.NRR != resp.NRR {
		t.Fatalf("FR: receipt %+v; DE received %s with digests %q", frRcpt, resp.MessageID, resp.NRR)
	}

	// The table form names both messages, the receipt and the digests.
	var out bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if code := Main(ctx, env, []string{"journal", "export", "-db", filepath.Join(dir, "DE", "oots.db"), "-exchange", exch}); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, s := range []string{sent.MessageID, resp.MessageID, rcpt.Receipt, strings.Fields(rcpt.NRR)[0]} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the chain does not show %q:\n%s", s, out.String())
		}
	}
	t.Logf("oots journal export -exchange %s:\n%s", exch, out.String())
	out.Reset()
	if code := Main(ctx, env, []string{"journal", "verify", "-db", filepath.Join(dir, "DE", "oots.db")}); code != 0 {
		t.Fatalf("journal verify: exit %d: %s", code, out.String())
	}
}

func hasEvent(es []*journal.Entry, event string) bool {
	for _, e := range es {
		if e.Event == event {
			return true
		}
	}
	return false
}

func find(t *testing.T, es []*journal.Entry, event string) *journal.Entry {
	t.Helper()
	for _, e := range es {
		if e.Event == event {
			return e
		}
	}
	var evs []string
	for _, e := range es {
		evs = append(evs, e.Event)
	}
	t.Fatalf("no %s entry among %v", event, evs)
	return nil
}

// TestJournalPurge: "oots journal purge" removes what is older than the
// retention period, journals it, and the chain still verifies.
func TestJournalPurge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath, keyPath := filepath.Join(dir, "oots.db"), filepath.Join(dir, "journal.key")
	key := bytes.Repeat([]byte{7}, 32)
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(-2, 0, 0)
	j, err := journal.Open(ctx, db, journal.Config{Key: key, Node: "DE", Now: func() time.Time { old = old.Add(time.Hour); return old }})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := j.Append(ctx, journal.Record{Event: journal.EventRequestSent, Exchange: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		return Main(ctx, env, append([]string{"journal"}, args...)), out.String()
	}
	if code, out := run("purge", "-db", dbPath); code != 2 || !strings.Contains(out, "-key") {
		t.Errorf("purge without -key: exit %d: %s", code, out)
	}
	if code, out := run("purge", "-db", dbPath, "-key", keyPath); code != 0 || !strings.Contains(out, "purged 3 entries (up to 3); journaled as entry 4") {
		t.Errorf("purge: exit %d: %s", code, out)
	}
	if code, out := run("verify", "-db", dbPath); code != 0 || !strings.Contains(out, "1 entries (4 to 4; 1 to 3 purged by retention)") {
		t.Errorf("verify after the purge: exit %d: %s", code, out)
	}
	if code, out := run("purge", "-db", dbPath, "-key", keyPath); code != 0 || !strings.Contains(out, "nothing older than 12 months") {
		t.Errorf("a second purge: exit %d: %s", code, out)
	}
}

// TestJournalVerifyExport: the head "oots journal verify" prints, kept
// outside the journal, makes "oots journal verify-export -head" refuse an
// export cut short before it, which verifies by itself.
func TestJournalVerifyExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "oots.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(ctx, db, journal.Config{Key: bytes.Repeat([]byte{7}, 32), Node: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := j.Append(ctx, journal.Record{Event: journal.EventRequestSent, Exchange: fmt.Sprint("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	run := func(stdin string, args ...string) (int, string) {
		var out bytes.Buffer
		env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		return Main(ctx, env, append([]string{"journal"}, args...)), out.String()
	}
	code, out := run("", "verify", "-db", dbPath)
	_, head, ok := strings.Cut(strings.TrimSpace(out), "head ")
	if code != 0 || !ok || !strings.HasPrefix(head, "4:") {
		t.Fatalf("verify: exit %d: %s", code, out)
	}
	code, export := run("", "export", "-db", dbPath)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, export)
	}
	full, cut := filepath.Join(dir, "full.jsonl"), filepath.Join(dir, "cut.jsonl")
	lines := strings.SplitAfter(export, "\n")
	os.WriteFile(full, []byte(export), 0o600)
	os.WriteFile(cut, []byte(strings.Join(lines[:2], "")), 0o600)
	for _, c := range []struct {
		args  []string
		stdin string
		code  int
		says  string
	}{
		{[]string{full}, "", 0, "export verifies"},
		{[]string{"-head", head, full}, "", 0, "holds entry 4 of the head"},
		{[]string{"-head", head, "-"}, export, 0, "holds entry 4 of the head"},
		{[]string{cut}, "", 0, "export verifies"},
		{[]string{"-head", head, cut}, "", 1, "entry 4: missing from the export"},
		{[]string{"-head", "4", full}, "", 2, "is not SEQ:HASH"},
		{[]string{"-head", head, filepath.Join(dir, "none")}, "", 2, "no such file"},
		{[]string{"-head", head}, "", 2, "usage"},
	} {
		if code, out := run(c.stdin, append([]string{"verify-export"}, c.args...)...); code != c.code || !strings.Contains(out, c.says) {
			t.Errorf("verify-export %q: exit %d, want %d saying %q:\n%s", c.args, code, c.code, c.says, out)
		}
	}
}

// TestJournalReadOnly: "oots journal verify" and "export" do not change the
// database they read. A database that is not a node's is refused and left
// as it was, as SQLite's own shell and PostgreSQL's catalogue see it
// (before, the node's tables were created in it); on PostgreSQL, where every
// transaction of the command is read only, a role that may only SELECT
// verifies and exports the journal.
func TestJournalReadOnly(t *testing.T) {
	ctx := context.Background()
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		return Main(ctx, env, append([]string{"journal"}, args...)), out.String()
	}
	t.Run("sqlite", func(t *testing.T) {
		sqlite3 := testenv.Tool(t, "sqlite3")
		other := filepath.Join(t.TempDir(), "other.db")
		shell := func(cmd string) string {
			out, err := exec.Command(sqlite3, other, cmd).CombinedOutput()
			if err != nil {
				t.Fatalf("sqlite3 %s: %v: %s", cmd, err, out)
			}
			return string(out)
		}
		shell("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('kept');")
		sum, tables := shell(".sha3sum"), shell(".tables")
		for _, sub := range []string{"verify", "export"} {
			code, out := run(sub, "-db", other)
			if code != 2 || !strings.Contains(out, "lacks a migration: journal 0001") {
				t.Errorf("%s on a file that is not a node's database: exit %d: %s", sub, code, out)
			}
		}
		if got := shell(".tables"); got != tables {
			t.Errorf("tables after verify and export: %q, before %q", got, tables)
		}
		if got := shell(".sha3sum"); got != sum {
			t.Errorf("the database changed: sha3sum %s, before %s", got, sum)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		testenv.SkipShort(t, "starts PostgreSQL")
		pg := pgtest.Start(t)
		dsn := pg.NewDatabase(t)
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		j, err := journal.Open(ctx, db, journal.Config{Key: bytes.Repeat([]byte{7}, 32), Node: "DE"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := j.Append(ctx, journal.Record{Event: journal.EventRequestSent, Exchange: fmt.Sprint("x", i)}); err != nil {
				t.Fatal(err)
			}
		}
		empty := pg.NewDatabase(t)
		if code, out := run("verify", "-db", empty); code != 2 || !strings.Contains(out, "lacks a migration: journal 0001") {
			t.Errorf("verify on a database that is not a node's: exit %d: %s", code, out)
		}
		var tables int
		if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables); err != nil || tables == 0 {
			t.Fatalf("tables of the node's database: %d, %v", tables, err)
		}
		if edb, err := sql.Open("pgx", empty); err != nil {
			t.Fatal(err)
		} else {
			err := edb.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables)
			edb.Close()
			if err != nil || tables != 0 {
				t.Errorf("verify created %d tables in a database that is not a node's (%v)", tables, err)
			}
		}
		u, _ := url.Parse(dsn)
		name := strings.TrimPrefix(u.Path, "/")
		for _, q := range []string{
			"CREATE ROLE auditor LOGIN",
			"GRANT CONNECT ON DATABASE " + name + " TO auditor",
			"GRANT USAGE ON SCHEMA public TO auditor",
			"GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor",
		} {
			if _, err := db.SQL().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
		u.User = url.User("auditor")
		code, out := run("verify", "-db", u.String())
		if code != 0 || !strings.Contains(out, "journal holds: 3 entries, head 3:") {
			t.Errorf("verify as a role that may only SELECT: exit %d: %s", code, out)
		}
		if code, out := run("export", "-db", u.String()); code != 0 || strings.Count(out, "\n") != 3 {
			t.Errorf("export as a role that may only SELECT: exit %d: %s", code, out)
		}
	})
}

package journal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

// TestJournal runs one behavioural suite against both databases of package
// store.
func TestJournal(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		runSuite(t, func(t testing.TB) string { return filepath.Join(t.TempDir(), "oots.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		runSuite(t, srv.NewDatabase)
	})
}

func openDB(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// clock returns a goroutine-safe clock that advances one second per call
// from a fixed time.
func clock() func() time.Time {
	var n atomic.Int64
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 123_456_789, time.UTC)
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)-1) * time.Second) }
}

func openJournal(t testing.TB, db *store.DB, node string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), db, journal.Config{Key: testKey, Node: node, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func record(i int) journal.Record {
	r := journal.Record{
		Event:        journal.EventRequestSent,
		Conversation: fmt.Sprintf("conv-%d", i%2),
		Exchange:     fmt.Sprintf("urn:uuid:exchange-%d", i),
		MessageID:    fmt.Sprintf("msg-%d@oots.example", i),
		Procedure:    "R1",
		Requester:    "FR-ER-1",
		Provider:     "DE-EP-R1",
		EvidenceType: "BirthCertificate",
		Outcome:      journal.OutcomeOK,
	}
	if i%3 != 2 {
		r.Personal = &journal.Personal{GivenName: "Erika", FamilyName: fmt.Sprintf("Mustermann-%d", i),
			DateOfBirth: "1964-08-12", Identifier: "DE/FR/123456789"}
	}
	return r
}

func appendN(t testing.TB, j *journal.Journal, n int) []*journal.Entry {
	t.Helper()
	var out []*journal.Entry
	for i := range n {
		e, err := j.Append(context.Background(), record(i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// unprotect removes the append-only triggers, as an administrator bent on
// rewriting the journal would.
func unprotect(t *testing.T, db *store.DB) {
	t.Helper()
	var stmts []string
	if db.Dialect() == store.PostgreSQL {
		stmts = []string{`ALTER TABLE journal_entries DISABLE TRIGGER USER`, `ALTER TABLE journal_head DISABLE TRIGGER USER`}
	} else {
		stmts = []string{`DROP TRIGGER journal_entries_no_update`, `DROP TRIGGER journal_entries_no_delete`,
			`DROP TRIGGER journal_head_no_delete`, `DROP TRIGGER journal_head_forward`}
	}
	for _, s := range stmts {
		if _, err := db.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL().Exec(db.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// appendedOnce runs add eight times at once, on j and j2 (two nodes of a
// cluster) in turn, and fails t unless exactly one call appended.
func appendedOnce(t *testing.T, j, j2 *journal.Journal, add func(*journal.Journal) (*journal.Entry, bool, error)) {
	t.Helper()
	var wg sync.WaitGroup
	var appended atomic.Int64
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jj := j
			if i%2 == 1 {
				jj = j2
			}
			e, ok, err := add(jj)
			if err != nil || ok != (e != nil) {
				t.Errorf("append = %v, %v, %v", e, ok, err)
			}
			if ok {
				appended.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := appended.Load(); n != 1 {
		t.Errorf("appended %d times, want once", n)
	}
}

func runSuite(t *testing.T, newDSN func(t testing.TB) string) {
	ctx := context.Background()

	t.Run("a step appended once", func(t *testing.T) {
		dsn := newDSN(t)
		db := openDB(t, dsn)
		j, j2 := openJournal(t, db, "node-a"), openJournal(t, openDB(t, dsn), "node-b")
		r := journal.Record{Event: journal.EventRequestSent, Conversation: "conv-1", Exchange: "urn:uuid:ex-1", MessageID: "msg-9@oots.example", Outcome: journal.OutcomeOK}
		// The same step journaled again, concurrently (a transaction
		// retried on two nodes of a cluster): one entry.
		appendedOnce(t, j, j2, func(j *journal.Journal) (*journal.Entry, bool, error) { return j.AppendOnce(ctx, r) })
		// Another event, exchange or message is another step.
		for _, edit := range []func(*journal.Record){
			func(r *journal.Record) { r.Event = journal.EventRequestID },
			func(r *journal.Record) { r.Exchange = "urn:uuid:ex-2" },
			func(r *journal.Record) { r.MessageID = "msg-10@oots.example" },
		} {
			o := r
			edit(&o)
			if _, ok, err := j.AppendOnce(ctx, o); !ok || err != nil {
				t.Errorf("%+v: %v, %v", o, ok, err)
			}
		}
		// After another step about the message (it did not go), the
		// step happening again is journaled again, once.
		if _, ok, err := j.AppendOnce(ctx, journal.Record{Event: journal.EventError, Conversation: "conv-1", Exchange: r.Exchange, MessageID: r.MessageID, Outcome: "not sent"}); !ok || err != nil {
			t.Errorf("the error: %v, %v", ok, err)
		}
		for i, want := range []bool{true, false} {
			if _, ok, err := j.AppendOnce(ctx, r); ok != want || err != nil {
				t.Errorf("the step again (%d): appended %v, %v; want %v", i, ok, err, want)
			}
		}
		// A record without a message id cannot be told from another.
		if _, _, err := j.AppendOnce(ctx, journal.Record{Event: journal.EventRequestSent}); !errors.Is(err, journal.ErrInvalidRecord) {
			t.Errorf("AppendOnce without MessageID = %v, want ErrInvalidRecord", err)
		}
		if n, err := j.Verify(ctx); n != 6 || err != nil {
			t.Errorf("Verify = %d, %v", n, err)
		}
	})

	t.Run("a receipt appended once", func(t *testing.T) {
		dsn := newDSN(t)
		db := openDB(t, dsn)
		j, j2 := openJournal(t, db, "node-a"), openJournal(t, openDB(t, dsn), "node-b")
		appendN(t, j, 2)
		r := journal.Record{Event: journal.EventReceipt, MessageID: "msg-0@oots.example", Receipt: "rcpt-1@oots.example",
			NRR: "#body=sha256:AAAA", Outcome: journal.OutcomeOK}
		// The same receipt handed over again, concurrently, by two nodes
		// of a cluster: one entry.
		appendedOnce(t, j, j2, func(j *journal.Journal) (*journal.Entry, bool, error) { return j.AppendReceipt(ctx, r) })
		// Another receipt of the message (or of another message) is
		// journaled; a receipt journaled by Append is not again.
		other := r
		other.Receipt = "rcpt-2@oots.example"
		if _, ok, err := j.AppendReceipt(ctx, other); !ok || err != nil {
			t.Errorf("another receipt: %v, %v", ok, err)
		}
		third := r
		third.MessageID = "msg-1@oots.example"
		if _, err := j.Append(ctx, third); err != nil {
			t.Fatal(err)
		}
		if e, ok, err := j.AppendReceipt(ctx, third); ok || e != nil || err != nil {
			t.Errorf("a receipt appended before: %v, %v, %v", e, ok, err)
		}
		all, err := j.List(ctx, journal.Filter{})
		if err != nil || len(all) != 5 {
			t.Fatalf("List = %d entries, %v; want 5", len(all), err)
		}
		if n, err := j.Verify(ctx); n != 5 || err != nil {
			t.Errorf("Verify = %d, %v", n, err)
		}
		// Only receipts with their ids are taken.
		for _, bad := range []journal.Record{record(0), {Event: journal.EventReceipt, MessageID: "m"}, {Event: journal.EventReceipt, Receipt: "r"}} {
			if _, _, err := j.AppendReceipt(ctx, bad); !errors.Is(err, journal.ErrInvalidRecord) {
				t.Errorf("AppendReceipt(%+v) = %v, want ErrInvalidRecord", bad, err)
			}
		}
		// The look-up reads the index of message ids, not the table.
		if db.Dialect() == store.SQLite {
			var id, parent, unused int
			var plan string
			err := db.SQL().QueryRow(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM journal_entries WHERE message_id = ? AND event = ? AND receipt = ?`,
				r.MessageID, r.Event, r.Receipt).Scan(&id, &parent, &unused, &plan)
			if err != nil || !strings.Contains(plan, "INDEX journal_entries_message") {
				t.Errorf("query plan %q, %v", plan, err)
			}
		}
	})

	t.Run("append, list, decrypt, reopen", func(t *testing.T) {
		dsn := newDSN(t)
		db := openDB(t, dsn)
		j := openJournal(t, db, "node-a")
		if n, err := j.Verify(ctx); n != 0 || err != nil {
			t.Fatalf("empty journal: Verify = %d, %v", n, err)
		}
		es := appendN(t, j, 5)
		var prev journal.Hash
		for i, e := range es {
			if e.Seq != int64(i+1) || e.Prev != prev || e.Hash != e.ComputeHash() || e.Node != "node-a" {
				t.Fatalf("entry %d: seq %d prev %s hash %s node %q", i, e.Seq, e.Prev, e.Hash, e.Node)
			}
			want := time.Date(2026, 11, 22, 10, 0, i, 123_000_000, time.UTC)
			if !e.Time.Equal(want) || e.Time.Location() != time.UTC {
				t.Errorf("entry %d: time %v, want %v", i, e.Time, want)
			}
			prev = e.Hash
		}
		if n, err := j.Verify(ctx); n != 5 || err != nil {
			t.Fatalf("Verify = %d, %v", n, err)
		}
		seq, head, err := j.Head(ctx)
		if err != nil || seq != 5 || head != es[4].Hash {
			t.Fatalf("Head = %d %s %v", seq, head, err)
		}

		all, err := j.List(ctx, journal.Filter{})
		if err != nil || len(all) != 5 {
			t.Fatalf("List: %d entries, %v", len(all), err)
		}
		for i := range all {
			if !entriesEqual(all[i], es[i]) {
				t.Errorf("listed entry %d differs from appended:\n%+v\n%+v", i+1, all[i], es[i])
			}
		}
		for _, tc := range []struct {
			name string
			f    journal.Filter
			want []int64
		}{
			{"conversation", journal.Filter{Conversation: "conv-1"}, []int64{2, 4}},
			{"since", journal.Filter{Since: es[3].Time}, []int64{4, 5}},
			{"after and limit", journal.Filter{After: 1, Limit: 2}, []int64{2, 3}},
			{"conversation and since", journal.Filter{Conversation: "conv-0", Since: es[1].Time}, []int64{3, 5}},
			{"unknown conversation", journal.Filter{Conversation: "nope"}, nil},
		} {
			got, err := j.List(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tc.want) {
				t.Errorf("%s: seqs %v, want %v", tc.name, seqs, tc.want)
			}
		}
		if _, err := j.List(ctx, journal.Filter{Limit: -1}); err == nil {
			t.Error("List with a negative limit: no error")
		}

		// Personal data: stored sealed, opened with the key only.
		p, err := j.Personal(all[1])
		if err != nil || p == nil || p.FamilyName != "Mustermann-1" || p.Identifier != "DE/FR/123456789" {
			t.Fatalf("Personal(entry 2) = %+v, %v", p, err)
		}
		if p, err := all[2].Open(testKey); p != nil || err != nil {
			t.Errorf("entry without personal data: %+v, %v", p, err)
		}
		if len(all[2].Sealed) != 0 {
			t.Errorf("entry 3 has no personal data but Sealed is %d bytes", len(all[2].Sealed))
		}
		wrong := bytes.Repeat([]byte{0x43}, 32)
		if _, err := all[0].Open(wrong); !errors.Is(err, journal.ErrDecrypt) {
			t.Errorf("wrong key: %v, want ErrDecrypt", err)
		}
		moved := *all[0]
		moved.Seq = 2 // sealed data moved to another entry
		if _, err := moved.Open(testKey); !errors.Is(err, journal.ErrDecrypt) {
			t.Errorf("sealed data of entry 1 opened as entry 2: %v, want ErrDecrypt", err)
		}
		var raw []byte
		if err := db.SQL().QueryRow(`SELECT personal FROM journal_entries WHERE seq = 1`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("Erika")) || bytes.Contains(raw, []byte("1964")) || len(raw) < 12+16 {
			t.Errorf("stored personal data is not sealed: %q", raw)
		}

		// A restart (a second handle, as another node) continues the chain.
		j2 := openJournal(t, openDB(t, dsn), "node-b")
		e, err := j2.Append(ctx, record(6))
		if err != nil || e.Seq != 6 || e.Prev != es[4].Hash || e.Node != "node-b" {
			t.Fatalf("append after reopening: %+v, %v", e, err)
		}
		if n, err := j.Verify(ctx); n != 6 || err != nil {
			t.Fatalf("Verify after reopening = %d, %v", n, err)
		}
	})

	t.Run("invalid records and configuration", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j := openJournal(t, db, "node-a")
		for _, tc := range []struct {
			name string
			r    journal.Record
		}{
			{"no event", journal.Record{Conversation: "c"}},
			{"event not a word", journal.Record{Event: "Request Sent"}},
			{"personal data too large", journal.Record{Event: journal.EventError, Personal: &journal.Personal{Other: map[string]string{"x": strings.Repeat("y", 70000)}}}},
		} {
			if _, err := j.Append(ctx, tc.r); !errors.Is(err, journal.ErrInvalidRecord) {
				t.Errorf("%s: %v, want ErrInvalidRecord", tc.name, err)
			}
		}
		if n, err := j.Verify(ctx); n != 0 || err != nil {
			t.Errorf("refused records were stored: Verify = %d, %v", n, err)
		}
		// Text a partner may send (XML allows control characters; an
		// ebMS header has no length limit) is journaled all the same, as
		// its fingerprint.
		long := strings.Repeat("c", 5000)
		e, err := j.Append(ctx, journal.Record{Event: journal.EventRequestReceived, Conversation: "conv\nline2",
			Provider: "\xff", MessageID: long, Exchange: "urn:uuid:ok"})
		if err != nil {
			t.Fatalf("a record with text that cannot be stored as it is: %v", err)
		}
		if e.Conversation != journal.Fingerprint("conv\nline2") || e.Provider != journal.Fingerprint("\xff") ||
			e.MessageID != journal.Fingerprint(long) || e.Exchange != "urn:uuid:ok" {
			t.Errorf("stored %+v", e)
		}
		if want := "sha256:" + fmt.Sprintf("%x", sha256.Sum256([]byte(long))); e.MessageID != want {
			t.Errorf("fingerprint %q, want %q", e.MessageID, want)
		}
		var buf bytes.Buffer
		if err := j.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		if n, err := j.Verify(ctx); n != 1 || err != nil {
			t.Errorf("Verify = %d, %v", n, err)
		}
		if err := journal.VerifyExport(&buf); err != nil {
			t.Errorf("VerifyExport: %v", err)
		}
		for _, tc := range []struct {
			name string
			cfg  journal.Config
			want string
		}{
			{"no key", journal.Config{Node: "n"}, "Config.Key"},
			{"short key", journal.Config{Key: make([]byte, 16), Node: "n"}, "Config.Key"},
			{"no node", journal.Config{Key: testKey}, "Config.Node"},
		} {
			_, err := journal.Open(ctx, db, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
			}
		}
		// A failing source of randomness fails the append, nothing is stored.
		jr, err := journal.Open(ctx, db, journal.Config{Key: testKey, Node: "n", Rand: bytes.NewReader(nil)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jr.Append(ctx, record(0)); err == nil {
			t.Error("append without randomness for the nonce: no error")
		}
		if n, err := j.Verify(ctx); n != 1 || err != nil {
			t.Errorf("after a failed append: Verify = %d, %v; want the one entry before", n, err)
		}
	})

	t.Run("tables refuse update and delete", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j := openJournal(t, db, "node-a")
		appendN(t, j, 3)
		for _, q := range []string{
			`UPDATE journal_entries SET outcome = 'EDM:ERR:0002' WHERE seq = 2`,
			`DELETE FROM journal_entries WHERE seq = 3`,
			`DELETE FROM journal_head`,
			`UPDATE journal_head SET seq = 2`,
			`UPDATE journal_head SET seq = 10`,
		} {
			if _, err := db.SQL().Exec(q); err == nil {
				t.Errorf("%s: accepted", q)
			}
		}
		if db.Dialect() == store.PostgreSQL {
			if _, err := db.SQL().Exec(`TRUNCATE journal_entries`); err == nil {
				t.Error("TRUNCATE journal_entries: accepted")
			}
		}
		if n, err := j.Verify(ctx); n != 3 || err != nil {
			t.Errorf("Verify = %d, %v", n, err)
		}
	})

	t.Run("tampering is detected", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			tamper  func(t *testing.T, db *store.DB, es []*journal.Entry)
			seq     int64 // entry Verify reports
			exportN int64 // entry VerifyExport reports; 0: the export verifies
		}{
			{"column changed", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `UPDATE journal_entries SET outcome = ? WHERE seq = 3`, "EDM:ERR:0004")
			}, 3, 3},
			{"time changed", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `UPDATE journal_entries SET time_ms = time_ms + 1 WHERE seq = 4`)
			}, 4, 4},
			{"sealed data changed", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `UPDATE journal_entries SET personal = ? WHERE seq = 2`, []byte("0123456789abcdefghijklmnopqrstuvwxyz"))
			}, 2, 2},
			{"hash not hex", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `UPDATE journal_entries SET hash = 'x' WHERE seq = 2`)
			}, 2, 0},
			{"row deleted", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `DELETE FROM journal_entries WHERE seq = 3`)
			}, 3, 3},
			{"first row deleted", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `DELETE FROM journal_entries WHERE seq = 1`)
			}, 1, 1},
			{"last row deleted", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				exec(t, db, `DELETE FROM journal_entries WHERE seq = 5`)
			}, 5, 0},
			{"two rows swapped", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				// Entries 2 and 4 change places: each row takes the other's content.
				exec(t, db, `UPDATE journal_entries SET seq = -2 WHERE seq = 2`)
				exec(t, db, `UPDATE journal_entries SET seq = 2 WHERE seq = 4`)
				exec(t, db, `UPDATE journal_entries SET seq = 4 WHERE seq = -2`)
			}, 2, 2},
			{"entry rewritten with a fresh hash", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				e := *es[2]
				e.Outcome = "EDM:ERR:0004"
				e.Hash = e.ComputeHash()
				exec(t, db, `UPDATE journal_entries SET outcome = ?, hash = ? WHERE seq = 3`, e.Outcome, e.Hash.String())
			}, 4, 4},
			{"whole tail rewritten, head kept", func(t *testing.T, db *store.DB, es []*journal.Entry) {
				prev := es[2].Hash
				for _, old := range es[3:] {
					e := *old
					e.Outcome = "EDM:ERR:0004"
					e.Prev = prev
					e.Hash = e.ComputeHash()
					prev = e.Hash
					exec(t, db, `UPDATE journal_entries SET outcome = ?, prev = ?, hash = ? WHERE seq = ?`, e.Outcome, e.Prev.String(), e.Hash.String(), e.Seq)
				}
			}, 5, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db := openDB(t, newDSN(t))
				j := openJournal(t, db, "node-a")
				es := appendN(t, j, 5)
				unprotect(t, db)
				tc.tamper(t, db, es)
				n, err := j.Verify(ctx)
				var te *journal.TamperError
				if !errors.As(err, &te) || te.Seq != tc.seq || !errors.Is(err, journal.ErrTampered) {
					t.Fatalf("Verify = %d, %v; want a TamperError at entry %d", n, err, tc.seq)
				}
				if n != int(tc.seq-1) {
					t.Errorf("Verify counted %d good entries before entry %d", n, tc.seq)
				}
				t.Logf("Verify: %v", err)
				var buf bytes.Buffer
				err = j.Export(ctx, &buf)
				if tc.name == "hash not hex" {
					// The stored row cannot be exported as an entry.
					if !errors.As(err, &te) || te.Seq != 2 {
						t.Fatalf("Export = %v, want a TamperError at entry 2", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				err = journal.VerifyExport(&buf)
				if tc.exportN == 0 {
					if err != nil {
						t.Errorf("VerifyExport = %v; an export alone cannot show this", err)
					}
					return
				}
				if !errors.As(err, &te) || te.Seq != tc.exportN {
					t.Errorf("VerifyExport = %v, want a TamperError at entry %d", err, tc.exportN)
				}
			})
		}
	})

	t.Run("concurrent appends never fork", func(t *testing.T) {
		dsn := newDSN(t)
		// Two handles on one database: two nodes of a cluster.
		js := []*journal.Journal{openJournal(t, openDB(t, dsn), "node-a"), openJournal(t, openDB(t, dsn), "node-b")}
		const workers, each = 4, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*len(js))
		for w := range workers * len(js) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if _, err := js[w%len(js)].Append(ctx, record(w*each+i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		total := workers * len(js) * each
		if n, err := js[0].Verify(ctx); n != total || err != nil {
			t.Fatalf("Verify = %d, %v; want %d", n, err, total)
		}
		es, err := js[1].List(ctx, journal.Filter{Limit: total + 10})
		if err != nil || len(es) != total {
			t.Fatalf("List: %d, %v", len(es), err)
		}
		nodes := map[string]int{}
		for i, e := range es {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d", i+1, e.Seq)
			}
			if i > 0 && e.Prev != es[i-1].Hash {
				t.Fatalf("entry %d does not link to entry %d", e.Seq, e.Seq-1)
			}
			nodes[e.Node]++
		}
		if nodes["node-a"] != total/2 || nodes["node-b"] != total/2 {
			t.Errorf("entries per node: %v", nodes)
		}
	})

	t.Run("export", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j := openJournal(t, db, "node-a")
		es := appendN(t, j, 4)
		var buf bytes.Buffer
		if err := j.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		export := buf.String()
		if err := journal.VerifyExport(strings.NewReader(export)); err != nil {
			t.Fatalf("VerifyExport: %v", err)
		}
		lines := strings.Split(strings.TrimSuffix(export, "\n"), "\n")
		if len(lines) != 4 {
			t.Fatalf("%d lines:\n%s", len(lines), export)
		}
		if strings.Contains(export, "Erika") || strings.Contains(export, "1964-08-12") {
			t.Errorf("the export holds personal data in plaintext:\n%s", export)
		}
		if !strings.Contains(lines[0], `"hash":"`+es[0].Hash.String()+`"`) || !strings.Contains(lines[0], `"time":"2026-11-22T10:00:00.123Z"`) {
			t.Errorf("line 1: %s", lines[0])
		}
		var te *journal.TamperError
		var ee *journal.ExportError
		for _, tc := range []struct {
			name  string
			text  string
			check func(error) bool
		}{
			{"empty export", "", func(err error) bool { return err == nil }},
			{"a prefix", strings.Join(lines[:2], "\n") + "\n", func(err error) bool { return err == nil }},
			{"line left out", strings.Join([]string{lines[0], lines[2], lines[3]}, "\n"), func(err error) bool { return errors.As(err, &te) && te.Seq == 2 }},
			{"lines swapped", strings.Join([]string{lines[0], lines[2], lines[1], lines[3]}, "\n"), func(err error) bool { return errors.As(err, &te) && te.Seq == 2 }},
			{"outcome edited", strings.Replace(export, `"outcome":"ok"`, `"outcome":"EDM:ERR:0004"`, 1), func(err error) bool { return errors.As(err, &te) && te.Seq == 1 }},
			{"line repeated", strings.Join([]string{lines[0], lines[1], lines[1]}, "\n"), func(err error) bool { return errors.As(err, &te) && te.Seq == 2 }},
			{"not JSON", lines[0] + "\nnot json\n", func(err error) bool { return errors.As(err, &ee) && ee.Line == 2 }},
			{"unknown field", strings.Replace(lines[0], `{`, `{"name":"Erika",`, 1), func(err error) bool { return errors.As(err, &ee) && ee.Line == 1 }},
			{"blank line", lines[0] + "\n\n" + lines[1], func(err error) bool { return errors.As(err, &ee) && ee.Line == 2 }},
			{"two values on a line", lines[0] + lines[1], func(err error) bool { return errors.As(err, &ee) && ee.Line == 1 }},
			{"bad hash", strings.Replace(lines[0], `"hash":"`, `"hash":"zz`, 1), func(err error) bool { return errors.As(err, &ee) && ee.Line == 1 }},
			{"sub-millisecond time", strings.Replace(lines[0], `.123Z`, `.123456Z`, 1), func(err error) bool { return errors.As(err, &ee) && ee.Line == 1 }},
		} {
			err := journal.VerifyExport(strings.NewReader(tc.text))
			if !tc.check(err) {
				t.Errorf("%s: VerifyExport = %v", tc.name, err)
			}
		}
	})
}

func entriesEqual(a, b *journal.Entry) bool {
	return a.Seq == b.Seq && a.Time.Equal(b.Time) && a.Node == b.Node && a.Event == b.Event &&
		a.Conversation == b.Conversation && a.Exchange == b.Exchange && a.MessageID == b.MessageID &&
		a.Procedure == b.Procedure && a.Requester == b.Requester && a.Provider == b.Provider &&
		a.EvidenceType == b.EvidenceType && a.Outcome == b.Outcome && bytes.Equal(a.Sealed, b.Sealed) &&
		a.Prev == b.Prev && a.Hash == b.Hash
}

// BenchmarkAppend measures an append with personal data (sealed) to an
// SQLite journal in a file, as package store configures it: one IMMEDIATE
// transaction per entry.
func BenchmarkAppend(b *testing.B) {
	db := openDB(b, filepath.Join(b.TempDir(), "oots.db"))
	j := openJournal(b, db, "node-a")
	ctx := context.Background()
	r := record(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifyExportHead: an export checked against a head kept outside the
// journal is refused when cut short before it or rewritten up to it, which
// VerifyExport alone cannot see.
func TestVerifyExportHead(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "oots.db"))
	j := openJournal(t, db, "node-a")
	es := appendN(t, j, 10)
	var buf bytes.Buffer
	if err := j.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	full := buf.String()
	lines := strings.SplitAfter(full, "\n")
	cut := strings.Join(lines[:3], "") // entries 1 to 3
	h7, h10 := es[6].Hash, es[9].Hash
	var other journal.Hash
	other[0] = 1
	for _, c := range []struct {
		name   string
		export string
		seq    int64
		h      journal.Hash
		tamper int64 // the entry a *TamperError names; 0: none expected
		fails  bool
	}{
		{"the whole export, at its head", full, 10, h10, 0, false},
		{"entries appended after the head", full, 7, h7, 0, false},
		{"an empty journal's head", full, 0, journal.Hash{}, 0, false},
		{"cut short before the head", cut, 10, h10, 10, true},
		{"empty", "", 10, h10, 10, true},
		{"another hash at the head", full, 10, other, 10, true},
		{"head 0 with a hash", full, 0, other, 0, true},
	} {
		if err := journal.VerifyExport(strings.NewReader(c.export)); err != nil {
			t.Fatalf("%s: VerifyExport = %v (the cases are about what it cannot see)", c.name, err)
		}
		err := journal.VerifyExportHead(strings.NewReader(c.export), c.seq, c.h)
		if c.fails != (err != nil) || c.tamper != 0 && !isTamper(err, c.tamper) {
			t.Errorf("%s: VerifyExportHead(%d) = %v", c.name, c.seq, err)
		}
	}

	// After a retention purge through entry 8: the head kept at 8 is
	// still checked (the first entry's link, which the checkpoint names);
	// one kept at 5 cannot be any more.
	if p, err := j.Purge(ctx, es[7].Time.Add(time.Millisecond)); err != nil || p.Through != 8 {
		t.Fatalf("Purge = %+v, %v", p, err)
	}
	buf.Reset()
	if err := j.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if err := journal.VerifyExportHead(bytes.NewReader(buf.Bytes()), 8, es[7].Hash); err != nil {
		t.Errorf("head at the last purged entry: %v", err)
	}
	if err := journal.VerifyExportHead(bytes.NewReader(buf.Bytes()), 8, other); !isTamper(err, 8) {
		t.Errorf("another hash at the last purged entry: %v", err)
	}
	if err := journal.VerifyExportHead(bytes.NewReader(buf.Bytes()), 5, es[4].Hash); err == nil || !strings.Contains(err.Error(), "purge") {
		t.Errorf("head purged further back: %v", err)
	}
}

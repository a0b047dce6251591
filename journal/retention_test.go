package journal_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

// TestRetentionAndReceipts runs the suite of receipt references and
// retention purges against both databases.
func TestRetentionAndReceipts(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		runRetentionSuite(t, func(t testing.TB) string { return filepath.Join(t.TempDir(), "oots.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		runRetentionSuite(t, srv.NewDatabase)
	})
}

// monthClock advances one month per call from a fixed time.
func monthClock(now *time.Time) func() time.Time {
	return func() time.Time { *now = now.AddDate(0, 1, 0); return *now }
}

func runRetentionSuite(t *testing.T, newDSN func(t testing.TB) string) {
	ctx := context.Background()
	nrr := journal.FormatNRR([]journal.Digest{
		{URI: "#_body", Method: "http://www.w3.org/2001/04/xmlenc#sha256", Value: bytes.Repeat([]byte{1}, 32)},
		{URI: "cid:request@oots", Method: "http://www.w3.org/2001/04/xmlenc#sha256", Value: bytes.Repeat([]byte{2}, 32)},
	})

	t.Run("the preview round: every identifier of the exchange leads to all of it", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j := openJournal(t, db, "node-fr")
		// A provider's journal (package journal, "Evidence exchanges"):
		// a 1.x exchange named by its first request's id, a 2.0 one by its
		// ExchangeId, each with a preview round; a receipt names the
		// answer and, by RefTo, the request; another exchange beside.
		recs := []journal.Record{
			{Event: journal.EventRequestReceived, Exchange: "req-1", MessageID: "m1@de"},
			{Event: journal.EventResponseSent, Exchange: "req-1", MessageID: "m1@de", Outcome: "EDM:ERR:0002"},
			{Event: journal.EventRequestReceived, Exchange: "ex-2", MessageID: "n1@de"},
			{Event: journal.EventRequestID, Exchange: "req-2a", MessageID: "n1@de"},
			{Event: journal.EventReceipt, MessageID: "m2@fr", RefTo: "m1@de", Receipt: "rcpt-m2@de", NRR: nrr},
			{Event: journal.EventPreviewApproved, Exchange: "req-1", MessageID: "m1@de"},
			{Event: journal.EventRequestReceived, Exchange: "req-1", MessageID: "m3@de"},
			{Event: journal.EventRequestID, Exchange: "req-1b", MessageID: "m3@de"},
			{Event: journal.EventResponseSent, Exchange: "req-1", MessageID: "m3@de", Outcome: journal.OutcomeOK},
			{Event: journal.EventRequestReceived, Exchange: "req-9", MessageID: "o1@de"},
			{Event: journal.EventReceipt, MessageID: "o2@fr", RefTo: "o1@de", Receipt: "rcpt-o2@de", NRR: nrr},
			{Event: journal.EventReceipt, MessageID: "m4@fr", RefTo: "m3@de", Receipt: "rcpt-m4@de", NRR: nrr},
			{Event: journal.EventResponseSent, Exchange: "ex-2", MessageID: "n1@de", Outcome: "EDM:ERR:0002"},
			{Event: journal.EventRequestReceived, Exchange: "ex-2", MessageID: "n3@de"},
			{Event: journal.EventRequestID, Exchange: "req-2b", MessageID: "n3@de"},
			{Event: journal.EventResponseSent, Exchange: "ex-2", MessageID: "n3@de", Outcome: journal.OutcomeOK},
			{Event: journal.EventReceipt, MessageID: "n4@fr", RefTo: "n3@de", Receipt: "rcpt-n4@de", NRR: nrr},
		}
		for _, r := range recs {
			if _, err := j.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			ids  []string
			want string
		}{
			{[]string{"req-1", "req-1b"}, "1 2 5 6 7 8 9 12"},
			{[]string{"ex-2", "req-2a", "req-2b"}, "3 4 13 14 15 16 17"},
			{[]string{"req-9"}, "10 11"},
			{[]string{"m1@de", "nothing"}, ""},
		} {
			for _, id := range tc.ids {
				es, err := j.Evidence(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range es {
					got = append(got, strconv.FormatInt(e.Seq, 10))
				}
				if strings.Join(got, " ") != tc.want {
					t.Errorf("Evidence(%s) = entries %q, want %q", id, strings.Join(got, " "), tc.want)
				}
			}
		}
	})

	t.Run("the chain of one evidence: message ids and receipt digests", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j := openJournal(t, db, "node-de")
		recs := []journal.Record{
			{Event: journal.EventRequestSent, Exchange: "ex-1", MessageID: "req-1@de", Outcome: journal.OutcomeOK},
			{Event: journal.EventRequestSent, Exchange: "ex-2", MessageID: "req-2@de", Outcome: journal.OutcomeOK},
			{Event: journal.EventReceipt, MessageID: "req-1@de", Receipt: "rcpt-1@fr", NRR: nrr},
			{Event: journal.EventReceipt, MessageID: "req-2@de", Receipt: "rcpt-2@fr", NRR: nrr},
			{Event: journal.EventResponseReceived, Exchange: "ex-1", MessageID: "resp-1@fr", NRR: nrr, Outcome: journal.OutcomeOK},
		}
		for _, r := range recs {
			if _, err := j.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		es, err := j.Evidence(ctx, "ex-1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.Event+" "+e.MessageID+" "+e.Receipt)
		}
		want := []string{"request.sent req-1@de ", "as4.receipt req-1@de rcpt-1@fr", "response.received resp-1@fr "}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("Evidence(ex-1) = %q, want %q", got, want)
		}
		if es[1].NRR != nrr || !strings.Contains(nrr, "cid:request@oots=sha256:AgIC") {
			t.Fatalf("NRR = %q", es[1].NRR)
		}
		if n, err := j.Verify(ctx); n != 5 || err != nil {
			t.Fatalf("Verify = %d, %v", n, err)
		}
		// The receipt digests are covered by the hash.
		unprotect(t, db)
		exec(t, db, `UPDATE journal_entries SET nrr = ? WHERE seq = 3`, strings.Replace(nrr, "AQEB", "AQEC", 1))
		if _, err := j.Verify(ctx); !isTamper(err, 3) {
			t.Fatalf("Verify after changing the NRR digests = %v, want tampering at entry 3", err)
		}
	})

	t.Run("an entry without receipt keeps the first encoding", func(t *testing.T) {
		e := &journal.Entry{Seq: 1, Time: time.UnixMilli(0).UTC(), Node: "n", Event: "x"}
		h1 := e.ComputeHash()
		e.NRR = "a"
		h2 := e.ComputeHash()
		e.NRR, e.Receipt = "", "a"
		h3 := e.ComputeHash()
		if h1 == h2 || h2 == h3 || h1 == h3 {
			t.Fatal("Receipt and NRR do not change the hash distinctly")
		}
	})

	t.Run("purge: journaled, the chain still verifies, exports too", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		j, err := journal.Open(ctx, db, journal.Config{Key: testKey, Node: "node-de", Now: monthClock(&now)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 { // one entry a month: Feb 2025 … Sep 2026
			if _, err := j.Append(ctx, record(i)); err != nil {
				t.Fatal(err)
			}
		}
		_, head, _ := j.Head(ctx)
		p, err := j.PurgeExpired(ctx) // at Oct 2026: older than Oct 2025
		if err != nil {
			t.Fatal(err)
		}
		if p.Through != 8 || p.Count != 8 || p.Checkpoint == nil || p.Checkpoint.Seq != 21 {
			t.Fatalf("PurgeExpired = %+v, want entries 1–8 removed and entry 21 the checkpoint", p)
		}
		if p.Checkpoint.Event != journal.EventPurged || !strings.HasPrefix(p.Checkpoint.Outcome, "purged-through 8 ") {
			t.Fatalf("checkpoint = %+v", p.Checkpoint)
		}
		if p.Checkpoint.Prev != head {
			t.Fatal("the checkpoint does not follow the head")
		}
		if n, err := j.Verify(ctx); n != 13 || err != nil {
			t.Fatalf("Verify after purge = %d, %v; want 13 entries", n, err)
		}
		es, _ := j.List(ctx, journal.Filter{})
		if len(es) != 13 || es[0].Seq != 9 {
			t.Fatalf("List after purge: %d entries from %d", len(es), es[0].Seq)
		}
		var buf bytes.Buffer
		if err := j.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		if err := journal.VerifyExport(bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatalf("VerifyExport after purge: %v", err)
		}
		// An export whose first lines were cut without a purge is refused.
		lines := strings.SplitAfter(buf.String(), "\n")
		if err := journal.VerifyExport(strings.NewReader(strings.Join(lines[2:], ""))); !isTamper(err, 10) {
			t.Fatalf("VerifyExport of a cut export = %v, want entries 1 to 10 unaccounted for", err)
		}
		// A second purge with nothing old enough journals nothing.
		if p, err := j.Purge(ctx, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || p.Through != 0 || p.Checkpoint != nil {
			t.Fatalf("Purge of nothing = %+v, %v", p, err)
		}
		// Deleting beyond the base is refused by the database.
		if _, err := db.SQL().Exec(db.Rebind(`DELETE FROM journal_entries WHERE seq = 9`)); err == nil {
			t.Fatal("DELETE beyond the retention base was accepted")
		}
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE journal_base SET seq = 3 WHERE id = 1`)); err == nil {
			t.Fatal("moving the base backwards was accepted")
		}
		// Moving the base and deleting without a checkpoint shows as tampering.
		unprotect(t, db)
		if db.Dialect() == store.PostgreSQL {
			exec(t, db, `ALTER TABLE journal_base DISABLE TRIGGER USER`)
		}
		h10 := es[1].Hash
		exec(t, db, `UPDATE journal_base SET seq = 10, hash = ? WHERE id = 1`, h10.String())
		exec(t, db, `DELETE FROM journal_entries WHERE seq <= 10`)
		if _, err := j.Verify(ctx); !isTamper(err, 10) {
			t.Fatalf("Verify after a purge without checkpoint = %v, want entries 1 to 10 unaccounted for", err)
		}
	})

	// A row inserted at or before the base (no trigger refuses an INSERT
	// there) is not part of the chain, yet List and Evidence would show it:
	// Verify reports it, with and without a purge before.
	t.Run("a row at or before the base", func(t *testing.T) {
		for _, purge := range []bool{false, true} {
			db := openDB(t, newDSN(t))
			j := openJournal(t, db, "node-a")
			es := appendN(t, j, 5)
			seq := int64(0)
			if purge {
				if p, err := j.Purge(ctx, es[1].Time.Add(time.Millisecond)); err != nil || p.Through != 2 {
					t.Fatalf("Purge = %+v, %v", p, err)
				}
				seq = 1
			}
			forged := &journal.Entry{Seq: seq, Time: es[0].Time, Node: "node-a", Event: journal.EventResponseSent,
				Exchange: "urn:uuid:forged", MessageID: "forged@x", Outcome: journal.OutcomeOK}
			forged.Hash = forged.ComputeHash()
			exec(t, db, `INSERT INTO journal_entries (seq, time_ms, node, event, conversation, exchange, message_id, proc, requester, provider, evidence_type, outcome, receipt, nrr, ref_to, personal, prev, hash)
				VALUES (?, ?, ?, ?, '', ?, ?, '', '', '', '', ?, '', '', '', ?, ?, ?)`,
				forged.Seq, forged.Time.UnixMilli(), forged.Node, forged.Event, forged.Exchange, forged.MessageID, forged.Outcome,
				[]byte{}, forged.Prev.String(), forged.Hash.String())
			if ev, _ := j.Evidence(ctx, "urn:uuid:forged"); len(ev) != 1 {
				t.Fatalf("purge %v: the forged row is not listed (%d): the test proves nothing", purge, len(ev))
			}
			if _, err := j.Verify(ctx); !isTamper(err, seq) {
				t.Errorf("purge %v: Verify with a row inserted at %d = %v, want tampering with entry %d", purge, seq, err, seq)
			}
		}
	})

	// Verify beside purges and appends: it reads the head, the base and the
	// entries as of one moment, so an intact journal always verifies.
	t.Run("verify while purging", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j := openJournal(t, db, "node-a")
		far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
		stop := make(chan struct{})
		var wrong atomic.Pointer[error]
		var verified atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := j.Verify(ctx); err != nil {
					wrong.CompareAndSwap(nil, &err)
				}
				verified.Add(1)
			}
		}()
		for range 60 {
			appendN(t, j, 3)
			if _, err := j.Purge(ctx, far); err != nil {
				t.Fatal(err)
			}
		}
		for verified.Load() < 20 {
			time.Sleep(time.Millisecond)
		}
		close(stop)
		<-done
		if err := wrong.Load(); err != nil {
			t.Errorf("Verify during purges of an intact journal (%d walks): %v", verified.Load(), *err)
		}
		if n, err := j.Verify(ctx); err != nil || n != 1 {
			t.Errorf("Verify after the purges = %d, %v; want the last checkpoint", n, err)
		}
	})

	t.Run("retention off", func(t *testing.T) {
		db := openDB(t, newDSN(t))
		j, err := journal.Open(ctx, db, journal.Config{Key: testKey, Node: "n", RetentionMonths: -1,
			Now: func() time.Time { return time.Now().AddDate(5, 0, 0) }})
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, j, 2)
		if p, err := j.PurgeExpired(ctx); err != nil || p.Count != 0 {
			t.Fatalf("PurgeExpired with retention off = %+v, %v", p, err)
		}
	})
}

func isTamper(err error, seq int64) bool {
	var te *journal.TamperError
	return errors.As(err, &te) && te.Seq == seq
}

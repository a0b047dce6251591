package journal

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// TestUpgradeKeepsChain: a journal written before receipts and retention
// (migration 0001 only, entries hashed with the v1 encoding) still verifies
// after the upgrade, and goes on with entries that reference receipts.
func TestUpgradeKeepsChain(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { upgrade(t, filepath.Join(t.TempDir(), "oots.db")) })
	t.Run("postgres", func(t *testing.T) { upgrade(t, pgtest.Start(t).NewDatabase(t)) })
}

func upgrade(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migs, err := store.LoadMigrations(migrations, "migrations/"+string(db.Dialect()))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, Component, migs[:1]); err != nil {
		t.Fatal(err)
	}
	// Three entries as the first version wrote them.
	var prev Hash
	for i := int64(1); i <= 3; i++ {
		e := &Entry{Seq: i, Time: time.UnixMilli(1_700_000_000_000 + i).UTC(), Node: "old", Event: EventRequestSent, MessageID: "m"}
		e.Prev = prev
		e.Hash = e.ComputeHash()
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(`INSERT INTO journal_entries
			(seq, time_ms, node, event, conversation, exchange, message_id, proc, requester, provider, evidence_type, outcome, personal, prev, hash)
			VALUES (?, ?, ?, ?, '', '', ?, '', '', '', '', '', ?, ?, ?)`), e.Seq, e.Time.UnixMilli(), e.Node, e.Event, e.MessageID, []byte{}, e.Prev.String(), e.Hash.String()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1`), e.Seq, e.Hash.String()); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	j, err := Open(ctx, db, Config{Key: make([]byte, 32), Node: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(ctx, Record{Event: EventReceipt, MessageID: "m", Receipt: "r", NRR: "#_body=sha256:AAAA"}); err != nil {
		t.Fatal(err)
	}
	if n, err := j.Verify(ctx); n != 4 || err != nil {
		t.Fatalf("Verify after the upgrade = %d, %v; want 4 entries", n, err)
	}
}

// FuzzParsePurged: the Outcome of a journal.purged entry is read without
// panic, and what it accepts is written back the same.
func FuzzParsePurged(f *testing.F) {
	f.Add("purged-through 8 " + Hash{1, 2, 3}.String())
	f.Add("purged-through 0 00")
	f.Add("purged-through -1 " + Hash{}.String())
	f.Fuzz(func(t *testing.T, s string) {
		seq, h, ok := parsePurged(s)
		if !ok {
			return
		}
		if seq <= 0 {
			t.Fatalf("accepted sequence number %d", seq)
		}
		if back := formatPurged(seq, h); back != s {
			// Leading zeros or a plus sign in the number are accepted by
			// strconv; the checkpoint written is canonical.
			if s2, h2, ok2 := parsePurged(back); !ok2 || s2 != seq || h2 != h {
				t.Fatalf("%q → %d %s → %q does not read back", s, seq, h, back)
			}
		}
	})
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

// TestMigration0005KeepsData: the SQLite tables rebuilt by migration 0005
// (fewer index entries per message) keep their rows, the uniqueness of
// client keys, the order of received messages and the queues.
func TestMigration0005KeepsData(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "oots.db")
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	old := &DB{db: db, dialect: SQLite}
	old.group = &group{d: old}
	migs, err := LoadMigrations(migrationFS, path.Join("migrations", "sqlite", "ap"))
	if err != nil {
		t.Fatal(err)
	}
	var before []Migration
	for _, m := range migs {
		if m.Version < 5 {
			before = append(before, m)
		}
	}
	if err := old.Migrate(ctx, "ap", before); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, m := range []*apstore.Outbound{
		{ID: "q1", ClientKey: "k1", Leg: "l", Partner: "P", Body: []byte("one"), Created: t0},
		{ID: "q2", Leg: "l", Partner: "P", Body: []byte("two"), Created: t0.Add(time.Second)},
		{ID: "d1", Leg: "l", Partner: "P", Body: []byte("three"), Created: t0, LeaseOwner: "n", LeaseUntil: t0.Add(time.Hour)},
	} {
		if _, _, err := old.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.FinishOutbound(ctx, "d1", "n", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("r"), Timestamp: t0}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*apstore.Inbound{
		{MessageID: "i1", Partner: "P", Leg: "l", Body: []byte("a"), Received: t0, Delivery: apstore.DeliveryPending},
		{MessageID: "i2", Partner: "P", Leg: "l", Body: []byte("b"), Received: t0},
	} {
		if _, err := old.Receive(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	d, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if o, err := d.OutboundByClientKey(ctx, "k1"); err != nil || o.ID != "q1" || string(o.Body) != "one" {
		t.Errorf("by client key after the migration: %+v, %v", o, err)
	}
	if o, err := d.Outbound(ctx, "d1"); err != nil || o.State != apstore.OutDelivered || string(o.Receipt) != "r" {
		t.Errorf("delivered message after the migration: %+v, %v", o, err)
	}
	// A client key is still unique; keyless submissions are not.
	if o, created, err := d.Enqueue(ctx, &apstore.Outbound{ID: "q3", ClientKey: "k1", Leg: "l", Partner: "P", Created: t0}); err != nil || created || o.ID != "q1" {
		t.Errorf("a submission repeating k1: %+v, created %v, %v", o, created, err)
	}
	if _, created, err := d.Enqueue(ctx, &apstore.Outbound{ID: "q4", Leg: "l", Partner: "P", Created: t0.Add(2 * time.Second)}); err != nil || !created {
		t.Errorf("a second submission without a key: created %v, %v", created, err)
	}
	// The queue: the queued messages, oldest due first; not the delivered one.
	claimed, err := d.ClaimOutbound(ctx, "n", t0.Add(time.Minute), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range claimed {
		ids = append(ids, o.ID)
	}
	if want := []string{"q1", "q2", "q4"}; !slices.Equal(ids, want) {
		t.Errorf("claimed %v, want %v", ids, want)
	}
	// Received messages keep their sequence numbers; a new one follows them.
	if _, err := d.Receive(ctx, &apstore.Inbound{MessageID: "i3", Partner: "P", Leg: "l", Received: t0}); err != nil {
		t.Fatal(err)
	}
	list, err := d.ListInbound(ctx, apstore.InboundFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ids = nil
	for i, m := range list {
		ids = append(ids, m.MessageID)
		if m.Seq != int64(i+1) {
			t.Errorf("%s: seq %d, want %d", m.MessageID, m.Seq, i+1)
		}
	}
	if want := []string{"i1", "i2", "i3"}; !slices.Equal(ids, want) {
		t.Errorf("listed %v, want %v", ids, want)
	}
	pushes, err := d.ClaimDeliveries(ctx, "n", t0.Add(time.Minute), time.Minute, 10)
	if err != nil || len(pushes) != 1 || pushes[0].MessageID != "i1" {
		t.Errorf("claimed deliveries: %v, %v", pushes, err)
	}
}

// TestOpenReadOnly: a database opened by OpenReadOnly refuses writes, and
// Migrate names the first migration it lacks instead of applying it.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "oots.db")
	w, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	files := func() []string {
		es, err := os.ReadDir(filepath.Dir(file))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	before := files()
	r, err := OpenReadOnly(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int
	if err := r.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM ap_outbound").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// A database closed cleanly is read without creating its log and the
	// log's index beside it (a reader may not write the directory).
	if after := files(); !slices.Equal(after, before) {
		t.Errorf("reading created files: %v, before %v", after, before)
	}
	if _, err := r.SQL().ExecContext(ctx, "CREATE TABLE x (y INTEGER)"); err == nil {
		t.Error("a read-only database created a table")
	}
	migs, err := LoadMigrations(migrationFS, path.Join("migrations", "sqlite", "ap"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Migrate(ctx, "ap", migs); err != nil {
		t.Errorf("every migration is applied: %v", err)
	}
	extra := Migration{Version: 9999, Name: "later", SQL: "CREATE TABLE later (x INTEGER);"}
	if err := r.Migrate(ctx, "ap", append(migs, extra)); !errors.Is(err, ErrNotMigrated) || !strings.Contains(err.Error(), "ap 9999_later") {
		t.Errorf("a migration the database lacks: %v", err)
	}
	if err := r.Migrate(ctx, "other", migs[:1]); !errors.Is(err, ErrNotMigrated) {
		t.Errorf("a component never migrated: %v", err)
	}
}

// TestMigrateFS: the migrations of the database's dialect are applied from
// migrations/<dialect>, once, and the other dialect's are not read.
func TestMigrateFS(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{
		"migrations/sqlite/0001_first.sql":   {Data: []byte("CREATE TABLE mfs_first (id INTEGER);\n")},
		"migrations/sqlite/0002_second.sql":  {Data: []byte("INSERT INTO mfs_first (id) VALUES (7);\n")},
		"migrations/postgres/0001_first.sql": {Data: []byte("this is not SQL;\n")},
	}
	for range 2 {
		if err := db.MigrateFS(ctx, "mfs", fsys); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM mfs_first WHERE id = 7").Scan(&n); err != nil || n != 1 {
		t.Errorf("rows after migrating twice: %d, %v; want 1", n, err)
	}
	if err := db.MigrateFS(ctx, "mfs-none", fstest.MapFS{}); err == nil {
		t.Error("a file system without migrations/sqlite gave no error")
	}
}

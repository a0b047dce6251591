package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// walDelta runs fn and returns the writes SQLite made to write-ahead logs
// meanwhile and those that reached the files.
func walDelta(t *testing.T, fn func()) (writes, flushes int64) {
	t.Helper()
	w, f := walCounts.writes.Load(), walCounts.flushes.Load()
	fn()
	return walCounts.writes.Load() - w, walCounts.flushes.Load() - f
}

// A commit reaches the log in one write, however many pages it changed up
// to 31 (of 4 KiB); a larger one in as few writes of 31 frames. With
// ?vfs=unix nothing goes through walVFS.
func TestWALOneWritePerCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(ctx, filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE w (x BLOB)")
	for _, pages := range []int{1, 3, 12, 25, 100, 800} {
		writes, flushes := walDelta(t, func() { exec("INSERT INTO w VALUES (randomblob(?))", pages*4000) })
		// SQLite writes a frame in two: its header and its page.
		frames := writes / 2
		if want := (frames + 30) / 31; frames < int64(pages*9/10) || flushes != want {
			t.Errorf("a commit of %d pages: %d writes by SQLite, %d to the file; want at least %d and %d", pages, writes, flushes, 2*pages, want)
		}
	}

	u, err := Open(ctx, filepath.Join(dir, "b.db?vfs=unix"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if writes, flushes := walDelta(t, func() {
		if _, err := u.db.ExecContext(ctx, "CREATE TABLE w (x BLOB)"); err != nil {
			t.Fatal(err)
		}
	}); writes != 0 || flushes != 0 {
		t.Errorf("vfs=unix: %d writes went through walVFS", writes)
	}
}

// walWorkload runs the same transactions, drawn from seed, on d: inserts,
// updates and deletes of rows from a few octets to 1.5 MiB, transactions
// of several statements, some rolled back whole or to a savepoint, with a
// page cache so small that SQLite writes pages of a transaction to the log
// before it commits (and rewrites them), and a checkpoint half-way that
// truncates the log.
func walWorkload(t *testing.T, d *DB, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(seed, seed))
	for _, q := range []string{"PRAGMA cache_size=8", "CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB)"} {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	blob := func() []byte {
		n := []int{10, 900, 5000, 40000, 300000}[rnd.IntN(5)]
		if rnd.IntN(40) == 0 {
			n = 3 << 19
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	next := 1
	for i := range 160 {
		if i == 80 {
			if _, err := d.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		statements := 1 + rnd.IntN(6)
		savepoint := rnd.IntN(4) == 0
		for s := range statements {
			if savepoint && s == statements/2 {
				if _, err := tx.ExecContext(ctx, "SAVEPOINT p"); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			switch rnd.IntN(4) {
			case 0, 1:
				_, err = tx.ExecContext(ctx, "INSERT INTO t (id, x) VALUES (?, ?)", next, blob())
				next++
			case 2:
				_, err = tx.ExecContext(ctx, "UPDATE t SET x = ? WHERE id = ?", blob(), 1+rnd.IntN(next))
			case 3:
				_, err = tx.ExecContext(ctx, "DELETE FROM t WHERE id = ?", 1+rnd.IntN(next))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if savepoint {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO p"); err != nil {
				t.Fatal(err)
			}
		}
		if rnd.IntN(5) == 0 {
			err = tx.Rollback()
		} else {
			err = tx.Commit()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sqliteShell runs SQLite's own shell (its C build, not the Go one in oots)
// on a database and returns its output.
func sqliteShell(t *testing.T, bin, file string, commands ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{file}, commands...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %s %q: %v\n%s", file, commands, err, out)
	}
	return strings.TrimSpace(string(out))
}

// What walVFS writes is what SQLite's unix VFS writes: the same
// transactions through either give databases that SQLite's own shell
// finds intact and equal, read from their logs while the databases are
// open.
func TestWALReadBySQLite(t *testing.T) {
	bin := testenv.Tool(t, "sqlite3")
	dir := t.TempDir()
	sums := map[string]string{}
	for _, dsn := range []string{"ours.db", "full.db?synchronous=full", "unix.db?vfs=unix"} {
		d, err := Open(context.Background(), filepath.Join(dir, dsn))
		if err != nil {
			t.Fatal(err)
		}
		walWorkload(t, d, 7)
		file, _ := SQLiteFile(filepath.Join(dir, dsn))
		if st, err := os.Stat(file + "-wal"); err != nil || st.Size() == 0 {
			t.Fatalf("%s: no write-ahead log to read (%v)", dsn, err)
		}
		if got := sqliteShell(t, bin, file, "PRAGMA integrity_check"); got != "ok" {
			t.Errorf("%s: integrity_check says %s", dsn, got)
		}
		sums[dsn] = sqliteShell(t, bin, file, "SELECT count(*), sum(length(x)) FROM t", ".sha3sum t")
		// The files as a crash would leave them, the log's index rebuilt
		// from the log: the same database.
		crashed := crashCopy(t, file)
		if got := sqliteShell(t, bin, crashed, "SELECT count(*), sum(length(x)) FROM t", ".sha3sum t"); got != sums[dsn] {
			t.Errorf("%s after a crash: %s, before: %s", dsn, got, sums[dsn])
		}
		d.Close()
	}
	for _, dsn := range []string{"ours.db", "full.db?synchronous=full"} {
		if sums[dsn] != sums["unix.db?vfs=unix"] {
			t.Errorf("the same transactions give different contents:\n %s: %s\n through unix: %s", dsn, sums[dsn], sums["unix.db?vfs=unix"])
		}
	}
	t.Logf("rows, octets, SHA3: %s", strings.ReplaceAll(sums["ours.db"], "\n", " "))
}

// A process killed with kill -9 while it commits loses no transaction it
// saw committed: the child commits rows and reports each id after its
// commit returned; after the kill, SQLite's own shell finds the database
// intact and every reported row in it.
func TestWALKilled(t *testing.T) {
	if file := os.Getenv("OOTS_WAL_CHILD"); file != "" {
		walChild(file)
		return
	}
	testenv.SkipShort(t, "kills a child process")
	bin := testenv.Tool(t, "sqlite3")
	file := filepath.Join(t.TempDir(), "k.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestWALKilled$")
	cmd.Env = append(os.Environ(), "OOTS_WAL_CHILD="+file)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last := 0
	lines := bufio.NewScanner(out)
	for lines.Scan() && last < 400 {
		if n, err := strconv.Atoi(lines.Text()); err == nil {
			last = n
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if last < 400 {
		t.Fatalf("the child reported %d commits before it ended", last)
	}
	if got := sqliteShell(t, bin, file, "PRAGMA integrity_check"); got != "ok" {
		t.Errorf("integrity_check says %s", got)
	}
	got := sqliteShell(t, bin, file, fmt.Sprintf("SELECT count(*) FROM t WHERE id <= %d", last))
	if got != strconv.Itoa(last) {
		t.Errorf("%s of the %d rows reported committed are in the database", got, last)
	}
}

// walChild commits rows 1, 2, … (some transactions of several, of sizes
// up to 600 kB) and prints each id once its commit returned, until it is
// killed (or cannot print any more: its test is gone).
func walChild(file string) {
	d, err := Open(context.Background(), file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db := d.db
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB)"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rnd := rand.New(rand.NewPCG(1, 1))
	w := bufio.NewWriter(os.Stdout)
	for id := 1; ; {
		tx, err := db.Begin()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		n := 1 + rnd.IntN(4)
		for range n {
			size := []int{50, 3000, 20000, 600000}[rnd.IntN(4)]
			if _, err := tx.Exec("INSERT INTO t VALUES (?, randomblob(?))", id, size); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			id++
		}
		if err := tx.Commit(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(w, id-1)
		if err := w.Flush(); err != nil || id > 1e6 {
			os.Exit(3) // the test is gone, or never killed this child
		}
	}
}

// With pages of 64 KiB, each written by itself (larger than half the
// buffer), a commit frame's header still reaches the file before its page
// and before SQLite's shell reads it.
func TestWALLargePages(t *testing.T) {
	bin := testenv.Tool(t, "sqlite3")
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "p.db")
	// The page size of a new database, set before it has a page (Open
	// turns on the log, which fixes it).
	if out, err := exec.Command(bin, file, "PRAGMA page_size=65536", "VACUUM").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	d, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var size int
	if err := d.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil || size != 65536 {
		t.Fatalf("page size %d (%v)", size, err)
	}
	for _, q := range []string{"CREATE TABLE t (x BLOB)", "INSERT INTO t VALUES (randomblob(200000))", "INSERT INTO t VALUES (randomblob(10))"} {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := sqliteShell(t, bin, file, "PRAGMA integrity_check", "SELECT count(*), sum(length(x)) FROM t"); got != "ok\n2|200010" {
		t.Errorf("sqlite3 reads %q", got)
	}
	// The files as a crash now would leave them: the database and its log,
	// without the log's index, which SQLite then rebuilds from the frames'
	// headers.
	if got := sqliteShell(t, bin, crashCopy(t, file), "PRAGMA integrity_check", "SELECT count(*), sum(length(x)) FROM t"); got != "ok\n2|200010" {
		t.Errorf("after a crash, sqlite3 reads %q", got)
	}
}

// crashCopy copies an open database and its log, as a crash now would
// leave them, without the log's index (SQLite rebuilds it from the frames'
// headers), and returns the copy's name.
func crashCopy(t *testing.T, file string) string {
	t.Helper()
	crashed := filepath.Join(t.TempDir(), filepath.Base(file))
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(file + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return crashed
}

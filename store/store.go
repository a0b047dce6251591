// Package store is the persistence of an oots node: one SQL database, SQLite by
// default (modernc.org/sqlite, pure Go, a file in the data directory in WAL
// mode) or PostgreSQL for a cluster of nodes (github.com/jackc/pgx/v5 through
// database/sql).
//
// # Components and migrations
//
// The database is shared by the components of a node. Each component owns
// its tables (named with its prefix, for example ap_ for the access point)
// and its list of migrations; Migrate applies a component's pending
// migrations in version order and records them in the table oots_migrations
// under the component's name, so a later component (Common Services registry
// data, connector conversations, the audit journal) adds its own tables by
// calling Migrate with its own name and its own embedded SQL files, without
// touching another component's. On PostgreSQL concurrent nodes serialise
// their migrations with an advisory lock per component; on SQLite the
// migration runs in one IMMEDIATE transaction. Open applies the migrations of
// the access point component ("ap", files migrations/<dialect>/ap/NNNN_name.sql).
//
// # The access point's data
//
// The access point (package ap) declares the interfaces it needs (ap.Store)
// and, in package ap/apstore, the records they carry (apstore.Outbound,
// apstore.Inbound, apstore.Result, apstore.FailureReport …), their states and
// errors; *DB implements them (store cannot import ap, which reaches store
// through smp: the assertion is in this package's tests, and cmd/oots
// compiles the wiring):
//   - the outbound queue (Enqueue, ClaimOutbound, FinishOutbound, Outbound):
//     submissions idempotent on a client key, claimed by a node with a lease
//     (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED; SQLite: one UPDATE …
//     RETURNING statement, which SQLite serialises), so that several nodes
//     share the work and a message claimed by a node that died is claimed
//     again when its lease expires. Finishing needs the lease (fencing): a node
//     whose lease expired cannot overwrite another node's result;
//   - the inbox (Receive, Inbound, ListInbound, Ack): duplicate elimination on
//     eb:MessageId (AS4 profile §3.2, ebMS3 Core §8), and the delivery queue
//     of the backend webhook (ClaimDeliveries, FinishDelivery), leased like
//     the outbound queue;
//   - the failure reports (FailureReport, ClaimFailureReports,
//     FinishFailureReport): FinishOutbound queues one, in the transaction
//     that records a final send failure, for the backend to learn of it at
//     least once; they are leased and retried like webhook pushes;
//   - retention (Purge) and counts for metrics (Count, QueueAges).
//
// On SQLite the writes of messages (Enqueue, FinishOutbound, Receive) of
// concurrent callers share one transaction and its commit (group commit):
// each caller returns once the commit with its write is done, and a write
// that fails is undone alone. The tables are indexed so that a message
// writes few pages (migration 0005): the write-ahead log gets every page a
// commit changed.
//
// Times are stored as Unix milliseconds; payloads are opaque byte strings
// (the access point encodes them).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// Dialect is the SQL dialect of a database.
type Dialect string

// The supported databases.
const (
	SQLite     Dialect = "sqlite"
	PostgreSQL Dialect = "postgres"
)

// DB is an open database of a node.
type DB struct {
	db      *sql.DB
	dialect Dialect
	stmts   sync.Map // query text → *sql.Stmt, prepared once (see prepared)
	group   *group   // SQLite: the group commit of the message writes
	// readOnly: opened by OpenReadOnly; Migrate checks instead of applying.
	readOnly bool
}

//go:embed migrations
var migrationFS embed.FS

// Open opens the database named by dsn and applies the access point's
// migrations. A dsn beginning with postgres:// or postgresql:// is a
// PostgreSQL connection URL; anything else is an SQLite database file
// (optionally prefixed with sqlite:), opened in WAL mode with a busy timeout.
//
// An SQLite file name may end in ?synchronous=full: every commit then waits
// until the disk has it (an fsync of the write-ahead log, shared by the
// writes of a group commit), so that a power loss loses no message that was
// acknowledged (Submit returned, or a receipt went out). The default,
// ?synchronous=normal, loses none when the process dies, but a power loss
// can lose the last commits: the log is synced at checkpoints only. On
// PostgreSQL the server's synchronous_commit decides.
//
// The frames a commit adds to SQLite's write-ahead log are written to the
// file in one write (see walVFSName); ?vfs=unix has SQLite's unix VFS write
// each frame in two, as SQLite itself does. The files are the same either
// way.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d, err := open(ctx, dsn, false)
	if err != nil {
		return nil, err
	}
	migs, err := LoadMigrations(migrationFS, path.Join("migrations", string(d.dialect), "ap"))
	if err == nil {
		err = d.Migrate(ctx, "ap", migs)
	}
	if err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// OpenReadOnly opens the database named by dsn (as Open reads it) for
// reading only, for commands that inspect a node's database and must not
// change it: an SQLite file is opened with SQLite's mode=ro (and
// immutable=1 when it has no write-ahead log, so that nothing is created
// beside it; with a log, as while a node runs, SQLite needs the log's index
// file, which the node has created), and every
// PostgreSQL transaction is read only (default_transaction_read_only), so
// that a role with SELECT privileges alone can run them. No migration is
// applied: Migrate on the returned DB reports a migration that the database
// lacks instead (ErrNotMigrated).
func OpenReadOnly(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, true)
}

// open opens the database named by dsn, for reading only or not, and
// checks that it answers.
func open(ctx context.Context, dsn string, readOnly bool) (*DB, error) {
	var d *DB
	var err error
	if isPostgres(dsn) {
		d, err = openPostgres(dsn, readOnly)
	} else {
		d, err = openSQLite(dsn, readOnly)
	}
	if err != nil {
		return nil, err
	}
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("store: connecting: %w", err)
	}
	return d, nil
}

func openPostgres(dsn string, readOnly bool) (*DB, error) {
	if readOnly {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		q := u.Query()
		q.Set("default_transaction_read_only", "on")
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	return &DB{db: db, dialect: PostgreSQL, readOnly: readOnly}, nil
}

func openSQLite(dsn string, readOnly bool) (*DB, error) {
	file, sync, vfs, err := sqliteFile(dsn)
	if err != nil {
		return nil, err
	}
	// WAL: readers do not block the writer; synchronous=NORMAL in WAL mode
	// loses no committed transaction when the process dies (only on power
	// loss), FULL none on power loss either; IMMEDIATE transactions take
	// the write lock at BEGIN, so two transactions never deadlock upgrading
	// a read lock. Read-only: SQLite's mode=ro, and nothing set that writes;
	// when the database has no write-ahead log (no node has it open, and the
	// last closed it cleanly), also immutable=1: SQLite would otherwise
	// create the log and its index beside the file (and fail in a directory
	// the reader may not write), and no writer can change the file
	// meanwhile without first creating the log.
	q := "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(" + sync + ")&_pragma=wal_autocheckpoint(8000)&_txlock=immediate"
	if readOnly {
		q = "?mode=ro&_pragma=busy_timeout(10000)"
		if _, err := os.Stat(file + "-wal"); errors.Is(err, fs.ErrNotExist) {
			q += "&immutable=1"
		}
	}
	if vfs == walVFSName {
		if err := registerWALVFS(); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		q += "&vfs=" + walVFSName
	}
	db, err := sql.Open("sqlite", "file:"+uriPath(file)+q)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// One connection: SQLite has one writer at a time anyway, and a single
	// connection never meets SQLITE_BUSY inside the process.
	db.SetMaxOpenConns(1)
	d := &DB{db: db, dialect: SQLite, readOnly: readOnly}
	if !readOnly {
		d.group = &group{d: d}
	}
	return d, nil
}

// ErrNotMigrated is returned by Migrate on a database opened by
// OpenReadOnly that lacks one of the migrations: it is not a node's
// database, or the node that writes it runs an older version.
var ErrNotMigrated = errors.New("store: the database lacks a migration")

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLiteFile returns the database file that dsn names as Open reads it
// (without its sqlite: prefix and its parameters), and false when dsn is a
// PostgreSQL URL.
func SQLiteFile(dsn string) (string, bool) {
	if isPostgres(dsn) {
		return "", false
	}
	file, _ := splitSQLite(dsn)
	return file, true
}

// uriPath escapes a file name for the path of an SQLite URI filename
// ("URI Filenames In SQLite"): %, ? and # would otherwise begin an escape,
// the query or a fragment, so that a directory named a#b would open the
// file a instead.
func uriPath(file string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(file)
}

// splitSQLite splits an SQLite dsn into its file name and its query.
func splitSQLite(dsn string) (file, query string) {
	file, query, _ = strings.Cut(strings.TrimPrefix(dsn, "sqlite:"), "?")
	return file, query
}

// sqliteFile splits an SQLite dsn into the file name, the synchronous
// setting of its ?synchronous= parameter (NORMAL when absent) and the VFS
// of its ?vfs= parameter (walVFSName when absent).
func sqliteFile(dsn string) (file, sync, vfs string, err error) {
	file, query := splitSQLite(dsn)
	if file == "" {
		return "", "", "", errors.New("store: empty database file name")
	}
	sync, vfs = "NORMAL", walVFSName
	if query == "" {
		return file, sync, vfs, nil
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", "", "", fmt.Errorf("store: %s: %w", dsn, err)
	}
	for k, v := range params {
		last := strings.ToLower(v[len(v)-1])
		switch {
		case k == "synchronous" && last == "normal":
		case k == "synchronous" && last == "full":
			sync = "FULL"
		case k == "synchronous":
			return "", "", "", fmt.Errorf("store: %s: synchronous=%s (normal or full)", dsn, v[len(v)-1])
		case k == "vfs" && last == "unix":
			vfs = "unix"
		case k == "vfs":
			return "", "", "", fmt.Errorf("store: %s: vfs=%s (the one other than the default: unix)", dsn, v[len(v)-1])
		default:
			return "", "", "", fmt.Errorf("store: %s: unknown parameter %q (those known: synchronous, vfs)", dsn, k)
		}
	}
	return file, sync, vfs, nil
}

// Close closes the database.
func (d *DB) Close() error {
	d.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return d.db.Close()
}

// prepared returns the prepared statement of the query q (with ?
// placeholders), preparing it on first use: the message statements run for
// every message, and parsing their SQL each time costs more than running
// them on SQLite.
func (d *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := d.stmts.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := d.db.PrepareContext(ctx, d.Rebind(q))
	if err != nil {
		return nil, err
	}
	if prev, loaded := d.stmts.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// queryRow runs the prepared statement of q returning at most one row.
func (d *DB) queryRow(ctx context.Context, q string, args ...any) scanner {
	s, err := d.prepared(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

// query runs the prepared statement of q returning rows.
func (d *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := d.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// exec runs the prepared statement of q.
func (d *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := d.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// prepare prepares the statements of the queries qs that are not yet,
// before a transaction that runs them begins: on SQLite the transaction
// holds the only connection, which preparing would wait for.
func (d *DB) prepare(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := d.prepared(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// txStmt returns the statement of q for tx: the prepared one (see prepare)
// bound to tx, which reuses what its connection prepared, or nil.
func (d *DB) txStmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	if s, ok := d.stmts.Load(q); ok {
		return tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	return nil
}

// txQueryRow runs q in tx, returning at most one row; without tx (nil),
// by itself.
func (d *DB) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) scanner {
	if tx == nil {
		return d.queryRow(ctx, q, args...)
	}
	if s := d.txStmt(ctx, tx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, d.Rebind(q), args...)
}

// txExec runs q in tx; without tx (nil), by itself.
func (d *DB) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if tx == nil {
		return d.exec(ctx, q, args...)
	}
	if s := d.txStmt(ctx, tx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, d.Rebind(q), args...)
}

// errRow is the row of a statement that could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// SQL returns the underlying database handle, for components that keep
// their own tables in the same database.
func (d *DB) SQL() *sql.DB { return d.db }

// Dialect returns the SQL dialect of the database.
func (d *DB) Dialect() Dialect { return d.dialect }

// Rebind rewrites the ? placeholders of q into the dialect's ($1, $2 … on
// PostgreSQL). q must not contain ? elsewhere.
func (d *DB) Rebind(q string) string {
	if d.dialect != PostgreSQL {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Ping checks that the database answers (readiness).
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Writable proves that the database takes a write now: it rewrites the
// node's row of ap_health in a committed transaction. A full disk or a
// read-only database fails it where Ping does not.
func (d *DB) Writable(ctx context.Context, node string, now time.Time) error {
	_, err := d.exec(ctx, `INSERT INTO ap_health (node, checked_at) VALUES (?, ?)
		ON CONFLICT (node) DO UPDATE SET checked_at = excluded.checked_at`, node, ms(now))
	if err != nil {
		return fmt.Errorf("store: write probe: %w", err)
	}
	return nil
}

// Migration is one schema change of a component.
type Migration struct {
	Version int    // > 0, increasing
	Name    string // for the record
	SQL     string // one or more statements separated by ";" at line ends
}

// MigrateFS applies the migrations of component that fsys (typically an
// embed.FS) holds in the directory migrations/<dialect>, the layout of
// every package's migrations: LoadMigrations, then Migrate.
func (db *DB) MigrateFS(ctx context.Context, component string, fsys fs.FS) error {
	migs, err := LoadMigrations(fsys, "migrations/"+string(db.Dialect()))
	if err != nil {
		return err
	}
	return db.Migrate(ctx, component, migs)
}

// LoadMigrations reads the files NNNN_name.sql of dir in fsys (typically an
// embed.FS) as migrations, in version order.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var migs []Migration
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %s: name is not NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		migs = append(migs, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].Version < migs[j].Version })
	for i := 1; i < len(migs); i++ {
		if migs[i].Version == migs[i-1].Version {
			return nil, fmt.Errorf("store: two migrations with version %d in %s", migs[i].Version, dir)
		}
	}
	return migs, nil
}

// Migrate applies the migrations of component that are not yet applied, each
// in its own transaction with its record in oots_migrations. It is safe to
// call from several nodes at once.
func (d *DB) Migrate(ctx context.Context, component string, migs []Migration) error {
	if component == "" {
		return errors.New("store: migrate: empty component name")
	}
	if d.readOnly {
		return d.checkMigrated(ctx, component, migs)
	}
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS oots_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		// Two PostgreSQL nodes creating the table at once: one fails on the
		// catalogue's unique index; the table exists then.
		if d.dialect != PostgreSQL {
			return fmt.Errorf("store: migrations table: %w", err)
		}
	}
	for _, m := range migs {
		if err := d.migrateOne(ctx, component, m); err != nil {
			return fmt.Errorf("store: migration %s %04d_%s: %w", component, m.Version, m.Name, err)
		}
	}
	return nil
}

// checkMigrated returns ErrNotMigrated, naming the first migration of
// component that the database lacks, if any.
func (d *DB) checkMigrated(ctx context.Context, component string, migs []Migration) error {
	applied := map[int]bool{}
	rows, err := d.db.QueryContext(ctx, d.Rebind("SELECT version FROM oots_migrations WHERE component = ?"), component)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var v int
			if err = rows.Scan(&v); err != nil {
				break
			}
			applied[v] = true
		}
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil && len(migs) > 0 {
		// No migrations table, or one this role may not read.
		m := migs[0]
		return fmt.Errorf("%w: %s %04d_%s (reading oots_migrations: %v)", ErrNotMigrated, component, m.Version, m.Name, err)
	}
	for _, m := range migs {
		if !applied[m.Version] {
			return fmt.Errorf("%w: %s %04d_%s", ErrNotMigrated, component, m.Version, m.Name)
		}
	}
	return nil
}

func (d *DB) migrateOne(ctx context.Context, component string, m Migration) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.dialect == PostgreSQL {
		h := fnv.New64a()
		h.Write([]byte("oots_migrations/" + component))
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, d.Rebind("SELECT COUNT(*) FROM oots_migrations WHERE component = ? AND version = ?"), component, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range splitStatements(m.SQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, d.Rebind("INSERT INTO oots_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)"),
		component, m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// splitStatements splits SQL at semicolons that end a line, dropping
// comments-only and empty statements.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") {
			continue
		}
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
			t = strings.TrimSpace(line)
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			if st := strings.TrimSpace(cur.String()); st != ";" {
				out = append(out, st)
			}
			cur.Reset()
		}
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		out = append(out, st)
	}
	return out
}

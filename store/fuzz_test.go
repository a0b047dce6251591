package store

import (
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzLoadMigrations: any migration file name and text is loaded or refused
// with an error, and the statements split from it keep every SQL line.
func FuzzLoadMigrations(f *testing.F) {
	for _, d := range []string{"sqlite", "postgres"} {
		b, err := migrationFS.ReadFile("migrations/" + d + "/ap/0001_init.sql")
		if err != nil {
			f.Fatal(err)
		}
		f.Add("0001_init.sql", string(b))
	}
	f.Add("x_y.sql", "SELECT 1;")
	f.Add("0002_a.sql", "-- only a comment\n;\n")
	f.Fuzz(func(t *testing.T, name, text string) {
		if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." {
			return
		}
		migs, err := LoadMigrations(fstest.MapFS{"m/" + name: {Data: []byte(text)}}, "m")
		if err != nil {
			return
		}
		for _, m := range migs {
			if m.Version <= 0 {
				t.Fatalf("version %d accepted", m.Version)
			}
			joined := strings.Join(splitStatements(m.SQL), "\n")
			for _, line := range strings.Split(m.SQL, "\n") {
				code := strings.TrimSpace(line)
				if i := strings.Index(code, "--"); i >= 0 {
					code = strings.TrimSpace(code[:i])
				}
				if code != "" && code != ";" && !strings.Contains(joined, code) {
					t.Fatalf("line %q lost", code)
				}
			}
		}
	})
}

// FuzzSQLiteDSN: an SQLite dsn is refused or names one file, a known
// synchronous setting and VFS; the file's name, escaped for SQLite's URI,
// has no character that would end its path there, and decodes (as SQLite
// decodes %HH) to the same name.
func FuzzSQLiteDSN(f *testing.F) {
	for _, s := range []string{"a.db", "sqlite:d/a.db?synchronous=full", "sqlite:/x/a#b/oots.db?vfs=unix&synchronous=NORMAL",
		"a%20b/c.db", "?synchronous=full", "a.db?vfs=unix-excl", "a.db?synchronous=%zz", "a.db?cache=shared"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		file, sync, vfs, err := sqliteFile(dsn)
		if err != nil {
			return
		}
		if want, _ := SQLiteFile(dsn); file != want || file == "" {
			t.Fatalf("sqliteFile names %q, SQLiteFile %q", file, want)
		}
		if sync != "NORMAL" && sync != "FULL" || vfs != walVFSName && vfs != "unix" {
			t.Fatalf("synchronous %q, vfs %q", sync, vfs)
		}
		p := uriPath(file)
		if strings.ContainsAny(p, "?#") {
			t.Fatalf("%q escaped as %q", file, p)
		}
		if back, err := url.PathUnescape(p); err != nil || back != file {
			t.Fatalf("%q escaped as %q decodes to %q (%v)", file, p, back, err)
		}
	})
}

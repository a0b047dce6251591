package store

import (
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

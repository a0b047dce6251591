package pgtest_test

import (
	"database/sql"
	"testing"

	"github.com/oots-go/oots/internal/pgtest"
)

func TestStart(t *testing.T) {
	s := pgtest.Start(t)
	db, err := sql.Open("pgx", s.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Log(v)
}

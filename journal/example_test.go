package journal_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "journal")
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "oots.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	key := bytes.Repeat([]byte{1}, 32) // in production: 32 random bytes kept out of the database
	j, err := journal.Open(ctx, db, journal.Config{Key: key, Node: "node-a"})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := j.Append(ctx, journal.Record{
		Event:        journal.EventRequestSent,
		Conversation: "urn:uuid:0b5b5a3c-1c9a-4bb6-9f52-7b8f6d1c2e11",
		Procedure:    "R1",
		Requester:    "FR-ER-1",
		Provider:     "DE-EP-R1",
		Outcome:      journal.OutcomeOK,
		Personal:     &journal.Personal{GivenName: "Erika", FamilyName: "Mustermann", DateOfBirth: "1964-08-12"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := j.Personal(e)
	n, err := j.Verify(ctx)
	fmt.Println(e.Seq, p.FamilyName, n, err)
	var export bytes.Buffer
	_ = j.Export(ctx, &export)
	fmt.Println(journal.VerifyExport(&export))
	// Output:
	// 1 Mustermann 1 <nil>
	// <nil>
}

package demo_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// usersGolden is the copy of the demo users that package idp's own tests
// log in with: they cannot import this package, which imports idp.
const usersGolden = "../../idp/testdata/demo-users.json"

// TestUsersGolden: idp's copy of the demo users is theirs (rewritten with
// -update).
func TestUsersGolden(t *testing.T) {
	all := map[string][]idp.User{}
	for _, cc := range demo.Countries() {
		all[cc] = demo.Users(cc)
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(usersGolden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(usersGolden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("%s is not the demo users; run go test ./internal/demo -run UsersGolden -update", usersGolden)
	}
}

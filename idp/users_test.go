package idp

import (
	"encoding/json"
	"os"
	"testing"
)

// demoUsers returns the test users of the demo network for country cc
// (internal/demo, demo.Users), from the copy in testdata that the tests of
// package internal/demo keep current.
func demoUsers(t testing.TB, cc string) []User {
	t.Helper()
	b, err := os.ReadFile("testdata/demo-users.json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string][]User
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	us := all[cc]
	if us == nil {
		t.Fatalf("no demo users of %s in testdata/demo-users.json", cc)
	}
	return us
}

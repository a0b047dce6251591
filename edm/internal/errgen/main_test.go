package main

import (
	"bytes"
	"os"
	"testing"
)

// TestUpToDate: errors_gen.go is what the generator writes from the code
// lists of package codelist (run go generate ./edm after a list changes).
func TestUpToDate(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../errors_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("edm/errors_gen.go is out of date: run go generate ./edm")
	}
}

func TestConstName(t *testing.T) {
	for _, tt := range []struct{ prefix, code, want string }{
		{"EDMErr", "EDM:ERR:0004", "EDMErr0004"},
		{"DSDErr", "DSD:ERR:0005", "DSDErr0005"},
		{"EDMErr", "EDM:ERR:04", ""},
		{"EDMErr", "EB:ERR:0001", ""},
		{"EDMErr", "EDM:ERR:00x1", ""},
	} {
		got, err := constName(tt.prefix, tt.code)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("constName(%q, %q) = %q, %v", tt.prefix, tt.code, got, err)
		}
	}
}

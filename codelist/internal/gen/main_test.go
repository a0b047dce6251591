package main

import (
	"bytes"
	"errors"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oots-go/oots/internal/testenv"
)

// TestGeneratedUpToDate runs the generator as go generate does, into a
// temporary directory, and compares its output with the checked-in file.
func TestGeneratedUpToDate(t *testing.T) {
	src := testenv.Spec(t, "tdd-1.0/codelists")
	out := filepath.Join(t.TempDir(), "lists_gen.go")
	if err := run([]string{"-src", src, "-out", out}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "lists_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("codelist/lists_gen.go is out of date: run go generate ./codelist")
	}
	if !bytes.HasPrefix(got, []byte("// Code generated ")) || !bytes.Contains(got[:bytes.IndexByte(got, '\n')], []byte("DO NOT EDIT.")) {
		t.Error("lists_gen.go does not begin with a // Code generated ... DO NOT EDIT. line")
	}
	// Deterministic: a second run gives the same bytes.
	again, err := generate(os.DirFS(src))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Error("two runs of the generator differ")
	}
}

func TestEveryFileMapped(t *testing.T) {
	src := testenv.Spec(t, "tdd-1.0/codelists")
	for _, l := range lists {
		if _, err := os.Stat(filepath.Join(src, filepath.FromSlash(l.file))); err != nil {
			t.Errorf("table entry %s: %v", l.file, err)
		}
	}
	// A file the table does not know stops the generator.
	m := fstest.MapFS{}
	for _, l := range lists {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(l.file)))
		if err != nil {
			t.Fatal(err)
		}
		m[l.file] = &fstest.MapFile{Data: b}
	}
	if _, err := generate(m); err != nil {
		t.Fatalf("generate from a copy: %v", err)
	}
	m["OOTS/Gender-CodeList.gc"] = &fstest.MapFile{Data: []byte("<x/>")}
	_, err := generate(m)
	if err == nil || !strings.Contains(err.Error(), "Gender-CodeList.gc is not in the lists table") {
		t.Errorf("unmapped file: err = %v", err)
	}
}

// An erratum that no longer matches its file (the defect was corrected
// upstream, or the file changed) stops the generator instead of being
// skipped silently.
func TestErratumMustMatch(t *testing.T) {
	src := testenv.Spec(t, "tdd-1.0/codelists")
	m := fstest.MapFS{}
	for _, l := range lists {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(l.file)))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errata {
			if e.file == l.file {
				b = bytes.Replace(b, []byte(e.old), []byte(e.new), 1) // as if fixed upstream
			}
		}
		m[l.file] = &fstest.MapFile{Data: b}
	}
	_, err := generate(m)
	if err == nil || !strings.Contains(err.Error(), "matches 0 times") {
		t.Errorf("err = %v, want an erratum that matches 0 times", err)
	}
}

func TestUsage(t *testing.T) {
	if err := run(nil); !errors.Is(err, errUsage) {
		t.Errorf("run without -src: err = %v, want errUsage", err)
	}
}

// The checked-in file is gofmt'd (the generator formats its output; this
// catches a hand edit too).
func TestGeneratedFormatted(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "lists_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := format.Source(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f, b) {
		t.Error("codelist/lists_gen.go is not gofmt'd")
	}
}

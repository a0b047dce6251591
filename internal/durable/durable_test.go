package durable_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/internal/durable"
)

func bytesOf(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteFile: a new file and a replaced one have the content and the
// permissions asked for; a failed write leaves the old file and nothing
// else.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pmode.yaml")
	if err := durable.WriteFile(path, 0o640, bytesOf("first\n")); err != nil {
		t.Fatal(err)
	}
	if err := durable.WriteFile(path, 0o600, bytesOf("second\n")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "second\n" {
		t.Fatalf("file = %q, %v; want the second content", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}

	failed := errors.New("the writer failed")
	err = durable.WriteFile(path, 0o600, func(w io.Writer) error {
		io.WriteString(w, "half of a thi")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("a failed write: %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second\n" {
		t.Errorf("after a failed write the file is %q, want it unchanged", b)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("after a failed write the directory holds %q, want the file alone", names)
	}
}

// TestWriteFileNoDirectory: a file in a directory that does not exist is
// an error, not a file elsewhere.
func TestWriteFileNoDirectory(t *testing.T) {
	err := durable.WriteFile(filepath.Join(t.TempDir(), "missing", "f"), 0o600, bytesOf("x"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want a missing directory", err)
	}
}

// TestTemp: the temporary file is named by the pattern in the directory,
// with its permissions and content; a failed write removes it.
func TestTemp(t *testing.T) {
	dir := t.TempDir()
	name, err := durable.Temp(dir, ".upload-*", 0o644, bytesOf("content"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(name) != dir {
		t.Errorf("temporary file %s not in %s", name, dir)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(name); string(b) != "content" {
		t.Errorf("content = %q", b)
	}
	if _, err := durable.Temp(dir, ".upload-*", 0o644, func(io.Writer) error { return io.ErrShortWrite }); err == nil {
		t.Error("a failed write gave no error")
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("after a failed write the directory holds %q, want the first file alone", names)
	}
}

func TestSyncDir(t *testing.T) {
	if err := durable.SyncDir(t.TempDir()); err != nil {
		t.Error(err)
	}
	if err := durable.SyncDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("syncing a directory that does not exist gave no error")
	}
}

package spill

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriter: content up to Threshold stays in memory (no file in Dir);
// beyond, it is in one file, which remove deletes; both read back whole,
// as often as needed.
func TestWriter(t *testing.T) {
	for _, size := range []int{0, 10, Threshold, Threshold + 1, 3*Threshold + 7} {
		dir := t.TempDir()
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		w := &Writer{Dir: dir, Pattern: "t-*"}
		for b := want; len(b) > 0; {
			n := min(len(b), 100_000)
			if _, err := w.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
		open, remove, err := w.Finish()
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "t-*"))
		if wantFiles := map[bool]int{false: 0, true: 1}[size > Threshold]; len(files) != wantFiles {
			t.Errorf("size %d: %d files, want %d", size, len(files), wantFiles)
		}
		for range 2 {
			rc, err := open()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, want) {
				t.Fatalf("size %d: read back %d bytes", size, len(got))
			}
		}
		if err := remove(); err != nil {
			t.Fatal(err)
		}
		if files, _ := filepath.Glob(filepath.Join(dir, "t-*")); len(files) != 0 {
			t.Errorf("size %d: %v left after remove", size, files)
		}
	}
}

func TestDiscard(t *testing.T) {
	dir := t.TempDir()
	w := &Writer{Dir: dir, Pattern: "t-*"}
	w.Write(make([]byte, Threshold+1))
	w.Discard()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("%d files left after Discard", len(entries))
	}
}

package spill

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
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
			if got := readBack(t, open); !bytes.Equal(got, want) {
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

// readBack opens a finished Writer's content and reads it whole.
func readBack(t *testing.T, open func() (io.ReadCloser, error)) []byte {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return got
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

// ReadFrom keeps content of up to Limit bytes in memory and spills more to
// one file; into a Writer already written to, it appends.
func TestReadFrom(t *testing.T) {
	for _, c := range []struct {
		prefix, size int
		spilled      bool
	}{{0, 0, false}, {0, 100, false}, {0, 101, true}, {0, 5000, true}, {40, 60, false}, {40, 61, true}} {
		dir := t.TempDir()
		want := bytes.Repeat([]byte("0123456789abcdef"), (c.prefix+c.size)/16+1)[:c.prefix+c.size]
		w := &Writer{Dir: dir, Pattern: "t-*", Limit: 100}
		w.Write(want[:c.prefix])
		n, err := w.ReadFrom(bytes.NewReader(want[c.prefix:]))
		if err != nil || n != int64(c.size) {
			t.Fatalf("%+v: ReadFrom %d, %v", c, n, err)
		}
		open, remove, err := w.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if files, _ := filepath.Glob(filepath.Join(dir, "t-*")); (len(files) == 1) != c.spilled || len(files) > 1 {
			t.Errorf("%+v: %d files", c, len(files))
		}
		if got := readBack(t, open); !bytes.Equal(got, want) {
			t.Errorf("%+v: read back %d bytes, want %d", c, len(got), len(want))
		}
		remove()
	}
}

// A reader's error is ReadFrom's, and Discard then leaves no file.
func TestReadFromError(t *testing.T) {
	dir := t.TempDir()
	broken := errors.New("connection reset")
	for _, size := range []int{10, 500} {
		w := &Writer{Dir: dir, Pattern: "t-*", Limit: 100}
		r := io.MultiReader(bytes.NewReader(make([]byte, size)), iotest.ErrReader(broken))
		if _, err := w.ReadFrom(r); !errors.Is(err, broken) {
			t.Fatalf("size %d: %v, want the reader's error", size, err)
		}
		w.Discard()
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("size %d: %d files left after Discard", size, len(entries))
		}
	}
}

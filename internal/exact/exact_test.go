package exact

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRead: Read and ReadString on the same inputs. Read returns what it
// read (max+1 bytes of a longer input); ReadString only a whole input.
func TestRead(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int64
		want string // Read's
		more bool
	}{
		{"", 10, "", false},
		{"hello", 10, "hello", false},
		{"hello", 5, "hello", false},
		{"hello!", 5, "hello!", true},
		{strings.Repeat("x", 100), 5, "xxxxxx", true},
	} {
		for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
			b, more, err := Read(r, tc.max)
			if err != nil || string(b) != tc.want || more != tc.more || b == nil {
				t.Errorf("Read(%q, %d) = %q, %v, %v; want %q, %v", tc.in, tc.max, b, more, err, tc.want, tc.more)
			}
		}
		wantText := tc.in
		if tc.more {
			wantText = "" // refused: not copied
		}
		got, more, err := ReadString(strings.NewReader(tc.in), tc.max)
		if err != nil || got != wantText || more != tc.more {
			t.Errorf("ReadString(%q, %d) = %q, %v, %v; want %q, %v", tc.in, tc.max, got, more, err, wantText, tc.more)
		}
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	b, _, err := Read(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 10)
	if !errors.Is(err, boom) || string(b) != "abc" {
		t.Fatalf("got %q, %v; want abc, boom", b, err)
	}
}

// TestReadDoesNotShare: a result is not overwritten by the next Read (the
// scratch buffer is reused, the result must not be a slice of it).
func TestReadDoesNotShare(t *testing.T) {
	a, _, _ := Read(strings.NewReader("first"), 100)
	Read(strings.NewReader("SECOND"), 100)
	if string(a) != "first" {
		t.Fatalf("the first result became %q", a)
	}
}

func TestReadAllocations(t *testing.T) {
	src := bytes.Repeat([]byte("x"), 20000)
	Read(bytes.NewReader(src), 1<<20) // warm the scratch buffer
	n := testing.AllocsPerRun(100, func() {
		b, _, _ := Read(bytes.NewReader(src), 1<<20)
		if len(b) != len(src) {
			t.Fatal(len(b))
		}
	})
	if n > 2 {
		t.Errorf("%v allocations per Read, want at most 2 (the result and the reader)", n)
	}
}

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	b, err := Write(func(w io.Writer) error {
		io.WriteString(w, "abc")
		return boom
	})
	if !errors.Is(err, boom) || string(b) != "abc" {
		t.Fatalf("got %q, %v; want abc, boom", b, err)
	}
	first, _ := Write(func(w io.Writer) error { _, err := io.WriteString(w, "first"); return err })
	Write(func(w io.Writer) error { _, err := io.WriteString(w, "SECOND"); return err })
	if string(first) != "first" {
		t.Fatalf("the first result became %q", first)
	}
	src := bytes.Repeat([]byte("x"), 20000)
	n := testing.AllocsPerRun(100, func() {
		b, _ := Write(func(w io.Writer) error { _, err := w.Write(src); return err })
		if len(b) != len(src) {
			t.Fatal(len(b))
		}
	})
	if n > 1 {
		t.Errorf("%v allocations per Write, want 1 (the result)", n)
	}
}

// ReadString keeps nothing of an input it could not read to its end.
func TestReadStringError(t *testing.T) {
	boom := errors.New("boom")
	if got, _, err := ReadString(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 10); !errors.Is(err, boom) || got != "" {
		t.Errorf("after an error: %q, %v; want \"\", boom", got, err)
	}
}

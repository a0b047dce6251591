package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadSmallFilePieces: a key or token file that arrives in pieces (a
// named pipe, as a secret handed over by another process is) is read whole,
// not up to the first piece; one beyond the bound is still refused.
func TestReadSmallFilePieces(t *testing.T) {
	for _, c := range []struct {
		pieces [][]byte
		err    string
	}{
		{[][]byte{bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)}, ""},
		{[][]byte{bytes.Repeat([]byte{1}, maxTokenFile), {2}}, "larger than"},
	} {
		fifo := filepath.Join(t.TempDir(), "journal.key")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer w.Close()
			for _, p := range c.pieces {
				w.Write(p)
				time.Sleep(50 * time.Millisecond)
			}
		}()
		b, err := readSmallFile(fifo)
		want := bytes.Join(c.pieces, nil)
		switch {
		case c.err == "" && (err != nil || !bytes.Equal(b, want)):
			t.Errorf("%d bytes in %d pieces: read %d bytes, %v", len(want), len(c.pieces), len(b), err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%d bytes in %d pieces: read %d bytes, %v; want an error saying %q", len(want), len(c.pieces), len(b), err, c.err)
		}
	}
}

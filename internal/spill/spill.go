// Package spill keeps content being produced in memory up to a threshold
// and in a temporary file beyond it, so that a small payload costs no file
// and a 1 GiB one costs a file, not memory. The as4 and wssec packages
// spool compressed, encrypted and decrypted parts through it.
package spill

import (
	"bytes"
	"io"
	"os"
)

// Threshold is the size up to which content stays in memory.
const Threshold = 1 << 20

// Writer is a writer that keeps its content in memory up to Threshold
// bytes and moves it to a temporary file in Dir (named after Pattern, as
// os.CreateTemp names it) beyond that. The zero Writer spills to the
// default temporary directory.
type Writer struct {
	Dir, Pattern string

	buf []byte
	f   *os.File
}

func (w *Writer) Write(p []byte) (int, error) {
	if w.f == nil {
		if len(w.buf)+len(p) <= Threshold {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		f, err := os.CreateTemp(w.Dir, w.Pattern)
		if err != nil {
			return 0, err
		}
		w.f = f
		_, err = f.Write(w.buf)
		w.buf = nil
		if err != nil {
			return 0, err
		}
	}
	return w.f.Write(p)
}

// Finish ends the writing and returns a function that opens the content
// as often as needed and one that removes its file (a no-op for content
// in memory). On error nothing is left behind.
func (w *Writer) Finish() (open func() (io.ReadCloser, error), remove func() error, err error) {
	if w.f == nil {
		b := w.buf
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
			func() error { return nil }, nil
	}
	name := w.f.Name()
	if err := w.f.Close(); err != nil {
		os.Remove(name)
		return nil, nil, err
	}
	return func() (io.ReadCloser, error) { return os.Open(name) },
		func() error { return os.Remove(name) }, nil
}

// Discard drops the content after a failure, removing any file.
func (w *Writer) Discard() {
	w.buf = nil
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

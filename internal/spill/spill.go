// Package spill keeps content being produced in memory up to a threshold
// and in a temporary file beyond it, so that a small payload costs no file
// and a 1 GiB one costs a file, not memory. The as4 and wssec packages
// spool compressed, encrypted and decrypted parts through it, and swa the
// attachments it reads.
package spill

import (
	"bytes"
	"io"
	"os"

	"github.com/oots-go/oots/internal/exact"
)

// Threshold is the size up to which content stays in memory.
const Threshold = 1 << 20

// Writer is a writer that keeps its content in memory up to Limit bytes
// and moves it to a temporary file in Dir (named after Pattern, as
// os.CreateTemp names it) beyond that. The zero Writer keeps up to
// Threshold bytes and spills to the default temporary directory.
type Writer struct {
	Dir, Pattern string
	// Limit is the size up to which content stays in memory; 0 means
	// Threshold.
	Limit int64

	buf []byte
	f   *os.File
}

func (w *Writer) limit() int64 {
	if w.Limit > 0 {
		return w.Limit
	}
	return Threshold
}

func (w *Writer) Write(p []byte) (int, error) {
	if w.f == nil {
		if int64(len(w.buf)+len(p)) <= w.limit() {
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

// ReadFrom writes what r holds, to its end. Into a Writer still empty,
// content that stays in memory is read into one slice of its size; content
// that does not is copied to the file as it comes.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.f != nil || len(w.buf) > 0 {
		return io.Copy(struct{ io.Writer }{w}, r)
	}
	b, more, err := exact.Read(r, w.limit())
	if !more {
		w.buf = b
		return int64(len(b)), err
	}
	n, werr := w.Write(b) // more than the limit: to a new file
	if werr != nil {
		return int64(n), werr
	}
	if err != nil {
		return int64(n), err
	}
	m, err := io.Copy(w.f, r)
	return int64(n) + m, err
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

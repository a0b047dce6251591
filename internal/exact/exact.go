// Package exact reads a stream, or writes a document, whose size is not
// known in advance into a slice of exactly its length. io.ReadAll and a
// bytes.Buffer grow their slice step by step, allocating about three times
// the size of what they hold; here the growing is done in a recycled
// scratch buffer and the result is one allocation.
package exact

import (
	"bytes"
	"io"
	"sync"
)

// Read reads r to its end or to max+1 bytes, whichever comes first, and
// returns what it read in a new slice of exactly that length. more reports
// that r held more than max bytes (b then holds max+1 of them). An error
// other than io.EOF is returned with what was read before it.
func Read(r io.Reader, max int64) (b []byte, more bool, err error) {
	s := scratches.Get().(*scratch)
	err = s.fill(r, max)
	b = s.result()
	s.put()
	return b, int64(len(b)) > max, err
}

// ReadString is Read for text that is kept only when it is whole: it
// returns what r holds as a string when that is at most max bytes and was
// read without error, and "" otherwise (a refused document is not copied).
func ReadString(r io.Reader, max int64) (text string, more bool, err error) {
	s := scratches.Get().(*scratch)
	err = s.fill(r, max)
	more = int64(s.buf.Len()) > max
	if err == nil && !more {
		text = s.buf.String()
	}
	s.put()
	return text, more, err
}

// Write returns what write writes to the writer it is given, in a new
// slice of exactly that length, and write's error.
func Write(write func(io.Writer) error) ([]byte, error) {
	s := scratches.Get().(*scratch)
	s.buf.Reset()
	err := write(&s.buf)
	b := s.result()
	s.put()
	return b, err
}

// scratch is the growing buffer of one Read or Write, kept for the next
// while it is at most maxScratch bytes.
type scratch struct {
	buf bytes.Buffer
	lr  io.LimitedReader
}

const maxScratch = 1 << 20

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// fill reads r into s to its end or to max+1 bytes, whichever comes first.
func (s *scratch) fill(r io.Reader, max int64) error {
	s.lr = io.LimitedReader{R: r, N: max + 1}
	s.buf.Reset()
	_, err := s.buf.ReadFrom(&s.lr)
	s.lr.R = nil
	return err
}

// result copies what s holds (an empty slice, not nil, when nothing).
func (s *scratch) result() []byte {
	if s.buf.Len() == 0 {
		return []byte{}
	}
	return bytes.Clone(s.buf.Bytes())
}

func (s *scratch) put() {
	if s.buf.Cap() <= maxScratch {
		scratches.Put(s)
	}
}

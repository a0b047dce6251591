package wssec

import (
	"bytes"
	"io"
	"os"
)

// spillThreshold is the size up to which encrypted (Secure) and decrypted
// (Process) content stays in memory; larger content goes to a temporary
// file, so that a 1 GiB attachment costs a file, not memory.
const spillThreshold = 1 << 20

// spill is a writer that keeps its content in memory up to spillThreshold
// and moves it to a temporary file in dir beyond that.
type spill struct {
	dir, pattern string
	buf          []byte
	f            *os.File
}

func (s *spill) Write(p []byte) (int, error) {
	if s.f == nil {
		if len(s.buf)+len(p) <= spillThreshold {
			s.buf = append(s.buf, p...)
			return len(p), nil
		}
		f, err := os.CreateTemp(s.dir, s.pattern)
		if err != nil {
			return 0, err
		}
		s.f = f
		_, err = f.Write(s.buf)
		s.buf = nil
		if err != nil {
			return 0, err
		}
	}
	return s.f.Write(p)
}

// finish ends the writing and returns the functions of a Part: open reads
// the content as often as needed, remove deletes the file (a no-op for
// content in memory). On error nothing is left behind.
func (s *spill) finish() (open func() (io.ReadCloser, error), remove func() error, err error) {
	if s.f == nil {
		b := s.buf
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
			func() error { return nil }, nil
	}
	name := s.f.Name()
	if err := s.f.Close(); err != nil {
		os.Remove(name)
		return nil, nil, err
	}
	return func() (io.ReadCloser, error) { return os.Open(name) },
		func() error { return os.Remove(name) }, nil
}

// discard drops the content after a failure, removing any file.
func (s *spill) discard() {
	s.buf = nil
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

package uuid

import "io"

// Source draws the random UUIDs of one message from a reader, for code
// that names many parts of what it builds and checks the random source
// once, before it uses the result: after the first failure New returns ""
// and Err the failure.
type Source struct {
	r   io.Reader
	err error
}

// NewSource returns a Source reading r.
func NewSource(r io.Reader) *Source { return &Source{r: r} }

// New returns the text of a random (version 4) UUID, "" once the reader
// has failed.
func (s *Source) New() string {
	if s.err != nil {
		return ""
	}
	id, err := New(s.r)
	s.err = err
	return id
}

// URN returns New as "urn:uuid:…", "" once the reader has failed.
func (s *Source) URN() string {
	if id := s.New(); id != "" {
		return URNPrefix + id
	}
	return ""
}

// Err is the reader's first failure, nil while there is none.
func (s *Source) Err() error { return s.err }

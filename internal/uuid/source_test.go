package uuid

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestSourceFails: a Source whose reader fails stays failed and says why.
func TestSourceFails(t *testing.T) {
	cause := errors.New("entropy gone")
	s := NewSource(io.MultiReader(bytes.NewReader(make([]byte, 16)), iotest.ErrReader(cause)))
	if id := s.New(); !Valid(id) || s.Err() != nil {
		t.Fatalf("first New = %q, %v", id, s.Err())
	}
	if id := s.URN(); id != "" || !errors.Is(s.Err(), cause) {
		t.Fatalf("URN after the failure = %q, %v", id, s.Err())
	}
	if id := s.New(); id != "" || !errors.Is(s.Err(), cause) {
		t.Fatalf("New after the failure = %q, %v", id, s.Err())
	}
}

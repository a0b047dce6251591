package uuid

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRandomVector is the version 4 example of RFC 9562 Appendix A.4: the
// version and variant bits of the drawn bytes are overwritten.
func TestRandomVector(t *testing.T) {
	raw := []byte{0x91, 0x91, 0x08, 0xf7, 0x52, 0xd1, 0xf3, 0x20, 0xdb, 0xac, 0xf8, 0x47, 0xdb, 0x41, 0x48, 0xa8}
	got, err := New(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := "919108f7-52d1-4320-9bac-f847db4148a8"; got != want {
		t.Errorf("New = %s, want %s", got, want)
	}
	urn, err := NewURN(bytes.NewReader(raw))
	if err != nil || urn != "urn:uuid:919108f7-52d1-4320-9bac-f847db4148a8" {
		t.Errorf("NewURN = %q, %v", urn, err)
	}
}

// TestNameVector is the version 5 example of RFC 9562 Appendix A.5.
func TestNameVector(t *testing.T) {
	u := Name(NameSpaceDNS(), "www.example.com")
	if got, want := u.String(), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("Name = %s, want %s", got, want)
	}
	if u.Version() != 5 {
		t.Errorf("version %d, want 5", u.Version())
	}
	if Name(NameSpaceURL(), "www.example.com") == u {
		t.Error("two name spaces gave one UUID")
	}
}

// TestFailingReader: a random source that fails, or gives fewer than 16
// bytes, is an error carrying its cause, never an identifier.
func TestFailingReader(t *testing.T) {
	cause := errors.New("entropy gone")
	for name, r := range map[string]io.Reader{
		"error": iotest.ErrReader(cause),
		"short": bytes.NewReader(make([]byte, 15)),
		"empty": strings.NewReader(""),
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := New(r); err == nil || s != "" {
				t.Fatalf("New = %q, %v: want an error", s, err)
			}
		})
	}
	if _, err := NewURN(iotest.ErrReader(cause)); !errors.Is(err, cause) {
		t.Errorf("NewURN error %v does not wrap the cause", err)
	}
}

func TestRandomBits(t *testing.T) {
	for _, fill := range []byte{0x00, 0xff} {
		u, err := Random(bytes.NewReader(bytes.Repeat([]byte{fill}, 16)))
		if err != nil {
			t.Fatal(err)
		}
		if u.Version() != 4 || u[8]>>6 != 0b10 {
			t.Errorf("fill %#x: %s has version %d variant %b", fill, u, u.Version(), u[8]>>6)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"919108f7-52d1-4320-9bac-f847db4148a8", true},
		{"919108F7-52D1-4320-9BAC-F847DB4148A8", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"919108f7-52d1-4320-9bac-f847db4148a", false},
		{"919108f7-52d1-4320-9bac-f847db4148a8a", false},
		{"919108f7052d1-4320-9bac-f847db4148a8", false},
		{"919108f7-52d1-4320-9bac-f847db4148ag", false},
		{"{919108f7-52d1-4320-9bac-f847db4148a8}", false},
		{"urn:uuid:919108f7-52d1-4320-9bac-f847db4148a8", false},
		{"+19108f7-52d1-4320-9bac-f847db4148a8", false},
		{"", false},
	} {
		u, err := Parse(tt.in)
		if (err == nil) != tt.ok || Valid(tt.in) != tt.ok {
			t.Errorf("Parse(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && u.String() != strings.ToLower(tt.in) {
			t.Errorf("Parse(%q).String() = %s", tt.in, u)
		}
		if ValidURN(URNPrefix+tt.in) != tt.ok || tt.ok && ValidURN(tt.in) {
			t.Errorf("ValidURN of %q wrong", tt.in)
		}
	}
}

// FuzzParse: whatever Parse accepts prints back as the same text, lower
// case.
func FuzzParse(f *testing.F) {
	f.Add("919108f7-52d1-4320-9bac-f847db4148a8")
	f.Add("2ED6657D-E927-568B-95E1-2665A8AEA6A2")
	f.Add("919108f7-52d1-4320-9bac-f847db4148a")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error %v is not ErrSyntax", s, err)
			}
			return
		}
		if got := u.String(); got != strings.ToLower(s) {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		if v, err := Parse(u.String()); err != nil || v != u {
			t.Fatalf("round trip of %q: %v, %v", s, v, err)
		}
	})
}

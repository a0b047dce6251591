package eid

import (
	"strings"
	"testing"
)

func TestLoA(t *testing.T) {
	tests := []struct {
		in   string
		want LoA
		ok   bool
	}{
		{"Low", LoALow, true},
		{"substantial", LoASubstantial, true},
		{"HIGH", LoAHigh, true},
		{"http://eidas.europa.eu/LoA/high", LoAHigh, true},
		{"http://eidas.europa.eu/LoA/HIGH", "", false},
		{"medium", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseLoA(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseLoA(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && !strings.EqualFold(got.Code(), strings.TrimPrefix(tt.in, "http://eidas.europa.eu/LoA/")) {
			t.Errorf("ParseLoA(%q).Code() = %q", tt.in, got.Code())
		}
	}
	if LoA("x").Code() != "" {
		t.Error("an unknown level has a code")
	}
}

func TestAtLeast(t *testing.T) {
	levels := []LoA{LoALow, LoASubstantial, LoAHigh}
	for i, l := range levels {
		for j, m := range levels {
			if got := l.AtLeast(m); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", l.Code(), m.Code(), got)
			}
		}
		if LoA("x").AtLeast(l) {
			t.Errorf("unknown level at least %s", l.Code())
		}
	}
	if LoA("x").AtLeast(LoA("y")) {
		t.Error("an unknown level is at least an unknown one")
	}
}

func TestLocalID(t *testing.T) {
	tests := []struct {
		id, country, local string
		ok                 bool
	}{
		{"DE/FR/3f8a2c61d9", "DE", "3f8a2c61d9", true},
		{"FI/SE/120687-9024", "FI", "120687-9024", true},
		{"SE/DE/a/b", "SE", "a/b", true},
		{"DE/FR/", "", "", false},
		{"DEU/FR/x", "", "", false},
		{"DE/F/x", "", "", false},
		{"DE-FR-x", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		c, l, ok := LocalID(tt.id)
		if c != tt.country || l != tt.local || ok != tt.ok {
			t.Errorf("LocalID(%q) = %q, %q, %v; want %q, %q, %v", tt.id, c, l, ok, tt.country, tt.local, tt.ok)
		}
	}
}

// FuzzLocalID: an identifier LocalID accepts is CC/RP/local with the parts
// it returns.
func FuzzLocalID(f *testing.F) {
	f.Add("DE/FR/3f8a2c61d9")
	f.Add("//")
	f.Fuzz(func(t *testing.T, id string) {
		c, l, ok := LocalID(id)
		if !ok {
			return
		}
		if len(c) != 2 || l == "" || !strings.HasPrefix(id, c+"/") || !strings.HasSuffix(id, "/"+l) {
			t.Fatalf("LocalID(%q) = %q, %q", id, c, l)
		}
	})
}

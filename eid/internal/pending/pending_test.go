package pending

import (
	"strings"
	"testing"
)

// TestMap: Hold refuses beyond max unless expired logins make room; With
// forgets only when asked.
func TestMap(t *testing.T) {
	m := NewMap[int]()
	expired := func(v int) bool { return v < 0 }
	if !m.Hold("a", -1, 2, expired) || !m.Hold("b", 2, 2, expired) {
		t.Fatal("two logins under a bound of two refused")
	}
	if !m.Hold("c", 3, 2, expired) {
		t.Fatal("a third login refused though the first had expired")
	}
	if m.Has("a") || m.Count() != 2 {
		t.Errorf("after the purge: has a %v, count %d; want false, 2", m.Has("a"), m.Count())
	}
	if m.Hold("d", 4, 2, expired) {
		t.Error("a third login held beyond the bound")
	}
	m.With("b", func(v int, ok bool) bool { return false })
	if !m.Has("b") {
		t.Error("With forgot a login it was not asked to")
	}
	var got int
	m.With("b", func(v int, ok bool) bool { got = v; return ok })
	if got != 2 || m.Has("b") {
		t.Errorf("With gave %d and kept it %v; want 2, forgotten", got, m.Has("b"))
	}
	m.With("none", func(_ int, ok bool) bool {
		if ok {
			t.Error("With found a login never held")
		}
		return true
	})
}

func TestBrowser(t *testing.T) {
	h, err := Browser(strings.Repeat("ab", 32))
	if err != nil || h[0] != 0xab || h[31] != 0xab {
		t.Errorf("Browser = %x, %v", h, err)
	}
	for _, s := range []string{"", "zz", strings.Repeat("ab", 31)} {
		if _, err := Browser(s); err == nil {
			t.Errorf("Browser(%q) gave no error", s)
		}
	}
}

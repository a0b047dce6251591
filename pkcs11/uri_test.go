package pkcs11_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/pkcs11"
)

func TestParseURI(t *testing.T) {
	u, err := pkcs11.ParseURI("pkcs11:token=oots%20ap;object=ap-sign;id=%01%02;type=private;slot-id=3?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234&x-vendor=1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Token != "oots ap" || u.Object != "ap-sign" || string(u.ID) != "\x01\x02" || u.Type != "private" || u.SlotID == nil || *u.SlotID != 3 ||
		u.ModulePath != "/usr/lib/softhsm/libsofthsm2.so" || u.PINValue != "1234" {
		t.Errorf("%+v", u)
	}
	if pin, _ := u.PIN(); pin != "1234" {
		t.Errorf("PIN %q", pin)
	}
	if got := u.String(); got != "pkcs11:token=oots%20ap;object=ap-sign;id=%01%02;type=private;slot-id=3?module-path=/usr/lib/softhsm/libsofthsm2.so" {
		t.Errorf("String: %s", got)
	}
	for _, bad := range []string{
		"file:key.pem", "pkcs11:tokn=x", "pkcs11:token=a;token=b", "pkcs11:type=weird", "pkcs11:object=%zz",
		"pkcs11:slot-id=-1", "pkcs11:?pin-value=1&pin-source=f", "pkcs11:?module-name=softhsm2", "pkcs11:?colour=blue", "pkcs11:token",
	} {
		if _, err := pkcs11.ParseURI(bad); !errors.Is(err, pkcs11.ErrURI) {
			t.Errorf("%q: %v, want ErrURI", bad, err)
		}
	}
}

// TestURIStringSeparators: a value holding what separates the URI's parts
// (";", "?", "&", "/", "=", "%") is written so that it reads back the same,
// and the path and query as RFC 7512 spells them: no "/" or "?" in a path
// value, no "&" in a query value.
func TestURIStringSeparators(t *testing.T) {
	u := &pkcs11.URI{Token: "a;b", Object: "x/y?z=1&w%", ModulePath: "/opt/a&b/lib?.so", PINSource: "/run/p&q;r"}
	s := u.String()
	again, err := pkcs11.ParseURI(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	if again.Token != u.Token || again.Object != u.Object || again.ModulePath != u.ModulePath || again.PINSource != u.PINSource {
		t.Errorf("%s read back as %+v", s, again)
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(s, "pkcs11:"), "?")
	if strings.ContainsAny(path, "/?") {
		t.Errorf("path %q holds a / or ?", path)
	}
	for _, attr := range strings.Split(query, "&") {
		if k, _, _ := strings.Cut(attr, "="); k != "module-path" && k != "pin-source" {
			t.Errorf("query %q: attribute %q", query, attr)
		}
	}
}

// FuzzParseURI: a parsed URI written back parses to the same URI.
func FuzzParseURI(f *testing.F) {
	f.Add("pkcs11:token=oots;object=ap-sign;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin")
	f.Add("pkcs11:id=%01%02;slot-id=0")
	f.Add("pkcs11:object=x%2Fy?module-path=/opt/a%26b/lib.so")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := pkcs11.ParseURI(s)
		if err != nil {
			return
		}
		u.PINValue = ""
		again, err := pkcs11.ParseURI(u.String())
		if err != nil {
			t.Fatalf("%q written back as %q: %v", s, u.String(), err)
		}
		if again.String() != u.String() {
			t.Fatalf("%q → %q → %q", s, u.String(), again.String())
		}
	})
}

// TestParseURIBounds: the values are bounded once decoded, so a URI at the
// bound is read back from its written form, which percent-encodes more than
// its author had to (the fuzz finding testdata/fuzz/FuzzParseURI/beac60ff2cb446f2).
func TestParseURIBounds(t *testing.T) {
	full := "pkcs11:token=" + strings.Repeat(",", 4096)
	u, err := pkcs11.ParseURI(full)
	if err != nil {
		t.Fatalf("4,096 bytes of values: %v", err)
	}
	if len(u.String()) <= 4096*3 {
		t.Fatalf("written form %d bytes, want every comma encoded", len(u.String()))
	}
	if again, err := pkcs11.ParseURI(u.String()); err != nil || again.Token != u.Token {
		t.Errorf("the written form of a URI at the bound: %v", err)
	}
	for _, bad := range []string{
		"pkcs11:token=" + strings.Repeat("a", 4097),
		"pkcs11:token=" + strings.Repeat("a", 2048) + ";object=" + strings.Repeat("b", 2049),
		"pkcs11:token=" + strings.Repeat("%2C", 4097),
		"pkcs11:token=a?x-" + strings.Repeat("y", 3*4096+512) + "=1",
	} {
		if _, err := pkcs11.ParseURI(bad); !errors.Is(err, pkcs11.ErrURI) || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("%.40q…: %v, want ErrURI naming the bound", bad, err)
		}
	}
}

// TestParseURIErrorHidesPIN: a malformed pin-value is refused without
// quoting any of it.
func TestParseURIErrorHidesPIN(t *testing.T) {
	_, err := pkcs11.ParseURI("pkcs11:object=k?pin-value=47%zz11")
	if !errors.Is(err, pkcs11.ErrURI) || strings.Contains(err.Error(), "zz") || strings.Contains(err.Error(), "47") {
		t.Errorf("ParseURI of a malformed pin-value: %v, want ErrURI quoting none of it", err)
	}
}

// TestParseURILimits: the vendor query attributes x-max-sessions and
// x-timeout are read, bounded and written back; other x- attributes are
// still ignored.
func TestParseURILimits(t *testing.T) {
	u, err := pkcs11.ParseURI("pkcs11:object=k?module-path=/m.so&x-max-sessions=32&x-timeout=1m30s&x-other=1")
	if err != nil {
		t.Fatal(err)
	}
	if u.MaxSessions != 32 || u.Timeout != 90*time.Second {
		t.Errorf("%+v", u)
	}
	if got := u.String(); got != "pkcs11:object=k?module-path=/m.so&x-max-sessions=32&x-timeout=1m30s" {
		t.Errorf("String: %s", got)
	}
	if u, err := pkcs11.ParseURI("pkcs11:object=k?module-path=/m.so"); err != nil || u.MaxSessions != 0 || u.Timeout != 0 {
		t.Errorf("no limits: %+v, %v", u, err)
	}
	for _, bad := range []string{
		"x-max-sessions=0", "x-max-sessions=-1", "x-max-sessions=1025", "x-max-sessions=two", "x-max-sessions=",
		"x-timeout=0s", "x-timeout=-1s", "x-timeout=30", "x-timeout=61m", "x-timeout=",
		"x-timeout=5s&x-timeout=6s",
	} {
		if _, err := pkcs11.ParseURI("pkcs11:object=k?" + bad); !errors.Is(err, pkcs11.ErrURI) {
			t.Errorf("%s: %v, want ErrURI", bad, err)
		}
	}
}

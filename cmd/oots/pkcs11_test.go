package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/oots-go/oots/pkcs11"
)

// TestServeKeyURI: a key given as a PKCS#11 URI is opened from the token
// (build tag pkcs11) or refused with a sentence naming the field and the
// build to use.
func TestServeKeyURI(t *testing.T) {
	c := &serveConfig{dir: "/etc/oots"}
	uri := "pkcs11:token=none;object=ap-sign?module-path=/nonexistent/libpkcs11.so"
	if got := c.path(uri); got != uri {
		t.Fatalf("path(%q) = %q", uri, got)
	}
	_, err := serveReadKey("keys.signingKey", uri)
	if err == nil || !strings.HasPrefix(err.Error(), "keys.signingKey: ") {
		t.Fatalf("%v", err)
	}
	if !pkcs11Built && !errors.Is(err, pkcs11.ErrNotBuilt) {
		t.Errorf("default build: %v, want ErrNotBuilt", err)
	}
}

// TestKeyPINValueWarning: a pkcs11: URI with its PIN in it, given as -key
// on the command line, is warned about (every user can read a process's
// command line); one that names a PIN file is not, and the PIN is never
// printed.
func TestKeyPINValueWarning(t *testing.T) {
	const pin = "98761234"
	withValue := "pkcs11:token=none;object=k?module-path=/nonexistent/libpkcs11.so&pin-value=" + pin
	withSource := "pkcs11:token=none;object=k?module-path=/nonexistent/libpkcs11.so&pin-source=/nonexistent/pin"
	for _, cmd := range [][]string{{"cs", "serve", "-addr", "127.0.0.1:0"}, {"smp", "serve", "-addr", "127.0.0.1:0"}} {
		for _, c := range []struct {
			key  string
			warn bool
		}{{withValue, true}, {withSource, false}} {
			args := append(append([]string{}, cmd...), "-key", c.key, "-cert", "/nonexistent/cert.pem")
			code, _, errs := runOots(t, args...)
			if code != 2 {
				t.Errorf("%v: exit %d, want 2 (the token cannot open): %s", cmd, code, errs)
			}
			if got := strings.Contains(errs, "pin-value of a pkcs11: URI on the command line"); got != c.warn {
				t.Errorf("%v -key %s: warned %v, want %v: %s", cmd, c.key, got, c.warn, errs)
			}
			if strings.Contains(errs, pin) {
				t.Errorf("%v: the PIN is printed: %s", cmd, errs)
			}
		}
	}
}

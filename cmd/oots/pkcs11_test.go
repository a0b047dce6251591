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

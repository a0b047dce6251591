//go:build pkcs11 && cgo

package pkcs11_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pkcs11"
)

// p11tool lists the private keys of the test token that uri selects, as
// the URIs p11tool (GnuTLS, through p11-kit's URI code) writes for them.
func p11tool(t *testing.T, uri string) []string {
	t.Helper()
	bin := testenv.Tool(t, "p11tool")
	out, err := exec.Command(bin, "--provider="+softhsmtest.Module, "--login", "--set-pin="+softhsmtest.PIN,
		"--list-all-privkeys", "--only-urls", uri).CombinedOutput()
	if err != nil {
		t.Fatalf("p11tool %s: %v\n%s", uri, err, out)
	}
	var uris []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "pkcs11:") {
			uris = append(uris, l)
		}
	}
	return uris
}

// TestParseURIFromP11tool: the URI an operator copies from p11tool's
// listing (model, manufacturer, serial, token, id, object, type, with
// p11-kit's percent-encoding) opens the key it names, and the URI String
// writes selects that key, and only it, in p11tool. The labels hold what
// a URI must encode (newLabel numbers them, so that the test can run
// again in the same token).
func TestParseURIFromP11tool(t *testing.T) {
	labels := []string{"ap sign", "a;b?c", "50%=half", "clé ключ", "x/y,z&w"}
	keys := map[string]ed25519.PrivateKey{}
	for _, label := range labels {
		label = newLabel(label)
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		softhsmtest.ImportAs(t, k, label)
		keys[label] = k
	}
	listed := p11tool(t, "pkcs11:token="+softhsmtest.TokenLabel)
	found := 0
	for _, line := range listed {
		u, err := pkcs11.ParseURI(line)
		if err != nil {
			t.Errorf("p11tool's %s: %v", line, err)
			continue
		}
		k, ok := keys[u.Object]
		if !ok {
			continue // another test's key
		}
		found++
		if u.Token != softhsmtest.TokenLabel || u.Serial == "" || u.Model == "" || u.Manufacturer == "" || len(u.ID) == 0 || u.Type != "private" {
			t.Errorf("p11tool's %s read as %+v", line, u)
		}
		key, err := pkcs11.Open(line + "?module-path=" + softhsmtest.Module + "&pin-value=" + softhsmtest.PIN)
		if err != nil {
			t.Errorf("Open(p11tool's %s): %v", line, err)
			continue
		}
		if !k.Public().(ed25519.PublicKey).Equal(key.(crypto.Signer).Public()) {
			t.Errorf("p11tool's %s opened another key", line)
		}
		// Our written form, given back to p11tool, selects this key alone.
		if again := p11tool(t, u.String()); len(again) != 1 || again[0] != line {
			t.Errorf("%s (written from p11tool's %s) selects %q in p11tool", u.String(), line, again)
		}
	}
	if found != len(labels) {
		t.Errorf("p11tool listed %d of the %d keys:\n%s", found, len(labels), strings.Join(listed, "\n"))
	}
}

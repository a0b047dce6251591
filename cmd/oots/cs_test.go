package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

func TestCSVerifyCommand(t *testing.T) {
	dir := testenv.Spec(t, "edm-2.0-oots-france/common_services")
	headers, body := filepath.Join(dir, "eb_requirements_fr.headers"), filepath.Join(dir, "eb_requirements_fr.xml")

	// The trust anchor: the root the captured chain ends with, written as PEM.
	raw, err := os.ReadFile(headers)
	if err != nil {
		t.Fatal(err)
	}
	h, err := readHeaderLines(raw)
	if err != nil {
		t.Fatal(err)
	}
	protected, _, _ := strings.Cut(h.Get("oots-response-sig"), ".")
	js, _ := base64.RawURLEncoding.DecodeString(protected)
	var ph struct{ X5c []string }
	if err := json.Unmarshal(js, &ph); err != nil {
		t.Fatal(err)
	}
	der, _ := base64.StdEncoding.DecodeString(ph.X5c[len(ph.X5c)-1])
	tmp := t.TempDir()
	roots := filepath.Join(tmp, "roots.pem")
	os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	changed := filepath.Join(tmp, "changed.xml")
	b, _ := os.ReadFile(body)
	b[100] ^= 1
	os.WriteFile(changed, b, 0o644)

	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"cs-verify", "-trust", roots, "-at", "iat", headers, body}, 0, "valid: signed at 2026-07-29T09:01:50Z over digest by CN=EC-OOTS-CS-ACC", ""},
		{[]string{"cs-verify", "-trust", roots, "-at", "2026-08-01T00:00:00Z", headers, body}, 0, "valid", ""},
		{[]string{"cs-verify", "-trust", roots, "-at", "2027-10-24T00:00:00Z", headers, body}, 1, "INVALID jades: untrusted signing certificate", ""},
		{[]string{"cs-verify", "-trust", roots, "-at", "iat", headers, changed}, 1, "INVALID jades: body digest mismatch", ""},
		{[]string{"cs-verify", "-trust", roots, "-at", "iat", body, body}, 2, "", "not a header line"},
		{[]string{"cs-verify", headers, body}, 2, "", "usage: oots cs-verify"},
		{[]string{"cs-verify", "-trust", filepath.Join(tmp, "none.pem"), headers, body}, 2, "", "-trust"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, out, errOut, c.code, c.stdout, c.stderr)
		}
	}
}

// answerNAPTR is a minimal DNS responder (a test double, not a DNS server)
// answering every query with one U-NAPTR record.
func answerNAPTR(t *testing.T, uri string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			m := append([]byte(nil), buf[:n]...)
			m[2], m[3] = 0x81, 0x80
			binary.BigEndian.PutUint16(m[6:], 1)
			rdata := []byte{0, 100, 0, 10, 1, 'U', 3, 's', 'v', 'c'}
			re := "!^.*$!" + uri + "!"
			rdata = append(append(append(rdata, byte(len(re))), re...), 0)
			m = append(m, 0xc0, 12, 0, 35, 0, 1, 0, 0, 1, 44)
			m = binary.BigEndian.AppendUint16(m, uint16(len(rdata)))
			pc.WriteTo(append(m, rdata...), from)
		}
	}()
	return pc.LocalAddr().String()
}

func TestCSDiscoverCommand(t *testing.T) {
	server := answerNAPTR(t, "https://query.cs.acc.oots.tech.ec.europa.eu/")
	httpServer := answerNAPTR(t, "http://plain.example/")
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.LocalAddr().String()
	l.Close()
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		// In the Commission's zone the environment's DNSSEC validation is
		// on by default: this test server has no signed root.
		{[]string{"cs-discover", "-server", server, "FR", "eb"}, 1, "", ". has no DNSKEY record"},
		{[]string{"cs-discover", "-server", server, "-dnssec", "off", "FR", "eb"}, 0, "fr.eb.v2.cs.acc.oots.tech.ec.europa.eu https://query.cs.acc.oots.tech.ec.europa.eu/", ""},
		{[]string{"cs-discover", "-server", server, "-dnssec", "off", "-env", "prod", "-major", "1", "fi", "dsd"}, 0, "fi.dsd.v1.cs.prod.oots.tech.ec.europa.eu https://", ""},
		{[]string{"cs-discover", "-server", httpServer, "-dnssec", "off", "fr", "eb"}, 1, "", "bad Common Services record"},
		{[]string{"cs-discover", "-server", server, "-dnssec", "sometimes", "fr", "eb"}, 2, "", "none of off, auto, require"},
		{[]string{"cs-discover", "-server", httpServer, "-dnssec", "off", "-allow-http", "fr", "eb"}, 0, "http://plain.example/", ""},
		{[]string{"cs-discover", "-server", closed, "-timeout", "300ms", "fr", "eb"}, 2, "", "DNS unreachable"},
		{[]string{"cs-discover", "-server", server, "france", "eb"}, 2, "", "two-letter"},
		{[]string{"cs-discover", "-server", server, "fr", "sr"}, 2, "", "neither"},
		{[]string{"cs-discover", "fr", "eb"}, 2, "", "usage: oots cs-discover"},
		{[]string{"cs-discover", "-server", "dns.example:53", "fr", "eb"}, 2, "", "Config.Server"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, out, errOut, c.code, c.stdout, c.stderr)
		}
	}
}

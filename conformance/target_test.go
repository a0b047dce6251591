package conformance

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const goodTarget = `node: AP-DE
self: AP-TESTER
pmode: pmode.yaml
keys: .
as4: https://127.0.0.1:8413/as4
api: https://127.0.0.1:8413
apiTokenFile: ../keys/api-token-DE
tlsCA: /etc/oots/tls-ca.pem
listen: 127.0.0.1:8409
leg: ebms-test
sendLeg: oots-response
edmLegs: [oots-request, oots-response, oots-error]
maxBody: 67108864
timeout: 20s
cs: https://127.0.0.1:8400/
csTrust: cs-ca.cert.pem
procedure: R1
country: DE
scenarios: DE-scenarios.yaml
previewLogin: demo
requesterAPI: https://127.0.0.1:8413
requesterTokenFile: ../keys/requester-token-DE
requesterProcedure: R1
requesterCountry: AT
requesterVersion: oots-edm:v1.0
`

func TestParseTarget(t *testing.T) {
	tf, err := ParseTarget([]byte(goodTarget))
	if err != nil {
		t.Fatal(err)
	}
	if tf.Node != "AP-DE" || tf.MaxBody != 64<<20 || tf.Timeout != "20s" || len(tf.EDMLegs) != 3 || tf.PreviewLogin != PreviewLoginDemo {
		t.Errorf("parsed %+v", tf)
	}
	dir := filepath.FromSlash("/srv/demo/conformance")
	tf.Resolve(dir)
	if tf.RequesterAPI != "https://127.0.0.1:8413" || tf.RequesterCountry != "AT" || tf.RequesterProcedure != "R1" || tf.RequesterVersion != "oots-edm:v1.0" {
		t.Errorf("the requester fields: %+v", tf)
	}
	for field, got := range map[string]string{"pmode": tf.PMode, "keys": tf.Keys, "apiTokenFile": tf.APITokenFile, "csTrust": tf.CSTrust, "scenarios": tf.Scenarios,
		"requesterTokenFile": tf.RequesterTokenFile} {
		if !filepath.IsAbs(got) || !strings.HasPrefix(got, filepath.Dir(dir)) {
			t.Errorf("%s resolved to %q, want a path under %s", field, got, filepath.Dir(dir))
		}
	}
	if tf.TLSCA != "/etc/oots/tls-ca.pem" {
		t.Errorf("an absolute path changed: %q", tf.TLSCA)
	}
	if tf.AS4 != "https://127.0.0.1:8413/as4" {
		t.Errorf("a URL changed: %q", tf.AS4)
	}
	// What a node writes, the kit reads back.
	b, err := yaml.Marshal(&TargetFile{Node: "AP-FR", Timeout: "5s", EDMLegs: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParseTarget(b); err != nil || back.Node != "AP-FR" || back.EDMLegs[2] != "c" {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if empty, err := ParseTarget(nil); err != nil || !reflect.DeepEqual(*empty, TargetFile{}) {
		t.Errorf("an empty file: %+v, %v", empty, err)
	}
}

// TestParseTargetErrors: each wrong field gets an error that names it.
func TestParseTargetErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, field string }{
		{"unknown field", "node: AP-DE\ntokenFile: x\n", "tokenFile"},
		{"not YAML", "node: [\n", "yaml"},
		{"wrong type", "maxBody: big\n", "maxBody"},
		{"as4 not a URL", "as4: 127.0.0.1:8413\n", "as4"},
		{"api ftp", "api: ftp://127.0.0.1/\n", "api"},
		{"cs no host", "cs: https:///x\n", "cs"},
		{"listen no port", "listen: 127.0.0.1\n", "listen"},
		{"negative maxBody", "maxBody: -1\n", "maxBody"},
		{"bad timeout", "timeout: soon\n", "timeout"},
		{"zero timeout", "timeout: 0s\n", "timeout"},
		{"two edm legs", "edmLegs: [a, b]\n", "edmLegs"},
		{"empty edm leg", "edmLegs: [a, ' ', c]\n", "edmLegs"},
		{"unknown preview login", "previewLogin: browser\n", "previewLogin"},
		{"NUL in a path", "pmode: \"a\\0b\"\n", "pmode"},
		{"requester API not a URL", "requesterAPI: 127.0.0.1:8413\n", "requesterAPI"},
		{"requester version", "requesterVersion: v1.0\n", "requesterVersion"},
		{"requester country", "requesterCountry: Austria\n", "requesterCountry"},
		{"NUL in the requester token path", "requesterTokenFile: \"a\\0b\"\n", "requesterTokenFile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTarget([]byte(tc.yaml))
			if !errors.Is(err, ErrTarget) {
				t.Fatalf("error %v, want ErrTarget", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
	if _, err := ParseTarget([]byte("node: " + strings.Repeat("x", maxTargetFile))); !errors.Is(err, ErrTarget) {
		t.Errorf("an oversized file: %v", err)
	}
	if _, err := ParseTarget([]byte("listen: none\n")); err != nil {
		t.Errorf("listen none: %v", err)
	}
}

// FuzzParseTarget: any input gives a target or an ErrTarget error, never a
// panic, and a parsed target resolves.
func FuzzParseTarget(f *testing.F) {
	f.Add([]byte(goodTarget))
	f.Add([]byte("listen: none\n"))
	f.Add([]byte("edmLegs: [a, b]\n"))
	f.Add([]byte("timeout: 1h\nmaxBody: 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tf, err := ParseTarget(b)
		if err != nil {
			if !errors.Is(err, ErrTarget) {
				t.Fatalf("error %v does not wrap ErrTarget", err)
			}
			return
		}
		tf.Resolve("/base")
		if tf.PMode != "" && !filepath.IsAbs(tf.PMode) {
			t.Fatalf("pmode %q not resolved", tf.PMode)
		}
	})
}

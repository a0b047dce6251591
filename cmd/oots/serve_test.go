package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// serveNet is a two-node network written to disk: credentials, P-Modes
// and one configuration file per node.
type serveNet struct {
	dir     string
	ports   map[string]int
	configs map[string]string
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var serveParties = []string{"AP_FR_01", "AP_DE_01"}

// writeServeNet writes the files of a network under profile; extra is
// appended to every node's configuration; database returns the
// configuration's database value for a node ("" for SQLite).
func writeServeNet(t testing.TB, profile wssec.Profile, retry string, database func(name string) string, extra string) *serveNet {
	t.Helper()
	dir := t.TempDir()
	kind := wssec.AS4v115
	if profile == wssec.AS4v20 {
		kind = wssec.AS4v20
	}
	opt := &pki.Options{Now: time.Now().Add(-time.Hour)}
	ca, err := pki.NewCA("oots serve test CA", kind, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteFiles(dir, "ca"); err != nil {
		t.Fatal(err)
	}
	// A trusted credential of no party of the P-Mode, for the kit (AS4-10,
	// AS4-S6).
	third, err := pki.Issue(ca, "AP_XX_99", kind, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := third.WriteFiles(dir, "third-party"); err != nil {
		t.Fatal(err)
	}
	n := &serveNet{dir: dir, ports: map[string]int{}, configs: map[string]string{}}
	var parties strings.Builder
	for _, name := range serveParties {
		p, err := pki.Issue(ca, name, kind, opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.WriteFiles(dir, name); err != nil {
			t.Fatal(err)
		}
		n.ports[name] = freePort(t)
		fmt.Fprintf(&parties, "  - name: %s\n    ids: [{type: \"urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots\", value: %s}]\n    endpoint: http://127.0.0.1:%d/as4\n    signingCertificate: %s.sign.cert.pem\n    encryptionCertificate: %s.enc.cert.pem\n",
			name, name, n.ports[name], name, name)
	}
	sec := fmt.Sprintf("{profile: %s, sign: true, encrypt: true}", profile)
	nrr := "true"
	if profile == pmode.ProfileNone {
		sec, nrr = "{profile: none, sign: false, encrypt: false}", "false"
	}
	if retry == "" {
		retry = "{timeout: 1m, count: 30, strategy: CONSTANT}"
	}
	leg := func(name, action string) string {
		return fmt.Sprintf(`  - name: %s
    mep: one-way
    binding: push
    initiator: {parties: [AP_FR_01, AP_DE_01], role: "http://sdg.europa.eu/edelivery/gateway"}
    responder: {parties: [AP_FR_01, AP_DE_01], role: "http://sdg.europa.eu/edelivery/gateway"}
    service: {value: QueryManager, type: "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"}
    action: %s
    security: %s
    reliability: {receipt: response, nonRepudiation: %s, duplicateDetection: true, retry: %s}
    properties: [{name: originalSender, required: true}, {name: finalRecipient, required: true}]
    payload: {compress: true}
    errorHandling: {asResponse: true}
`, name, action, sec, nrr, retry)
	}
	pm := "parties:\n" + parties.String() + "legs:\n" + leg("ootsRequestLeg", "ExecuteQueryRequest") + leg("ootsResponseLeg", "ExecuteQueryResponse")
	if err := os.WriteFile(filepath.Join(dir, "pmode.yaml"), []byte(pm), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range serveParties {
		db := ""
		if database != nil {
			db = database(name)
		}
		keys := fmt.Sprintf("keys:\n  signingKey: %s.sign.key.pem\n  signingCertificate: %s.sign.cert.pem\n  decryptionKey: %s.enc.key.pem\n  trust: [ca.cert.pem]\n", name, name, name)
		if profile == pmode.ProfileNone {
			keys = ""
		}
		cfg := fmt.Sprintf(`listen: 127.0.0.1:%d
dataDir: data-%s
database: %q
pmode: pmode.yaml
self: %s
%slease: 6s
clientTimeout: 5s
pollInterval: 100ms
log: {level: warn, format: json}
%s`, n.ports[name], name, db, name, keys, extra)
		if !strings.Contains(extra, "api:") {
			cfg += "api: {insecureOpen: true}\n" // loopback tests: the API without a token
		}
		n.configs[name] = filepath.Join(dir, strings.ToLower(name)+".yaml")
		if err := os.WriteFile(n.configs[name], []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func (n *serveNet) url(name, path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", n.ports[name], path)
}

// startInProcess runs "oots serve" in this process until the test ends.
func (n *serveNet) startInProcess(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stderr, Stderr: &stderr, Getenv: func(string) string { return "" }}
		done <- Main(ctx, env, []string{"serve", "-config", n.configs[name]})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("oots serve %s: exit %d\n%s", name, code, stderr.String())
		}
	})
	waitReady(t, n.url(name, "/readyz"), &stderr)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func waitReady(t testing.TB, url string, log interface{ String() string }) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v\n%s", url, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// submitJSON posts a submission to a node's backend API and returns the
// message id and the HTTP status (0 when the node did not answer).
func submitJSON(_ testing.TB, url, key, content string) (string, int) {
	req, _ := json.Marshal(map[string]any{"clientKey": key, "leg": "ootsRequestLeg", "to": "AP_DE_01",
		"properties": []map[string]string{{"name": "originalSender", "value": "FR-1"}, {"name": "finalRecipient", "value": "DE-1"}},
		"payloads":   []map[string]any{{"mimeType": "application/xml", "data": []byte("<q>" + content + "</q>")}}})
	resp, err := http.Post(url+"/api/v1/messages", "application/json", bytes.NewReader(req))
	if err != nil {
		return "", 0
	}
	defer resp.Body.Close()
	var st struct{ MessageID string }
	json.NewDecoder(resp.Body).Decode(&st)
	return st.MessageID, resp.StatusCode
}

func getStatus(t testing.TB, url, id string) (state string, attempts int) {
	resp, err := http.Get(url + "/api/v1/messages/" + id)
	if err != nil {
		return "", 0
	}
	defer resp.Body.Close()
	var st struct {
		State    string
		Attempts int
	}
	json.NewDecoder(resp.Body).Decode(&st)
	return st.State, st.Attempts
}

func TestServeTwoNodes(t *testing.T) {
	for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		t.Run(string(profile), func(t *testing.T) {
			n := writeServeNet(t, profile, "", nil, "")
			for _, name := range serveParties {
				n.startInProcess(t, name)
			}
			id, code := submitJSON(t, n.url("AP_FR_01", ""), "k1", "hello")
			if code != http.StatusAccepted {
				t.Fatalf("submit: HTTP %d", code)
			}
			waitDelivered(t, n.url("AP_FR_01", ""), id)
			resp, err := http.Get(n.url("AP_DE_01", "/api/v1/inbox/"+id))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				From     string
				Payloads []struct{ Data []byte }
			}
			json.NewDecoder(resp.Body).Decode(&m)
			resp.Body.Close()
			if m.From != "AP_FR_01" || len(m.Payloads) != 1 || string(m.Payloads[0].Data) != "<q>hello</q>" {
				t.Errorf("DE received %+v", m)
			}
			// doctor on the running network: all well, partner reachable.
			var out, errOut bytes.Buffer
			env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
			if code := Main(context.Background(), env, []string{"doctor", "-config", n.configs["AP_FR_01"], "-no-database"}); code != 0 {
				t.Errorf("doctor: exit %d\n%s%s", code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "endpoint "+n.url("AP_DE_01", "/as4")+" answered HTTP") {
				t.Errorf("doctor did not reach DE:\n%s", out.String())
			}
		})
	}
}

func TestServeConfigErrors(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	good, err := os.ReadFile(n.configs["AP_FR_01"])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(string) string
		want string
	}{
		{func(s string) string { return strings.Replace(s, "listen: ", "listen: nonsense", 1) }, "listen"},
		{func(s string) string { return strings.Replace(s, "pmode: pmode.yaml", "pmode: \"\"", 1) }, "pmode: required"},
		{func(s string) string { return s + "workerz: 3\n" }, "workerz"},
		{func(s string) string { return s + "webhook: {url: ftp://x, secret: 0123456789abcdef}\n" }, "webhook.url"},
		{func(s string) string { return s + "webhook: {url: http://x, secret: short}\n" }, "webhook.secret"},
		{func(s string) string { return strings.Replace(s, "lease: 6s", "lease: 3s", 1) }, "lease"},
		{func(s string) string { return strings.Replace(s, "level: warn", "level: loud", 1) }, "log.level"},
		{func(s string) string { return strings.Replace(s, "database: \"\"", "database: mysql://x", 1) }, "database"},
		{func(s string) string { return strings.Replace(s, "AP_FR_01.sign.key.pem", "missing.pem", 1) }, "keys.signingKey"},
		{func(s string) string {
			return strings.Replace(s, "AP_FR_01.sign.cert.pem", "AP_DE_01.sign.cert.pem", 1)
		}, "SigningCert: does not match"},
		{func(s string) string { return strings.Replace(s, "self: AP_FR_01", "self: AP_XX_01", 1) }, "AP_XX_01"},
		// Closed by default: no API without a token, but on loopback when
		// a flag says so.
		{func(s string) string { return strings.Replace(s, "api: {insecureOpen: true}", "", 1) }, "api.token: empty: the backend API"},
		{func(s string) string {
			return strings.Replace(s, "api: {insecureOpen: true}", "api: {insecureOpen: true, listen: \"0.0.0.0:0\"}", 1)
		}, "loopback address only"},
		{func(s string) string {
			return strings.Replace(s, "api: {insecureOpen: true}", "api: {token: short}", 1)
		}, "at least 16"},
		{func(s string) string { return s + "limits: {maxConns: -1}\n" }, "limits"},
		{func(s string) string { return s + "heapFloor: -2\n" }, "heapFloor"},
		{func(s string) string { return s + "rules: {\"3.0\": tdd}\n" }, "rules: \"3.0\" is not an EDM version"},
		{func(s string) string { return s + "rules: {\"1.2\": no-such-dir}\n" }, "rules.1.2: stat"},
		{func(s string) string { return s + "rules: {\"2.0\": .}\n" }, "rules: " + n.dir + ": schematron: no .sch files"},
	} {
		file := filepath.Join(n.dir, "bad.yaml")
		os.WriteFile(file, []byte(tc.edit(string(good))), 0o644)
		var out, errOut bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		code := Main(context.Background(), env, []string{"serve", "-config", file})
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("want exit 2 naming %q; got %d: %s", tc.want, code, errOut.String())
		}
	}
}

func TestDoctorFindsProblems(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	// An RSA network's credentials in an Ed25519 network's configuration:
	// wrong algorithm for the profile, and a chain to another CA.
	other := writeServeNet(t, wssec.AS4v115, "", nil, "")
	cfg, _ := os.ReadFile(n.configs["AP_FR_01"])
	bad := strings.ReplaceAll(string(cfg), "AP_FR_01.sign.", other.dir+"/AP_FR_01.sign.")
	file := filepath.Join(n.dir, "doctor.yaml")
	os.WriteFile(file, []byte(bad), 0o644)
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, []string{"doctor", "-config", file, "-no-database"})
	if code != 1 {
		t.Fatalf("doctor: exit %d\n%s", code, out.String())
	}
	for _, want := range []string{
		"DOCTOR-EXPOSURE",         // the API without a token (test only), the limits
		"DOCTOR-ALGORITHM",        // RSA key under eDelivery-AS4-2.0 legs
		"certificate not trusted", // chain to another CA
		"DOCTOR-REACH",            // DE is not running
		"unreachable",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestServeConfigDocumented: the configuration shown in the documentation
// of serveConfig decodes (every field name exists) and validates.
func TestServeConfigDocumented(t *testing.T) {
	src, err := os.ReadFile("serve.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start := strings.Index(s, "//\tlisten: ")
	end := strings.Index(s, "// The environment variables OOTS_API_TOKEN")
	if start < 0 || end < start {
		t.Fatal("no configuration example in the documentation of serveConfig")
	}
	var yml strings.Builder
	for _, line := range strings.Split(s[start:end], "\n") {
		if l, ok := strings.CutPrefix(line, "//\t"); ok {
			yml.WriteString(l + "\n")
		}
	}
	doc := strings.Replace(yml.String(), `secret: "…"`, `secret: "0123456789abcdef"`, 1)
	file := filepath.Join(t.TempDir(), "oots.yaml")
	os.WriteFile(file, []byte(doc), 0o644)
	if _, err := loadServeConfig(file, nil, false); err != nil {
		t.Errorf("the documented configuration: %v\n%s", err, doc)
	}
}

// TestDoctorExpired: an expired signing certificate and a partner's
// certificate close to its end are reported.
func TestDoctorExpired(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "")
	ca, err := pki.LoadCredential(n.dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	old, err := pki.Issue(ca, "AP_FR_01", wssec.AS4v20, &pki.Options{Now: time.Now().Add(-48 * time.Hour), Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.WriteFiles(n.dir, "AP_FR_01"); err != nil {
		t.Fatal(err)
	}
	soon, err := pki.Issue(ca, "AP_DE_01", wssec.AS4v20, &pki.Options{Now: time.Now().Add(-time.Hour), Validity: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := soon.WriteFiles(n.dir, "AP_DE_01"); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := Main(context.Background(), env, []string{"doctor", "-config", n.configs["AP_FR_01"], "-no-database", "-offline"}); code != 1 {
		t.Fatalf("doctor: exit %d\n%s", code, out.String())
	}
	for _, want := range []string{"keys.signingCertificate: expired on", "party AP_DE_01 encryptionCertificate: expires in less than 30 days"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
}

// waitDelivered waits up to 20 s for the sending node at api to report
// message id delivered.
func waitDelivered(t *testing.T, api, id string) {
	t.Helper()
	state := ""
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if state, _ = getStatus(t, api, id); state == "delivered" {
			return
		}
	}
	t.Fatalf("message %s: state %q, want delivered", id, state)
}

// TestServeSlowClients: hundreds of connections that send their AS4 bodies
// a byte at a time are cut by oots serve once they fall below the minimum
// rate (limits.minRate after limits.grace), and meanwhile the node still
// takes a normal message from its partner.
func TestServeSlowClients(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "limits: {grace: 1s, minRate: 2000}\n")
	for _, name := range serveParties {
		n.startInProcess(t, name)
	}
	const clients = 300
	addr := strings.TrimPrefix(n.url("AP_DE_01", ""), "http://")
	type result struct {
		held time.Duration
		cut  bool
	}
	results := make(chan result, clients)
	for range clients {
		go func() {
			start := time.Now()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				results <- result{}
				return
			}
			defer c.Close()
			io.WriteString(c, "POST /as4 HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; boundary=b\r\nContent-Length: 1000000\r\n\r\n")
			closed := make(chan struct{})
			go func() { io.Copy(io.Discard, c); close(closed) }()
			for {
				select {
				case <-closed:
					results <- result{time.Since(start), true}
					return
				case <-time.After(500 * time.Millisecond):
					if time.Since(start) > 30*time.Second {
						results <- result{time.Since(start), false}
						return
					}
					c.Write([]byte{'-'})
				}
			}
		}()
	}
	// While they trickle, FR sends DE a message.
	time.Sleep(300 * time.Millisecond)
	id, code := submitJSON(t, n.url("AP_FR_01", ""), "slow-1", "among slow clients")
	if code != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", code)
	}
	waitDelivered(t, n.url("AP_FR_01", ""), id)
	var longest time.Duration
	for range clients {
		r := <-results
		if !r.cut {
			t.Fatalf("a slow client was held %s and not cut", r.held)
		}
		longest = max(longest, r.held)
	}
	t.Logf("%d slow clients cut, the slowest after %s", clients, longest.Round(time.Millisecond))
	if longest > 10*time.Second {
		t.Errorf("the slowest client was held %s", longest)
	}
}

// TestServeHeapFloor: the default floor, a configured one, none with -1,
// and none when the operator set GOGC.
func TestServeHeapFloor(t *testing.T) {
	env := func(gogc string) func(string) string {
		return func(k string) string {
			if k == "GOGC" {
				return gogc
			}
			return ""
		}
	}
	for _, tc := range []struct {
		floor int64
		gogc  string
		want  int64
	}{
		{0, "", defaultHeapFloor},
		{1 << 30, "", 1 << 30},
		{-1, "", 0},
		{0, "200", 0},
		{1 << 30, "off", 0},
	} {
		c := &serveConfig{HeapFloor: tc.floor}
		if got := c.heapFloor(env(tc.gogc)); got != tc.want {
			t.Errorf("heapFloor %d, GOGC %q: %d, want %d", tc.floor, tc.gogc, got, tc.want)
		}
	}
}

// An SQLite database named in the configuration file is, as every other
// path there, relative to the file's directory (oots doctor checked that
// directory while the node opened the name relative to its working
// directory); its ?synchronous= parameter is kept.
func TestServeDatabaseRelative(t *testing.T) {
	dir := t.TempDir()
	for database, want := range map[string]string{
		"sqlite:node.db":                  "sqlite:" + filepath.Join(dir, "node.db"),
		"sqlite:node.db?synchronous=full": "sqlite:" + filepath.Join(dir, "node.db") + "?synchronous=full",
		"sqlite:/var/lib/oots/node.db":    "sqlite:/var/lib/oots/node.db",
		"":                                filepath.Join(dir, "data", "oots.db"),
		"postgres://db/oots":              "postgres://db/oots",
	} {
		c := &serveConfig{dir: dir, Database: database, DataDir: "data"}
		if got := c.dsn(); got != want {
			t.Errorf("database %q: %q, want %q", database, got, want)
		}
	}
}

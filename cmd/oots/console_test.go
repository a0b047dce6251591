package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/wssec"
)

// TestServeConsole: an account made with "oots console user add" logs in
// to the console that "oots serve" serves on its admin listener, and the
// console is not on the listener partners reach. The thresholds of
// console.alerts apply: two failed logins, and a data directory with less
// than 8 EiB free, raise alerts in /metrics.
func TestServeConsole(t *testing.T) {
	apiPort := freePort(t)
	n := writeServeNet(t, wssec.AS4v20, "", nil,
		fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:%d}\nconsole: {enabled: true, alerts: {loginFailures: {perAccount: 2}, lowDisk: {minFree: %d}}}\njournal: {keyFile: journal.key}\n",
			apiPort, int64(math.MaxInt64)))
	cfg := n.configs["AP_FR_01"]
	writeSecret(t, filepath.Join(filepath.Dir(cfg), "journal.key"), make([]byte, 32))
	run := func(stdin string, args ...string) (int, string) {
		var out syncBuffer
		env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		return Main(context.Background(), env, args), out.String()
	}
	if code, out := run("correct-horse-battery\n", "console", "user", "add", "-config", cfg, "-name", "olga", "-role", "operator"); code != 0 || !strings.Contains(out, "account olga (operator) created") {
		t.Fatalf("user add: %d %s", code, out)
	}
	if code, out := run("short\n", "console", "user", "add", "-config", cfg, "-name", "bob", "-role", "operator"); code != 2 || !strings.Contains(out, "too short") {
		t.Errorf("a short password: %d %s", code, out)
	}
	if code, out := run("correct-horse-battery\n", "console", "user", "add", "-config", cfg, "-name", "bob", "-role", "root"); code != 2 || !strings.Contains(out, "unknown role") {
		t.Errorf("an unknown role: %d %s", code, out)
	}
	n.startInProcess(t, "AP_FR_01")
	admin := fmt.Sprintf("http://127.0.0.1:%d", apiPort)

	for range 2 {
		resp, err := http.PostForm(admin+"/console/login", url.Values{"name": {"olga"}, "password": {"wrong-horse-battery"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a wrong password: HTTP %d", resp.StatusCode)
		}
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(admin+"/console/login", url.Values{"name": {"olga"}, "password": {"correct-horse-battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasSuffix(resp.Request.URL.Path, "/console/messages") {
		t.Errorf("login: HTTP %d at %s", resp.StatusCode, resp.Request.URL)
	}
	// The node keeps a journal: the console's journal page shows it.
	if resp, err := c.Get(admin + "/console/journal"); err != nil {
		t.Error(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), "keeps no exchange journal") || !strings.Contains(string(body), "Exchange journal") {
			t.Errorf("journal page: HTTP %d\n%s", resp.StatusCode, body)
		}
	}
	// The backend API and /metrics share the admin listener.
	if resp, err := http.Get(admin + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/metrics on the admin listener: %v %v", resp, err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, s := range []string{`oots_console_alerts{kind="login_failures",subject="olga"} 1`,
			fmt.Sprintf(`oots_console_alerts{kind="disk_low",subject=%q} 1`, filepath.Join(n.dir, "data-AP_FR_01"))} {
			if !strings.Contains(string(body), s) {
				t.Errorf("/metrics lacks %s", s)
			}
		}
	}
	// Partners do not reach the console.
	if resp, err := http.Get(n.url("AP_FR_01", "/console/login")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/console on the public listener: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestConsoleVolumes: the console watches the data directory and, for
// SQLite elsewhere, the database's directory; PostgreSQL's disk is its
// server's.
func TestConsoleVolumes(t *testing.T) {
	for _, tc := range []struct {
		dataDir, database string
		want              []string
	}{
		{"data", "", []string{"/etc/oots/data"}},
		{"/var/lib/oots/", "sqlite:/var/lib/oots/oots.db?synchronous=full", []string{"/var/lib/oots"}},
		{"data", "sqlite:db/oots.db", []string{"/etc/oots/data", "/etc/oots/db"}},
		{"data", "postgres://oots@db.internal/oots", []string{"/etc/oots/data"}},
	} {
		c := &serveConfig{DataDir: tc.dataDir, Database: tc.database, dir: "/etc/oots"}
		if got := c.consoleVolumes(); !slices.Equal(got, tc.want) {
			t.Errorf("dataDir %q, database %q: %q, want %q", tc.dataDir, tc.database, got, tc.want)
		}
	}
}

// TestServeConsoleAlertsConfig: a wrong threshold of console.alerts is
// refused at the start, naming its field.
func TestServeConsoleAlertsConfig(t *testing.T) {
	for _, tc := range []struct{ alerts, field string }{
		{"{loginFailures: {window: -1m}}", "console.alerts.loginFailures.window"},
		{"{lowDisk: {minFreePercent: 150}}", "console.alerts.lowDisk.minFreePercent"},
	} {
		n := writeServeNet(t, wssec.AS4v20, "", nil, fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:0}\nconsole: {enabled: true, alerts: %s}\n", tc.alerts))
		if _, err := loadServeConfig(n.configs["AP_FR_01"], nil, false); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.alerts, err)
		}
	}
}

// TestServeConsoleNeedsAdminListener: the console is refused on a node
// whose API shares the public listener.
func TestServeConsoleNeedsAdminListener(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "console: {enabled: true}\n")
	_, err := loadServeConfig(n.configs["AP_FR_01"], nil, false)
	if err == nil || !strings.Contains(err.Error(), "console.enabled") {
		t.Errorf("console without api.listen: %v", err)
	}
}

// TestServeConsoleReplacesPMode: an administrator uploads a P-Mode file on
// the console of a running oots serve. A file the node cannot use (a leg
// of the other AS4 profile) is refused with its reason and changes nothing;
// the right one (the partner's new endpoint) is used at once, by the
// message waiting for its retry too, and becomes the pmode file, the old
// one kept as pmode.yaml.previous; both uploads are in the audit trail. An
// operator may not upload.
func TestServeConsoleReplacesPMode(t *testing.T) {
	apiPort := freePort(t)
	n := writeServeNet(t, wssec.AS4v20, "{timeout: 1m, count: 60, strategy: CONSTANT}", nil,
		fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:%d}\nconsole: {enabled: true}\n", apiPort))
	// DE's admin listener on a port of its own.
	deCfg, err := os.ReadFile(n.configs["AP_DE_01"])
	if err != nil {
		t.Fatal(err)
	}
	deCfg = []byte(strings.Replace(string(deCfg), fmt.Sprintf("127.0.0.1:%d}", apiPort), fmt.Sprintf("127.0.0.1:%d}", freePort(t)), 1))
	if err := os.WriteFile(n.configs["AP_DE_01"], deCfg, 0o644); err != nil {
		t.Fatal(err)
	}
	pmFile := filepath.Join(n.dir, "pmode.yaml")
	good, err := os.ReadFile(pmFile)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(good), fmt.Sprintf("endpoint: http://127.0.0.1:%d/as4", n.ports["AP_DE_01"]),
		fmt.Sprintf("endpoint: http://127.0.0.1:%d/as4", freePort(t)), 1)
	if err := os.WriteFile(pmFile, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := n.configs["AP_FR_01"]
	for name, role := range map[string]string{"adam": "administrator", "olga": "operator"} {
		var out syncBuffer
		env := &Env{Stdin: strings.NewReader("correct-horse-battery\n"), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		if code := Main(context.Background(), env, []string{"console", "user", "add", "-config", cfg, "-name", name, "-role", role}); code != 0 {
			t.Fatalf("user add %s: %s", name, out.String())
		}
	}
	n.startInProcess(t, "AP_FR_01")
	n.startInProcess(t, "AP_DE_01")
	admin := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	id, code := submitJSON(t, admin, "k1", "to the moved partner")
	if code != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", code)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, attempts := getStatus(t, admin, id); attempts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no attempt in 20 s")
		}
	}

	// login returns a client with the account's session and its form token.
	login := func(name string) (*http.Client, string) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.PostForm(admin+"/console/login", url.Values{"name": {name}, "password": {"correct-horse-battery"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		page := getBody(t, c, admin+"/console/partners")
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s: no form token on the partners page:\n%s", name, page)
		}
		return c, m[1]
	}
	upload := func(c *http.Client, csrf string, file []byte) (int, string) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("pmode", "pmode.yaml")
		fw.Write(file)
		mw.Close()
		resp, err := c.Post(admin+"/console/pmode", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	olga, olgaCSRF := login("olga")
	if page := getBody(t, olga, admin+"/console/partners"); !strings.Contains(page, "may read the P-Mode but not change it") {
		t.Errorf("an operator's partners page offers the upload:\n%s", page)
	}
	if code, _ := upload(olga, olgaCSRF, good); code != http.StatusForbidden {
		t.Errorf("an operator's upload: HTTP %d", code)
	}

	adam, csrf := login("adam")
	wrongLeg := strings.Replace(string(good), "profile: "+string(wssec.AS4v20), "profile: "+string(wssec.AS4v115), 1)
	if code, page := upload(adam, csrf, []byte(wrongLeg)); code != http.StatusUnprocessableEntity || !strings.Contains(page, "security.profile") {
		t.Fatalf("a P-Mode the node cannot use: HTTP %d\n%s", code, page)
	}
	if b, _ := os.ReadFile(pmFile); string(b) != moved {
		t.Fatal("a refused upload changed the pmode file")
	}
	if state, _ := getStatus(t, admin, id); state != "queued" {
		t.Fatalf("after a refused upload: %s", state)
	}

	code, page := upload(adam, csrf, good)
	if code != http.StatusOK || !strings.Contains(page, "The node now uses the uploaded P-Mode") {
		t.Fatalf("the right P-Mode: HTTP %d\n%s", code, page)
	}
	waitDelivered(t, admin, id)
	if b, _ := os.ReadFile(pmFile); !bytes.Equal(b, good) {
		t.Error("the pmode file is not the uploaded one")
	}
	if b, _ := os.ReadFile(pmFile + ".previous"); string(b) != moved {
		t.Error("pmode.yaml.previous is not the replaced file")
	}
	// The file in use, to edit: for administrators only.
	resp, err := adam.Get(admin + "/console/pmode")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, good) || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename=pmode.yaml`) {
		t.Errorf("download: HTTP %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
	}
	if resp, err := olga.Get(admin + "/console/pmode"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("an operator's download: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if !strings.Contains(getBody(t, adam, admin+"/console/audit?action=pmode.download"), fmt.Sprintf("sha256:%x", sha256.Sum256(good))) {
		t.Error("the download is not in the audit trail")
	}
	audit := getBody(t, adam, admin+"/console/audit?action=pmode.replace")
	for _, want := range []string{fmt.Sprintf("sha256:%x", sha256.Sum256(good)), fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(wrongLeg))), "refused: "} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, audit)
		}
	}
}

// getBody returns the body of a page the client may read.
func getBody(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

// TestServeConsoleOIDCConfig: console.oidc is refused at the start when a
// field is missing or wrong, naming it; a good one maps to the console's
// configuration with the client secret read from its file.
func TestServeConsoleOIDCConfig(t *testing.T) {
	const good = "{issuer: https://sso.example, clientId: oots-console, clientSecretFile: oidc.secret, redirectURL: https://admin.example/console/oidc/callback, roles: {operator: [ops]}, passwordLogin: false}"
	for _, tc := range []struct{ oidc, field string }{
		{"{clientId: c, redirectURL: https://admin.example/console/oidc/callback, roles: {operator: [ops]}}", "console.oidc.issuer"},
		{"{issuer: https://sso.example, redirectURL: https://admin.example/console/oidc/callback, roles: {operator: [ops]}}", "console.oidc.clientId"},
		{"{issuer: https://sso.example, clientId: c, redirectURL: https://admin.example/console/oidc/callback}", "console.oidc.roles"},
		{"{issuer: https://sso.example, clientId: c, redirectURL: https://admin.example/callback, roles: {operator: [ops]}}", "console.oidc.redirectURL"},
		{"{issuer: 'sso.example', clientId: c, redirectURL: https://admin.example/console/oidc/callback, roles: {operator: [ops]}}", "console.oidc.issuer"},
	} {
		n := writeServeNet(t, wssec.AS4v20, "", nil, fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:0}\nconsole: {enabled: true, oidc: %s}\n", tc.oidc))
		if _, err := loadServeConfig(n.configs["AP_FR_01"], nil, false); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want an error naming %s", tc.oidc, err, tc.field)
		}
	}
	n := writeServeNet(t, wssec.AS4v20, "", nil, fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:0}\nconsole: {enabled: true, oidc: %s}\n", good))
	c, err := loadServeConfig(n.configs["AP_FR_01"], nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Console.OIDC.console(); err == nil || !strings.Contains(err.Error(), "console.oidc.clientSecretFile") {
		t.Errorf("a missing secret file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(n.configs["AP_FR_01"]), "oidc.secret"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := c.Console.OIDC.console()
	if err != nil {
		t.Fatal(err)
	}
	if o.ClientSecret != "s3cret" || !o.DisablePasswordLogin || o.Issuer != "https://sso.example" || len(o.Operators) != 1 || o.Operators[0] != "ops" {
		t.Errorf("console.OIDC %+v", o)
	}
}

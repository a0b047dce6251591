package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/wssec"
)

// TestServeConsole: an account made with "oots console user add" logs in
// to the console that "oots serve" serves on its admin listener, and the
// console is not on the listener partners reach.
func TestServeConsole(t *testing.T) {
	apiPort := freePort(t)
	n := writeServeNet(t, wssec.AS4v20, "", nil,
		fmt.Sprintf("api: {insecureOpen: true, listen: 127.0.0.1:%d}\nconsole: {enabled: true}\njournal: {keyFile: journal.key}\n", apiPort))
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
		resp.Body.Close()
	}
	// Partners do not reach the console.
	if resp, err := http.Get(n.url("AP_FR_01", "/console/login")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/console on the public listener: %v %v", resp, err)
	} else {
		resp.Body.Close()
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

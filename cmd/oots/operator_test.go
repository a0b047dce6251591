package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
)

// readmeBlock returns the fenced block that follows an HTML comment marker
// in the README.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- "+marker+" -->\n")
	if !ok {
		t.Fatalf("README.md has no <!-- %s --> marker", marker)
	}
	if !strings.HasPrefix(rest, "```") {
		t.Fatalf("the <!-- %s --> marker is not followed by a fenced block", marker)
	}
	rest = rest[strings.Index(rest, "\n")+1:]
	body, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("the block after <!-- %s --> is not closed", marker)
	}
	return body
}

// shellWords splits a command line as sh does for the quoting the README
// uses: words separated by blanks, '…' and "…" quoting.
func shellWords(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed %c in %q", c, line)
			}
			w.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '$' || c == '`' || c == '\\' || c == '|' || c == ';' || c == '>' || c == '<':
			return nil, fmt.Errorf("%q: the walkthrough's commands are plain oots commands (no %c)", line, c)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// TestOperatorREADME follows the README's operator section literally: it
// runs each command of the marked block, in order, in an empty directory
// (the fixed ports of the README replaced by free ones), requires each to
// succeed, and then checks that each node holds the other's message and
// that the README's example submission is accepted.
func TestOperatorREADME(t *testing.T) {
	block := readmeBlock(t, "operator-walkthrough")
	ports := map[string]string{"127.0.0.1:8081": "", "127.0.0.1:8082": ""}
	for addr := range ports {
		ports[addr] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		if !strings.Contains(block, addr) {
			t.Fatalf("the walkthrough no longer uses %s: update this test", addr)
		}
		block = strings.ReplaceAll(block, addr, ports[addr])
	}
	t.Chdir(t.TempDir())

	var commands, serves int
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		background := false
		if l, ok := strings.CutSuffix(line, "&"); ok {
			line, background = strings.TrimSpace(l), true
		}
		args, err := shellWords(line)
		if err != nil {
			t.Fatal(err)
		}
		if len(args) == 0 || args[0] != "oots" {
			t.Fatalf("%q: the walkthrough runs oots commands only", line)
		}
		commands++
		if background {
			if args[1] != "serve" {
				t.Fatalf("%q: only oots serve runs in the background", line)
			}
			startServeCLI(t, args[1:])
			serves++
			continue
		}
		code, out, errOut := runCLI(t, args[1:]...)
		t.Logf("$ %s\n%s%s", line, out, errOut)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", line, code, out, errOut)
		}
	}
	if serves != 2 || commands < 9 {
		t.Fatalf("the walkthrough ran %d commands, %d oots serve: it lost steps", commands, serves)
	}

	// Each node holds the other's message.
	for dir, want := range map[string]string{"de": "<query/>", "fr": "<response/>"} {
		c, err := readServeConfig(filepath.Join(dir, "oots.yaml"), nil)
		if err != nil {
			t.Fatal(err)
		}
		var inbox struct {
			Messages []struct{ MessageID, From string }
		}
		apiGet(t, c, "/api/v1/inbox", &inbox)
		if len(inbox.Messages) != 1 {
			t.Fatalf("%s inbox: %+v", dir, inbox)
		}
		var m struct {
			Payloads []struct{ Data []byte }
		}
		apiGet(t, c, "/api/v1/inbox/"+inbox.Messages[0].MessageID, &m)
		if len(m.Payloads) != 1 || string(m.Payloads[0].Data) != want {
			t.Errorf("%s received %+v, want %s", dir, m, want)
		}
	}

	// The example submission of the README is accepted as it is.
	sub := readmeBlock(t, "operator-submission")
	c, err := readServeConfig(filepath.Join("fr", "oots.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.apiAddr()+"/api/v1/messages", strings.NewReader(sub))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ MessageID, State string }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || st.MessageID == "" {
		t.Fatalf("the README's submission: HTTP %d %+v", resp.StatusCode, st)
	}
	waitDeliveredAPI(t, c, st.MessageID)

	// oots send says why a submission is refused.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-config", "de/oots.yaml", "-api", "http://" + c.apiAddr(), "-data", "<x/>"}, "HTTP 401"},
		{[]string{"-config", "fr/oots.yaml", "-to", "AP_XX_01", "-data", "<x/>"}, "AP_XX_01"},
		{[]string{"-config", "fr/oots.yaml"}, "-file or -data"},
		{[]string{"-config", "fr/oots.yaml", "-data", "<x/>", "-property", "novalue"}, "NAME=VALUE"},
	} {
		code, out, errOut := runCLI(t, append([]string{"send"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("oots send %v: exit %d, want 2 naming %q: %s%s", tc.args, code, tc.want, out, errOut)
		}
	}
}

// startServeCLI runs oots serve in this process until the test ends and waits
// until it is ready.
func startServeCLI(t *testing.T, args []string) *syncBuffer {
	t.Helper()
	cfg := ""
	for i, a := range args {
		if a == "-config" && i+1 < len(args) {
			cfg = args[i+1]
		}
	}
	c, err := readServeConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var log syncBuffer
	done := make(chan int)
	go func() {
		env := &Env{Stdin: strings.NewReader(""), Stdout: &log, Stderr: &log, Getenv: func(string) string { return "" }}
		done <- Main(ctx, env, args)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("oots %s: exit %d\n%s", strings.Join(args, " "), code, log.String())
		}
	})
	waitReady(t, "http://"+c.Listen+"/readyz", &log)
	return &log
}

func apiGet(t *testing.T, c *serveConfig, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+c.apiAddr()+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", path, resp.StatusCode, b.String())
	}
	if err := json.Unmarshal(b.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func waitDeliveredAPI(t *testing.T, c *serveConfig, id string) {
	t.Helper()
	var st struct{ State, LastError string }
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if apiGet(t, c, "/api/v1/messages/"+id, &st); st.State == "delivered" {
			return
		}
	}
	t.Errorf("the README's submission %s: state %q %s", id, st.State, st.LastError)
}

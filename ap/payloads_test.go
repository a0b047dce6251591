package ap_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// payloadFiles lists the files of a payload directory but the hidden ones.
func payloadFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// Received payloads are files of the payload directory, one per payload,
// named by the message's row; a repeated message leaves no file; the sweep
// removes orphans (old, named by no row; this node's temporary files from
// before its start) and keeps the files of stored messages.
func TestPayloadFiles(t *testing.T) {
	dirs := map[string]string{}
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) {
		c.PayloadDir = filepath.Join(t.TempDir(), "payloads")
		dirs[name] = c.PayloadDir
		// A temporary file of a process with this NodeID that stopped
		// while writing: New removes it.
		os.MkdirAll(c.PayloadDir, 0o700)
		os.WriteFile(filepath.Join(c.PayloadDir, ".tmp-"+c.NodeID+"-1"), []byte("cut short"), 0o600)
	}})
	for name, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, ".tmp-"+name+"-1")); !os.IsNotExist(err) {
			t.Errorf("%s: the temporary file of a stopped process survived New: %v", name, err)
		}
	}
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	old := time.Now().Add(-2 * time.Hour)
	st, _, err := fr.Submit(context.Background(), padded(submission("", "files")))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("%+v", got)
	}
	if files := payloadFiles(t, dirs["AP_DE_01"]); len(files) != 1 {
		t.Fatalf("payload directory: %v", files)
	}
	// A repeated post of the same message is a duplicate: no new file.
	m := packFor(t, fr, padded(submission("", "again")))
	for range 2 {
		if code, _ := post(t, de.url+"/as4", m); code != 200 {
			t.Fatalf("HTTP %d", code)
		}
	}
	if got := payloadFiles(t, dirs["AP_DE_01"]); len(got) != 2 {
		t.Fatalf("after a message posted twice: %v", got)
	}
	// Orphans of a crash: an old temporary file and a renamed file no row
	// names. Age every file: the sweep keeps those of stored messages only.
	for _, name := range []string{".tmp-AP_DE_01-1234", "0123456789abcdef0123456789abcdef"} {
		os.WriteFile(filepath.Join(dirs["AP_DE_01"], name), []byte("orphan"), 0o600)
	}
	os.Chtimes(filepath.Join(dirs["AP_DE_01"], ".tmp-AP_DE_01-1234"), old, old)
	for _, f := range payloadFiles(t, dirs["AP_DE_01"]) {
		os.Chtimes(filepath.Join(dirs["AP_DE_01"], f), old, old)
	}
	n, err := de.SweepPayloads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := payloadFiles(t, dirs["AP_DE_01"])
	if n != 2 || len(got) != 2 || contains(got, "0123456789abcdef0123456789abcdef") {
		t.Fatalf("the sweep removed %d; left %v", n, got)
	}
	if _, err := os.Stat(filepath.Join(dirs["AP_DE_01"], ".tmp-AP_DE_01-1234")); !os.IsNotExist(err) {
		t.Errorf("an old temporary file survived: %v", err)
	}
	// The stored messages still read.
	for _, id := range []string{st.MessageID} {
		rm, err := de.Received(context.Background(), id)
		if err != nil || len(rm.Payloads) != 1 || !strings.Contains(string(rm.Payloads[0].Data), `id="files"`) {
			t.Fatalf("%s after the sweep: %+v %v", id, rm, err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A payload larger than InlinePayload reaches the backend API, the raw
// payload endpoint and the webhook streamed from its file, byte for byte
// (the webhook's signature computed over the streamed body).
func TestLargePayloadStreams(t *testing.T) {
	testenv.SkipShort(t, "streams a large payload (seconds)")
	const size = ap.InlinePayload + 3<<20
	content := make([]byte, size)
	rand.Read(content)
	var got []byte
	var mu sync.Mutex
	const secret = "0123456789abcdef-large"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := ap.VerifyWebhook([]byte(secret), r, body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var rm ap.ReceivedMessage
		if err := json.Unmarshal(body, &rm); err != nil || len(rm.Payloads) != 1 {
			http.Error(w, fmt.Sprint(err), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = rm.Payloads[0].Data
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) {
		for i := range c.PMode.Legs {
			c.PMode.Legs[i].Payload.MaxSize = 64 << 20
		}
		if name == "AP_DE_01" {
			c.Webhook = &ap.Webhook{URL: hook.URL, Secret: []byte(secret)}
		}
	}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	sub := submission("", "large")
	sub.Payloads[0].MimeType, sub.Payloads[0].Data = "application/octet-stream", content
	st, _, err := fr.Submit(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if s := waitState(t, fr, st.MessageID, 60*time.Second); s.State != apstore.OutDelivered {
		t.Fatalf("%+v", s)
	}
	// The raw payload.
	resp, err := http.Get(de.url + "/api/v1/inbox/" + st.MessageID + "/payloads/0")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(raw, content) || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("raw payload: HTTP %d, %d bytes, %q", resp.StatusCode, len(raw), resp.Header.Get("Content-Type"))
	}
	// The JSON of the backend API.
	var rm ap.ReceivedMessage
	if code := api(t, de, "GET", "/api/v1/inbox/"+st.MessageID, nil, &rm); code != 200 || len(rm.Payloads) != 1 ||
		!bytes.Equal(rm.Payloads[0].Data, content) || rm.Payloads[0].Size != size {
		t.Fatalf("inbox JSON: HTTP %d, %d payloads", code, len(rm.Payloads))
	}
	// In process: Open, and no content in memory.
	in, err := de.Received(context.Background(), st.MessageID)
	if err != nil || in.Payloads[0].Data != nil || in.Payloads[0].Open == nil {
		t.Fatalf("Received: %v, data %d bytes", err, len(in.Payloads[0].Data))
	}
	// The webhook.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := got != nil
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(got, content) {
		t.Fatalf("the webhook got %d bytes, want the %d sent", len(got), size)
	}
}

// A large payload is uploaded first (POST /api/v1/payloads, streamed to a
// file), then submitted by its id: it never travels in JSON. An id is good
// for one submission; an unknown one, data and an id together, and a
// JSON upload are refused.
func TestUploadedPayload(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v115, edit: func(name string, c *ap.Config) {
		for i := range c.PMode.Legs {
			c.PMode.Legs[i].Payload.MaxSize = 16 << 20
		}
	}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	content := make([]byte, 5<<20)
	rand.Read(content)
	upload := func(ct string, body []byte) (int, map[string]any) {
		resp, err := http.Post(fr.url+"/api/v1/payloads", ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := upload("application/json", []byte(`{}`)); code != http.StatusUnsupportedMediaType {
		t.Errorf("a JSON upload: HTTP %d", code)
	}
	code, up := upload("application/octet-stream", content)
	if code != http.StatusCreated || up["size"] != float64(len(content)) {
		t.Fatalf("upload: HTTP %d %v", code, up)
	}
	id := up["payloadId"].(string)
	sub := submission("", "uploaded")
	sub.Payloads[0].Data, sub.Payloads[0].PayloadID, sub.Payloads[0].MimeType = nil, id, "application/pdf"
	var st ap.Status
	if code := api(t, fr, "POST", "/api/v1/messages", sub, &st); code != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", code)
	}
	if got := waitState(t, fr, st.MessageID, 30*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("%+v", got)
	}
	rm, err := de.Received(context.Background(), st.MessageID)
	if err != nil || len(rm.Payloads) != 1 || !bytes.Equal(rm.Payloads[0].Data, content) || rm.Payloads[0].MimeType != "application/pdf" {
		t.Fatalf("DE received %v, %d payloads", err, len(rm.Payloads))
	}
	var e struct{ Error string }
	for name, p := range map[string]ap.Payload{
		"the same id again": {PayloadID: id, MimeType: "application/pdf"},
		"an unknown id":     {PayloadID: "00000000000000000000000000000000", MimeType: "application/pdf"},
		"not an id":         {PayloadID: "../etc/passwd", MimeType: "application/pdf"},
		"data and an id":    {PayloadID: id, MimeType: "application/pdf", Data: []byte("x")},
	} {
		sub := submission("", "bad")
		sub.Payloads[0] = p
		if code := api(t, fr, "POST", "/api/v1/messages", sub, &e); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, "payloads[0]") {
			t.Errorf("%s: HTTP %d %q", name, code, e.Error)
		}
	}
}

// padded makes the payload of a submission larger than what stays in a
// row (64 KiB), so that it becomes a payload file.
func padded(s *ap.Submission) *ap.Submission {
	d := s.Payloads[0].Data
	i := bytes.LastIndex(d, []byte("/>"))
	s.Payloads[0].Data = append(append(append([]byte{}, d[:i]...), []byte(" pad=\""+strings.Repeat("x", 100<<10)+"\"")...), d[i:]...)
	return s
}

package demonet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/testenv"
)

// lockedBuffer collects the records of every goroutine of the network.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// duplicateKey returns the first key that occurs twice in one object of the
// JSON value in line, at any depth, and "" when every key is unique. It
// reads the line as a token stream because decoding into a map would keep
// the last value of a duplicate key and hide it.
func duplicateKey(line []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	type level struct {
		object bool
		keys   map[string]bool
		isKey  bool // the next string token of an object is a key
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.object {
					top.isKey = true // the object or array is a member's value
				}
				stack = append(stack, &level{object: d == '{', keys: map[string]bool{}, isKey: d == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if top.isKey {
			k := tok.(string)
			if top.keys[k] {
				return k, nil
			}
			top.keys[k] = true
		}
		top.isKey = !top.isKey
	}
}

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct{ line, dup string }{
		{`{"time":"t","level":"INFO","msg":"m","node":"AP-DE","component":"ap"}`, ""},
		{`{"msg":"m","node":"DE","component":"ap","node":"AP-DE"}`, "node"},
		{`{"msg":"m","a":{"x":1,"y":{"x":2}},"b":[{"x":1},{"x":2}],"x":3}`, ""},
		{`{"msg":"m","a":{"x":1,"x":2}}`, "x"},
		{`{"msg":"m","b":[{"x":1,"y":"x","x":2}]}`, "x"},
		{`{"msg":"x","a":"msg","x":"a"}`, ""},
	} {
		got, err := duplicateKey([]byte(tc.line))
		if err != nil || got != tc.dup {
			t.Errorf("%s: duplicate %q, %v; want %q", tc.line, got, err, tc.dup)
		}
	}
}

// TestLogKeysUnique runs an exchange through a demo network logging in JSON
// (a request from DE refused by FR's provider with EDM:ERR:0003, so that
// the access points, the provider and the requester all log) and fails on
// a record that carries a key twice, which JSON log pipelines refuse, a
// record of a national node's component without its node, or a key that
// names a field otherwise than docs/logging.md does.
func TestLogKeysUnique(t *testing.T) {
	logs := &lockedBuffer{}
	n, err := demonet.Start(context.Background(), demonet.Config{Dir: t.TempDir(), Countries: []string{"DE", "FR"},
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	sample, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`(?s)<rim:Slot name="Requirements">.*?</rim:Slot>\s*<rim:Slot name="EvidenceRequester">`).ReplaceAll(sample, []byte(`<rim:Slot name="EvidenceRequester">`))
	const requestID = "urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"
	if _, _, err := n.Node("DE").AP.Submit(context.Background(), &ap.Submission{Leg: exchange.DefaultLegs().Request, To: "AP-FR",
		Properties: []ap.Property{{Name: exchange.PropOriginalSender, Type: demonet.Scheme("DE"), Value: "DE-ER-PORTAL"},
			{Name: exchange.PropFinalRecipient, Type: demonet.Scheme("FR"), Value: "FR-EP-R1"}},
		Payloads: []ap.Payload{{ContentID: "regrep@oots", MimeType: "application/x-ebrs+xml", Data: bad}}}); err != nil {
		t.Fatal(err)
	}
	answered := func() bool {
		for _, doc := range exchanged(t, n) {
			if m, _, err := edm.ParseBytes(doc); err == nil {
				if e, ok := m.(*edm.ErrorResponse); ok && e.RequestID == requestID {
					return true
				}
			}
		}
		return false
	}
	for deadline := time.Now().Add(30 * time.Second); !answered(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no answer to the request")
		}
	}
	n.Close()

	components := map[string]int{}
	for i, line := range bytes.Split(logs.Bytes(), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		where := fmt.Sprintf("record %d %s", i+1, line)
		if k, err := duplicateKey(line); err != nil {
			t.Errorf("%s: not JSON: %v", where, err)
		} else if k != "" {
			t.Errorf("%s: key %q twice", where, k)
		}
		var rec struct{ Component, Node string }
		if err := json.Unmarshal(line, &rec); err != nil {
			continue
		}
		var keys map[string]json.RawMessage
		json.Unmarshal(line, &keys)
		for _, k := range []string{"err", "message"} { // named "error" and "message_id" everywhere (docs/logging.md)
			if _, ok := keys[k]; ok {
				t.Errorf("%s: key %q", where, k)
			}
		}
		components[rec.Component]++
		switch rec.Component {
		case "ap", "provider", "requester", "portal", "idp":
			if rec.Node == "" {
				t.Errorf("%s: no node", where)
			}
		}
	}
	for _, c := range []string{"ap", "provider", "requester"} {
		if components[c] == 0 {
			t.Errorf("no record of component %q (records per component: %v)", c, components)
		}
	}
}

package ap_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// syncBuffer is a log destination shared by a node's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestJudge: Config.Judge sees the payloads of the messages a node submits
// and receives, and the header of those it receives; a document it finds
// invalid is logged with the rule ids and still carried (the access point
// refuses nothing for the business rules).
func TestJudge(t *testing.T) {
	logs := map[string]*syncBuffer{}
	var mu sync.Mutex
	judged := map[string]int{}
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) {
		logs[name] = &syncBuffer{}
		c.Logger = slog.New(slog.NewTextHandler(logs[name], &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Judge = func(p []byte) (string, []check.Finding, bool) {
			mu.Lock()
			judged[name]++
			mu.Unlock()
			if !bytes.HasPrefix(p, []byte("<")) {
				return "", nil, false
			}
			// The header arrives as a document of its own, its namespaces declared.
			if doc, err := xmltree.ParseBytes(p, nil); err == nil && doc.Root.Is("http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/", "Messaging") {
				return "EBMS oots-edm:v2.0", nil, true
			}
			if bytes.Contains(p, []byte(`id="q-bad"`)) {
				return "EDM-REQ oots-edm:v2.0", []check.Finding{{Rule: "R-TEST-1", Flag: check.Fatal}, {Rule: "R-TEST-INFO", Flag: check.Info}}, true
			}
			return "EDM-REQ oots-edm:v2.0", nil, true
		}
	}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	st, _, err := fr.Submit(context.Background(), submission("k-bad", "q-bad"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("a payload that breaks the business rules was not carried: %+v", got)
	}
	// DE judges after its receipt has gone, the header first, then the
	// payload: wait for both lines.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l := logs["AP_DE_01"].String()
		if logLine(l, "document breaks business rules", "direction=received", "message_id="+st.MessageID) &&
			logLine(l, "document valid under the business rules", "direction=received", "message_id="+st.MessageID) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, dir := range map[string]string{"AP_FR_01": "submitted", "AP_DE_01": "received"} {
		l := logs[name].String()
		if !logLine(l, `level=WARN msg="document breaks business rules"`, "direction="+dir, "message_id="+st.MessageID, "rules=R-TEST-1\n") {
			t.Errorf("%s log lacks the %s judgement:\n%s", name, dir, l)
		}
	}
	// The verified eb:Messaging header of the received message is judged
	// too (EDM-ebMS.sch), whole.
	if l := logs["AP_DE_01"].String(); !logLine(l, `level=DEBUG msg="document valid under the business rules"`, "direction=received", "message_id="+st.MessageID, `document="EBMS oots-edm:v2.0"`) {
		t.Errorf("DE did not judge the header:\n%s", l)
	}
	if _, err := de.db.Inbound(context.Background(), st.MessageID); err != nil {
		t.Errorf("DE did not store the message: %v", err)
	}
	// A valid payload is logged at debug level only.
	st2, _, err := fr.Submit(context.Background(), submission("k-good", "q-good"))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, fr, st2.MessageID, 20*time.Second)
	if l := logs["AP_FR_01"].String(); !logLine(l, `level=DEBUG msg="document valid under the business rules"`, "direction=submitted", "message_id="+st2.MessageID) {
		t.Errorf("FR log lacks the valid judgement:\n%s", l)
	}
}

// logLine reports whether one line of log holds every part.
func logLine(log string, parts ...string) bool {
	for _, l := range strings.SplitAfter(log, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestJudgeAfterReceipt: the receipt of a message does not wait for the
// judgement of its documents, which only logs.
func TestJudgeAfterReceipt(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) {
		if name == "AP_DE_01" {
			c.Judge = func(p []byte) (string, []check.Finding, bool) {
				<-release
				return "", nil, false
			}
		}
	}})
	t.Cleanup(free) // before the nodes stop
	fr := nodes["AP_FR_01"]
	st, _, err := fr.Submit(context.Background(), submission("", "q"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 10*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("while the receiver's judge is busy: %+v", got)
	}
	free()
}
